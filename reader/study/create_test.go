package study

import (
	"path/filepath"
	"testing"
	"time"

	"sightline/reader/session"
)

// TestCreateSessionInTheSameSecond: two sessions of one reader started within the same second
// get their own folders, the second with a suffix, each with its plan made for its id.
func TestCreateSessionInTheSameSecond(t *testing.T) {
	dir := t.TempDir()
	meta := session.Meta{Reader: "r", StartedWall: time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)}
	plan := func(id string) []session.Screen {
		return []session.Screen{{Index: 0, Kind: session.KindCase, DicomID: id}}
	}
	var dirs []string
	for _, want := range []string{"20261207-220000-r", "20261207-220000-r-2"} {
		rec, sdir, m, err := CreateSession(dir, meta, plan)
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Close(session.StatusEnded)
		if m.SessionID != want || sdir != SessionDir(dir, want) || len(m.Plan) != 1 || m.Plan[0].DicomID != want {
			t.Errorf("session %q in %s, plan %+v; want %s", m.SessionID, sdir, m.Plan, want)
		}
		dirs = append(dirs, filepath.Base(sdir))
	}
	if ids, err := SessionIDs(dir); err != nil || len(ids) != 2 {
		t.Errorf("sessions %v (%v), want %v", ids, err, dirs)
	}
}
