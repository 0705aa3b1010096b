package heatmap

import (
	"image"
	"image/color"
	"math"
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
	lo, hi := minMax(m[:w*h])
	scale := 0.0
	if hi > lo {
		scale = 256 / (hi - lo)
	}
	parallel(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := m[y*w : (y+1)*w]
			pix := img.Pix[y*img.Stride : y*img.Stride+4*w]
			for x, v := range row {
				c := Viridis[bin(float64(v), lo, scale)]
				p := pix[4*x : 4*x+4 : 4*x+4]
				p[0], p[1], p[2], p[3] = c.R, c.G, c.B, 255
			}
		}
	})
	return img
}

// bin is the colormap entry of v.
func bin(v, lo, scale float64) int {
	t := (v - lo) * scale
	if !(t > 0) { // also NaN
		return 0
	}
	if t >= 255 {
		return 255
	}
	return int(t)
}

// minMax returns the smallest and largest non-NaN value of m (0, 0 when there is none).
func minMax(m []float32) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range m {
		f := float64(v)
		if f < lo {
			lo = f
		}
		if f > hi {
			hi = f
		}
	}
	if lo > hi {
		return 0, 0
	}
	return lo, hi
}
