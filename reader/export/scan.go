package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	kind      string
	copy      int // k of "<case>.interrupted-k"; 0 for the screen as read
	layout    layoutFile
	hasLayout bool

	filters map[string]string          // filters.json
	quality map[string]json.RawMessage // quality.json
	audio   map[string]json.RawMessage // audio.json
	// files of the case folder that go to the transcripts folder
	wav, mp3, transcript bool
	audioDir             string // where the export put them, relative to the export folder

	gazeRows, fixRows int64 // counted while streaming
}

func (s *screen) hasAudio() bool { return s.wav || s.mp3 || s.transcript || s.audio != nil }

// findSessions lists the session folders of a study to export, in SESSION_ID order: by start
// time, then by id with numbers compared as numbers. With want empty, every complete or
// ended-early session; the others are returned as skipped, with the reason. A named session must
// exist and be exportable.
func findSessions(studyDir string, want []string) ([]*sess, []string, error) {
	root := filepath.Join(studyDir, sessionsDir)
	ents, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("list sessions: %w", err)
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
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		name := e.Name()
		if len(named) > 0 && !named[name] {
			continue
		}
		found[name] = true
		dir := filepath.Join(root, name)
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
		if st.Status != session.StatusComplete && st.Status != session.StatusEndedEarly {
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
			return nil, nil, fmt.Errorf("session %s: no such folder under %s", w, root)
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
	for i, s := range out {
		s.num = i + 1
	}
	return out, skipped, nil
}

// scan reads a session's case folders: the screens as read, in the order read (the order of
// session.json's done list; screens it does not list follow by index), and, with copies, the
// interrupted copies. Calibration screens are left out when noCalib is set. Every case screen
// must be a case of the study.
func (s *sess) scan(st *study.Study, noCalib, copies bool) error {
	root := filepath.Join(s.dir, session.CasesDir)
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list cases: %w", err)
	}
	plan := map[int]session.Screen{}
	for _, p := range s.st.Plan {
		plan[p.Index] = p
	}
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		sc, err := parseCaseName(e.Name())
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(root, e.Name()), err)
		}
		if sc.copy > 0 && !copies {
			continue
		}
		sc.dir = filepath.Join(root, e.Name())
		if err := sc.readLayout(plan); err != nil {
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
	pos := map[int]int{}
	for i, d := range s.st.Done {
		if _, ok := pos[d]; !ok {
			pos[d] = i
		}
	}
	order := func(sc *screen) int {
		if p, ok := pos[sc.index]; ok {
			return p
		}
		return len(s.st.Done) + sc.index
	}
	slices.SortStableFunc(s.screens, func(a, b *screen) int {
		if c := order(a) - order(b); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
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

// parseCaseName splits "NN-<dicom_id>" or "NN-<dicom_id>.interrupted-K".
func parseCaseName(name string) (*screen, error) {
	sc := &screen{name: name}
	base := name
	if i := strings.LastIndex(name, interruptedSep); i >= 0 {
		k, err := strconv.Atoi(name[i+len(interruptedSep):])
		if err != nil || k < 1 {
			return nil, fmt.Errorf("case folder name %q: bad interrupted copy number", name)
		}
		sc.copy, base = k, name[:i]
	}
	num, id, ok := strings.Cut(base, "-")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 0 || digits(num) != len(num) || id == "" {
		return nil, fmt.Errorf("case folder name %q, want NN-<dicom_id>", name)
	}
	sc.index, sc.dicomID = n, id
	return sc, nil
}

// readLayout reads layout.json, which must agree with the folder name. An interrupted copy may
// lack it (a crash right after the folder was made): its kind then comes from the plan.
func (sc *screen) readLayout(plan map[int]session.Screen) error {
	name := filepath.Join(sc.dir, session.LayoutFile)
	b, err := os.ReadFile(name)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &sc.layout); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if sc.layout.Index != sc.index || sc.layout.DicomID != sc.dicomID {
			return fmt.Errorf("%s: screen %d %q, but the folder is %s", name, sc.layout.Index, sc.layout.DicomID, sc.name)
		}
		sc.hasLayout, sc.kind = true, sc.layout.Kind
	case errors.Is(err, os.ErrNotExist) && sc.copy > 0:
		if p, ok := plan[sc.index]; ok && p.DicomID == sc.dicomID {
			sc.kind = p.Kind
		}
	default:
		return fmt.Errorf("read layout: %w", err)
	}
	if sc.kind != session.KindCase && sc.kind != session.KindCalibration {
		return fmt.Errorf("%s: screen kind %q, want %q or %q", name, sc.kind, session.KindCase, session.KindCalibration)
	}
	return nil
}

// readExtras reads the case folder's records beyond its rows: filters, quality, audio.
func (sc *screen) readExtras() error {
	name := filepath.Join(sc.dir, session.FiltersFile)
	switch b, err := os.ReadFile(name); {
	case err == nil:
		if err := json.Unmarshal(b, &sc.filters); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for f := range sc.filters {
			if err := checkFilterName(f); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	var err error
	if sc.quality, err = readObject(filepath.Join(sc.dir, caseQuality)); err != nil {
		return err
	}
	if sc.audio, err = readObject(filepath.Join(sc.dir, caseAudioMeta)); err != nil {
		return err
	}
	sc.wav = exists(filepath.Join(sc.dir, caseWAV))
	sc.mp3 = exists(filepath.Join(sc.dir, caseMP3))
	sc.transcript = exists(filepath.Join(sc.dir, caseTranscript))
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
	if f == "interrupted" || strings.ContainsAny(f, ",\"") {
		return fmt.Errorf("filter name %q is reserved or unusable in a file name", f)
	}
	return nil
}
