package heatmap

import (
	"math/rand/v2"
	"testing"

	"sightline/internal/benchcpu"
)

// The reference's case: one 2544×3056 DICOM (the docs/FORMATS.md §1 image), σ = 150 px.
const benchW, benchH = 2544, 3056

func benchFixations(n int) []Fixation {
	rng := rand.New(rand.NewPCG(7, 11))
	fix := make([]Fixation, n)
	for i := range fix {
		fix[i] = Fixation{X: 300 + rng.IntN(benchW-600), Y: 300 + rng.IntN(benchH-600), Duration: 0.1 + rng.Float64()}
	}
	return fix
}

// BenchmarkBlur is the blur alone, the part compared with scipy.ndimage.gaussian_filter.
func BenchmarkBlur(b *testing.B) {
	src := make([]float32, benchW*benchH)
	for _, f := range benchFixations(60) {
		src[f.Y*benchW+f.X]++
	}
	dst := make([]float32, len(src))
	b.SetBytes(int64(4 * len(src)))
	c0 := benchcpu.Now()
	for b.Loop() {
		Blur(dst, src, benchW, benchH, DefaultSigma)
	}
	benchcpu.Report(b, c0)
}

// BenchmarkStatic is impulses, blur, normalisation and viridis: heatmap.png before PNG encoding.
func BenchmarkStatic(b *testing.B) {
	fix := benchFixations(60)
	for b.Loop() {
		if _, _, err := Static(fix, benchW, benchH, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
