package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sightline/reader/dicomimg"
	"sightline/reader/display"
	"sightline/reader/reading"
	"sightline/reader/replay"
	"sightline/reader/stage"
	"sightline/reader/study"
	"sightline/tracker"
	"sightline/tracker/gazesim"
	"sightline/tracker/opengaze"
)

// gazeSource is the tracker a session reads from, with what the station can do with it.
type gazeSource struct {
	tracker.Tracker
	spec       string
	pointer    func(fx, fy float64, inside bool) // mouse-as-gaze only
	calibrator reading.Calibrator                // devices with their own calibration
	close      func()                            // stops what the source started (the simulator)
	status     atomic.Pointer[string]            // the connection's latest state, for the console
}

// Status is the tracker connection's latest state, for the operator.
func (g *gazeSource) Status() string {
	if p := g.status.Load(); p != nil {
		return *p
	}
	return g.spec
}

// openGaze builds the gaze source named by spec: "mouse", "sim" (the Gazepoint simulator
// in-process, spoken to over loopback TCP like a real GP3), "opengaze://HOST:PORT", or
// "replay:FILE".
func openGaze(spec string, rate float64, seed int64, st *study.Study, clock func() time.Duration, log *slog.Logger) (*gazeSource, error) {
	switch {
	case spec == "mouse":
		m := tracker.NewMouse(rate, clock)
		return &gazeSource{Tracker: m, spec: spec, pointer: m.SetPointer, close: func() {}}, nil
	case spec == "sim":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("start the gaze simulator: %w", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		srv := gazesim.New(gazesim.Config{Rate: rate, Seed: seed, Scenes: scenes(st, log)})
		go func() {
			defer close(done)
			if err := srv.Serve(ctx, l); err != nil {
				log.Error("gaze simulator stopped", "err", err)
			}
		}()
		src := openGazeClient(l.Addr().String(), clock, log)
		src.spec = "sim"
		src.close = func() { cancel(); <-done }
		return src, nil
	case strings.HasPrefix(spec, "opengaze://"):
		addr := strings.TrimPrefix(spec, "opengaze://")
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("--tracker %s: want opengaze://HOST:PORT: %w", spec, err)
		}
		return openGazeClient(addr, clock, log), nil
	case strings.HasPrefix(spec, "replay:"):
		path := strings.TrimPrefix(spec, "replay:")
		r, err := replay.Open(path, 1, clock)
		if err != nil {
			return nil, fmt.Errorf("--tracker %s: %w", spec, err)
		}
		return &gazeSource{Tracker: r, spec: spec, close: func() {}}, nil
	}
	return nil, fmt.Errorf("--tracker %q: want mouse, sim, opengaze://HOST:PORT or replay:FILE", spec)
}

func openGazeClient(addr string, clock func() time.Duration, log *slog.Logger) *gazeSource {
	up := make(chan struct{})
	var once sync.Once
	src := &gazeSource{spec: "opengaze://" + addr, close: func() {}}
	c := opengaze.New(opengaze.Config{
		Addr:  addr,
		Clock: clock,
		OnStatus: func(s opengaze.Status) {
			log.Info("tracker", "status", s.String())
			text := s.String()
			src.status.Store(&text)
			if s.State == opengaze.StateConnected {
				once.Do(func() { close(up) })
			}
		},
	})
	src.Tracker, src.calibrator = c, ogCalibrator{c: c, up: up}
	return src
}

// NinePoints is the 9-point calibration grid the paper used.
var NinePoints = []opengaze.Point{
	{X: 0.1, Y: 0.1}, {X: 0.5, Y: 0.1}, {X: 0.9, Y: 0.1},
	{X: 0.1, Y: 0.5}, {X: 0.5, Y: 0.5}, {X: 0.9, Y: 0.5},
	{X: 0.1, Y: 0.9}, {X: 0.5, Y: 0.9}, {X: 0.9, Y: 0.9},
}

// ogCalibrator runs the Open Gaze calibration for the reading run.
type ogCalibrator struct {
	c    *opengaze.Client
	up   <-chan struct{} // closed once the tracker has connected
	wait time.Duration   // for the first connection; 0 means connectWait
	// after times the waits; nil means time.After (the tests fire them by hand).
	after func(time.Duration) <-chan time.Time
}

// noTracker is a calibration that gave up waiting for the tracker's first connection.
type noTracker struct{ wait time.Duration }

func (e noTracker) Error() string {
	return fmt.Sprintf("the eye tracker did not connect within %s", e.wait)
}

// Is makes the run see it as reading.ErrNoTracker.
func (noTracker) Is(target error) bool { return target == reading.ErrNoTracker }

// connectGrace is how long the station waits for the tracker before saying it waits.
const connectGrace = 300 * time.Millisecond

// connectWait bounds how long a calibration waits for the tracker's first connection.
const connectWait = 15 * time.Second

// calStartWait bounds how long a connected tracker may take to show its first calibration
// point. A GP3 shows it within a second of being asked; one that has shown nothing in 5 s
// does not calibrate, and the reader is told so rather than left before a waiting line for the
// calibration's whole budget (41.5 s for nine points).
const calStartWait = 5 * time.Second

// connected waits for the tracker to connect. The session starts with the calibration,
// usually before the tracker has answered; a tracker that answers at once is not announced
// (the line would only flash).
func (o ogCalibrator) connected(ctx context.Context, p reading.CalProgress, after func(time.Duration) <-chan time.Time) error {
	select {
	case <-o.up:
	case <-ctx.Done():
		return ctx.Err()
	case <-after(connectGrace):
		p.Waiting("waiting for the eye tracker to connect")
		select {
		case <-o.up:
		case <-ctx.Done():
			return ctx.Err()
		case <-after(cmp.Or(o.wait, connectWait)):
			return noTracker{cmp.Or(o.wait, connectWait)}
		}
	}
	return nil
}

func (o ogCalibrator) Calibrate(ctx context.Context, p reading.CalProgress) (reading.CalSummary, error) {
	after := o.after
	if after == nil {
		after = time.After
	}
	if err := o.connected(ctx, p, after); err != nil {
		return reading.CalSummary{}, err
	}
	p.Waiting("starting the eye tracker's calibration")
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	shown := make(chan struct{}) // closed at the device's first calibration point
	var once sync.Once
	type outcome struct {
		res opengaze.CalResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := o.c.Calibrate(cctx, NinePoints, 1250*time.Millisecond, 500*time.Millisecond, func(e opengaze.CalEvent) {
			switch {
			case e.Kind == opengaze.CalPointStart:
				once.Do(func() { close(shown) })
				p.Target(e.X, e.Y)
			case e.Kind == opengaze.CalPointDone && e.Point == len(NinePoints):
				p.Waiting("waiting for the eye tracker's calibration result")
			}
		})
		done <- outcome{res, err}
	}()
	var out outcome
	select {
	case out = <-done:
	case <-shown:
		out = <-done
	case <-after(calStartWait):
		select {
		case <-shown: // it began just now
			out = <-done
		default:
			cancel() // Calibrate stops the device's calibration as it returns
			<-done
			return reading.CalSummary{}, fmt.Errorf("%w: it showed no calibration point within %s", reading.ErrNoCalibration, calStartWait)
		}
	}
	res, err := out.res, out.err
	if errors.Is(err, opengaze.ErrNotConnected) {
		err = fmt.Errorf("%w: %w", err, reading.ErrNoTracker)
	}
	if err != nil {
		return reading.CalSummary{}, err
	}
	s := reading.CalSummary{AveErrorPx: res.AveErrorPx, ValidPoints: res.ValidPoints}
	for _, p := range res.Points {
		s.Points = append(s.Points, reading.CalPoint{X: p.X, Y: p.Y, LX: p.LX, LY: p.LY, RX: p.RX, RY: p.RY,
			LValid: p.LV, RValid: p.RV})
	}
	return s, nil
}

// scenes tells the simulator what each case looks like: its condition and its boxes in stage
// fractions. The image size comes from the DICOM header when the case is first asked for.
func scenes(st *study.Study, log *slog.Logger) func(string) (gazesim.Scene, bool) {
	if st == nil {
		return nil
	}
	return func(id string) (gazesim.Scene, bool) {
		c, ok := st.Case(id)
		if !ok {
			return gazesim.Scene{}, false
		}
		path, err := st.DicomPath(c)
		if err != nil {
			return gazesim.Scene{}, false
		}
		var w, h int
		if sc, serr := display.ReadSidecar(display.Path(st.Dir, id)); serr == nil {
			w, h, err = sc.W, sc.H, nil
		} else {
			w, h, err = dicomimg.Size(path)
		}
		if err != nil {
			log.Warn("simulator scene: image size unknown", "dicom_id", id, "err", err)
			return gazesim.Scene{}, false
		}
		l := stage.Fit(w, h)
		sc := gazesim.Scene{Condition: c.Condition}
		for _, b := range st.Boxes[id] {
			x1, y1 := l.ToStage(b.X1, b.Y1)
			x2, y2 := l.ToStage(b.X2, b.Y2)
			sc.Targets = append(sc.Targets, gazesim.Target{Name: b.Name, X1: x1, Y1: y1, X2: x2, Y2: y2, Weight: 1})
		}
		return sc, true
	}
}
