// Package childproc starts the servers tests run (a PulseAudio daemon, an Xvfb, the station
// itself) so that they die with the test process: a test binary killed by `go test -timeout`,
// a signal or a crash never runs its t.Cleanup, and a daemon it started would otherwise stay
// up on the machine.
package childproc

import (
	"os/exec"
	"runtime"
	"sync"
)

var (
	spawnOnce sync.Once
	spawn     chan func()
)

// Start starts cmd like cmd.Start, asking the kernel to kill it (SIGKILL) when this process
// dies. Linux ties that request to the thread that forked the child, and the Go runtime may end
// a thread; so every child is forked from one goroutine locked to its own thread for the life
// of the process, which therefore never ends before the process does.
func Start(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawn = make(chan func())
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for f := range spawn {
				f()
			}
		}()
	})
	dieWithParent(cmd)
	done := make(chan error)
	spawn <- func() { done <- cmd.Start() }
	return <-done
}
