package app

import (
	"math"
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
			return assess(per, pts, rate, v)
		},
	}
}

// assess turns validation samples into the run's report, with the mean gaze per target for the
// offset lines drawn on the stage.
func assess(per [][]tracker.Sample, pts []reading.Point, rate float64, v tracker.Viewing) reading.Validation {
	qp := make([]quality.Point, len(pts))
	for i, p := range pts {
		qp[i] = quality.Point{X: p.X, Y: p.Y}
	}
	// The run keeps only the samples inside each target's analysed window: analyse all of them.
	res := quality.Validate(per, qp, rate, 0, v)
	out := reading.Validation{
		AccuracyDeg:  res.MeanAccuracyDeg,
		PrecisionDeg: res.MeanPrecisionDeg,
		DataLoss:     res.DataLoss,
		Verdict:      res.Verdict,
		Reasons:      res.Reasons,
	}
	for i, pr := range res.Points {
		q := reading.PointQuality{X: pts[i].X, Y: pts[i].Y, AccuracyDeg: pr.AccuracyDeg,
			PrecisionDeg: pr.PrecisionDeg, DataLoss: pr.DataLoss, N: pr.N}
		var sx, sy float64
		var n int
		if i < len(per) {
			for _, s := range per[i] {
				if s.BPOGV {
					sx, sy, n = sx+s.BPOGX, sy+s.BPOGY, n+1
				}
			}
		}
		if n > 0 {
			q.GazeX, q.GazeY = sx/float64(n), sy/float64(n)
		}
		out.Points = append(out.Points, q)
	}
	// NaN (no valid sample at all) does not survive JSON: -1 in the file, where readers of
	// calibrations.jsonl expect a number; the verdict is then "failed" and no one is shown -1.
	if math.IsNaN(out.AccuracyDeg) {
		out.AccuracyDeg = -1
	}
	if math.IsNaN(out.PrecisionDeg) {
		out.PrecisionDeg = -1
	}
	for i := range out.Points {
		if math.IsNaN(out.Points[i].AccuracyDeg) {
			out.Points[i].AccuracyDeg = -1
		}
		if math.IsNaN(out.Points[i].PrecisionDeg) {
			out.Points[i].PrecisionDeg = -1
		}
	}
	return out
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
