package boxedit

import (
	"errors"
	"fmt"
	"slices"

	"sightline/reader/egd"
	"sightline/reader/session"
	"sightline/reader/study"
)

// Readings are the reads of each image across a study's sessions: the final read of every
// case (not an interrupted copy, not a read superseded by a re-read), for the gaze aid.
type Readings struct {
	byImage map[string][]read
	// Problems are the session folders that could not be opened; the others are used.
	Problems []string
}

type read struct {
	reader, session string
	c               *session.Case
}

// OpenReadings indexes the sessions of the study in dir (STUDY/sessions/*). Only small files
// are read; the fixations of an image are read when asked for. A study without sessions has
// no readings and no error.
func OpenReadings(dir string) (*Readings, error) {
	r := &Readings{byImage: map[string][]read{}}
	ids, err := study.SessionIDs(dir)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		o, err := session.Open(study.SessionDir(dir, id))
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: %v", id, err))
			continue
		}
		for _, c := range study.FinalReads(o) {
			r.byImage[c.Screen.DicomID] = append(r.byImage[c.Screen.DicomID], read{o.State.Reader, o.State.SessionID, c})
		}
	}
	return r, nil
}

// Readers lists who read the image, by name, each once.
func (r *Readings) Readers(dicomID string) []string {
	var out []string
	for _, rd := range r.byImage[dicomID] {
		if !slices.Contains(out, rd.reader) {
			out = append(out, rd.reader)
		}
	}
	slices.Sort(out)
	return out
}

// Fixations reads every reader's fixations on the image (fixations.csv of each final read),
// in DICOM pixels; fixations off the image are left out. A read whose file cannot be read is
// named in the error, and the others are still returned.
func (r *Readings) Fixations(dicomID string) ([]Fixation, error) {
	var out []Fixation
	var errs []error
	for _, rd := range r.byImage[dicomID] {
		_, err := rd.c.ReadRows(session.FixationFile, func(_ int, g egd.GazeRecord) error {
			if g.XOriginal >= 0 && g.YOriginal >= 0 {
				// The row names the pixel the fixation fell on; its centre is the point.
				out = append(out, Fixation{X: float64(g.XOriginal) + 0.5, Y: float64(g.YOriginal) + 0.5,
					Duration: g.Sample.FPOGD, Reader: rd.reader, Session: rd.session})
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}
