package app

import (
	"strings"
	"time"

	"sightline/reader/reading"
	"sightline/tracker"
	"sightline/tracker/quality"
)

// check configures the calibration and validation step for a gaze source: a device that
// calibrates (a Gazepoint, the simulator) is calibrated and validated before the first case;
// any source can be validated again from the pause overlay, and a recalibration is suggested
// every o.RecalEvery cases.
func check(o *Options, g *gazeSource) *reading.Check {
	v := o.viewing()
	var targets []reading.Point
	for _, p := range quality.DefaultValidationTargets() {
		targets = append(targets, reading.Point{X: p.X, Y: p.Y})
	}
	rate := o.Rate
	return &reading.Check{
		Calibrator: g.calibrator,
		AtStart:    g.calibrator != nil,
		Every:      o.RecalEvery,
		Targets:    targets,
		Settle:     500 * time.Millisecond,
		Dwell:      time.Second,
		Viewing:    v,
		Rate:       rate,
		Assess: func(per [][]tracker.Sample, pts []reading.Point) reading.Validation {
			return reading.Assess(per, pts, rate, v)
		},
	}
}

// filters are our own fixation filters, run on every case's raw samples beside the device's
// fixations: I-DT (1°, 100 ms) and I-VT (30°/s), both in the reader's viewing geometry.
func filters(o *Options) []reading.Filter {
	idt := tracker.DefaultIDT()
	idt.Viewing = o.viewing()
	ivt := tracker.DefaultIVT()
	ivt.Viewing = o.viewing()
	return []reading.Filter{
		{Name: "idt", Params: idt.String(), Detect: func(s []tracker.Sample) []tracker.Fixation { return tracker.DetectIDT(s, idt) }},
		{Name: "ivt", Params: ivt.String(), Detect: func(s []tracker.Sample) []tracker.Fixation { return tracker.DetectIVT(s, ivt) }},
	}
}

// gate is the per-case quality gate of docs/FORMATS.md §5 (REFLACX's thresholds): data loss ≥ 10%
// warns and ≥ 15% fails; a blink or track loss ≥ 1.5 s warns and ≥ 3 s fails. The samples
// expected are the case's time on screen at the tracker's rate: a silent tracker fails the case.
func gate(o *Options, g *gazeSource) func([][]tracker.Sample, time.Duration) reading.Quality {
	th := quality.DefaultThresholds()
	return func(segs [][]tracker.Sample, readTime time.Duration) reading.Quality {
		rate := g.Rate()
		if rate <= 0 {
			rate = o.Rate
		}
		// Reading time only: the paused stretches of a case are not judged.
		q := quality.CaseGateSegments(segs, rate, readTime, th)
		return reading.Quality{Verdict: q.Verdict, Reasons: q.Reasons, DataLoss: q.DataLoss,
			LongestLossMS: q.LongestLoss.Milliseconds(), Samples: q.Valid, Expected: q.Expected}
	}
}

// filterNames describes the session's fixation outputs for session.json: the device's own and
// ours, with their parameters.
func filterNames(o *Options) string {
	parts := []string{"device (fixations.csv)"}
	for _, f := range filters(o) {
		parts = append(parts, f.Name+": "+f.Params)
	}
	return strings.Join(parts, "; ")
}
