package transcribe

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sightline/reader/atomicfile"
	"sightline/reader/study"
)

// Speaker enrollment, as dictation systems do it: a reader reads a fixed script of report
// sentences (EnrollmentScript) once, and the acoustic model is adapted to their voice from
// those recordings with sphinxtrain (Baum-Welch statistics, then MAP re-estimation of the
// model's means, variances, mixture weights and transitions). The adapted model is kept in the
// study, per reader (study.AcousticDir), and transcribe decodes that reader's sessions with it.

// EnrollFile is the enrollment script: one sentence a line, read aloud by each reader.
const EnrollFile = "model/enrollment.txt"

// EnrollmentScript is the sentences a reader reads to enroll, in order (line k is recording
// k, from 1).
func EnrollmentScript() [][]string {
	s, err := ReadCorpus(bytes.NewReader(ModelFile(EnrollFile)), EnrollFile)
	if err != nil {
		panic(err) // embedded; checked by TestEnrollmentScript
	}
	return s
}

// AdaptTools are the programs adaptation runs: sphinx_fe (sphinxbase-utils) computes the
// recordings' cepstra, pocketsphinx_mdef_convert (pocketsphinx) writes the model definition as
// text, and sphinxtrain's bw, map_adapt and mllr_solve do the adaptation.
type AdaptTools struct {
	FE, MdefConvert, BW, MAP, MLLR string
}

// SphinxTrainDir is where Debian's sphinxtrain keeps its programs (not on PATH).
const SphinxTrainDir = "/usr/lib/sphinxtrain"

// AdaptInstall says what to install for enrollment.
const AdaptInstall = "apt-get install sphinxtrain sphinxbase-utils pocketsphinx (or run scripts/deps.sh test)"

// FindAdaptTools finds the adaptation programs on PATH or in SphinxTrainDir. A missing one is
// a *NotInstalledError.
func FindAdaptTools() (AdaptTools, error) {
	find := func(name string) (string, error) {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		p := filepath.Join(SphinxTrainDir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
		return "", &NotInstalledError{Engine: "speaker adaptation (" + name + ")", Install: AdaptInstall}
	}
	var t AdaptTools
	for _, f := range []struct {
		dst  *string
		name string
	}{{&t.FE, "sphinx_fe"}, {&t.MdefConvert, "pocketsphinx_mdef_convert"}, {&t.BW, "bw"}, {&t.MAP, "map_adapt"}, {&t.MLLR, "mllr_solve"}} {
		p, err := find(f.name)
		if err != nil {
			return t, err
		}
		*f.dst = p
	}
	return t, nil
}

// Recording is one enrollment sentence as a reader read it: a WAV (any rate, any channels)
// and the words of the script line.
type Recording struct {
	Audio string
	Words []string
}

// AdaptationFile is the record of an adaptation, kept in the adapted model's folder.
const AdaptationFile = "adaptation.json"

// AdaptationFormat is adaptation.json's format version.
const AdaptationFormat = 1

// Adaptation is adaptation.json (docs/FORMATS.md §6): how a reader's acoustic model was made.
type Adaptation struct {
	Format       int     `json:"format"`
	Reader       string  `json:"reader"`
	Created      string  `json:"created"` // UTC, RFC 3339
	Base         string  `json:"base"`    // the acoustic model adapted (its folder's name)
	Method       string  `json:"method"`
	Recordings   int     `json:"recordings"`
	Words        int     `json:"words"`
	AudioSeconds float64 `json:"audio_seconds"`
	// ID names the adapted model by its content: the first 12 hex of the SHA-256 of its
	// parameter files, recorded with every transcript decoded with it.
	ID string `json:"id"`
}

// Adaptation methods: MAP re-estimation of means, variances, mixture weights and transitions
// from one Baum-Welch pass over the recordings (the base's sendump replaced by the new
// mixture_weights), or an MLLR transform of the means (mllr_matrix, which the recogniser
// applies to the base model as it loads it).
const (
	MethodMAP  = "map"
	MethodMLLR = "mllr"
)

// AdaptMethod is the method Adapt uses, chosen on a development set (README).
const AdaptMethod = MethodMAP

// MLLRFile is an MLLR-adapted model's transform.
const MLLRFile = "mllr_matrix"

// Adapt writes to dst an acoustic model adapted to the reader of recs, from the base model
// (a pocketsphinx model folder: Debian's en-us). dst is replaced whole, or left as it was on
// an error. Each recording goes through the front end (PrepareAudio) first.
func Adapt(ctx context.Context, tools AdaptTools, base string, recs []Recording, reader, dst string, now time.Time) (*Adaptation, error) {
	return adapt(ctx, tools, base, recs, reader, dst, now, AdaptMethod)
}

func adapt(ctx context.Context, tools AdaptTools, base string, recs []Recording, reader, dst string, now time.Time, method string) (*Adaptation, error) {
	if len(recs) == 0 {
		return nil, errors.New("no enrollment recordings")
	}
	work, err := os.MkdirTemp("", "sightline-adapt-")
	if err != nil {
		return nil, fmt.Errorf("adaptation work folder: %w", err)
	}
	defer os.RemoveAll(work)
	a := &Adaptation{Format: AdaptationFormat, Reader: reader, Created: now.UTC().Format(time.RFC3339),
		Base: filepath.Base(base), Method: method, Recordings: len(recs)}
	if err := adaptInputs(work, base, recs, a); err != nil {
		return nil, err
	}
	limit := 10*time.Minute + time.Duration(4*a.AudioSeconds*float64(time.Second))
	out := filepath.Join(work, "model")
	cmds, copied, err := adaptCommands(tools, base, work, out, method)
	if err != nil {
		return nil, err
	}
	for _, c := range cmds {
		if err := runStep(ctx, limit, work, c); err != nil {
			return nil, err
		}
	}
	for _, f := range copied {
		if err := copyModelFile(filepath.Join(out, f), filepath.Join(base, f)); err != nil {
			return nil, err
		}
	}
	if a.ID, err = modelID(out); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(a, "", " ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(out, AdaptationFile), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return a, replaceDir(out, dst)
}

// adaptCommands are the programs an adaptation runs, in order, with work holding adaptInputs'
// files and out the model being made; copied are the base model's files out takes as they are.
func adaptCommands(tools AdaptTools, base, work, out, method string) (cmds [][]string, copied []string, err error) {
	feat, err := featArgs(filepath.Join(base, "feat.params"))
	if err != nil {
		return nil, nil, err
	}
	acc := filepath.Join(work, "acc")
	for _, d := range []string{acc, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, nil, err
		}
	}
	w := func(name string) string { return filepath.Join(work, name) }
	b := func(name string) string { return filepath.Join(base, name) }
	o := func(name string) string { return filepath.Join(out, name) }
	cmds = [][]string{
		{tools.FE, "-argfile", b("feat.params"), "-samprate", fmt.Sprint(FrontRate),
			"-c", w("ids"), "-di", work, "-do", work, "-ei", "wav", "-eo", "mfc", "-mswav", "yes"},
		{tools.MdefConvert, "-text", b("mdef"), w("mdef.txt")},
		append([]string{tools.BW, "-hmmdir", base, "-moddeffn", w("mdef.txt"), "-ts2cbfn", ".ptm.",
			"-mixwfn", w("mixture_weights"), "-dictfn", w("dict"), "-fdictfn", b("noisedict"),
			"-ctlfn", w("ids"), "-lsnfn", w("lsn"), "-cepdir", work, "-accumdir", acc}, feat...),
	}
	copied = []string{"feat.params", "mdef", "noisedict"}
	if method == MethodMLLR {
		cmds = append(cmds, []string{tools.MLLR, "-meanfn", b("means"), "-varfn", b("variances"),
			"-outmllrfn", o(MLLRFile), "-accumdir", acc})
		return cmds, append(copied, "means", "variances", "transition_matrices", "sendump"), nil
	}
	cmds = append(cmds, []string{tools.MAP, "-moddeffn", w("mdef.txt"), "-ts2cbfn", ".ptm.",
		"-meanfn", b("means"), "-varfn", b("variances"), "-mixwfn", w("mixture_weights"),
		"-tmatfn", b("transition_matrices"), "-accumdir", acc,
		"-mapmeanfn", o("means"), "-mapvarfn", o("variances"),
		"-mapmixwfn", o("mixture_weights"), "-maptmatfn", o("transition_matrices")})
	return cmds, copied, nil
}

// adaptInputs writes to work what bw reads: each recording through the front end (uNNN.wav),
// the list of them (ids), their transcripts (lsn), the dictionary (dict) and the base model's
// mixture weights as floats (mixture_weights).
func adaptInputs(work, base string, recs []Recording, a *Adaptation) error {
	dict := ModelDict()
	var ids, lsn strings.Builder
	for i, r := range recs {
		for _, w := range r.Words {
			if _, ok := dict[w]; !ok {
				return fmt.Errorf("%s: %q is not in the dictionary", r.Audio, w)
			}
		}
		id := fmt.Sprintf("u%03d", i+1)
		au, _, err := PrepareAudio(r.Audio, filepath.Join(work, id+".wav"))
		if err != nil {
			return fmt.Errorf("%s: %w", r.Audio, err)
		}
		a.AudioSeconds += au.Seconds
		a.Words += len(r.Words)
		fmt.Fprintln(&ids, id)
		fmt.Fprintf(&lsn, "<s> %s </s> (%s)\n", strings.Join(r.Words, " "), id)
	}
	a.AudioSeconds = round3(a.AudioSeconds)
	mixw, err := baseMixw(base)
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{"ids": []byte(ids.String()), "lsn": []byte(lsn.String()),
		"dict": dict.Marshal(), "mixture_weights": mixw} {
		if err := os.WriteFile(filepath.Join(work, name), b, 0o644); err != nil {
			return fmt.Errorf("adaptation input %s: %w", name, err)
		}
	}
	return nil
}

// baseMixw is the base model's mixture weights as a Sphinx-3 file: its own mixture_weights,
// or its sendump converted.
func baseMixw(base string) ([]byte, error) {
	if b, err := os.ReadFile(filepath.Join(base, "mixture_weights")); err == nil {
		return b, nil
	}
	p := filepath.Join(base, "sendump")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("the acoustic model has neither mixture_weights nor sendump: %w", err)
	}
	m, err := ReadSendump(b, p)
	if err != nil {
		return nil, err
	}
	return m.MarshalS3(), nil
}

// featArgs are the feature options of a model's feat.params that bw takes (the front end's
// filter bank options are sphinx_fe's, which reads the file itself).
func featArgs(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	keep := []string{"-feat", "-svspec", "-agc", "-cmn", "-varnorm", "-cmninit"}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && slices.Contains(keep, f[0]) {
			out = append(out, f...)
		}
	}
	if !slices.Contains(out, "-feat") {
		return nil, fmt.Errorf("%s: no -feat line", path)
	}
	return out, nil
}

// runStep runs one adaptation program in the adaptation's work folder, so that two adaptations
// at once (two test binaries) share no folder (with four at once at load 12, one bw lost its
// files, "Failed to get the files after 100 retries"; the cause was not found), its output
// kept for the error.
func runStep(ctx context.Context, bound time.Duration, work string, args []string) error {
	_, err := run(ctx, limit{d: bound, dir: work}, "", args[0], args[1:]...)
	if err != nil {
		return fmt.Errorf("adaptation, %s: %w", filepath.Base(args[0]), err)
	}
	return nil
}

func copyModelFile(dst, src string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// modelID is the first 12 hex of the SHA-256 of a model folder's files (names and contents,
// in name order; adaptation.json left out).
func modelID(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, e := range ents {
		if e.Name() == AdaptationFile {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "", fmt.Errorf("adapted model: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(b))
		h.Write(b)
	}
	return fmt.Sprintf("%x", h.Sum(nil)[:6]), nil
}

// replaceDir puts the folder src in dst's place: the old one is moved aside first and removed
// after, so a crash leaves one of the two whole.
func replaceDir(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	staged := dst + ".new"
	os.RemoveAll(staged)
	if err := copyDir(staged, src); err != nil {
		return err
	}
	old := dst + ".old"
	os.RemoveAll(old)
	if err := os.Rename(dst, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(staged, dst); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

func copyDir(dst, src string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(filepath.Join(dst, e.Name()), b); err != nil {
			return err
		}
	}
	return nil
}

// ForReader is cfg for the speech of reader in the study at studyDir: with the acoustic model
// adapted to them (sightline enroll, in study.AcousticDir) when they have enrolled and cfg is
// pocketsphinx's (adaptation is pocketsphinx's), cfg as given otherwise. Decoding and the
// editor's re-timing both hear a reader through it.
func ForReader(cfg Config, studyDir, reader string) Config {
	if (cfg.Engine != "" && cfg.Engine != EnginePocketSphinx) || cfg.Acoustic != "" {
		return cfg
	}
	dir, err := study.AcousticDir(studyDir, reader)
	if err != nil || !fileExists(filepath.Join(dir, AdaptationFile)) {
		return cfg // a name that cannot name a folder has no enrollment either
	}
	cfg.Acoustic = dir
	return cfg
}

// ReadAdaptation reads an adapted model folder's adaptation.json; errors name the file.
func ReadAdaptation(dir string) (*Adaptation, error) {
	p := filepath.Join(dir, AdaptationFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var a Adaptation
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if a.Format != AdaptationFormat {
		return nil, fmt.Errorf("%s: format %d, want %d", p, a.Format, AdaptationFormat)
	}
	return &a, nil
}
