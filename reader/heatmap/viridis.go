package heatmap

import (
	"image"
	"image/color"
	"math"
	"sync"
)

// Viridis is matplotlib's viridis colormap as 8-bit colours, converted as matplotlib converts a
// colormap to bytes (each component × 255, truncated), so that entry i is what plt.imsave
// writes for a value in bin i.
var Viridis = func() (p [256]color.RGBA) {
	for i, c := range viridisData {
		p[i] = color.RGBA{uint8(c[0] * 255), uint8(c[1] * 255), uint8(c[2] * 255), 255}
	}
	return p
}()

// Colorize maps the w×h row-major map m to an opaque image through Viridis after min–max
// normalisation, as plt.imsave does by default: a value v goes to bin ⌊256·(v − min)/(max −
// min)⌋, the maximum to bin 255. A constant map (max = min, an empty heatmap included) is all
// bin 0. NaNs take bin 0 and are left out of the minimum and maximum.
func Colorize(m []float32, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	colorizeInto(img, m, w, h)
	return img
}

// colorizeInto is Colorize into an existing w×h image.
func colorizeInto(img *image.RGBA, m []float32, w, h int) {
	lo, scale := binScale(m[:w*h])
	parallel(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			colorRow(img.Pix[y*img.Stride:y*img.Stride+4*w], m[y*w:(y+1)*w], lo, scale)
		}
	})
}

// Paletted is Colorize as an 8-bit paletted image with Viridis as its palette: the same colours,
// a quarter of the memory, and PNGs that encode several times faster (what the Write functions
// write; readers that convert to RGB, as the reference ML code does, see the same pixels).
func Paletted(m []float32, w, h int) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, w, h), viridisPalette)
	palettedInto(img, m, w, h)
	return img
}

// palettedInto is Paletted into an existing w×h image.
func palettedInto(img *image.Paletted, m []float32, w, h int) {
	lo, scale := binScale(m[:w*h])
	parallel(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			binRow(img.Pix[y*img.Stride:y*img.Stride+w], m[y*w:(y+1)*w], lo, scale)
		}
	})
}

var viridisPalette = func() color.Palette {
	p := make(color.Palette, len(Viridis))
	for i, c := range Viridis {
		p[i] = c
	}
	return p
}()

// binScale is the min–max normalisation onto 256 bins: bin = (v − lo)·scale.
func binScale(m []float32) (lo, scale float64) {
	lo, hi := minMax(m)
	if hi > lo {
		scale = 256 / (hi - lo)
	}
	return lo, scale
}

// binOf is the bin of v: ⌊(v − lo)·scale⌋ clamped to [0, 255], NaN to 0.
func binOf(v float32, lo, scale float64) uint8 {
	t := (float64(v) - lo) * scale
	if t >= 255 {
		return 255
	}
	if t > 0 { // false for NaN
		return uint8(t)
	}
	return 0
}

func binRow(dst []uint8, row []float32, lo, scale float64) {
	dst = dst[:len(row)]
	for x, v := range row {
		dst[x] = binOf(v, lo, scale)
	}
}

// colorRow maps one row to RGBA.
func colorRow(pix []uint8, row []float32, lo, scale float64) {
	pal := &palette
	pix = pix[:4*len(row)]
	for x, v := range row {
		c := &pal[binOf(v, lo, scale)]
		p := pix[4*x : 4*x+4 : 4*x+4]
		p[0], p[1], p[2], p[3] = c[0], c[1], c[2], 255
	}
}

// palette is Viridis as bytes, for colorRow.
var palette = func() (p [256][3]uint8) {
	for i, c := range Viridis {
		p[i] = [3]uint8{c.R, c.G, c.B}
	}
	return p
}()

// minMax returns the smallest and largest non-NaN value of m (0, 0 when there is none).
func minMax(m []float32) (lo, hi float64) {
	var mu sync.Mutex
	glo, ghi := float32(math.Inf(1)), float32(math.Inf(-1))
	parallel(len(m), func(i0, i1 int) {
		l, h := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range m[i0:i1] {
			// Comparisons with NaN are false: it never becomes a bound.
			if v < l {
				l = v
			}
			if v > h {
				h = v
			}
		}
		mu.Lock()
		glo, ghi = min(glo, l), max(ghi, h)
		mu.Unlock()
	})
	if glo > ghi {
		return 0, 0
	}
	return float64(glo), float64(ghi)
}
