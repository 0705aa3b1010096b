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

// The alignment set: testdata/heldout.txt spoken by espeak-ng in two voices at two speeds.
// Word boundaries come from libespeak-ng's word events (testdata/espeak_words.py). It is close
// to the corpus and is no measure of recognition: the recogniser is measured on the unseen set
// (unseen_test.go); alignment is given the text, so closeness to the corpus does not flatter it.
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
	closeEnrolled()
	os.Exit(code)
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
