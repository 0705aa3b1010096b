package prepare

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU adds the process's CPU time per iteration (getrusage: every thread, the garbage
// collector's included) to a benchmark, as cpu-ns/op: on a machine shared with other work the
// wall-clock ns/op measures the queue as much as the code. start is cpuNow() before the loop.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
