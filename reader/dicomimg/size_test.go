package dicomimg

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// countingReader counts the bytes read from it.
type countingReader struct {
	r *bytes.Reader
	n atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// TestSizeMatchesLoad: for every file Decode reads (the synthetic table and the DICOM
// module's real files), Size gives the image's size, and reads less than the whole file of
// every real radiograph with a transfer syntax in its file meta.
func TestSizeMatchesLoad(t *testing.T) {
	type file struct {
		name string
		b    []byte
	}
	var files []file
	for _, tc := range decodeCases(t) {
		b := tc.file
		if b == nil {
			b = tc.im.file(tc.ts)
		}
		files = append(files, file{tc.name, b})
	}
	real, _ := filepath.Glob(filepath.Join(dicomModuleDir(t), "*.dcm"))
	for _, p := range real {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, file{filepath.Base(p), b})
	}
	for _, f := range files {
		img, _, err := Decode(bytes.NewReader(f.b), int64(len(f.b)))
		if err != nil {
			continue // a file Load refuses: Size may still read its header
		}
		r := &countingReader{r: bytes.NewReader(f.b)}
		w, h, err := headerSize(r, int64(len(f.b)), headSize)
		if err != nil {
			t.Errorf("%s: %v", f.name, err)
			continue
		}
		if w != img.Bounds().Dx() || h != img.Bounds().Dy() {
			t.Errorf("%s: Size %d×%d, Decode %v", f.name, w, h, img.Bounds())
		}
		// 4.dcm is a real 2140×1760 CR of 7.5 MB: its header is under the first read.
		if f.name == "4.dcm" && r.n.Load() > headSize {
			t.Errorf("4.dcm: read %d bytes for its size, want at most %d", r.n.Load(), headSize)
		}
	}
	if _, _, err := Size(filepath.Join(t.TempDir(), "none.dcm")); err == nil || !strings.Contains(err.Error(), "none.dcm") {
		t.Errorf("missing file: %v", err)
	}
}

// TestSizeReadsOnlyTheHeader: a real radiograph cut short after its header still gives its
// size (the pixels are never read), whatever the first read's size; cut inside the header it
// is refused, naming the file.
func TestSizeReadsOnlyTheHeader(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(dicomModuleDir(t), "4.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.dcm")
	if err := os.WriteFile(cut, b[:1<<16], 0o644); err != nil {
		t.Fatal(err)
	}
	if w, h, err := Size(cut); err != nil || w != 1760 || h != 2140 {
		t.Errorf("the first 64 KiB of 4.dcm: %d×%d, %v; want 1760×2140", w, h, err)
	}
	for _, first := range []int{1, 133, 700, 4096} {
		w, h, err := headerSize(bytes.NewReader(b), int64(len(b)), first)
		if err != nil || w != 1760 || h != 2140 {
			t.Errorf("first read of %d bytes: %d×%d, %v", first, w, h, err)
		}
	}
	if err := os.WriteFile(cut, b[:300], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Size(cut); err == nil || !errors.Is(err, errMalformed) || !strings.Contains(err.Error(), cut) {
		t.Errorf("a file cut inside its header: %v, want it malformed and named", err)
	}
}
