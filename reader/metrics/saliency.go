package metrics

import (
	"math"
	"slices"
)

// Map is a saliency or fixation map on a grid of W × H cells, row by row.
type Map struct {
	W, H int
	V    []float64
}

// NewMap is a W × H map of zeros.
func NewMap(w, h int) *Map { return &Map{W: w, H: h, V: make([]float64, w*h)} }

// eps is MATLAB's eps, the ε of the reference implementation of KLD (Bylinskii et al. 2019).
const eps = 2.220446049250313e-16

// The five metrics below follow Bylinskii, Judd, Oliva, Torralba and Durand, "What do different
// evaluation metrics tell us about saliency models?" (IEEE TPAMI 41(3), 2019), §3: P is the
// saliency map being judged, Q^D a continuous ground-truth map, Q^B a binary fixation map (any
// cell > 0 is fixated). Standard deviations are population ones, as in the benchmark's code.
// Maps are used as given: no re-scaling beyond what each definition states.

// NSS is the normalized scanpath saliency: the mean over fixated cells of Q^B of P normalised
// to zero mean and unit standard deviation. NaN when P is flat or nothing is fixated.
func NSS(p, fix *Map) float64 {
	mean, sd := meanSD(p.V)
	var sum float64
	n := 0
	for i, f := range fix.V {
		if f > 0 {
			sum += (p.V[i] - mean) / sd
			n++
		}
	}
	if n == 0 || sd == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// CC is Pearson's linear correlation coefficient between P and Q^D. NaN when either is flat.
func CC(p, q *Map) float64 {
	mp, sp := meanSD(p.V)
	mq, sq := meanSD(q.V)
	if sp == 0 || sq == 0 {
		return math.NaN()
	}
	var cov float64
	for i := range p.V {
		cov += (p.V[i] - mp) * (q.V[i] - mq)
	}
	return cov / float64(len(p.V)) / (sp * sq)
}

// SIM is the similarity (histogram intersection): Σ min(P_i, Q_i) over the two maps each
// normalised to sum to 1. 1 for equal distributions, 0 for disjoint ones; NaN when a map sums
// to 0.
func SIM(p, q *Map) float64 {
	sp, sq := sum(p.V), sum(q.V)
	if sp == 0 || sq == 0 {
		return math.NaN()
	}
	var s float64
	for i := range p.V {
		s += math.Min(p.V[i]/sp, q.V[i]/sq)
	}
	return s
}

// KLD is the Kullback–Leibler divergence of Q^D from P, both normalised to sum to 1:
// Σ Q_i log(ε + Q_i / (ε + P_i)), natural log. 0 for equal maps, larger the more P misses
// where Q is. NaN when a map sums to 0.
func KLD(p, q *Map) float64 {
	sp, sq := sum(p.V), sum(q.V)
	if sp == 0 || sq == 0 {
		return math.NaN()
	}
	var s float64
	for i := range p.V {
		qi := q.V[i] / sq
		s += qi * math.Log(eps+qi/(eps+p.V[i]/sp))
	}
	return s
}

// AUCJudd is the area under the ROC curve of P as a classifier of the fixated cells of Q^B
// (Judd et al.'s variant): the thresholds are P's values at the fixated cells, sorted down;
// at the i-th, the true-positive rate is i / fixated cells and the false-positive rate is
// (cells with P ≥ threshold − i) / (cells − fixated cells); the curve starts at (0, 0), ends
// at (1, 1), and is integrated with the trapezoid rule. The benchmark's code adds a tiny
// random jitter to break ties; this one does not, so that a score is reproducible. NaN when
// nothing, or everything, is fixated.
func AUCJudd(p, fix *Map) float64 {
	sorted := slices.Clone(p.V)
	slices.Sort(sorted)
	return aucJudd(p, sorted, fix)
}

// aucJudd is AUCJudd with P's values given sorted up (a map compared with several readers is
// sorted once).
func aucJudd(p *Map, sorted []float64, fix *Map) float64 {
	var th []float64
	for i, f := range fix.V {
		if f > 0 {
			th = append(th, p.V[i])
		}
	}
	nf, np := len(th), len(p.V)
	if nf == 0 || nf == np {
		return math.NaN()
	}
	slices.Sort(th)
	slices.Reverse(th)
	tp := make([]float64, nf+2)
	fp := make([]float64, nf+2)
	tp[nf+1], fp[nf+1] = 1, 1
	for i, t := range th {
		above := np - lowerBound(sorted, t) // cells with P ≥ t
		tp[i+1] = float64(i+1) / float64(nf)
		fp[i+1] = float64(above-(i+1)) / float64(np-nf)
	}
	var area float64
	for i := 1; i < len(tp); i++ {
		area += (fp[i] - fp[i-1]) * (tp[i] + tp[i-1]) / 2
	}
	return area
}

// lowerBound is the index of the first element of sorted that is ≥ t.
func lowerBound(sorted []float64, t float64) int {
	i, _ := slices.BinarySearch(sorted, t)
	return i
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

func meanSD(v []float64) (mean, sd float64) {
	if len(v) == 0 {
		return math.NaN(), 0
	}
	mean = sum(v) / float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)))
}

// blur convolves m with a Gaussian of standard deviation sigma cells, truncated at 3σ, one axis
// after the other; the image's edge is treated as zero beyond it.
func blur(m *Map, sigma float64) *Map {
	if sigma <= 0 {
		return &Map{W: m.W, H: m.H, V: slices.Clone(m.V)}
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
	}
	tmp := NewMap(m.W, m.H)
	for y := 0; y < m.H; y++ {
		row := m.V[y*m.W : (y+1)*m.W]
		for x, v := range row {
			if v == 0 {
				continue
			}
			for j := max(0, x-r); j <= min(m.W-1, x+r); j++ {
				tmp.V[y*m.W+j] += v * k[j-x+r]
			}
		}
	}
	out := NewMap(m.W, m.H)
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			v := tmp.V[y*m.W+x]
			if v == 0 {
				continue
			}
			for j := max(0, y-r); j <= min(m.H-1, y+r); j++ {
				out.V[j*m.W+x] += v * k[j-y+r]
			}
		}
	}
	return out
}
