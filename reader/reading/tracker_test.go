package reading

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sightline/reader/session"
	"sightline/tracker"
)

// assessFailed is a validation that got nothing: what app's assess says with no samples.
func assessFailed(per [][]tracker.Sample, targets []Point) Validation {
	return Validation{AccuracyDeg: -1, PrecisionDeg: -1, DataLoss: 1, Verdict: VerdictFailed,
		Reasons: []string{"no gaze samples: the tracker sent none"}}
}

// TestFailedValidationIsNeverAccepted: a validation without samples cannot be accepted (the
// reader would read on with no gaze); redo is the way on.
func TestFailedValidationIsNeverAccepted(t *testing.T) {
	tick := make(chan time.Time)
	c := &Check{AtStart: true, Targets: []Point{{0.5, 0.5}}, Dwell: time.Millisecond, Assess: assessFailed,
		After: func(time.Duration) <-chan time.Time { return tick }}
	r, _, rec, view := startChecked(t, c)
	waitFor(t, view, "target(0.5,0.5)")
	tick <- time.Time{}
	waitFor(t, view, "check1:failed")
	r.Accept()
	r.Next()
	r.Recalibrate() // the way on: a new round
	waitFor(t, view, "check1:failed,target(0.5,0.5)")
	r.End()
	<-r.Done()
	l := rec.lines()
	if !strings.Contains(l, "event accept_refused") || strings.Contains(l, "check_accepted") || strings.Contains(l, "begin") {
		t.Fatalf("a failed validation was accepted, or a case began:\n%s", l)
	}
}

// rateless is a tracker that has not told its rate (an Open Gaze client before its handshake).
type rateless struct{ *fakeTracker }

func (rateless) Rate() float64 { return 0 }

// notingRecorder keeps what the run notes of the tracker's timing, as session.Recorder does.
type notingRecorder struct {
	*fakeRecorder
	mu  sync.Mutex
	got session.TrackerTiming
	n   int
}

func (r *notingRecorder) NoteTracker(t session.TrackerTiming) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got, r.n = t, r.n+1
}

func (r *notingRecorder) timing() (session.TrackerTiming, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got, r.n
}

func startWith(t *testing.T, tr tracker.Tracker, rec Recorder, view *fakeView) *Run {
	t.Helper()
	origin := time.Now()
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock: func() time.Duration { return time.Since(origin) },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func waitLine(t *testing.T, rec *fakeRecorder, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(rec.lines(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("never recorded %q:\n%s", want, rec.lines())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSilentTrackerIsAllLoss: a tracker that never sent anything, and never told its rate, is
// 100% loss at 0 Hz on the console (it read "0.0%"), and shows as silent.
func TestSilentTrackerIsAllLoss(t *testing.T) {
	rec, view := &fakeRecorder{}, newFakeView()
	r := startWith(t, rateless{newFakeTracker()}, rec, view)
	deadline := time.Now().Add(10 * time.Second)
	for !r.Stats().Stalled() {
		if time.Now().After(deadline) {
			t.Fatal("the console never saw the tracker as silent")
		}
		time.Sleep(time.Millisecond)
	}
	st := r.Stats()
	if st.RecentRate != 0 || st.RecentLoss != 1 {
		t.Fatalf("silent tracker: %.1f Hz, loss %.3f; want 0 Hz and 1", st.RecentRate, st.RecentLoss)
	}
	r.End()
	<-r.Done()
}

// TestTrackerStopJournalled: a tracker that stops sending during a case is journalled within
// StallAfter (plus a tick), and its return with the gap; the console says so at once.
func TestTrackerStopJournalled(t *testing.T) {
	tr, rec, view := newFakeTracker(), &fakeRecorder{}, newFakeView()
	r := startWith(t, tr, rec, view)
	waitFor(t, view, "a")
	tr.send(tracker.Sample{CNT: 1, Time: 1, Host: r.cfg.Clock(), BPOGV: true})
	waitLine(t, rec, "event gaze_stopped")
	if !r.Stats().Stalled() {
		t.Error("journalled as stopped, but the console does not say so")
	}
	tr.send(tracker.Sample{CNT: 2, Time: 2, Host: r.cfg.Clock(), BPOGV: true})
	waitLine(t, rec, "event gaze_stopped\nevent gaze_resumed\ngaze 2")
	if r.Stats().Stalled() {
		t.Error("the console still says silent after a sample")
	}
	r.End()
	<-r.Done()
	if n := strings.Count(rec.lines(), "gaze_stopped"); n != 1 {
		t.Fatalf("%d gaze_stopped events, want 1:\n%s", n, rec.lines())
	}
}

// TestDeviceTimeBackwardsJournalled: a device clock that steps back is journalled, once per
// step, and counted for session.json.
func TestDeviceTimeBackwardsJournalled(t *testing.T) {
	tr, view := newFakeTracker(), newFakeView()
	rec := &notingRecorder{fakeRecorder: &fakeRecorder{}}
	r := startWith(t, tr, rec, view)
	waitFor(t, view, "a")
	for i, tm := range []float64{10, 10.5, 11, 3, 3.5, 4} {
		tr.send(tracker.Sample{CNT: int64(i), Time: tm, TimeTick: int64(tm * 1e7), TickFreq: 1e7, BPOGV: true})
	}
	r.End()
	<-r.Done()
	if n := strings.Count(rec.lines(), "event device_time_backwards"); n != 1 {
		t.Fatalf("%d device_time_backwards events, want 1:\n%s", n, rec.lines())
	}
	if got, _ := rec.timing(); got.TimeBackwards != 1 {
		t.Fatalf("session.json counts %d steps back, want 1", got.TimeBackwards)
	}
}

// TestMarkerLatency: a sync marker echoed in a record's USER field times the tracker; a device
// that echoes none is noted as such.
func TestMarkerLatency(t *testing.T) {
	tr, view := newFakeTracker(), newFakeView()
	rec := &notingRecorder{fakeRecorder: &fakeRecorder{}}
	r := startWith(t, tr, rec, view)
	waitFor(t, view, "a")
	var marks []string
	for deadline := time.Now().Add(10 * time.Second); len(marks) == 0 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		tr.mu.Lock()
		marks = slices.Clone(tr.marks)
		tr.mu.Unlock()
	}
	if len(marks) != 1 || !strings.HasPrefix(marks[0], "SCREEN 1 a HOST=") {
		t.Fatalf("markers sent: %q", marks)
	}
	tr.send(tracker.Sample{CNT: 1, Host: r.cfg.Clock(), BPOGV: true})
	tr.send(tracker.Sample{CNT: 2, Host: r.cfg.Clock() + 5*time.Millisecond, User: marks[0], BPOGV: true})
	r.End()
	<-r.Done()
	got, n := rec.timing()
	if n == 0 || got.MarkersSent != 1 || got.MarkersEchoed != 1 || got.LatencyMaxMS < 5 || got.Note != "" {
		t.Fatalf("timing %+v (noted %d times)", got, n)
	}

	// The same without an echo.
	tr2, view2 := newFakeTracker(), newFakeView()
	rec2 := &notingRecorder{fakeRecorder: &fakeRecorder{}}
	r2 := startWith(t, tr2, rec2, view2)
	waitFor(t, view2, "a")
	tr2.send(tracker.Sample{CNT: 1, BPOGV: true})
	r2.End()
	<-r2.Done()
	got, _ = rec2.timing()
	if got.MarkersEchoed != 0 || !strings.Contains(got.Note, "does not echo USER_DATA") {
		t.Fatalf("without an echo: %+v", got)
	}
}

// waitingCalibrator waits for a tracker that never comes, as app's does for an Open Gaze
// device that is not there; it counts its runs.
type waitingCalibrator struct {
	mu   sync.Mutex
	runs int
}

func (c *waitingCalibrator) Calibrate(ctx context.Context, p CalProgress) (CalSummary, error) {
	c.mu.Lock()
	c.runs++
	c.mu.Unlock()
	p.Waiting("waiting for the eye tracker to connect")
	<-ctx.Done()
	return CalSummary{}, ctx.Err()
}

func (c *waitingCalibrator) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs
}

// TestWaitingForTheTracker: while the station waits on the tracker the reader's screen and the
// console say so; Esc offers retry, skip (validation only) and end, each doing what it says.
func TestWaitingForTheTracker(t *testing.T) {
	tick := make(chan time.Time)
	cal := &waitingCalibrator{}
	c := &Check{Calibrator: cal, AtStart: true, Targets: []Point{{0.5, 0.5}}, Dwell: time.Millisecond,
		Assess: assessCount, After: func(time.Duration) <-chan time.Time { return tick }}
	r, tr, rec, view := startChecked(t, c)
	const w = "waiting:waiting for the eye tracker to connect"
	waitFor(t, view, w)
	if got := r.Stats().Waiting; got != "waiting for the eye tracker to connect" {
		t.Fatalf("console: waiting %q", got)
	}
	r.Pause() // Esc: the options, not the pause card
	waitFor(t, view, w+",options")
	r.Resume() // Esc again: back to the waiting line
	waitFor(t, view, w+",options,"+w)
	r.Pause()
	r.Recalibrate() // Retry: the device calibration starts again
	waitFor(t, view, w+",options,"+w+",options,"+w)
	if cal.count() != 2 {
		t.Fatalf("calibrator ran %d times after a retry, want 2", cal.count())
	}
	r.Pause()
	r.SkipCalibration() // Skip: our validation only
	waitFor(t, view, "options,target(0.5,0.5)")
	if got := r.Stats().Waiting; got != "" {
		t.Fatalf("console still waiting %q during validation", got)
	}
	tr.send(tracker.Sample{BPOGV: true, BPOGX: 0.5, BPOGY: 0.5})
	tick <- time.Time{}
	waitFor(t, view, "check2:good")
	r.Accept()
	waitFor(t, view, "check2:good,a")
	r.End()
	<-r.Done()
	for _, want := range []string{"event tracker_waiting", "event tracker_options", "event calibration_retried", "event calibration_skipped", "check 2 good"} {
		if !strings.Contains(rec.lines(), want) {
			t.Errorf("recorder lacks %q:\n%s", want, rec.lines())
		}
	}
	view.mu.Lock()
	paused := slices.Contains(view.paused, true)
	view.mu.Unlock()
	if paused {
		t.Error("the pause card came up during the device calibration")
	}
}

// noTracker is a calibrator whose tracker never connected.
type noTracker struct{}

func (noTracker) Calibrate(ctx context.Context, p CalProgress) (CalSummary, error) {
	return CalSummary{}, fmt.Errorf("calibrate: the tracker did not connect within 15s: %w", ErrNoTracker)
}

// TestNoTrackerReportsAtOnce: a tracker that never connected and never sent anything gets a
// failed report straight away, not validation targets shown to nobody.
func TestNoTrackerReportsAtOnce(t *testing.T) {
	c := &Check{Calibrator: noTracker{}, AtStart: true, Targets: []Point{{0.5, 0.5}}, Dwell: time.Hour, Assess: assessFailed}
	r, _, rec, view := startChecked(t, c)
	waitFor(t, view, "check1:failed")
	r.End()
	<-r.Done()
	if strings.Contains(view.shownList(), "target") {
		t.Fatalf("validation targets shown without a tracker: %s", view.shownList())
	}
	if !strings.Contains(rec.lines(), "event calibration_failed") {
		t.Fatalf("recorder calls:\n%s", rec.lines())
	}
}

// deafCalibrator is a tracker that connects but does not calibrate: app's calibrator gives up
// on it after its start wait with ErrNoCalibration. It counts its runs.
type deafCalibrator struct{ waitingCalibrator }

func (c *deafCalibrator) Calibrate(ctx context.Context, p CalProgress) (CalSummary, error) {
	c.mu.Lock()
	c.runs++
	c.mu.Unlock()
	p.Waiting("starting the eye tracker's calibration")
	return CalSummary{}, fmt.Errorf("%w: it showed no calibration point within 5s", ErrNoCalibration)
}

// TestDeviceDoesNotCalibrate: a tracker that does not calibrate is said to the reader at once,
// with Skip device calibration offered (Esc does not go back to a wait for nothing); Retry asks
// the device again; Skip validates only, and the report's calibration line is a sentence for
// the reader, not the error's text.
func TestDeviceDoesNotCalibrate(t *testing.T) {
	tick := make(chan time.Time)
	cal := &deafCalibrator{}
	c := &Check{Calibrator: cal, AtStart: true, Targets: []Point{{0.5, 0.5}}, Dwell: time.Millisecond,
		Assess: assessCount, After: func(time.Duration) <-chan time.Time { return tick }}
	r, tr, rec, view := startChecked(t, c)
	waitFor(t, view, "waiting:starting the eye tracker's calibration,cannot-calibrate")
	r.Resume() // Esc: nothing to go back to
	r.Recalibrate()
	waitFor(t, view, "cannot-calibrate,waiting:starting the eye tracker's calibration,cannot-calibrate")
	if cal.count() != 2 {
		t.Fatalf("calibrator ran %d times after a retry, want 2", cal.count())
	}
	if strings.Contains(view.shownList(), "target") {
		t.Fatalf("validation started before the reader chose: %s", view.shownList())
	}
	r.SkipCalibration()
	waitFor(t, view, "cannot-calibrate,target(0.5,0.5)")
	tr.send(tracker.Sample{BPOGV: true, BPOGX: 0.5, BPOGY: 0.5})
	tick <- time.Time{}
	waitFor(t, view, "check2:good")
	r.End()
	<-r.Done()
	rep := view.lastReport()
	if !strings.HasPrefix(rep.CalError, ErrNoCalibration.Error()) {
		t.Errorf("report's calibration error %q, want it to say the device does not calibrate", rep.CalError)
	}
	if got := CalErrorLine(rep.CalError); got != "The eye tracker did not calibrate: validation only" {
		t.Errorf("reader's calibration line %q", got)
	}
	for _, want := range []string{"event calibration_failed", "event calibration_retried", "event calibration_skipped"} {
		if !strings.Contains(rec.lines(), want) {
			t.Errorf("recorder lacks %q:\n%s", want, rec.lines())
		}
	}
}
