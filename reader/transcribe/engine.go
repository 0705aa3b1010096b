// Package transcribe turns a case's dictation into a draft transcript.json (docs/FORMATS.md
// §1) and re-times a transcript's words by forced alignment. Recognisers are other programs,
// run as child processes behind Engine (a crash or a hang cannot take the station down; a hung
// one is killed at a time-out); pocketsphinx with the project's own radiology language model
// (model/) is the default.
package transcribe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Word is one word a recogniser heard: seconds from the start of the audio, and its
// confidence (a posterior in 0…1; −1 when the engine gives none).
type Word struct {
	Word       string  `json:"word"`
	Begin      float64 `json:"begin"`
	End        float64 `json:"end"`
	Confidence float64 `json:"confidence"`
}

// Audio is a dictation ready for a recogniser: mono 16-bit PCM WAV. Seconds is the length of
// the original recording; the file holds the part of it from Offset seconds on (the front end
// keeps the speech: PrepareAudio), and engines report times in the original.
type Audio struct {
	Path    string
	Rate    int
	Seconds float64
	Offset  float64
}

// shift moves word times from the prepared file to the original recording.
func (a Audio) shift(ws []Word) []Word {
	for i := range ws {
		// The front end may put a little silence before the file's first sample (a negative
		// Offset): nothing said there is before the recording.
		ws[i].Begin = max(0, ws[i].Begin+a.Offset)
		ws[i].End = max(ws[i].Begin, ws[i].End+a.Offset)
		if a.Seconds > 0 { // nor after it
			ws[i].Begin, ws[i].End = min(ws[i].Begin, a.Seconds), min(ws[i].End, a.Seconds)
		}
	}
	return ws
}

// Engine is a speech recogniser.
type Engine interface {
	// Name is the engine recorded with each transcript ("pocketsphinx", "whisper.cpp").
	Name() string
	// Model names the models used, as recorded with each transcript.
	Model() string
	// Recognize returns the words heard in a, in order. No words at all is ErrNoWords.
	Recognize(ctx context.Context, a Audio) ([]Word, error)
}

// Aligner is an Engine that can also time a known text in the audio (forced alignment).
type Aligner interface {
	Engine
	// ForceAlign times words (dictionary tokens, in order) in a; extra holds pronunciations
	// of words the engine's dictionary lacks. It returns the words it placed, in order;
	// nothing placed is ErrNoWords.
	ForceAlign(ctx context.Context, a Audio, words []string, extra Dict) ([]Word, error)
	// Pronounces reports whether the engine's dictionary has w.
	Pronounces(w string) bool
}

// ErrNoWords is a recogniser that ran to the end and returned nothing.
var ErrNoWords = errors.New("the recogniser returned no words")

// NotInstalledError is an engine whose program or model is missing; Install says what to do.
type NotInstalledError struct {
	Engine, Install string
}

func (e *NotInstalledError) Error() string {
	return fmt.Sprintf("%s is not installed: %s", e.Engine, e.Install)
}

// Engine names for Config.Engine.
const (
	EnginePocketSphinx = "pocketsphinx"
	EngineWhisper      = "whisper"
	EngineCloud        = "cloud"
)

// Config chooses and configures an engine.
type Config struct {
	Engine string // EnginePocketSphinx (default), EngineWhisper or EngineCloud
	// WhisperBin and WhisperModel locate whisper.cpp (default: whisper-cli, then
	// whisper-cpp, on PATH; the model from $SIGHTLINE_WHISPER_MODEL).
	WhisperBin, WhisperModel string
	// CloudURL is a cloud recogniser's endpoint: audio leaves the machine only when it is set.
	CloudURL string
	// Timeout bounds one recogniser run; 0: 60 s plus four times the audio's length.
	Timeout time.Duration
	// Expire is Timeout's clock (nil: the wall clock): called as a run starts, with its bound,
	// it returns a channel that receives when the run has had its time. A test that knows a
	// run hangs ends it at once instead of waiting the bound out.
	Expire func(bound time.Duration) <-chan time.Time
	// Acoustic is the folder of a reader's adapted acoustic model (Adapt; study.AcousticDir),
	// used by pocketsphinx in place of the base model; "" for the base.
	Acoustic string
}

// ErrCloudNotBuilt is the cloud engine: its configuration is checked, but no client is built.
var ErrCloudNotBuilt = errors.New("the cloud engine is not built: only its configuration slot exists (dictations never leave the machine)")

// New opens the engine cfg names. Close it when done (it may hold temporary files).
func New(cfg Config) (Engine, error) {
	switch cfg.Engine {
	case "", EnginePocketSphinx:
		return NewPocketSphinx(cfg)
	case EngineWhisper:
		return NewWhisper(cfg)
	case EngineCloud:
		if cfg.CloudURL == "" {
			return nil, errors.New("the cloud engine sends dictations off the machine: it needs an explicit --cloud-url")
		}
		return nil, ErrCloudNotBuilt
	}
	return nil, fmt.Errorf("unknown engine %q (want %s, %s or %s)", cfg.Engine, EnginePocketSphinx, EngineWhisper, EngineCloud)
}

// Close releases an engine's temporary files, if it has any.
func Close(e Engine) {
	if c, ok := e.(interface{ Close() error }); ok {
		c.Close()
	}
}

// limit bounds one run: how long, and the clock that says when that is over.
type limit struct {
	d      time.Duration
	expire func(time.Duration) <-chan time.Time // nil: time.After
	dir    string                               // the folder the program runs in ("": the current one)
}

// timeout is the bound on one run over a.
func (c Config) timeout(a Audio) limit {
	if c.Timeout > 0 {
		return limit{d: c.Timeout, expire: c.Expire}
	}
	return limit{d: 60*time.Second + time.Duration(4*a.Seconds*float64(time.Second)), expire: c.Expire}
}

// errHung is the cause of a run's end at its time-out.
var errHung = errors.New("the run's time is up")

// RunError is a recogniser run that failed: crashed, hung (killed at the time-out) or refused
// its input. Tail is the end of what it wrote to stderr or its log.
type RunError struct {
	Program string
	Err     error
	TimeOut time.Duration // > 0: killed after this long
	Tail    string
}

func (e *RunError) Error() string {
	var s string
	if e.TimeOut > 0 {
		s = fmt.Sprintf("%s hung: killed after %v", e.Program, e.TimeOut.Round(time.Second))
	} else {
		s = fmt.Sprintf("%s failed: %v", e.Program, e.Err)
	}
	if e.Tail != "" {
		s += " (" + e.Tail + ")"
	}
	return s
}

func (e *RunError) Unwrap() error { return e.Err }

// run executes a recogniser in its own process group, killed whole at the time-out, and
// returns its standard output. logPath, when set, is the file it logs to, read for the tail
// of a failure.
func run(ctx context.Context, lim limit, logPath, bin string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	expire := lim.expire
	if expire == nil {
		expire = time.After
	}
	over := expire(lim.d)
	ended := make(chan struct{})
	defer close(ended)
	go func() {
		select {
		case <-over:
			cancel(errHung)
		case <-ended:
		}
	}()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = lim.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second // a child that kept the pipes open cannot hold Wait
	var stderr strings.Builder
	cmd.Stderr = &limitWriter{w: &stderr, n: 64 << 10}
	out, err := cmd.Output()
	if err == nil {
		return out, nil
	}
	tail := stderr.String()
	if logPath != "" {
		if b, rerr := os.ReadFile(logPath); rerr == nil {
			tail += string(b)
		}
	}
	re := &RunError{Program: bin, Err: err, Tail: lastLines(tail, 2)}
	if errors.Is(context.Cause(ctx), errHung) {
		re.TimeOut = lim.d
	}
	return nil, re
}

type limitWriter struct {
	w interface{ WriteString(string) (int, error) }
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.WriteString(string(p[:k]))
		l.n -= k
	}
	return len(p), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, " / "))
}

// finite reports whether all of xs are finite numbers.
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
