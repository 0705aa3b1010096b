package analysis

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
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

// twoSided is the two-sided p-value of t with df degrees of freedom: 2·F(−|t|), F the Student's
// t CDF (gonum's distuv.StudentsT).
func twoSided(t, df float64) float64 {
	if math.IsNaN(t) || math.IsNaN(df) || !(df > 0) {
		return math.NaN()
	}
	if math.IsInf(t, 0) {
		return 0
	}
	d := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	return 2 * d.CDF(-math.Abs(t))
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
