package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// fakeSessionRun is a run for the session's windows.
type fakeSessionRun struct {
	fakeSource
	done chan struct{}
}

func (f *fakeSessionRun) Stop(reason string) {
	f.calls = append(f.calls, "stop "+reason)
	close(f.done)
}
func (f *fakeSessionRun) Done() <-chan struct{} { return f.done }

// TestShowSession: the reading view fills the reader's window and takes its keys; the
// operator's console opens in a window of its own only when asked for, and closes with the
// reader's window.
func TestShowSession(t *testing.T) {
	a := test.NewTempApp(t)
	for _, operator := range []bool{false, true} {
		// Closed once, below (Fyne's test driver panics, holding its lock, on a second Close).
		w := test.NewWindow(widget.NewLabel(""))
		v := NewReading()
		run := &fakeSessionRun{done: make(chan struct{})}
		before := len(a.Driver().AllWindows()) // the reader's and those the app holds anyway
		stopped := ShowSession(w, v, run, SessionWindows{Operator: operator, Tracker: func() string { return "connected" }})
		// The run ends: the console stops after one last update, before the test goes on (the
		// test driver runs the console's updates on the console's goroutine).
		close(run.done)
		select {
		case <-stopped:
		case <-time.After(time.Minute):
			t.Fatalf("operator %v: the console did not stop once the run had ended", operator)
		}
		if w.Content() != v.Content() {
			t.Errorf("operator %v: the reader's window does not show the reading view", operator)
		}
		if w.Canvas().OnTypedKey() == nil {
			t.Errorf("operator %v: the reader's window has no keys", operator)
		}
		want := before
		if operator {
			want++
		}
		if n := len(a.Driver().AllWindows()); n != want {
			t.Errorf("operator %v: %d windows, want %d", operator, n, want)
		}
		w.Close()
		if n := len(a.Driver().AllWindows()); n != before-1 {
			t.Errorf("operator %v: %d windows left after the reader's closed", operator, n)
		}
	}
}
