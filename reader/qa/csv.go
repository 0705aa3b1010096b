package qa

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"sightline/reader/review"
)

// CSVHeader is qa.csv's header: one row per case folder of a session (docs/FORMATS.md), as
// the QA report and the dataset export write it.
var CSVHeader = []string{
	"session", "case", "kind", "dicom_id", "copy", "reread",
	"duration_s", "ended", "gate", "data_loss", "longest_loss_ms",
	"audio_present", "audio_seconds", "audio_peak_dbfs", "audio_drift_ms",
	"check_round", "check_verdict", "check_accuracy_deg",
	"files_whole", "audio_ok", "no_abrupt_stop", "gaze_valid", "calibration_good",
	"problems", "decision", "reviewer", "at", "note",
	"draft_low_confidence", "draft_no_negation",
}

// Row is one line of qa.csv: a case's measurements and its latest verdict (nil: undecided).
type Row struct {
	Session string
	Measures
	Verdict *review.Verdict
}

// Rows pairs a session's measurements with the latest verdicts (review.LatestVerdicts).
func Rows(sessionID string, ms []Measures, latest map[review.CaseKey]review.Verdict) []Row {
	out := make([]Row, len(ms))
	for i, m := range ms {
		out[i] = Row{Session: sessionID, Measures: m}
		if v, ok := latest[review.CaseKey{Session: sessionID, Case: m.Case}]; ok {
			out[i].Verdict = &v
		}
	}
	return out
}

// Checklist is the row's checklist: the reviewer's when decided, else the one pre-filled from
// the measurements.
func (r Row) Checklist() review.Checklist {
	if r.Verdict != nil {
		return r.Verdict.Checklist
	}
	return r.Measures.Checklist()
}

// WriteCSV writes rows as qa.csv. An unknown figure is an empty field, never a 0 that could
// pass for a measurement; the checklist is 1/0; problems are joined with " | ".
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r.fields()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (r Row) fields() []string {
	m := r.Measures
	a := m.Audio
	f := []string{
		r.Session, m.Case, string(m.Kind), m.DicomID, strconv.Itoa(m.Copy), bit(m.Reread),
		num(m.Duration.Seconds(), 3), bit(m.Ended), string(m.Gate), num(m.DataLoss, 4), "",
		bit(a.Present), "", "", "",
		"", "", "",
	}
	if m.LongestLoss >= 0 {
		f[10] = strconv.FormatInt(m.LongestLoss.Milliseconds(), 10)
	}
	if a.Present {
		f[12] = num(a.Seconds, 3)
	}
	if a.HasPeak {
		f[13] = num(a.PeakDB, 1)
	}
	if a.HasDrift {
		f[14] = num(a.DriftMS, 2)
	}
	if c := m.Check; c != nil {
		f[15] = strconv.Itoa(c.Report.Round)
		f[16] = string(c.Report.Validation.Verdict)
		if acc := c.Report.Validation.AccuracyDeg; acc >= 0 {
			f[17] = num(acc, 2)
		}
	}
	cl := r.Checklist()
	f = append(f, bit(cl.FilesWhole), bit(cl.AudioOK), bit(cl.NoAbruptStop), bit(cl.GazeValid), bit(cl.CalibrationGood))
	probs := make([]string, len(m.Problems))
	for i, p := range m.Problems {
		probs[i] = p.String()
	}
	f = append(f, strings.Join(probs, " | "))
	if v := r.Verdict; v != nil {
		f = append(f, string(v.Decision), v.Reviewer, v.At.UTC().Format(time.RFC3339), v.Note)
	} else {
		f = append(f, "", "", "", "")
	}
	f = append(f, "", "")
	if d := m.Draft; d != nil {
		if !math.IsNaN(d.LowConfidence) {
			f[len(f)-2] = num(d.LowConfidence, 3)
		}
		f[len(f)-1] = bit(d.NoNegation)
	}
	return f
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// num formats v with prec decimals; NaN and ±Inf (unknown) are empty.
func num(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}
