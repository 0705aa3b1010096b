package prepare

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"image"

	"sightline/internal/benchcpu"
	"sightline/reader/demo/demotest"
	"sightline/reader/display"
	"sightline/reader/stage"
)

// BenchmarkCase prepares the demo study's twelve phantoms one after the other on one goroutine
// (decode, fit to the stage, PNG, sidecar): the per-core work of `sightline prepare --jobs 1`.
// Reported per case; run with GOMAXPROCS=1 for the per-core figure, -cpuprofile for where it goes.
func BenchmarkCase(b *testing.B) {
	dir := demotest.Dir(b)
	files, err := filepath.Glob(filepath.Join(dir, "files", "*", "*", "*", "*.dcm"))
	if err != nil || len(files) != 12 {
		b.Fatalf("demo study: %d files (%v), want 12", len(files), err)
	}
	w := worker{study: b.TempDir(), tmp: b.TempDir()}
	if err := os.MkdirAll(filepath.Join(w.study, display.Dir), 0o755); err != nil {
		b.Fatal(err)
	}
	i := 0
	var bufs buffers
	c0 := benchcpu.Now()
	for b.Loop() {
		f := files[i%len(files)]
		i++
		if o := w.prepare(context.Background(), &bufs, strings.TrimSuffix(filepath.Base(f), ".dcm"), f); o.err != nil {
			b.Fatal(o.err)
		}
	}
	benchcpu.Report(b, c0)
}

// demoStages are the demo study's twelve phantoms drawn on the stage, as prepare writes them.
func demoStages(b *testing.B) []*image.Gray {
	dir := demotest.Dir(b)
	files, err := filepath.Glob(filepath.Join(dir, "files", "*", "*", "*", "*.dcm"))
	if err != nil || len(files) != 12 {
		b.Fatalf("demo study: %d files (%v), want 12", len(files), err)
	}
	var stages []*image.Gray
	for _, f := range files {
		img, _, _, err := decode(context.Background(), f, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		stages = append(stages, Stage(img, stage.Fit(img.Bounds().Dx(), img.Bounds().Dy())))
	}
	return stages
}
