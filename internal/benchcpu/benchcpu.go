// Package benchcpu adds the process's CPU time per iteration to benchmarks: on a machine shared
// with other work the wall-clock ns/op measures the queue as much as the code.
package benchcpu

import (
	"syscall"
	"testing"
	"time"
)

// Now is the process's CPU time so far (getrusage: every thread, the garbage collector's
// included); 0 when the kernel will not say.
func Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report adds cpu-ns/op to b; start is Now() before the benchmark's loop.
func Report(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(Now()-start)/float64(b.N), "cpu-ns/op")
}
