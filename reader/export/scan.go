package export

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"sightline/reader/session"
	"sightline/reader/study"
)

// sess is a session folder chosen for export.
type sess struct {
	num     int // SESSION_ID in the export
	dir     string
	st      session.State
	screens []*screen // screens read, in the order read
	copies  []*screen // interrupted copies (Options.IncludeInterrupted), by index then copy
}

// screen is a case folder of a session.
type screen struct {
	dir, name string
	index     int
	dicomID   string
	kind      session.Kind
	copy      int // k of "<case>.interrupted-k"; 0 for the screen as read
	layout    layoutFile
	hasLayout bool
	// superseded: the case was read again later in the session; this read's rows go beside
	// the dataset's files (eye_gaze_superseded.csv, …), which hold one read per case.
	superseded bool

	filters map[string]string          // filters.json
	quality map[string]json.RawMessage // quality.json
	audio   map[string]json.RawMessage // audio.json
	// files of the case folder that go to the transcripts folder
	wav, mp3, transcript, transcriptRaw bool
	audioDir                            string // where the export put them, relative to the export folder

	gazeRows, fixRows int64 // counted while streaming
}

func (s *screen) hasAudio() bool { return s.wav || s.mp3 || s.transcript || s.audio != nil }

// findSessions lists the session folders of a study to export, numbered (number) in order of
// start time, then of id with numbers compared as numbers, and returned in SESSION_ID order.
// With want empty, every complete or ended-early session; the others are returned as skipped,
// with the reason. A named session must exist and be exportable.
func findSessions(studyDir string, want []string) ([]*sess, []string, error) {
	ids, err := study.SessionIDs(studyDir)
	if err != nil {
		return nil, nil, err
	}
	named := map[string]bool{}
	for _, w := range want {
		named[w] = true
	}
	var (
		out     []*sess
		skipped []string
		found   = map[string]bool{}
	)
	for _, name := range ids {
		if len(named) > 0 && !named[name] {
			continue
		}
		found[name] = true
		dir := study.SessionDir(studyDir, name)
		if !exists(filepath.Join(dir, session.StateFile)) {
			if named[name] {
				return nil, nil, fmt.Errorf("session %s: no %s", name, session.StateFile)
			}
			skipped = append(skipped, fmt.Sprintf("%s: no %s, not a session folder", name, session.StateFile))
			continue
		}
		st, err := session.ReadState(dir)
		if err != nil {
			return nil, nil, err
		}
		if st.SessionID != name {
			return nil, nil, fmt.Errorf("session %s: %s names session %q, not its folder", name, session.StateFile, st.SessionID)
		}
		if !st.Finished() {
			why := fmt.Sprintf("status %q: not finished (interrupted or still recording; resume it and end it first)", st.Status)
			if named[name] {
				return nil, nil, fmt.Errorf("session %s: %s", name, why)
			}
			skipped = append(skipped, name+": "+why)
			continue
		}
		out = append(out, &sess{dir: dir, st: st})
	}
	for _, w := range want {
		if !found[w] {
			return nil, nil, fmt.Errorf("session %s: no such folder under %s", w, study.SessionsRoot(studyDir))
		}
	}
	slices.SortStableFunc(out, func(a, b *sess) int {
		if c := a.st.StartedWall.Compare(b.st.StartedWall); c != 0 {
			return c
		}
		switch {
		case naturalLess(a.st.SessionID, b.st.SessionID):
			return -1
		case naturalLess(b.st.SessionID, a.st.SessionID):
			return 1
		}
		return strings.Compare(a.st.SessionID, b.st.SessionID)
	})
	number(out)
	return out, skipped, nil
}

// number gives each session its SESSION_ID, and puts the sessions in SESSION_ID order. The
// published dataset's SESSION_ID is an integer (pandas reads it as int64; import-egd of a
// folder with the dataset's files alone requires one), so the reader is put in it as digits:
// with one reader, as the published dataset has, the sessions are 1, 2, … in order of start;
// with several, the r-th reader to start a session has r·100 + 1, r·100 + 2, … (r·1000 + …
// when some reader has 100 sessions or more), so that 203 is the second reader's third session.
// sessions.csv names the reader of each.
func number(out []*sess) {
	readerOf := map[string]int{} // reader → r, from 1, in order of first start
	perReader := map[string]int{}
	most := 0
	for _, s := range out {
		if _, ok := readerOf[s.st.Reader]; !ok {
			readerOf[s.st.Reader] = len(readerOf) + 1
		}
		perReader[s.st.Reader]++
		most = max(most, perReader[s.st.Reader])
	}
	if len(readerOf) < 2 {
		for i, s := range out {
			s.num = i + 1
		}
		return
	}
	block := 100
	for block <= most {
		block *= 10
	}
	clear(perReader)
	for _, s := range out {
		perReader[s.st.Reader]++
		s.num = readerOf[s.st.Reader]*block + perReader[s.st.Reader]
	}
	slices.SortStableFunc(out, func(a, b *sess) int { return a.num - b.num })
}

// scan takes a session's case folders from session.Open: the screens as read, in the order
// read, and, with copies, the interrupted copies. Calibration screens are left out when
// noCalib is set. A case read again later in the session is kept, marked superseded: its rows
// go beside the dataset's files, not in them. Every case screen must be a case of the study,
// and the records the export carries (folder names, layout.json, filters.json) must read.
func (s *sess) scan(st *study.Study, noCalib, copies bool) error {
	o, err := session.Open(s.dir)
	if err != nil {
		return err
	}
	for _, p := range o.Problems {
		if p.Kind == session.ProblemMalformed {
			return fmt.Errorf("%s: %s", filepath.Join(s.dir, p.File), p.Message)
		}
	}
	for _, c := range o.Cases {
		list := append([]*session.Case{c}, c.Interrupted...)
		for _, oc := range list {
			if oc.Copy > 0 && !copies {
				continue
			}
			sc, err := fromCase(oc, s.dir)
			if err != nil {
				return err
			}
			if sc.kind == session.KindCase {
				if _, ok := st.Case(sc.dicomID); !ok {
					return fmt.Errorf("%s: case %s is not in the study's %s", sc.dir, sc.dicomID, study.MasterSheet)
				}
			}
			if noCalib && sc.kind == session.KindCalibration {
				continue
			}
			if sc.copy > 0 {
				s.copies = append(s.copies, sc)
				continue
			}
			if err := sc.readExtras(); err != nil {
				return err
			}
			s.screens = append(s.screens, sc)
		}
	}
	slices.SortStableFunc(s.copies, func(a, b *screen) int {
		if a.index != b.index {
			return a.index - b.index
		}
		if c := strings.Compare(a.dicomID, b.dicomID); c != 0 {
			return c
		}
		return a.copy - b.copy
	})
	return nil
}

// fromCase takes a case folder as session.Open read it. Its layout.json must have read (an
// interrupted copy may lack one: a crash right after the folder was made), and so must its
// filters.json.
func fromCase(c *session.Case, sessDir string) (*screen, error) {
	sc := &screen{dir: c.Dir, name: c.Name, index: c.Screen.Index, dicomID: c.Screen.DicomID, kind: c.Screen.Kind,
		copy: c.Copy, layout: c.Layout, hasLayout: c.HasLayout, filters: c.Filters, superseded: c.SupersededBy != nil}
	for _, p := range c.Problems {
		if p.Kind != session.ProblemMalformed && p.Kind != session.ProblemMissing {
			continue
		}
		switch filepath.Base(p.File) {
		case session.LayoutFile:
			if p.Kind == session.ProblemMissing && c.Copy > 0 {
				continue
			}
		case session.FiltersFile, c.Name: // c.Name: the screen's kind is unknown
		default:
			continue
		}
		return nil, fmt.Errorf("%s: %s", filepath.Join(sessDir, p.File), p.Message)
	}
	for f := range sc.filters {
		if err := checkFilterName(f); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(c.Dir, session.FiltersFile), err)
		}
	}
	if a := c.Audio; a != nil {
		sc.wav, sc.mp3 = a.WAV != "", a.MP3 != ""
	}
	sc.transcript = c.Transcript != ""
	sc.transcriptRaw = sc.transcript && exists(filepath.Join(c.Dir, TranscriptRawFile))
	return sc, nil
}

// readExtras reads the case folder's records that export flattens member by member, whatever
// their members: quality.json and audio.json.
func (sc *screen) readExtras() error {
	var err error
	if sc.quality, err = readObject(filepath.Join(sc.dir, caseQuality)); err != nil {
		return err
	}
	if sc.audio, err = readObject(filepath.Join(sc.dir, caseAudioMeta)); err != nil {
		return err
	}
	return nil
}

// filterNames are the case folder's own filters: those in filters.json and those with a
// fixations_<name>.csv, "device" excluded.
func (sc *screen) filterNames() ([]string, error) {
	var names []string
	for f := range sc.filters {
		if f != "device" {
			names = append(names, f)
		}
	}
	m, err := filepath.Glob(filepath.Join(sc.dir, filterPrefix+"*.csv"))
	if err != nil {
		return nil, err
	}
	for _, p := range m {
		f := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), filterPrefix), ".csv")
		if err := checkFilterName(f); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		names = append(names, f)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// checkFilterName refuses a filter name that cannot name its export file or would collide with
// another export file.
func checkFilterName(f string) error {
	if err := checkName(f); err != nil {
		return fmt.Errorf("filter name: %w", err)
	}
	if f == "interrupted" || f == "superseded" || strings.HasSuffix(f, strings.TrimSuffix(supersededSuffix, ".csv")) || strings.ContainsAny(f, ",\"") {
		return fmt.Errorf("filter name %q is reserved or unusable in a file name", f)
	}
	return nil
}
