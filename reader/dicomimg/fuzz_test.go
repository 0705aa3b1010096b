package dicomimg

import (
	"bytes"
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
