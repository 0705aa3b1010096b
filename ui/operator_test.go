package ui

import (
	"context"
	"image"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"sightline/reader/reading"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/tracker"
)

type fakeSource struct {
	fakeControls
	st reading.Stats
}

func (f *fakeSource) Stats() reading.Stats { return f.st }
func (f *fakeSource) MarkForReread()       { f.calls = append(f.calls, "mark") }

func TestOperatorConsole(t *testing.T) {
	test.NewTempApp(t)
	src := &fakeSource{}
	o := NewOperator(src)
	w := test.NewTempWindow(t, o.Content())
	w.Resize(fyne.NewSize(1100, 420))
	img := image.NewGray(image.Rect(0, 0, 899, 1080))
	st := reading.Stats{Phase: "reading", Index: 2, Total: 13,
		Screen: session.Screen{Index: 2, Kind: session.KindCase, DicomID: "abc"}, Image: img, Layout: stage.Fit(2544, 3056),
		CaseStart: time.Second, Now: 13 * time.Second, Samples: 720, Lost: 3, RecentRate: 59.5, RecentLoss: 0.12,
		Gaze:      tracker.Sample{BPOGX: 0.5, BPOGY: 0.4, BPOGV: true},
		LastCheck: &reading.CheckReport{Round: 1, Validation: reading.Validation{AccuracyDeg: 0.55, Verdict: "good"}},
		Marked:    []string{"abc"}}
	o.Update(st, []stage.Fix{{ID: 1, X: 0.5, Y: 0.5, Duration: 0.3}},
		AudioStatus{Enabled: true, Recording: true, LevelDB: -20, Elapsed: 12 * time.Second, Device: "pulse monitor"})

	var text []string
	walk(o.Content(), func(c fyne.CanvasObject) {
		switch x := c.(type) {
		case *canvas.Text:
			text = append(text, x.Text)
		}
	})
	all := strings.Join(text, "|")
	for _, want := range []string{"3 of 13 (case) · 00:12", "59.5 Hz · 720 samples · 3 records lost",
		"12.0% over the last 2s", "round 1: 0.55° accuracy, good", "recording 00:12 · pulse monitor"} {
		if !strings.Contains(all, want) {
			t.Errorf("console lacks %q:\n%s", want, all)
		}
	}
	if o.lossLbl.Color != lossColor(0.12) || lossColor(0.12) == lossColor(0.01) {
		t.Error("a 12% loss is not shown in the warning colour")
	}
	if !o.Stage.gazeOn || o.Stage.img != img {
		t.Error("thumbnail shows no image or no gaze")
	}
	if got := o.level.Value; got < 0.66 || got > 0.67 {
		t.Errorf("level bar %.2f for -20 dBFS, want 0.67", got)
	}
	b := buttonsIn(o.Content())
	test.Tap(b["Pause"])
	test.Tap(b["Mark for re-read"])
	test.Tap(b["Recalibrate"])
	if got := strings.Join(src.calls, ","); got != "pause,mark,pause,recalibrate" {
		t.Fatalf("calls %s", got)
	}
	st.Phase = "paused"
	o.Update(st, nil, AudioStatus{})
	if buttonsIn(o.Content())["Resume"] == nil {
		t.Fatal("the pause button does not offer Resume while paused")
	}
	if o.level.Value != 0 {
		t.Errorf("level bar %.2f without a microphone", o.level.Value)
	}
	if !strings.Contains(o.recLbl.Text, "gaze only") {
		t.Errorf("audio line without a microphone: %q", o.recLbl.Text)
	}
}

// The console speaks words: no "Case 1 of 0" before the first screen, no Go slices, and a marked
// case leaves the Re-read line once it has been read again.
func TestOperatorWording(t *testing.T) {
	test.NewTempApp(t)
	o := NewOperator(&fakeSource{})
	test.NewTempWindow(t, o.Content())
	o.Update(reading.Stats{Phase: "calibrating"}, nil, AudioStatus{})
	if got := o.caseLbl.Text; strings.Contains(got, "of 0") {
		t.Errorf("before the first screen the case line says %q", got)
	}
	for _, tc := range []struct {
		marked, reread []string
		want           string
	}{
		{nil, nil, "none"},
		{[]string{"abc", "def", "abc"}, nil, "abc, def"},
		{[]string{"abc", "def"}, []string{"abc"}, "def"},
		{[]string{"abc"}, []string{"abc", "xyz"}, "none pending · 2 re-read"},
	} {
		o.Update(reading.Stats{Phase: "reading", Index: 1, Total: 5, Marked: tc.marked, Reread: tc.reread}, nil, AudioStatus{})
		if got := o.marked.Text; got != tc.want {
			t.Errorf("marked %v, re-read %v: the Re-read line says %q, want %q", tc.marked, tc.reread, got, tc.want)
		}
	}
	if got := o.caseLbl.Text; got != "2 of 5 (case) · 00:00" {
		t.Errorf("case line %q", got)
	}
}

// When the run ends, the console shows it: its ticker stops with a last snapshot, so the state
// reads finished and the controls are off, not "reading" with buttons that do nothing.
func TestOperatorShowsTheEnd(t *testing.T) {
	test.NewTempApp(t)
	src := &fakeSource{st: reading.Stats{Phase: "reading", Index: 2, Total: 7,
		Screen: session.Screen{Index: 2, Kind: session.KindCase, DicomID: "abc"}}}
	o := NewOperator(src)
	test.NewTempWindow(t, o.Content())
	o.Update(src.st, nil, AudioStatus{})
	src.st.Phase = "finished" // the run's last word, set before its Done closes
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan struct{})
	go func() { o.Run(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return once its context ended")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(o.phase.Text, "finished") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(o.phase.Text, "finished") {
		t.Fatalf("state after the end: %q", o.phase.Text)
	}
	for name, b := range buttonsIn(o.Content()) {
		if !b.Disabled() {
			t.Errorf("%s is still enabled after the session ended", name)
		}
	}
}

// TestOperatorLongAudioErrorKeepsWidth: a long microphone error is cut with an ellipsis; it
// widened the console's window from 1120 to 1260 px in the walk.
func TestOperatorLongAudioErrorKeepsWidth(t *testing.T) {
	test.NewTempApp(t)
	o := NewOperator(&fakeSource{})
	st := reading.Stats{Phase: "reading", Index: 1, Total: 5}
	o.Update(st, nil, AudioStatus{Enabled: true, Device: "mic"})
	before := o.Content().MinSize().Width
	o.Update(st, nil, AudioStatus{Enabled: true, Device: "mic",
		Err: strings.Repeat("pulse device \"Monitor of a long-named USB microphone\" was removed: ", 6)})
	if after := o.Content().MinSize().Width; after > before {
		t.Errorf("console min width %v with a long audio error, %v before", after, before)
	}
}
