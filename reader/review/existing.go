package review

import (
	"context"
	"errors"
	"os"
	"path/filepath"
)

// OpenExisting opens the store a reading command consults: location when it is given,
// otherwise the study's own review.db when the study has one. A study without one has no store
// (nil, nil): a command that only reads never makes one.
func OpenExisting(ctx context.Context, studyDir, location string, opt Options) (Store, error) {
	if location == "" {
		if _, err := os.Stat(filepath.Join(studyDir, FileName)); err != nil {
			return nil, nil
		}
		location = studyDir
	}
	return Open(ctx, location, opt)
}

// OpenForReview opens the store the QA review writes its verdicts to: location, or ("") the
// study's review.db, made if need be. A study nobody has reviewed, which this user may not make
// a store in, is viewed without one: nil and why, for the view to say.
func OpenForReview(ctx context.Context, studyDir, location string) (st Store, noStore string, err error) {
	if location == "" {
		location = studyDir
	}
	if _, statErr := os.Stat(filepath.Join(studyDir, FileName)); location == studyDir && errors.Is(statErr, os.ErrNotExist) && !CanMake(studyDir) {
		return nil, "nothing reviewed yet, and this user cannot make the review store in " + studyDir, nil
	}
	st, err = Open(ctx, location, Options{})
	return st, "", err
}
