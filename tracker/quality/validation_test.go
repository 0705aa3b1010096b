package quality

import (
	"math"
	"strings"
	"testing"
	"time"

	"sightline/tracker"
)

func TestDefaultValidationTargets(t *testing.T) {
	targets := DefaultValidationTargets()
	if len(targets) != 5 {
		t.Fatalf("%d targets, want 5", len(targets))
	}
	onGrid := func(f float64) bool { return f == 0.1 || f == 0.5 || f == 0.9 }
	seen := map[Point]bool{}
	for _, p := range targets {
		if onGrid(p.X) && onGrid(p.Y) {
			t.Errorf("%v is a point of the 9-point calibration grid", p)
		}
		if seen[p] || !(p.X > 0 && p.X < 1 && p.Y > 0 && p.Y < 1) {
			t.Errorf("%v repeated or off the stage", p)
		}
		seen[p] = true
		// Every target is well away from every calibration point (≥ 2.5°).
		for _, gx := range []float64{0.1, 0.5, 0.9} {
			for _, gy := range []float64{0.1, 0.5, 0.9} {
				if d := AngleDeg(paper, p.X, p.Y, gx, gy); d < 2.5 {
					t.Errorf("%v is %.2f° from the calibration point (%g, %g)", p, d, gx, gy)
				}
			}
		}
	}
}

// validation records a 5-target validation at 60 Hz, 1.5 s per target on one continuing clock:
// for the first 700 ms the gaze is still on the previous target (the settle time, which must not
// count), then it alternates deg[i] either side of target i, so that the point's accuracy is
// deg[i] and its precision 2·deg[i]. lost(i, k) says whether the k-th record of target i's
// analysed 800 ms is invalid ('x') or dropped ('-').
func validation(targets []Point, deg []float64, lost func(i, k int) byte) [][]tracker.Sample {
	const rate, per, settle = 60, 90, 42
	out := make([][]tracker.Sample, len(targets))
	prev := Point{0.5, 0.5}
	for i, tg := range targets {
		base := i * per
		out[i] = rec(rate, base+per, func(j int) (float64, float64, bool, bool) {
			if j < base {
				return 0, 0, false, false // another target's time
			}
			k := j - base - settle
			if k < 0 {
				return prev.X, prev.Y, true, true
			}
			c := byte(0)
			if lost != nil {
				c = lost(i, k)
			}
			x, y := around(tg.X, tg.Y, deg[i], float64(1-2*(k%2)))
			return x, y, c != 'x', c != '-'
		})
		prev = tg
	}
	return out
}

func TestValidate(t *testing.T) {
	targets := DefaultValidationTargets()
	all := func(d float64) []float64 { return []float64{d, d, d, d, d} }
	tests := []struct {
		name     string
		deg      []float64
		lost     func(i, k int) byte
		edit     func([][]tracker.Sample) [][]tracker.Sample
		verdict  ValidationVerdict
		reasons  []string // substrings, in order
		acc      float64  // mean accuracy
		prec     float64  // mean precision
		loss     float64
		n        []int // valid samples per point
		pointAcc []float64
	}{
		{name: "0.5deg is good", deg: all(0.5), verdict: Good,
			acc: 0.5, prec: 1.0, n: []int{48, 48, 48, 48, 48}, pointAcc: all(0.5)},
		{name: "0.99deg is good", deg: all(0.99), verdict: Good, acc: 0.99, prec: 1.98, n: []int{48, 48, 48, 48, 48}},
		{name: "1.2deg is acceptable", deg: all(1.2), verdict: Acceptable,
			reasons: []string{"mean accuracy 1.20° > 1.00°"}, acc: 1.2, prec: 2.4, n: []int{48, 48, 48, 48, 48}},
		{name: "2deg is redone", deg: all(2), verdict: Redo,
			reasons: []string{"mean accuracy 2.00° > 1.50°", "target 1 (0.30, 0.30): accuracy 2.00° > 1.50°",
				"target 2", "target 3", "target 4", "target 5 (0.70, 0.70): accuracy 2.00° > 1.50°"}, acc: 2, prec: 4,
			n: []int{48, 48, 48, 48, 48}},
		{name: "one bad point spoils a good mean", deg: []float64{0.5, 0.5, 2, 0.5, 0.5}, verdict: Acceptable,
			reasons: []string{"target 3 (0.50, 0.60): accuracy 2.00° > 1.50°"}, acc: 0.8, prec: 1.6,
			n: []int{48, 48, 48, 48, 48}, pointAcc: []float64{0.5, 0.5, 2, 0.5, 0.5}},
		{name: "12.5% loss warns", deg: all(0.5), verdict: Acceptable,
			lost: func(_, k int) byte {
				if k%8 == 3 {
					return 'x'
				}
				return 0
			},
			// The pairs left still straddle the target, 1° apart.
			reasons: []string{"data loss 12.5% ≥ 10.0%"}, acc: 0.5, prec: 1.0, loss: 0.125, n: []int{42, 42, 42, 42, 42}},
		{name: "dropped records are lost", deg: all(0.5), verdict: Redo,
			lost: func(_, k int) byte {
				if k >= 20 && k < 28 {
					return '-'
				}
				return 0
			},
			reasons: []string{"data loss 16.7% ≥ 15.0%"}, acc: 0.5, prec: 1.0, loss: 8.0 / 48, n: []int{40, 40, 40, 40, 40}},
		{name: "a target without samples", deg: all(0.5), verdict: Redo,
			edit:    func(r [][]tracker.Sample) [][]tracker.Sample { r[3] = nil; return r },
			reasons: []string{"target 4 (0.30, 0.70): no valid samples", "data loss 20.0% ≥ 15.0%"},
			acc:     0.5, prec: 1.0, loss: 0.2, n: []int{48, 48, 48, 0, 48}},
		{name: "fewer recordings than targets", deg: all(0.5), verdict: Redo,
			edit:    func(r [][]tracker.Sample) [][]tracker.Sample { return r[:4] },
			reasons: []string{"target 5 (0.70, 0.70): no valid samples", "data loss 20.0% ≥ 15.0%"},
			acc:     0.5, prec: 1.0, loss: 0.2, n: []int{48, 48, 48, 48, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := validation(targets, tc.deg, tc.lost)
			if tc.edit != nil {
				r = tc.edit(r)
			}
			res := Validate(r, targets, 60, 800*time.Millisecond, paper)
			if res.Verdict != tc.verdict || len(res.Reasons) != len(tc.reasons) {
				t.Fatalf("verdict %q %q, want %q with %d reasons", res.Verdict, res.Reasons, tc.verdict, len(tc.reasons))
			}
			for i, want := range tc.reasons {
				if !strings.Contains(res.Reasons[i], want) {
					t.Errorf("reason %d = %q, want %q", i, res.Reasons[i], want)
				}
			}
			if !near(res.MeanAccuracyDeg, tc.acc, 1e-9) || !near(res.DataLoss, tc.loss, 1e-12) {
				t.Errorf("mean accuracy %.12f°, loss %v; want %v°, %v", res.MeanAccuracyDeg, res.DataLoss, tc.acc, tc.loss)
			}
			if !near(res.MeanPrecisionDeg, tc.prec, 1e-9) {
				t.Errorf("mean precision %.12f°, want %v°", res.MeanPrecisionDeg, tc.prec)
			}
			for i, p := range res.Points {
				if p.Target != targets[i] || p.N != tc.n[i] || p.Expected != 48 {
					t.Errorf("point %d: target %v, N %d of %d; want %v, %d of 48", i+1, p.Target, p.N, p.Expected, targets[i], tc.n[i])
				}
				if tc.pointAcc != nil && !near(p.AccuracyDeg, tc.pointAcc[i], 1e-9) {
					t.Errorf("point %d: accuracy %.12f°, want %v°", i+1, p.AccuracyDeg, tc.pointAcc[i])
				}
				if wantLoss := 1 - float64(p.N)/48; !near(p.DataLoss, wantLoss, 1e-12) {
					t.Errorf("point %d: loss %v, want %v", i+1, p.DataLoss, wantLoss)
				}
			}
		})
	}
}

func TestValidateWindow(t *testing.T) {
	targets := DefaultValidationTargets()
	r := validation(targets, []float64{0.5, 0.5, 0.5, 0.5, 0.5}, nil)
	// The whole presentation takes in the settle time, on the previous target: far worse.
	whole := Validate(r, targets, 60, 0, paper)
	if whole.Verdict != Redo || whole.MeanAccuracyDeg < 3 {
		t.Errorf("whole presentation: %s at %.2f°, want a redo", whole.Verdict, whole.MeanAccuracyDeg)
	}
	for i, p := range whole.Points {
		if p.N != 90 || p.Expected != 90 {
			t.Errorf("point %d: %d of %d samples, want 90 of 90", i+1, p.N, p.Expected)
		}
	}
	// A window longer than the recording counts the missing time as lost.
	long := Validate(r, targets, 60, 2*time.Second, paper)
	if long.DataLoss != 30.0/120 || long.Points[0].N != 90 || long.Points[0].Expected != 120 {
		t.Errorf("2 s window: loss %v, point 1 %d of %d", long.DataLoss, long.Points[0].N, long.Points[0].Expected)
	}
	if res := Validate(nil, nil, 60, time.Second, paper); res.Verdict != Redo || len(res.Reasons) != 1 {
		t.Errorf("no targets: %s %q", res.Verdict, res.Reasons)
	}
}

// TestValidateWithoutSamplesFails: a validation that got no samples (the tracker is not there)
// or none valid measured nothing: it fails, whatever the other figures say.
func TestValidateWithoutSamplesFails(t *testing.T) {
	targets := DefaultValidationTargets()
	none := Validate(make([][]tracker.Sample, len(targets)), targets, 60, time.Second, paper)
	if none.Verdict != Failed || !math.IsNaN(none.MeanAccuracyDeg) || none.DataLoss != 1 ||
		len(none.Reasons) != 1 || none.Reasons[0] != "no gaze samples: the tracker sent none" {
		t.Fatalf("no samples: %s, accuracy %v, loss %v, %q", none.Verdict, none.MeanAccuracyDeg, none.DataLoss, none.Reasons)
	}
	invalid := make([][]tracker.Sample, len(targets))
	for i := range invalid {
		for k := 0; k < 60; k++ {
			invalid[i] = append(invalid[i], tracker.Sample{CNT: int64(k), Time: float64(k) / 60})
		}
	}
	blind := Validate(invalid, targets, 60, time.Second, paper)
	if blind.Verdict != Failed || blind.Reasons[0] != "no valid gaze sample on any target" {
		t.Fatalf("no valid samples: %s %q", blind.Verdict, blind.Reasons)
	}
}
