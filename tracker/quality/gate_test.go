package quality

import (
	"math"
	"strings"
	"testing"
	"time"

	"sightline/tracker"
)

func TestCaseGate(t *testing.T) {
	const rate = 60
	const n = 3600 // a 60 s case
	// build makes the case; lost(i) says whether record i is invalid ('x') or dropped ('-').
	build := func(lost func(i int) byte) []tracker.Sample {
		return rec(rate, n, func(i int) (float64, float64, bool, bool) {
			c := lost(i)
			return 0.5, 0.5, c != 'x', c != '-'
		})
	}
	every := func(period, count int) func(int) byte { // count invalid records every period
		return func(i int) byte {
			if i%period < count {
				return 'x'
			}
			return 0
		}
	}
	run := func(from, length int, c byte) func(int) byte {
		return func(i int) byte {
			if i >= from && i < from+length {
				return c
			}
			return 0
		}
	}
	tests := []struct {
		name     string
		samples  []tracker.Sample
		verdict  GateVerdict
		reasons  []string // substrings, one per reason, in order
		loss     float64
		longest  time.Duration
		expected int
	}{
		{"clean", build(func(int) byte { return 0 }), Pass, nil, 0, 0, n},
		{"9% loss in blinks", build(every(100, 9)), Pass, nil, 0.09, 150 * time.Millisecond, n},
		{"10% loss warns", build(every(10, 1)), Warn, []string{"data loss 10.0% ≥ 10.0%"}, 0.10, time.Second / 60, n},
		{"15% loss fails", build(every(20, 3)), Fail, []string{"data loss 15.0% ≥ 15.0%"}, 0.15, 50 * time.Millisecond, n},
		{"loss of 1.48 s passes", build(run(1000, 89, 'x')), Pass, nil, 89.0 / n, 89 * time.Second / 60, n},
		{"loss of 1.5 s warns", build(run(1000, 90, 'x')), Warn, []string{"track loss of 1.50 s ≥ 1.50 s"}, 90.0 / n, 1500 * time.Millisecond, n},
		{"loss of 3 s fails", build(run(1000, 180, 'x')), Fail, []string{"track loss of 3.00 s ≥ 3.00 s"}, 180.0 / n, 3 * time.Second, n},
		{"dropped records count as lost", build(run(1000, 400, '-')), Fail,
			[]string{"track loss of 6.67 s ≥ 3.00 s", "data loss 11.1% ≥ 10.0%"}, 400.0 / n, 400 * time.Second / 60, n},
		{"both fail", build(func(i int) byte {
			if i >= 2000 && i < 2600 {
				return 'x'
			}
			return 0
		}), Fail, []string{"data loss 16.7% ≥ 15.0%", "track loss of 10.00 s ≥ 3.00 s"}, 600.0 / n, 10 * time.Second, n},
		{"no samples", nil, Fail, []string{"no samples"}, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := CaseGate(tc.samples, rate, DefaultThresholds())
			if g.Verdict != tc.verdict || len(g.Reasons) != len(tc.reasons) {
				t.Fatalf("verdict %q %q, want %q with %d reasons", g.Verdict, g.Reasons, tc.verdict, len(tc.reasons))
			}
			for i, r := range tc.reasons {
				if !strings.Contains(g.Reasons[i], r) {
					t.Errorf("reason %d = %q, want %q", i, g.Reasons[i], r)
				}
			}
			if math.Abs(g.DataLoss-tc.loss) > 1e-12 || g.Expected != tc.expected {
				t.Errorf("data loss %v of %d expected, want %v of %d", g.DataLoss, g.Expected, tc.loss, tc.expected)
			}
			if d := g.LongestLoss - tc.longest; d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("longest loss %v, want %v", g.LongestLoss, tc.longest)
			}
		})
	}
}

func TestCaseGateUsesTheTickClock(t *testing.T) {
	// Time is what a Gazepoint restarts; the tick is what it does not. With a tick frequency
	// the span comes from the tick even when Time is garbage.
	s := rec(60, 600, valid)
	for i := range s {
		s[i].Time = 0
	}
	if g := CaseGate(s, 60, DefaultThresholds()); g.Expected != 600 || g.Verdict != Pass {
		t.Errorf("tick clock: expected %d, verdict %s", g.Expected, g.Verdict)
	}
	// Without one, Time is used.
	s = rec(60, 600, valid)
	for i := range s {
		s[i].TickFreq, s[i].TimeTick = 0, 0
	}
	s = append(s[:100], s[160:]...) // a second dropped
	if g := CaseGate(s, 60, DefaultThresholds()); g.Expected != 600 || !near(g.DataLoss, 0.1, 1e-12) || g.Verdict != Warn {
		t.Errorf("Time clock: expected %d, loss %v, verdict %s", g.Expected, g.DataLoss, g.Verdict)
	}
}

// TestCaseGateOnScreen: the samples that never came count as lost. A case with no samples, or
// whose tracker stopped halfway, fails; a whole recording passes as CaseGate passes it.
func TestCaseGateOnScreen(t *testing.T) {
	th := DefaultThresholds()
	none := CaseGateOnScreen(nil, 60, 10*time.Second, th)
	if none.Verdict != Fail || none.DataLoss != 1 || none.Expected != 600 || none.LongestLoss != 10*time.Second {
		t.Errorf("no samples: %s, loss %v of %d, longest %v, %q", none.Verdict, none.DataLoss, none.Expected, none.LongestLoss, none.Reasons)
	}
	whole := rec(60, 600, valid)
	if g := CaseGateOnScreen(whole, 60, 10*time.Second, th); g.Verdict != Pass || g.Expected != 600 || g.DataLoss != 0 {
		t.Errorf("whole recording: %s, loss %v of %d", g.Verdict, g.DataLoss, g.Expected)
	}
	half := whole[:300] // the tracker stopped 5 s into a 10 s case
	if g := CaseGate(half, 60, th); g.Verdict != Pass {
		t.Fatalf("CaseGate on the samples alone: %s (the case this guards against passes there)", g.Verdict)
	}
	if g := CaseGateOnScreen(half, 60, 10*time.Second, th); g.Verdict != Fail || !near(g.DataLoss, 0.5, 1e-12) ||
		g.LongestLoss < 4900*time.Millisecond || len(g.Reasons) != 2 {
		t.Errorf("tracker stopped halfway: %s, loss %v, %q", g.Verdict, g.DataLoss, g.Reasons)
	}
}
