// Package enroll is a reader's speaker enrollment recorded in the station: each line of the
// enrollment script recorded with the station's microphone, through the capture code the
// reading uses (audio.Lines), into the reader's enrollment folder (where `sightline enroll`
// keeps its recordings), and the adaptation run from there as `sightline enroll` runs it
// (transcribe.Enroll), stopped when the station quits.
package enroll

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"sightline/reader/audio"
	"sightline/reader/study"
	"sightline/reader/transcribe"
)

// Station is an enrollment being recorded.
type Station struct {
	studyDir, reader, enrollDir string
	lines                       *audio.Lines
	log                         io.Writer

	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	adapted chan struct{} // closed when an adaptation under way ends (nil: none)
	closed  bool
}

// adaptStopWait bounds how long Close waits for an adaptation under way to stop.
const adaptStopWait = 10 * time.Second

// ErrClosing is an adaptation asked for as the enrollment closes.
var ErrClosing = errors.New("the enrollment is closing")

// Open opens the microphone mic names for reader's enrollment in studyDir. No microphone, or
// a default input that records the speakers (chosen: the device was not named by the
// operator), is refused with what to do. log is told of the adaptation's outcome.
func Open(studyDir, reader string, mic audio.Config, chosen bool, log io.Writer) (*Station, error) {
	if err := study.Check(studyDir); err != nil {
		return nil, err
	}
	s := &Station{studyDir: studyDir, reader: reader, log: log}
	var err error
	if s.enrollDir, err = study.EnrollmentDir(studyDir, reader); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.enrollDir, 0o755); err != nil {
		return nil, fmt.Errorf("enrollment folder: %w", err)
	}
	if mic.Device == "none" {
		return nil, errors.New("enrollment records the reader's voice: this station runs with --audio none")
	}
	if s.lines, err = audio.RecordLines(mic, s.enrollDir, len(transcribe.EnrollmentScript())); err != nil {
		if errors.Is(err, audio.ErrNoDevice) {
			return nil, fmt.Errorf("no microphone: %w. Connect one (or choose it in Settings…) and enroll again", err)
		}
		return nil, fmt.Errorf("open the microphone: %w", err)
	}
	if c := s.lines.Capture(); c.Monitor() && !chosen {
		s.lines.Close()
		return nil, fmt.Errorf("the default sound input %q records what this computer plays, not a microphone: choose a microphone in Settings… and enroll again", c.Device())
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Script is the enrollment script's lines, in order, as the reader reads them.
func Script() []string {
	script := transcribe.EnrollmentScript()
	lines := make([]string, len(script))
	for i, w := range script {
		lines[i] = strings.Join(w, " ")
	}
	return lines
}

// Lines records the script's lines (Start, Stop, Drop, Recorded, Level).
func (s *Station) Lines() *audio.Lines { return s.lines }

// Adapt adapts the recogniser to the recorded lines, as `sightline enroll` does: what to tell
// the reader.
func (s *Station) Adapt() (string, error) {
	done := make(chan struct{})
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", ErrClosing
	}
	s.adapted = done
	s.mu.Unlock()
	defer close(done)
	a, acoustic, err := transcribe.Enroll(s.ctx, s.studyDir, s.reader, s.enrollDir, nil)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(s.log, "sightline: enrolled %s: %s (%s, %d words, %.0f s of recordings) in %s\n",
		s.reader, a.ID, a.Method, a.Words, a.AudioSeconds, acoustic)
	return fmt.Sprintf("Your model is ready (%s, from %d lines, %.0f s of your voice). Your dictations are drafted with it from now on.",
		a.ID, a.Recordings, a.AudioSeconds), nil
}

// Close stops the enrollment: a line being recorded is dropped (the lines kept stay), the
// microphone is closed, and an adaptation under way is stopped (the reader's earlier model, if
// any, stays whole). Once.
func (s *Station) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	adapted := s.adapted
	s.mu.Unlock()
	s.lines.Close()
	s.cancel()
	if adapted != nil {
		fmt.Fprintf(s.log, "sightline: stopping %s's adaptation (the recorded lines are kept)\n", s.reader)
		// The adaptation's programs are killed at once; its work folder (tens of MB) is
		// removed after them: wait for that, within reason.
		select {
		case <-adapted:
		case <-time.After(adaptStopWait):
			fmt.Fprintf(s.log, "sightline: the adaptation did not stop within %v; its temporary folder may be left\n", adaptStopWait)
		}
	}
}
