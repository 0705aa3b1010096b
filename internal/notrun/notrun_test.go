package notrun

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSkipIsNoted(t *testing.T) {
	notes := filepath.Join(t.TempDir(), "not-run.txt")
	t.Setenv(Env, notes)
	ran := false
	t.Run("needs a tmpfs", func(t *testing.T) {
		Skip(t, "mount: permission\n denied")
		ran = true
	})
	if ran {
		t.Fatal("Skip returned: the test went on running")
	}
	t.Run("another", func(t *testing.T) { Skip(t, "no xdotool") })
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
