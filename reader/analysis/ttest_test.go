package analysis

import (
	"math"
	"testing"
)

func TestTTests(t *testing.T) {
	inf := math.Inf(1)
	nan := math.NaN()
	tests := []struct {
		name           string
		a, b           []float64
		student, welch [2]float64 // t, p: scipy.stats.ttest_ind 1.10.1
		studentDF      float64
	}{
		{"scipy reference", []float64{1, 2, 3, 4}, []float64{2, 4, 6, 8, 10},
			[2]float64{-2.0578065752724592, 0.07861923505869378}, [2]float64{-2.2514363231593695, 0.06913359319239236}, 7},
		{"no variance, means differ", []float64{1, 1, 1}, []float64{2, 2, 2}, [2]float64{-inf, 0}, [2]float64{-inf, 0}, 4},
		{"no variance, same means", []float64{1, 1, 1}, []float64{1, 1, 1}, [2]float64{nan, nan}, [2]float64{nan, nan}, 4},
		{"a single value", []float64{1}, []float64{2, 3}, [2]float64{nan, nan}, [2]float64{nan, nan}, 1},
		{"an empty group", nil, []float64{2, 3}, [2]float64{nan, nan}, [2]float64{nan, nan}, 0},
		// t ≈ 0.001 with 508 degrees of freedom: p near 1, where the incomplete beta's argument
		// df/(df+t²) rounds towards 1 (p was 1.1e-11 off before twoSided used the other form).
		{"p near 1", sines(250, 0), sines(260, 2e-5),
			[2]float64{-0.0012260838189937545, 0.9990222082110203}, [2]float64{-0.0012261133642888398, 0.9990221853464807}, 508},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, w := Student(tc.a, tc.b), Welch(tc.a, tc.b)
			// |Δp| ≤ 1e-12, as make bench-compare checks on its generated data.
			if !near(s.T, tc.student[0], 1e-12) || !near(s.P, tc.student[1], 1e-12) {
				t.Errorf("Student t %v p %v, want %v", s.T, s.P, tc.student)
			}
			if !near(s.DF, tc.studentDF, 0) && !(tc.studentDF == 0 && math.IsNaN(s.DF)) {
				t.Errorf("Student df %v, want %v", s.DF, tc.studentDF)
			}
			if !near(w.T, tc.welch[0], 1e-12) || !near(w.P, tc.welch[1], 1e-12) {
				t.Errorf("Welch t %v p %v, want %v", w.T, w.P, tc.welch)
			}
			if s.NA != len(tc.a) || s.NB != len(tc.b) {
				t.Errorf("n %d %d", s.NA, s.NB)
			}
		})
	}
}

// sines is sin(0), sin(1), … sin(n−1), each plus shift.
func sines(n int, shift float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = math.Sin(float64(i)) + shift
	}
	return xs
}
