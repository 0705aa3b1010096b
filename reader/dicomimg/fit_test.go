package dicomimg

import (
	"bytes"
	"image"
	"math"
	"runtime"
	"sync/atomic"
	"testing"

	"golang.org/x/image/draw"
	"sightline/internal/benchcpu"
)

// texture is a deterministic w×h test image with detail at every scale.
func texture(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	x := uint32(7)
	for i := range g.Pix {
		x = x*1664525 + 1013904223
		px, py := i%w, i/w
		g.Pix[i] = uint8((px*239/w+py*239/h)/2 + int(x>>28)) // a ramp plus 4 bits of noise, 0..254
	}
	return g
}

func constant(w, h int, v uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

// step is black left of column (or above row) e, white from there on.
func step(w, h, e int, vertical bool) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		row := g.Pix[y*w : (y+1)*w]
		switch {
		case vertical:
			for x := e; x < w; x++ {
				row[x] = 255
			}
		case y >= e:
			for x := range row {
				row[x] = 255
			}
		}
	}
	return g
}

func TestFitSize(t *testing.T) {
	src := texture(101, 57)
	for _, sz := range [][2]int{{899, 1080}, {50, 28}, {1, 1}, {101, 57}, {303, 171}, {7, 200}, {0, 10}, {10, -1}} {
		got := Fit(src, sz[0], sz[1]).Bounds()
		if got != image.Rect(0, 0, max(sz[0], 0), max(sz[1], 0)) {
			t.Errorf("Fit to %v: bounds %v", sz, got)
		}
	}
	if got := Fit(nil, 4, 3); got.Bounds() != image.Rect(0, 0, 4, 3) {
		t.Errorf("Fit(nil): %v", got.Bounds())
	}
}

func TestFitConstantStaysConstant(t *testing.T) {
	for _, tc := range []struct {
		sw, sh, w, h int
		values       []uint8
	}{
		{2544, 3056, 899, 1080, []uint8{77}}, // the EGD-CXR portrait case on the stage
		{1760, 2140, 888, 1080, []uint8{255}},
		{100, 100, 33, 7, []uint8{0, 1, 77, 254, 255}},
		{37, 23, 100, 90, []uint8{0, 1, 77, 254, 255}},
		{5, 5, 1, 1, []uint8{0, 1, 77, 254, 255}},
	} {
		for _, v := range tc.values {
			out := Fit(constant(tc.sw, tc.sh, v), tc.w, tc.h)
			for i, p := range out.Pix {
				if p != v {
					t.Fatalf("%d×%d→%d×%d value %d: pixel %d is %d", tc.sw, tc.sh, tc.w, tc.h, v, i, p)
				}
			}
		}
	}
}

func TestFitIdentity(t *testing.T) {
	src := texture(64, 48)
	out := Fit(src, 64, 48)
	for i := range out.Pix {
		if out.Pix[i] != src.Pix[i] {
			t.Fatalf("pixel %d: %d, source %d", i, out.Pix[i], src.Pix[i])
		}
	}
}

func TestFitSubImage(t *testing.T) {
	src := step(40, 20, 20, true).SubImage(image.Rect(20, 0, 40, 20)).(*image.Gray)
	for i, p := range Fit(src, 7, 5).Pix {
		if p != 255 {
			t.Fatalf("pixel %d of the white half is %d", i, p)
		}
	}
}

// crossing is where a profile first reaches half way from black to white, in pixel
// coordinates where pixel i spans [i, i+1), interpolating between pixel centres.
func crossing(p []float64) float64 {
	for i := 1; i < len(p); i++ {
		if p[i] >= 127.5 && p[i-1] < 127.5 {
			return float64(i-1) + 0.5 + (127.5-p[i-1])/(p[i]-p[i-1])
		}
	}
	return math.NaN()
}

func TestFitStepEdgeIsNotShifted(t *testing.T) {
	for _, tc := range []struct {
		sw, sh, w, h, edge int
	}{
		{2544, 3056, 899, 1080, 1000},
		{101, 57, 37, 21, 50},
		{40, 30, 100, 75, 17}, // upscaling
		{300, 300, 30, 30, 151},
	} {
		for _, vertical := range []bool{true, false} {
			sw, sh, w, h := tc.sw, tc.sh, tc.w, tc.h
			if !vertical {
				sw, sh, w, h = tc.sh, tc.sw, tc.h, tc.w
			}
			out := Fit(step(sw, sh, tc.edge, vertical), w, h)
			n, scale := w, float64(sw)/float64(w)
			if !vertical {
				n, scale = h, float64(sh)/float64(h)
			}
			want := float64(tc.edge) / scale
			profile := make([]float64, n)
			for i := range n {
				if vertical {
					profile[i] = float64(out.GrayAt(i, h/2).Y)
				} else {
					profile[i] = float64(out.GrayAt(w/2, i).Y)
				}
			}
			got := crossing(profile)
			t.Logf("%d×%d→%d×%d, edge at %d, vertical=%v: half-way at %.3f, exact %.3f", sw, sh, w, h, tc.edge, vertical, got, want)
			if !(math.Abs(got-want) <= 0.5) {
				t.Errorf("%+v vertical=%v: edge at %.3f, want %.3f (±0.5)", tc, vertical, got, want)
			}
		}
	}
}

// TestFitAveragesWhenShrinking: a one-pixel checkerboard carries detail far above what the
// smaller image can show. Widening the kernel by the scale averages it to flat grey; sampling
// with an unwidened kernel would alias it into a moiré pattern.
func TestFitAveragesWhenShrinking(t *testing.T) {
	for _, tc := range [][4]int{{2544, 3056, 899, 1080}, {1000, 1000, 333, 250}} {
		src := image.NewGray(image.Rect(0, 0, tc[0], tc[1]))
		for i := range src.Pix {
			if (i%tc[0]+i/tc[0])%2 == 1 {
				src.Pix[i] = 255
			}
		}
		out := Fit(src, tc[2], tc[3])
		lo, hi := uint8(255), uint8(0)
		for _, p := range out.Pix {
			lo, hi = min(lo, p), max(hi, p)
		}
		t.Logf("%v: output grey levels %d..%d", tc, lo, hi)
		if lo < 124 || hi > 131 {
			t.Errorf("%v: checkerboard became %d..%d, want flat grey near 127.5", tc, lo, hi)
		}
	}
}

// TestFitMatchesXImage: the same filter as x/image/draw's CatmullRom (which also widens the
// kernel when shrinking), up to our 8-bit intermediate rows.
func TestFitMatchesXImage(t *testing.T) {
	for _, tc := range [][4]int{{636, 764, 225, 270}, {300, 200, 97, 61}, {50, 40, 130, 90}} {
		src := texture(tc[0], tc[1])
		ours := Fit(src, tc[2], tc[3])
		ref := image.NewGray(image.Rect(0, 0, tc[2], tc[3]))
		draw.CatmullRom.Scale(ref, ref.Bounds(), src, src.Bounds(), draw.Src, nil)
		mean, worst := compareGray(t, ours, ref)
		t.Logf("%v: mean |Δ| %.3f, max %d against x/image", tc, mean, worst)
		if mean > 0.5 || worst > 1 {
			t.Errorf("%v: mean |Δ| %.3f, max %d against x/image CatmullRom", tc, mean, worst)
		}
	}
}

func BenchmarkFit(b *testing.B) {
	src := texture(2544, 3056)
	c0 := benchcpu.Now()
	for b.Loop() {
		Fit(src, 899, 1080)
	}
	benchcpu.Report(b, c0)
}

// BenchmarkFitXImage is the alternative we did not take: x/image/draw's CatmullRom into a Gray.
func BenchmarkFitXImage(b *testing.B) {
	src := texture(2544, 3056)
	dst := image.NewGray(image.Rect(0, 0, 899, 1080))
	for b.Loop() {
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	}
}

// TestFitPairsMatchPlain: the packed two-outputs-a-multiplication passes give the plain
// passes' bytes exactly, shrinking and enlarging, odd and even output counts.
func TestFitPairsMatchPlain(t *testing.T) {
	for _, tc := range [][4]int{{636, 764, 225, 270}, {300, 200, 97, 61}, {50, 40, 131, 91}, {2140, 1760, 1920, 1579}, {9, 7, 3, 2}} {
		src := texture(tc[0], tc[1])
		in := planeSource(plane{pix: src.Pix, stride: src.Stride, w: tc[0], h: tc[1]})
		cx, cy := newContribs(tc[0], tc[2]), newContribs(tc[1], tc[3])
		px, okX := newPairs(cx, tc[0])
		py, okY := newPairs(cy, tc[1])
		if !okX || !okY {
			t.Fatalf("%v: no pairs", tc)
		}
		plainH, pairH := newTestPlane(tc[2], tc[1]), newTestPlane(tc[2], tc[1])
		horizontal(plainH, in, cx)
		horizontal2(pairH, in, px)
		plainV, pairV := newTestPlane(tc[0], tc[3]), newTestPlane(tc[0], tc[3])
		vertical(plainV, in, cy)
		vertical2(pairV, in, py)
		if !bytes.Equal(plainH.pix, pairH.pix) || !bytes.Equal(plainV.pix, pairV.pix) {
			t.Errorf("%v: pairs differ from the plain passes (horizontal %v, vertical %v)", tc,
				bytes.Equal(plainH.pix, pairH.pix), bytes.Equal(plainV.pix, pairV.pix))
		}
		// The same passes over rows drawn on demand into each goroutine's ring (as DecodeInto
		// reads a frame): the same bytes, each row drawn once (a goroutine's first window may
		// draw again rows the goroutine before it drew), not once per window that reads it.
		var drawn atomic.Int64
		drawnSrc := source{w: tc[0], h: tc[1], draw: func(y int, dst []uint8) {
			drawn.Add(1)
			copy(dst, src.Pix[y*src.Stride:y*src.Stride+tc[0]])
		}}
		for _, pass := range []struct {
			name string
			run  func(out plane, from source)
			w, h int
			want plane
		}{
			{"horizontal", func(o plane, f source) { horizontal(o, f, cx) }, tc[2], tc[1], plainH},
			{"horizontal2", func(o plane, f source) { horizontal2(o, f, px) }, tc[2], tc[1], plainH},
			{"vertical", func(o plane, f source) { vertical(o, f, cy) }, tc[0], tc[3], plainV},
			{"vertical2", func(o plane, f source) { vertical2(o, f, py) }, tc[0], tc[3], plainV},
		} {
			drawn.Store(0)
			got := newTestPlane(pass.w, pass.h)
			pass.run(got, drawnSrc)
			if !bytes.Equal(got.pix, pass.want.pix) {
				t.Errorf("%v %s: rows drawn on demand give other bytes than the image's rows", tc, pass.name)
			}
			if n := drawn.Load(); n > int64(tc[1]+runtime.GOMAXPROCS(0)*cy.taps*2) {
				t.Errorf("%v %s: %d rows drawn for %d source rows", tc, pass.name, n, tc[1])
			}
		}
	}
}

func newTestPlane(w, h int) plane { return plane{pix: make([]uint8, w*h), stride: w, w: w, h: h} }
