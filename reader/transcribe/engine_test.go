package transcribe

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sightline/reader/transcript"
	"sightline/reader/wav"
)

var sphinxOut = `the heart is enlarged
<s> 0.000 0.090 0.999300
the 0.100 0.200 0.980000
<sil> 0.210 0.300 1.000000
heart(2) 0.310 0.600 0.500000
[NOISE] 0.610 0.700 0.400000
++BREATH++ 0.700 0.710 0.400000
is 0.720 0.800 1.000100
enlarged 0.810 1.300 0.700000
</s> 1.310 1.400 1.000000
`

func TestParseSphinx(t *testing.T) {
	w, err := ParseSphinx([]byte(sphinxOut))
	if err != nil {
		t.Fatal(err)
	}
	want := []Word{{"the", 0.1, 0.2, 0.98}, {"heart", 0.31, 0.6, 0.5}, {"is", 0.72, 0.8, 1}, {"enlarged", 0.81, 1.3, 0.7}}
	if len(w) != len(want) {
		t.Fatalf("got %+v", w)
	}
	for i := range w {
		if w[i] != want[i] {
			t.Errorf("word %d: %+v, want %+v", i, w[i], want[i])
		}
	}
	for _, bad := range []string{"heart 0.5 0.4 0.9\n", "heart -1 0.4 0.9\n", "heart 0.1 0.4 7\n", "heart NaN 0.4 0.9\n"} {
		if _, err := ParseSphinx([]byte("x\n" + bad)); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func FuzzParseSphinx(f *testing.F) {
	f.Add(sphinxOut)
	f.Add("heart 0.5 0.4 0.9\n")
	f.Add("a b c d\n")
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseSphinx([]byte(s))
		if err != nil {
			return
		}
		for _, x := range w {
			if !finite(x.Begin, x.End, x.Confidence) || x.End < x.Begin || x.Confidence > 1 {
				t.Fatalf("bad word %+v", x)
			}
		}
	})
}

const whisperJSON = `{"transcription":[{"offsets":{"from":0,"to":400},"text":" The"},
{"offsets":{"from":400,"to":1000},"text":" heart,"},{"offsets":{"from":1000,"to":1600},"text":" x-ray"}]}`

func TestParseWhisper(t *testing.T) {
	w, err := ParseWhisper([]byte(whisperJSON))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, x := range w {
		got = append(got, x.Word)
	}
	if strings.Join(got, " ") != "the heart x ray" || w[3].Begin != 1.3 || w[3].End != 1.6 || w[1].Confidence != -1 {
		t.Errorf("got %+v", w)
	}
	for _, bad := range []string{`{"transcription":[{"text":"a"}]}`, `{"transcription":[{"offsets":{"from":5,"to":1},"text":"a"}]}`, `[`} {
		if _, err := ParseWhisper([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func FuzzParseWhisper(f *testing.F) {
	f.Add(whisperJSON)
	f.Add(`{"transcription":[{"offsets":{"from":5,"to":1},"text":"a"}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWhisper([]byte(s))
		if err == nil {
			for _, x := range w {
				if x.End < x.Begin || x.Begin < 0 {
					t.Fatalf("bad word %+v", x)
				}
			}
		}
	})
}

// fakeSphinx writes a script standing in for pocketsphinx_continuous. Its runs have minutes:
// a loaded machine may take seconds to start a shell.
func fakeSphinx(t *testing.T, body string) *PocketSphinx {
	t.Helper()
	return fakeSphinxWith(t, body, Config{Timeout: 5 * time.Minute})
}

func fakeSphinxWith(t *testing.T, body string, cfg Config) *PocketSphinx {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fake-sphinx")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := NewPocketSphinxAt(bin, "/nonexistent-hmm", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestRecogniserFailures(t *testing.T) {
	a := Audio{Path: "/dev/null", Rate: 16000, Seconds: 1}
	ctx := context.Background()
	// Empty output: a failure, not an empty transcript.
	if _, err := fakeSphinx(t, "exit 0").Recognize(ctx, a); !errors.Is(err, ErrNoWords) {
		t.Errorf("empty output: %v", err)
	}
	// A crash: named, with the end of what it said.
	_, err := fakeSphinx(t, "echo 'FATAL: acoustic model broken' >&2; kill -SEGV $$").Recognize(ctx, a)
	var re *RunError
	if !errors.As(err, &re) || re.TimeOut != 0 || !strings.Contains(err.Error(), "acoustic model broken") {
		t.Errorf("crash: %v", err)
	}
	// A hang: killed at the time-out, with its children (the sleep holds the output pipe, so a
	// kill that missed them would never return). The run's clock says its 2 s are up at once.
	expired := func(time.Duration) <-chan time.Time {
		c := make(chan time.Time, 1)
		c <- time.Time{}
		return c
	}
	_, err = fakeSphinxWith(t, "sleep 600 & sleep 600", Config{Timeout: 2 * time.Second, Expire: expired}).Recognize(ctx, a)
	if !errors.As(err, &re) || re.TimeOut != 2*time.Second || !strings.Contains(err.Error(), "hung: killed after 2s") {
		t.Errorf("hang: %v", err)
	}
	// The arguments: the rate and an FFT that holds a frame at 48 kHz.
	w, err := fakeSphinx(t, `echo "$@" | grep -q -- '-samprate 48000 -nfft 2048' && echo 'heart 0.5 0.9 0.8'`).Recognize(ctx, Audio{Path: "x", Rate: 48000, Seconds: 1})
	if err != nil || len(w) != 1 || w[0].Word != "heart" {
		t.Errorf("48 kHz: %+v %v", w, err)
	}
}

func TestNFFTAndScale(t *testing.T) {
	for rate, want := range map[int]int{8000: 512, 16000: 512, 22050: 1024, 44100: 2048, 48000: 2048, 96000: 4096} {
		if got := nfft(rate); got != want {
			t.Errorf("nfft(%d) = %d, want %d", rate, got, want)
		}
	}
	w := scaleTimes([]Word{{Begin: 35, End: 36}}, 22050)
	if math.Abs(w[0].Begin-35.0794) > 1e-3 {
		t.Errorf("22050 Hz: 35 s reads %v", w[0].Begin)
	}
	if w := scaleTimes([]Word{{Begin: 35}}, 48000); w[0].Begin != 35 {
		t.Errorf("48 kHz changed: %v", w[0].Begin)
	}
}

func TestNewEngineChoices(t *testing.T) {
	if _, err := New(Config{Engine: EngineCloud}); err == nil || !strings.Contains(err.Error(), "--cloud-url") {
		t.Errorf("cloud without configuration: %v", err)
	}
	if _, err := New(Config{Engine: EngineCloud, CloudURL: "https://example.invalid"}); !errors.Is(err, ErrCloudNotBuilt) {
		t.Errorf("cloud: %v", err)
	}
	if _, err := New(Config{Engine: "nope"}); err == nil || !strings.Contains(err.Error(), "unknown engine") {
		t.Errorf("unknown: %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	var ni *NotInstalledError
	if _, err := New(Config{}); !errors.As(err, &ni) || !strings.Contains(err.Error(), "apt-get install pocketsphinx pocketsphinx-en-us") {
		t.Errorf("no pocketsphinx: %v", err)
	}
	if _, err := New(Config{Engine: EngineWhisper}); !errors.As(err, &ni) || !strings.Contains(err.Error(), "whisper-cli") {
		t.Errorf("no whisper: %v", err)
	}
}

// TestWhisperEngine runs a stand-in whisper-cli that writes the JSON whisper.cpp writes.
func TestWhisperEngine(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "whisper-cli")
	script := "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = -of ] && out=$2; [ \"$1\" = -f ] && in=$2; shift; done\n" +
		"head -c 28 \"$in\" | tail -c 4 | od -An -tu4 | grep -q 16000 || exit 3\n" +
		"printf '%s' '" + whisperJSON + "' > \"$out.json\"\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "ggml-base.en.bin")
	os.WriteFile(model, nil, 0o644)
	e, err := New(Config{Engine: EngineWhisper, WhisperBin: bin, WhisperModel: model})
	if err != nil {
		t.Fatal(err)
	}
	defer Close(e)
	src := filepath.Join(dir, "a.wav")
	writeWAV(t, src, 48000, 1, tone(48000, 1, 0.5), -1)
	a, _, err := PrepareAudio(src, filepath.Join(dir, "m.wav"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := e.Recognize(context.Background(), a)
	if err != nil || len(w) != 4 || e.Name() != "whisper.cpp" || e.Model() != "ggml-base.en.bin" {
		t.Errorf("%+v %v", w, err)
	}
}

// fakeEngine is an Aligner whose answers are set by the test.
type fakeEngine struct {
	words      []Word
	err        error
	aligned    []Word
	alignErr   error
	known      map[string]bool
	alignCalls int
	gram       []string
}

func (f *fakeEngine) Name() string  { return "fake" }
func (f *fakeEngine) Model() string { return "fake-model" }
func (f *fakeEngine) Recognize(context.Context, Audio) ([]Word, error) {
	return f.words, f.err
}
func (f *fakeEngine) ForceAlign(_ context.Context, _ Audio, words []string, _ Dict) ([]Word, error) {
	f.alignCalls++
	f.gram = words
	return f.aligned, f.alignErr
}
func (f *fakeEngine) Pronounces(w string) bool { return f.known == nil || f.known[w] }

func TestAlignForced(t *testing.T) {
	f := &fakeEngine{aligned: []Word{{"the", 0.1, 0.2, 1}, {"heart", 0.3, 0.6, 1}}}
	al, err := Align(context.Background(), f, Audio{Seconds: 2}, []string{"the", "heart"})
	if err != nil || al.Method != MethodForced || al.Approximate() != 0 || al.Words[1].Begin != 0.3 {
		t.Fatalf("%+v %v", al, err)
	}
}

func TestAlignFallsBackToDecoding(t *testing.T) {
	// Forced alignment returns nothing (a word never spoken): the decoding's times are
	// carried onto the text by edit distance; a word with no counterpart is interpolated.
	f := &fakeEngine{alignErr: ErrNoWords, words: []Word{{"the", 0.1, 0.2, 1}, {"hart", 0.3, 0.6, 1}, {"enlarged", 1.0, 1.5, 1}}}
	al, err := Align(context.Background(), f, Audio{Seconds: 2}, []string{"the", "heart", "is", "enlarged"})
	if err != nil || al.Method != MethodDecoded {
		t.Fatalf("%+v %v", al, err)
	}
	want := []Timed{{"the", 0.1, 0.2, true}, {"heart", 0.3, 0.6, true}, {"is", 0.6, 1.0, true}, {"enlarged", 1.0, 1.5, true}}
	for i, w := range al.Words {
		if w.Word != want[i].Word || math.Abs(w.Begin-want[i].Begin) > 1e-9 || math.Abs(w.End-want[i].End) > 1e-9 || !w.Approximate {
			t.Errorf("word %d: %+v, want %+v", i, w, want[i])
		}
	}
	// Nothing heard at all: the words share the audio, in order.
	f = &fakeEngine{alignErr: ErrNoWords, err: ErrNoWords}
	al, err = Align(context.Background(), f, Audio{Seconds: 2}, []string{"a", "b"})
	if err != nil || al.Method != MethodInterpolated || al.Words[0].Begin != 0 || al.Words[1].End != 2 || al.Words[1].Begin != 1 {
		t.Errorf("%+v %v", al, err)
	}
	// A crash is an error, not a fallback.
	f = &fakeEngine{alignErr: &RunError{Program: "x", Err: errors.New("signal: segmentation fault")}}
	if _, err := Align(context.Background(), f, Audio{Seconds: 2}, []string{"a"}); err == nil {
		t.Error("crash: no error")
	}
}

func TestAlignUnpronounceableWord(t *testing.T) {
	// A word neither the dictionary nor espeak-ng can pronounce ("" tokens cannot reach here;
	// a made-up symbol stands in through the fake's dictionary and a PATH without espeak-ng).
	t.Setenv("PATH", t.TempDir())
	f := &fakeEngine{known: map[string]bool{"the": true, "heart": true},
		aligned: []Word{{"the", 0.1, 0.2, 1}, {"heart", 1.0, 1.4, 1}}}
	al, err := Align(context.Background(), f, Audio{Seconds: 2}, []string{"the", "qzx", "heart"})
	if err != nil || al.Method != MethodForced || strings.Join(f.gram, " ") != "the heart" {
		t.Fatalf("%+v %v gram %v", al, err, f.gram)
	}
	if w := al.Words[1]; !w.Approximate || w.Begin != 0.2 || w.End != 1.0 || al.Approximate() != 1 {
		t.Errorf("unplaced word %+v", w)
	}
	if len(al.Notes) == 0 || !strings.Contains(al.Notes[0], `no pronunciation for "qzx"`) {
		t.Errorf("notes %v", al.Notes)
	}
}

func TestRetimeKeepsText(t *testing.T) {
	tr := &transcript.Transcript{FullText: " Prominent heart. cardiomegaly, in fact.", HasFullText: true, HasPhrases: true,
		Phrases: []transcript.Phrase{{Phrase: "Prominent"}, {Phrase: "heart."}, {Phrase: "—"}, {Phrase: "cardiomegaly, in fact."}}}
	tokens, _ := TextOf(tr)
	if strings.Join(tokens, " ") != "prominent heart cardiomegaly in fact" {
		t.Fatalf("tokens %v", tokens)
	}
	al := Alignment{Words: []Timed{{"prominent", 1, 1.7, false}, {"heart", 1.7, 2, false}, {"cardiomegaly", 2.5, 3.2, false}, {"in", 3.3, 3.4, false}, {"fact", 3.4, 3.8, true}}}
	out, err := Retime(tr, al)
	if err != nil {
		t.Fatal(err)
	}
	want := []transcript.Phrase{{Phrase: "Prominent", Begin: 1, End: 1.7}, {Phrase: "heart.", Begin: 1.7, End: 2}, {Phrase: "—", Begin: 2, End: 2}, {Phrase: "cardiomegaly, in fact.", Begin: 2.5, End: 3.8}}
	for i, p := range out.Phrases {
		if p != want[i] {
			t.Errorf("phrase %d: %+v, want %+v", i, p, want[i])
		}
	}
	if out.FullText != tr.FullText {
		t.Errorf("full text %q", out.FullText)
	}
	if _, err := Retime(tr, Alignment{}); err == nil {
		t.Error("a short alignment was accepted")
	}
}

func TestDraftPhrases(t *testing.T) {
	tr := Draft([]Word{{"the", 0.1, 0.2, 1}, {"heart", 0.3, 0.6, 1}, {"a", 0.6, 0.61, 1}, {"is", 0.7, 0.8, 1}})
	got := []string{}
	for _, p := range tr.Phrases {
		got = append(got, p.Phrase)
	}
	if strings.Join(got, "|") != "the|heart a|is" || tr.FullText != " the heart a is" || tr.Phrases[1].End != 0.61 {
		t.Errorf("%+v", tr)
	}
	if err := tr.Validate("draft"); err != nil {
		t.Error(err)
	}
	if b, _ := transcript.Marshal(Draft(nil)); string(b) != `{"full_text":"","time_stamped_text":[]}` {
		t.Errorf("empty draft %s", b)
	}
}

// tone is seconds of a 440 Hz tone at amplitude amp (0…1), ch channels interleaved.
func tone(rate, ch int, amp float64) []int16 {
	n := rate / 2
	s := make([]int16, n*ch)
	for i := 0; i < n; i++ {
		v := int16(amp * 32767 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
		for c := 0; c < ch; c++ {
			s[i*ch+c] = v
		}
	}
	return s
}

// writeWAV writes 16-bit PCM; declared < 0 declares the samples written, otherwise that many
// frames (a header that disagrees with the file, as a killed station leaves it).
func writeWAV(t *testing.T, path string, rate, ch int, s []int16, declared int) {
	t.Helper()
	frames := len(s) / ch
	if declared >= 0 {
		frames = declared
	}
	b := make([]byte, 44+2*len(s))
	copy(b, wav.Header(rate, ch, uint32(2*frames*ch)))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPrepareAudio(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.wav"), filepath.Join(dir, "m.wav")
	// Stereo 48 kHz becomes mono at 16 kHz; a steady tone is kept whole.
	writeWAV(t, src, 48000, 2, tone(48000, 2, 0.5), -1)
	a, notes, err := PrepareAudio(src, dst)
	if err != nil || a.Rate != FrontRate || a.Offset != 0 || math.Abs(a.Seconds-0.5) > 1e-9 || len(notes) != 0 {
		t.Fatalf("%+v %v %v", a, notes, err)
	}
	if st, _ := os.Stat(dst); st.Size() != 44+2*8000 {
		t.Errorf("mono file of %d bytes", st.Size())
	}
	// Silence.
	writeWAV(t, src, 16000, 1, tone(16000, 1, 0.001), -1)
	if _, _, err := PrepareAudio(src, dst); !errors.Is(err, ErrSilent) {
		t.Errorf("silence: %v", err)
	}
	// Cut off by a kill: the header declares more than the file holds.
	writeWAV(t, src, 16000, 1, tone(16000, 1, 0.5), 80000)
	a, notes, err = PrepareAudio(src, dst)
	if err != nil || math.Abs(a.Seconds-0.5) > 1e-9 || len(notes) != 1 || !strings.Contains(notes[0], "cut off") {
		t.Errorf("truncated: %+v %v %v", a, notes, err)
	}
	// A header and nothing else.
	writeWAV(t, src, 16000, 1, nil, 0)
	if _, _, err := PrepareAudio(src, dst); err == nil || !strings.Contains(err.Error(), "no audio") {
		t.Errorf("empty: %v", err)
	}
	os.WriteFile(src, []byte("RIFF"), 0o644)
	if _, _, err := PrepareAudio(src, dst); err == nil {
		t.Error("garbage accepted")
	}
}
