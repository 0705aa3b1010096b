package analysis

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// TTest is a two-sample t-test of group A against group B.
type TTest struct {
	NA, NB       int
	MeanA, MeanB float64
	T, DF, P     float64 // P two-sided; NaN when the test is undefined
}

// Student is Student's two-sample t-test with equal variances (pooled), as
// scipy.stats.ttest_ind(a, b) computes it: t = (mean a − mean b) ÷ √(s²·(1/na + 1/nb)), s² the
// pooled sample variance, na + nb − 2 degrees of freedom. Groups with no variance give t = ±Inf
// (p = 0) when the means differ and NaN when they do not; fewer than two values in a group give
// NaN, as scipy does.
func Student(a, b []float64) TTest {
	t := TTest{NA: len(a), NB: len(b)}
	ma, va := meanVar(a)
	mb, vb := meanVar(b)
	t.MeanA, t.MeanB = ma, mb
	na, nb := float64(len(a)), float64(len(b))
	t.DF = na + nb - 2
	if t.DF <= 0 {
		t.DF, t.T, t.P = math.NaN(), math.NaN(), math.NaN()
		return t
	}
	pooled := ((na-1)*va + (nb-1)*vb) / t.DF
	t.T = (ma - mb) / math.Sqrt(pooled*(1/na+1/nb))
	t.P = twoSided(t.T, t.DF)
	return t
}

// Welch is Welch's unequal-variance t-test, scipy.stats.ttest_ind(a, b, equal_var=False): the
// Welch–Satterthwaite degrees of freedom, edge cases as scipy treats them.
func Welch(a, b []float64) TTest {
	t := TTest{NA: len(a), NB: len(b)}
	ma, va := meanVar(a)
	mb, vb := meanVar(b)
	t.MeanA, t.MeanB = ma, mb
	na, nb := float64(len(a)), float64(len(b))
	qa, qb := va/na, vb/nb
	t.DF = (qa + qb) * (qa + qb) / (qa*qa/(na-1) + qb*qb/(nb-1))
	if math.IsNaN(t.DF) {
		// Both variances zero (or undefined): scipy then takes 1, which does not matter for a
		// t of ±Inf (p = 0) and leaves a NaN t NaN.
		t.DF = 1
	}
	t.T = (ma - mb) / math.Sqrt(qa+qb)
	t.P = twoSided(t.T, t.DF)
	return t
}

// twoSided is the two-sided p-value of t with df degrees of freedom, P(|T| ≥ |t|), written
// with the regularised incomplete beta function I (gonum's mathext.RegIncBeta) in whichever of
// its two equal forms keeps its argument away from 1: I_{df/(df+t²)}(df/2, ½) for large t, and
// 1 − I_{t²/(df+t²)}(½, df/2) for small t. With the first form alone (gonum's StudentsT CDF),
// df/(df+t²) rounds towards 1 when t² ≪ df and p near 1 came out 1e-11 off scipy's.
func twoSided(t, df float64) float64 {
	if math.IsNaN(t) || math.IsNaN(df) || !(df > 0) {
		return math.NaN()
	}
	if math.IsInf(t, 0) {
		return 0
	}
	t2 := t * t
	if t2 < df {
		return 1 - mathext.RegIncBeta(0.5, df/2, t2/(df+t2))
	}
	return mathext.RegIncBeta(df/2, 0.5, df/(df+t2))
}

// meanVar is the mean and the sample variance (ddof 1); NaN where undefined.
func meanVar(xs []float64) (mean, v float64) {
	n := float64(len(xs))
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= n
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, ss / (n - 1) // 0/0 = NaN for a single value
}
