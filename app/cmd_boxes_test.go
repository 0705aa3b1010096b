package app

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sightline/reader/demo/demotest"
	"sightline/reader/review"
	"sightline/reader/review/pgtest"
	"sightline/reader/study"
)

func TestBoxesCommandNeedsAMode(t *testing.T) {
	// Without --apply or --export the editor opens: without a display that is said, and a
	// study that is not there is named first.
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	_, _, err := runCommand(t, boxesCommand, demotest.Dir(t))
	if !errors.Is(err, errNoDisplay) {
		t.Errorf("err %v, want no display", err)
	}
	_, _, err = runCommand(t, boxesCommand, filepath.Join(t.TempDir(), "nowhere"))
	if err == nil || errors.Is(err, errNoDisplay) || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("a missing study: err %v, want it named", err)
	}
	_, _, err = runCommand(t, boxesCommand, demotest.Dir(t), "--apply", "x.csv")
	if err == nil || !strings.Contains(err.Error(), "--user") {
		t.Errorf("--apply without --user: err %v", err)
	}
}

// TestBoxesCommand: the demo study's real DICOMs give the sizes; a bad file is refused whole
// with its lines; a good one lands in the store and in the export, with its audit.
func TestBoxesCommand(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { boxesCommandCase(t, "") }) // the study's own review.db
	t.Run("postgres", func(t *testing.T) { boxesCommandCase(t, pgtest.Database(t)) })
}

func boxesCommandCase(t *testing.T, store string) {
	dir := demotest.Dir(t)
	if store == "" {
		store = dir
	}
	s, err := study.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	orig, _ := os.ReadFile(filepath.Join(dir, study.BoundingBoxes))
	out := filepath.Join(tmp, "boxes.csv")
	stdout, stderr, err := runCommand(t, boxesCommand, dir, "--store", store, "--export", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, orig) {
		t.Errorf("export with no edits differs from the demo's bounding_boxes.csv")
	}
	if !strings.Contains(stdout, "the audit (0 changes) to "+filepath.Join(tmp, "boxes.audit.csv")) {
		t.Errorf("stdout %q", stdout)
	}

	id := s.Cases[0].DicomID
	edits := filepath.Join(tmp, "edits.csv")
	os.WriteFile(edits, []byte("dicom_id,bbox_name,x1,x2,y1,y2,status\n"+
		id+",trachea,100,200,300,400,edited\n"+
		id+",trachea2,100,200,300,400,edited\n"+
		id+",left lung,100,200000,300,400,edited\n"), 0o644)
	_, _, err = runCommand(t, boxesCommand, dir, "--store", store, "--apply", edits, "--user", "ann")
	if err == nil || !strings.Contains(err.Error(), edits+`:3: unknown zone "trachea2"`) || !strings.Contains(err.Error(), edits+":4: box x 100–200000") {
		t.Fatalf("bad rows: err %v", err)
	}
	os.WriteFile(edits, []byte("dicom_id,bbox_name,x1,x2,y1,y2,status\n"+
		id+",trachea,100,200,300,400.5,edited\n"+id+",left lung,,,,,absent\n"), 0o644)
	stdout, stderr, err = runCommand(t, boxesCommand, dir, "--store", store, "--apply", edits, "--user", "ann", "--export", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "applied 2 edit(s) from "+edits+" as ann") || !strings.Contains(stdout, "the audit (2 changes)") {
		t.Errorf("stdout %q", stdout)
	}
	got, _ := os.ReadFile(out)
	if !strings.Contains(string(got), id+",trachea,100.0,200.0,300.0,400.5\n") || strings.Contains(string(got), id+",left lung,") {
		t.Errorf("export lacks the edits:\n%s", got)
	}
	if n := bytes.Count(got, []byte("\n")); n != bytes.Count(orig, []byte("\n"))-1 {
		t.Errorf("export has %d lines, want the original's less the absent box", n)
	}
	audit, _ := os.ReadFile(filepath.Join(tmp, "boxes.audit.csv"))
	if !strings.Contains(string(audit), ","+id+",trachea,edit,0,0,original,") || !strings.Contains(string(audit), ",absent,,,,,0,ann,") {
		t.Errorf("audit:\n%s", audit)
	}
	// The edits stay stored once the command has ended: a later export finds them.
	again := filepath.Join(tmp, "again.csv")
	stdout, stderr, err = runCommand(t, boxesCommand, dir, "--store", store, "--export", again)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "the audit (2 changes)") {
		t.Errorf("a later export: %q, want the 2 changes applied before", stdout)
	}
}

// lockedWriter is a writer several goroutines may write and the test read.
type lockedWriter struct {
	mu    sync.Mutex
	b     strings.Builder
	wrote chan struct{}
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestBoxesApplySaysWhatItWaitsFor: `boxes --apply` while another program holds the store's
// write lock says, after a second, what it waits for and who holds the lock, then applies
// once the lock is gone.
func TestBoxesApplySaysWhatItWaitsFor(t *testing.T) {
	ctx := context.Background()
	dir, edits := applyStudy(t, 1, 2)
	st, err := review.Open(ctx, dir, review.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	release := holdWriteLock(t, dir)
	var out bytes.Buffer
	errw := &lockedWriter{wrote: make(chan struct{}, 1)}
	cmd := boxesCommand(&Options{Out: &out, Err: errw})
	cmd.SetArgs([]string{dir, "--apply", edits, "--user", "ann"})
	cmd.SetOut(&out)
	cmd.SetErr(errw)
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()
	want := fmt.Sprintf("sightline: waiting for the write lock of %s (held by process %d (app.test, user ",
		filepath.Join(dir, review.FileName), os.Getpid())
	for !strings.Contains(errw.String(), want) {
		select {
		case <-errw.wrote:
		case err := <-done:
			t.Fatalf("the command ended while the lock was held: %v; stderr %q", err, errw.String())
		case <-time.After(2 * time.Minute):
			t.Fatalf("stderr %q, want %q", errw.String(), want)
		}
	}
	release()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(out.String(), "applied 2 edit(s)") {
			t.Fatalf("%v: %s", err, out.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the command did not go on once the lock was gone")
	}
	if n := strings.Count(errw.String(), "waiting for"); n != 1 {
		t.Errorf("said %d times: %q", n, errw.String())
	}
}

// holdWriteLock takes the write lock of the SQLite store in dir (BEGIN IMMEDIATE on a
// connection of its own), as another program would. release lets it go; the test's end does
// too, if it has not.
func holdWriteLock(t *testing.T, dir string) (release func()) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, review.FileName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
				t.Errorf("release the write lock: %v", err)
			}
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}
