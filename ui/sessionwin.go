package ui

import (
	"context"

	"fyne.io/fyne/v2"
)

// SessionRun is a session being read as its windows drive it (*reading.Run satisfies it).
type SessionRun interface {
	Controls
	OperatorSource
	Stop(reason string)
	Done() <-chan struct{}
}

// SessionWindows say which windows a session shows besides the reader's.
type SessionWindows struct {
	Operator bool               // the operator's console in a window of its own
	Tracker  func() string      // the tracker connection's latest state, for the console
	Audio    func() AudioStatus // the microphone, for the console; nil: a gaze-only session
}

// ShowSession puts the reading view v of run in the reader's window w and, with opt.Operator,
// opens the operator's console in a second window (on a second monitor in a real station: the
// reader's window stays clean), refreshed until the run ends. The reader's keys go to w.
// Closing w mid-session ends the run cleanly (it closes its files first), then the window; the
// console closes with it. What closing the session's summary does (v.OnClose) is the caller's.
// The channel returned is closed once the console has stopped updating (the run ended), at
// once when there is none.
func ShowSession(w fyne.Window, v *Reading, run SessionRun, opt SessionWindows) <-chan struct{} {
	stopped := make(chan struct{})
	v.SetControls(run)
	w.SetContent(v.Content())
	var console fyne.Window
	if opt.Operator {
		con := NewOperator(run)
		con.Tracker, con.Audio = opt.Tracker, opt.Audio
		console = fyne.CurrentApp().NewWindow("Sightline — operator")
		console.SetContent(con.Content())
		console.Resize(fyne.NewSize(1120, 440))
		console.Show()
		ctx, cancel := context.WithCancel(context.Background())
		go func() { con.Run(ctx); close(stopped) }()
		go func() { <-run.Done(); cancel() }()
		w.RequestFocus() // the reader's keys go to the reader's window
	}
	w.Canvas().SetOnTypedKey(v.TypedKey)
	w.SetCloseIntercept(func() {
		run.Stop("window closed")
		go func() {
			<-run.Done()
			Do(w.Close)
		}()
		w.SetCloseIntercept(nil)
	})
	if console != nil {
		w.SetOnClosed(console.Close)
	} else {
		close(stopped)
	}
	return stopped
}
