package study

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheck: the review takes a study folder (a worklist that reads, or recorded sessions) and
// refuses anything else in one sentence that names the folder or the file at fault.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		make  func(dir string)
		want  string // "" : a study
		isErr error
	}{
		{"empty folder", func(string) {}, "is not a study folder: it has no master_sheet.csv and no recorded sessions", ErrNotStudy},
		{"garbage worklist", func(d string) { checkWrite(t, d, MasterSheet, "\x00\x01garbage\n\"unclosed") }, "master_sheet.csv", ErrNotStudy},
		{"worklist", func(d string) { checkWrite(t, d, MasterSheet, "dicom_id,path\na,a.dcm\n") }, "", nil},
		{"sessions without a worklist", func(d string) { checkWrite(t, d, "sessions/s1/session.json", "{}") }, "", nil},
		{"an empty sessions folder", func(d string) { checkMust(t, os.MkdirAll(SessionDir(d, "x"), 0o755)) }, "no recorded sessions", ErrNotStudy},
		{"a file", nil, "it is not a folder", ErrNotStudy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "notastudy")
			if tc.make == nil {
				checkWrite(t, filepath.Dir(dir), "notastudy", "x")
			} else {
				checkMust(t, os.Mkdir(dir, 0o755))
				tc.make(dir)
			}
			before := checkTree(t, filepath.Dir(dir))
			err := Check(dir)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("a study refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "notastudy")):
				t.Fatalf("Check: %v, want %q naming the folder", err, tc.want)
			case tc.isErr != nil && !errors.Is(err, tc.isErr):
				t.Fatalf("%v is not %v", err, tc.isErr)
			case err != nil && strings.Count(err.Error(), "\n") > 0:
				t.Fatalf("more than a sentence: %q", err)
			}
			if after := checkTree(t, filepath.Dir(dir)); after != before {
				t.Fatalf("Check wrote:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

func checkWrite(t *testing.T, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, name)
	checkMust(t, os.MkdirAll(filepath.Dir(p), 0o755))
	checkMust(t, os.WriteFile(p, []byte(text), 0o644))
}

func checkMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func checkTree(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			b.WriteString(p + "\n")
		}
		return nil
	})
	return b.String()
}
