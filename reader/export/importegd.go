package export

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"sightline/reader/dicomimg"
	"sightline/reader/egd"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
	"sightline/reader/transcript"
	"sightline/tracker/quality"
)

// ImportOptions tune Import.
type ImportOptions struct {
	// DicomRoot, when set, is the MIMIC-CXR root that master_sheet's paths are relative to: each
	// case's image size is read from its DICOM header into layout.json. Without it a published
	// folder's layouts record the size as 0×0 (unknown). A Sightline export carries the sizes.
	DicomRoot string
}

// ImportResult says what Import made.
type ImportResult struct {
	Sessions     []ImportedSession // in the order of the files
	Screens      int               // screens read (interrupted copies not counted)
	GazeRows     int64
	FixationRows int64
	Renamed      []Renamed // calibration screens renamed from a published id
}

// ImportedSession maps a SESSION_ID of the folder to the session folder made for it.
type ImportedSession struct {
	Published string `json:"published_session_id"`
	ID        string `json:"session"`
}

// Renamed is a calibration screen of a published folder and the id it got.
type Renamed struct {
	Session   string `json:"session"`
	MediaID   int    `json:"media_id"`
	Published string `json:"published_dicom_id"`
	DicomID   string `json:"dicom_id"`
}

// Import reads a dataset folder in the EGD-CXR layout — the published one or a Sightline export
// — into a new study folder out (which must not exist or be empty): master_sheet.csv and
// bounding_boxes.csv as read, and one session folder per SESSION_ID with a case folder per
// screen (see the README's "Import" section). It is tolerant of the published dataset's quirks
// (calibration screens named after the previous case's id, transcripts spelling begin_tim,
// quoted newlines in master_sheet) and strict about real errors, which name the file and line.
// Sightline's own files, when present beside the dataset (sessions.csv, screens.csv, …), are
// read back too, so that an export imported and exported again gives the same bytes.
func Import(dir, out string, o ImportOptions) (*ImportResult, error) {
	st, err := study.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	d, err := newOutDir(out)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	abs, _ := filepath.Abs(out)
	im := &importer{src: dir, out: d, studyDir: abs, st: st, opt: o,
		byPublished: map[string]*impSession{}, byID: map[string]*impSession{}, res: &ImportResult{}}
	if err := im.run(); err != nil {
		d.abort()
		return nil, fmt.Errorf("import: %w", err)
	}
	if len(im.res.Sessions) == 0 {
		// A worklist without gaze is not a dataset: no study is made of it.
		d.abort()
		return nil, fmt.Errorf("import: %w", noSessions(dir))
	}
	if err := d.commit(); err != nil {
		d.abort()
		return nil, fmt.Errorf("import: %w", err)
	}
	return im.res, nil
}

// noSessions says what a folder that gave no session lacks: the gaze files, or rows in them.
func noSessions(dir string) error {
	var missing []string
	for _, name := range []string{GazeFile, FixationsFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			missing = append(missing, name)
		}
	}
	switch len(missing) {
	case 2:
		return fmt.Errorf("%s has no %s and no %s: nothing to import", dir, GazeFile, FixationsFile)
	case 1:
		held := GazeFile
		if missing[0] == GazeFile {
			held = FixationsFile
		}
		return fmt.Errorf("%s has no %s and its %s holds no rows: nothing to import", dir, missing[0], held)
	}
	return fmt.Errorf("%s: %s and %s hold no rows: nothing to import", dir, GazeFile, FixationsFile)
}

type importer struct {
	src      string
	out      *outDir
	studyDir string
	st       *study.Study
	opt      ImportOptions
	res      *ImportResult

	sessions    []*impSession
	byPublished map[string]*impSession
	byID        map[string]*impSession
	listed      bool // sessions.csv was read: no session is made on the fly
	screensList bool // screens.csv was read: no screen is made on the fly
	copies      []*impScreen
	buf         []byte
}

type impSession struct {
	published string
	st        session.State
	screens   []*impScreen
	copies    []*impScreen
	byKey     map[scrKey]*impScreen
	calibs    int
	events    [][]byte
	checks    [][]byte
}

type scrKey struct {
	media int
	dicom string // as in the files
}

type impScreen struct {
	s         *impSession
	index     int
	dicomID   string // as imported
	published string // the published id, when renamed
	kind      session.Kind
	copy      int
	layout    stage.Layout
	hasLayout bool
	dir       string // while importing: "<index>-<dicom_id>[.interrupted-K]" under cases/
	files     map[string]bool
	filters   map[string]string
	want      [2]int64 // rows screens.csv lists: eye_gaze, fixations (−1: not listed)
	rows      [2]int64
	where     string // file:line that listed the screen
}

func (s *impSession) dir(out *outDir) string { return study.SessionDir(out.tmp, s.st.SessionID) }

func (im *importer) run() error {
	if err := im.st.WriteMasterSheet(im.out.path(study.MasterSheet), nil); err != nil {
		return err
	}
	if err := im.st.WriteBoxes(im.out.path(study.BoundingBoxes)); err != nil {
		return err
	}
	if err := im.readSessions(); err != nil {
		return err
	}
	if err := im.readScreens(); err != nil {
		return err
	}
	// The row files: the dataset's two, then our filters' files.
	files := []string{GazeFile, FixationsFile}
	more, err := filepath.Glob(filepath.Join(im.src, filterPrefix+"*.csv"))
	if err != nil {
		return err
	}
	slices.Sort(more)
	for _, m := range more {
		if b := filepath.Base(m); b != InterruptedFixationsFile && !strings.HasSuffix(b, supersededSuffix) {
			files = append(files, b)
		}
	}
	for i, name := range files {
		if err := im.splitRows(name, i); err != nil {
			return err
		}
		// The reads superseded by a later read of the case, beside it (the screens are
		// listed in screens.csv like any other).
		if err := im.splitRows(supersededFile(name), i); err != nil {
			return err
		}
	}
	if err := im.splitCopies(); err != nil {
		return err
	}
	for _, s := range im.sessions {
		for _, sc := range append(slices.Clone(s.screens), s.copies...) {
			for i, what := range []string{GazeFile, FixationsFile} {
				if sc.want[i] >= 0 && sc.want[i] != sc.rows[i] {
					return fmt.Errorf("%s: lists %d %s rows for the screen, %s has %d", sc.where, sc.want[i], what, what, sc.rows[i])
				}
			}
		}
	}
	if err := im.readFilters(); err != nil {
		return err
	}
	if err := im.readFlat(QualityFile, caseQuality, nil); err != nil {
		return err
	}
	if err := im.readAudio(); err != nil {
		return err
	}
	if err := im.readChecks(); err != nil {
		return err
	}
	if err := im.readEvents(); err != nil {
		return err
	}
	return im.finish()
}

// session finds the session of a SESSION_ID; without sessions.csv it makes one, egd-<N>.
func (im *importer) session(published string) (*impSession, error) {
	if s, ok := im.byPublished[published]; ok {
		return s, nil
	}
	if im.listed {
		return nil, fmt.Errorf("SESSION_ID %q is not in %s", published, SessionsFile)
	}
	n, err := strconv.ParseInt(published, 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("SESSION_ID %q is not a non-negative integer", published)
	}
	id := "egd-" + strconv.FormatInt(n, 10)
	if _, dup := im.byID[id]; dup {
		return nil, fmt.Errorf("SESSION_ID %q and another spelling of it both name session %d", published, n)
	}
	s := &impSession{published: published, byKey: map[scrKey]*impScreen{}, st: session.State{
		Meta:   session.Meta{SessionID: id, StudyDir: im.studyDir, FixationFilter: "device"},
		Status: session.StatusComplete, Screen: -1, Done: []int{},
	}}
	im.addSession(s)
	return s, nil
}

func (im *importer) addSession(s *impSession) {
	im.sessions = append(im.sessions, s)
	im.byPublished[s.published] = s
	im.byID[s.st.SessionID] = s
	im.res.Sessions = append(im.res.Sessions, ImportedSession{Published: s.published, ID: s.st.SessionID})
}

// screen finds the screen of a row; without screens.csv it makes one: a case when the id is in
// master_sheet, else a calibration screen, renamed calibration-<session>-<n> unless its id
// already says it is one.
func (im *importer) screen(s *impSession, media int, dicom string) (*impScreen, error) {
	k := scrKey{media, dicom}
	if sc, ok := s.byKey[k]; ok {
		return sc, nil
	}
	if im.screensList {
		return nil, fmt.Errorf("screen MEDIA_ID %d DICOM_ID %q of SESSION_ID %s is not in %s", media, dicom, s.published, ScreensFile)
	}
	if media < 0 {
		return nil, fmt.Errorf("MEDIA_ID %d is negative", media)
	}
	if err := checkName(dicom); err != nil {
		return nil, fmt.Errorf("DICOM_ID: %w", err)
	}
	sc := &impScreen{s: s, index: media, dicomID: dicom, kind: session.KindCase, want: [2]int64{-1, -1}}
	if c, ok := im.st.Case(dicom); ok {
		l, err := im.padsOf(c)
		if err != nil {
			return nil, err
		}
		if im.opt.DicomRoot != "" {
			if l.W, l.H, err = dicomimg.Size(filepath.Join(im.opt.DicomRoot, filepath.FromSlash(c.Path))); err != nil {
				return nil, err
			}
		}
		sc.layout = l
	} else {
		sc.kind, sc.layout = session.KindCalibration, stage.Layout{W: stage.Width, H: stage.Height}
		if !strings.HasPrefix(dicom, "calibration-") {
			// The published dataset named calibration screens after the previous case's id
			// minus its last characters; give them a name nobody mistakes for a case.
			taken := func(id string) bool {
				return slices.ContainsFunc(s.screens, func(o *impScreen) bool { return o.dicomID == id })
			}
			for s.calibs++; taken(session.CalibrationID(s.st.SessionID, s.calibs)); s.calibs++ {
			}
			sc.published, sc.dicomID = dicom, session.CalibrationID(s.st.SessionID, s.calibs)
			im.res.Renamed = append(im.res.Renamed, Renamed{s.st.SessionID, media, dicom, sc.dicomID})
		}
	}
	sc.hasLayout = true
	s.add(k, sc)
	return sc, nil
}

func (s *impSession) add(k scrKey, sc *impScreen) {
	sc.dir = strconv.Itoa(sc.index) + "-" + sc.dicomID
	if sc.copy > 0 {
		sc.dir += interruptedSep + strconv.Itoa(sc.copy)
		s.copies = append(s.copies, sc)
		return
	}
	s.byKey[k] = sc
	s.screens = append(s.screens, sc)
}

// padsOf reads a case's pads from master_sheet (integers; an integral float is accepted).
func (im *importer) padsOf(c study.Case) (stage.Layout, error) {
	var l stage.Layout
	for i, dst := range []*int{&l.Top, &l.Bottom, &l.Left, &l.Right} {
		col := slices.Index(im.st.Header, study.PadColumns[i])
		if col < 0 || col >= len(c.Fields) {
			return l, fmt.Errorf("%s: no column %s for the pads", study.MasterSheet, study.PadColumns[i])
		}
		v := strings.TrimSpace(c.Fields[col])
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x != math.Trunc(x) || x < 0 || x > stage.Width {
			return l, fmt.Errorf("%s:%d: column %s: pad %q, want a whole number of pixels", study.MasterSheet, c.Line, study.PadColumns[i], v)
		}
		*dst = int(x)
	}
	return l, nil
}

// readSessions reads sessions.csv, when the folder has one (a Sightline export).
func (im *importer) readSessions() error {
	t, err := readTableFile(filepath.Join(im.src, SessionsFile), sessionsHeader...)
	if t == nil || err != nil {
		return err
	}
	im.listed = true
	for i := range t.rows {
		published := t.get(i, "SESSION_ID")
		if _, dup := im.byPublished[published]; dup {
			return t.errf(i, "SESSION_ID %s listed twice", published)
		}
		id := t.get(i, "session")
		if err := checkName(id); err != nil {
			return t.errf(i, "session: %v", err)
		}
		if _, dup := im.byID[id]; dup {
			return t.errf(i, "session %s listed twice", id)
		}
		s := &impSession{published: published, byKey: map[scrKey]*impScreen{}}
		m := &s.st.Meta
		m.SessionID, m.Reader, m.Tracker, m.FixationFilter, m.BootID, m.StudyDir =
			id, t.get(i, "reader"), t.get(i, "tracker"), t.get(i, "fixation_filter"), t.get(i, "boot_id"), im.studyDir
		ints := []struct {
			col string
			dst *int64
		}{{"seed", &m.Seed}, {"clock_origin_monotonic_ns", &m.ClockOriginNS}}
		for _, f := range ints {
			if *f.dst, err = t.int(i, f.col); err != nil {
				return err
			}
		}
		for _, f := range []struct {
			col string
			dst *int
		}{{"calib_every", &m.CalibEvery}, {"resumed", &s.st.Resumed}} {
			v, err := t.int(i, f.col)
			if err != nil {
				return err
			}
			*f.dst = int(v)
		}
		if m.TrackerRate, err = strconv.ParseFloat(t.get(i, "tracker_rate_hz"), 64); err != nil {
			return t.errf(i, "column tracker_rate_hz: %q is not a number", t.get(i, "tracker_rate_hz"))
		}
		if m.StartedWall, err = parseWall(t.get(i, "started")); err != nil {
			return t.errf(i, "column started: %v", err)
		}
		if e := t.get(i, "ended"); e != "" {
			w, err := parseWall(e)
			if err != nil {
				return t.errf(i, "column ended: %v", err)
			}
			s.st.EndedWall = &w
		}
		s.st.Status = t.get(i, "status")
		if !s.st.Finished() {
			return t.errf(i, "status %q, want %q, %q or %q", s.st.Status, session.StatusComplete, session.StatusEnded, session.StatusEndedEarly)
		}
		if v := t.get(i, "interrupted_screens"); v != "" {
			for _, f := range strings.Split(v, ";") {
				n, err := strconv.Atoi(f)
				if err != nil {
					return t.errf(i, "column interrupted_screens: %q is not a list of integers", v)
				}
				s.st.Interrupted = append(s.st.Interrupted, n)
			}
		}
		s.st.Screen, s.st.Done = -1, []int{}
		im.addSession(s)
	}
	return nil
}

func parseWall(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(timeFormat, s)
}

// readScreens reads screens.csv, when the folder has one: the screens in the order read, their
// layouts and their row counts, and the interrupted copies.
func (im *importer) readScreens() error {
	t, err := readTableFile(filepath.Join(im.src, ScreensFile), screensHeader...)
	if t == nil || err != nil {
		return err
	}
	if !im.listed {
		return fmt.Errorf("%s needs the %s beside it", ScreensFile, SessionsFile)
	}
	im.screensList = true
	for i := range t.rows {
		s, ok := im.byPublished[t.get(i, "SESSION_ID")]
		if !ok {
			return t.errf(i, "SESSION_ID %q is not in %s", t.get(i, "SESSION_ID"), SessionsFile)
		}
		var v [9]int64
		for j, c := range []string{"MEDIA_ID", "interrupted_copy", "eye_gaze_rows", "fixation_rows"} {
			if v[j], err = t.int(i, c); err != nil {
				return err
			}
		}
		sc := &impScreen{s: s, index: int(v[0]), copy: int(v[1]), dicomID: t.get(i, "DICOM_ID"), kind: session.Kind(t.get(i, "kind")),
			want: [2]int64{v[2], v[3]}, where: fmt.Sprintf("%s:%d", t.name, t.lines[i])}
		if sc.index < 0 || sc.copy < 0 || v[2] < 0 || v[3] < 0 {
			return t.errf(i, "negative MEDIA_ID, copy or row count")
		}
		if err := checkName(sc.dicomID); err != nil {
			return t.errf(i, "DICOM_ID: %v", err)
		}
		if sc.kind != session.KindCase && sc.kind != session.KindCalibration {
			return t.errf(i, "kind %q, want %q or %q", sc.kind, session.KindCase, session.KindCalibration)
		}
		c, inSheet := im.st.Case(sc.dicomID)
		if sc.kind == session.KindCase && !inSheet {
			return t.errf(i, "case %s is not in %s", sc.dicomID, study.MasterSheet)
		}
		if t.get(i, "image_width") != "" || sc.copy == 0 {
			l := []*int{&sc.layout.W, &sc.layout.H, &sc.layout.Top, &sc.layout.Bottom, &sc.layout.Left, &sc.layout.Right}
			for j, col := range screensHeader[5:11] {
				n, err := t.int(i, col)
				if err != nil {
					return err
				}
				*l[j] = int(n)
			}
			sc.hasLayout = true
		}
		if sc.kind == session.KindCase && sc.copy == 0 {
			p, err := im.padsOf(c)
			if err != nil {
				return err
			}
			if l := sc.layout; l.Top != p.Top || l.Bottom != p.Bottom || l.Left != p.Left || l.Right != p.Right {
				return t.errf(i, "case %s: pads %s, but %s says top %d bottom %d left %d right %d",
					sc.dicomID, describe(l), study.MasterSheet, p.Top, p.Bottom, p.Left, p.Right)
			}
		}
		k := scrKey{sc.index, sc.dicomID}
		if _, dup := s.byKey[k]; dup && sc.copy == 0 {
			return t.errf(i, "screen %d %s listed twice", sc.index, sc.dicomID)
		}
		s.add(k, sc)
		if sc.copy > 0 {
			im.copies = append(im.copies, sc)
		}
	}
	return nil
}

// splitRows splits one row file of the folder into its screens' case files. The file's rows of
// a screen are expected together, as the dataset has them; a screen met again later is
// appended to. The dataset's two files are optional (a folder may hold fixations only).
func (im *importer) splitRows(name string, which int) error {
	path := filepath.Join(im.src, name)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	beside := strings.HasSuffix(name, supersededSuffix)
	caseFile := name
	if beside {
		caseFile = strings.TrimSuffix(name, supersededSuffix) + ".csv"
	}
	if which == 0 {
		caseFile = session.GazeFile
	} else if which == 1 {
		caseFile = session.FixationFile
	}
	w := &caseWriter{im: im, name: caseFile}
	err = egd.ReadGaze(bufio.NewReaderSize(f, 1<<20), path, func(_ int, r egd.GazeRecord) error {
		s, err := im.session(r.SessionID)
		if err != nil {
			return err
		}
		sc, err := im.screen(s, r.MediaID, r.DicomID)
		if err != nil {
			return err
		}
		if which < 2 {
			sc.rows[which]++
		}
		if which == 0 && !beside {
			im.res.GazeRows++
		} else if which == 1 && !beside {
			im.res.FixationRows++
		}
		return w.write(sc, &r)
	})
	return errors.Join(err, w.close())
}

// splitCopies splits eye_gaze_interrupted.csv and fixations_interrupted.csv into the
// interrupted copies screens.csv lists, by their row counts.
func (im *importer) splitCopies() error {
	for which, name := range []string{InterruptedGazeFile, InterruptedFixationsFile} {
		path := filepath.Join(im.src, name)
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if !im.screensList {
			f.Close()
			return fmt.Errorf("%s needs the %s beside it", name, ScreensFile)
		}
		w := &caseWriter{im: im, name: []string{session.GazeFile, session.FixationFile}[which]}
		next := 0
		err = egd.ReadGaze(bufio.NewReaderSize(f, 1<<20), path, func(_ int, r egd.GazeRecord) error {
			for next < len(im.copies) && im.copies[next].rows[which] == im.copies[next].want[which] {
				next++
			}
			if next == len(im.copies) {
				return fmt.Errorf("more rows than the interrupted copies %s lists", ScreensFile)
			}
			sc := im.copies[next]
			if r.SessionID != sc.s.published || r.MediaID != sc.index || r.DicomID != sc.dicomID {
				return fmt.Errorf("row of SESSION_ID %s screen %d %s, where %s expects SESSION_ID %s screen %d %s",
					r.SessionID, r.MediaID, r.DicomID, sc.where, sc.s.published, sc.index, sc.dicomID)
			}
			sc.rows[which]++
			return w.write(sc, &r)
		})
		f.Close()
		if err := errors.Join(err, w.close()); err != nil {
			return err
		}
	}
	return nil
}

// caseWriter appends rows to one case file of the screen at hand, switching files when the
// screen changes.
type caseWriter struct {
	im   *importer
	name string
	cur  *impScreen
	f    *os.File
	w    *bufio.Writer
}

func (c *caseWriter) write(sc *impScreen, r *egd.GazeRecord) error {
	if sc != c.cur {
		if err := c.close(); err != nil {
			return err
		}
		f, err := c.im.openCase(sc, c.name)
		if err != nil {
			return err
		}
		c.cur, c.f, c.w = sc, f, bufio.NewWriterSize(f, 256<<10)
	}
	r.SessionID, r.DicomID = sc.s.st.SessionID, sc.dicomID
	c.im.buf = egd.AppendRow(c.im.buf[:0], r)
	_, err := c.w.Write(c.im.buf)
	return err
}

func (c *caseWriter) close() error {
	if c.f == nil {
		return nil
	}
	err := errors.Join(c.w.Flush(), c.f.Close())
	c.cur, c.f, c.w = nil, nil, nil
	return err
}

// openCase opens a case file of a screen for appending, creating the case folder and the file
// (with its header) the first time.
func (im *importer) openCase(sc *impScreen, name string) (*os.File, error) {
	dir := study.CaseDir(im.out.tmp, sc.s.st.SessionID, sc.dir)
	if sc.files == nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		sc.files = map[string]bool{}
	}
	path := filepath.Join(dir, name)
	if sc.files[name] {
		return os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(egd.AppendHeader(nil)); err != nil {
		f.Close()
		return nil, err
	}
	sc.files[name] = true
	return f, nil
}

// ensure creates a case file with its header when no row made it.
func (im *importer) ensure(sc *impScreen, name string) error {
	if sc.files[name] {
		return nil
	}
	f, err := im.openCase(sc, name)
	if err != nil {
		return err
	}
	return f.Close()
}

// screenOfRow finds the screen a row of one of our per-screen tables names.
func (im *importer) screenOfRow(t *table, i int) (*impScreen, error) {
	s, ok := im.byPublished[t.get(i, "SESSION_ID")]
	if !ok {
		return nil, t.errf(i, "SESSION_ID %q names no session", t.get(i, "SESSION_ID"))
	}
	media, err := t.int(i, "MEDIA_ID")
	if err != nil {
		return nil, err
	}
	sc, ok := s.byKey[scrKey{int(media), t.get(i, "DICOM_ID")}]
	if !ok {
		// A published calibration screen is keyed by its published id; ours by their own.
		return nil, t.errf(i, "screen %d %s of SESSION_ID %s has no rows and is not in %s", media, t.get(i, "DICOM_ID"), s.published, ScreensFile)
	}
	return sc, nil
}

// readFilters reads filters.csv into each screen's filters.json; without it every screen gets
// the device's fixations only.
func (im *importer) readFilters() error {
	t, err := readTableFile(filepath.Join(im.src, FiltersFile), filtersHeader...)
	if err != nil {
		return err
	}
	if t == nil {
		for _, s := range im.sessions {
			for _, sc := range s.screens {
				sc.filters = map[string]string{"device": "the tracker's own fixations (fixations.csv)"}
			}
		}
		return nil
	}
	for i := range t.rows {
		sc, err := im.screenOfRow(t, i)
		if err != nil {
			return err
		}
		name := t.get(i, "filter")
		if err := checkFilterName(name); err != nil {
			return t.errf(i, "%v", err)
		}
		if t.get(i, "file") != filterFile(name) {
			return t.errf(i, "filter %s: file %q, want %q", name, t.get(i, "file"), filterFile(name))
		}
		if sc.filters == nil {
			sc.filters = map[string]string{}
		}
		if _, dup := sc.filters[name]; dup {
			return t.errf(i, "filter %s listed twice for the screen", name)
		}
		sc.filters[name] = t.get(i, "parameters")
	}
	return nil
}

// readFlat reads a table written by exporter.flat back into one JSON object per screen.
func (im *importer) readFlat(name, caseName string, extra func(t *table, i int, sc *impScreen) error) error {
	fixed := screenKey
	if name == AudioFile {
		fixed = audioFixed
	}
	t, err := readTableFile(filepath.Join(im.src, name), fixed...)
	if t == nil || err != nil {
		return err
	}
	for i := range t.rows {
		sc, err := im.screenOfRow(t, i)
		if err != nil {
			return err
		}
		obj := map[string]json.RawMessage{}
		for j, h := range t.header {
			if slices.Contains(fixed, h) {
				continue
			}
			if v := rawOf(t.rows[i][j]); v != nil {
				obj[h] = v
			} else {
				obj[h] = json.RawMessage("null")
			}
		}
		if len(obj) > 0 || name != AudioFile {
			dir := study.CaseDir(im.out.tmp, sc.s.st.SessionID, sc.dir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := writeJSONFile(filepath.Join(dir, caseName), obj); err != nil {
				return err
			}
		}
		if extra != nil {
			if err := extra(t, i, sc); err != nil {
				return err
			}
		}
	}
	return nil
}

// readAudio brings the audio and transcripts back into the case folders, and the masks into
// the study's masks/ folder. With audio.csv (a Sightline export) each of its rows names the
// folder of a screen's files; without it, audio_segmentation_transcripts/<dicom_id>/ goes to
// the first session (in the folder's order) that read the case.
func (im *importer) readAudio() error {
	claimed := map[string]bool{}
	err := im.readFlat(AudioFile, caseAudioMeta, func(t *table, i int, sc *impScreen) error {
		rel := t.get(i, "folder")
		if !filepath.IsLocal(filepath.FromSlash(rel)) || !(strings.HasPrefix(rel, TranscriptsDir+"/") || strings.HasPrefix(rel, AudioBySessionDir+"/")) {
			return t.errf(i, "folder %q is not under %s/ or %s/", rel, TranscriptsDir, AudioBySessionDir)
		}
		if claimed[rel] {
			return t.errf(i, "folder %s listed twice", rel)
		}
		claimed[rel] = true
		return im.audioFiles(filepath.Join(im.src, filepath.FromSlash(rel)), sc)
	})
	if err != nil {
		return err
	}
	root := filepath.Join(im.src, TranscriptsDir)
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		id := e.Name()
		if _, ok := im.st.Case(id); !ok {
			return fmt.Errorf("%s: %s is not in %s", filepath.Join(root, id), id, study.MasterSheet)
		}
		dir := filepath.Join(root, id)
		if err := im.masks(dir, id); err != nil {
			return err
		}
		has, err := hasAudio(dir)
		switch {
		case err != nil:
			return err
		case claimed[TranscriptsDir+"/"+id]:
			continue
		case has && exists(filepath.Join(im.src, AudioFile)):
			return fmt.Errorf("%s: audio or transcript not listed in %s", dir, AudioFile)
		}
		var to *impScreen
		for _, s := range im.sessions {
			if i := slices.IndexFunc(s.screens, func(sc *impScreen) bool { return sc.kind == session.KindCase && sc.dicomID == id }); i >= 0 {
				to = s.screens[i]
				break
			}
		}
		if has && to == nil {
			return fmt.Errorf("%s: no session read case %s, so its audio has no case folder to go to", dir, id)
		}
		if has {
			if err := im.audioFiles(dir, to); err != nil {
				return err
			}
		}
	}
	return nil
}

// hasAudio reports whether a transcripts folder holds audio or a transcript; a file that
// belongs in none of the dataset's kinds is an error (hidden files aside).
func hasAudio(dir string) (bool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	has := false
	for _, e := range ents {
		switch name := e.Name(); {
		case name == caseWAV || name == caseMP3 || name == TranscriptFile:
			has = true
		case name == TranscriptRawFile:
		case strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".png"):
		default:
			return false, fmt.Errorf("%s: unexpected file (want %s, %s, %s, %s or mask .png files)", filepath.Join(dir, name), caseWAV, caseMP3, TranscriptFile, TranscriptRawFile)
		}
	}
	return has, nil
}

// audioFiles copies a transcripts folder's audio and transcript into a screen's case folder.
// Files other than those and the masks (.png) are refused, hidden ones ignored.
func (im *importer) audioFiles(src string, sc *impScreen) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	dir := study.CaseDir(im.out.tmp, sc.s.st.SessionID, sc.dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".png"):
		case name == caseWAV || name == caseMP3 || name == TranscriptRawFile:
			if err := copyFile(filepath.Join(dir, name), filepath.Join(src, name)); err != nil {
				return err
			}
		case name == TranscriptFile:
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				return err
			}
			if b, err = transcript.Normalize(b, filepath.Join(src, name)); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, caseTranscript), b, 0o644); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: unexpected file (want %s, %s, %s, %s or mask .png files)", filepath.Join(src, name), caseWAV, caseMP3, TranscriptFile, TranscriptRawFile)
		}
	}
	return nil
}

// masks copies a transcripts folder's .png masks into the study's masks/<dicom_id>/.
func (im *importer) masks(src, id string) error {
	m, err := filepath.Glob(filepath.Join(src, "*.png"))
	if err != nil {
		return err
	}
	for _, p := range m {
		dir := im.out.path(MasksDir, id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := copyFile(filepath.Join(dir, filepath.Base(p)), p); err != nil {
			return err
		}
	}
	return nil
}

// readChecks reads calibration_checks.csv back into each session's calibrations.jsonl.
func (im *importer) readChecks() error {
	t, err := readTableFile(filepath.Join(im.src, ChecksFile), checksHeader...)
	if t == nil || err != nil {
		return err
	}
	for i := range t.rows {
		s, ok := im.byPublished[t.get(i, "SESSION_ID")]
		if !ok {
			return t.errf(i, "SESSION_ID %q names no session", t.get(i, "SESSION_ID"))
		}
		var r session.CheckReport
		round, err := t.int(i, "round")
		if err != nil {
			return err
		}
		r.Round, r.CalError, r.Validation.Verdict = int(round), t.get(i, "calibration_error"), quality.ValidationVerdict(t.get(i, "verdict"))
		for _, f := range []struct {
			col string
			dst *float64
		}{{"accuracy_deg", &r.Validation.AccuracyDeg}, {"precision_deg", &r.Validation.PrecisionDeg}, {"data_loss", &r.Validation.DataLoss}} {
			if *f.dst, err = finite(t, i, f.col); err != nil {
				return err
			}
		}
		if t.get(i, "device_ave_error_px") != "" || t.get(i, "device_valid_points") != "" {
			r.Calibration = &session.CalSummary{}
			if r.Calibration.AveErrorPx, err = finite(t, i, "device_ave_error_px"); err != nil {
				return err
			}
			n, err := t.int(i, "device_valid_points")
			if err != nil {
				return err
			}
			r.Calibration.ValidPoints = int(n)
		}
		b, err := json.Marshal(r)
		if err != nil {
			return t.errf(i, "%v", err)
		}
		s.checks = append(s.checks, b)
	}
	return nil
}

func finite(t *table, i int, col string) (float64, error) {
	x, err := strconv.ParseFloat(t.get(i, col), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, t.errf(i, "column %s: %q is not a finite number", col, t.get(i, col))
	}
	return x, nil
}

// readEvents reads events.csv back into each session's events.jsonl.
func (im *importer) readEvents() error {
	t, err := readTableFile(filepath.Join(im.src, EventsFile), eventsHeader...)
	if t == nil || err != nil {
		return err
	}
	for i := range t.rows {
		s, ok := im.byPublished[t.get(i, "SESSION_ID")]
		if !ok {
			return t.errf(i, "SESSION_ID %q names no session", t.get(i, "SESSION_ID"))
		}
		e := session.Event{Kind: t.get(i, "kind"), DicomID: t.get(i, "dicom_id"), Key: t.get(i, "key"), Message: t.get(i, "message")}
		if e.HostNS, err = t.int(i, "host_ns"); err != nil {
			return err
		}
		screen, err := t.int(i, "screen")
		if err != nil {
			return err
		}
		e.Screen = int(screen)
		if e.Wall, err = time.Parse(timeFormat, t.get(i, "wall")); err != nil {
			return t.errf(i, "column wall: %v", err)
		}
		if a := t.get(i, "attrs"); a != "" {
			if err := json.Unmarshal([]byte(a), &e.Attrs); err != nil || e.Attrs == nil {
				return t.errf(i, "column attrs: not a JSON object of strings: %q", a)
			}
		}
		b, err := json.Marshal(e)
		if err != nil {
			return t.errf(i, "%v", err)
		}
		s.events = append(s.events, b)
	}
	return nil
}

// finish gives each case folder its final name (NN-<dicom_id>, NN padded as the recorder pads
// it) and its layout.json, filters.json and header-only row files, and writes each session's
// session.json, events.jsonl and calibrations.jsonl, and the study's import.json.
func (im *importer) finish() error {
	for _, s := range im.sessions {
		sdir := s.dir(im.out)
		if err := os.MkdirAll(filepath.Join(sdir, session.CasesDir), 0o755); err != nil {
			return err
		}
		maxIndex := 0
		for _, sc := range append(slices.Clone(s.screens), s.copies...) {
			maxIndex = max(maxIndex, sc.index)
		}
		width := max(2, len(strconv.Itoa(maxIndex)))
		for _, sc := range append(slices.Clone(s.screens), s.copies...) {
			if sc.copy == 0 {
				names := []string{session.GazeFile, session.FixationFile}
				for f := range sc.filters {
					names = append(names, filterFile(f))
				}
				for _, n := range names {
					if err := im.ensure(sc, n); err != nil {
						return err
					}
				}
				if err := writeJSONFile(filepath.Join(sdir, session.CasesDir, sc.dir, session.FiltersFile), sc.filters); err != nil {
					return err
				}
				s.st.Plan = append(s.st.Plan, session.Screen{Index: sc.index, Kind: sc.kind, DicomID: sc.dicomID})
				s.st.Done = append(s.st.Done, sc.index)
				im.res.Screens++
			} else if err := errors.Join(im.ensure(sc, session.GazeFile), im.ensure(sc, session.FixationFile)); err != nil {
				return err
			}
			if sc.hasLayout {
				lf := layoutFile{Index: sc.index, Kind: sc.kind, DicomID: sc.dicomID, StageWidth: stage.Width,
					StageHeight: stage.Height, Layout: sc.layout, PublishedDicomID: sc.published}
				if err := writeJSONFile(filepath.Join(sdir, session.CasesDir, sc.dir, session.LayoutFile), lf); err != nil {
					return err
				}
			}
			final := fmt.Sprintf("%0*d-%s", width, sc.index, sc.dicomID)
			if sc.copy > 0 {
				final += interruptedSep + strconv.Itoa(sc.copy)
			}
			if final != sc.dir {
				if err := os.Rename(filepath.Join(sdir, session.CasesDir, sc.dir), filepath.Join(sdir, session.CasesDir, final)); err != nil {
					return err
				}
			}
			sc.dir = final
		}
		s.st.UpdatedWall = time.Now()
		if err := writeJSONFile(filepath.Join(sdir, session.StateFile), s.st); err != nil {
			return err
		}
		if err := writeLines(filepath.Join(sdir, session.EventsFile), s.events); err != nil {
			return err
		}
		if len(s.checks) > 0 {
			if err := writeLines(filepath.Join(sdir, session.ChecksFile), s.checks); err != nil {
				return err
			}
		}
	}
	src, _ := filepath.Abs(im.src)
	return writeJSONFile(im.out.path(ImportRecord), struct {
		Source   string            `json:"source"`
		Imported time.Time         `json:"imported_wall"`
		Sessions []ImportedSession `json:"sessions"`
		Renamed  []Renamed         `json:"renamed_calibration_screens,omitempty"`
	}{src, time.Now(), im.res.Sessions, im.res.Renamed})
}

func writeLines(path string, lines [][]byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.Write(l)
		w.WriteByte('\n')
	}
	return errors.Join(w.Flush(), f.Close())
}
