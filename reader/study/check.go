package study

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"sightline/reader/session"
)

// ErrNotStudy is Check's answer for a folder that is not a study.
var ErrNotStudy = errors.New("not a study folder")

// Check says whether dir is a study folder that can be reviewed, without writing anything: its
// worklist (master_sheet.csv) reads, or, without one, it holds recorded sessions (a study
// imported or copied without its worklist: the images are then not shown). The error is one
// sentence naming the folder or the file at fault, and errors.Is(err, ErrNotStudy).
func Check(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return notStudy{fmt.Errorf("%s is not a study folder: %w", dir, fileErr(err))}
	}
	if !fi.IsDir() {
		return notStudy{fmt.Errorf("%s is not a study folder: it is not a folder", dir)}
	}
	_, err = readMasterSheetFile(filepath.Join(dir, MasterSheet))
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return notStudy{fmt.Errorf("%s is not a study folder: %w", dir, err)}
	}
	if hasSessions(dir) {
		return nil
	}
	return notStudy{fmt.Errorf("%s is not a study folder: it has no %s and no recorded sessions", dir, MasterSheet)}
}

// notStudy is an error of Check: errors.Is(err, ErrNotStudy), and the cause stays wrapped.
type notStudy struct{ error }

func (e notStudy) Unwrap() error      { return e.error }
func (notStudy) Is(target error) bool { return target == ErrNotStudy }

// hasSessions reports whether the study holds a session folder (one with its state file).
func hasSessions(dir string) bool {
	ids, _ := SessionIDs(dir)
	for _, id := range ids {
		if _, err := os.Stat(filepath.Join(SessionDir(dir, id), session.StateFile)); err == nil {
			return true
		}
	}
	return false
}
