package dicomimg

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode: errors are fine, panics and images that disagree
// with their Info are not. Seeds: every synthetic file of the unit tests, and real files cut
// short.
func FuzzDecode(f *testing.F) {
	for _, tc := range decodeCases(f) {
		if tc.file != nil {
			f.Add(tc.file)
		} else {
			f.Add(tc.im.file(tc.ts))
		}
	}
	for _, tc := range failCases() {
		if len(tc.file) < 1<<16 {
			f.Add(tc.file)
		}
	}
	dir := dicomModuleDir(f)
	for _, c := range []struct {
		name string
		n    int
	}{{"1.dcm", 6000}, {"3.dcm", 3000}, {"4.dcm", 4096}, {"5.dcm", 5000}, {"6.dcm", 1 << 20}} {
		b, err := os.ReadFile(filepath.Join(dir, c.name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(c.n, len(b))])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, info, err := Decode(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if img != nil {
				t.Fatalf("image and error %v", err)
			}
			return
		}
		if img == nil || img.Bounds().Dx() != info.Cols || img.Bounds().Dy() != info.Rows {
			t.Fatalf("image %v, info %+v", img.Bounds(), info)
		}
	})
}

// FuzzSize feeds arbitrary bytes to the header reader, whole and through first reads of every
// size: no panic; a prefix either asks for more or gives what the whole file gives; and every
// file Decode reads has the size Decode gives. Seeds: those of FuzzDecode.
func FuzzSize(f *testing.F) {
	for _, tc := range decodeCases(f) {
		if tc.file != nil {
			f.Add(tc.file, uint16(200))
		} else {
			f.Add(tc.im.file(tc.ts), uint16(300))
		}
	}
	for _, tc := range failCases() {
		if len(tc.file) < 1<<16 {
			f.Add(tc.file, uint16(150))
		}
	}
	dir := dicomModuleDir(f)
	for _, name := range []string{"1.dcm", "3.dcm", "4.dcm", "6.dcm"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(8192, len(b))], uint16(1000))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		cols, rows, err := sizeFrom(bytes.Clone(data), true)
		if errors.Is(err, errNeedMore) {
			t.Fatalf("the whole file asks for more")
		}
		if k := int(cut); k < len(data) {
			c, r, perr := sizeFrom(bytes.Clone(data[:k]), false)
			if !errors.Is(perr, errNeedMore) && (c != cols || r != rows || (perr == nil) != (err == nil)) {
				t.Fatalf("the first %d bytes give %d×%d, %v; the whole %d×%d, %v", k, c, r, perr, cols, rows, err)
			}
		}
		c, r, gerr := headerSize(bytes.NewReader(data), int64(len(data)), max(1, int(cut)))
		if c != cols || r != rows || (gerr == nil) != (err == nil) {
			t.Fatalf("read in steps from %d bytes: %d×%d, %v; at once %d×%d, %v", cut, c, r, gerr, cols, rows, err)
		}
		img, _, derr := Decode(bytes.NewReader(data), int64(len(data)))
		if derr == nil && (err != nil || cols != img.Bounds().Dx() || rows != img.Bounds().Dy()) {
			t.Fatalf("Decode gives %v, Size %d×%d, %v", img.Bounds(), cols, rows, err)
		}
	})
}
