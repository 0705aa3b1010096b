package analysis

import (
	"math"

	"sightline/tracker"
	"sightline/tracker/quality"
)

// Stage size the paper converts fractions with (docs/FORMATS.md §2).
const (
	screenW = 1920
	screenH = 1080
)

// CalibrationPoint is one calibration screen's last fixation and its error: the target is the
// screen centre, so the error is |0.5 − FPOG| per axis (docs/FORMATS.md §2).
type CalibrationPoint struct {
	SessionID, DicomID string
	Line               int // line of the last fixation in fixations.csv
	FPOGX, FPOGY       float64
	ErrX, ErrY         float64 // fractions of the screen
	// DegX and DegY are the visual angles of ErrX and ErrY alone; Deg that of the whole offset,
	// between the lines of sight to the fixation and to the centre (quality.AngleDeg).
	DegX, DegY, Deg float64
}

// CalibrationStats are the means and population standard deviations of the errors.
type CalibrationStats struct {
	N                        int
	MeanX, MeanY, StdX, StdY float64 // fractions; ×1920 and ×1080 give pixels
	MeanDegX, MeanDegY       float64
	StdDegX, StdDegY         float64
	MeanDeg, StdDeg          float64
}

// MeanPx and StdPx are the errors in screen pixels: fraction × 1920, × 1080.
func (s CalibrationStats) MeanPx() (x, y float64) { return s.MeanX * screenW, s.MeanY * screenH }

// StdPx is the population standard deviation in screen pixels.
func (s CalibrationStats) StdPx() (x, y float64) { return s.StdX * screenW, s.StdY * screenH }

// CalibrationPoints takes, for each screen whose DicomID is not a case (isCase false: a
// calibration screen), its last fixation, as the reference validation does. Points whose FPOG
// is not a finite number are left out and counted in bad.
func CalibrationPoints(screens []Screen, isCase func(dicomID string) bool, v tracker.Viewing) (pts []CalibrationPoint, bad int) {
	for _, s := range screens {
		if isCase(s.DicomID) {
			continue
		}
		f := s.Fixations[len(s.Fixations)-1]
		if !finite(f.FPOGX) || !finite(f.FPOGY) {
			bad++
			continue
		}
		pts = append(pts, CalibrationPoint{
			SessionID: s.SessionID, DicomID: s.DicomID, Line: f.Line,
			FPOGX: f.FPOGX, FPOGY: f.FPOGY,
			ErrX: math.Abs(0.5 - f.FPOGX), ErrY: math.Abs(0.5 - f.FPOGY),
			DegX: quality.AngleDeg(v, 0.5, 0.5, f.FPOGX, 0.5),
			DegY: quality.AngleDeg(v, 0.5, 0.5, 0.5, f.FPOGY),
			Deg:  quality.AngleDeg(v, 0.5, 0.5, f.FPOGX, f.FPOGY),
		})
	}
	return pts, bad
}

// Calibration summarises the points: means and population standard deviations (numpy's
// np.mean and np.std, ddof 0). With no points every figure is NaN.
func Calibration(pts []CalibrationPoint) CalibrationStats {
	col := func(get func(CalibrationPoint) float64) (mean, std float64) {
		xs := make([]float64, len(pts))
		for i, p := range pts {
			xs[i] = get(p)
		}
		return meanStd(xs)
	}
	s := CalibrationStats{N: len(pts)}
	s.MeanX, s.StdX = col(func(p CalibrationPoint) float64 { return p.ErrX })
	s.MeanY, s.StdY = col(func(p CalibrationPoint) float64 { return p.ErrY })
	s.MeanDegX, s.StdDegX = col(func(p CalibrationPoint) float64 { return p.DegX })
	s.MeanDegY, s.StdDegY = col(func(p CalibrationPoint) float64 { return p.DegY })
	s.MeanDeg, s.StdDeg = col(func(p CalibrationPoint) float64 { return p.Deg })
	return s
}

// meanStd is the mean and the population standard deviation (two passes); NaN for no values.
func meanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)))
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
