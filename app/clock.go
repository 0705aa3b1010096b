package app

import (
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// monotonic reads CLOCK_MONOTONIC: unlike Go's per-process monotonic readings it is shared by
// every process of one boot, so a session resumed after a crash continues the same clock.
func monotonic() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// bootID identifies this boot of the machine (CLOCK_MONOTONIC restarts with each).
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// sessionClock returns the host clock of a session whose origin is the given CLOCK_MONOTONIC
// reading.
func sessionClock(origin time.Duration) func() time.Duration {
	return func() time.Duration { return monotonic() - origin }
}
