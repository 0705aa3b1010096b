package notrun

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSkipIsNoted(t *testing.T) {
	notes := filepath.Join(t.TempDir(), "not-run.txt")
	t.Setenv(Env, notes)
	t.Setenv(RequireEnv, "")
	ran := false
	t.Run("needs a tmpfs", func(t *testing.T) {
		Skip(t, "mount: permission\n denied")
		ran = true
	})
	if ran {
		t.Fatal("Skip returned: the test went on running")
	}
	t.Run("another", func(t *testing.T) { Allow(t, "no xdotool") })
	b, err := os.ReadFile(notes)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := os.Getwd()
	want := dir + " TestSkipIsNoted/needs_a_tmpfs: mount: permission denied\n" +
		dir + " TestSkipIsNoted/another: no xdotool\n"
	if string(b) != want {
		t.Fatalf("notes:\n%s\nwant:\n%s", b, want)
	}
}

func TestNoteWithoutTheEnv(t *testing.T) {
	t.Setenv(Env, "")
	if err := Note("TestX", "why"); err != nil {
		t.Fatal(err)
	}
}

func TestNoteUnwritable(t *testing.T) {
	t.Setenv(Env, filepath.Join(t.TempDir(), "no-such-dir", "not-run.txt"))
	if err := Note("TestX", "why"); err == nil || !strings.Contains(err.Error(), "no-such-dir") {
		t.Fatalf("Note into a missing folder: %v", err)
	}
}

// TestSkipRequired: under make test (RequireEnv=1) a Skip fails the test, naming the reason,
// and notes nothing; an Allow still skips and is noted. Run in a child process: a failing
// subtest would fail this test.
func TestSkipRequired(t *testing.T) {
	if os.Getenv("NOTRUN_CHILD") == "1" {
		t.Run("needs ffmpeg", func(t *testing.T) { Skip(t, "ffmpeg not installed") })
		t.Run("needs mount rights", func(t *testing.T) { Allow(t, "cannot mount") })
		return
	}
	notes := filepath.Join(t.TempDir(), "not-run.txt")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSkipRequired$", "-test.v")
	cmd.Env = append(os.Environ(), "NOTRUN_CHILD=1", RequireEnv+"=1", Env+"="+notes)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("a required test that skipped passed:\n%s", out)
	}
	for _, want := range []string{
		"--- FAIL: TestSkipRequired/needs_ffmpeg",
		"NOT RUN, and it must run here (" + RequireEnv + "=1: scripts/deps.sh test installed the test tools): ffmpeg not installed",
		"--- SKIP: TestSkipRequired/needs_mount_rights",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(notes)
	if err != nil {
		t.Fatal(err)
	}
	if dir, _ := os.Getwd(); string(b) != dir+" TestSkipRequired/needs_mount_rights: cannot mount\n" {
		t.Errorf("notes:\n%s", b)
	}
}
