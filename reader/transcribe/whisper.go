package transcribe

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
)

// WhisperModelEnv names the whisper.cpp model file when --whisper-model is not given.
const WhisperModelEnv = "SIGHTLINE_WHISPER_MODEL"

// Whisper runs a whisper.cpp command-line program (whisper-cli, or whisper-cpp as some
// packages name it) with one word a segment (-ml 1 -sow), read from its JSON output.
type Whisper struct {
	Bin, ModelPath string
	cfg            Config
	dir            string
}

// NewWhisper finds whisper.cpp and its model. It is only selectable when both are there.
func NewWhisper(cfg Config) (*Whisper, error) {
	bin := cfg.WhisperBin
	if bin == "" {
		for _, name := range []string{"whisper-cli", "whisper-cpp"} {
			if p, err := exec.LookPath(name); err == nil {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		return nil, &NotInstalledError{Engine: "whisper.cpp", Install: "put whisper.cpp's whisper-cli on PATH (or give --whisper-bin)"}
	}
	model := cfg.WhisperModel
	if model == "" {
		model = os.Getenv(WhisperModelEnv)
	}
	if model == "" {
		return nil, &NotInstalledError{Engine: "whisper.cpp's model", Install: "give --whisper-model FILE.bin (or set " + WhisperModelEnv + ")"}
	}
	if _, err := os.Stat(model); err != nil {
		return nil, fmt.Errorf("whisper model: %w", err)
	}
	dir, err := os.MkdirTemp("", "sightline-whisper-")
	if err != nil {
		return nil, err
	}
	return &Whisper{Bin: bin, ModelPath: model, cfg: cfg, dir: dir}, nil
}

// Name implements Engine.
func (w *Whisper) Name() string { return "whisper.cpp" }

// Model implements Engine.
func (w *Whisper) Model() string { return filepath.Base(w.ModelPath) }

// Close removes the engine's temporary files.
func (w *Whisper) Close() error { return os.RemoveAll(w.dir) }

// Recognize implements Engine. whisper.cpp reads 16 kHz only: other rates are resampled.
func (w *Whisper) Recognize(ctx context.Context, a Audio) ([]Word, error) {
	in := a.Path
	if a.Rate != 16000 {
		in = filepath.Join(w.dir, "in16k.wav")
		if err := resample16k(a.Path, in); err != nil {
			return nil, err
		}
	}
	base := filepath.Join(w.dir, "out")
	os.Remove(base + ".json")
	log := filepath.Join(w.dir, "whisper.log")
	if _, err := run(ctx, w.cfg.timeout(a), log, w.Bin, "-m", w.ModelPath, "-f", in, "-l", "en",
		"-ml", "1", "-sow", "-oj", "-of", base, "-np"); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(base + ".json")
	if err != nil {
		return nil, &RunError{Program: w.Bin, Err: fmt.Errorf("no JSON output: %w", err)}
	}
	ws, err := wordsOrNone(ParseWhisper(b))
	return a.shift(ws), err
}

// ParseWhisper reads whisper.cpp's -oj output: "transcription" segments with "offsets"
// (from, to, in ms) and "text". Each segment's text is split into dictionary words, which
// share its span evenly.
func ParseWhisper(b []byte) ([]Word, error) {
	var doc struct {
		Transcription []struct {
			Offsets struct {
				From, To *float64
			} `json:"offsets"`
			Text string `json:"text"`
		} `json:"transcription"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("whisper.cpp JSON: %w", err)
	}
	var out []Word
	for i, s := range doc.Transcription {
		if s.Offsets.From == nil || s.Offsets.To == nil {
			return nil, fmt.Errorf("whisper.cpp JSON: segment %d has no offsets", i+1)
		}
		from, to := *s.Offsets.From/1000, *s.Offsets.To/1000
		if !finite(from, to) || from < 0 || to < from {
			return nil, fmt.Errorf("whisper.cpp JSON: segment %d: offsets %v…%v out of order", i+1, *s.Offsets.From, *s.Offsets.To)
		}
		toks := Tokens(s.Text)
		for k, t := range toks {
			step := (to - from) / float64(len(toks))
			out = append(out, Word{Word: t, Begin: from + float64(k)*step, End: from + float64(k+1)*step, Confidence: -1})
		}
	}
	return out, nil
}

// resample16k writes src (mono 16-bit, as PrepareAudio writes it) to dst at 16 kHz.
func resample16k(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if len(b) < 44 {
		return errors.New("resample: short WAV")
	}
	rate := int(binary.LittleEndian.Uint32(b[24:]))
	in := make([]float64, (len(b)-44)/2)
	for i := range in {
		in[i] = float64(int16(binary.LittleEndian.Uint16(b[44+2*i:])))
	}
	x := Resample(in, rate, 16000)
	out := make([]byte, 44+2*len(x))
	putWAVHeader(out, 16000, int64(len(x)))
	for i, v := range x {
		binary.LittleEndian.PutUint16(out[44+2*i:], uint16(int16(max(-32768, min(32767, math.Round(v))))))
	}
	return os.WriteFile(dst, out, 0o644)
}
