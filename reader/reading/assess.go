package reading

import (
	"math"

	"sightline/tracker"
	"sightline/tracker/quality"
)

// Assess turns validation samples into the run's report, with the mean gaze per target for the
// offset lines drawn on the stage.
func Assess(per [][]tracker.Sample, pts []Point, rate float64, v tracker.Viewing) Validation {
	qp := make([]quality.Point, len(pts))
	for i, p := range pts {
		qp[i] = quality.Point{X: p.X, Y: p.Y}
	}
	// The run keeps only the samples inside each target's analysed window: analyse all of them.
	res := quality.Validate(per, qp, rate, 0, v)
	out := Validation{
		AccuracyDeg:  res.MeanAccuracyDeg,
		PrecisionDeg: res.MeanPrecisionDeg,
		DataLoss:     res.DataLoss,
		Verdict:      res.Verdict,
		Reasons:      res.Reasons,
	}
	for i, pr := range res.Points {
		q := PointQuality{X: pts[i].X, Y: pts[i].Y, AccuracyDeg: pr.AccuracyDeg,
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
