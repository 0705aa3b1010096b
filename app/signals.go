package app

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"sightline/reader/reading"
)

// guiSignals is set while the station's window handles SIGINT and SIGTERM itself, so that the
// --cpuprofile handler leaves the ending to it (the profile is finished when runGUI returns).
var guiSignals atomic.Bool

// closeWait bounds how long a signalled station waits for its devices to close (the last MP3s)
// after the session's files are closed: the session itself is closed before it.
const closeWait = 1500 * time.Millisecond

// live is the session being read in the window, to end it when the window's loop returns.
type live struct {
	mu     sync.Mutex
	run    *reading.Run
	closed chan struct{} // closed once the session's devices are closed after the run
	// boxes saves and closes the box editor the station opened ("Correct boxes…"), if any:
	// Fyne ends its loop on SIGTERM and SIGINT without closing the window, so nothing else
	// would save its unsaved edits.
	boxes func()
}

// setBoxes records what saves and closes the box editor on show.
func (l *live) setBoxes(leave func()) {
	l.mu.Lock()
	l.boxes = leave
	l.mu.Unlock()
}

// leaveBoxes saves and closes the box editor on show, if there is one (once: leave is).
func (l *live) leaveBoxes() {
	l.mu.Lock()
	leave := l.boxes
	l.mu.Unlock()
	if leave != nil {
		leave()
	}
}

func (l *live) set(run *reading.Run, closed chan struct{}) {
	l.mu.Lock()
	l.run, l.closed = run, closed
	l.mu.Unlock()
}

// end ends the session on show, if it is still going, and returns once its files are closed
// (and its devices, within closeWait).
func (l *live) end(reason string, log io.Writer) {
	l.mu.Lock()
	run, closed := l.run, l.closed
	l.mu.Unlock()
	if run == nil {
		return
	}
	select {
	case <-run.Done():
	default:
		fmt.Fprintf(log, "sightline: %s: ending the session\n", reason)
		run.Stop(reason)
		<-run.Done()
	}
	select {
	case <-closed:
	case <-time.After(closeWait):
	}
}

// handleSignals makes SIGINT and SIGTERM quit the window (Fyne's driver does so too), and
// returns what the station calls once the window's loop has returned: why it quit (the signal,
// or "station quit"); and stop, which stops handling them.
//
// The session is ended after the loop returns, on the main goroutine, because Fyne quits on
// these signals on its own: a handler racing it could lose.
func handleSignals(quit func()) (why func() string, stop func()) {
	guiSignals.Store(true)
	// Every channel registered for a signal gets it in one pass, before any reader runs: once the
	// loop has returned on a signal, sig holds it.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	kick := make(chan os.Signal, 1)
	signal.Notify(kick, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-kick:
			quit()
		case <-done:
		}
	}()
	why = func() string {
		select {
		case s := <-sig:
			return signalName(s)
		default:
			return "station quit"
		}
	}
	stop = func() {
		signal.Stop(sig)
		signal.Stop(kick)
		close(done)
		guiSignals.Store(false)
	}
	return why, stop
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
