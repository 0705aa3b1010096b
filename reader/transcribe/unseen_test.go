package transcribe

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// The unseen set (testdata/unseen): report sentences and one-minute dictations written by hand
// without reading the model's corpus, and committed before the model was changed. Audio is
// made by espeak-ng in test set-up, never committed.

// asrFull runs the whole unseen set in every voice and speed (make bench-asr); without it the
// test runs a subset that still covers every sentence once (make test).
var asrFull = flag.Bool("asr.full", false, "evaluate the whole unseen set in every voice and speed (make bench-asr)")

// asrBase also decodes with the base acoustic model (the rows of a reader who has not enrolled);
// -asr.base=false halves a run's cost when only the enrolled rows are wanted.
var asrBase = flag.Bool("asr.base", true, "also decode with the base acoustic model (readers not enrolled)")

// The voices and speeds the unseen set is spoken in: two American voices (male, female) and
// a British one, each at a measured and a brisk dictation pace.
var (
	asrVoices = []string{"en-us", "en-us+f3", "en-gb-x-rp"}
	asrSpeeds = []int{150, 185}
)

// Words whose recall is a goal of its own: a missed negation or side inverts a finding.
var (
	negationWords   = []string{"no", "not", "without", "negative for", "free of"}
	lateralityWords = []string{"left", "right", "bilateral", "bilaterally"}
)

type dictation struct {
	Name  string
	Sents [][]string
}

// unseenSet reads testdata/unseen: the single sentences and the dictations.
func unseenSet(t testing.TB) ([][]string, []dictation) {
	t.Helper()
	read := func(name string, each func(n int, line string)) {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			each(n, line)
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	var sents [][]string
	read("testdata/unseen/sentences.txt", func(n int, line string) {
		w := Tokens(line)
		if strings.Join(w, " ") != line {
			t.Fatalf("testdata/unseen/sentences.txt:%d: not in spoken form (lower case words): %q", n, line)
		}
		sents = append(sents, w)
	})
	var dicts []dictation
	read("testdata/unseen/dictations.txt", func(n int, line string) {
		if name, ok := strings.CutPrefix(line, "= "); ok {
			dicts = append(dicts, dictation{Name: name})
			return
		}
		if len(dicts) == 0 {
			t.Fatalf("testdata/unseen/dictations.txt:%d: a sentence before the first \"= name\" line", n)
		}
		w := Tokens(line)
		if strings.Join(w, " ") != line {
			t.Fatalf("testdata/unseen/dictations.txt:%d: not in spoken form: %q", n, line)
		}
		d := &dicts[len(dicts)-1]
		d.Sents = append(d.Sents, w)
	})
	return sents, dicts
}

func (d dictation) words() []string {
	var w []string
	for _, s := range d.Sents {
		w = append(w, s...)
	}
	return w
}

func (d dictation) text() string {
	var lines []string
	for _, s := range d.Sents {
		lines = append(lines, strings.Join(s, " "))
	}
	return strings.Join(lines, ". ") + "."
}

func ngrams(s []string, n int) []string {
	var out []string
	for i := 0; i+n <= len(s); i++ {
		out = append(out, strings.Join(s[i:i+n], " "))
	}
	return out
}

// TestUnseenIsUnseen caps the unseen set's overlap with what the language model is built
// from. At most half its 4-grams occur in the training text (the hand-written corpus and the
// grammar's sentences). No single sentence, and no dictation line of 8 words or more, is within
// 3 word edits of a hand-written corpus sentence (a dictation's short lines, "no
// pneumothorax", are within 3 edits of almost any short sentence). The grammar generates the
// field's combinations, so it comes near many report sentences, the unseen ones included: how
// many unseen lines lie within 3 edits of a generated sentence is counted and logged, not
// capped. Words outside the vocabulary are allowed and counted.
func TestUnseenIsUnseen(t *testing.T) {
	hand, gen, err := TrainingText(bytes.NewReader(ModelFile(CorpusFile)), bytes.NewReader(ModelFile(GrammarFile)))
	if err != nil {
		t.Fatal(err)
	}
	sents, dicts := unseenSet(t)
	if len(sents) < 60 || len(dicts) < 10 {
		t.Fatalf("%d sentences and %d dictations, want at least 60 and 10", len(sents), len(dicts))
	}
	all := slices.Clone(sents)
	for _, d := range dicts {
		if n := len(d.words()); n < 120 {
			t.Errorf("dictation %s has %d words: not a minute", d.Name, n)
		}
		all = append(all, d.Sents...)
	}
	in4 := map[string]bool{}
	vocab := map[string]bool{}
	for _, s := range append(slices.Clone(hand), gen...) {
		for _, g := range ngrams(s, 4) {
			in4[g] = true
		}
		for _, w := range s {
			vocab[w] = true
		}
	}
	byLen := func(set [][]string) map[int][][]string {
		m := map[int][][]string{}
		seen := map[string]bool{}
		for _, s := range set {
			if k := strings.Join(s, " "); !seen[k] {
				seen[k] = true
				m[len(s)] = append(m[len(s)], s)
			}
		}
		return m
	}
	handBy, genBy := byLen(hand), byLen(gen)
	near := func(by map[int][][]string, s []string) ([]string, int) {
		for l := len(s) - 3; l <= len(s)+3; l++ {
			for _, c := range by[l] {
				if e := wordErrors(c, s); e <= 3 {
					return c, e
				}
			}
		}
		return nil, -1
	}
	var n4, hit4, words, oov, nearGen, checked int
	oovSet := map[string]bool{}
	for k, s := range all {
		for _, g := range ngrams(s, 4) {
			n4++
			if in4[g] {
				hit4++
			}
		}
		for _, w := range s {
			words++
			if !vocab[w] {
				oov++
				oovSet[w] = true
			}
		}
		if k >= len(sents) && len(s) < 8 {
			continue
		}
		checked++
		if c, e := near(handBy, s); c != nil {
			t.Errorf("unseen %q is %d word edit(s) from the corpus sentence %q", strings.Join(s, " "), e, strings.Join(c, " "))
		}
		if c, _ := near(genBy, s); c != nil {
			nearGen++
		}
	}
	share := float64(hit4) / float64(n4)
	t.Logf("unseen set: %d sentences, %d dictations, %d words; %.1f%% of its %d 4-grams in the training text; %d words (%.1f%%, %d distinct) outside the vocabulary; %d of the %d lines checked are within 3 word edits of a generated sentence",
		len(sents), len(dicts), words, 100*share, n4, oov, 100*float64(oov)/float64(words), len(oovSet), nearGen, checked)
	if share > 0.5 {
		t.Errorf("%.1f%% of the unseen set's 4-grams are in the training text, want at most 50%%", 100*share)
	}
}

// asrScore accumulates one row of the goal table.
type asrScore struct {
	sentErr, sentN int
	dictErr, dictN int
	negHit, negN   int
	latHit, latN   int
	// Recognised words below LowConfidence, among the wrong ones and the right ones.
	lowWrong, wrong, lowRight, right int
	cpu                              time.Duration
	audio                            float64
}

func (s *asrScore) add(o asrScore) {
	s.sentErr += o.sentErr
	s.sentN += o.sentN
	s.dictErr += o.dictErr
	s.dictN += o.dictN
	s.negHit += o.negHit
	s.negN += o.negN
	s.latHit += o.latHit
	s.latN += o.latN
	s.lowWrong += o.lowWrong
	s.wrong += o.wrong
	s.lowRight += o.lowRight
	s.right += o.right
	s.cpu += o.cpu
	s.audio += o.audio
}

func pct(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

// matched marks the reference words an optimal alignment pairs with an identical hypothesis word.
func matched(ref, hyp []string) []bool {
	n, m := len(ref), len(hyp)
	d := make([][]int, n+1)
	for i := range d {
		d[i] = make([]int, m+1)
		d[i][0] = i
	}
	for j := 0; j <= m; j++ {
		d[0][j] = j
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			sub := d[i-1][j-1]
			if ref[i-1] != hyp[j-1] {
				sub++
			}
			d[i][j] = min(sub, d[i-1][j]+1, d[i][j-1]+1)
		}
	}
	ok := make([]bool, n)
	for i, j := n, m; i > 0 && j > 0; {
		switch {
		case ref[i-1] == hyp[j-1] && d[i][j] == d[i-1][j-1]:
			ok[i-1] = true
			i, j = i-1, j-1
		case d[i][j] == d[i-1][j-1]+1:
			i, j = i-1, j-1
		case d[i][j] == d[i-1][j]+1:
			i--
		default:
			j--
		}
	}
	return ok
}

// recall counts the occurrences of phrases in ref and those whose words were all recognised.
func recall(ref []string, ok []bool, phrases []string) (hit, n int) {
	for i := range ref {
		for _, p := range phrases {
			pw := strings.Fields(p)
			if i+len(pw) > len(ref) || strings.Join(ref[i:i+len(pw)], " ") != p {
				continue
			}
			n++
			all := true
			for k := range pw {
				all = all && ok[i+k]
			}
			if all {
				hit++
			}
		}
	}
	return hit, n
}

// score decodes one audio file through the front end and scores it against ref.
func score(t testing.TB, eng *PocketSphinx, path string, ref []string) (asrScore, []string) {
	t.Helper()
	a, _, err := PrepareAudio(path, strings.TrimSuffix(path, ".wav")+"-prep.wav")
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	before := childCPU(t)
	hyp, err := eng.Recognize(context.Background(), a)
	cpu := childCPU(t) - before
	if err != nil && err != ErrNoWords {
		t.Fatal(err)
	}
	h := wordsOf(hyp)
	ok := matched(ref, h)
	var s asrScore
	s.negHit, s.negN = recall(ref, ok, negationWords)
	s.latHit, s.latN = recall(ref, ok, lateralityWords)
	s.cpu, s.audio = cpu, a.Seconds
	for i, ok := range matched(h, ref) {
		low := hyp[i].Confidence >= 0 && hyp[i].Confidence < LowConfidence
		if ok {
			s.right++
			if low {
				s.lowRight++
			}
		} else {
			s.wrong++
			if low {
				s.lowWrong++
			}
		}
	}
	return s, h
}

// speak writes text in voice at wpm to dir/name.wav (espeak-ng's own rate, 22050 Hz). Unlike
// synth it needs no word events: espeak-ng names some positions in long texts that map to no
// word, which only the alignment tests need.
func speak(t testing.TB, dir, name, voice string, wpm int, text string) string {
	t.Helper()
	path := dir + "/" + name + ".wav"
	if s, _ := synthOf(voice); s != "espeak-ng" {
		say(t, voice, wpm, text, path)
		return path
	}
	cmd := exec.Command("python3", "testdata/espeak_words.py", voice, fmt.Sprint(wpm), path)
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("espeak_words.py %s %d: %v %s", voice, wpm, err, lastLines(string(out), 2))
	}
	return path
}

// TestUnseenWER is the goal table on the unseen set: word error rate on single sentences and
// on one-minute dictations, recall of negations and of laterality, and the recogniser's CPU
// per audio second, per voice and speed, each row twice: with the base acoustic model (a
// reader who has not enrolled) and with the model adapted to that reader from their reading
// of the enrollment script (the voice at the speed; Adapt). The goals are checked on the
// adapted rows, as transcribe decodes an enrolled reader. make test runs a subset (every
// third sentence, each in one voice and speed, and one dictation) to keep its cost down on a
// loaded machine; make bench-asr (-asr.full) runs everything.
func TestUnseenWER(t *testing.T) {
	base := sphinx(t)
	adaptTools(t)
	sents, dicts := unseenSet(t)
	dir := t.TempDir()
	voices := benchVoices()
	// Totals by kind of voice: espeak-ng's (the goals are checked on them) and the voices made
	// from recordings of people (logged against the goals).
	var total, totalBase, other, otherBase asrScore
	k := 0
	for _, v := range voices {
		if skipVoice(t, v) {
			continue
		}
		for _, sp := range asrSpeeds {
			row, rowBase := unseenRow(t, base, v, sp, k, len(voices), sents, dicts, dir)
			if *asrBase {
				logRow(t, fmt.Sprintf("%s %s, base", v, speedName(v, sp)), rowBase)
			}
			logRow(t, fmt.Sprintf("%s %s, enrolled", v, speedName(v, sp)), row)
			if s, _ := synthOf(v); s == "espeak-ng" {
				total.add(row)
				totalBase.add(rowBase)
			} else {
				other.add(row)
				otherBase.add(rowBase)
			}
			k++
		}
	}
	if total.sentN+total.dictN > 0 {
		if *asrBase {
			logRow(t, "ALL espeak-ng, base", totalBase)
		}
		logRow(t, "ALL espeak-ng, enrolled", total)
	}
	if other.sentN+other.dictN > 0 {
		if *asrBase {
			logRow(t, "ALL flite and Festival, base", otherBase)
		}
		logRow(t, "ALL flite and Festival, enrolled", other)
		t.Logf("goals on the flite and Festival voices (enrolled; logged, not held):")
		logGoals(t, other)
	}
	if total.sentN == 0 {
		return // only other voices asked for (-asr.voices)
	}
	t.Logf("confidence (espeak-ng, enrolled): %s of the %d wrongly recognised words and %s of the %d right ones are below %.1f",
		pct(total.lowWrong, total.wrong), total.wrong, pct(total.lowRight, total.right), total.right, LowConfidence)
	checkGoals(t, total)
}

// unseenRow is one voice at one speed: the reader enrolled in it, the sentences and dictations
// spoken in it (make test: every third sentence, each in one voice and speed in turn, k of
// nVoices voices, and one dictation), decoded with the reader's model and the base one.
func unseenRow(t *testing.T, base *PocketSphinx, v string, sp, k, nVoices int, sents [][]string, dicts []dictation, dir string) (row, rowBase asrScore) {
	eng := enrolled(t, v, sp, *asrMethod)
	for i, s := range sents {
		if !*asrFull && (i%3 != 0 || (i/3)%(nVoices*len(asrSpeeds)) != k) {
			continue
		}
		p := speak(t, dir, fmt.Sprintf("s%d-%s-%d", i, v, sp), v, sp, strings.Join(s, " "))
		for _, e := range engines(base, eng, &rowBase, &row) {
			sc, h := score(t, e.eng, p, s)
			sc.sentErr, sc.sentN = wordErrors(s, h), len(s)
			e.row.add(sc)
		}
	}
	for i, d := range dicts {
		if !*asrFull && (k != 0 || i != 1) { // make test: one dictation (lines and tubes, both sides)
			continue
		}
		p := speak(t, dir, fmt.Sprintf("d%d-%s-%d", i, v, sp), v, sp, d.text())
		ref := d.words()
		for _, e := range engines(base, eng, &rowBase, &row) {
			sc, h := score(t, e.eng, p, ref)
			sc.dictErr, sc.dictN = wordErrors(ref, h), len(ref)
			e.row.add(sc)
		}
	}
	return row, rowBase
}

type rowEngine struct {
	eng *PocketSphinx
	row *asrScore
}

// engines are the recognisers a row is decoded with: the base model (unless -asr.base=false)
// and the reader's adapted one.
func engines(base, enrolled *PocketSphinx, baseRow, row *asrScore) []rowEngine {
	if !*asrBase {
		return []rowEngine{{enrolled, row}}
	}
	return []rowEngine{{base, baseRow}, {enrolled, row}}
}

func logRow(t testing.TB, name string, row asrScore) {
	t.Helper()
	t.Logf("%-40s: sentences WER %6s (%4d words)  dictations WER %6s (%4d words)  negation %6s of %3d  laterality %6s of %3d  CPU %.3f s per audio s (%.0f s of audio)",
		name, pct(row.sentErr, row.sentN), row.sentN, pct(row.dictErr, row.dictN), row.dictN,
		pct(row.negHit, row.negN), row.negN, pct(row.latHit, row.latN), row.latN, row.cpu.Seconds()/row.audio, row.audio)
}

// goal is one row of the goal table: the figure the issue asks for, and the bound this test
// holds the recogniser to today. Where the two differ the goal is not met yet, said in the
// log (and in the README); the bound keeps what has been reached from slipping back.
type goal struct {
	name         string
	want, bound  float64
	higherBetter bool
}

// The bounds are what make test's subset (26 sentences and one dictation, 10 negations and 21
// sides) holds the enrolled readers to: recognition is deterministic (the same espeak-ng
// samples, the same decoder), so they guard against a model, front end or adaptation that
// breaks, with a few words' room. The goals are measured over the whole set by make bench-asr.
var (
	goalSentWER = goal{"WER, unseen single sentences", 0.30, 0.30, false}
	goalDictWER = goal{"WER, unseen one-minute dictations", 0.20, 0.30, false}
	goalNeg     = goal{"negation recall", 0.95, 0.80, true}
	goalLat     = goal{"laterality recall", 0.95, 0.80, true}
)

func (g goal) check(t testing.TB, got float64) {
	t.Helper()
	met := got <= g.want
	fail := got > g.bound
	if g.higherBetter {
		met, fail = got >= g.want, got < g.bound
	}
	switch {
	case met:
		t.Logf("goal met: %s %.1f%% (goal %.0f%%)", g.name, 100*got, 100*g.want)
	case fail:
		t.Errorf("%s %.1f%%: worse than the bound %.0f%% held today (goal %.0f%%)", g.name, 100*got, 100*g.bound, 100*g.want)
	default:
		t.Logf("GOAL NOT MET: %s %.1f%% (goal %.0f%%; held to %.0f%%)", g.name, 100*got, 100*g.want, 100*g.bound)
	}
}

// logGoals says which goals s meets, holding it to no bound.
func logGoals(t testing.TB, s asrScore) {
	t.Helper()
	for _, g := range []struct {
		g   goal
		got float64
	}{{goalSentWER, float64(s.sentErr) / float64(max(s.sentN, 1))}, {goalDictWER, float64(s.dictErr) / float64(max(s.dictN, 1))},
		{goalNeg, float64(s.negHit) / float64(max(s.negN, 1))}, {goalLat, float64(s.latHit) / float64(max(s.latN, 1))}} {
		met := g.got <= g.g.want
		if g.g.higherBetter {
			met = g.got >= g.g.want
		}
		word := "GOAL NOT MET"
		if met {
			word = "goal met"
		}
		t.Logf("  %s: %s %.1f%% (goal %.0f%%)", word, g.g.name, 100*g.got, 100*g.g.want)
	}
}

func checkGoals(t testing.TB, s asrScore) {
	t.Helper()
	goalSentWER.check(t, float64(s.sentErr)/float64(s.sentN))
	if s.dictN > 0 {
		goalDictWER.check(t, float64(s.dictErr)/float64(s.dictN))
	}
	goalNeg.check(t, float64(s.negHit)/float64(s.negN))
	goalLat.check(t, float64(s.latHit)/float64(s.latN))
}
