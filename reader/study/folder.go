package study

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sightline/reader/session"
)

// The study folder's layout below the worklist: STUDY/sessions/<session id>/cases/<NN-dicom id>.
// This file is the one place that joins a path under a study's sessions; everyone else asks it.
// Inside a session folder, reader/session owns the files (state, journal, case files).

// SessionsDir is the folder of a study that holds its session folders.
const SessionsDir = "sessions"

// SessionsRoot is the folder holding the study's session folders.
func SessionsRoot(studyDir string) string { return filepath.Join(studyDir, SessionsDir) }

// SessionDir is the folder of the study's session id.
func SessionDir(studyDir, id string) string { return filepath.Join(studyDir, SessionsDir, id) }

// CaseDir is the folder of one case of a session; caseName is the folder's name, "NN-<dicom id>"
// or an interrupted copy "NN-<dicom id>.interrupted-K" (session.ParseCaseName).
func CaseDir(studyDir, sessionID, caseName string) string {
	return filepath.Join(studyDir, SessionsDir, sessionID, session.CasesDir, caseName)
}

// SessionIDs lists the study's session folders by name, in name order: every folder under
// STUDY/sessions whose name does not start with a dot (work folders are hidden). A study that
// has no sessions folder yet has no sessions and no error.
func SessionIDs(studyDir string) ([]string, error) {
	ents, err := os.ReadDir(SessionsRoot(studyDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// SessionDirs is SessionIDs as folders: STUDY/sessions/<id>, in name order.
func SessionDirs(studyDir string) ([]string, error) {
	ids, err := SessionIDs(studyDir)
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = SessionDir(studyDir, id)
	}
	return out, err
}

// SessionStates reads the state of each of the study's sessions, in name order; a folder whose
// state cannot be read is left out (it is not a session, or not one yet).
func SessionStates(studyDir string) ([]session.State, error) {
	ids, err := SessionIDs(studyDir)
	if err != nil {
		return nil, err
	}
	var out []session.State
	for _, id := range ids {
		if st, err := session.ReadState(SessionDir(studyDir, id)); err == nil {
			out = append(out, st)
		}
	}
	return out, nil
}

// Interrupted lists the study's sessions that were cut off (session.Cut: still "recording" and
// nobody holding their lock), oldest first.
func Interrupted(studyDir string) ([]session.State, error) {
	ids, err := SessionIDs(studyDir)
	if err != nil {
		return nil, err
	}
	var out []session.State
	for _, id := range ids {
		if st, ok := session.Cut(SessionDir(studyDir, id)); ok {
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(a, b session.State) int { return a.StartedWall.Compare(b.StartedWall) })
	return out, nil
}

// Latest is the newest of reader's sessions in the study if it was ended before its plan was
// done and has screens left (State.Continuable): the one the reader continues.
func Latest(studyDir, reader string) (session.State, bool, error) {
	states, err := SessionStates(studyDir)
	if err != nil {
		return session.State{}, false, err
	}
	st, ok := session.LatestOf(states, reader)
	return st, ok, nil
}

// FinalRead says whether a case folder is the read of its image that counts: a case screen (not
// a calibration), not an interrupted copy, not superseded by a later re-read. Review, the QA
// report and the box editor's gaze aid all count these.
func FinalRead(c *session.Case) bool { return c.Screen.Kind == session.KindCase && c.Final() }

// FinalReads are the session's final reads (FinalRead), in the order Open lists its cases.
func FinalReads(o *session.Opened) []*session.Case {
	var out []*session.Case
	for _, c := range o.Cases {
		if FinalRead(c) {
			out = append(out, c)
		}
	}
	return out
}

// ReadersDir is the folder of a study that holds what is kept per reader across sessions (their
// speaker enrollment).
const ReadersDir = "readers"

// EnrollmentDir is the folder of a reader's enrollment recordings, NN.wav for line NN of the
// enrollment script; AcousticDir the acoustic model adapted to that reader from them. A reader
// name that cannot name a folder is refused.
func EnrollmentDir(studyDir, reader string) (string, error) {
	return readerDir(studyDir, reader, "enrollment")
}

// AcousticDir: see EnrollmentDir.
func AcousticDir(studyDir, reader string) (string, error) {
	return readerDir(studyDir, reader, "acoustic")
}

func readerDir(studyDir, reader, sub string) (string, error) {
	if err := checkID(reader); err != nil {
		return "", fmt.Errorf("reader %q cannot name a folder", reader)
	}
	return filepath.Join(studyDir, ReadersDir, reader, sub), nil
}
