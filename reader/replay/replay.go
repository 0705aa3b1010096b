// Package replay provides a Tracker that plays back a recorded EGD-CXR eye_gaze.csv.
package replay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"sightline/reader/egd"
	"sightline/tracker"
)

// MaxPause is the longest wait between two rows at speed 1: the tick gap between cases or
// sessions (minutes, or days between sessions) is cut to it, so a replay moves on.
const MaxPause = time.Second

// DefaultRate is the rate reported for a file too short to measure one: a GP3's.
const DefaultRate = 60

// rateProbe is how many rows Open reads to measure the rate (and to check the file).
const rateProbe = 120

// Replay is a Tracker that replays an eye_gaze.csv (docs/FORMATS.md §1) row by row, each row a
// Sample with every field the row carries. It reads the file as it plays, so files of any size
// replay in constant memory. Safe for concurrent use; one Stream at a time.
type Replay struct {
	path  string
	speed float64
	clock func() time.Duration
	rate  float64

	mu    sync.Mutex // guards marks
	marks []string

	streaming atomic.Bool
}

// Open prepares a replay of the eye_gaze.csv at path. It reads the header and the first rows
// (so that a file that is not a gaze file fails here, naming the file and line) and measures
// the sampling rate from their TIMETICK steps. speed is how many times faster than recorded the
// rows come: 1 is real time, 0 as fast as the receiver takes them. clock is the host monotonic
// time since the session's clock origin, stamped into Host; nil means time since Open.
func Open(path string, speed float64, clock func() time.Duration) (*Replay, error) {
	if !(speed >= 0) || math.IsInf(speed, 0) {
		return nil, fmt.Errorf("replay %s: speed %v: must be 0 (as fast as possible) or positive", path, speed)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	var steps []int64
	var prev egd.GazeRecord
	rows := 0
	err = egd.ReadGaze(f, path, func(_ int, g egd.GazeRecord) error {
		if rows > 0 && sameMedia(&prev, &g) {
			if d := g.TimeTick - prev.TimeTick; d > 0 {
				steps = append(steps, d)
			}
		}
		prev = g
		if rows++; rows == rateProbe {
			return errProbed
		}
		return nil
	})
	if err != nil && !errors.Is(err, errProbed) {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if clock == nil {
		t0 := time.Now()
		clock = func() time.Duration { return time.Since(t0) }
	}
	return &Replay{path: path, speed: speed, clock: clock, rate: rateOf(steps)}, nil
}

var _ tracker.Tracker = (*Replay)(nil)

var (
	errProbed  = errors.New("probed")
	errStopped = errors.New("stopped")
)

// rateOf is the rate from the median tick step, rounded to whole hertz (devices declare whole
// rates: 60 for a GP3, 150 for a GP3 HD); DefaultRate without steps.
func rateOf(steps []int64) float64 {
	if len(steps) == 0 {
		return DefaultRate
	}
	slices.Sort(steps)
	return max(1, math.Round(egd.TickHz/float64(steps[len(steps)/2])))
}

// sameMedia reports whether two rows belong to the same image of the same session, where CNT
// and Time run on.
func sameMedia(a, b *egd.GazeRecord) bool {
	return a.SessionID == b.SessionID && a.MediaID == b.MediaID && a.DicomID == b.DicomID
}

// Name is "replay " and the file's path.
func (r *Replay) Name() string { return "replay " + r.path }

// Rate is the sampling rate measured from the file's first rows, in Hz.
func (r *Replay) Rate() float64 { return r.rate }

// Speed is the replay speed: 1 real time, 0 as fast as possible.
func (r *Replay) Speed() float64 { return r.speed }

// Mark puts label into the User field of the next sample replayed. Marks made between two
// samples are queued and appear on consecutive samples, one each.
func (r *Replay) Mark(label string) error {
	if label == "" {
		return errors.New("replay: mark: empty label")
	}
	r.mu.Lock()
	r.marks = append(r.marks, label)
	r.mu.Unlock()
	return nil
}

// Stream replays the file from its first row, emitting each row's Sample, and returns nil at
// the end of the file or when ctx is done; a row that fails to parse ends it with an error
// naming the file, line and column. See StreamRecords.
func (r *Replay) Stream(ctx context.Context, emit func(tracker.Sample)) error {
	return r.StreamRecords(ctx, func(_ int, g egd.GazeRecord) { emit(g.Sample) })
}

// StreamRecords is Stream with the whole row: its line in the file, the session, media and
// DICOM ids (to follow image changes) and the mapped X_ORIGINAL, Y_ORIGINAL.
//
// The Sample carries every device field of the row, with TickFreq 10,000,000, Host from the
// clock at emission, Lost set from a CNT gap within one image, and User from Mark. Pacing
// follows the TIMETICK steps (Time restarts for every image; the tick does not), divided by the
// speed, each step cut to [0, MaxPause]. Rows are due on an absolute schedule from the first
// one, so a slow receiver makes the replay catch up rather than drift.
func (r *Replay) StreamRecords(ctx context.Context, emit func(line int, row egd.GazeRecord)) error {
	if !r.streaming.CompareAndSwap(false, true) {
		return fmt.Errorf("replay %s: already streaming", r.path)
	}
	defer r.streaming.Store(false)
	if ctx.Err() != nil {
		return nil
	}
	f, err := os.Open(r.path)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer f.Close()

	var (
		start time.Time
		due   time.Duration // when the row is due, after start
		prev  egd.GazeRecord
		rows  int
		timer *time.Timer
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	err = egd.ReadGaze(f, r.path, func(line int, g egd.GazeRecord) error {
		if ctx.Err() != nil {
			return errStopped
		}
		if rows == 0 {
			start = time.Now()
		} else if r.speed > 0 {
			due += step(prev.TimeTick, g.TimeTick, r.speed)
			if wait := time.Until(start.Add(due)); wait > 0 {
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				select {
				case <-ctx.Done():
					return errStopped
				case <-timer.C:
				}
			}
		}
		s := &g.Sample
		if rows > 0 && sameMedia(&prev, &g) && g.CNT > prev.CNT+1 {
			s.Lost = g.CNT - prev.CNT - 1
		}
		s.User = r.nextMark()
		s.Host = r.clock()
		prev = g
		rows++
		emit(line, g)
		return nil
	})
	if err != nil && !errors.Is(err, errStopped) {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}

// step is the wait between rows with ticks prev and next at speed: the tick difference in
// time, cut to [0, MaxPause], divided by speed.
func step(prev, next int64, speed float64) time.Duration {
	const nsPerTick = int64(time.Second) / egd.TickHz
	const maxTicks = int64(MaxPause) / nsPerTick
	if next <= prev {
		return 0
	}
	d := next - prev
	if d <= 0 || d > maxTicks { // d <= 0: the difference overflowed
		d = maxTicks
	}
	return time.Duration(float64(d*nsPerTick) / speed)
}

// nextMark takes the oldest pending mark, or "".
func (r *Replay) nextMark() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.marks) == 0 {
		return ""
	}
	m := r.marks[0]
	r.marks[0] = ""
	r.marks = r.marks[1:]
	return m
}
