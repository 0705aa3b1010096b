package session

import (
	"path/filepath"
	"testing"
	"time"

	"sightline/tracker"
)

// The case's Time zero is its onset: a sample that arrives 7.3 ms after the press is at Time
// 0.0073, wherever the device's clock stands, and a sample that sat 12 ms in a queue does not
// move the zero (the smallest lag of the last samples places it).
func TestTimeZeroIsTheOnset(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "S")
	plan := NewPlan("S", []string{"a1", "b2"}, 1, 0)
	r, _ := newRecorder(t, dir, plan)
	const devOffset = 1234.5 // device seconds at host 0
	sample := func(taken, lag time.Duration) tracker.Sample {
		return tracker.Sample{Host: taken + lag, Time: devOffset + taken.Seconds(), CNT: int64(taken / time.Millisecond)}
	}
	onset1 := 2 * time.Second
	if err := r.BeginScreen(plan[0], layoutFor(plan[0]), onset1); err != nil {
		t.Fatal(err)
	}
	// The first sample of the session arrives with a 2 ms link latency.
	for _, s := range []tracker.Sample{sample(onset1+5*time.Millisecond, 2*time.Millisecond), sample(onset1+500*time.Millisecond, 2*time.Millisecond)} {
		if err := r.Gaze(s); err != nil {
			t.Fatal(err)
		}
	}
	onset2 := 3*time.Second + 300*time.Microsecond
	if err := r.EndScreen(onset2); err != nil {
		t.Fatal(err)
	}
	if err := r.BeginScreen(plan[1], layoutFor(plan[1]), onset2); err != nil {
		t.Fatal(err)
	}
	// Its first sample was taken 5 ms after the onset but queued 12 ms on the way.
	if err := r.Gaze(sample(onset2+5*time.Millisecond, 14*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(StatusComplete); err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		onset time.Duration
		first float64
	}{{onset1, 0.007}, {onset2, 0.0070}} {
		cd := caseDir(dir, plan[i])
		rows := readRows(t, filepath.Join(cd, GazeFile))
		// Placed at the time it would have arrived over an idle link: taken + 2 ms.
		if got := rows[0].Time; got != want.first {
			t.Errorf("case %d: first row's Time %v, want %v", i, got, want.first)
		}
		o, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		on, ok := o.Cases[i].Layout.Onset()
		if !ok || on != want.onset {
			t.Errorf("case %d: layout onset %v %v, want %v", i, on, ok, want.onset)
		}
	}
}

// The swap delay reaches layout.json once the view has said the image was on screen: the
// layout as written at the onset stays, with swap_delay_ms added; a screen never swapped has
// none.
func TestScreenSwappedInLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "S")
	plan := NewPlan("S", []string{"a1", "b2"}, 1, 0)
	r, _ := newRecorder(t, dir, plan)
	if err := r.ScreenSwapped(time.Millisecond); err == nil {
		t.Fatal("a swap recorded with no screen open")
	}
	if err := r.BeginScreen(plan[0], layoutFor(plan[0]), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := r.ScreenSwapped(16700 * time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if err := r.EndScreen(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := r.BeginScreen(plan[1], layoutFor(plan[1]), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(StatusComplete); err != nil {
		t.Fatal(err)
	}
	o, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := o.Cases[0].Layout
	if on, ok := l.Onset(); !ok || on != 2*time.Second || l.DicomID != plan[0].DicomID || l.Layout != layoutFor(plan[0]) {
		t.Errorf("layout after the swap: %+v", l)
	}
	if l.SwapDelayMS == nil || *l.SwapDelayMS != 16.7 {
		t.Errorf("swap_delay_ms %v, want 16.7", l.SwapDelayMS)
	}
	if d := o.Cases[1].Layout.SwapDelayMS; d != nil {
		t.Errorf("a screen never swapped has swap_delay_ms %v", *d)
	}
}
