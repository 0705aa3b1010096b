// Package notrun is how a test that cannot run on this machine (no root, no mount rights, a
// tool the machine lacks) says so where `make test` shows it: the test is skipped with its
// reason, and the reason is appended to the file named by $SIGHTLINE_NOT_RUN, which the
// Makefile prints at the end of the run. A skipped test must never look like a passed one.
package notrun

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Env names the file the reasons are appended to; unset, the skip shows only in `go test -v`.
const Env = "SIGHTLINE_NOT_RUN"

// Skip records that t could not run here, and why, then skips it.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if err := Note(t.Name(), reason); err != nil {
		// The note is the only trace a skip leaves in `make test`: without it, fail.
		t.Fatalf("could not run here (%s), and could not note it: %v", reason, err)
	}
	t.Skip("could not run here: " + reason)
}

// Note appends one line, "<package dir> <test>: <reason>", to $SIGHTLINE_NOT_RUN when it is set.
// Each line is one write to a file opened for appending, so test binaries running in parallel
// do not interleave their lines.
func Note(test, reason string) error {
	path := os.Getenv(Env)
	if path == "" {
		return nil
	}
	dir, _ := os.Getwd() // go test runs each package in its own directory
	line := fmt.Sprintf("%s %s: %s\n", dir, test, strings.Join(strings.Fields(reason), " "))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
