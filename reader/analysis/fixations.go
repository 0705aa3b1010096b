package analysis

import (
	"io"

	"sightline/reader/egd"
)

// Fixation is the part of a fixations.csv row the analysis uses.
type Fixation struct {
	Line                int // line of fixations.csv
	SessionID, DicomID  string
	MediaID             int     // MEDIA_ID: the screen's index in its session
	Time                float64 // "Time (in secs)": per-image seconds, the fixation's end
	FPOGX, FPOGY, FPOGD float64
	X, Y                int // X_ORIGINAL, Y_ORIGINAL (−1 off the image)
}

// Screen is one screen as fixations.csv records it: a maximal run of consecutive rows with the
// same SESSION_ID and DICOM_ID (rows are contiguous per image within a session, docs/FORMATS.md §1).
type Screen struct {
	SessionID, DicomID string
	Fixations          []Fixation // in file order
}

// Line is the line of the screen's first row.
func (s Screen) Line() int { return s.Fixations[0].Line }

// ReadFixations reads a fixations.csv stream (egd.ReadGaze: the 37-column header exactly) and
// splits it into screens. Errors name the file, line and column.
func ReadFixations(r io.Reader, name string) ([]Screen, error) {
	var out []Screen
	err := egd.ReadGaze(r, name, func(line int, g egd.GazeRecord) error {
		f := Fixation{
			Line: line, SessionID: g.SessionID, DicomID: g.DicomID, MediaID: g.MediaID, Time: g.Time,
			FPOGX: g.Sample.FPOGX, FPOGY: g.Sample.FPOGY, FPOGD: g.Sample.FPOGD,
			X: g.XOriginal, Y: g.YOriginal,
		}
		if n := len(out); n > 0 && out[n-1].SessionID == f.SessionID && out[n-1].DicomID == f.DicomID {
			out[n-1].Fixations = append(out[n-1].Fixations, f)
			return nil
		}
		out = append(out, Screen{SessionID: f.SessionID, DicomID: f.DicomID, Fixations: []Fixation{f}})
		return nil
	})
	return out, err
}
