package reading

import (
	"strings"
	"testing"
	"time"

	"sightline/tracker"
)

// assessFailed is a validation that got nothing: what app's assess says with no samples.
func assessFailed(per [][]tracker.Sample, targets []Point) Validation {
	return Validation{AccuracyDeg: -1, PrecisionDeg: -1, DataLoss: 1, Verdict: VerdictFailed,
		Reasons: []string{"no gaze samples: the tracker sent none"}}
}

// TestFailedValidationIsNeverAccepted: a validation without samples cannot be accepted (the
// reader would read on with no gaze); redo is the way on.
func TestFailedValidationIsNeverAccepted(t *testing.T) {
	tick := make(chan time.Time)
	c := &Check{AtStart: true, Targets: []Point{{0.5, 0.5}}, Dwell: time.Millisecond, Assess: assessFailed,
		After: func(time.Duration) <-chan time.Time { return tick }}
	r, _, rec, view := startChecked(t, c)
	waitFor(t, view, "target(0.5,0.5)")
	tick <- time.Time{}
	waitFor(t, view, "check1:failed")
	r.Accept()
	r.Next()
	r.Recalibrate() // the way on: a new round
	waitFor(t, view, "check1:failed,target(0.5,0.5)")
	r.End()
	<-r.Done()
	l := rec.lines()
	if !strings.Contains(l, "event accept_refused") || strings.Contains(l, "check_accepted") || strings.Contains(l, "begin") {
		t.Fatalf("a failed validation was accepted, or a case began:\n%s", l)
	}
}
