package prepare

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestExplore(t *testing.T) {
	files, _ := filepath.Glob("/tmp/debtest/x/usr/lib/python3/dist-packages/pydicom/data/test_files/*.dcm")
	s2, _ := filepath.Glob("/root/go/pkg/mod/github.com/suyashkumar/dicom@v1.1.0/testdata/*.dcm")
	files = append(files, s2...)
	for _, f := range files {
		t0 := time.Now()
		img, info, via, err := decode(context.Background(), f, "/tmp/explore")
		sz := ""
		if img != nil {
			sz = img.Bounds().String()
		}
		t.Logf("%-40s %-8s %s %v %s %s | %v", filepath.Base(f), via, sz, time.Since(t0).Round(time.Millisecond), info.Windowing, info.Photometric, err)
	}
}
