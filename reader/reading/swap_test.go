package reading

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"sightline/tracker"
)

// swapView is a view whose frames are "on screen" when the test says so: it keeps each
// frame's Shown for the test to call, as the window calls it after the swap.
type swapView struct {
	*fakeView
	frames chan Frame
}

func (v swapView) Show(f Frame) {
	v.fakeView.Show(f)
	v.frames <- f
}

// The delay from a case's onset (the space press) to its image on screen is what the view
// says when it has swapped the image in: recorded for the screen (ScreenSwapped, layout.json)
// and in its quality record; a screen whose swap was never reported keeps none.
func TestSwapDelayRecorded(t *testing.T) {
	var (
		mu  sync.Mutex
		now time.Duration
	)
	at := func(d time.Duration) { mu.Lock(); now = d; mu.Unlock() }
	clock := func() time.Duration { mu.Lock(); defer mu.Unlock(); return now }
	tr, rec := newFakeTracker(), &fakeRecorder{}
	view := swapView{newFakeView(), make(chan Frame, 4)}
	at(time.Second)
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view, Clock: clock,
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Gate: func([][]tracker.Sample, time.Duration) Quality { return Quality{Verdict: "pass"} },
	})
	if err != nil {
		t.Fatal(err)
	}
	next := func() Frame {
		t.Helper()
		select {
		case f := <-view.frames:
			if f.Shown == nil {
				t.Fatalf("screen %s shown without a Shown callback", f.Screen.DicomID)
			}
			return f
		case <-time.After(10 * time.Second):
			t.Fatal("no screen shown")
			return Frame{}
		}
	}
	a := next() // the first screen: its onset is the clock read before it was handed over (1 s)
	at(time.Second + 23500*time.Microsecond)
	a.Shown()
	at(5 * time.Second)
	r.Next() // the press: the calibration screen's onset is 5 s; its swap is never reported
	next()
	at(9 * time.Second)
	r.Next() // "bad" skipped, "c" shown at 9 s
	c := next()
	at(9*time.Second + 41*time.Millisecond)
	c.Shown()
	at(12 * time.Second)
	r.Next()
	waitSummary(t, view.fakeView)
	<-r.Done()
	want := "begin 0 a\nevent key\nswapped 23.5ms\nquality pass swap 23.5 ms\nevent quality\nend\n" +
		"begin 1 calibration-s-1\nevent key\nend\n" +
		"event case_skipped bad\nbegin 3 c\nevent key\nswapped 41ms\nquality pass swap 41.0 ms\nevent quality\nend\nclose complete ()"
	if got := rec.lines(); got != want {
		t.Errorf("recorder calls:\n%s\nwant:\n%s", got, want)
	}
}
