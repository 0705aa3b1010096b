// Package demotest writes the demo study (reader/demo) once per test binary, for the tests of
// several packages that read it (internal/testkit imports nothing of the project, so the kit
// that needs reader/demo lives here, on the tools' floor).
package demotest

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"sightline/reader/demo"
)

// StudyEnv names a demo study already written (make test writes one before the suites with
// writestudy.go, beside this file): each test binary then takes a copy of it (linkTree) instead
// of writing its own, which under -race cost a minute a binary. Unset, or naming a folder
// without a master sheet, each binary writes its own.
const StudyEnv = "SIGHTLINE_DEMO_STUDY"

var (
	once sync.Once
	dir  string
	ids  []string
	err  error
)

// Get is the demo study's folder and its cases' dicom_ids, in the demo's order, written (or
// copied) the first time a test asks. Tests share it: they read it, and what they add (a review
// store) stays in this binary's copy. The test binary's TestMain calls Remove after m.Run.
func Get(tb testing.TB) (string, []string) {
	tb.Helper()
	once.Do(func() {
		var tmp string
		if tmp, err = os.MkdirTemp("", "sightline-demo-"); err != nil {
			return
		}
		dir = filepath.Join(tmp, "demo")
		if src := os.Getenv(StudyEnv); src != "" {
			if _, serr := os.Stat(filepath.Join(src, demo.MasterSheet)); serr == nil {
				if err = linkTree(src, dir); err != nil {
					err = fmt.Errorf("copy the demo study %s (%s): %w", src, StudyEnv, err)
					return
				}
			}
		}
		var cs []demo.Case
		cs, err = demo.Write(dir) // reads a copied study back, writes nothing into it
		for _, c := range cs {
			ids = append(ids, c.DicomID)
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return dir, ids
}

// linkTree copies the tree at src to dst: the DICOM files (nearly all its bytes, and never
// written by a reading station) as hard links where the file system allows, the rest (sheets a
// test may rewrite in place) as copies.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if filepath.Ext(p) == ".dcm" && os.Link(p, to) == nil {
			return nil
		}
		return copyFile(p, to)
	})
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Remove deletes the demo study if a test wrote it.
func Remove() {
	if dir != "" {
		os.RemoveAll(filepath.Dir(dir))
	}
}

// Dir is Get's folder alone.
func Dir(tb testing.TB) string {
	tb.Helper()
	d, _ := Get(tb)
	return d
}
