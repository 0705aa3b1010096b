package ui

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	studyprep "sightline/reader/prepare"
)

// Enter answers a confirm dialog with its highlighted button, once; afterwards the keys go to
// whatever handler the answer installed, or back to the one before.
func TestEnterConfirms(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("start"))
	var before []fyne.KeyName
	w.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) { before = append(before, e.Name) })
	var answers []bool
	var after []fyne.KeyName
	d := dialog.NewCustomConfirm("Interrupted session", "Resume", "Start a new session", widget.NewLabel("?"),
		func(yes bool) {
			answers = append(answers, yes)
			w.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) { after = append(after, e.Name) })
		}, w)
	EnterConfirms(d, w.Canvas())
	d.Show()
	key := func(n fyne.KeyName) { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: n}) }
	key(fyne.KeySpace) // not an answer
	if len(answers) != 0 {
		t.Fatalf("Space answered the dialog: %v", answers)
	}
	key(fyne.KeyReturn)
	if len(answers) != 1 || !answers[0] {
		t.Fatalf("Enter gave %v, want [true] (the highlighted Resume)", answers)
	}
	key(fyne.KeyReturn)
	if len(answers) != 1 || len(after) != 1 {
		t.Fatalf("the second Enter: answers %v, the answer's own handler got %v", answers, after)
	}
	if len(before) != 0 {
		t.Errorf("the handler from before the dialog got %v while it was up", before)
	}

	// Closed with the mouse: Enter goes back to the handler from before.
	var got []bool
	w.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) { before = append(before, e.Name) })
	d2 := dialog.NewConfirm("Every case read", "Read again?", func(yes bool) { got = append(got, yes) }, w)
	EnterConfirms(d2, w.Canvas())
	d2.Show()
	d2.Hide() // as Cancel does: answers false
	key(fyne.KeyReturn)
	if len(got) != 1 || got[0] || len(before) != 1 {
		t.Errorf("after the dialog closed, Enter answered it again (%v) or did not reach the old handler (%v)", got, before)
	}
}

// Enter presses the highlighted button of every other dialog the station and the New study
// flow put up: Settings' Save, the study ready's Read now, and the one-button failure notice.
func TestEnterOnEveryDialog(t *testing.T) {
	test.NewTempApp(t)
	enter := func(w fyne.Window) { // as the window does: a canvas with no handler drops the key
		if h := w.Canvas().OnTypedKey(); h != nil {
			h(&fyne.KeyEvent{Name: fyne.KeyReturn})
		}
	}

	w := test.NewTempWindow(t, widget.NewLabel("start"))
	saved := "unset"
	ShowSettings(w, []string{"USB mic"}, nil, "USB mic", func(d string) { saved = d })
	enter(w)
	if saved != "USB mic" {
		t.Errorf("Settings: Enter saved %q, want the selected device", saved)
	}

	w = test.NewTempWindow(t, widget.NewLabel("start"))
	read := false
	ShowStudyReady(w, "/study", studyprep.Result{Cases: 3, Prepared: 3}, func() { read = true })
	enter(w)
	if !read {
		t.Error("Study ready: Enter did not press Read now")
	}

	w = test.NewTempWindow(t, widget.NewLabel("start"))
	retried := 0
	p := &NewStudyProgress{dlg: dialog.NewInformation("", "", w), retry: func() { retried++ }}
	p.Failed(w, errors.New("the worklist has no rows"), nil)
	enter(w)
	if retried != 1 {
		t.Errorf("failure notice: Enter brought the form back %d time(s), want 1", retried)
	}
	enter(w)
	if retried != 1 {
		t.Errorf("a second Enter after the notice closed brought the form back again (%d)", retried)
	}
}
