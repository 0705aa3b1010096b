package session

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sightline/reader/stage"
)

// journal reads a session's events.
func journal(t *testing.T, dir string) []Event {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Event
	if err := ReadEvents(f, EventsFile, func(_ int, e Event) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// An ended session is continued by its reader where they stopped: the next screen of the plan,
// no screen done before read again, the session "recording" once more until it is closed.
func TestContinueEndedSession(t *testing.T) {
	root := t.TempDir()
	plan := []Screen{{0, KindCase, "a"}, {1, KindCase, "b"}, {2, KindCase, "c"}}
	mk := func(id, reader string, started time.Time) string {
		dir := filepath.Join(root, id)
		r, err := Create(dir, Meta{SessionID: id, Reader: reader, Plan: plan, StartedWall: started})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.BeginScreen(plan[0], stage.Fit(100, 100), time.Second); err != nil {
			t.Fatal(err)
		}
		if err := r.Finish(StatusEnded, "SIGTERM"); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	mk("old", "alice", t0)
	dir := mk("new", "alice", t0.Add(time.Hour))
	mk("bob", "bob", t0.Add(2*time.Hour))

	// Which of a reader's sessions is continued is reader/study's Latest (tested there).
	st := readState(t, dir)
	if !st.Continuable() || st.SessionID != "new" || st.EndReason != "SIGTERM" {
		t.Fatalf("state of the ended session %s: continuable %v, end reason %q", st.SessionID, st.Continuable(), st.EndReason)
	}
	if rem := st.Remaining(); len(rem) != 2 || rem[0].DicomID != "b" {
		t.Fatalf("remaining %v", rem)
	}

	r, err := Continue(dir, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Continue(dir, 0); !errors.Is(err, ErrLive) && (err == nil || !strings.Contains(err.Error(), "status")) {
		t.Fatalf("second Continue of a live session: %v", err)
	}
	if st := readState(t, dir); st.Status != StatusRecording || st.Resumed != 1 || st.EndReason != "" || st.EndedWall != nil {
		t.Fatalf("state after Continue: %+v", st)
	}
	ev := journal(t, dir)
	last := ev[len(ev)-1]
	if last.Kind != EventResumed || last.HostNS != int64(90*time.Second) || last.Attrs["after"] != "ended: SIGTERM" {
		t.Fatalf("last event %+v: want session_resumed at the session clock, after ended: SIGTERM", last)
	}
	for _, sc := range plan[1:] {
		if err := r.BeginScreen(sc, stage.Fit(100, 100), 100*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := r.EndScreen(101 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(StatusComplete); err != nil {
		t.Fatal(err)
	}
	if st := readState(t, dir); st.Status != StatusComplete || len(st.Done) != 3 {
		t.Fatalf("state after the continued session: %+v", st)
	}
	// Complete: nothing left to continue, and Continue refuses it.
	if readState(t, dir).Continuable() {
		t.Fatal("a complete session offered for continuing")
	}
	if _, err := Continue(dir, 0); err == nil {
		t.Fatal("Continue accepted a complete session")
	}
}

// Resume journals session_resumed at the session clock it is given, not 0.
func TestResumeCarriesTheClock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	r, err := Create(dir, Meta{SessionID: "s", Plan: []Screen{{0, KindCase, "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	r.lock.Close() // a crash: the lock goes with the process
	r2, err := Resume(dir, 42*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close(StatusEnded)
	ev := journal(t, dir)
	if last := ev[len(ev)-1]; last.Kind != EventResumed || last.HostNS != int64(42*time.Second) || last.Attrs["after"] != "interrupted" {
		t.Fatalf("last event %+v", last)
	}
}
