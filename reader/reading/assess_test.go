package reading

import (
	"testing"

	"sightline/tracker"
	"sightline/tracker/quality"
)

// TestAssessWithoutSamplesFails: a validation with no samples (the tracker is not there) is a
// failure the reader cannot accept, not an accuracy of −1°.
func TestAssessWithoutSamplesFails(t *testing.T) {
	var pts []Point
	for _, p := range quality.DefaultValidationTargets() {
		pts = append(pts, Point{X: p.X, Y: p.Y})
	}
	v := Assess(make([][]tracker.Sample, len(pts)), pts, 60, tracker.PaperViewing())
	if v.Verdict != VerdictFailed || v.Acceptable() || len(v.Reasons) == 0 {
		t.Fatalf("validation without samples: verdict %q, reasons %q", v.Verdict, v.Reasons)
	}
}
