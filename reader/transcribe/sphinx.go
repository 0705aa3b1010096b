package transcribe

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Debian's pocketsphinx: the program and the US English acoustic model.
const (
	SphinxBin     = "pocketsphinx_continuous"
	SphinxHMM     = "/usr/share/pocketsphinx/model/en-us/en-us"
	SphinxInstall = "apt-get install pocketsphinx pocketsphinx-en-us (or run scripts/deps.sh)"
)

// PocketSphinx runs pocketsphinx_continuous with the project's radiology language model.
type PocketSphinx struct {
	Bin, HMM string
	// Adapted is the reader's adaptation when HMM is an adapted model (Config.Acoustic).
	Adapted  *Adaptation
	cfg      Config
	dir      string // the model files written for the recogniser
	lm, dict string
	once     sync.Once
	words    Dict
}

// NewPocketSphinx finds the recogniser and its acoustic model and writes the project's model
// where it can read it. A missing package is a *NotInstalledError saying what to install.
func NewPocketSphinx(cfg Config) (*PocketSphinx, error) {
	bin, err := exec.LookPath(SphinxBin)
	if err != nil {
		return nil, &NotInstalledError{Engine: "pocketsphinx", Install: SphinxInstall}
	}
	if _, err := os.Stat(filepath.Join(SphinxHMM, "mdef")); err != nil {
		return nil, &NotInstalledError{Engine: "pocketsphinx's acoustic model", Install: SphinxInstall}
	}
	hmm := SphinxHMM
	var ad *Adaptation
	if cfg.Acoustic != "" {
		// A reader's adapted model (Adapt): its record says whose and how it was made.
		if ad, err = ReadAdaptation(cfg.Acoustic); err != nil {
			return nil, fmt.Errorf("adapted acoustic model: %w", err)
		}
		hmm = cfg.Acoustic
	}
	p, err := NewPocketSphinxAt(bin, hmm, cfg)
	if p != nil {
		p.Adapted = ad
	}
	return p, err
}

// NewPocketSphinxAt is NewPocketSphinx with the program and acoustic model given.
func NewPocketSphinxAt(bin, hmm string, cfg Config) (*PocketSphinx, error) {
	dir, err := os.MkdirTemp("", "sightline-sphinx-")
	if err != nil {
		return nil, fmt.Errorf("pocketsphinx model folder: %w", err)
	}
	p := &PocketSphinx{Bin: bin, HMM: hmm, cfg: cfg, dir: dir}
	if p.lm, p.dict, err = WriteModel(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// Pronounces implements Aligner.
func (p *PocketSphinx) Pronounces(w string) bool {
	p.once.Do(func() { p.words = ModelDict() })
	_, ok := p.words[w]
	return ok
}

// Close removes the model files written for the recogniser.
func (p *PocketSphinx) Close() error { return os.RemoveAll(p.dir) }

// Name implements Engine.
func (p *PocketSphinx) Name() string { return "pocketsphinx" }

// Model implements Engine: the language model and dictionary, and the acoustic model.
func (p *PocketSphinx) Model() string {
	if a := p.Adapted; a != nil {
		return fmt.Sprintf("%s + %s adapted to %s (%s %s)", ModelName(), a.Base, a.Reader, a.Method, a.ID)
	}
	return ModelName() + " + " + filepath.Base(p.HMM)
}

// nfft is an FFT size holding one 25.6 ms analysis window at rate.
func nfft(rate int) int {
	n := 512
	for float64(n) < 0.025625*float64(rate) {
		n *= 2
	}
	return n
}

func (p *PocketSphinx) common(a Audio, log string) []string {
	args := []string{"-infile", a.Path, "-samprate", strconv.Itoa(a.Rate), "-nfft", strconv.Itoa(nfft(a.Rate)),
		"-hmm", p.HMM, "-time", "yes", "-logfn", log}
	if m := filepath.Join(p.HMM, MLLRFile); fileExists(m) {
		args = append(args, "-mllr", m)
	}
	return args
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Recognize decodes a with the radiology language model.
func (p *PocketSphinx) Recognize(ctx context.Context, a Audio) ([]Word, error) {
	log := filepath.Join(p.dir, "decode.log")
	args := append(p.common(a, log), "-lm", p.lm, "-dict", p.dict)
	out, err := run(ctx, p.cfg.timeout(a), log, p.Bin, args...)
	if err != nil {
		return nil, err
	}
	w, err := wordsOrNone(ParseSphinx(out))
	return a.shift(scaleTimes(w, a.Rate)), err
}

// ForceAlign times words in a with a grammar that is the words in order. extra holds the
// pronunciations of words the model's dictionary lacks. Silence is not removed (a pause of
// more than half a second would otherwise lose the words around it) and the beams are wide
// (at the defaults some alignments return nothing; alignBeams).
func (p *PocketSphinx) ForceAlign(ctx context.Context, a Audio, words []string, extra Dict) ([]Word, error) {
	dir, err := os.MkdirTemp(p.dir, "align-")
	if err != nil {
		return nil, fmt.Errorf("alignment folder: %w", err)
	}
	defer os.RemoveAll(dir)
	gram := filepath.Join(dir, "align.gram")
	g := "#JSGF V1.0;\ngrammar align;\npublic <utt> = " + strings.Join(words, " ") + " ;\n"
	if err := os.WriteFile(gram, []byte(g), 0o644); err != nil {
		return nil, fmt.Errorf("write the alignment grammar: %w", err)
	}
	dict := p.dict
	if len(extra) > 0 {
		d := ModelDict()
		for w, prons := range extra {
			if _, ok := d[w]; !ok {
				d[w] = prons
			}
		}
		dict = filepath.Join(dir, "align.dict")
		if err := os.WriteFile(dict, d.Marshal(), 0o644); err != nil {
			return nil, fmt.Errorf("write the alignment dictionary: %w", err)
		}
	}
	log := filepath.Join(dir, "align.log")
	for _, beams := range alignBeams {
		args := append(p.common(a, log), "-jsgf", gram, "-dict", dict, "-remove_silence", "no",
			"-beam", beams[0], "-pbeam", beams[0], "-wbeam", beams[1])
		out, err := run(ctx, p.cfg.timeout(a), log, p.Bin, args...)
		if err != nil {
			return nil, err
		}
		w, err := ParseSphinx(out)
		if err != nil {
			return nil, err
		}
		if len(w) > 0 {
			return a.shift(scaleTimes(w, a.Rate)), nil
		}
	}
	return nil, ErrNoWords
}

// alignBeams are the beams forced alignment tries in turn (beam and pbeam, wbeam). At the
// first, 1 in 130 runs found no path through the grammar; at the second, fast speech that the
// first could not fit (espeak-ng at 185 words a minute, "Final result does not match the
// grammar") aligns, at about 20% more CPU.
var alignBeams = [][2]string{{"1e-80", "1e-60"}, {"1e-120", "1e-100"}}

// scaleTimes corrects pocketsphinx's times for its frame shift: it advances a whole number of
// samples a frame, round(rate/100), but reports frames as 10 ms. At 22050 Hz that is 221
// samples, 10.023 ms, and the times run 0.23% slow (80 ms late after 35 s); at 16, 44.1 and
// 48 kHz the shift is exact and nothing changes.
func scaleTimes(ws []Word, rate int) []Word {
	f := float64(int(float64(rate)/100+0.5)) * 100 / float64(rate)
	if f == 1 {
		return ws
	}
	for i := range ws {
		ws[i].Begin, ws[i].End = ws[i].Begin*f, ws[i].End*f
	}
	return ws
}

func wordsOrNone(w []Word, err error) ([]Word, error) {
	if err != nil {
		return nil, err
	}
	if len(w) == 0 {
		return nil, ErrNoWords
	}
	return w, nil
}

// ParseSphinx reads pocketsphinx_continuous's output with -time yes: per utterance a line of
// the hypothesis, then "word start end posterior" a line. Sentence markers, silences and
// fillers are dropped, and a variant's "(2)" removed. A word line with bad times is an error
// naming the line.
func ParseSphinx(out []byte) ([]Word, error) {
	var words []Word
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			continue
		}
		var v [3]float64
		isWord := true
		for i := range v {
			x, err := strconv.ParseFloat(f[i+1], 64)
			if err != nil {
				isWord = false
				break
			}
			v[i] = x
		}
		if !isWord {
			continue // a hypothesis line of four words
		}
		w := f[0]
		if w == "<s>" || w == "</s>" || w == "<sil>" || strings.HasPrefix(w, "[") || strings.HasPrefix(w, "++") {
			continue
		}
		if i := strings.IndexByte(w, '('); i > 0 && strings.HasSuffix(w, ")") {
			w = w[:i]
		}
		// The posterior is printed a hair over 1 at times (1.000100).
		if !finite(v[:]...) || v[0] < 0 || v[1] < v[0] || v[2] < 0 || v[2] > 1.01 {
			return nil, fmt.Errorf("pocketsphinx output line %d: %q: times or posterior out of range", n, sc.Text())
		}
		words = append(words, Word{Word: w, Begin: v[0], End: v[1], Confidence: min(v[2], 1)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pocketsphinx output: %w", err)
	}
	return words, nil
}
