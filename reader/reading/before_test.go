package reading

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sightline/reader/session"
	"sightline/reader/stage"
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

// BeforeOf reads back what a session's first sitting recorded: the screens done, their rows,
// the failed case, the marked one, and the sitting's time.
func TestBeforeOf(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	plan := []session.Screen{{Index: 0, Kind: session.KindCase, DicomID: "a"},
		{Index: 1, Kind: session.KindCase, DicomID: "b"}, {Index: 2, Kind: session.KindCase, DicomID: "c"}}
	r, err := session.Create(dir, session.Meta{SessionID: "s", Reader: "r", Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	host := time.Second
	for i, sc := range plan[:2] {
		if err := r.BeginScreen(sc, stage.Fit(100, 100), host); err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 5+i; k++ {
			host += 10 * time.Millisecond
			if err := r.Gaze(tracker.Sample{CNT: int64(k), Time: float64(k) / 60, Host: host}); err != nil {
				t.Fatal(err)
			}
		}
		q := session.Quality{Verdict: "pass"}
		if i == 0 {
			q = session.Quality{Verdict: "fail", Reasons: []string{"data loss 80%"}}
		}
		if err := r.CaseQuality(q); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := r.Event(host, EventMarkedForReread, map[string]string{"dicom_id": "b"}); err != nil {
				t.Fatal(err)
			}
		}
		host += time.Second
		if err := r.EndScreen(host); err != nil {
			t.Fatal(err)
		}
	}
	for round := 1; round <= 2; round++ {
		if err := r.SaveCheck(session.CheckReport{Round: round}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Finish(session.StatusEnded, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	o, err := session.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := BeforeOf(o)
	if len(b.Done) != 2 || b.Samples != 11 || len(b.Failed) != 1 || b.Failed[0].DicomID != "a" ||
		len(b.Marked) != 1 || b.Marked[0] != "b" || b.Elapsed != host-time.Second || b.Rounds != 2 {
		t.Fatalf("BeforeOf = %+v", b)
	}
}
