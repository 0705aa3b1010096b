package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"sightline/reader/reading"
	"sightline/tracker"
	"sightline/tracker/opengaze"
	"sightline/tracker/quality"
)

// TestAssessWithoutSamplesFails: a validation with no samples (the tracker is not there) is a
// failure the reader cannot accept, not an accuracy of −1°.
func TestAssessWithoutSamplesFails(t *testing.T) {
	var pts []reading.Point
	for _, p := range quality.DefaultValidationTargets() {
		pts = append(pts, reading.Point{X: p.X, Y: p.Y})
	}
	v := assess(make([][]tracker.Sample, len(pts)), pts, 60, tracker.PaperViewing())
	if v.Verdict != reading.VerdictFailed || v.Acceptable() || len(v.Reasons) == 0 {
		t.Fatalf("validation without samples: verdict %q, reasons %q", v.Verdict, v.Reasons)
	}
}

// TestNoTrackerError: the calibration's give-up reads as one sentence and is the run's
// ErrNoTracker.
func TestNoTrackerError(t *testing.T) {
	err := error(noTracker{connectWait})
	if !errors.Is(err, reading.ErrNoTracker) || err.Error() != "the eye tracker did not connect within 15s" {
		t.Fatalf("%v (is ErrNoTracker: %v)", err, errors.Is(err, reading.ErrNoTracker))
	}
}

// TestCalibratorSaysItWaits: waiting for a tracker that does not connect is said on the
// reader's screen (after a short grace), and ends with ErrNoTracker.
func TestCalibratorSaysItWaits(t *testing.T) {
	var waits []string
	p := reading.CalProgress{Target: func(x, y float64) { t.Errorf("target (%v, %v) without a tracker", x, y) },
		Waiting: func(w string) { waits = append(waits, w) }}
	_, err := ogCalibrator{up: make(chan struct{}), wait: 10 * time.Millisecond}.Calibrate(context.Background(), p)
	if !errors.Is(err, reading.ErrNoTracker) {
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
	_, err = ogCalibrator{c: c, up: up}.Calibrate(context.Background(), p)
	if !errors.Is(err, opengaze.ErrNotConnected) || !errors.Is(err, reading.ErrNoTracker) {
		t.Errorf("calibrating without a connection: %v", err)
	}
	if len(waits) != 1 || waits[0] != "starting the eye tracker's calibration" {
		t.Fatalf("waits with a connected tracker: %q", waits)
	}
}
