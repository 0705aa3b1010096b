package app

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sightline/internal/testkit"
	"sightline/reader/study"
	"strings"
	"testing"
)

// mainSays runs the command line as Main does and returns what it prints for the error: each
// step once, no "study: open worklist:" chains.
func mainSays(t *testing.T, args ...string) string {
	t.Helper()
	cmd := Command()
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	var errb bytes.Buffer
	cmd.SetErr(&errb)
	err := cmd.Execute()
	if err == nil {
		t.Fatalf("%v: no error", args)
	}
	return "sightline: " + err.Error()
}

func TestUserFacingErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nostudy")
	empty := t.TempDir()
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "master_sheet.csv"), []byte("dicom_id,path\na,a.dcm\n\"b,b.dcm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	short := t.TempDir()
	if err := os.WriteFile(filepath.Join(short, "master_sheet.csv"), []byte("dicom_id,path,Normal\na,a.dcm,1\nb,b.dcm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(short, "good.csv"), []byte("dicom_id,path\na,a.dcm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", missing, "--out", out}, "sightline: export: " + missing + ": no such file or directory"},
		{[]string{"export", empty, "--out", out}, "sightline: export: " + filepath.Join(empty, "master_sheet.csv") + ": no such file or directory"},
		{[]string{"export", bad, "--out", out}, "sightline: export: " + filepath.Join(bad, "master_sheet.csv") + `:3: column 10: extraneous or missing " in quoted-field`},
		{[]string{"heatmap", short, "--out", out}, "sightline: heatmap: " + filepath.Join(short, "master_sheet.csv") + ":3: wrong number of fields (every row must be as wide as the header)"},
		{[]string{"analyze", missing, "--out", out, "--quiet"}, "sightline: analysis: " + missing + ": no such file or directory"},
		{[]string{"prepare", "--worklist", filepath.Join(missing, "w.csv"), "--dicom-root", empty, "--out", out},
			"sightline: prepare: " + filepath.Join(missing, "w.csv") + ": no such file or directory"},
		{[]string{"prepare", "--worklist", filepath.Join(short, "good.csv"), "--dicom-root", missing, "--out", out},
			"sightline: prepare: DICOM root " + missing + ": no such file or directory"},
	} {
		if got := mainSays(t, tc.args...); got != tc.want {
			t.Errorf("sightline %s\n said: %s\n want: %s", strings.Join(tc.args, " "), got, tc.want)
		}
	}

	// A bad row of a dataset's fixations.csv: the file, line and column, once.
	ds := analyzeDataset(t)
	fix := filepath.Join(ds, "fixations.csv")
	b, err := os.ReadFile(fix)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	f := strings.Split(lines[2], ",")
	f[4] = "abc"
	lines[2] = strings.Join(f, ",")
	if err := os.WriteFile(fix, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"heatmap", "analyze"} {
		want := "sightline: " + map[string]string{"heatmap": "heatmap", "analyze": "analysis"}[cmd] + ": " + fix + `:3: column 5 (Time (in secs)): not a number: "abc"`
		if got := mainSays(t, cmd, ds, "--out", out, "--quiet"); got != want {
			t.Errorf("sightline %s on a bad fixations.csv\n said: %s\n want: %s", cmd, got, want)
		}
	}

	// Reading: what the start screen's dialog and the command line show.
	o := &Options{Reader: "r", CalibEvery: 20, Rate: 60, TrackerSpec: "mouse", Audio: "none", Err: io.Discard}
	for _, tc := range []struct{ dir, want string }{
		{missing, "open study: " + missing + ": no such file or directory"},
		{bad, "open study: " + filepath.Join(bad, "master_sheet.csv") + `:3: column 10: extraneous or missing " in quoted-field`},
	} {
		if _, err := prepare(o, tc.dir); err == nil || err.Error() != tc.want {
			t.Errorf("read %s\n said: %v\n want: %s", tc.dir, err, tc.want)
		}
	}
	dir := writeStudy(t, map[string][]byte{"files/good.dcm": testkit.RealDICOM(t)})
	if err := os.WriteFile(study.SessionsRoot(dir), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = prepare(o, dir)
	want := regexp.MustCompile("^create session folder " + regexp.QuoteMeta(study.SessionsRoot(dir)) + `/\d{8}-\d{6}-r: mkdir ` +
		regexp.QuoteMeta(study.SessionsRoot(dir)) + ": not a directory$")
	if err == nil || !want.MatchString(err.Error()) {
		t.Errorf("an unwritable sessions folder: %v", err)
	}
}
