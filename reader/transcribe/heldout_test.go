package transcribe

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"sightline/internal/notrun"
)

// The held-out dictations: testdata/heldout.txt spoken by espeak-ng in two voices at two
// speeds. Word boundaries come from libespeak-ng's word events (testdata/espeak_words.py).
var (
	voices = []string{"en-us", "en-us+f3"}
	speeds = []int{150, 185}
)

// refWord is a word's start as espeak-ng reports it: Index is the word's place in the text.
type refWord struct {
	Index int
	Begin float64
}

// needTools skips (noted for make test) where pocketsphinx, espeak-ng or python3 is missing.
func needTools(t testing.TB) {
	t.Helper()
	for _, p := range []string{SphinxBin, "python3"} {
		if _, err := exec.LookPath(p); err != nil {
			notrun.Skip(t, p+" is not installed (scripts/deps.sh test installs it)")
		}
	}
	if _, err := os.Stat(filepath.Join(SphinxHMM, "mdef")); err != nil {
		notrun.Skip(t, "pocketsphinx-en-us is not installed (scripts/deps.sh test installs it)")
	}
	if err := exec.Command("python3", "-c", "import ctypes; ctypes.CDLL('libespeak-ng.so.1')").Run(); err != nil {
		notrun.Skip(t, "libespeak-ng.so.1 is not installed (espeak-ng)")
	}
}

func heldOut(t testing.TB) [][]string {
	t.Helper()
	f, err := os.Open("testdata/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ReadCorpus(f, "testdata/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// synth speaks text into dir/name.wav and returns the audio and espeak-ng's word starts: an
// event names a character position, which belongs to the first word starting there or after
// (a sentence's first word is named by the space before it). Words espeak-ng spoke together
// with the next have no event of their own and no reference.
func synth(t testing.TB, dir, name, voice string, wpm int, text string) (Audio, []refWord) {
	t.Helper()
	path := filepath.Join(dir, name+".wav")
	cmd := exec.Command("python3", "testdata/espeak_words.py", voice, fmt.Sprint(wpm), path)
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("espeak_words.py %s %d: %v", voice, wpm, err)
	}
	var r struct {
		Words []struct {
			Pos   int     `json:"pos"`
			Begin float64 `json:"begin"`
		} `json:"words"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("espeak_words.py output: %v", err)
	}
	var starts []int // 0-based character position of each word
	for i, c := range text {
		if c != ' ' && c != '.' && (i == 0 || text[i-1] == ' ') {
			starts = append(starts, i)
		}
	}
	if len(starts) != len(Tokens(text)) {
		t.Fatalf("text %q: %d word starts for %d words", text, len(starts), len(Tokens(text)))
	}
	var ref []refWord
	for _, e := range r.Words {
		k, _ := slices.BinarySearch(starts, e.Pos-1)
		if k == len(starts) || (len(ref) > 0 && ref[len(ref)-1].Index >= k) {
			t.Fatalf("espeak-ng word event at character %d: no word there", e.Pos)
		}
		ref = append(ref, refWord{Index: k, Begin: e.Begin})
	}
	if len(ref) < len(starts)*3/4 {
		t.Fatalf("espeak-ng reported %d word events for %d words", len(ref), len(starts))
	}
	a, _, err := PrepareAudio(path, filepath.Join(dir, name+"-mono.wav"))
	if err != nil {
		t.Fatal(err)
	}
	return a, ref
}

// wordErrors is the edit distance between reference and hypothesis words.
func wordErrors(ref, hyp []string) int {
	prev := make([]int, len(hyp)+1)
	cur := make([]int, len(hyp)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ref); i++ {
		cur[0] = i
		for j := 1; j <= len(hyp); j++ {
			sub := prev[j-1]
			if ref[i-1] != hyp[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(hyp)]
}

func wordsOf(ws []Word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Word
	}
	return out
}

var engineOnce struct {
	sync.Once
	e   *PocketSphinx
	err error
}

func sphinx(t testing.TB) *PocketSphinx {
	t.Helper()
	needTools(t)
	engineOnce.Do(func() { engineOnce.e, engineOnce.err = NewPocketSphinx(Config{}) })
	if engineOnce.err != nil {
		t.Fatal(engineOnce.err)
	}
	return engineOnce.e
}

func TestMain(m *testing.M) {
	code := m.Run()
	if engineOnce.e != nil {
		engineOnce.e.Close()
	}
	os.Exit(code)
}

func TestHeldOutIsHeldOut(t *testing.T) {
	corpus, err := ReadCorpus(strings.NewReader(string(ModelFile(CorpusFile))), CorpusFile)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	vocab := map[string]bool{}
	for _, s := range corpus {
		in[strings.Join(s, " ")] = true
		for _, w := range s {
			vocab[w] = true
		}
	}
	for _, s := range heldOut(t) {
		if in[strings.Join(s, " ")] {
			t.Errorf("held-out sentence %q is in the corpus", strings.Join(s, " "))
		}
		for _, w := range s {
			if !vocab[w] {
				t.Errorf("held-out word %q is not in the model's vocabulary", w)
			}
		}
	}
}

// TestHeldOutWER decodes the held-out sentences one by one and as one dictation of about a
// minute, in each voice and speed, and checks the word error rates against the targets:
// ≤ 45% on single sentences, ≤ 35% on dictations.
func TestHeldOutWER(t *testing.T) {
	eng := sphinx(t)
	sents := heldOut(t)
	dir := t.TempDir()
	ctx := context.Background()
	var sentErr, sentN, dictErr, dictN int
	for vi, v := range voices {
		for si, s := range speeds {
			var ce, cn int
			for i, sent := range sents {
				if (i+vi+si)%2 != 0 {
					// Half the sentences in each voice and speed keeps the suite's time down;
					// every sentence is still spoken in both voices and at both speeds.
					continue
				}
				a, _ := synth(t, dir, fmt.Sprintf("s-%s-%d-%d", v, s, i), v, s, strings.Join(sent, " "))
				hyp, err := eng.Recognize(ctx, a)
				if err != nil && err != ErrNoWords {
					t.Fatal(err)
				}
				ce += wordErrors(sent, wordsOf(hyp))
				cn += len(sent)
			}
			sentErr += ce
			sentN += cn
			var text []string
			for _, sent := range sents {
				text = append(text, strings.Join(sent, " "))
			}
			a, _ := synth(t, dir, fmt.Sprintf("d-%s-%d", v, s), v, s, strings.Join(text, ". ")+".")
			hyp, err := eng.Recognize(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			refw := Tokens(strings.Join(text, " "))
			de := wordErrors(refw, wordsOf(hyp))
			dictErr += de
			dictN += len(refw)
			t.Logf("%s at %d wpm: sentences WER %.1f%% (%d words), dictation of %.0f s WER %.1f%% (%d words)",
				v, s, 100*float64(ce)/float64(cn), cn, a.Seconds, 100*float64(de)/float64(len(refw)), len(refw))
		}
	}
	sw, dw := float64(sentErr)/float64(sentN), float64(dictErr)/float64(dictN)
	t.Logf("overall: sentences WER %.1f%%, dictations WER %.1f%%", 100*sw, 100*dw)
	if sw > 0.45 {
		t.Errorf("single-sentence WER %.1f%% > 45%%", 100*sw)
	}
	if dw > 0.35 {
		t.Errorf("dictation WER %.1f%% > 35%%", 100*dw)
	}
}

// TestHeldOutAlignment aligns the held-out dictation's own text in each voice and speed and
// compares every word's start with espeak-ng's word event: median ≤ 30 ms, 90th percentile
// ≤ 60 ms.
func TestHeldOutAlignment(t *testing.T) {
	eng := sphinx(t)
	sents := heldOut(t)
	dir := t.TempDir()
	var errs []float64
	for _, v := range voices {
		for _, s := range speeds {
			var text []string
			for _, sent := range sents[:10] {
				text = append(text, strings.Join(sent, " "))
			}
			a, ref := synth(t, dir, fmt.Sprintf("a-%s-%d", v, s), v, s, strings.Join(text, ". ")+".")
			al, err := Align(context.Background(), eng, a, Tokens(strings.Join(text, " ")))
			if err != nil {
				t.Fatal(err)
			}
			if al.Method != MethodForced || al.Approximate() != 0 {
				t.Errorf("%s %d: method %s, %d approximate words, notes %v", v, s, al.Method, al.Approximate(), al.Notes)
			}
			var e []float64
			for _, r := range ref {
				e = append(e, math.Abs(al.Words[r.Index].Begin-r.Begin))
			}
			errs = append(errs, e...)
			t.Logf("%s at %d wpm: %d words, start error median %.0f ms, p90 %.0f ms", v, s, len(e), 1000*quantile(e, 0.5), 1000*quantile(e, 0.9))
		}
	}
	med, p90 := quantile(errs, 0.5), quantile(errs, 0.9)
	t.Logf("overall: %d words, start error median %.1f ms, p90 %.1f ms", len(errs), 1000*med, 1000*p90)
	if med > 0.030 || p90 > 0.060 {
		t.Errorf("alignment start error median %.1f ms (≤ 30), p90 %.1f ms (≤ 60)", 1000*med, 1000*p90)
	}
}

func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	return s[min(int(q*float64(len(s))), len(s)-1)]
}
