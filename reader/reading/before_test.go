package reading

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"sightline/tracker"
)

// A resumed or continued session goes on after the screens its earlier sittings read, offers
// their failed cases for re-reading at the end, and its summary counts the whole session.
func TestContinuedRunCountsTheWholeSession(t *testing.T) {
	tr, rec, view := newFakeTracker(), &fakeRecorder{}, newFakeView()
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock: func() time.Duration { return time.Second },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Gate:  func([][]tracker.Sample, time.Duration) Quality { return Quality{Verdict: "pass"} },
		Before: Before{
			Done: []int{0, 1}, Samples: 100, Fixations: 7, Elapsed: time.Minute,
			Failed: []Skip{{DicomID: "a", Reason: "no gaze", Kind: RereadFailed}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	view.waitShown(t, 1)
	tr.send(fixSample(0, 1, 0.1))
	r.Next() // past the end: the offer holds a, which failed in the earlier sitting
	view.waitShown(t, 2)
	r.Accept()
	view.waitShown(t, 3)
	r.Next()
	s := waitSummary(t, view)
	if got := view.shownList(); got != "c,offer1,a" {
		t.Errorf("shown %s, want the plan's screens after those done, then the offer", got)
	}
	if s.Screens != 5 || s.Shown != 4 || s.Samples != 101 || s.Fixations < 7 || s.Elapsed < time.Minute || s.Reread != 1 || len(s.Failed) != 1 {
		t.Errorf("summary %+v: want the whole session (5 screens, 4 shown, 101 samples, ≥ 1 min)", s)
	}
	if l := rec.lines(); strings.Contains(l, "begin 0 ") || !strings.Contains(l, "begin 3 c") || !strings.Contains(l, "extend 1\nbegin 4 a") {
		t.Errorf("recorder calls:\n%s", l)
	}
}

func (r *fakeRecorder) BeginAside(time.Duration) (string, error) {
	return "/case/paused", r.add("aside")
}
func (r *fakeRecorder) EndAside(time.Duration) error { return r.add("back") }
