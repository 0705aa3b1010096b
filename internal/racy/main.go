// Command racy prints the packages `make test` runs under the race detector (scripts/racy.sh
// calls it): every package of the module whose code starts concurrent work, found in its
// syntax tree, so that a new goroutine is raced without anyone remembering to list it.
//
// Concurrent work is: a go statement (generic callees too: go f[T]()), a call of a method
// named Go (sync.WaitGroup.Go, errgroup.Group.Go), and AfterFunc (time.AfterFunc,
// context.AfterFunc: the function runs on a goroutine of its own); and an import of sync or
// sync/atomic (a lock or an atomic guards state that goroutines share, started here or by a
// library calling back: the sound output's, the recogniser's pipes). A package's tests count
// too: a test that starts goroutines against the package exercises its concurrency (the
// tracker's stream callbacks, replay's clock). A package with none of these runs no goroutine
// the race detector could catch in its tests, and runs without it. Every package of the module is read, internal/,
// bench/ and the root included, and every file whatever its build tags.
//
// Usage: go run ./internal/racy [DIR]   (DIR: the module's root, "." by default). Prints one
// ./path per line, sorted.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	pkgs, err := Packages(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "racy:", err)
		os.Exit(1)
	}
	for _, p := range pkgs {
		fmt.Println(p)
	}
}

// Packages walks the module at root and returns, as "./dir" (sorted), each folder holding a Go
// file that starts concurrent work. Folders Go ignores (testdata, vendor, names starting with
// "." or "_") are skipped. A file that does not parse is an error naming it.
func Packages(root string) ([]string, error) {
	found := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil
		}
		dir := filepath.Dir(path)
		if found[dir] {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		spots, err := Concurrent(path, src)
		if err != nil {
			return err
		}
		if len(spots) > 0 {
			found[dir] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for dir := range found {
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return nil, err
		}
		if rel == "." {
			out = append(out, ".")
		} else {
			out = append(out, "./"+filepath.ToSlash(rel))
		}
	}
	sort.Strings(out)
	return out, nil
}

// Concurrent returns where the Go source src (named name in errors) starts or guards concurrent
// work: "line:col what" for each go statement, .Go( call, AfterFunc call and import of sync or
// sync/atomic.
func Concurrent(name string, src []byte) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	var spots []string
	at := func(n ast.Node, what string) {
		p := fset.Position(n.Pos())
		spots = append(spots, fmt.Sprintf("%d:%d %s", p.Line, p.Column, what))
	}
	for _, imp := range f.Imports {
		if p := strings.Trim(imp.Path.Value, "`\""); p == "sync" || p == "sync/atomic" {
			at(imp, "imports "+p)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			at(n, "go statement")
		case *ast.CallExpr:
			switch name := calleeName(n.Fun); name {
			case "Go", "AfterFunc":
				at(n, name+" call")
			}
		}
		return true
	})
	return spots, nil
}

// calleeName is the name a call calls: f, x.f, x.y.f, and the same instantiated (f[T], x.f[T, U]).
func calleeName(fun ast.Expr) string {
	switch e := fun.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.IndexExpr:
		return calleeName(e.X)
	case *ast.IndexListExpr:
		return calleeName(e.X)
	case *ast.ParenExpr:
		return calleeName(e.X)
	}
	return ""
}
