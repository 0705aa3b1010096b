package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestConcurrent(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string // what, in order; none: the code starts nothing concurrent
	}{
		{"go func literal", "func f() { go func() {}() }", []string{"go statement"}},
		{"go named", "func f() { go g(1) }; func g(int) {}", []string{"go statement"}},
		{"go method", "func f(s S) { go s.run() }", []string{"go statement"}},
		{"go generic", "func f() { go g[int](1) }; func g[T any](T) {}", []string{"go statement"}},
		{"go generic two", "func f() { go g[int, string](1, \"\") }", []string{"go statement"}},
		{"go indented deep", "func f() { if true { for { select { default: go g() } } } }", []string{"go statement"}},
		{"go at line start", "func f() {\ngo g()\n}", []string{"go statement"}},
		{"go in a closure in a var", "var v = func() { go g() }", []string{"go statement"}},
		{"wg.Go", "func f(wg *sync.WaitGroup) { wg.Go(func() {}) }", []string{"Go call"}},
		{"errgroup Go", "func f(g *errgroup.Group) { g.Go(func() error { return nil }) }", []string{"Go call"}},
		{"field Go", "func f(s S) { s.group.Go(run) }", []string{"Go call"}},
		{"time.AfterFunc", "func f() { time.AfterFunc(time.Second, g) }", []string{"AfterFunc call"}},
		{"context.AfterFunc", "func f(ctx context.Context) { stop := context.AfterFunc(ctx, g); _ = stop }", []string{"AfterFunc call"}},
		{"import sync", "import \"sync\"\nvar mu sync.Mutex", []string{"imports sync"}},
		{"import sync/atomic", "import a \"sync/atomic\"\nvar n a.Int64", []string{"imports sync/atomic"}},
		{"two", "func f() { go g(); time.AfterFunc(0, g) }", []string{"go statement", "AfterFunc call"}},
		{"nothing", "func f() { g(); var goal int; _ = goal; Going() }", nil},
		{"go in a string or comment", "// go g()\nvar s = \"go g()\"", nil},
		{"a Go function value, not called", "var f = s.Go", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spots, err := Concurrent("x.go", []byte("package p\n"+tc.body+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range spots {
				got = append(got, s[strings.IndexByte(s, ' ')+1:])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", spots, tc.want)
			}
		})
	}
}

func TestConcurrentBadSource(t *testing.T) {
	_, err := Concurrent("broken.go", []byte("package p\nfunc {"))
	if err == nil || !strings.Contains(err.Error(), "broken.go:2") {
		t.Fatalf("a file that does not parse: %v, want its name and line", err)
	}
}

// TestPackages plants a module with concurrent work in the places a grep missed (the root,
// internal/, bench/, a test file) and checks each is listed, and only those.
func TestPackages(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod":                         "module m\n",
		"main.go":                        "package main\nfunc main() { go func() {}() }\n",
		"internal/x/x.go":                "package x\nfunc F(wg interface{ Go(func()) }) { wg.Go(func() {}) }\n",
		"bench/b/b.go":                   "package b\nimport \"time\"\nfunc F() { time.AfterFunc(0, func() {}) }\n",
		"reader/quiet/q.go":              "package quiet\nfunc F() {}\n",
		"reader/tested/t.go":             "package tested\nfunc F() {}\n",
		"reader/tested/t_test.go":        "package tested\nfunc f() { go F() }\n",
		"reader/generic/g.go":            "package generic\nfunc f[T any]() {}\nfunc F() { go f[int]() }\n",
		"reader/tagged/e.go":             "//go:build e2e\n\npackage tagged\nfunc F() { go F() }\n",
		"reader/quiet/testdata/td.go":    "package td\nfunc F() { go F() }\n",
		".cache/mod/x.go":                "package x\nfunc F() { go F() }\n",
		"reader/quiet/_scratch/s.go":     "package s\nfunc F() { go F() }\n",
		"tracker/locked/l.go":            "package locked\nimport \"sync\"\nvar mu sync.Mutex\n",
		"tracker/notgo/n.go":             "package notgo\n// go F()\nfunc F() {}\n",
		"tracker/notgo/README.md":        "go F()\n",
		"tracker/notgo/testdata/data.go": "not go at all {",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Packages(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".", "./bench/b", "./internal/x", "./reader/generic", "./reader/tagged", "./reader/tested", "./tracker/locked"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// TestThisModule: the packages whose code the race detector must see are listed (a regression
// guard on the walk itself: the module's root is two folders up).
func TestThisModule(t *testing.T) {
	got, err := Packages("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"./app", "./reader/audio", "./tracker/opengaze", "./ui", "./internal/childproc"} {
		if !slices.Contains(got, p) {
			t.Errorf("%s is not listed: %q", p, got)
		}
	}
}
