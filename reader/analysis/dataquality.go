package analysis

import (
	"io"
	"math"
	"time"

	"sightline/reader/egd"
	"sightline/tracker"
	"sightline/tracker/quality"
)

// ScreenQuality is the data quality of one screen of eye_gaze.csv (docs/FORMATS.md §5).
type ScreenQuality struct {
	SessionID, DicomID string
	Calibration        bool // the DicomID is not a case
	Line               int  // line of the screen's first sample
	Samples            int  // rows held
	// Valid samples (BPOGV, finite point), Expected at the nominal rate over the time covered,
	// and DataLoss = (Expected − Valid) ÷ Expected (quality.CaseGate).
	Valid, Expected int
	DataLoss        float64
	LongestLoss     time.Duration // longest blink or track loss
	// PrecisionDeg is the RMS of sample-to-sample angles, never across a gap (a dropped record or
	// an invalid sample), over PrecisionPairs pairs (quality.PrecisionRMS).
	PrecisionDeg   float64
	PrecisionPairs int
	// Duration is TIMETICK from the first sample to the last, seconds; EffectiveRate is
	// (Samples − 1) ÷ Duration, Hz (NaN when it cannot be told).
	Duration, EffectiveRate float64
	Verdict                 quality.GateVerdict // quality.Pass, Warn or Fail (REFLACX's per-case gate)
	Reasons                 []string            // why, when not Pass
}

// QualityConfig are the parameters of the data-quality measures.
type QualityConfig struct {
	Rate       float64 // nominal sampling rate of the tracker, Hz
	Viewing    tracker.Viewing
	Thresholds quality.Thresholds
}

// ReadQuality reads an eye_gaze.csv stream (egd.ReadGaze) screen by screen (a run of rows with
// the same SESSION_ID and DICOM_ID) without holding more than one screen, and measures each.
// isCase tells cases from calibration screens. Errors name the file, line and column.
func ReadQuality(r io.Reader, name string, isCase func(string) bool, cfg QualityConfig) ([]ScreenQuality, error) {
	var (
		out     []ScreenQuality
		samples []tracker.Sample
		cur     ScreenQuality
	)
	flush := func() {
		if len(samples) > 0 {
			out = append(out, measure(cur, samples, cfg))
		}
		samples = samples[:0]
	}
	err := egd.ReadGaze(r, name, func(line int, g egd.GazeRecord) error {
		if len(samples) == 0 || g.SessionID != cur.SessionID || g.DicomID != cur.DicomID {
			flush()
			cur = ScreenQuality{SessionID: g.SessionID, DicomID: g.DicomID, Line: line, Calibration: !isCase(g.DicomID)}
		}
		samples = append(samples, g.Sample)
		return nil
	})
	if err != nil {
		return nil, err
	}
	flush()
	return out, nil
}

func measure(q ScreenQuality, samples []tracker.Sample, cfg QualityConfig) ScreenQuality {
	g := quality.CaseGate(samples, cfg.Rate, cfg.Thresholds)
	q.Samples = len(samples)
	q.Valid, q.Expected, q.DataLoss, q.LongestLoss = g.Valid, g.Expected, g.DataLoss, g.LongestLoss
	q.Verdict, q.Reasons = g.Verdict, g.Reasons
	q.PrecisionDeg, q.PrecisionPairs = quality.PrecisionRMS(samples, cfg.Viewing)
	first, last := samples[0], samples[len(samples)-1]
	q.Duration = float64(last.TimeTick-first.TimeTick) / egd.TickHz
	q.EffectiveRate = math.NaN()
	if q.Duration > 0 {
		q.EffectiveRate = float64(len(samples)-1) / q.Duration
	}
	return q
}
