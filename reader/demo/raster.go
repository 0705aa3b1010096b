package demo

import "math"

// layer is a float32 raster at the phantom's working resolution.
type layer struct {
	w, h int
	pix  []float32
}

func newLayer(w, h int) *layer { return &layer{w: w, h: h, pix: make([]float32, w*h)} }

func smoothstep(e0, e1, x float64) float64 {
	t := (x - e0) / (e1 - e0)
	if t <= 0 {
		return 0
	}
	if t >= 1 {
		return 1
	}
	return t * t * (3 - 2*t)
}

func clamp(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

// blur approximates a Gaussian of standard deviation sigma (in pixels) with three box passes
// per axis, in O(pixels) whatever sigma. Edges are extended.
func (l *layer) blur(sigma float64) {
	if sigma < 0.3 {
		return
	}
	// Three boxes of width 2r+1 have variance 3·((2r+1)²−1)/12 = r(r+1).
	r := max(1, int(math.Round((math.Sqrt(4*sigma*sigma+1)-1)/2)))
	line := make([]float32, l.w)
	for pass := 0; pass < 3; pass++ {
		for y := 0; y < l.h; y++ {
			row := l.pix[y*l.w : (y+1)*l.w]
			copy(line, row)
			boxLine(row, line, r)
		}
	}
	// Vertical passes run along rows (one running sum per column) to stay cache friendly.
	out := make([]float32, len(l.pix))
	sum := make([]float32, l.w)
	inv := 1 / float32(2*r+1)
	rowAt := func(y int) []float32 {
		y = max(0, min(l.h-1, y))
		return l.pix[y*l.w : (y+1)*l.w]
	}
	for pass := 0; pass < 3; pass++ {
		clear(sum)
		for y := -r; y <= r; y++ {
			for x, v := range rowAt(y) {
				sum[x] += v
			}
		}
		for y := 0; y < l.h; y++ {
			o := out[y*l.w : (y+1)*l.w]
			add, sub := rowAt(y+r+1), rowAt(y-r)
			for x := range o {
				o[x] = sum[x] * inv
				sum[x] += add[x] - sub[x]
			}
		}
		l.pix, out = out, l.pix
	}
}

// boxLine writes into dst the running mean of src over a window of 2r+1 samples, the edges
// extended.
func boxLine(dst, src []float32, r int) {
	n := len(src)
	if n <= 2*r+1 {
		at := func(i int) float32 { return src[max(0, min(n-1, i))] }
		var sum float32
		for i := -r; i <= r; i++ {
			sum += at(i)
		}
		inv := 1 / float32(2*r+1)
		for i := 0; i < n; i++ {
			dst[i] = sum * inv
			sum += at(i+r+1) - at(i-r)
		}
		return
	}
	first, last := src[0], src[n-1]
	sum := float32(r+1) * first
	for i := 1; i <= r; i++ {
		sum += src[i]
	}
	inv := 1 / float32(2*r+1)
	i := 0
	for ; i < r; i++ { // window clipped on the left
		dst[i] = sum * inv
		sum += src[i+r+1] - first
	}
	for ; i < n-r-1; i++ {
		dst[i] = sum * inv
		sum += src[i+r+1] - src[i-r]
	}
	for ; i < n; i++ { // clipped on the right
		dst[i] = sum * inv
		sum += last - src[i-r]
	}
}

// stampDisk adds (or maxes) a cylinder-profile disk: value amp·√(1−(d/r)²).
func (l *layer) stampDisk(cx, cy, r, amp float64, useMax bool) {
	if r < 0.5 {
		r = 0.5
	}
	x0, x1 := int(math.Floor(cx-r)), int(math.Ceil(cx+r))
	y0, y1 := int(math.Floor(cy-r)), int(math.Ceil(cy+r))
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, l.w-1), min(y1, l.h-1)
	r2 := r * r
	for y := y0; y <= y1; y++ {
		dy := float64(y) - cy
		row := l.pix[y*l.w:]
		for x := x0; x <= x1; x++ {
			dx := float64(x) - cx
			d2 := dx*dx + dy*dy
			if d2 >= r2 {
				continue
			}
			v := float32(amp * math.Sqrt(1-d2/r2))
			if useMax {
				if v > row[x] {
					row[x] = v
				}
			} else {
				row[x] += v
			}
		}
	}
}

// stampSegment draws a tapered tube from (x0,y0) radius r0 to (x1,y1) radius r1, keeping the
// maximum so that the overlapping disks do not add up along the tube.
func (l *layer) stampSegment(x0, y0, r0, x1, y1, r1, amp float64) {
	length := math.Hypot(x1-x0, y1-y0)
	step := math.Max(0.5, 0.35*math.Min(r0, r1))
	n := int(math.Ceil(length/step)) + 1
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		r := r0 + (r1-r0)*t
		l.stampDisk(x0+(x1-x0)*t, y0+(y1-y0)*t, r, amp*r, true)
	}
}
