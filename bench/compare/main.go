// Command compare-helper is our side of `make bench-compare` (bench/compare/run.sh): each
// subcommand generates an input or times one of our computations on it, in a process of its
// own, and prints one JSON line with the wall-clock and CPU seconds of the timed part (CPU from
// getrusage: every thread of the process, the garbage collector's included). GOMAXPROCS is
// set by the caller: 1 for the per-core figures, unset for the whole machine.
//
//	heatmap-gen DIR        impulses.npy: the blur's input (seeded, the docs/FORMATS.md §1 canvas)
//	heatmap DIR            heatmap.Blur (σ = 150) of it, once; writes ours.npy
//	ttest-gen DIR N        N pairs of groups (values.f64, offsets.i64)
//	ttest DIR              analysis.Student and analysis.Welch of every pair; writes ours_p.f64
//	export-gen STUDY CASES SAMPLES   a study with one long session (reader/export/exporttest)
//	export STUDY OUT       export.Export of it
//
// Benchmark code, not product code.
package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"sightline/reader/analysis"
	"sightline/reader/export"
	"sightline/reader/export/exporttest"
	"sightline/reader/heatmap"
	"sightline/reader/session"
)

// The reference heatmap's canvas: one 2544×3056 DICOM (docs/FORMATS.md §1).
const hw, hh = 2544, 3056

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "compare-helper:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: heatmap-gen DIR | heatmap DIR | ttest-gen DIR N | ttest DIR | export-gen STUDY CASES SAMPLES | export STUDY OUT")
	}
	switch cmd, a := args[0], args[1:]; {
	case cmd == "heatmap-gen" && len(a) == 1:
		return heatmapGen(a[0])
	case cmd == "heatmap" && len(a) == 1:
		return heatmapRun(a[0])
	case cmd == "ttest-gen" && len(a) == 2:
		n, err := strconv.Atoi(a[1])
		if err != nil {
			return err
		}
		return ttestGen(a[0], n)
	case cmd == "ttest" && len(a) == 1:
		return ttestRun(a[0])
	case cmd == "export-gen" && len(a) == 3:
		n, err1 := strconv.Atoi(a[1])
		samples, err2 := strconv.Atoi(a[2])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("export-gen STUDY CASES SAMPLES: numbers wanted")
		}
		return exportGen(a[0], n, samples)
	case cmd == "export" && len(a) == 2:
		return exportRun(a[0], a[1])
	}
	return fmt.Errorf("unknown command or wrong arguments: %q", args)
}

// timed runs fn and prints its wall-clock and CPU seconds as one JSON line, with extra fields.
func timed(fn func() error, extra map[string]any) error {
	cpu0 := cpuSeconds()
	t0 := time.Now()
	if err := fn(); err != nil {
		return err
	}
	wall := time.Since(t0).Seconds()
	cpu := cpuSeconds() - cpu0
	if extra == nil {
		extra = map[string]any{}
	}
	extra["wall_s"], extra["cpu_s"], extra["gomaxprocs"] = wall, cpu, runtime.GOMAXPROCS(0)
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		extra["peak_rss_mb"] = float64(ru.Maxrss) / 1024
	}
	b, err := json.Marshal(extra)
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func heatmapGen(dir string) error {
	rng := rand.New(rand.NewPCG(2021, 1083))
	src := make([]float32, hw*hh)
	for i := range 60 {
		// Gaze clusters on the lungs and heart, a tenth near a corner (where the boundary matters).
		x := int(math.Min(hw-1, math.Abs(rng.NormFloat64()*500+hw/2)))
		y := int(math.Min(hh-1, math.Abs(rng.NormFloat64()*700+hh/2)))
		if i%10 == 0 {
			x, y = rng.IntN(40), hh-1-rng.IntN(40)
		}
		src[y*hw+x]++
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeNPY(filepath.Join(dir, "impulses.npy"), "<f4", hh, hw, f32bytes(src))
}

func heatmapRun(dir string) error {
	src, err := readNPYf32(filepath.Join(dir, "impulses.npy"), hw*hh)
	if err != nil {
		return err
	}
	// Warm, as in a running station: one call first (the heap grows to its size once), then the
	// mean of three (compare.py divides by calls). scipy's side is its first call: a warm-up
	// would change its seconds by far less than 1%.
	dst := make([]float32, len(src))
	heatmap.Blur(dst, src, hw, hh, heatmap.DefaultSigma)
	if err := timed(func() error {
		for range 3 {
			heatmap.Blur(dst, src, hw, hh, heatmap.DefaultSigma)
		}
		return nil
	}, map[string]any{"sigma": heatmap.DefaultSigma, "calls": 3}); err != nil {
		return err
	}
	return writeNPY(filepath.Join(dir, "ours.npy"), "<f4", hh, hw, f32bytes(dst))
}

// ttestGen writes n pairs of groups, sizes 3 to 300, normal values whose means and spreads differ
// from pair to pair (some pairs equal, some far apart), as values.f64 (the groups one after the
// other, a then b) and offsets.i64 (where each group starts, and the end).
func ttestGen(dir string, n int) error {
	rng := rand.New(rand.NewPCG(7, 11))
	var vals []float64
	offs := []int64{0}
	for i := range n {
		mu, sd := 5*rng.NormFloat64(), 0.1+3*rng.Float64()
		shift := 0.0
		if i%3 != 0 {
			shift = rng.NormFloat64() * sd
		}
		for g := range 2 {
			size := 3 + rng.IntN(298)
			s := sd * (1 + 0.5*float64(g)*rng.Float64())
			for range size {
				vals = append(vals, mu+float64(g)*shift+s*rng.NormFloat64())
			}
			offs = append(offs, int64(len(vals)))
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	vb := make([]byte, 0, 8*len(vals))
	for _, v := range vals {
		vb = binary.LittleEndian.AppendUint64(vb, math.Float64bits(v))
	}
	ob := make([]byte, 0, 8*len(offs))
	for _, o := range offs {
		ob = binary.LittleEndian.AppendUint64(ob, uint64(o))
	}
	if err := os.WriteFile(filepath.Join(dir, "values.f64"), vb, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "offsets.i64"), ob, 0o644)
}

func ttestRun(dir string) error {
	vb, err := os.ReadFile(filepath.Join(dir, "values.f64"))
	if err != nil {
		return err
	}
	ob, err := os.ReadFile(filepath.Join(dir, "offsets.i64"))
	if err != nil {
		return err
	}
	vals := make([]float64, len(vb)/8)
	for i := range vals {
		vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(vb[8*i:]))
	}
	offs := make([]int, len(ob)/8)
	for i := range offs {
		offs[i] = int(binary.LittleEndian.Uint64(ob[8*i:]))
	}
	pairs := (len(offs) - 1) / 2
	// Per pair: Student's t and p, then Welch's t and p.
	out := make([]float64, 4*pairs)
	if err := timed(func() error {
		for i := range pairs {
			a, b := vals[offs[2*i]:offs[2*i+1]], vals[offs[2*i+1]:offs[2*i+2]]
			s, w := analysis.Student(a, b), analysis.Welch(a, b)
			out[4*i], out[4*i+1], out[4*i+2], out[4*i+3] = s.T, s.P, w.T, w.P
		}
		return nil
	}, map[string]any{"pairs": pairs}); err != nil {
		return err
	}
	b := make([]byte, 0, 8*len(out))
	for _, v := range out {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return os.WriteFile(filepath.Join(dir, "ours_tp.f64"), b, 0o644)
}

func exportGen(dir string, n, samples int) error {
	cases, err := exporttest.WriteStudy(dir, n)
	if err != nil {
		return err
	}
	r, err := exporttest.Start(dir, exporttest.Spec{ID: "20261127-152705-reader1", Reader: "reader1", Seed: 3,
		Started: time.Date(2026, 11, 27, 15, 27, 5, 0, time.UTC), Cases: cases, Samples: samples, Extras: true})
	if err != nil {
		return err
	}
	if err := r.Screens(-1); err != nil {
		return err
	}
	return r.Close(session.StatusComplete)
}

func exportRun(study, out string) error {
	rows := map[string]any{}
	return timed(func() error {
		res, err := export.Export(study, out, export.Options{})
		if err == nil {
			rows["gaze_rows"] = res.GazeRows
		}
		return err
	}, rows)
}

func f32bytes(a []float32) []byte {
	b := make([]byte, 0, 4*len(a))
	for _, v := range a {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// writeNPY writes a rows×cols array of the given dtype in NumPy's .npy format (version 1.0).
func writeNPY(path, dtype string, rows, cols int, data []byte) error {
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", dtype, rows, cols)
	// Magic (6) + version (2) + header length (2) + header + '\n', padded to a multiple of 64.
	pad := 64 - (10+len(header)+1)%64
	header += fmt.Sprintf("%*s\n", pad, "")
	buf := []byte("\x93NUMPY\x01\x00")
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(header)))
	buf = append(buf, header...)
	return os.WriteFile(path, append(buf, data...), 0o644)
}

// readNPYf32 reads back what writeNPY wrote: n little-endian float32 values after the header.
func readNPYf32(path string, n int) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("%s: not a .npy file", path)
	}
	data := b[10+int(binary.LittleEndian.Uint16(b[8:])):]
	if len(data) != 4*n {
		return nil, fmt.Errorf("%s: %d bytes of data, want %d", path, len(data), 4*n)
	}
	a := make([]float32, n)
	for i := range a {
		a[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return a, nil
}
