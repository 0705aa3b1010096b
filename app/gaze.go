package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sightline/reader/display"
	"sightline/reader/reading"
	"sightline/reader/replay"
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
	src.Tracker, src.calibrator = c, reading.OpenGazeCalibrator{Client: c, Up: up}
	return src
}

// scenes tells the simulator what each case looks like (display.SimScenes), logging a case
// whose image size is unknown.
func scenes(st *study.Study, log *slog.Logger) func(string) (gazesim.Scene, bool) {
	return display.SimScenes(st, func(id string, err error) {
		log.Warn("simulator scene: image size unknown", "dicom_id", id, "err", err)
	})
}
