// Package demotest writes the demo study (reader/demo) once per test binary, for the tests of
// several packages that read it (internal/testkit imports nothing of the project, so the kit
// that needs reader/demo lives here, on the tools' floor).
package demotest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"sightline/reader/demo"
)

var (
	once sync.Once
	dir  string
	ids  []string
	err  error
)

// Get is the demo study's folder and its cases' dicom_ids, in the demo's order, written the
// first time a test asks. Tests share it: they read it and never write into it. The test
// binary's TestMain calls Remove after m.Run.
func Get(tb testing.TB) (string, []string) {
	tb.Helper()
	once.Do(func() {
		var tmp string
		if tmp, err = os.MkdirTemp("", "sightline-demo-"); err != nil {
			return
		}
		dir = filepath.Join(tmp, "demo")
		var cs []demo.Case
		cs, err = demo.Write(dir)
		for _, c := range cs {
			ids = append(ids, c.DicomID)
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return dir, ids
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
