package reading

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"sightline/tracker"
)

// fakeCalibrator moves through its points and returns a fixed summary (or error).
type fakeCalibrator struct {
	pts []Point
	err error
}

func (c fakeCalibrator) Calibrate(ctx context.Context, progress CalProgress) (CalSummary, error) {
	for _, p := range c.pts {
		progress.Target(p.X, p.Y)
	}
	if c.err != nil {
		return CalSummary{}, c.err
	}
	return CalSummary{AveErrorPx: 12.5, ValidPoints: len(c.pts)}, nil
}

// assessCount reports "good" when every target got at least one sample, else "redo".
func assessCount(per [][]tracker.Sample, targets []Point) Validation {
	v := Validation{Verdict: "good"}
	for i := range targets {
		if len(per[i]) == 0 {
			v.Verdict = "redo"
		}
	}
	return v
}

func startChecked(t *testing.T, c *Check) (*Run, *fakeTracker, *fakeRecorder, *fakeView) {
	t.Helper()
	tr, rec, view := newFakeTracker(), &fakeRecorder{}, newFakeView()
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock: func() time.Duration { return 0 }, Check: c,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, tr, rec, view
}

func waitFor(t *testing.T, v *fakeView, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(v.shownList(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("view never showed %q; showed %s", want, v.shownList())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCheckAtStartThenReading(t *testing.T) {
	tick := make(chan time.Time)
	c := &Check{
		Calibrator: fakeCalibrator{pts: []Point{{0.1, 0.1}, {0.9, 0.9}}},
		AtStart:    true,
		Targets:    []Point{{0.3, 0.3}, {0.7, 0.7}},
		Settle:     0, Dwell: time.Millisecond,
		Assess: assessCount,
		After:  func(time.Duration) <-chan time.Time { return tick },
	}
	r, tr, rec, view := startChecked(t, c)
	// The host clock stands still at 0, so every sample falls in each target's window; the
	// test says when each target's time is up.
	waitFor(t, view, "target(0.3,0.3)")
	tr.send(tracker.Sample{BPOGV: true, BPOGX: 0.3, BPOGY: 0.3})
	tick <- time.Time{}
	waitFor(t, view, "target(0.7,0.7)")
	tr.send(tracker.Sample{BPOGV: true, BPOGX: 0.7, BPOGY: 0.7})
	tick <- time.Time{}
	waitFor(t, view, "check1:good")
	if strings.Contains(rec.lines(), "gaze") {
		t.Fatalf("validation gaze was written as case data:\n%s", rec.lines())
	}
	r.Accept()
	waitFor(t, view, "check1:good,a")
	r.End()
	<-r.Done()
	got := view.shownList()
	want := "target(0.1,0.1),target(0.9,0.9),target(0.3,0.3),target(0.7,0.7),check1:good,a"
	if got != want {
		t.Fatalf("view showed %s\nwant %s", got, want)
	}
	if !strings.Contains(rec.lines(), "check 1 good\nevent check_accepted\nbegin 0 a") {
		t.Fatalf("recorder calls:\n%s", rec.lines())
	}
}

func TestRecalibrateFromPauseResumesTheCase(t *testing.T) {
	tick := make(chan time.Time)
	c := &Check{Calibrator: fakeCalibrator{err: errors.New("no eyes found")}, Targets: []Point{{0.5, 0.5}},
		Dwell: time.Millisecond, Assess: assessCount, After: func(time.Duration) <-chan time.Time { return tick }}
	r, tr, rec, view := startChecked(t, c)
	waitFor(t, view, "a")
	r.Recalibrate() // ignored: not paused
	r.Pause()
	r.Recalibrate()
	waitFor(t, view, "target(0.5,0.5)")
	tr.send(tracker.Sample{BPOGV: true, BPOGX: 0.5, BPOGY: 0.5})
	tick <- time.Time{}
	waitFor(t, view, "check1:good")
	r.Accept()
	waitFor(t, view, "check1:good,a") // the same case again
	r.End()
	<-r.Done()
	if l := rec.lines(); strings.Count(l, "begin") != 1 || !strings.Contains(l, "event calibration_failed") {
		t.Fatalf("recorder calls:\n%s", l)
	}
}

func TestPromptAfterEveryCases(t *testing.T) {
	c := &Check{Every: 1, Targets: []Point{{0.5, 0.5}}, Dwell: time.Millisecond, Assess: assessCount}
	r, _, rec, view := startChecked(t, c)
	waitFor(t, view, "a")
	r.Next() // one case read: the prompt comes instead of the next screen
	waitFor(t, view, "prompt")
	r.Next() // ignored behind the prompt
	r.Accept()
	waitFor(t, view, "prompt,calibration-s-1")
	r.End()
	<-r.Done()
	if l := rec.lines(); !strings.Contains(l, "event recalibration_prompted") || !strings.Contains(l, "event recalibration_declined\nbegin 1 calibration-s-1") {
		t.Fatalf("recorder calls:\n%s", l)
	}
}

// holdingView holds the loop inside each Target call until the test lets it go, so that the
// test can queue a sample and the target's time-up together, before the loop looks at either.
type holdingView struct {
	*fakeView
	at      chan struct{}
	release chan struct{}
}

func (v *holdingView) Target(x, y float64) {
	v.fakeView.Target(x, y)
	v.at <- struct{}{}
	<-v.release
}

// TestSampleBeforeTimeUpCountsForItsTarget: a sample taken while a validation target was up
// counts for that target even when the loop finds the target's time up at the same moment
// (both ready in one select: Go picks either). Eight targets, each with its one sample queued
// before its time-up: without the drain a coin toss per target loses samples, and a target
// with none is a "redo".
func TestSampleBeforeTimeUpCountsForItsTarget(t *testing.T) {
	var targets []Point
	for i := range 8 {
		targets = append(targets, Point{0.1 + 0.1*float64(i), 0.5})
	}
	tick := make(chan time.Time, 1)
	c := &Check{AtStart: true, Targets: targets, Dwell: time.Millisecond, Assess: assessCount,
		After: func(time.Duration) <-chan time.Time { return tick }}
	tr, rec := newFakeTracker(), &fakeRecorder{}
	view := &holdingView{fakeView: newFakeView(), at: make(chan struct{}), release: make(chan struct{})}
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock: func() time.Duration { return 0 }, Check: c,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range targets {
		select {
		case <-view.at:
		case <-time.After(10 * time.Second):
			t.Fatalf("target (%.1f, %.1f) never shown; showed %s", p.X, p.Y, view.shownList())
		}
		tr.send(tracker.Sample{BPOGV: true, BPOGX: p.X, BPOGY: p.Y}) // queued for the loop
		tick <- time.Time{}                                          // and the time is up
		view.release <- struct{}{}
	}
	waitFor(t, view.fakeView, "check1:")
	if !strings.Contains(view.shownList(), "check1:good") {
		t.Errorf("validation %s: a target lost the sample taken while it was up", view.shownList())
	}
	r.End()
	<-r.Done()
}

// A continued or resumed session numbers its calibration rounds after those its earlier
// sittings ran: calibrations.jsonl held round 1 twice after a continue.
func TestRoundsGoOnAfterEarlierSittings(t *testing.T) {
	tick := make(chan time.Time)
	c := &Check{
		Calibrator: fakeCalibrator{pts: []Point{{0.1, 0.1}}},
		AtStart:    true,
		Targets:    []Point{{0.3, 0.3}},
		Settle:     0, Dwell: time.Millisecond,
		Assess: assessCount,
		After:  func(time.Duration) <-chan time.Time { return tick },
	}
	tr, rec, view := newFakeTracker(), &fakeRecorder{}, newFakeView()
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock: func() time.Duration { return 0 }, Check: c,
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Before: Before{Rounds: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, view, "target(0.3,0.3)")
	tr.send(tracker.Sample{BPOGV: true, BPOGX: 0.3, BPOGY: 0.3})
	tick <- time.Time{}
	waitFor(t, view, "check3:good")
	r.End()
	<-r.Done()
	if !strings.Contains(rec.lines(), "check 3 good") {
		t.Fatalf("recorder calls:\n%s", rec.lines())
	}
}
