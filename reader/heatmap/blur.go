package heatmap

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// MinCoarseSigma is the smallest σ, in samples of the decimated grid, at which Blur runs its
// recursive filter: a blur of σ pixels runs on a grid coarser by the largest odd factor f with
// σ/f ≥ MinCoarseSigma (f = 1, the full grid, below 3·MinCoarseSigma). At σ = 150 that is f = 15:
// with quadratic B-spline spreading the decimation's own error is far below the recursive
// filter's (σ = 150 within 3e-4 of scipy at f = 9, f = 11 and f = 15), and f = 15 is the fastest.
const MinCoarseSigma = 10

// Blur writes to dst the Gaussian blur of the w×h row-major image src, with standard deviation
// sigma pixels on both axes and scipy.ndimage's default boundary, "reflect" (the image mirrored
// about its edges, edge pixels repeated: d c b a | a b c d | d c b a), as
// scipy.ndimage.gaussian_filter(src, sigma) computes it. dst and src may be the same slice. A
// sigma that is not positive and finite copies src. Blur panics if dst or src is shorter than
// w·h, as copy would with a wrong length.
//
// The filter is separable and recursive: Deriche's 4th-order approximation, O(1) per pixel
// whatever sigma, run in float64. Large sigmas are blurred on a grid decimated by an odd factor f
// (see MinCoarseSigma): each pixel is spread onto its three nearest coarse samples with the
// weights of the quadratic B-spline, the coarse grid is filtered with the σ that makes up the
// total, and the result is interpolated back with the same weights (the adjoint). The quadratic
// B-spline keeps mass, centroid and variance whatever the pixel's position between samples (f²/4
// for the spreading, as much for the interpolation), so the decimation adds no position-dependent
// blur; linear weights did (from 0 to f²/4 each), which cost up to 9e-4 of the maximum at σ = 150.
// The reflected extension reaches beyond 4σ on each side, where scipy truncates its kernel.
// Within 1e-3 of the exact Gaussian with the same boundary, relative to the map's maximum (see
// the tests and make bench-compare).
func Blur(dst, src []float32, w, h int, sigma float64) {
	if w <= 0 || h <= 0 {
		return
	}
	n := w * h
	if len(src) < n || len(dst) < n {
		panic(fmt.Sprintf("heatmap.Blur: %d×%d image needs %d values, have src %d, dst %d", w, h, n, len(src), len(dst)))
	}
	if !finitePositive(sigma) {
		copy(dst[:n], src[:n])
		return
	}
	f := factor(sigma)
	ax, ay := newAxis(w, f, sigma), newAxis(h, f, sigma)
	d := newDeriche(coarseSigma(sigma, f))
	cw, ch := ax.cn, ay.cn

	// 1. Spread every row onto the coarse columns, two rows at a time.
	xs := make([]float32, h*cw)
	parallel((h+1)/2, func(lo, hi int) {
		g := make([]float32, 2*f)
		for q := lo; q < hi; q++ {
			y0 := 2 * q
			y1 := min(y0+1, h-1) // an odd last row is spread twice, into the same place
			ax.spread(xs[y0*cw:(y0+1)*cw], xs[y1*cw:(y1+1)*cw], src[y0*w:(y0+1)*w], src[y1*w:(y1+1)*w], g)
		}
	})
	// 2. Spread the rows onto the coarse rows, through the reflected extension.
	coarse := make([]float64, ch*cw)
	parallel(ch, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			row := coarse[j*cw : (j+1)*cw]
			c := j*f - ay.p - len(ay.wt)/2
			for k, wt := range ay.wt {
				y := c + k
				if wt == 0 || y < ay.first || y > ay.last {
					continue
				}
				y = reflect(y, h)
				xr := xs[y*cw : (y+1)*cw]
				for i, v := range xr {
					row[i] += wt * float64(v)
				}
			}
		}
	})
	// 3. The recursive Gaussian along the coarse rows, then along the coarse columns.
	parallel(ch, func(lo, hi int) {
		tmp := make([]float64, cw)
		for j := lo; j < hi; j++ {
			row := coarse[j*cw : (j+1)*cw]
			d.filter(tmp, row)
			copy(row, tmp)
		}
	})
	parallel(cw, func(lo, hi int) {
		col, tmp := make([]float64, ch), make([]float64, ch)
		for i := lo; i < hi; i++ {
			for j := range col {
				col[j] = coarse[j*cw+i]
			}
			d.filter(tmp, col)
			for j, v := range tmp {
				coarse[j*cw+i] = v
			}
		}
	})
	// 4. Interpolate back: along y into a coarse-width row, then along x.
	parallel(h, func(lo, hi int) {
		tmp := make([]float64, cw)
		for y := lo; y < hi; y++ {
			m, k := ay.nearest(y)
			a, b, c := float64(ay.wA[k]), float64(ay.wB[k]), float64(ay.wC[k])
			r0, r1, r2 := coarse[(m-1)*cw:m*cw], coarse[m*cw:(m+1)*cw], coarse[(m+1)*cw:(m+2)*cw]
			r1, r2 = r1[:len(r0)], r2[:len(r0)]
			for i := range tmp[:len(r0)] {
				tmp[i] = a*r0[i] + b*r1[i] + c*r2[i]
			}
			ax.interpolate(dst[y*w:(y+1)*w], tmp)
		}
	})
}

// factor is the decimation factor for sigma: the largest odd f with sigma/f ≥ MinCoarseSigma,
// at least 1.
func factor(sigma float64) int {
	f := int(sigma / MinCoarseSigma)
	if f < 1 {
		return 1
	}
	if f%2 == 0 {
		f--
	}
	return f
}

// coarseSigma is the σ, in coarse samples, that makes up sigma fine pixels after spreading and
// interpolating at factor f: each adds a variance of f²/4 (the quadratic B-spline's, 1/4 of a
// coarse sample², wherever the pixel lies). At f = 1 nothing is spread.
func coarseSigma(sigma float64, f int) float64 {
	if f == 1 {
		return sigma
	}
	ff := float64(f)
	v := sigma*sigma - ff*ff/2
	return math.Sqrt(math.Max(v, sigma*sigma/4)) / ff
}

// axis is the decimation of one axis of n pixels by an odd f. Coarse sample i sits on fine
// position i·f − p. Fine pixel x belongs to its nearest sample m, at offset k = x + p − m·f in
// −hf … hf (hf = (f−1)/2), and gives it and its two neighbours the shares wA, wB, wC of the
// quadratic B-spline at k/f. Samples 1 … cn−2 take pixels: those of fine positions first … last,
// the line and its reflected extension at least 4σ beyond both edges.
type axis struct {
	n, f, hf, p, cn int
	first, last     int       // fine positions (of the extended line) that are spread
	wA, wB, wC      []float32 // per k + hf
	k               []float32 // k, per k + hf
	wt              []float64 // the share of the fine line at offset t from a coarse sample, t = −(3f−1)/2 …
	gather          []int32   // per edge block (not wholly inside the line), its f source positions
	gatherAt        []int32   // per block, where its positions start in gather, or −1 (inside)
}

func newAxis(n, f int, sigma float64) axis {
	a := axis{n: n, f: f, hf: (f - 1) / 2}
	r := int(math.Ceil(4 * sigma))
	a.p = r + 2*f
	a.cn = (n-1+r+a.p-a.hf+f-1)/f + 2 + 1
	a.first = f - a.p - a.hf
	a.last = (a.cn-2)*f - a.p + a.hf
	a.wA, a.wB, a.wC, a.k = make([]float32, f), make([]float32, f), make([]float32, f), make([]float32, f)
	for i := range f {
		k := i - a.hf
		d := float64(k) / float64(f)
		a.k[i] = float32(k)
		if f == 1 { // the full grid: each pixel is its own sample
			a.wB[i] = 1
			continue
		}
		a.wA[i] = float32((0.5 - d) * (0.5 - d) / 2)
		a.wB[i] = float32(0.75 - d*d)
		a.wC[i] = float32((0.5 + d) * (0.5 + d) / 2)
	}
	a.wt = make([]float64, 3*f)
	for i := range a.wt {
		t := i - (3*f-1)/2
		switch {
		case f == 1:
			if t == 0 {
				a.wt[i] = 1
			}
		default:
			// Divided by f, as spread divides: samples are densities per fine line.
			x := math.Abs(float64(t) / float64(f))
			if x < 0.5 {
				a.wt[i] = (0.75 - x*x) / float64(f)
			} else if x < 1.5 {
				a.wt[i] = (1.5 - x) * (1.5 - x) / 2 / float64(f)
			}
		}
	}
	a.gatherAt = make([]int32, a.cn)
	for i := range a.gatherAt {
		a.gatherAt[i] = -1
		q := i*f - a.p - a.hf
		if i < 1 || i > a.cn-2 || (q >= 0 && q+f <= n) {
			continue
		}
		a.gatherAt[i] = int32(len(a.gather))
		for x := q; x < q+f; x++ {
			a.gather = append(a.gather, int32(reflect(x, n)))
		}
	}
	return a
}

// nearest is the coarse sample of fine pixel x and the index (k + hf) of its offset from it.
func (a *axis) nearest(x int) (m, k int) {
	m = (x + a.p + a.hf) / a.f
	return m, x + a.p - m*a.f + a.hf
}

// spread writes the coarse samples of two fine lines at once (their sums interleave, so that the
// additions do not wait on each other): d0 from s0, d1 from s1. g is scratch of 2f.
func (a *axis) spread(d0, d1, s0, s1, g []float32) {
	f := a.f
	wA, wB, wC := a.wA[:f], a.wB[:f], a.wC[:f]
	g0, g1 := g[:f], g[f:2*f]
	inv := 1 / float64(f)
	// Sample i−1 is done once block i has given it its share; pi and pn carry what samples i and
	// i+1 have so far.
	var pi0, pn0, pi1, pn1 float64
	for i := 1; i <= a.cn-2; i++ {
		var x0, x1 []float32
		if at := a.gatherAt[i]; at < 0 {
			q := i*f - a.p - a.hf
			x0, x1 = s0[q:q+f], s1[q:q+f]
		} else {
			for j, src := range a.gather[at : int(at)+f] {
				g0[j], g1[j] = s0[src], s1[src]
			}
			x0, x1 = g0, g1
		}
		x0, x1 = x0[:f], x1[:f]
		var a0, b0, c0, a1, b1, c1 float32
		// A density map is impulses on zeros: most blocks are all zero, and a test of their bits
		// is cheaper than their products (a dense image pays for the test on top).
		var bits uint32
		for j := range x0 {
			bits |= math.Float32bits(x0[j]) | math.Float32bits(x1[j])
		}
		if bits != 0 {
			for j := range wA {
				v0, v1 := x0[j], x1[j]
				a0 += wA[j] * v0
				b0 += wB[j] * v0
				c0 += wC[j] * v0
				a1 += wA[j] * v1
				b1 += wB[j] * v1
				c1 += wC[j] * v1
			}
		}
		// Samples are densities, per fine pixel: a block's shares are divided by its f pixels.
		d0[i-1] = float32(pi0 + float64(a0)*inv)
		d1[i-1] = float32(pi1 + float64(a1)*inv)
		pi0, pn0 = pn0+float64(b0)*inv, float64(c0)*inv
		pi1, pn1 = pn1+float64(b1)*inv, float64(c1)*inv
	}
	d0[a.cn-2], d0[a.cn-1] = float32(pi0), float32(pn0)
	d1[a.cn-2], d1[a.cn-1] = float32(pi1), float32(pn1)
}

// interpolate writes the fine line dst from the coarse line src (the adjoint of spread): on the
// block of sample m, the quadratic in k that the three shares make of src[m−1], src[m], src[m+1].
func (a *axis) interpolate(dst []float32, src []float64) {
	f, n := a.f, a.n
	if f == 1 {
		for x := range dst[:n] {
			dst[x] = float32(src[x+a.p])
		}
		return
	}
	inv := 1 / float64(f)
	mLo, _ := a.nearest(0)
	mHi, _ := a.nearest(n - 1)
	for m := mLo; m <= mHi; m++ {
		A, B, C := src[m-1], src[m], src[m+1]
		// wA = (½ − k/f)²/2, wB = ¾ − (k/f)², wC = (½ + k/f)²/2, summed as P0 + k·(P1 + k·P2).
		p0 := float32((A+C)/8 + 0.75*B)
		p1 := float32((C - A) * inv / 2)
		p2 := float32(((A+C)/2 - B) * inv * inv)
		q := m*f - a.p - a.hf
		lo, hi := max(q, 0), min(q+f, n)
		out := dst[lo:hi]
		ks := a.k[lo-q:]
		ks = ks[:len(out)]
		for j, kf := range ks {
			out[j] = p0 + kf*(p1+kf*p2)
		}
	}
}

// reflect maps position x of the infinite reflected extension of n samples (scipy's "reflect",
// period 2n) onto [0, n).
func reflect(x, n int) int {
	m := x % (2 * n)
	if m < 0 {
		m += 2 * n
	}
	if m >= n {
		m = 2*n - 1 - m
	}
	return m
}

// parallel runs fn over [0, n) split into one contiguous band per available CPU.
func parallel(n int, fn func(lo, hi int)) {
	k := min(runtime.GOMAXPROCS(0), n)
	if k <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for b := range k {
		lo, hi := b*n/k, (b+1)*n/k
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
