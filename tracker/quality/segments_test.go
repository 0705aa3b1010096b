package quality

import (
	"sightline/tracker"

	"testing"
	"time"
)

// TestCaseGateSegments: a case read for 19 s in two stretches around a 68 s pause passes on its
// reading time; judged as one stretch it fails on the pause (data loss, a 68 s "track loss").
func TestCaseGateSegments(t *testing.T) {
	th := DefaultThresholds()
	all := rec(60, 87*60, valid)              // 87 s of device time, every sample valid
	before, after := all[:10*60], all[78*60:] // 10 s read, 68 s paused, 9 s read
	joined := append(append(all[:0:0], before...), after...)
	if g := CaseGateOnScreen(joined, 60, 87*time.Second, th); g.Verdict != Fail {
		t.Fatalf("the pause counted as reading: %s (the case this guards against fails there)", g.Verdict)
	}
	g := CaseGateSegments([][]tracker.Sample{before, after}, 60, 19*time.Second, th)
	if g.Verdict != Pass || g.DataLoss > 0.01 || g.LongestLoss > 100*time.Millisecond || g.Expected != 19*60 || g.Valid != 19*60 {
		t.Errorf("two stretches of reading: %s, loss %v of %d, longest %v, %q", g.Verdict, g.DataLoss, g.Expected, g.LongestLoss, g.Reasons)
	}
	// A tracker that stopped in the second stretch still fails: reading time it does not cover
	// is lost.
	g = CaseGateSegments([][]tracker.Sample{before, after[:60]}, 60, 19*time.Second, th)
	if g.Verdict != Fail || g.LongestLoss < 7*time.Second {
		t.Errorf("tracker stopped after the pause: %s, longest %v", g.Verdict, g.LongestLoss)
	}
	if g := CaseGateSegments(nil, 60, 5*time.Second, th); g.Verdict != Fail || g.DataLoss != 1 {
		t.Errorf("no samples: %s, loss %v", g.Verdict, g.DataLoss)
	}
}

// TestClockStepBackIsNoTrackLoss: the device clock steps back mid-case (TIME and TIME_TICK
// both) while every record arrives valid: 786 rows, 5.2% data loss on 13.8 s on screen. The
// track loss is measured from the samples (their count), not from the first-to-last tick span,
// which the step shrinks to nothing ("track loss of 12.83 s" before).
func TestClockStepBackIsNoTrackLoss(t *testing.T) {
	th := DefaultThresholds()
	s := rec(60, 786, valid)
	for i := 400; i < len(s); i++ {
		s[i].Time -= 12
		s[i].TimeTick -= 12 * tickHz
	}
	onScreen := 829 * time.Second / 60
	for name, g := range map[string]Gate{
		"on screen": CaseGateOnScreen(s, 60, onScreen, th),
		"segments":  CaseGateSegments([][]tracker.Sample{s}, 60, onScreen, th),
	} {
		if g.Verdict != Pass || g.LongestLoss > time.Second || !near(g.DataLoss, 43.0/829, 0.002) {
			t.Errorf("%s: %s, loss %.3f, longest %v, %q", name, g.Verdict, g.DataLoss, g.LongestLoss, g.Reasons)
		}
	}
}
