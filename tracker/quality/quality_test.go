package quality

import (
	"math"
	"testing"
	"time"

	"sightline/tracker"
)

const tickHz = 10_000_000

var paper = tracker.PaperViewing()

// rec builds a recording at rate Hz: record i has CNT i, Time i/rate and the matching 10 MHz
// tick, and its gaze from at(i). A record for which at says !ok is dropped (never arrived).
func rec(rate float64, n int, at func(i int) (x, y float64, valid, ok bool)) []tracker.Sample {
	var out []tracker.Sample
	for i := 0; i < n; i++ {
		x, y, valid, ok := at(i)
		if !ok {
			continue
		}
		t := float64(i) / rate
		out = append(out, tracker.Sample{
			CNT: int64(i), Time: t, TimeTick: int64(math.Round(t * tickHz)), TickFreq: tickHz,
			Host:  time.Duration(t * float64(time.Second)),
			BPOGX: x, BPOGY: y, BPOGV: valid,
		})
	}
	return out
}

// horiz is the stage x whose line of sight, in the horizontal plane through the screen centre,
// is deg degrees right of straight ahead. Angles between such points are differences of deg.
func horiz(deg float64) float64 {
	return 0.5 + paper.DistanceCM*math.Tan(deg*math.Pi/180)/paper.WidthCM()
}

// around is the stage point whose line of sight is exactly deg degrees from the target's,
// turned towards side (±1) about an axis perpendicular to the target's line of sight.
func around(tx, ty, deg, side float64) (x, y float64) {
	w, h, d := paper.WidthCM(), paper.HeightCM(), paper.DistanceCM
	a := unit([3]float64{(tx - 0.5) * w, (ty - 0.5) * h, d})
	u := unit([3]float64{-a[2], 0, a[0]}) // a × (0, 1, 0)
	r := deg * math.Pi / 180
	var b [3]float64
	for i := range b {
		b[i] = math.Cos(r)*a[i] + side*math.Sin(r)*u[i]
	}
	return 0.5 + b[0]*d/b[2]/w, 0.5 + b[1]*d/b[2]/h
}

func unit(v [3]float64) [3]float64 {
	n := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
	return [3]float64{v[0] / n, v[1] / n, v[2] / n}
}

// acosAngle is the angle between two lines of sight by the textbook formula, to check AngleDeg.
func acosAngle(x0, y0, x1, y1 float64) float64 {
	w, h, d := paper.WidthCM(), paper.HeightCM(), paper.DistanceCM
	a := unit([3]float64{(x0 - 0.5) * w, (y0 - 0.5) * h, d})
	b := unit([3]float64{(x1 - 0.5) * w, (y1 - 0.5) * h, d})
	return math.Acos(math.Min(1, a[0]*b[0]+a[1]*b[1]+a[2]*b[2])) * 180 / math.Pi
}

func TestAngleDeg(t *testing.T) {
	pairs := [][4]float64{
		{0.5, 0.5, 0.6, 0.5}, {0.1, 0.1, 0.9, 0.9}, {0.3, 0.7, 0.31, 0.69}, {0, 0, 1, 1}, {0.95, 0.2, 0.05, 0.8},
	}
	for _, p := range pairs {
		got, want := AngleDeg(paper, p[0], p[1], p[2], p[3]), acosAngle(p[0], p[1], p[2], p[3])
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("AngleDeg%v = %.9f, acos gives %.9f", p, got, want)
		}
	}
	// Centred on the screen centre, it is the chord formula of tracker.Viewing.
	for _, f := range []float64{0.001, 0.05, 0.4} {
		got, want := AngleDeg(paper, 0.5-f/2, 0.5, 0.5+f/2, 0.5), paper.AngleDeg(f, 0)
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("centred offset %g: %.9f, Viewing.AngleDeg %.9f", f, got, want)
		}
	}
	if got := AngleDeg(paper, 0.3, 0.4, 0.3, 0.4); got != 0 {
		t.Errorf("same point: %v", got)
	}
}

func TestAccuracy(t *testing.T) {
	const rate = 60
	tests := []struct {
		name   string
		tx, ty float64
		at     func(i int) (x, y float64, valid, ok bool)
		want   float64
		n      int
	}{
		{"1deg right of the centre", 0.5, 0.5, func(int) (float64, float64, bool, bool) { return horiz(1), 0.5, true, true }, 1, 60},
		{"1deg either side of an off-centre target", 0.3, 0.3, func(i int) (float64, float64, bool, bool) {
			x, y := around(0.3, 0.3, 1, float64(1-2*(i%2)))
			return x, y, true, true
		}, 1, 60},
		{"0.5deg and 1.5deg average to 1deg", 0.7, 0.7, func(i int) (float64, float64, bool, bool) {
			x, y := around(0.7, 0.7, 0.5+float64(i%2), 1)
			return x, y, true, true
		}, 1, 60},
		{"invalid samples are left out", 0.5, 0.5, func(i int) (float64, float64, bool, bool) {
			if i%3 == 0 {
				return 0.95, 0.05, false, true // a stale far point with the flag down
			}
			return horiz(-2), 0.5, true, true
		}, 2, 40},
		{"non-finite positions are left out", 0.5, 0.5, func(i int) (float64, float64, bool, bool) {
			if i%2 == 0 {
				return math.NaN(), 0.5, true, true
			}
			return horiz(0.25), 0.5, true, true
		}, 0.25, 30},
		{"no valid sample", 0.5, 0.5, func(int) (float64, float64, bool, bool) { return 0.5, 0.5, false, true }, math.NaN(), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, n := Accuracy(rec(rate, 60, tc.at), tc.tx, tc.ty, paper)
			if n != tc.n || !near(got, tc.want, 1e-9) {
				t.Errorf("Accuracy = %.12f° over %d, want %.12f° over %d", got, n, tc.want, tc.n)
			}
		})
	}
}

func TestPrecisionRMS(t *testing.T) {
	// Points on the horizontal line through the centre, given as degrees right of ahead, so
	// that each sample-to-sample angle is the difference of the degrees.
	type pt struct {
		deg   float64
		cnt   int64
		valid bool
	}
	seq := func(degs ...float64) []pt {
		out := make([]pt, len(degs))
		for i, d := range degs {
			out[i] = pt{d, int64(i), true}
		}
		return out
	}
	alternating := func(n int, amp float64) []pt {
		degs := make([]float64, n)
		for i := range degs {
			degs[i] = amp * float64(1-2*(i%2))
		}
		return seq(degs...)
	}
	tests := []struct {
		name    string
		pts     []pt
		mutate  func([]tracker.Sample)
		want    float64
		n       int
		comment string
	}{
		{name: "alternating ±0.1deg", pts: alternating(60, 0.1), want: 0.2, n: 59},
		{name: "still gaze", pts: seq(0.3, 0.3, 0.3, 0.3), want: 0, n: 3},
		{name: "steps of 0.2 and 0.4deg", pts: seq(0, 0.2, 0.6, 0.4), want: math.Sqrt((0.04 + 0.16 + 0.04) / 3), n: 3},
		{name: "an invalid sample breaks the chain",
			pts:  []pt{{0.1, 0, true}, {-0.1, 1, true}, {0.1, 2, true}, {0, 3, false}, {0.1, 4, true}, {-0.1, 5, true}},
			want: 0.2, n: 3, comment: "bridging it would add a 0° pair"},
		{name: "a dropped record breaks the chain",
			pts:  []pt{{0.1, 0, true}, {-0.1, 1, true}, {0.1, 2, true}, {0.1, 5, true}, {-0.1, 6, true}},
			want: 0.2, n: 3},
		{name: "a counter restart breaks the chain",
			pts:  []pt{{0.1, 7, true}, {-0.1, 8, true}, {0.1, 9, true}, {0.1, 0, true}, {-0.1, 1, true}},
			want: 0.2, n: 3},
		{name: "a resumed connection breaks the chain",
			pts:    seq(0.1, -0.1, 0.1, 0.1, -0.1),
			mutate: func(s []tracker.Sample) { s[3].Resumed = true },
			want:   0.2, n: 3},
		{name: "Lost records break the chain",
			pts:    seq(0.1, -0.1, 0.1, 0.1, -0.1),
			mutate: func(s []tracker.Sample) { s[3].Lost = 2 },
			want:   0.2, n: 3},
		{name: "no pair", pts: []pt{{0.1, 0, true}, {0, 1, false}, {0.1, 2, true}}, want: math.NaN(), n: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			samples := make([]tracker.Sample, len(tc.pts))
			for i, p := range tc.pts {
				samples[i] = tracker.Sample{CNT: p.cnt, Time: float64(i) / 60, BPOGX: horiz(p.deg), BPOGY: 0.5, BPOGV: p.valid}
			}
			if tc.mutate != nil {
				tc.mutate(samples)
			}
			got, n := PrecisionRMS(samples, paper)
			if n != tc.n || !near(got, tc.want, 1e-9) {
				t.Errorf("PrecisionRMS = %.12f° over %d pairs, want %.12f° over %d %s", got, n, tc.want, tc.n, tc.comment)
			}
		})
	}
}

func TestExpectedAndDataLoss(t *testing.T) {
	expected := []struct {
		d    time.Duration
		rate float64
		want int
	}{
		{time.Second, 60, 60}, {800 * time.Millisecond, 60, 48}, {800 * time.Millisecond, 150, 120},
		{1500 * time.Millisecond, 59.94, 90}, {0, 60, 0}, {-time.Second, 60, 0}, {time.Second, 0, 0},
		{time.Second, -60, 0}, {time.Second, math.NaN(), 0}, {time.Second, math.Inf(1), 0},
	}
	for _, tc := range expected {
		if got := Expected(tc.d, tc.rate); got != tc.want {
			t.Errorf("Expected(%s, %g) = %d, want %d", tc.d, tc.rate, got, tc.want)
		}
	}

	tests := []struct {
		name     string
		samples  []tracker.Sample
		expected int
		want     float64
	}{
		{"all valid", rec(60, 60, valid), 60, 0},
		{"3 invalid and 3 dropped of 60", rec(60, 60, func(i int) (float64, float64, bool, bool) {
			return 0.5, 0.5, i%20 != 5, i%20 != 9
		}), 60, 0.1},
		{"all invalid", rec(60, 60, func(int) (float64, float64, bool, bool) { return 0.5, 0.5, false, true }), 60, 1},
		{"nothing arrived", nil, 60, 1},
		{"nothing expected", rec(60, 10, valid), 0, 0},
		{"more than expected is no loss", rec(60, 62, valid), 60, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DataLoss(tc.samples, tc.expected); !near(got, tc.want, 1e-12) {
				t.Errorf("DataLoss = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLongestLoss(t *testing.T) {
	// Records at 60 Hz; lost(i) says whether record i is invalid ('x'), dropped ('-') or fine.
	build := func(n int, lost func(i int) byte) []tracker.Sample {
		return rec(60, n, func(i int) (float64, float64, bool, bool) {
			c := lost(i)
			return 0.5, 0.5, c != 'x', c != '-'
		})
	}
	in := func(i, from, to int) bool { return i >= from && i < to }
	tests := []struct {
		name    string
		samples []tracker.Sample
		records int64 // length of the longest run, in records
	}{
		{"none", build(600, func(int) byte { return 0 }), 0},
		{"a blink of 12", build(600, func(i int) byte {
			if in(i, 100, 112) || in(i, 300, 305) {
				return 'x'
			}
			return 0
		}), 12},
		{"30 dropped", build(600, func(i int) byte {
			if in(i, 200, 230) {
				return '-'
			}
			return 0
		}), 30},
		{"5 invalid then 30 dropped then 4 invalid", build(600, func(i int) byte {
			switch {
			case in(i, 195, 200), in(i, 230, 234):
				return 'x'
			case in(i, 200, 230):
				return '-'
			}
			return 0
		}), 39},
		{"trailing loss", build(600, func(i int) byte {
			if i >= 510 {
				return 'x'
			}
			return 0
		}), 90},
		{"leading loss", build(600, func(i int) byte {
			if i < 7 {
				return 'x'
			}
			return 0
		}), 7},
		{"counter restart trusts Lost", func() []tracker.Sample {
			s := build(20, func(int) byte { return 0 })
			s2 := build(20, func(int) byte { return 0 })
			s2[0].Lost = 6
			return append(s, s2...)
		}(), 6},
		{"empty", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := LongestLoss(tc.samples, 60)
			want := time.Duration(tc.records) * time.Second / 60
			if d := got - want; d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("LongestLoss = %v, want %v (%d records)", got, want, tc.records)
			}
		})
	}
	if got := LongestLoss(build(10, func(int) byte { return 'x' }), 0); got != 0 {
		t.Errorf("rate 0: %v", got)
	}
}

func valid(int) (float64, float64, bool, bool) { return 0.5, 0.5, true, true }

// near compares with an absolute tolerance; NaN is near only NaN.
func near(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol
}
