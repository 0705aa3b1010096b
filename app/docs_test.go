package app

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every citation of the file formats names the repository's own docs/FORMATS.md, and a section
// that exists there.
func TestFormatsCitations(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "FORMATS.md"))
	if err != nil {
		t.Fatalf("the repository has no docs/FORMATS.md: %v", err)
	}
	sections := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (\d+)\. `).FindAllStringSubmatch(string(doc), -1) {
		sections[m[1]] = true
	}
	cite := regexp.MustCompile(`(\S*)FORMATS\.md(?: §(\d+))?`)
	n := 0
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".." || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".md")) || strings.HasSuffix(path, "docs_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range cite.FindAllStringSubmatch(string(b), -1) {
			n++
			if strings.HasSuffix(path, filepath.Join("docs", "FORMATS.md")) {
				continue
			}
			if !strings.HasSuffix(m[1], "docs/") {
				t.Errorf("%s cites %q: not the repository's docs/FORMATS.md", path, m[0])
			}
			if m[2] != "" && !sections[m[2]] {
				t.Errorf("%s cites %q: docs/FORMATS.md has no section %s", path, m[0], m[2])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("only %d citations found: is the walk looking at the repository?", n)
	}
}
