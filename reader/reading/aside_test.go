package reading

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"sightline/tracker"
)

// A pause and a recalibration from it set the case aside: the gaze of that time is recorded
// beside the case (BeginAside … EndAside), the filters and the gate see the two stretches of
// reading only, and the gate is given the reading time, pauses left out. Recalibrating takes
// the pause card down, so that the targets and the report are seen and answered.
func TestPauseAndRecalibrationSetTheCaseAside(t *testing.T) {
	var (
		mu  sync.Mutex
		now time.Duration
	)
	at := func(d time.Duration) { mu.Lock(); now = d; mu.Unlock() }
	clock := func() time.Duration { mu.Lock(); defer mu.Unlock(); return now }
	type judged struct {
		segs    [][]tracker.Sample
		reading time.Duration
	}
	gated := make(chan judged, 4)
	tick := make(chan time.Time)
	tr, rec, view := newFakeTracker(), &fakeRecorder{}, newFakeView()
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view, Clock: clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Check: &Check{Targets: []Point{{0.5, 0.5}}, Dwell: time.Millisecond, Assess: assessCount,
			After: func(time.Duration) <-chan time.Time { return tick }},
		Gate: func(segs [][]tracker.Sample, reading time.Duration) Quality {
			gated <- judged{segs, reading}
			return Quality{Verdict: "pass"}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, view, "a")
	at(time.Second)
	tr.send(tracker.Sample{CNT: 1, Host: time.Second, BPOGV: true})
	at(3 * time.Second)
	r.Pause()
	rec.waitLine(t, "aside")
	tr.send(tracker.Sample{CNT: 2, Host: 3 * time.Second, BPOGV: true}) // paused: beside the case
	r.Overlay(true)
	rec.waitLine(t, "event fixation_overlay")
	r.Recalibrate()
	waitFor(t, view, "target(0.5,0.5)")
	view.mu.Lock()
	paused := fmt.Sprint(view.paused)
	view.mu.Unlock()
	if paused != "[true false]" {
		t.Errorf("pause card states %s: recalibrating must take the card down", paused)
	}
	tr.send(tracker.Sample{CNT: 3, Host: 3 * time.Second, BPOGV: true, BPOGX: 0.5, BPOGY: 0.5})
	tick <- time.Time{}
	waitFor(t, view, "check1:good")
	at(10 * time.Second)
	r.Accept()
	rec.waitLine(t, "back")
	at(12 * time.Second)
	tr.send(tracker.Sample{CNT: 4, Host: 12 * time.Second, BPOGV: true})
	r.Next()
	var g judged
	select {
	case g = <-gated:
	case <-time.After(10 * time.Second):
		t.Fatal("the case was not judged")
	}
	if len(g.segs) != 2 || len(g.segs[0]) != 1 || g.segs[0][0].CNT != 1 || len(g.segs[1]) != 1 || g.segs[1][0].CNT != 4 {
		t.Errorf("gate saw %v: want the two stretches of reading, [1] and [4]", g.segs)
	}
	if g.reading != 5*time.Second {
		t.Errorf("gate was given %v of reading, want 5 s (3 s, then 2 s after the recalibration)", g.reading)
	}
	r.End()
	<-r.Done()
	l := rec.lines()
	// Paused gaze and the recalibration's gaze are written between aside and back.
	i, j := strings.Index(l, "aside"), strings.Index(l, "back")
	if i < 0 || j < i || !strings.Contains(l[i:j], "gaze 2") || !strings.Contains(l[i:j], "gaze 3") ||
		strings.Contains(l[:i], "gaze 2") || !strings.Contains(l[j:], "gaze 4") {
		t.Errorf("recorder calls:\n%s", l)
	}
	if !strings.Contains(l, "event case_set_aside") || !strings.Contains(l, "event case_taken_back") {
		t.Errorf("the stretch is not journalled:\n%s", l)
	}
}
