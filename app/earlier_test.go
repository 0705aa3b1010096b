package app

import (
	"path/filepath"
	"testing"
	"time"

	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/tracker"
)

// earlier reads back what a session's first sitting recorded: the screens done, their rows,
// the failed case, the marked one, and the sitting's time.
func TestEarlierSittings(t *testing.T) {
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
			if err := r.Event(host, "marked_for_reread", map[string]string{"dicom_id": "b"}); err != nil {
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
	b := earlier(dir)
	if len(b.Done) != 2 || b.Samples != 11 || len(b.Failed) != 1 || b.Failed[0].DicomID != "a" ||
		len(b.Marked) != 1 || b.Marked[0] != "b" || b.Elapsed != host-time.Second || b.Rounds != 2 {
		t.Fatalf("earlier = %+v", b)
	}
}
