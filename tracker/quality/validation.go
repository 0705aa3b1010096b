package quality

import (
	"fmt"
	"math"
	"time"

	"sightline/tracker"
)

// Point is a position on the stage, in fractions of its width and height.
type Point struct{ X, Y float64 }

// DefaultValidationTargets are the five targets of a validation after the standard 9-point
// calibration (targets at 0.1, 0.5 and 0.9 on each axis). None is a calibration point, so the
// validation measures the mapping where it was not fitted: four sit at the centres of the four
// calibration cells, (0.3, 0.3), (0.7, 0.3), (0.3, 0.7), (0.7, 0.7), as far from every
// calibration point as the grid allows; the fifth, (0.5, 0.6), sits just below the centre,
// where a chest film's heart and mediastinum are read, 0.1 (about 2.7° at 71 cm) off the centre
// point. Both x columns fall inside a portrait chest film's on-screen rectangle (about 0.27 to
// 0.73 of the width), the region the station's accuracy matters for. The order is the
// presentation order, a short zig-zag.
func DefaultValidationTargets() []Point {
	return []Point{{0.3, 0.3}, {0.7, 0.3}, {0.5, 0.6}, {0.3, 0.7}, {0.7, 0.7}}
}

// PointResult is the measurement at one validation target, over the analysed window.
type PointResult struct {
	Target       Point
	AccuracyDeg  float64 // mean offset of the valid samples; NaN without any
	PrecisionDeg float64 // RMS sample-to-sample; NaN without a consecutive pair
	DataLoss     float64 // lost fraction of the samples the window should hold
	N            int     // valid samples in the window
	Expected     int     // samples the window should hold
}

// ValidationResult is a validation's outcome.
type ValidationResult struct {
	Points []PointResult
	// MeanAccuracyDeg and MeanPrecisionDeg average the points that have a value (NaN if none);
	// DataLoss pools every point's window.
	MeanAccuracyDeg, MeanPrecisionDeg, DataLoss float64
	Verdict                                     ValidationVerdict // Good, Acceptable or Redo
	Reasons                                     []string          // why it is not Good, worst first
}

// Validate is ValidateWith at DefaultThresholds.
func Validate(perTarget [][]tracker.Sample, targets []Point, rate float64, window time.Duration, v tracker.Viewing) ValidationResult {
	return ValidateWith(perTarget, targets, rate, window, v, DefaultThresholds())
}

// ValidateWith does a validation's arithmetic. perTarget[i] holds the samples recorded while
// targets[i] was shown (a missing or empty recording counts as all lost); rate is the tracker's
// rate in Hz; window is the analysed end of each recording (e.g. the last 800 ms of a 1.5 s
// presentation), so that the settling saccade and its correction are left out; a window that is
// not positive analyses the whole recording. The window ends at each recording's last sample.
//
// The verdict: a mean accuracy within GoodAccuracyDeg is Good, within AcceptableAccuracyDeg
// Acceptable, else Redo; a single point beyond AcceptableAccuracyDeg makes Good Acceptable (the
// mapping is off in one region); pooled data loss at or above WarnDataLoss makes Good Acceptable
// and at or above FailDataLoss is Redo; a target without any valid sample is Redo. Without a
// valid sample on any target nothing was measured: the verdict is Failed, never to be accepted.
func ValidateWith(perTarget [][]tracker.Sample, targets []Point, rate float64, window time.Duration, v tracker.Viewing, th Thresholds) ValidationResult {
	res := ValidationResult{Points: make([]PointResult, len(targets))}
	var sumAcc, sumPrec float64
	var nAcc, nPrec, lost, expected int
	var redo, warn []string
	for i, t := range targets {
		var rec []tracker.Sample
		if i < len(perTarget) {
			rec = perTarget[i]
		}
		w, exp := analysed(rec, rate, window)
		p := PointResult{Target: t, Expected: exp}
		p.AccuracyDeg, p.N = Accuracy(w, t.X, t.Y, v)
		p.PrecisionDeg, _ = PrecisionRMS(w, v)
		p.DataLoss = DataLoss(w, exp)
		res.Points[i] = p

		expected += exp
		lost += max(0, exp-p.N)
		if p.N == 0 {
			redo = append(redo, fmt.Sprintf("target %d (%.2f, %.2f): no valid samples", i+1, t.X, t.Y))
			continue
		}
		sumAcc += p.AccuracyDeg
		nAcc++
		if !math.IsNaN(p.PrecisionDeg) {
			sumPrec += p.PrecisionDeg
			nPrec++
		}
		if p.AccuracyDeg > th.AcceptableAccuracyDeg {
			warn = append(warn, fmt.Sprintf("target %d (%.2f, %.2f): accuracy %s > %s", i+1, t.X, t.Y, degs(p.AccuracyDeg), degs(th.AcceptableAccuracyDeg)))
		}
	}
	res.MeanAccuracyDeg, res.MeanPrecisionDeg = math.NaN(), math.NaN()
	if nAcc > 0 {
		res.MeanAccuracyDeg = sumAcc / float64(nAcc)
	}
	if nPrec > 0 {
		res.MeanPrecisionDeg = sumPrec / float64(nPrec)
	}
	if expected > 0 {
		res.DataLoss = math.Min(1, float64(lost)/float64(expected))
	} else if len(targets) > 0 {
		res.DataLoss = 1
	}

	switch acc := res.MeanAccuracyDeg; {
	case len(targets) == 0:
		redo = append(redo, "no targets")
	case math.IsNaN(acc):
		// Already explained per target.
	case acc > th.AcceptableAccuracyDeg:
		redo = append(redo, fmt.Sprintf("mean accuracy %s > %s", degs(acc), degs(th.AcceptableAccuracyDeg)))
	case acc > th.GoodAccuracyDeg:
		warn = append(warn, fmt.Sprintf("mean accuracy %s > %s", degs(acc), degs(th.GoodAccuracyDeg)))
	}
	switch {
	case res.DataLoss >= th.FailDataLoss:
		redo = append(redo, fmt.Sprintf("data loss %s ≥ %s", pct(res.DataLoss), pct(th.FailDataLoss)))
	case res.DataLoss >= th.WarnDataLoss:
		warn = append(warn, fmt.Sprintf("data loss %s ≥ %s", pct(res.DataLoss), pct(th.WarnDataLoss)))
	}
	switch {
	case len(targets) > 0 && nAcc == 0:
		res.Verdict = Failed
		received := 0
		for _, rec := range perTarget {
			received += len(rec)
		}
		why := "no valid gaze sample on any target"
		if received == 0 {
			why = "no gaze samples: the tracker sent none"
		}
		res.Reasons = []string{why}
		return res
	case len(redo) > 0:
		res.Verdict = Redo
	case len(warn) > 0:
		res.Verdict = Acceptable
	default:
		res.Verdict = Good
	}
	res.Reasons = append(redo, warn...)
	return res
}

// analysed is the end of rec that the window covers, and the samples it should hold. A sample
// is in the window when it is less than window − half a period before the last sample, which
// keeps exactly window × rate sample slots despite clock jitter.
func analysed(rec []tracker.Sample, rate float64, window time.Duration) ([]tracker.Sample, int) {
	if window <= 0 {
		return rec, max(len(rec), Expected(span(rec, rate), rate))
	}
	exp := Expected(window, rate)
	if len(rec) == 0 || !(rate > 0) || math.IsInf(rate, 0) {
		return nil, exp
	}
	end := seconds(&rec[len(rec)-1])
	from := end - window.Seconds() + 0.5/rate
	i := len(rec)
	for i > 0 && seconds(&rec[i-1]) > from {
		i--
	}
	return rec[i:], exp
}
