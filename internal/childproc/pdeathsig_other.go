//go:build !linux

package childproc

import "os/exec"

// Elsewhere there is no parent-death signal: t.Cleanup is the only stop.
func dieWithParent(*exec.Cmd) {}
