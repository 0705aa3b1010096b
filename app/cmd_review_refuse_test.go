package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReviewRefusesNotAStudy: `review DIR` and `review DIR --report R` on an empty folder or
// one whose master_sheet.csv is garbage say so in one sentence and fail, writing nothing
// (no review.db in the folder, no report); the window does not open.
func TestReviewRefusesNotAStudy(t *testing.T) {
	t.Setenv("DISPLAY", "") // were the folder taken, the window would fail for want of a display
	for _, tc := range []struct {
		name  string
		sheet string
		want  string
	}{
		{"empty folder", "", "has no master_sheet.csv and no recorded sessions"},
		{"garbage master sheet", "\x00\x01 garbage\n\"open quote", "master_sheet.csv"},
	} {
		for _, args := range [][]string{{}, {"--report", "R"}} {
			t.Run(tc.name+" "+strings.Join(args, " "), func(t *testing.T) {
				root := t.TempDir()
				dir := filepath.Join(root, "notastudy")
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if tc.sheet != "" {
					if err := os.WriteFile(filepath.Join(dir, "master_sheet.csv"), []byte(tc.sheet), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				for i, a := range args {
					if a == "R" {
						args[i] = filepath.Join(root, "report")
					}
				}
				before := listTree(root)
				_, stderr, err := runCommand(t, reviewCommand, append([]string{dir}, args...)...)
				if err == nil || !strings.Contains(err.Error(), "is not a study folder") || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("review %v: %v (stderr %q), want it refused: %q", args, err, stderr, tc.want)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("more than a sentence: %q", err)
				}
				if after := listTree(root); after != before {
					t.Fatalf("review wrote:\n%s", after)
				}
			})
		}
	}
}

// The report's store error says "review store" once.
func TestReviewReportStoreError(t *testing.T) {
	dir := reviewStudy(t)
	_, _, err := runCommand(t, reviewCommand, dir, "--report", filepath.Join(t.TempDir(), "r"), "--store", "postgres://nobody@127.0.0.1:1/none")
	if err == nil {
		t.Fatal("an unreachable store is accepted")
	}
	if n := strings.Count(err.Error(), "review store"); n != 1 {
		t.Fatalf("%q says \"review store\" %d times", err, n)
	}
}

func listTree(dir string) string {
	var b strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			b.WriteString(p + "\n")
		}
		return nil
	})
	return b.String()
}
