package session

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
		notrun.Skip(t, fmt.Sprintf("cannot mount a 256 KiB tmpfs (needs root and mount rights): %v: %s", err, out))
	}
	// A lazy unmount: the recorder's files may still be open when the test ends.
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })

	plan := []Screen{{0, KindCase, "first"}, {1, KindCase, "second"}}
	r, err := Create(filepath.Join(mnt, "s"), Meta{SessionID: "s", Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(StatusEnded) })
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
