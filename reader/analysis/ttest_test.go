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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, w := Student(tc.a, tc.b), Welch(tc.a, tc.b)
			if !near(s.T, tc.student[0], 1e-12) || !near(s.P, tc.student[1], 1e-9) {
				t.Errorf("Student t %v p %v, want %v", s.T, s.P, tc.student)
			}
			if !near(s.DF, tc.studentDF, 0) && !(tc.studentDF == 0 && math.IsNaN(s.DF)) {
				t.Errorf("Student df %v, want %v", s.DF, tc.studentDF)
			}
			if !near(w.T, tc.welch[0], 1e-12) || !near(w.P, tc.welch[1], 1e-9) {
				t.Errorf("Welch t %v p %v, want %v", w.T, w.P, tc.welch)
			}
			if s.NA != len(tc.a) || s.NB != len(tc.b) {
				t.Errorf("n %d %d", s.NA, s.NB)
			}
		})
	}
}
