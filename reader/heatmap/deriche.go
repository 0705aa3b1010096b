package heatmap

import (
	"math"
	"math/cmplx"
)

// deriche is Deriche's 4th-order recursive approximation of a sampled Gaussian (R. Deriche,
// "Recursively implementing the Gaussian and its derivatives", INRIA RR-1893, 1993), written in
// parallel form: the causal half of the kernel is h(n) = Re(a1·z1ⁿ) + Re(a2·z2ⁿ) for n ≥ 0, two
// complex first-order recursions instead of the direct-form 4th-order one. The parallel form is
// well conditioned however close the poles come to 1 (large σ), where the direct form loses digits.
// The kernel is scaled to unit DC gain. Its largest
// deviation from the normalised sampled Gaussian is 4.7e-4 of the peak for σ ≥ 2.
type deriche struct {
	a1, a2, z1, z2 complex128
	h0             float64 // h(0), counted once in the two-sided kernel
}

// Deriche's published 4th-order fit of exp(−x²/2σ²), x in units of σ:
// (a0 cos ω0x + a1 sin ω0x)e^(−b0x) + (c0 cos ω1x + c1 sin ω1x)e^(−b1x).
const (
	dA0, dA1, dB0, dW0 = 1.680, 3.735, 1.783, 0.6318
	dC0, dC1, dB1, dW1 = -0.6803, -0.2598, 1.723, 1.997
)

func newDeriche(sigma float64) deriche {
	// a cos ωx + b sin ωx = Re((a − ib)·e^(iωx)).
	d := deriche{
		a1: complex(dA0, -dA1), z1: cmplx.Exp(complex(-dB0, dW0) / complex(sigma, 0)),
		a2: complex(dC0, -dC1), z2: cmplx.Exp(complex(-dB1, dW1) / complex(sigma, 0)),
	}
	// Σ_{n≥0} h(n) = Re(a1/(1−z1)) + Re(a2/(1−z2)); the two-sided sum counts h(0) once.
	half := real(d.a1/(1-d.z1)) + real(d.a2/(1-d.z2))
	dc := 2*half - (dA0 + dC0)
	d.a1 /= complex(dc, 0)
	d.a2 /= complex(dc, 0)
	d.h0 = (dA0 + dC0) / dc
	return d
}

// filter convolves x with the two-sided kernel into y (len(y) ≥ len(x); they must not overlap).
// Beyond both ends the signal is taken as zero, as a kernel truncated there would see it:
// callers pad with the boundary extension they want at least 4σ deep, where scipy truncates its
// kernel. (Extending the end value instead would turn an impulse that happens to sit on the
// last padded sample into an endless run of them.)
func (d *deriche) filter(y, x []float64) {
	n := len(x)
	if n == 0 {
		return
	}
	y = y[:n]
	z1r, z1i := real(d.z1), imag(d.z1)
	z2r, z2i := real(d.z2), imag(d.z2)
	a1r, a1i := real(d.a1), imag(d.a1)
	a2r, a2i := real(d.a2), imag(d.a2)

	// Causal: s ← x[i] + z·s, y[i] = Re(a1 s1) + Re(a2 s2), from rest.
	s1r, s1i, s2r, s2i := x[0], 0.0, x[0], 0.0
	y[0] = a1r*s1r + a2r*s2r
	for i := 1; i < n; i++ {
		v := x[i]
		s1r, s1i = v+z1r*s1r-z1i*s1i, z1r*s1i+z1i*s1r
		s2r, s2i = v+z2r*s2r-z2i*s2i, z2r*s2i+z2i*s2r
		y[i] = a1r*s1r - a1i*s1i + a2r*s2r - a2i*s2i
	}

	// Anticausal: r[i] = z·(x[i+1] + r[i+1]), adding Re(a1 r1) + Re(a2 r2), from rest.
	var r1r, r1i, r2r, r2i float64
	for i := n - 2; i >= 0; i-- {
		v := x[i+1]
		t1r, t2r := v+r1r, v+r2r
		r1r, r1i = z1r*t1r-z1i*r1i, z1r*r1i+z1i*t1r
		r2r, r2i = z2r*t2r-z2i*r2i, z2r*r2i+z2i*t2r
		y[i] += a1r*r1r - a1i*r1i + a2r*r2r - a2i*r2i
	}
}

// finitePositive reports whether x is a usable σ.
func finitePositive(x float64) bool { return x > 0 && !math.IsInf(x, 1) }
