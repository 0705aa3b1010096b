package app

import (
	"context"
	"io"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/review"
)

// TestCorrectBoxesSavesWhenTheLoopEnds: the box editor the station opens ("Correct boxes…")
// saves an unsaved nudge when the window's loop ends on SIGTERM or SIGINT (Fyne ends it
// without closing the window; runGUI then calls leaveBoxes).
func TestCorrectBoxesSavesWhenTheLoopEnds(t *testing.T) {
	dir, _ := applyStudy(t, 2, 1)
	// The editor's work comes back through a queue this goroutine runs: Fyne's test driver
	// would run it in line on the goroutines that post it, racing this one.
	pump := make(chan func(), 1024)
	post, bg := postUI, background
	postUI, background = func(f func()) { pump <- f }, func(f func()) { go f() }
	t.Cleanup(func() { postUI, background = post, bg })
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1600, 1000))
	o := &Options{Out: io.Discard, Err: io.Discard, live: &live{}}
	if err := stationCommands(a, w, o).CorrectBoxes(dir, func() {}); err != nil {
		t.Fatal(err)
	}
	// Opened off the UI goroutine; the first image opens, and takes the keys, once the
	// store's rows are in.
	deadline := time.After(time.Minute)
	for w.Canvas().Focused() == nil {
		select {
		case f := <-pump:
			f()
		case <-deadline:
			t.Fatal("the editor's canvas never had the keys")
		}
	}
	f := w.Canvas().Focused()
	f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})   // select a zone
	f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight}) // nudge it: unsaved
	o.live.leaveBoxes()
	st, err := review.Open(context.Background(), dir, review.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log, err := st.BoxLog(context.Background(), "")
	if err != nil || len(log) != 1 || log[0].Who != defaultUser() {
		t.Fatalf("stored %+v (%v), want the nudge, by %s", log, err, defaultUser())
	}
	o.live.leaveBoxes() // once is all it does
}
