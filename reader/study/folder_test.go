package study

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"sightline/reader/session"
	"sightline/reader/stage"
)

var plan3 = []session.Screen{{Index: 0, Kind: session.KindCase, DicomID: "a"}, {Index: 1, Kind: session.KindCase, DicomID: "b"},
	{Index: 2, Kind: session.KindCase, DicomID: "c"}}

// record makes session id of reader in the study, its first screen read, then ends it with
// status (session.StatusRecording leaves it live: the recorder is returned open).
func record(t *testing.T, studyDir, id, reader string, started time.Time, status string) *session.Recorder {
	t.Helper()
	r, err := session.Create(SessionDir(studyDir, id), session.Meta{SessionID: id, Reader: reader, Plan: plan3, StartedWall: started})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.BeginScreen(plan3[0], stage.Fit(100, 100), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := r.EndScreen(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if status == session.StatusRecording {
		t.Cleanup(func() { r.Close(session.StatusEnded) })
		return r
	}
	if err := r.Finish(status, "test"); err != nil {
		t.Fatal(err)
	}
	return nil
}

func TestSessionIDs(t *testing.T) {
	dir := t.TempDir()
	if ids, err := SessionIDs(dir); err != nil || ids != nil {
		t.Fatalf("a study without a sessions folder: %v, %v; want none and no error", ids, err)
	}
	for _, d := range []string{"b", "a", ".work"} {
		if err := os.MkdirAll(SessionDir(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(SessionsRoot(dir), "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if ids, err := SessionIDs(dir); err != nil || !reflect.DeepEqual(ids, []string{"a", "b"}) {
		t.Fatalf("SessionIDs = %v, %v; want [a b] (hidden folders and files left out)", ids, err)
	}
	// A sessions "folder" that is a file is an error naming it.
	bad := t.TempDir()
	if err := os.WriteFile(SessionsRoot(bad), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := SessionIDs(bad); err == nil || !strings.Contains(err.Error(), SessionsRoot(bad)) {
		t.Fatalf("SessionIDs of a sessions file: %v; want an error naming it", err)
	}
}

func TestLatestAndInterrupted(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	record(t, dir, "old", "alice", t0, session.StatusEnded)
	record(t, dir, "new", "alice", t0.Add(time.Hour), session.StatusEnded)
	record(t, dir, "bob", "bob", t0.Add(2*time.Hour), session.StatusComplete)
	record(t, dir, "live", "carol", t0.Add(3*time.Hour), session.StatusRecording)

	for _, tc := range []struct {
		reader string
		want   string // "" for none
	}{
		{"alice", "new"}, // the newest of alice's, ended with screens left
		{"bob", ""},      // complete: nothing to continue
		{"carol", ""},    // still recording
		{"dave", ""},     // no session
	} {
		st, ok, err := Latest(dir, tc.reader)
		if err != nil || ok != (tc.want != "") || st.SessionID != tc.want {
			t.Errorf("Latest(%s) = %q %v %v; want %q", tc.reader, st.SessionID, ok, err, tc.want)
		}
	}

	// A live session is not interrupted; a copy of its state, with nobody holding the copy's
	// lock, is (the station was killed).
	if cut, err := Interrupted(dir); err != nil || len(cut) != 0 {
		t.Fatalf("Interrupted = %v, %v; want none while the recorder lives", cut, err)
	}
	b, err := os.ReadFile(filepath.Join(SessionDir(dir, "live"), session.StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(SessionDir(dir, "killed"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(SessionDir(dir, "killed"), session.StateFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cut, err := Interrupted(dir)
	if err != nil || len(cut) != 1 || cut[0].Reader != "carol" || len(cut[0].Remaining()) != 2 {
		t.Fatalf("Interrupted = %+v, %v; want carol's copy with 2 screens left", cut, err)
	}
}

func TestFinalReads(t *testing.T) {
	dir := t.TempDir()
	record(t, dir, "s", "alice", time.Now(), session.StatusEnded)
	o, err := session.Open(SessionDir(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	got := FinalReads(o)
	if len(got) != 1 || got[0].Dir != CaseDir(dir, "s", "00-a") {
		t.Fatalf("FinalReads = %v; want the one case read, in %s", got, CaseDir(dir, "s", "00-a"))
	}
}

// Only this package joins a path under a study's sessions folder: no other Go file of the
// module, tests included, spells "sessions" as a path element (a string literal that is the
// word alone or the word between slashes). JSON keys and words in messages are not paths.
func TestNoSessionsPathOutsideStudy(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from the package folder: %v", err)
	}
	self, _ := filepath.Abs(".")
	fset := token.NewFileSet()
	var bad []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == self || (p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && sessionsElement(s) {
				bad = append(bad, fset.Position(lit.Pos()).String())
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("%q spelled as a path element outside reader/study (use study.SessionsRoot, SessionDir, CaseDir, SessionIDs):\n%s",
			SessionsDir, strings.Join(bad, "\n"))
	}
}

// sessionsElement says whether s names the sessions folder as a path or part of one.
func sessionsElement(s string) bool {
	for _, el := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '\\' }) {
		if el == SessionsDir && strings.TrimSpace(s) == s && !strings.ContainsAny(s, " \n\t\"") {
			return true
		}
	}
	return false
}
