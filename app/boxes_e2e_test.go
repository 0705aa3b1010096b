//go:build e2e

package app

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sightline/internal/childproc"
	"sightline/reader/demo"
	"sightline/reader/review"
)

// editorProc is a box editor started as a user starts it.
type editorProc struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process is gone
	log    string
}

func startEditor(t *testing.T, bin string, env []string, studyDir, who string) *editorProc {
	t.Helper()
	p := &editorProc{exited: make(chan struct{}), log: filepath.Join(t.TempDir(), "boxes-"+who+".log")}
	p.cmd = exec.Command(bin, "boxes", studyDir, "--user", who)
	p.cmd.Env = env
	p.cmd.Dir = t.TempDir() // not beside a FyneApp.toml (see station)
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := childproc.Start(p.cmd); err != nil {
		t.Fatalf("start the box editor: %v", err)
	}
	go func() { _ = p.cmd.Wait(); logf.Close(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		checkStationLog(t, p.log)
	})
	return p
}

func xdo(t *testing.T, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool %v: %v: %s", args, err, out)
	}
}

// TestE2EBoxEditorKilledWithAnEditInItsJournal: the real editor, its store's write lock held
// by another program, saves a nudge: the edit goes to the journal beside the study (fsynced)
// while the store waits. SIGKILL then: no chance to save or say anything. The store holds
// nothing of it; once the lock is gone the next start of the editor stores exactly what the
// journal held, and removes it. Two editors open on the same machine log no "Preferences load
// error" when one quits.
func TestE2EBoxEditorKilledWithAnEditInItsJournal(t *testing.T) {
	bin := binary(t)
	disp := startX(t)
	studyDir := t.TempDir()
	if _, err := demo.Write(studyDir); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := review.Open(ctx, studyDir, review.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	config := t.TempDir()
	env := append(os.Environ(), "DISPLAY="+disp, "LANG=en_US.UTF-8", "FYNE_SCALE=1", "XDG_CONFIG_HOME="+config)

	// Another program holds the write lock: every save of the editor waits on it.
	release := holdWriteLock(t, studyDir)

	ann := startEditor(t, bin, env, studyDir, "ann")
	journal := review.OpenJournal(review.JournalPath(studyDir, "ann"))
	var pending []review.BoxEdit
	// Click the image (the canvas takes the keys), select a zone, nudge it, save; again until
	// the window has taken the keys and the journal holds the edit.
	waitFor(t, "the nudge saved to the journal", 60*time.Second, func() bool {
		xdo(t, env, "mousemove", "1000", "500", "click", "1")
		xdo(t, env, "key", "Tab", "Right", "ctrl+s")
		pending, _ = journal.Pending()
		return len(pending) > 0
	})
	if err := ann.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-ann.exited
	if p, err := journal.Pending(); err != nil || len(p) < len(pending) {
		t.Fatalf("after the kill the journal holds %d edit(s) (%v), %d before", len(p), err, len(pending))
	}
	pending, _ = journal.Pending()
	stored := func() []review.BoxEdit {
		r, err := review.Open(ctx, studyDir, review.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		log, err := r.BoxLog(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return log
	}
	if log := stored(); len(log) != 0 {
		t.Fatalf("the store holds %d row(s) while its lock was held throughout", len(log))
	}
	release()

	// The next start finds the journal and stores it; bob's editor is open beside it.
	bob := startEditor(t, bin, env, studyDir, "bob")
	ann2 := startEditor(t, bin, env, studyDir, "ann")
	var log []review.BoxEdit
	waitFor(t, "the journal replayed into the store", 60*time.Second, func() bool {
		_, err := os.Stat(journal.Path())
		log = stored()
		return os.IsNotExist(err) && len(log) > 0
	})
	latest := map[review.BoxKey]review.Box{}
	for _, e := range pending {
		latest[e.Key] = e.After
	}
	got := map[review.BoxKey]review.Box{}
	for _, e := range log {
		if e.Who != "ann" {
			t.Errorf("row %d by %q", e.Rev, e.Who)
		}
		got[e.Key] = e.After
	}
	for k, want := range latest {
		if got[k] != want {
			t.Errorf("%v: stored %+v, the journal held %+v", k, got[k], want)
		}
	}
	if len(got) != len(latest) {
		t.Errorf("stored boxes %v, the journal held %v", got, latest)
	}

	// A preferences file half written, as an editor quitting leaves it for a moment (Fyne
	// truncates it, then writes): before, every other editor watched it and read it so
	// ("Preferences load error: EOF").
	prefs := filepath.Join(config, "fyne", "org.sightline.boxes", "preferences.json")
	if err := os.MkdirAll(filepath.Dir(prefs), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prefs, []byte(`{"half": `), 0o600); err != nil {
		t.Fatal(err)
	}
	// ann quits (SIGTERM saves and ends); bob's editor goes on and says nothing of preferences.
	if err := ann2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ann2.exited:
	case <-time.After(patience * 30 * time.Second):
		t.Fatal("the editor did not end on SIGTERM")
	}
	if err := bob.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-bob.exited
	for _, p := range []*editorProc{ann, ann2, bob} {
		if b, _ := os.ReadFile(p.log); strings.Contains(string(b), "Preferences load error") {
			t.Errorf("%s: %s", p.log, b)
		}
	}
}
