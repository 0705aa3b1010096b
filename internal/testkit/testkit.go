// Package testkit holds the helpers that tests of several packages share (a CSV file read
// whole, a real DICOM file), so that each is written once. It imports nothing of Sightline, so
// that any package's tests may use it.
package testkit

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ReadCSV reads the whole CSV file at path; a file that does not read or parse fails the test,
// naming the file.
func ReadCSV(tb testing.TB, path string) [][]string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return rows
}

// RealDICOM is a real DICOM file: testdata/1.dcm of the DICOM module the build uses, read from
// the module cache.
func RealDICOM(tb testing.TB) []byte {
	tb.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/suyashkumar/dicom").Output()
	if err != nil {
		tb.Fatalf("locate the dicom module: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "testdata", "1.dcm"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
