package heatmap

import (
	"math"
	"math/rand/v2"
	"testing"
)

// directBlur is scipy.ndimage.gaussian_filter(src, sigma) written out: the sampled Gaussian
// truncated at radius int(4σ + 0.5) and normalised to sum 1, applied along x then y with the
// "reflect" boundary, in float64. It is O(radius) per pixel, for small images only.
func directBlur(src []float32, w, h int, sigma float64) []float64 {
	r := int(4*sigma + 0.5)
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	refl := func(x, n int) int { // written independently of reflect
		for x < 0 || x >= n {
			if x < 0 {
				x = -1 - x
			} else {
				x = 2*n - 1 - x
			}
		}
		return x
	}
	tmp := make([]float64, w*h)
	for y := range h {
		for x := range w {
			var s float64
			for i, kv := range k {
				s += kv * float64(src[y*w+refl(x+i-r, w)])
			}
			tmp[y*w+x] = s
		}
	}
	out := make([]float64, w*h)
	for y := range h {
		for x := range w {
			var s float64
			for i, kv := range k {
				s += kv * tmp[refl(y+i-r, h)*w+x]
			}
			out[y*w+x] = s
		}
	}
	return out
}

// relMaxDiff is max |got − want| ÷ max |want|: the brief's accuracy measure.
func relMaxDiff(got []float32, want []float64) float64 {
	var d, m float64
	for i, v := range want {
		d = math.Max(d, math.Abs(float64(got[i])-v))
		m = math.Max(m, math.Abs(v))
	}
	return d / m
}

func impulses(w, h int, pts [][3]float64) []float32 {
	src := make([]float32, w*h)
	for _, p := range pts {
		src[int(p[1])*w+int(p[0])] += float32(p[2])
	}
	return src
}

func TestBlurMatchesDirectGaussian(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randomImpulses := func(w, h, n int) []float32 {
		src := make([]float32, w*h)
		for range n {
			src[rng.IntN(h)*w+rng.IntN(w)] += float32(0.1 + rng.Float64())
		}
		return src
	}
	noise := func(w, h int) []float32 {
		src := make([]float32, w*h)
		for i := range src {
			src[i] = float32(rng.Float64())
		}
		return src
	}
	tests := []struct {
		name  string
		w, h  int
		sigma float64
		src   []float32
		f     int // expected decimation factor
	}{
		{"one impulse, centre, σ 3", 41, 37, 3, impulses(41, 37, [][3]float64{{20, 18, 1}}), 1},
		{"one impulse at a corner, σ 5", 40, 30, 5, impulses(40, 30, [][3]float64{{0, 0, 1}}), 1},
		{"impulses near edges, σ 12", 90, 70, 12, impulses(90, 70, [][3]float64{{1, 2, 1}, {88, 35, 2}, {45, 69, 0.5}}), 1},
		{"noise, σ 2", 33, 29, 2, noise(33, 29), 1},
		{"σ larger than the image (several reflections), decimated f=3, σ 40", 50, 30, 40, randomImpulses(50, 30, 5), 3},
		{"decimated f=5, σ 50", 180, 150, 50, randomImpulses(180, 150, 12), 5},
		{"decimated f=5, one impulse off-centre, σ 60", 200, 170, 60, impulses(200, 170, [][3]float64{{101, 52, 1}}), 5},
		{"decimated f=7, σ 80, odd sizes", 241, 199, 80, randomImpulses(241, 199, 20), 7},
		{"decimated f=15, σ 150 (the reference σ) on a small canvas", 257, 311, 150, randomImpulses(257, 311, 30), 15},
		{"decimated f=15, σ 150, single impulse", 300, 360, 150, impulses(300, 360, [][3]float64{{77, 301, 1}}), 15},
		{"decimated f=15, noise", 120, 100, 150, noise(120, 100), 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if f := factor(tc.sigma); f != tc.f {
				t.Fatalf("factor(%v) = %d, want %d", tc.sigma, f, tc.f)
			}
			want := directBlur(tc.src, tc.w, tc.h, tc.sigma)
			got := make([]float32, len(tc.src))
			Blur(got, tc.src, tc.w, tc.h, tc.sigma)
			d := relMaxDiff(got, want)
			t.Logf("max |Blur − exact| / max = %.2e", d)
			// 1e-3 of the maximum: what the README and make bench-compare claim.
			if d > 1e-3 {
				t.Errorf("max relative difference %.2e > 1e-3", d)
			}
		})
	}
}

func TestBlurInPlaceAndDegenerate(t *testing.T) {
	src := impulses(64, 48, [][3]float64{{10, 10, 1}, {50, 40, 3}})
	want := make([]float32, len(src))
	Blur(want, src, 64, 48, 7)
	in := append([]float32(nil), src...)
	Blur(in, in, 64, 48, 7)
	for i := range in {
		if in[i] != want[i] {
			t.Fatalf("in-place blur differs at %d: %v vs %v", i, in[i], want[i])
		}
	}
	for _, s := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		out := make([]float32, len(src))
		Blur(out, src, 64, 48, s)
		for i := range out {
			if out[i] != src[i] {
				t.Fatalf("σ %v: want a copy", s)
			}
		}
	}
	Blur(nil, nil, 0, 5, 3) // empty image: nothing to do
	func() {
		defer func() {
			if recover() == nil {
				t.Error("short src: want a panic")
			}
		}()
		Blur(make([]float32, 10), make([]float32, 9), 5, 2, 1)
	}()
	// A constant image stays constant (unit DC gain, boundaries included), to within the
	// recursive kernel's tail beyond the 4σ of reflected padding.
	c := make([]float32, 97*61)
	for i := range c {
		c[i] = 2.5
	}
	Blur(c, c, 97, 61, 150)
	for i, v := range c {
		if math.Abs(float64(v)-2.5) > 2.5*5e-4 {
			t.Fatalf("constant image: pixel %d is %v", i, v)
		}
	}
}

func TestBlurIsSeparable(t *testing.T) {
	// The blur of an impulse is the outer product of the 1-D responses (what Temporal relies on).
	const w, h, sigma = 150, 130, 48.0
	src := impulses(w, h, [][3]float64{{33, 101, 1}})
	full := make([]float32, w*h)
	Blur(full, src, w, h, sigma)
	kx, ky := response(w, 33, sigma), response(h, 101, sigma)
	for y := range h {
		for x := range w {
			if d := math.Abs(float64(full[y*w+x]) - float64(ky[y])*float64(kx[x])); d > 1e-6*float64(full[101*w+33]) {
				t.Fatalf("(%d,%d): 2-D %v, outer product %v", x, y, full[y*w+x], ky[y]*kx[x])
			}
		}
	}
}

func TestReflect(t *testing.T) {
	// scipy's "reflect": d c b a | a b c d | d c b a.
	want := map[int]int{-10: 1, -9: 0, -8: 0, -5: 3, -4: 3, -1: 0, 0: 0, 3: 3, 4: 3, 7: 0, 8: 0, 11: 3, 12: 3}
	for x, w := range want {
		if got := reflect(x, 4); got != w {
			t.Errorf("reflect(%d, 4) = %d, want %d", x, got, w)
		}
	}
	if got := reflect(-3, 1); got != 0 {
		t.Errorf("reflect(-3, 1) = %d", got)
	}
}
