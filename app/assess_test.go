package app

import (
	"errors"
	"testing"

	"sightline/reader/reading"
	"sightline/tracker"
	"sightline/tracker/quality"
)

// TestAssessWithoutSamplesFails: a validation with no samples (the tracker is not there) is a
// failure the reader cannot accept, not an accuracy of −1°.
func TestAssessWithoutSamplesFails(t *testing.T) {
	var pts []reading.Point
	for _, p := range quality.DefaultValidationTargets() {
		pts = append(pts, reading.Point{X: p.X, Y: p.Y})
	}
	v := assess(make([][]tracker.Sample, len(pts)), pts, 60, tracker.PaperViewing())
	if v.Verdict != reading.VerdictFailed || v.Acceptable() || len(v.Reasons) == 0 {
		t.Fatalf("validation without samples: verdict %q, reasons %q", v.Verdict, v.Reasons)
	}
}

// TestNoTrackerError: the calibration's give-up reads as one sentence and is the run's
// ErrNoTracker.
func TestNoTrackerError(t *testing.T) {
	err := error(noTracker{connectWait})
	if !errors.Is(err, reading.ErrNoTracker) || err.Error() != "the eye tracker did not connect within 15s" {
		t.Fatalf("%v (is ErrNoTracker: %v)", err, errors.Is(err, reading.ErrNoTracker))
	}
}
