package reading

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sightline/tracker"
	"sightline/tracker/gazesim"
	"sightline/tracker/opengaze"
)

// TestNoTrackerError: the calibration's give-up reads as one sentence and is the run's
// ErrNoTracker.
func TestNoTrackerError(t *testing.T) {
	err := error(noConnection{connectWait})
	if !errors.Is(err, ErrNoTracker) || err.Error() != "the eye tracker did not connect within 15s" {
		t.Fatalf("%v (is ErrNoTracker: %v)", err, errors.Is(err, ErrNoTracker))
	}
}

// TestCalibratorSaysItWaits: waiting for a tracker that does not connect is said on the
// reader's screen (after a short grace), and ends with ErrNoTracker.
func TestCalibratorSaysItWaits(t *testing.T) {
	var waits []string
	p := CalProgress{Target: func(x, y float64) { t.Errorf("target (%v, %v) without a tracker", x, y) },
		Waiting: func(w string) { waits = append(waits, w) }}
	_, err := OpenGazeCalibrator{Up: make(chan struct{}), Wait: 10 * time.Millisecond}.Calibrate(context.Background(), p)
	if !errors.Is(err, ErrNoTracker) {
		t.Fatalf("err %v, want ErrNoTracker", err)
	}
	if len(waits) != 1 || waits[0] != "waiting for the eye tracker to connect" {
		t.Fatalf("waits %q", waits)
	}
	// A tracker already there is not announced.
	up := make(chan struct{})
	close(up)
	waits = nil
	c := opengaze.New(opengaze.Config{Addr: "127.0.0.1:1"}) // no Stream: Calibrate finds no connection
	_, err = OpenGazeCalibrator{Client: c, Up: up}.Calibrate(context.Background(), p)
	if !errors.Is(err, opengaze.ErrNotConnected) || !errors.Is(err, ErrNoTracker) {
		t.Errorf("calibrating without a connection: %v", err)
	}
	if len(waits) != 1 || waits[0] != "starting the eye tracker's calibration" {
		t.Fatalf("waits with a connected tracker: %q", waits)
	}
}

// TestDeviceThatDoesNotCalibrate: a tracker that connects and acknowledges CALIBRATE_START but
// never shows a calibration point is given up on after calStartWait (5 s, on the clock the
// calibrator is given: here a channel the test fires), with the run's ErrNoCalibration, not
// after the calibration's whole 41.5 s budget.
func TestDeviceThatDoesNotCalibrate(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srvDone := make(chan error, 1)
	go func() { srvDone <- gazesim.New(gazesim.Config{Seed: 3, NoCalibration: true}).Serve(ctx, l) }()
	up := make(chan struct{})
	var once sync.Once
	c := opengaze.New(opengaze.Config{Addr: l.Addr().String(), Clock: func() time.Duration { return 0 },
		OnStatus: func(s opengaze.Status) {
			if s.State == opengaze.StateConnected {
				once.Do(func() { close(up) })
			}
		}})
	streamDone := make(chan error, 1)
	go func() { streamDone <- c.Stream(ctx, func(tracker.Sample) {}) }()
	defer func() { cancel(); <-streamDone; <-srvDone }()

	cal := OpenGazeCalibrator{Client: c, Up: up}
	fire := make(chan time.Time)
	var asked []time.Duration
	var mu sync.Mutex
	cal.After = func(d time.Duration) <-chan time.Time {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, d)
		return fire
	}
	starting := make(chan struct{})
	p := CalProgress{Target: func(x, y float64) { t.Errorf("target (%v, %v) from a device that does not calibrate", x, y) },
		Waiting: func(w string) {
			if w == "starting the eye tracker's calibration" {
				close(starting)
			}
		}}
	done := make(chan error, 1)
	go func() { _, err := cal.Calibrate(ctx, p); done <- err }()
	<-starting
	close(fire) // calStartWait is up
	select {
	case err := <-done:
		if !errors.Is(err, ErrNoCalibration) {
			t.Fatalf("err %v, want ErrNoCalibration", err)
		}
		if !strings.Contains(err.Error(), "5s") {
			t.Errorf("err %q does not say how long the station waited", err)
		}
	case <-time.After(30 * time.Second): // the old budget was 41.5 s
		t.Fatal("the calibration did not give up once its start wait was over")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(asked, calStartWait) || calStartWait != 5*time.Second {
		t.Errorf("waits asked %v, want calStartWait (5 s) among them", asked)
	}
}
