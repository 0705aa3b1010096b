package session

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"sightline/tracker"
)

// BeginAside sends the open case's rows to paused-K beside its files until EndAside: the case's
// own files hold reading time only, the paused stretch its own, in the same time base.
func TestAsideKeepsThePauseBesideTheCase(t *testing.T) {
	dir := t.TempDir()
	sc := Screen{Index: 0, Kind: KindCase, DicomID: "a"}
	r, _ := newRecorder(t, dir, []Screen{sc})
	if err := r.BeginScreen(sc, layoutFor(sc), 0); err != nil {
		t.Fatal(err)
	}
	var g gen
	gaze := func(n int) {
		for i := 0; i < n; i++ {
			if err := r.Gaze(g.next()); err != nil {
				t.Fatal(err)
			}
		}
	}
	gaze(5)
	for k := 1; k <= 2; k++ {
		p, err := r.BeginAside(time.Duration(k) * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(caseDir(dir, sc), "paused-"+string(rune('0'+k))); p != want {
			t.Fatalf("aside folder %s, want %s", p, want)
		}
		gaze(3)
		if err := r.Fixation(tracker.Sample{CNT: 99, FPOGID: 7, FPOGV: true}); err != nil {
			t.Fatal(err)
		}
		if err := r.EndAside(time.Duration(k)*time.Second + 500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		gaze(2)
	}
	// A pause open when the case ends is closed with it.
	if _, err := r.BeginAside(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	gaze(1)
	if err := r.EndScreen(4 * time.Second); err != nil {
		t.Fatal(err)
	}
	c := caseDir(dir, sc)
	if n := len(readRows(t, filepath.Join(c, GazeFile))); n != 9 {
		t.Errorf("the case holds %d rows, want its 9 of reading", n)
	}
	if n := len(readRows(t, filepath.Join(c, FixationFile))); n != 0 {
		t.Errorf("the case holds %d fixations from its pauses", n)
	}
	for k, want := range map[string]int{"paused-1": 3, "paused-2": 3, "paused-3": 1} {
		rows := readRows(t, filepath.Join(c, k, GazeFile))
		if len(rows) != want {
			t.Errorf("%s holds %d rows, want %d", k, len(rows), want)
		}
	}
	rows := readRows(t, filepath.Join(c, "paused-1", GazeFile))
	if rows[0].CNT != 5 { // the case's time base: counted from its first sample
		t.Errorf("paused-1's first row CNT %d, want 5", rows[0].CNT)
	}
	if _, err := os.Stat(filepath.Join(c, "paused-2", FixationFile)); err != nil {
		t.Error(err)
	}
}
