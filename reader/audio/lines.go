package audio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"sightline/reader/wav"
)

// Lines records numbered lines read aloud (an enrollment script) with a capture, each into
// NN.wav (line 1 is 01.wav) in a folder. A line is recorded into a hidden part file beside it
// and kept, in place of the line's earlier recording, only when Stop ends it: a line cut off
// (the station stopped mid-line) never passes for a recording.
type Lines struct {
	cap *Capture
	dir string
	n   int

	mu     sync.Mutex
	rec    *WAV // the line being recorded; nil between lines
	line   int
	recErr error
	closed bool
}

// ErrLinesClosed is a line asked for once the recorder is closed.
var ErrLinesClosed = errors.New("the recording is closing")

// RecordLines opens the capture cfg names for n lines recorded in dir.
func RecordLines(cfg Config, dir string, n int) (*Lines, error) {
	l := &Lines{dir: dir, n: n}
	start := time.Now()
	clock := func() time.Duration { return time.Since(start) } // only the lines' lengths matter
	var err error
	if l.cap, err = Start(context.Background(), cfg, clock, l.onBlock); err != nil {
		return nil, err
	}
	return l, nil
}

// Capture is the capture the lines are recorded with (its device, its level).
func (l *Lines) Capture() *Capture { return l.cap }

// Path is the recording of line i (from 0): NN.wav.
func (l *Lines) Path(i int) string {
	return filepath.Join(l.dir, fmt.Sprintf("%02d.wav", i+1))
}

func (l *Lines) partPath(i int) string {
	return filepath.Join(l.dir, fmt.Sprintf(".%02d.wav.part", i+1))
}

// Recorded lists the lines with a readable recording, and their seconds.
func (l *Lines) Recorded() (map[int]float64, error) {
	out := map[int]float64{}
	for i := range l.n {
		info, err := wav.Inspect(l.Path(i))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.Path(i), err)
		}
		out[i] = float64(info.Frames()) / float64(max(info.Rate, 1))
	}
	return out, nil
}

// Level is the microphone's level now, in dBFS.
func (l *Lines) Level() float64 { return l.cap.Level().RMS }

// onBlock runs on the capture's delivery goroutine: the line being recorded takes the block.
func (l *Lines) onBlock(b Block) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rec != nil && l.recErr == nil {
		l.recErr = l.rec.Write(b.PCM)
	}
}

// Start starts recording line i.
func (l *Lines) Start(i int) error {
	if l.cap.Over() {
		return fmt.Errorf("the microphone stopped: %v", l.cap.Err())
	}
	w, err := Create(l.partPath(i), l.cap.Rate(), l.cap.Channels())
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		w.Close()
		os.Remove(l.partPath(i))
		return ErrLinesClosed
	}
	l.rec, l.line, l.recErr = w, i, nil
	return nil
}

// Stop ends the line's recording and keeps it in place of the line's earlier one: its seconds.
func (l *Lines) Stop() (float64, error) {
	l.mu.Lock()
	w, i, werr := l.rec, l.line, l.recErr
	l.rec = nil
	l.mu.Unlock()
	if w == nil {
		return 0, errors.New("no line is being recorded")
	}
	secs := float64(w.Frames()) / float64(w.Rate())
	if err := errors.Join(werr, w.Close()); err != nil {
		os.Remove(l.partPath(i))
		return 0, fmt.Errorf("record line %d: %w", i+1, err)
	}
	if err := os.Rename(l.partPath(i), l.Path(i)); err != nil {
		return 0, fmt.Errorf("keep line %d: %w", i+1, err)
	}
	return secs, nil
}

// Drop ends the line's recording and removes it.
func (l *Lines) Drop() {
	l.mu.Lock()
	w, i := l.rec, l.line
	l.rec = nil
	l.mu.Unlock()
	if w != nil {
		w.Close()
		os.Remove(l.partPath(i))
	}
}

// Close drops a line being recorded (the lines kept stay), refuses further lines and stops
// the capture. Once.
func (l *Lines) Close() {
	l.mu.Lock()
	closed := l.closed
	l.closed = true
	l.mu.Unlock()
	if closed {
		return
	}
	l.Drop()
	_ = l.cap.Stop()
}
