package heatmap

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"sightline/reader/atomicfile"
)

// StaticName is the static heatmap's file name inside <root>/<dicom_id>/.
const StaticName = "heatmap.png"

// FrameName is the file name of the reference's temporal frame k, 0-based as its script numbers
// them: "0_frame.png" shows the image's first fixation row alone.
func FrameName(k int) string { return strconv.Itoa(k) + frameSuffix }

// CumulativeName is the file name of cumulative frame n, 1-based like the CSV's fixation
// numbering: "3_cumulative.png" shows fixation rows 1 to 3 together.
func CumulativeName(n int) string { return strconv.Itoa(n) + cumulativeSuffix }

const (
	frameSuffix      = "_frame.png"
	cumulativeSuffix = "_cumulative.png"
)

// WriteStatic writes <root>/<dicomID>/heatmap.png: the static heatmap of fix on a w×h canvas, as
// an 8-bit PNG with the viridis palette (see Paletted).
func WriteStatic(root, dicomID string, fix []Fixation, w, h int, opt Options) (Stats, error) {
	if err := checkID(dicomID); err != nil {
		return Stats{}, err
	}
	m, st, err := Density(fix, w, h, opt)
	if err != nil {
		return st, fmt.Errorf("heatmap %s: %w", dicomID, err)
	}
	img := Paletted(m, w, h)
	dir := filepath.Join(root, dicomID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, fmt.Errorf("heatmap %s: %w", dicomID, err)
	}
	if err := writePNG(filepath.Join(dir, StaticName), img); err != nil {
		return st, fmt.Errorf("heatmap %s: %w", dicomID, err)
	}
	return st, nil
}

// WriteTemporal writes the temporal heatmaps of fix on a w×h canvas. By default they are the
// reference's: <root>/<dicomID>/k_frame.png for k = 0 … len(fix)−1, frame k showing fixation
// k+1 alone, min–max normalised on its own (an off-image fixation gives an empty frame and keeps
// its number). With opt.Cumulative they are <n>_cumulative.png for n = 1 … len(fix), frame n
// showing fixations 1 … n; the last equals the static heatmap up to float rounding. Frames of
// the same kind left over from an earlier run with more fixations are removed, so that a glob
// sees this run only; the other kind's are left alone. Stats.Frames is the number written.
//
// A frame is one fixation's blurred impulse, the outer product of the blur's 1-D responses
// (Blur is separable), written over (reference) or added to (cumulative) the previous frame's
// density, so a frame costs one pass over the canvas. Frames are encoded on all CPUs. It stops
// early with ctx's error when ctx is done.
func WriteTemporal(ctx context.Context, root, dicomID string, fix []Fixation, w, h int, opt Options) (Stats, error) {
	if err := checkID(dicomID); err != nil {
		return Stats{}, err
	}
	if err := checkSize(w, h); err != nil {
		return Stats{}, fmt.Errorf("heatmap %s: %w", dicomID, err)
	}
	sigma, err := opt.SigmaPx(w, h)
	if err != nil {
		return Stats{}, fmt.Errorf("heatmap %s: %w", dicomID, err)
	}
	st := Stats{Fixations: len(fix), Sigma: sigma}
	dir := filepath.Join(root, dicomID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, fmt.Errorf("heatmap %s: %w", dicomID, err)
	}

	name, suffix, first := FrameName, frameSuffix, 0
	if opt.Cumulative {
		name, suffix, first = CumulativeName, cumulativeSuffix, 1
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), len(fix)))
	type job struct {
		n   int
		img *image.Paletted
	}
	jobs := make(chan job)
	free := make(chan *image.Paletted, workers+1)
	for range workers + 1 {
		free <- image.NewPaletted(image.Rect(0, 0, w, h), viridisPalette)
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if !failed() {
					if err := writePNG(filepath.Join(dir, name(j.n)), j.img); err != nil {
						fail(err)
					}
				}
				free <- j.img
			}
		}()
	}

	m := make([]float32, w*h)
	kx, ky := map[int][]float32{}, map[int][]float32{}
	for i, f := range fix {
		if err := ctx.Err(); err != nil {
			fail(err)
		}
		if failed() {
			break
		}
		if !opt.Cumulative {
			clear(m) // the reference's frame: this fixation alone
		}
		if wt, why := opt.weight(f, w, h); why != "" {
			st.skip(why)
		} else {
			rx, ok := kx[f.X]
			if !ok {
				rx = response(w, f.X, sigma)
				kx[f.X] = rx
			}
			ry, ok := ky[f.Y]
			if !ok {
				ry = response(h, f.Y, sigma)
				ky[f.Y] = ry
			}
			addOuter(m, w, float32(wt), ry, rx)
		}
		img := <-free
		palettedInto(img, m, w, h)
		jobs <- job{first + i, img}
		st.Frames++
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return st, fmt.Errorf("heatmap %s: frames: %w", dicomID, firstErr)
	}
	if err := removeStaleFrames(dir, suffix, first, first+len(fix)-1); err != nil {
		return st, fmt.Errorf("heatmap %s: %w", dicomID, err)
	}
	return st, nil
}

// addOuter adds wt·ry[y]·rx[x] to the w-wide map m.
func addOuter(m []float32, w int, wt float32, ry, rx []float32) {
	parallel(len(ry), func(lo, hi int) {
		for y := lo; y < hi; y++ {
			a := wt * ry[y]
			row := m[y*w : (y+1)*w]
			for x, v := range rx[:len(row)] {
				row[x] += a * v
			}
		}
	})
}

// removeStaleFrames deletes <k><suffix> in dir for every canonical k outside [lo, hi].
func removeStaleFrames(dir, suffix string, lo, hi int) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		num, ok := strings.CutSuffix(e.Name(), suffix)
		if !ok || e.IsDir() {
			continue
		}
		k, err := strconv.Atoi(num)
		if err != nil || strconv.Itoa(k) != num || (k >= lo && k <= hi) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// writePNG writes img to path through a temporary sibling renamed into place, so a reader never
// sees a half-written file. Heatmaps are smooth and large: the fastest compression is used.
func writePNG(path string, img image.Image) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(w, img); err != nil {
			return fmt.Errorf("encode %s: %w", path, err)
		}
		return nil
	})
}
