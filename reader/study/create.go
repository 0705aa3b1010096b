package study

import (
	"errors"
	"fmt"

	"sightline/reader/session"
)

// CreateSession makes a new session folder under the study in studyDir and its recorder, the
// plan made for the session's id. Session ids are the start time and the reader; a second
// session started within the same second gets a suffix rather than failing. meta's
// SessionID and Plan are set here; it returns the recorder, the folder and the session's meta.
func CreateSession(studyDir string, meta session.Meta, plan func(id string) []session.Screen) (*session.Recorder, string, session.Meta, error) {
	base := meta.StartedWall.Format("20060102-150405") + "-" + meta.Reader
	for n := 1; ; n++ {
		id := base
		if n > 1 {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		meta.SessionID, meta.Plan = id, plan(id)
		dir := SessionDir(studyDir, id)
		rec, err := session.Create(dir, meta)
		if errors.Is(err, session.ErrExists) && n < 100 {
			continue
		}
		return rec, dir, meta, err // session.Create names the step and the folder
	}
}
