package ui

import (
	"sync/atomic"

	"fyne.io/fyne/v2"
)

// quitting is set once the station's window loop is ending. Fyne runs a fyne.Do function in
// line, on the caller's goroutine, once its loop has drained; the goroutines still updating the
// views then (the session being ended, the console's ticker, the gaze overlay) would touch
// widgets off the main goroutine.
var quitting atomic.Bool

// Quitting makes Do drop what it is given from now on. The station calls it as its window's
// loop ends (before the session on show is ended), so that nothing is drawn into a window
// that is going away.
func Quitting() { quitting.Store(true) }

// Do runs f on the UI goroutine (fyne.Do), unless the station is quitting. Goroutines that
// update a view use it instead of fyne.Do.
func Do(f func()) {
	if quitting.Load() {
		return
	}
	fyne.Do(f)
}

// Quit ends the app's loop from any goroutine (a signal): drawing stops first (Quitting),
// then the loop is asked to end on the UI goroutine. Quit itself is never dropped.
func Quit(a fyne.App) {
	Quitting()
	fyne.Do(a.Quit)
}
