package display_test

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sightline/internal/testkit"
	"sightline/reader/display"
	"sightline/reader/prepare"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// worklist writes a master sheet for files (nil: listed but missing) under dir.
func worklist(t *testing.T, dir string, files map[string][]byte) string {
	t.Helper()
	sheet := "dicom_id,path,Normal,CHF,pneumonia\n"
	for name, data := range files {
		sheet += strings.TrimSuffix(filepath.Base(name), ".dcm") + "," + name + ",1,0,0\n"
		if data != nil {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	p := filepath.Join(dir, "master_sheet.csv")
	if err := os.WriteFile(p, []byte(sheet), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gray(t *testing.T, img image.Image) *image.Gray {
	t.Helper()
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("image is %T, want *image.Gray", img)
	}
	return g
}

// The image of a case comes from its DICOM in a worklist study and from the display PNG in a
// prepared one; both are the drawn rectangle, placed by the layout stage.Fit gives, and the
// same pixels; bad files are named.
func TestLoad(t *testing.T) {
	src := t.TempDir()
	files := map[string][]byte{"files/good.dcm": testkit.RealDICOM(t), "files/garbage.dcm": []byte("not a DICOM file at all"), "files/missing.dcm": nil}
	worklist(t, src, files)
	raw, err := study.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "study")
	if _, err := prepare.Run(context.Background(), prepare.Options{Worklist: filepath.Join(src, "master_sheet.csv"), DicomRoot: src, Out: out, Seed: 1, Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	prepared, err := study.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(display.Path(out, "good")); err != nil {
		t.Fatalf("prepare wrote no display image: %v", err)
	}
	tests := []struct {
		name string
		st   *study.Study
		id   string
		err  string // substring; "" loads
	}{
		{"DICOM of a worklist", raw, "good", ""},
		{"display image of a prepared study", prepared, "good", ""},
		{"garbage DICOM", raw, "garbage", "garbage.dcm"},
		{"missing DICOM", raw, "missing", "missing.dcm"},
		{"not in the worklist", raw, "other", "case other is not in the worklist"},
	}
	imgs := map[string]*image.Gray{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, l, err := display.Load(tc.st, tc.id)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one naming %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := l.Rect()
			if b := img.Bounds(); b != image.Rect(0, 0, r.Dx(), r.Dy()) || l != stage.Fit(l.W, l.H) {
				t.Fatalf("image %v, layout %+v (rect %v)", b, l, r)
			}
			imgs[tc.name] = gray(t, img)
		})
	}
	a, b := imgs["DICOM of a worklist"], imgs["display image of a prepared study"]
	if a == nil || b == nil || !bytes.Equal(a.Pix, b.Pix) {
		t.Fatal("the prepared display image and the DICOM drawn directly differ")
	}
	// A display image that is there but broken is named, not silently replaced by the DICOM.
	if err := os.WriteFile(display.Path(out, "good"), []byte("not a PNG"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := display.Load(prepared, "good"); err == nil || !strings.Contains(err.Error(), "good.png") {
		t.Fatalf("broken display image: %v", err)
	}
}
