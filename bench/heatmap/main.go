// Command heatmap-bench times the heatmap blur on the reference's case (one 2544×3056 DICOM,
// σ = 150 px) and writes the impulses and the blurred map as .npy files, and heatmap.png, for
// compare.py, which times scipy.ndimage.gaussian_filter on the same impulses and measures the
// difference. Run it through run.sh.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"sightline/reader/heatmap"
)

const w, h = 2544, 3056 // the docs/FORMATS.md §1 image

func main() {
	out := flag.String("out", "", "folder for impulses.npy, ours.npy, heatmap.png and timings.json")
	n := flag.Int("fixations", 60, "fixations on the canvas")
	reps := flag.Int("reps", 10, "timed repetitions of the blur")
	frames := flag.Int("frames", 10, "temporal frames timed")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: heatmap-bench -out DIR")
		os.Exit(2)
	}
	if err := run(*out, *n, *reps, *frames); err != nil {
		fmt.Fprintln(os.Stderr, "heatmap-bench:", err)
		os.Exit(1)
	}
}

func run(dir string, n, reps, frames int) error {
	rng := rand.New(rand.NewPCG(2021, 1083))
	fix := make([]heatmap.Fixation, n)
	src := make([]float32, w*h)
	for i := range fix {
		// Gaze clusters on the lungs and heart, a few near the edges (where the boundary matters).
		fix[i] = heatmap.Fixation{X: int(math.Min(w-1, math.Abs(rng.NormFloat64()*500+w/2))), Y: int(math.Min(h-1, math.Abs(rng.NormFloat64()*700+h/2))), Duration: 0.1 + rng.Float64()}
		if i%10 == 0 {
			fix[i].X, fix[i].Y = rng.IntN(40), h-1-rng.IntN(40)
		}
		src[fix[i].Y*w+fix[i].X]++
	}
	if err := writeNPY(filepath.Join(dir, "impulses.npy"), src); err != nil {
		return err
	}
	dst := make([]float32, len(src))
	heatmap.Blur(dst, src, w, h, heatmap.DefaultSigma) // warm-up
	blur := timeit(reps, func() { heatmap.Blur(dst, src, w, h, heatmap.DefaultSigma) })
	if err := writeNPY(filepath.Join(dir, "ours.npy"), dst); err != nil {
		return err
	}
	// Static: impulses, blur, normalisation and viridis, before PNG encoding.
	static := timeit(max(1, reps/2), func() {
		m, _, err := heatmap.Density(fix, w, h, heatmap.Options{})
		if err != nil {
			panic(err)
		}
		heatmap.Paletted(m, w, h)
	})
	// heatmap.png end to end: the above, the PNG encoding and the write.
	write := timeit(max(1, reps/5), func() {
		if _, err := heatmap.WriteStatic(dir, "static", fix, w, h, heatmap.Options{}); err != nil {
			panic(err)
		}
	})
	temporal := []time.Duration{0}
	if frames > 0 {
		tdir := filepath.Join(dir, "temporal")
		temporal = timeit(1, func() {
			if _, err := heatmap.WriteTemporal(context.Background(), tdir, "bench", fix[:frames], w, h, heatmap.Options{}); err != nil {
				panic(err)
			}
		})
	}
	res := map[string]any{
		"width": w, "height": h, "sigma": heatmap.DefaultSigma, "fixations": n, "cpus": runtime.GOMAXPROCS(0),
		"blur_ms_min":            ms(slices.Min(blur)),
		"blur_ms_median":         ms(median(blur)),
		"static_ms_median":       ms(median(static)),
		"write_static_ms_median": ms(median(write)),
		"temporal_ms_per_frame":  ms(temporal[0]) / float64(max(frames, 1)),
		"temporal_frames":        frames,
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	fmt.Println(string(b))
	return os.WriteFile(filepath.Join(dir, "timings.json"), b, 0o644)
}

func timeit(reps int, fn func()) []time.Duration {
	d := make([]time.Duration, reps)
	for i := range d {
		t := time.Now()
		fn()
		d[i] = time.Since(t)
	}
	return d
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// writeNPY writes a h×w float32 array in NumPy's .npy format (version 1.0, little endian).
func writeNPY(path string, a []float32) error {
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", h, w)
	// Magic (6) + version (2) + header length (2) + header + '\n', padded to a multiple of 64.
	pad := 64 - (10+len(header)+1)%64
	header += fmt.Sprintf("%*s\n", pad, "")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := []byte("\x93NUMPY\x01\x00")
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(header)))
	buf = append(buf, header...)
	for _, v := range a {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
