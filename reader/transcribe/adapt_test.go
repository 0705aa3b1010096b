package transcribe

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sightline/internal/notrun"
	"sightline/reader/study"
)

// In these tests each synthetic voice at a speed (espeak-ng voice and words a minute) is a
// reader: their enrollment is the script (model/enrollment.txt) spoken in that voice at that
// speed, and their sessions are the unseen set spoken the same way.

// asrMethod picks the adaptation method the WER tests use (the default is AdaptMethod); the
// method was chosen on the development set (TestAdaptDev), never on the unseen set.
var asrMethod = flag.String("asr.method", AdaptMethod, "adaptation method for the enrolled readers: map or mllr")

var adaptState struct {
	sync.Mutex
	root string                   // the enrollments' folder, removed by TestMain
	by   map[string]*PocketSphinx // by voice, speed and method
}

func adaptTools(t testing.TB) AdaptTools {
	t.Helper()
	needTools(t)
	tools, err := FindAdaptTools()
	if err != nil {
		notrun.Skip(t, err.Error()+" (scripts/deps.sh test installs it)")
	}
	return tools
}

// enrolled is the recogniser adapted to the reader voice at wpm: the enrollment script spoken
// that way, adapted with method. Made once per test binary.
func enrolled(t testing.TB, voice string, wpm int, method string) *PocketSphinx {
	t.Helper()
	tools := adaptTools(t)
	adaptState.Lock()
	defer adaptState.Unlock()
	// A folder name sphinxtrain takes (it reads "flite:slt" as something else).
	key := strings.ReplaceAll(fmt.Sprintf("%s-%d-%s", voice, wpm, method), ":", "-")
	if noiseFloorDBFS != defaultNoiseFloorDBFS {
		key += fmt.Sprintf("-floor%.0f", noiseFloorDBFS) // the recordings went through another front end
	}
	if e := adaptState.by[key]; e != nil {
		return e
	}
	if adaptState.root == "" {
		d, err := os.MkdirTemp("", "sightline-enroll-test-")
		if err != nil {
			t.Fatal(err)
		}
		adaptState.root, adaptState.by = d, map[string]*PocketSphinx{}
	}
	dir := filepath.Join(adaptState.root, key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var recs []Recording
	for i, s := range EnrollmentScript() {
		// espeak-ng's program gives the library's samples (speak), a third of a second of
		// silence longer, without the cost of a Python start per line.
		p := filepath.Join(dir, fmt.Sprintf("%02d.wav", i+1))
		say(t, voice, wpm, strings.Join(s, " "), p)
		recs = append(recs, Recording{Audio: p, Words: s})
	}
	start := childCPU(t)
	a, err := adapt(context.Background(), tools, SphinxHMM, recs, key, filepath.Join(dir, "acoustic"), time.Now(), method)
	if err != nil {
		t.Fatalf("adapt to %s: %v", key, err)
	}
	t.Logf("enrolled %s: %d recordings, %d words, %.0f s of recordings, %s adaptation %s (%.1f CPU s)",
		key, a.Recordings, a.Words, a.AudioSeconds, a.Method, a.ID, (childCPU(t) - start).Seconds())
	e, err := NewPocketSphinx(Config{Acoustic: filepath.Join(dir, "acoustic")})
	if err != nil {
		t.Fatal(err)
	}
	adaptState.by[key] = e
	return e
}

func closeEnrolled() {
	for _, e := range adaptState.by {
		e.Close()
	}
	if adaptState.root != "" {
		os.RemoveAll(adaptState.root)
	}
}

// TestEnrollmentScript: the script is report language from the corpus, every word in the
// dictionary, and nowhere near the unseen set (more than 3 word edits from each of its lines)
// or the development set.
func TestEnrollmentScript(t *testing.T) {
	script := EnrollmentScript()
	if len(script) < 40 || len(script) > 80 {
		t.Fatalf("%d enrollment sentences, want 40 to 80", len(script))
	}
	corpus, err := ReadCorpus(bytes.NewReader(ModelFile(CorpusFile)), CorpusFile)
	if err != nil {
		t.Fatal(err)
	}
	inCorpus := map[string]bool{}
	for _, s := range corpus {
		inCorpus[strings.Join(s, " ")] = true
	}
	dict := ModelDict()
	sents, dicts := unseenSet(t)
	others := append(sents, heldOut(t)...)
	for _, d := range dicts {
		others = append(others, d.Sents...)
	}
	for i, s := range script {
		if !inCorpus[strings.Join(s, " ")] {
			t.Errorf("line %d %q is not a corpus sentence", i+1, strings.Join(s, " "))
		}
		for _, w := range s {
			if _, ok := dict[w]; !ok {
				t.Errorf("line %d: %q is not in the dictionary", i+1, w)
			}
		}
		for _, o := range others {
			if e := wordErrors(s, o); e <= 3 {
				t.Errorf("line %d %q is %d word edit(s) from the evaluation or development line %q", i+1, strings.Join(s, " "), e, strings.Join(o, " "))
			}
		}
	}
}

// TestReadSendump reads Debian's en-us sendump: every mixture sums to one, and the weights
// written back as mixture_weights read again the same.
func TestReadSendump(t *testing.T) {
	p := filepath.Join(SphinxHMM, "sendump")
	b, err := os.ReadFile(p)
	if err != nil {
		notrun.Skip(t, "pocketsphinx-en-us is not installed (scripts/deps.sh test installs it)")
	}
	m, err := ReadSendump(b, p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Streams != 3 || m.Densities != 128 || m.Senones < 1000 {
		t.Fatalf("%d senones × %d streams × %d densities, want 3 streams of 128", m.Senones, m.Streams, m.Densities)
	}
	for k := 0; k < m.Senones*m.Streams; k += 97 {
		var sum float64
		for _, w := range m.W[k*m.Densities : (k+1)*m.Densities] {
			sum += float64(w)
		}
		if math.Abs(sum-1) > 1e-4 {
			t.Fatalf("mixture %d sums to %v", k, sum)
		}
	}
	back, err := ReadS3Mixw(m.MarshalS3(), "mixture_weights")
	if err != nil {
		t.Fatal(err)
	}
	if back.Senones != m.Senones || len(back.W) != len(m.W) || back.W[12345] != m.W[12345] {
		t.Fatalf("mixture_weights read back as %d × %d × %d", back.Senones, back.Streams, back.Densities)
	}
}

// sendumpCases are malformed sendumps, each with the error it must give.
var sendumpCases = []struct {
	name string
	b    []byte
	want string
}{
	{"empty", nil, "ends at byte 0"},
	{"header length out of range", le32(-5), "bad length -5"},
	{"cut in the header", append(le32(10), "abc"...), "bad length 10"},
	{"no sizes", le32(0), "in #densities"},
	{"clustered", append(append(le32(16), "cluster_count 2\x00"...), le32(0)...), "clustered"},
	{"sizes out of range", append(append(le32(0), le32(0)...), le32(3)...), "out of range"},
	{"too few weights", append(append(le32(0), le32(2)...), append(le32(3), 1, 2, 3)...), "want 6"},
}

func le32(v int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }

func TestReadSendumpRefuses(t *testing.T) {
	for _, c := range sendumpCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadSendump(c.b, "sendump")
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "sendump: ") {
				t.Fatalf("got %v, want an error naming the file and %q", err, c.want)
			}
		})
	}
}

func FuzzReadSendump(f *testing.F) {
	for _, c := range sendumpCases {
		f.Add(c.b)
	}
	f.Add(append(append(le32(0), le32(2)...), append(le32(3), 1, 2, 3, 4, 5, 6)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadSendump(b, "sendump")
		if err != nil {
			return
		}
		if _, err := ReadS3Mixw(m.MarshalS3(), "mixture_weights"); err != nil {
			t.Fatalf("a sendump read back wrong: %v", err)
		}
	})
}

func FuzzReadS3Mixw(f *testing.F) {
	f.Add([]byte("s3\nversion 1.0\nendhdr\n"))
	f.Add((&Mixw{Senones: 1, Streams: 1, Densities: 2, W: []float32{0.5, 0.5}}).MarshalS3())
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ReadS3Mixw(b, "mixture_weights"); err == nil && len(m.W) != m.Senones*m.Streams*m.Densities {
			t.Fatalf("%d weights for %d × %d × %d", len(m.W), m.Senones, m.Streams, m.Densities)
		}
	})
}

// TestMixwDecodesAsSendump: the base model with its sendump converted to mixture_weights (what
// adaptation starts from) hears a sentence as the base model does.
func TestMixwDecodesAsSendump(t *testing.T) {
	base := sphinx(t)
	dir := t.TempDir()
	hmm := filepath.Join(dir, "en-us")
	if err := os.Mkdir(hmm, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"feat.params", "mdef", "noisedict", "means", "variances", "transition_matrices"} {
		if err := copyModelFile(filepath.Join(hmm, f), filepath.Join(SphinxHMM, f)); err != nil {
			t.Fatal(err)
		}
	}
	mixw, err := baseMixw(SphinxHMM)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hmm, "mixture_weights"), mixw, 0o644); err != nil {
		t.Fatal(err)
	}
	conv, err := NewPocketSphinxAt(base.Bin, hmm, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer conv.Close()
	s := heldOut(t)[1]
	p := speak(t, dir, "s", "en-us", 150, strings.Join(s, " "))
	_, want := score(t, base, p, s)
	_, got := score(t, conv, p, s)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("with mixture_weights: %q\nwith sendump:        %q", got, want)
	}
	t.Logf("heard %q (said %q)", strings.Join(got, " "), strings.Join(s, " "))
}

// TestForReader: an enrolled reader is heard with their adapted model, anyone else (and a name
// that cannot name a folder) with the base; another engine is left as asked.
func TestForReader(t *testing.T) {
	studyDir := t.TempDir()
	dir, err := study.AcousticDir(studyDir, "dr smith")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, AdaptationFile), []byte(`{"format":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		cfg    Config
		reader string
		want   string
	}{
		{"enrolled", Config{}, "dr smith", dir},
		{"enrolled, pocketsphinx named", Config{Engine: EnginePocketSphinx}, "dr smith", dir},
		{"not enrolled", Config{}, "dr jones", ""},
		{"a name that is no folder", Config{}, "../x", ""},
		{"whisper.cpp", Config{Engine: EngineWhisper}, "dr smith", ""},
		{"a model already chosen", Config{Acoustic: "/elsewhere"}, "dr smith", "/elsewhere"},
	} {
		if got := ForReader(c.cfg, studyDir, c.reader).Acoustic; got != c.want {
			t.Errorf("%s: acoustic model %q, want %q", c.name, got, c.want)
		}
	}
}
