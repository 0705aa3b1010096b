package app

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sightline/reader/display"
	studyprep "sightline/reader/prepare"
	"sightline/reader/session"
	"sightline/reader/study"
)

// prepareCLI runs `sightline prepare ARGS` through the real command tree, under the root's
// persistent flags, with a prepareCommand whose output the test captures (replacing the tree's
// own once it is wired with root.AddCommand(prepareCommand(o))).
func prepareCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	o := &Options{Out: &out, Err: &errb}
	root := Command()
	for _, c := range root.Commands() {
		if c.Name() == "prepare" {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(prepareCommand(o))
	root.SetArgs(append([]string{"prepare"}, args...))
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	err = root.Execute()
	return out.String(), errb.String(), err
}

// prepareFixture is a DICOM root holding two files from suyashkumar/dicom's testdata that
// display (3.dcm, a 176×176 MR; 6.dcm, a deflated 512×512) and one that does not (5.dcm,
// multi-frame), with worklists over them.
func prepareFixture(t *testing.T) (root, good, mixed string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/suyashkumar/dicom").Output()
	if err != nil {
		t.Fatalf("locating github.com/suyashkumar/dicom: %v", err)
	}
	lib := filepath.Join(strings.TrimSpace(string(out)), "testdata")
	dir := t.TempDir()
	root = filepath.Join(dir, "dicoms")
	for _, name := range []string{"3.dcm", "5.dcm", "6.dcm"} {
		b, err := os.ReadFile(filepath.Join(lib, name))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, "files", name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good = filepath.Join(dir, "good.csv")
	mixed = filepath.Join(dir, "mixed.csv")
	head := "dicom_id,path,Normal,cxr_exam_indication\n"
	rows := "mr,files/3.dcm,1,\"cough, fever\"\ndeflated,files/6.dcm,0,\"two\nlines\"\n"
	os.WriteFile(good, []byte(head+rows), 0o644)
	os.WriteFile(mixed, []byte(head+rows+"multi,files/5.dcm,0,x\n"), 0o644)
	return root, good, mixed
}

func TestPrepareCommand(t *testing.T) {
	root, good, mixed := prepareFixture(t)

	t.Run("all prepared", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "study")
		stdout, stderr, err := prepareCLI(t, "--worklist", good, "--dicom-root", root, "--out", out,
			"--seed", "5", "--session-size", "3", "--calibration-every", "2", "--reader", "ana", "--jobs", "2")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		for _, want := range []string{"prepared 2 of 2 cases into " + out, "seed 5", "plan for ana: 2 cases in 1 session of 3 screens"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout does not say %q:\n%s", want, stdout)
			}
		}
		if !strings.Contains(stderr, "preparing [") || !strings.Contains(stderr, "2/2 100%") {
			t.Errorf("no progress on stderr:\n%s", stderr)
		}
		st, err := study.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Cases) != 2 {
			t.Errorf("%d cases in the study", len(st.Cases))
		}
		p, err := studyprep.LoadPlan(out, "ana")
		if err != nil {
			t.Fatal(err)
		}
		if p.StudySeed != 5 || p.SessionSize != 3 || p.CalibEvery != 2 || len(p.Session(1)) != 3 {
			t.Errorf("plan %+v", p)
		}
		for _, c := range st.Cases {
			if _, _, err := display.LoadPNG(display.Path(out, c.DicomID)); err != nil {
				t.Error(err)
			}
		}

		// A second reader joins later: --out alone adds their plan.
		stdout, _, err = prepareCLI(t, "--out", out, "--reader", "ben")
		if err != nil || !strings.Contains(stdout, "plan for ben: 2 cases in 1 session of") {
			t.Fatalf("adding a reader: %v\n%s", err, stdout)
		}
		if _, _, err := prepareCLI(t, "--out", out, "--reader", "ben"); !errors.Is(err, os.ErrExist) {
			t.Errorf("adding ben twice: %v, want os.ErrExist", err)
		}
		if _, _, err := prepareCLI(t, "--worklist", good, "--dicom-root", root, "--out", out); !errors.Is(err, studyprep.ErrStudyExists) {
			t.Errorf("preparing over a study: %v, want ErrStudyExists", err)
		}
	})

	t.Run("an unreadable case fails the run, the rest go on", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "study")
		stdout, stderr, err := prepareCLI(t, "--worklist", mixed, "--dicom-root", root, "--out", out)
		if err == nil || !strings.Contains(err.Error(), "1 of 3 cases could not be prepared (listed in "+filepath.Join(out, "unreadable.csv")+")") {
			t.Fatalf("got %v", err)
		}
		if !strings.Contains(stdout, "prepared 2 of 3 cases") || !strings.Contains(stdout, "plan for reader1:") {
			t.Errorf("stdout:\n%s", stdout)
		}
		if !strings.Contains(stderr, "line 5, multi (files/5.dcm): unsupported DICOM image: 2 frames: multi-frame images are not read") {
			t.Errorf("stderr does not name the line and reason:\n%s", stderr)
		}
		if _, err := study.Load(out); err != nil {
			t.Errorf("the readable cases make no study: %v", err)
		}
	})

	t.Run("nothing readable", func(t *testing.T) {
		only := filepath.Join(t.TempDir(), "only.csv")
		os.WriteFile(only, []byte("dicom_id,path\nmulti,files/5.dcm\n"), 0o644)
		stdout, stderr, err := prepareCLI(t, "--worklist", only, "--dicom-root", root, "--out", filepath.Join(t.TempDir(), "s"))
		if err == nil || !strings.Contains(err.Error(), "none of the 1 cases could be prepared") {
			t.Fatalf("got %v", err)
		}
		if stdout != "" || !strings.Contains(stderr, "line 2, multi (files/5.dcm): unsupported DICOM image: 2 frames") {
			t.Errorf("stdout %q\nstderr %q", stdout, stderr)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--worklist", good}, "--out is needed"},
			{[]string{"--worklist", good, "--out", t.TempDir()}, "--worklist and --dicom-root go together"},
			{[]string{"--out", t.TempDir()}, "prepare.json"}, // adding a reader to a folder that is no study
			{[]string{"--worklist", good, "--dicom-root", root, "--out", t.TempDir(), "--reader", "a b"}, `reader name "a b"`},
		} {
			if _, _, err := prepareCLI(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q: got %v, want %q", tc.args, err, tc.want)
			}
		}
	})
}

// session.json records the seed and calibration frequency that made the order read: a prepared
// study's plan's own, not the clock's seed or the command line's frequency.
func TestSessionRecordsThePlansSeed(t *testing.T) {
	root, good, _ := prepareFixture(t)
	out := filepath.Join(t.TempDir(), "study")
	if _, stderr, err := prepareCLI(t, "--worklist", good, "--dicom-root", root, "--out", out,
		"--seed", "5", "--calibration-every", "2", "--reader", "ana"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	pl, err := studyprep.LoadPlan(out, "ana")
	if err != nil {
		t.Fatal(err)
	}
	p, err := prepare(&Options{Reader: "ana", CalibEvery: 20, Rate: 60, TrackerSpec: "mouse", Audio: "none", Err: io.Discard}, out)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	defer p.rec.Close(session.StatusEnded)
	st, err := session.ReadState(p.dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Seed != pl.Sessions[0].Seed || st.CalibEvery != 2 {
		t.Errorf("session.json: seed %d, calibration every %d; the plan's session 1: seed %d, every %d",
			st.Seed, st.CalibEvery, pl.Sessions[0].Seed, pl.CalibEvery)
	}
}

// The plan line reads as a sentence: "1 session", and "7, 7 and 6 screens" for several.
// TestPrepareSeveralReaders: --readers with --overlap 1 over two cases: one case read by both,
// the other by one reader; each plan names the shared case.
func TestPrepareSeveralReaders(t *testing.T) {
	root, good, _ := prepareFixture(t)
	out := filepath.Join(t.TempDir(), "study")
	stdout, stderr, err := prepareCLI(t, "--worklist", good, "--dicom-root", root, "--out", out,
		"--seed", "5", "--readers", "alice,bob", "--overlap", "1", "--jobs", "1")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "1 cases read by every reader") {
		t.Errorf("stdout:\n%s", stdout)
	}
	count := map[string]int{}
	var shared []string
	for _, r := range []string{"alice", "bob"} {
		p, err := studyprep.LoadPlan(out, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Shared) != 1 || (shared != nil && p.Shared[0] != shared[0]) {
			t.Errorf("%s's plan shares %v", r, p.Shared)
		}
		shared = p.Shared
		for _, sc := range p.Session(1) {
			if sc.Kind == session.KindCase {
				count[sc.DicomID]++
			}
		}
	}
	if count[shared[0]] != 2 || len(count) != 2 {
		t.Errorf("reads per case %v, want the shared one twice and the other once", count)
	}
	rec, err := studyprep.ReadRecord(out)
	if err != nil || rec.Overlap == nil || *rec.Overlap != 1 || len(rec.Readers) != 2 {
		t.Errorf("prepare.json: %+v %v", rec, err)
	}
	if _, _, err := prepareCLI(t, "--worklist", good, "--dicom-root", root, "--out", filepath.Join(t.TempDir(), "s"), "--overlap", "1"); err == nil || !strings.Contains(err.Error(), "several --readers") {
		t.Errorf("--overlap with one reader: %v", err)
	}
}
