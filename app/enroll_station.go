package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"sightline/reader/audio"
	"sightline/reader/study"
	"sightline/reader/transcribe"
	"sightline/reader/wav"
	"sightline/ui"
)

// Speaker enrollment recorded in the station (ui.Enroll): each line of the enrollment script
// is recorded with the station's microphone, through the capture code the reading uses, into
// STUDY/readers/NAME/enrollment/NN.wav (as `sightline enroll` keeps them); the adaptation is
// transcribe.Adapt, as `sightline enroll` runs it.

// stationEnroll is an enrollment being recorded.
type stationEnroll struct {
	o         *Options
	studyDir  string
	reader    string
	enrollDir string
	acoustic  string
	cap       *audio.Capture

	mu      sync.Mutex
	rec     *audio.WAV // the line being recorded; nil between lines
	line    int
	recErr  error
	ctx     context.Context
	cancel  context.CancelFunc
	adapted chan struct{} // closed when an adaptation under way ends (nil: none)
	closed  bool
}

// adaptStopWait bounds how long a quit waits for an adaptation under way to stop.
const adaptStopWait = 10 * time.Second

// errEnrollClosing is a recording or an adaptation asked for as the enrollment closes.
var errEnrollClosing = errors.New("the enrollment is closing")

// enrollInStation opens the microphone for reader's enrollment in studyDir. No microphone, or
// a default input that records the speakers, is refused with what to do.
func enrollInStation(o *Options, studyDir, reader string, back func()) (ui.EnrollCommands, error) {
	if err := study.Check(studyDir); err != nil {
		return ui.EnrollCommands{}, err
	}
	e := &stationEnroll{o: o, studyDir: studyDir, reader: reader}
	var err error
	if e.enrollDir, err = study.EnrollmentDir(studyDir, reader); err != nil {
		return ui.EnrollCommands{}, err
	}
	if e.acoustic, err = study.AcousticDir(studyDir, reader); err != nil {
		return ui.EnrollCommands{}, err
	}
	if err := os.MkdirAll(e.enrollDir, 0o755); err != nil {
		return ui.EnrollCommands{}, fmt.Errorf("enrollment folder: %w", err)
	}
	if o.Audio == "none" {
		return ui.EnrollCommands{}, errors.New("enrollment records the reader's voice: this station runs with --audio none")
	}
	start := monotonic()
	clock := func() time.Duration { return monotonic() - start }
	e.cap, err = audio.Start(context.Background(), audio.Config{Device: o.Audio, Backend: o.AudioBackend}, clock, e.onBlock)
	if err != nil {
		if errors.Is(err, audio.ErrNoDevice) {
			return ui.EnrollCommands{}, fmt.Errorf("no microphone: %w. Connect one (or choose it in Settings…) and enroll again", err)
		}
		return ui.EnrollCommands{}, fmt.Errorf("open the microphone: %w", err)
	}
	if e.cap.Monitor() && !o.audioSet {
		dev := e.cap.Device()
		_ = e.cap.Stop()
		return ui.EnrollCommands{}, fmt.Errorf("the default sound input %q records what this computer plays, not a microphone: choose a microphone in Settings… and enroll again", dev)
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	atQuit(e.quit)
	script := transcribe.EnrollmentScript()
	lines := make([]string, len(script))
	for i, w := range script {
		lines[i] = strings.Join(w, " ")
	}
	return ui.EnrollCommands{
		Reader: reader, Script: lines, MinLines: transcribe.MinEnrollRecordings,
		Recorded: e.recorded, Start: e.start, Stop: e.stop, Cancel: e.drop,
		Level: func() float64 { return e.cap.Level().RMS },
		Adapt: e.adapt,
		Close: func() {
			e.quit()
			back()
		},
	}, nil
}

// linePath is the recording of script line i (from 0): NN.wav, as `sightline enroll` names it.
func (e *stationEnroll) linePath(i int) string {
	return filepath.Join(e.enrollDir, fmt.Sprintf("%02d.wav", i+1))
}

// recorded lists the lines with a readable recording, and their seconds.
func (e *stationEnroll) recorded() (map[int]float64, error) {
	out := map[int]float64{}
	for i := range transcribe.EnrollmentScript() {
		info, err := wav.Inspect(e.linePath(i))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.linePath(i), err)
		}
		out[i] = float64(info.Frames()) / float64(max(info.Rate, 1))
	}
	return out, nil
}

// onBlock runs on the capture's delivery goroutine: the line being recorded takes the block.
func (e *stationEnroll) onBlock(b audio.Block) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rec != nil && e.recErr == nil {
		e.recErr = e.rec.Write(b.PCM)
	}
}

// partPath is where line i is recorded until Stop keeps it: a hidden file beside, so that a
// line cut off (the station stopped mid-line) never passes for a recording.
func (e *stationEnroll) partPath(i int) string {
	return filepath.Join(e.enrollDir, fmt.Sprintf(".%02d.wav.part", i+1))
}

func (e *stationEnroll) start(i int) error {
	if e.cap.Over() {
		return fmt.Errorf("the microphone stopped: %v", e.cap.Err())
	}
	w, err := audio.Create(e.partPath(i), e.cap.Rate(), e.cap.Channels())
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		w.Close()
		os.Remove(e.partPath(i))
		return errEnrollClosing
	}
	e.rec, e.line, e.recErr = w, i, nil
	return nil
}

// stop ends the line's recording and keeps it in place of the line's earlier one.
func (e *stationEnroll) stop() (float64, error) {
	e.mu.Lock()
	w, i, werr := e.rec, e.line, e.recErr
	e.rec = nil
	e.mu.Unlock()
	if w == nil {
		return 0, errors.New("no line is being recorded")
	}
	secs := float64(w.Frames()) / float64(w.Rate())
	if err := errors.Join(werr, w.Close()); err != nil {
		os.Remove(e.partPath(i))
		return 0, fmt.Errorf("record line %d: %w", i+1, err)
	}
	if err := os.Rename(e.partPath(i), e.linePath(i)); err != nil {
		return 0, fmt.Errorf("keep line %d: %w", i+1, err)
	}
	return secs, nil
}

// drop ends the line's recording and removes it.
func (e *stationEnroll) drop() {
	e.mu.Lock()
	w, i := e.rec, e.line
	e.rec = nil
	e.mu.Unlock()
	if w != nil {
		w.Close()
		os.Remove(e.partPath(i))
	}
}

// adapt adapts the recogniser to the recorded lines, as `sightline enroll` does.
func (e *stationEnroll) adapt() (string, error) {
	done := make(chan struct{})
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return "", errEnrollClosing
	}
	e.adapted = done
	e.mu.Unlock()
	defer close(done)
	rec, err := e.recorded()
	if err != nil {
		return "", err
	}
	script := transcribe.EnrollmentScript()
	var recs []transcribe.Recording
	for i, words := range script {
		if rec[i] > 0 {
			recs = append(recs, transcribe.Recording{Audio: e.linePath(i), Words: words})
		}
	}
	if len(recs) < transcribe.MinEnrollRecordings {
		return "", fmt.Errorf("%d of the %d lines recorded, want at least %d", len(recs), len(script), transcribe.MinEnrollRecordings)
	}
	tools, err := transcribe.FindAdaptTools()
	if err != nil {
		return "", err
	}
	a, err := transcribe.Adapt(e.ctx, tools, transcribe.SphinxHMM, recs, e.reader, e.acoustic, time.Now())
	if err != nil {
		return "", fmt.Errorf("enroll %s: %w", e.reader, err)
	}
	fmt.Fprintf(e.o.Err, "sightline: enrolled %s: %s (%s, %d words, %.0f s of recordings) in %s\n",
		e.reader, a.ID, a.Method, a.Words, a.AudioSeconds, e.acoustic)
	return fmt.Sprintf("Your model is ready (%s, from %d lines, %.0f s of your voice). Your dictations are drafted with it from now on.",
		a.ID, a.Recordings, a.AudioSeconds), nil
}

// quit stops the enrollment: a line being recorded is dropped (the lines kept stay), an
// adaptation under way is stopped (the reader's earlier model, if any, stays whole), and the
// microphone is closed. Once.
func (e *stationEnroll) quit() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	adapted := e.adapted
	e.mu.Unlock()
	e.drop()
	e.cancel()
	if adapted != nil {
		fmt.Fprintf(e.o.Err, "sightline: stopping %s's adaptation (the recorded lines are kept)\n", e.reader)
		// The adaptation's programs are killed at once; its work folder (tens of MB) is
		// removed after them: wait for that, within reason.
		select {
		case <-adapted:
		case <-time.After(adaptStopWait):
			fmt.Fprintf(e.o.Err, "sightline: the adaptation did not stop within %v; its temporary folder may be left\n", adaptStopWait)
		}
	}
	_ = e.cap.Stop()
}
