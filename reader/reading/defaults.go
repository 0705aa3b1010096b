package reading

import (
	"strings"
	"time"

	"sightline/tracker"
	"sightline/tracker/quality"
)

// The station's settings of a run, from the reader's viewing geometry and the tracker.

// StationCheck is the calibration and validation step for a gaze source: a device that
// calibrates (cal not nil: a Gazepoint, the simulator) is calibrated and validated before the
// first case; any source can be validated again from the pause overlay, and a recalibration
// is suggested every `every` cases. v and rate judge the validation.
func StationCheck(cal Calibrator, every int, v tracker.Viewing, rate float64) *Check {
	var targets []Point
	for _, p := range quality.DefaultValidationTargets() {
		targets = append(targets, Point{X: p.X, Y: p.Y})
	}
	return &Check{
		Calibrator: cal,
		AtStart:    cal != nil,
		Every:      every,
		Targets:    targets,
		Settle:     500 * time.Millisecond,
		Dwell:      time.Second,
		Viewing:    v,
		Rate:       rate,
		Assess: func(per [][]tracker.Sample, pts []Point) Validation {
			return Assess(per, pts, rate, v)
		},
	}
}

// StationFilters are our own fixation filters, run on every case's raw samples beside the
// device's fixations: I-DT (1°, 100 ms) and I-VT (30°/s), both in the reader's viewing geometry.
func StationFilters(v tracker.Viewing) []Filter {
	idt := tracker.DefaultIDT()
	idt.Viewing = v
	ivt := tracker.DefaultIVT()
	ivt.Viewing = v
	return []Filter{
		{Name: "idt", Params: idt.String(), Detect: func(s []tracker.Sample) []tracker.Fixation { return tracker.DetectIDT(s, idt) }},
		{Name: "ivt", Params: ivt.String(), Detect: func(s []tracker.Sample) []tracker.Fixation { return tracker.DetectIVT(s, ivt) }},
	}
}

// FilterNames describes a session's fixation outputs for session.json: the device's own and
// the filters', with their parameters.
func FilterNames(filters []Filter) string {
	parts := []string{"device (fixations.csv)"}
	for _, f := range filters {
		parts = append(parts, f.Name+": "+f.Params)
	}
	return strings.Join(parts, "; ")
}

// StationGate is the per-case quality gate of docs/FORMATS.md §5 (REFLACX's thresholds): data
// loss ≥ 10% warns and ≥ 15% fails; a blink or track loss ≥ 1.5 s warns and ≥ 3 s fails. The
// samples expected are the case's reading time (its paused stretches not judged) at the
// tracker's rate (rate; fallback when it reports none): a silent tracker fails the case.
func StationGate(rate func() float64, fallback float64) func([][]tracker.Sample, time.Duration) Quality {
	th := quality.DefaultThresholds()
	return func(segs [][]tracker.Sample, readTime time.Duration) Quality {
		r := rate()
		if r <= 0 {
			r = fallback
		}
		q := quality.CaseGateSegments(segs, r, readTime, th)
		return Quality{Verdict: q.Verdict, Reasons: q.Reasons, DataLoss: q.DataLoss,
			LongestLossMS: q.LongestLoss.Milliseconds(), Samples: q.Valid, Expected: q.Expected}
	}
}
