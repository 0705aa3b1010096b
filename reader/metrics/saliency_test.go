package metrics

import (
	"math"
	"testing"
)

// The expected values are worked by hand from the definitions (Bylinskii et al. 2019), on
// P = [1 2; 3 4]: mean 2.5, population variance (2.25+0.25+0.25+2.25)/4 = 1.25, sd √1.25.
func TestSaliencyMetricsByHand(t *testing.T) {
	p := &Map{W: 2, H: 2, V: []float64{1, 2, 3, 4}}
	bottom := &Map{W: 2, H: 2, V: []float64{0, 0, 1, 1}}
	diag := &Map{W: 2, H: 2, V: []float64{0, 1, 1, 0}}
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		// ((3−2.5) + (4−2.5)) / 2 / √1.25 = 1/√1.25
		{"NSS bottom row", NSS(p, bottom), 1 / math.Sqrt(1.25)},
		// ((2−2.5) + (3−2.5)) / 2 / √1.25 = 0
		{"NSS anti-diagonal", NSS(p, diag), 0},
		// cov = ((−1.5)(−.5) + (−.5)(−.5) + (.5)(.5) + (1.5)(.5)) / 4 = 0.5; sd_q = 0.5
		{"CC bottom row", CC(p, bottom), 0.5 / (math.Sqrt(1.25) * 0.5)},
		{"CC itself", CC(p, p), 1},
		// P/10 = [.1 .2 .3 .4], Q/2 = [0 0 .5 .5]: min → 0 + 0 + .3 + .4
		{"SIM bottom row", SIM(p, bottom), 0.7},
		{"SIM itself", SIM(p, p), 1},
		// .5·ln(.5/.3) + .5·ln(.5/.4)
		{"KLD bottom row", KLD(p, bottom), 0.5*math.Log(0.5/0.3) + 0.5*math.Log(0.5/0.4)},
		{"KLD itself", KLD(p, p), 0},
		// thresholds 4, 3: (fp, tp) = (0, .5), (0, 1): a perfect classifier
		{"AUC-Judd bottom row", AUCJudd(p, bottom), 1},
		// thresholds 3, 2: cells ≥ 3 are 2 → (fp, tp) = ((2−1)/2, .5); cells ≥ 2 are 3 →
		// ((3−2)/2, 1); trapezoids: .5·(0+.5)/2 + 0 + .5·(1+1)/2 = .625
		{"AUC-Judd anti-diagonal", AUCJudd(p, diag), 0.625},
		// P = [1 1 0], fixated [1 0 0]: threshold 1 holds 2 cells → ((2−1)/2, 1);
		// .5·(0+1)/2 + .5·(1+1)/2 = .75 (the tie costs a quarter)
		{"AUC-Judd tie", AUCJudd(&Map{W: 3, H: 1, V: []float64{1, 1, 0}}, &Map{W: 3, H: 1, V: []float64{1, 0, 0}}), 0.75},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if math.Abs(c.got-c.want) > 1e-9 {
				t.Errorf("got %.12g, want %.12g", c.got, c.want)
			}
		})
	}
}

func TestSaliencyMetricsUndefined(t *testing.T) {
	flat := &Map{W: 2, H: 1, V: []float64{1, 1}}
	none := &Map{W: 2, H: 1, V: []float64{0, 0}}
	all := &Map{W: 2, H: 1, V: []float64{1, 1}}
	p := &Map{W: 2, H: 1, V: []float64{1, 2}}
	for name, v := range map[string]float64{
		"NSS flat map": NSS(flat, all), "NSS no fixation": NSS(p, none), "CC flat": CC(flat, p),
		"SIM empty": SIM(none, p), "KLD empty": KLD(p, none), "AUC none fixated": AUCJudd(p, none),
		"AUC all fixated": AUCJudd(p, all),
	} {
		if !math.IsNaN(v) {
			t.Errorf("%s: got %v, want NaN", name, v)
		}
	}
}

func TestBlurIsSymmetricAroundAnImpulse(t *testing.T) {
	m := NewMap(9, 9)
	m.V[4*9+4] = 1
	b := blur(m, 1.5)
	if b.V[4*9+4] <= b.V[4*9+5] {
		t.Fatalf("the peak is not at the impulse: %v vs %v", b.V[4*9+4], b.V[4*9+5])
	}
	for _, d := range [][2]int{{1, 0}, {0, 1}, {2, 3}} {
		a, c := b.V[(4+d[1])*9+4+d[0]], b.V[(4-d[1])*9+4-d[0]]
		if math.Abs(a-c) > 1e-12 {
			t.Errorf("offset %v: %v on one side, %v on the other", d, a, c)
		}
	}
}
