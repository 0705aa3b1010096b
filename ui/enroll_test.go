package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// enrollFake is the microphone and the adaptation behind the enrollment screen, in memory.
type enrollFake struct {
	kept     map[int]float64
	on       int // the line being recorded, −1: none
	dropped  int
	adapted  int
	adaptErr error
	closed   bool
	startErr error
	nextSecs float64
}

func newEnrollRig(t *testing.T, before map[int]float64) (*Enroll, *enrollFake, fyne.Window) {
	test.NewTempApp(t)
	f := &enrollFake{kept: map[int]float64{}, on: -1, nextSecs: 3}
	for k, v := range before {
		f.kept[k] = v
	}
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1200, 800))
	e := NewEnroll(w, EnrollCommands{
		Reader: "dr e",
		Script: []string{"the heart is normal", "no pleural effusion", "left lower lobe atelectasis"},
		Recorded: func() (map[int]float64, error) {
			out := map[int]float64{}
			for k, v := range f.kept {
				out[k] = v
			}
			return out, nil
		},
		Start: func(i int) error {
			if f.startErr != nil {
				return f.startErr
			}
			f.on = i
			return nil
		},
		Stop: func() (float64, error) {
			f.kept[f.on] = f.nextSecs
			f.on = -1
			return f.nextSecs, nil
		},
		Cancel:   func() { f.dropped++; f.on = -1 },
		MinLines: 2,
		Adapt: func() (string, error) {
			f.adapted++
			return "Your model is ready (abc).", f.adaptErr
		},
		Close: func() { f.closed = true },
	})
	e.background = func(fn func()) { fn() }
	w.SetContent(e.Content())
	w.Canvas().SetOnTypedKey(e.TypedKey)
	e.Load()
	return e, f, w
}

// TestEnrollWalk: a reader records line after line with Enter (Record, Stop), redoes one, and
// adapts at the end; Enter always presses the one highlighted button.
func TestEnrollWalk(t *testing.T) {
	e, f, w := newEnrollRig(t, nil)
	if e.Line() != 0 || highlighted(e.Content()).Text != "Record" {
		t.Fatalf("start: line %d, highlighted %q", e.Line(), highlighted(e.Content()).Text)
	}
	key(w, fyne.KeyReturn) // Record
	if !e.Recording() || f.on != 0 || highlighted(e.Content()).Text != "Stop" {
		t.Fatalf("recording: %v, line %d, highlighted %q", e.Recording(), f.on, highlighted(e.Content()).Text)
	}
	key(w, fyne.KeyReturn) // Stop: kept, on to line 2 ready to record
	if e.Recording() || f.kept[0] != 3 || e.Line() != 1 || highlighted(e.Content()).Text != "Record" {
		t.Fatalf("after Stop: line %d, kept %v, highlighted %q", e.Line(), f.kept, highlighted(e.Content()).Text)
	}
	// Back to line 1 and redo it: the new take replaces the old.
	test.Tap(buttonsIn(e.Content())["Previous line"])
	if e.Line() != 0 || !strings.Contains(e.StateText(), "Recorded (3.0 s)") || highlighted(e.Content()).Text != "Next line" {
		t.Fatalf("line 1 again: %q, highlighted %q", e.StateText(), highlighted(e.Content()).Text)
	}
	f.nextSecs = 4
	test.Tap(buttonsIn(e.Content())["Redo"])
	key(w, fyne.KeyReturn) // Stop
	if f.kept[0] != 4 || e.Line() != 1 {
		t.Fatalf("after the redo: kept %v, line %d", f.kept, e.Line()+1)
	}
	// Too short a take is not kept.
	f.nextSecs = 0.2
	key(w, fyne.KeyReturn)
	key(w, fyne.KeyReturn)
	if e.Line() != 1 || !strings.Contains(e.StateText(), "record the line again") {
		t.Fatalf("a 0.2 s take: line %d, %q", e.Line()+1, e.StateText())
	}
	delete(f.kept, 1) // the fake kept it; the screen did not
	f.nextSecs = 3
	key(w, fyne.KeyReturn)
	key(w, fyne.KeyReturn) // line 2 kept: on to line 3
	key(w, fyne.KeyReturn)
	key(w, fyne.KeyReturn) // the last line kept: Adapt is what comes next
	if b := highlighted(e.Content()); b == nil || b.Text != "Adapt my model" {
		t.Fatalf("after the last line the highlighted button is %v", b)
	}
	key(w, fyne.KeyReturn)
	if f.adapted != 1 || !e.Done() || !strings.Contains(e.StateText(), "ready") {
		t.Fatalf("adaptation: %d runs, done %v, %q", f.adapted, e.Done(), e.StateText())
	}
	key(w, fyne.KeyReturn) // Close, highlighted once done
	if !f.closed {
		t.Error("Enter after the adaptation did not close")
	}
}

// TestEnrollTakesUpAndFails: an enrollment taken up again starts at the first line not
// recorded; a microphone that fails to start and an adaptation that fails are said.
func TestEnrollTakesUpAndFails(t *testing.T) {
	e, f, w := newEnrollRig(t, map[int]float64{0: 3, 1: 2.5})
	if e.Line() != 2 {
		t.Fatalf("taken up at line %d, want 3", e.Line()+1)
	}
	f.startErr = errors.New("the microphone stopped")
	key(w, fyne.KeyReturn)
	if e.Recording() || !strings.Contains(e.StateText(), "the microphone stopped") {
		t.Fatalf("a failed start: recording %v, %q", e.Recording(), e.StateText())
	}
	f.adaptErr = errors.New("bw failed")
	test.Tap(buttonsIn(e.Content())["Adapt my model"]) // two lines: enough here
	if e.Done() || !strings.Contains(e.StateText(), "bw failed") {
		t.Fatalf("a failed adaptation: done %v, %q", e.Done(), e.StateText())
	}
	f.startErr = nil
	key(w, fyne.KeyReturn) // Record
	test.Tap(buttonsIn(e.Content())["Stop"])
	e.Close()
	if !f.closed || f.dropped != 0 {
		t.Errorf("closed %v, dropped %d", f.closed, f.dropped)
	}
	e2, f2, _ := newEnrollRig(t, nil)
	e2.ToggleRecord()
	e2.Close() // mid-line: the take is dropped
	if f2.dropped != 1 || !f2.closed {
		t.Errorf("closing mid-line: dropped %d, closed %v", f2.dropped, f2.closed)
	}
}
