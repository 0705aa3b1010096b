// Package notrun is how a test that cannot run on this machine says so where `make test` shows
// it: the test is skipped with its reason, and the reason is appended to the file named by
// $SIGHTLINE_NOT_RUN, which the Makefile prints at the end of the run. A skipped test must never
// look like a passed one.
//
// Two kinds of not-run. Skip: the test needs a tool that `scripts/deps.sh test` installs
// (ffmpeg, pocketsphinx, chromium...); `make test` runs that first and sets RequireEnv, so there
// such a skip is a gap in the run and fails the test instead. Allow: the machine may lack what
// the test needs for good (mount rights for a tmpfs, a model no package ships); the test is
// skipped and listed, and the run still passes.
package notrun

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Env names the file the reasons are appended to; unset, the skip shows only in `go test -v`.
const Env = "SIGHTLINE_NOT_RUN"

// RequireEnv, set to 1 (as `make test` does once scripts/deps.sh test has installed the test
// tools), turns Skip into a failure.
const RequireEnv = "SIGHTLINE_REQUIRE_TOOLS"

// Skip records that t could not run here because a tool scripts/deps.sh test installs is
// missing, and why, then skips it; with RequireEnv=1 it fails t instead: that tool should be
// here.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("NOT RUN, and it must run here (%s=1: scripts/deps.sh test installed the test tools): %s", RequireEnv, reason)
	}
	skip(t, reason)
}

// Allow records that t could not run here for a reason the machine may have for good (no mount
// rights, no model file), then skips it, under `make test` too.
func Allow(t testing.TB, reason string) {
	t.Helper()
	skip(t, reason)
}

func skip(t testing.TB, reason string) {
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
