// Package heatmap renders fixation heatmaps in the layout the EGD-CXR reference ML code reads
// (docs/FORMATS.md §1): <root>/<dicom_id>/heatmap.png (static) and <root>/<dicom_id>/<n>_frame.png
// (temporal), viridis PNGs at DICOM resolution, with a fast recursive Gaussian blur.
//
// The method is the reference's: each fixation adds an impulse at (Y_ORIGINAL, X_ORIGINAL) on a
// canvas of the DICOM size, the canvas is blurred with a Gaussian (σ = 150 px, "reflect"
// boundary), min–max normalised and colour-mapped with viridis. Departures, on purpose:
//   - frames are 1-based like the CSV's fixation numbering: n_frame.png goes with the image's
//     n-th fixation row (the reference wrote 0_frame.png for the first);
//   - frame n shows fixations 1…n (the reference's frame showed fixation n alone);
//   - every image is written, the last of a session too (the reference never wrote it);
//   - the canvas is exactly the DICOM size (the reference padded odd sizes to even);
//   - fixations off the image (X_ORIGINAL/Y_ORIGINAL −1, as our export writes) add nothing and
//     are counted; their frame is still written, so frame numbers stay row numbers.
package heatmap

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
	"unicode"

	"sightline/reader/stage"
	"sightline/tracker"
)

// DefaultSigma is the reference's blur, in DICOM pixels.
const DefaultSigma = 150

// Fixation is one fixation row of fixations.csv as the heatmap uses it.
type Fixation struct {
	// X, Y are X_ORIGINAL, Y_ORIGINAL: the DICOM pixel (column, row). Anything off the canvas,
	// the −1 of a fixation off the image included, is skipped.
	X, Y int
	// Duration is FPOGD in seconds, the impulse's weight with Options.WeightByDuration.
	Duration float64
}

// Options choose the blur and the weighting. The zero value is the reference method.
type Options struct {
	// Sigma is the Gaussian's standard deviation in DICOM pixels; 0 means DefaultSigma.
	Sigma float64
	// SigmaDeg, when positive, gives σ in degrees of visual angle instead, converted with
	// Viewing (the zero value means tracker.PaperViewing) and the image's on-screen scale
	// from Layout.
	SigmaDeg float64
	Viewing  tracker.Viewing
	// Layout is where the image was drawn on the 1920×1080 stage (its pads), for SigmaDeg. The
	// zero Layout means where the station draws it (stage.Fit of the canvas size).
	Layout stage.Layout
	// WeightByDuration weights each impulse by the fixation's duration (seconds) instead of 1.
	// A fixation whose duration is not positive and finite then adds nothing and is counted.
	WeightByDuration bool
	// Cumulative makes the temporal frames the cumulative ones, <n>_cumulative.png with frame n
	// showing fixations 1…n (CumulativeName), instead of the reference's (FrameName).
	Cumulative bool
}

// Stats says what a heatmap was made of.
type Stats struct {
	Fixations  int     // fixations given
	OffImage   int     // of them, off the canvas (X_ORIGINAL/Y_ORIGINAL −1): skipped
	Unweighted int     // of them, with WeightByDuration, without a usable duration: skipped
	Sigma      float64 // the σ used, DICOM pixels
	Frames     int     // temporal frames written
}

// Skipped is the number of fixations that added nothing.
func (s Stats) Skipped() int { return s.OffImage + s.Unweighted }

// ErrOptions is wrapped by every error about Options or the canvas size.
var ErrOptions = errors.New("heatmap: bad options")

// SigmaPx returns the σ, in DICOM pixels, that opt asks for on a w×h image.
func (opt Options) SigmaPx(w, h int) (float64, error) {
	if opt.SigmaDeg == 0 {
		s := opt.Sigma
		if s == 0 {
			s = DefaultSigma
		}
		if !finitePositive(s) {
			return 0, fmt.Errorf("%w: sigma %v px, want a positive number", ErrOptions, s)
		}
		return s, nil
	}
	if !finitePositive(opt.SigmaDeg) {
		return 0, fmt.Errorf("%w: sigma %v°, want a positive number", ErrOptions, opt.SigmaDeg)
	}
	v := opt.Viewing
	if v == (tracker.Viewing{}) {
		v = tracker.PaperViewing()
	}
	if err := v.Validate(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	l := opt.Layout
	if l == (stage.Layout{}) {
		l = stage.Fit(w, h)
	}
	dw, dh := stage.Width-l.Left-l.Right, stage.Height-l.Top-l.Bottom
	if dw <= 0 || dh <= 0 {
		return 0, fmt.Errorf("%w: pads %d,%d,%d,%d (top, bottom, left, right) leave no image on the stage", ErrOptions, l.Top, l.Bottom, l.Left, l.Right)
	}
	// The stage is scaled uniformly onto the monitor (letterboxed), so a stage pixel spans
	// 1/scale monitor pixels.
	scale := math.Min(float64(v.WidthPx)/stage.Width, float64(v.HeightPx)/stage.Height)
	stagePxPerDeg := v.PixelsPerDegree() / scale
	// DICOM pixels per stage pixel: equal on both axes up to the rounding of the pads.
	dicomPerStage := (float64(w)/float64(dw) + float64(h)/float64(dh)) / 2
	return opt.SigmaDeg * stagePxPerDeg * dicomPerStage, nil
}

// weight is the impulse of f on a w×h canvas, and which count skips it ("" when it counts).
func (opt Options) weight(f Fixation, w, h int) (float64, string) {
	if f.X < 0 || f.Y < 0 || f.X >= w || f.Y >= h {
		return 0, "off"
	}
	if !opt.WeightByDuration {
		return 1, ""
	}
	if !(f.Duration > 0) || math.IsInf(f.Duration, 1) {
		return 0, "unweighted"
	}
	return f.Duration, ""
}

func (s *Stats) skip(why string) {
	switch why {
	case "off":
		s.OffImage++
	case "unweighted":
		s.Unweighted++
	}
}

// maxPixels bounds a canvas: 128 Mpx is a 512 MiB density map, far beyond any radiograph
// (a large CXR is about 4300 × 4300), so that a corrupt DICOM header cannot exhaust memory.
const maxPixels = 1 << 27

func checkSize(w, h int) error {
	if w <= 0 || h <= 0 || w > 1<<16 || h > 1<<16 || w*h > maxPixels {
		return fmt.Errorf("%w: canvas %d×%d, want 1…65536 on each side and at most %d pixels", ErrOptions, w, h, maxPixels)
	}
	return nil
}

// Density returns the blurred, un-normalised heatmap of fix on a w×h canvas (row-major).
func Density(fix []Fixation, w, h int, opt Options) ([]float32, Stats, error) {
	if err := checkSize(w, h); err != nil {
		return nil, Stats{}, err
	}
	sigma, err := opt.SigmaPx(w, h)
	if err != nil {
		return nil, Stats{}, err
	}
	st := Stats{Fixations: len(fix), Sigma: sigma}
	m := make([]float32, w*h)
	for _, f := range fix {
		wt, why := opt.weight(f, w, h)
		if why != "" {
			st.skip(why)
			continue
		}
		m[f.Y*w+f.X] += float32(wt)
	}
	Blur(m, m, w, h, sigma)
	return m, st, nil
}

// Static returns the static heatmap of fix on a w×h canvas: Density, colour-mapped.
func Static(fix []Fixation, w, h int, opt Options) (*image.RGBA, Stats, error) {
	m, st, err := Density(fix, w, h, opt)
	if err != nil {
		return nil, st, err
	}
	return Colorize(m, w, h), st, nil
}

// response is the blur of a unit impulse at pos on a line of n pixels: Blur's pipeline along one
// axis. Blur's 2-D impulse response is the outer product of two of these.
func response(n, pos int, sigma float64) []float32 {
	f := factor(sigma)
	a := newAxis(n, f, sigma)
	d := newDeriche(coarseSigma(sigma, f))
	src := make([]float32, n)
	src[pos] = 1
	spread := make([]float32, a.cn)
	a.spread(spread, spread, src, src, make([]float32, 2*f))
	c, blurred := make([]float64, a.cn), make([]float64, a.cn)
	for i, v := range spread {
		c[i] = float64(v)
	}
	d.filter(blurred, c)
	out := make([]float32, n)
	a.interpolate(out, blurred)
	return out
}

// checkID refuses a dicom_id that cannot name one folder.
func checkID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) || strings.ContainsFunc(id, unicode.IsControl) {
		return fmt.Errorf("heatmap: dicom_id %q cannot name a folder", id)
	}
	return nil
}
