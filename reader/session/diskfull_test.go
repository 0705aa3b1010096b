package session

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"sightline/internal/notrun"
	"sightline/reader/egd"
	"sightline/reader/stage"
	"sightline/tracker"
)

// TestDiskFull records on a 256 KiB tmpfs until the disk fills: the write fails with ENOSPC
// (the station then stops recording and says so), and the case recorded before is intact.
// Mounting needs root and mount rights; where it cannot mount, the test is not run and says so
// at the end of `make test` (internal/notrun).
func TestDiskFull(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt).CombinedOutput(); err != nil {
		notrun.Allow(t, fmt.Sprintf("cannot mount a 256 KiB tmpfs (needs root and mount rights): %v: %s", err, out))
	}
	// A lazy unmount: the recorder's files may still be open when the test ends.
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })

	plan := []Screen{{0, KindCase, "first"}, {1, KindCase, "second"}}
	r, err := Create(filepath.Join(mnt, "s"), Meta{SessionID: "s", Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(StatusEnded) }) // when the test stops early
	l := stage.Fit(2000, 2500)
	sample := func(i int64) tracker.Sample {
		return tracker.Sample{CNT: i, Time: float64(i) / 60, TimeTick: i * 166666, TickFreq: 1e7,
			FPOGX: 0.5, FPOGY: 0.5, FPOGV: true, BPOGX: 0.5, BPOGY: 0.5, BPOGV: true}
	}
	if err := r.BeginScreen(plan[0], l, 0); err != nil {
		t.Fatal(err)
	}
	const firstRows = 300
	for i := int64(0); i < firstRows; i++ {
		if err := r.Gaze(sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.EndScreen(1); err != nil {
		t.Fatal(err)
	}
	if err := r.BeginScreen(plan[1], l, 2); err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := int64(0); i < 1_000_000 && werr == nil; i++ {
		if werr = r.Gaze(sample(i)); werr == nil && i%500 == 0 {
			werr = r.Flush()
		}
	}
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("writing past a full disk: %v, want ENOSPC", werr)
	}
	// The case closes and the session ends as "disk full", as the station does: the files say
	// what happened, with room kept for it.
	if err := r.CaseQuality(Quality{Verdict: "fail", Reasons: []string{"disk full"}}); err != nil {
		t.Errorf("quality.json after the disk filled: %v", err)
	}
	if err := r.Finish(StatusEnded, "disk full"); err != nil {
		t.Errorf("ending the session after the disk filled: %v", err)
	}
	st, err := ReadState(filepath.Join(mnt, "s"))
	if err != nil || st.Status != StatusEnded || st.EndReason != "disk full" || !slices.Equal(st.Done, []int{0, 1}) {
		t.Errorf("session.json: status %q, reason %q, done %v (%v); want ended, disk full, both screens", st.Status, st.EndReason, st.Done, err)
	}
	second := filepath.Join(mnt, "s", CasesDir, "01-second")
	if _, err := os.Stat(filepath.Join(second, QualityFile)); err != nil {
		t.Errorf("the open case has no quality.json: %v", err)
	}
	// Only whole rows: every line of the open case's eye_gaze.csv has its 37 columns.
	b, err := os.ReadFile(filepath.Join(second, GazeFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Errorf("eye_gaze.csv of the open case ends with a torn row: %q", b[max(0, len(b)-80):])
	}
	rows := 0
	if err := egd.ReadGaze(bytes.NewReader(b), "eye_gaze.csv", func(int, egd.GazeRecord) error { rows++; return nil }); err != nil || rows == 0 {
		t.Errorf("open case after the disk filled: %d rows, %v", rows, err)
	}
	ev, err := os.ReadFile(filepath.Join(mnt, "s", EventsFile))
	if err != nil || !bytes.Contains(ev, []byte(`"session_closed"`)) || !bytes.Contains(ev, []byte(`"disk full"`)) {
		t.Errorf("events.jsonl does not say the session closed on a full disk (%v):\n%s", err, ev[max(0, len(ev)-400):])
	}
	// The earlier case is whole.
	f, err := os.Open(filepath.Join(mnt, "s", CasesDir, "00-first", GazeFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	if err := egd.ReadGaze(f, "eye_gaze.csv", func(int, egd.GazeRecord) error { n++; return nil }); err != nil || n != firstRows {
		t.Fatalf("first case after the disk filled: %d rows, %v; want %d", n, err, firstRows)
	}
}
