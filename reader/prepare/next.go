package prepare

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sightline/reader/session"
	"sightline/reader/study"
)

// Next is the session a reader reads next from a prepared study's plan: its number N of Of,
// its screens, and the seed and calibration frequency that made them.
type Next struct {
	N, Of      int
	Screens    []session.Screen
	Seed       int64
	CalibEvery int
}

// NextSession is the session of reader's plan (STUDY/plans/<reader>.json) a new session reads:
// number n, or (n 0) the first without a complete recording among the study's session states.
// A study without plans (the demo, a hand-made folder) has none (nil, nil): the station
// shuffles the cases itself. A study with plans but none for reader is an error saying how to
// add one.
func NextSession(dir, reader string, n int, states []session.State) (*Next, error) {
	if _, err := os.Stat(PlanPath(dir, reader)); err != nil {
		if _, err := os.Stat(filepath.Join(dir, PlansDir)); err == nil {
			return nil, fmt.Errorf("study %s has no plan for reader %q: add one with `sightline prepare --out %s --reader %s`",
				dir, reader, dir, reader)
		}
		return nil, nil
	}
	pl, err := LoadPlan(dir, reader)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		sessions := make([][]session.Screen, len(pl.Sessions))
		for k := range pl.Sessions {
			sessions[k] = pl.Sessions[k].Screens
		}
		if n = session.NextPlanned(sessions, states); n == 0 {
			return nil, fmt.Errorf("every session of reader %q's plan is complete", reader)
		}
	}
	screens := pl.Session(n)
	if screens == nil {
		return nil, fmt.Errorf("reader %q's plan has %d sessions, not %d", reader, len(pl.Sessions), n)
	}
	return &Next{N: n, Of: len(pl.Sessions), Screens: screens, Seed: pl.Sessions[n-1].Seed, CalibEvery: pl.CalibEvery}, nil
}

// Summary says a plan's sessions in a line: "14 cases in 2 sessions of 7 and 7 screens".
func (p Plan) Summary() string {
	sizes := make([]string, len(p.Sessions))
	for i, s := range p.Sessions {
		sizes[i] = fmt.Sprint(len(s.Screens))
	}
	if len(sizes) == 1 {
		return fmt.Sprintf("%d cases in 1 session of %s screens", p.Cases, sizes[0])
	}
	// "2 sessions of 7 and 7 screens", not "2 sessions of 7, 7 screens"
	last := len(sizes) - 1
	return fmt.Sprintf("%d cases in %d sessions of %s and %s screens", p.Cases, len(sizes),
		strings.Join(sizes[:last], ", "), sizes[last])
}

// SessionToRead is what a new session reads: the screens for its id, and the seed and
// calibration frequency that order them.
type SessionToRead struct {
	Screens    func(id string) []session.Screen
	Seed       int64
	CalibEvery int
	Planned    *Next // the session of the reader's plan it is; nil: the station shuffles
}

// NewSessionPlan is what reader's new session of the study in dir reads: the next session of
// the reader's plan in a prepared study (n: that one; its seed and calibration frequency made
// the order), or else the cases the reader has not read yet (every case with again), shuffled
// by seed with a calibration screen about every calibEvery cases. states are the study's
// session states; none left to read is session.ErrAllRead.
func NewSessionPlan(dir string, st *study.Study, states []session.State, reader string, n int, again bool, seed int64, calibEvery int) (SessionToRead, error) {
	next, err := NextSession(dir, reader, n, states)
	if err != nil {
		return SessionToRead{}, err
	}
	if next != nil {
		return SessionToRead{Screens: func(string) []session.Screen { return next.Screens }, Seed: next.Seed, CalibEvery: next.CalibEvery, Planned: next}, nil
	}
	ids := make([]string, len(st.Cases))
	for i, c := range st.Cases {
		ids[i] = c.DicomID
	}
	if !again {
		if ids = session.Unread(states, reader, ids); len(ids) == 0 {
			return SessionToRead{}, fmt.Errorf("reader %s: %w (--new-session reads them again)", reader, session.ErrAllRead)
		}
	}
	return SessionToRead{Screens: func(id string) []session.Screen { return session.NewPlan(id, ids, seed, calibEvery) },
		Seed: seed, CalibEvery: calibEvery}, nil
}
