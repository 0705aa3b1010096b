package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"sightline/reader/atomicfile"
	"sightline/reader/egd"
	"sightline/reader/stage"
	"sightline/tracker"
)

// Files and folders of a session folder.
const (
	StateFile    = "session.json"
	EventsFile   = "events.jsonl"
	ChecksFile   = "calibrations.jsonl" // one calibration/validation report per line
	CasesDir     = "cases"
	GazeFile     = "eye_gaze.csv"
	FixationFile = "fixations.csv"
	LayoutFile   = "layout.json"
	FiltersFile  = "filters.json" // the fixation filters of a case and their parameters
	QualityFile  = "quality.json" // the case's quality gate verdict
	// PausedPrefix names the folders beside a case's files that hold its paused stretches
	// (paused-1, paused-2, …): the gaze, fixations and audio of the time the reader was not
	// reading it (the pause overlay, a recalibration).
	PausedPrefix = "paused-"
)

// Session statuses in session.json.
const (
	StatusRecording = "recording"
	StatusComplete  = "complete"
	// StatusEnded: the session was ended before its plan was done (the reader, the window, a
	// signal, a failed write); State.EndReason says why. A later session of the same reader
	// continues it (Continue).
	StatusEnded = "ended"
	// StatusEndedEarly is what sessions recorded before StatusEnded said; readers accept it.
	StatusEndedEarly = "ended early"
)

// FlushEvery is the longest time rows wait in memory before they are written to the kernel (and
// fsynced, on a goroutine of their own: see syncer).
const FlushEvery = time.Second

// flushBytes writes rows out (without fsync) before the buffer grows past it.
const flushBytes = 256 << 10

// Errors callers branch on.
var (
	ErrExists   = errors.New("folder already holds a session")
	ErrNoScreen = errors.New("no screen is shown")
	ErrClosed   = errors.New("session is closed")
)

// Meta describes a session; it is written into session.json.
type Meta struct {
	SessionID      string    `json:"session_id"`
	Reader         string    `json:"reader"`
	Seed           int64     `json:"seed"`
	CalibEvery     int       `json:"calib_every"`
	StudyDir       string    `json:"study_dir"`
	Tracker        string    `json:"tracker"`
	TrackerRate    float64   `json:"tracker_rate_hz"`
	FixationFilter string    `json:"fixation_filter"` // filter and parameters, e.g. "device" or "I-DT 1° 100 ms"
	Plan           []Screen  `json:"plan"`
	StartedWall    time.Time `json:"started_wall"`
	// ClockOriginNS is CLOCK_MONOTONIC at the session's start, and BootID the kernel's boot id:
	// host times are CLOCK_MONOTONIC minus the origin, so a session resumed after a crash (same
	// boot) keeps one clock.
	ClockOriginNS int64  `json:"clock_origin_monotonic_ns,omitempty"`
	BootID        string `json:"boot_id,omitempty"`
	// Audio says how dictation is recorded: the device, or "none: <why>" for gaze only.
	Audio string `json:"audio,omitempty"`
	// TrackerTiming is what the session learnt of the tracker's timing (sync marker round trips,
	// device clock steps back, fields its records lack); updated at every screen boundary.
	TrackerTiming *TrackerTiming `json:"tracker_timing,omitempty"`
}

// TrackerTiming is session.json's "tracker_timing".
type TrackerTiming struct {
	// MarkersSent counts the USER_DATA sync markers sent; MarkersEchoed those seen again in the
	// USER field of a record. A marker's latency is the host time its record arrived minus the
	// host time it was sent: the device's buffering, one sampling period and the link, both ways.
	MarkersSent     int     `json:"markers_sent"`
	MarkersEchoed   int     `json:"markers_echoed"`
	LatencyMedianMS float64 `json:"latency_median_ms,omitempty"`
	LatencyP95MS    float64 `json:"latency_p95_ms,omitempty"`
	LatencyMaxMS    float64 `json:"latency_max_ms,omitempty"`
	// Note says why there is no latency, when there is none.
	Note string `json:"note,omitempty"`
	// TimeBackwards counts the records whose device TIME or TIME_TICK went back (each is
	// journalled as device_time_backwards).
	TimeBackwards int `json:"device_time_backwards"`
	// AbsentFields are the device fields some record lacked (written as empty cells).
	AbsentFields []string `json:"absent_fields,omitempty"`
}

// NoteTracker keeps t for session.json, written at the next screen boundary or at Close.
func (r *Recorder) NoteTracker(t TrackerTiming) {
	r.st.TrackerTiming = &t
}

// State is the content of session.json: the meta and how far the session got.
type State struct {
	Meta
	Status      string     `json:"status"`
	Screen      int        `json:"screen"`                // index of the screen shown now, −1 between screens
	Done        []int      `json:"done"`                  // indexes of the screens ended, in order
	Interrupted []int      `json:"interrupted,omitempty"` // screens cut off by a crash, read again on resume
	Resumed     int        `json:"resumed,omitempty"`     // times the session was resumed or continued
	EndReason   string     `json:"end_reason,omitempty"`  // why an "ended" session ended
	UpdatedWall time.Time  `json:"updated_wall"`
	EndedWall   *time.Time `json:"ended_wall,omitempty"`
}

// Event is one line of events.jsonl.
type Event struct {
	HostNS  int64             `json:"host_ns"` // host monotonic time since the session's clock origin
	Wall    time.Time         `json:"wall"`
	Kind    string            `json:"kind"`
	Screen  int               `json:"screen"` // −1 between screens
	DicomID string            `json:"dicom_id,omitempty"`
	Key     string            `json:"key,omitempty"`
	Message string            `json:"message,omitempty"`
	Attrs   map[string]string `json:"attrs,omitempty"`
}

// Event kinds the recorder writes itself.
const (
	EventScreenShown  = "screen_shown"
	EventScreenEnded  = "screen_ended"
	EventUserData     = "user_data" // a tracker sync marker (Sample.User) seen in the gaze stream
	EventClosed       = "session_closed"
	EventPlanExtended = "plan_extended"
)

// Recorder records one session into its folder. Rows are kept in memory and written, whole, at
// least every FlushEvery (checked on every write, and by Flush, which the caller may tick), and
// when a screen ends: a crash costs at most the last second. Events are written as they come.
//
// A Recorder is not safe for concurrent use: one goroutine owns it and makes every call.
type Recorder struct {
	dir       string
	st        State
	events    *os.File
	now       func() time.Time
	lastFlush time.Time
	lastHost  time.Duration
	lastUser  string
	cur       *screen
	lags      lagWindow // the tracker's arrival lag, for placing each case's Time zero
	closed    bool
	lock      *os.File // flock held while recording (see LockFile)
	sync      *syncer
	// full is set at the first write that failed for want of space (ENOSPC): the reserve is
	// freed for the files that say what happened (quality.json, the journal, session.json),
	// and rows still in memory are dropped, never written in part. lostRows counts them.
	full     bool
	lostRows int
}

// ReserveFile is a file of ReserveBytes the recorder keeps in the session folder while it
// records and deletes when the disk fills, so that the case can still be closed and the
// session ended as "disk full" (the journal, quality.json, session.json need a few blocks).
// Finish removes it.
const ReserveFile = ".disk-reserve"

// ReserveBytes is the size of ReserveFile: a few blocks for each closing write.
const ReserveBytes = 64 << 10

// reserve writes ReserveFile (fsynced): its blocks are the room kept for a full disk.
func (r *Recorder) reserve() error {
	return atomicfile.WriteBytes(filepath.Join(r.dir, ReserveFile), make([]byte, ReserveBytes))
}

// noteFull looks at err: the first write that found the disk full frees the reserve and drops
// the rows still in memory (a file keeps its whole rows only). It returns err.
func (r *Recorder) noteFull(err error) error {
	if err == nil || r.full || !errors.Is(err, syscall.ENOSPC) {
		return err
	}
	r.full = true
	_ = os.Remove(filepath.Join(r.dir, ReserveFile))
	r.dropRows()
	return err
}

// dropRows forgets the rows still in memory (once the disk is full), counting them.
func (r *Recorder) dropRows() {
	c := r.cur
	if c == nil {
		return
	}
	files := []*rowFile{&c.gaze, &c.fix}
	if a := c.aside; a != nil {
		files = append(files, &a.gaze, &a.fix)
	}
	for _, f := range files {
		r.lostRows += bytes.Count(f.buf, []byte{'\n'})
		f.buf = f.buf[:0]
	}
}

// screen is the screen being recorded.
type screen struct {
	sc        Screen
	layout    stage.Layout
	dir       string
	gaze, fix rowFile
	hasOrigin bool
	filters   map[string]string // fixation filter name → parameters, written to filters.json
	t0        float64           // device seconds at the screen's onset: its rows' Time zero
	cnt0      int64             // device counter of the screen's first sample
	onset     time.Duration     // session-clock time the image was asked for (BeginScreen)
	layoutRec LayoutRecord      // its layout.json as written
	// aside is the paused stretch being recorded beside the case (BeginAside), nil while the
	// case is read; asides counts them, naming their folders.
	aside  *asideFiles
	asides int
}

// asideFiles are the row files of a paused stretch of a case: cases/NN-<id>/paused-K/.
type asideFiles struct {
	dir       string
	gaze, fix rowFile
}

// rows are the files a sample goes to now: the paused stretch's while one is open.
func (s *screen) rows() (gaze, fix *rowFile) {
	if s.aside != nil {
		return &s.aside.gaze, &s.aside.fix
	}
	return &s.gaze, &s.fix
}

// rowFile is a CSV file fed whole rows; buf only ever holds whole rows, and so does the file:
// size is its length, at a row's end.
type rowFile struct {
	f    *os.File
	name string
	buf  []byte
	size int64
}

// Create starts a session in dir: it creates the folder, refuses one that already holds a
// session (ErrExists), writes session.json with status "recording" (fsynced: an unwritable
// folder fails here, naming it) and opens the event journal.
func Create(dir string, meta Meta) (*Recorder, error) {
	if meta.SessionID == "" {
		return nil, errors.New("create session: empty session id")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create session folder %s: %w", dir, err)
	}
	for _, name := range []string{StateFile, EventsFile, CasesDir} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return nil, fmt.Errorf("create session in %s: %w (%s exists)", dir, ErrExists, name)
		}
	}
	r := &Recorder{dir: dir, now: time.Now}
	now := r.now()
	if meta.StartedWall.IsZero() {
		meta.StartedWall = now
	}
	r.st = State{Meta: meta, Status: StatusRecording, Screen: -1, Done: []int{}}
	if err := r.writeState(); err != nil {
		return nil, fmt.Errorf("session folder %s is not writable: %w", dir, err)
	}
	if err := r.reserve(); err != nil {
		return nil, fmt.Errorf("session folder %s: keep %d KiB for a full disk: %w", dir, ReserveBytes>>10, err)
	}
	lk, err := lock(dir)
	if err != nil {
		return nil, err
	}
	r.lock = lk
	name := filepath.Join(dir, EventsFile)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		lk.Close()
		return nil, fmt.Errorf("open event journal: %w", err)
	}
	r.events = f
	r.lastFlush = now
	r.sync = newSyncer()
	return r, nil
}

// Dir is the session folder.
func (r *Recorder) Dir() string { return r.dir }

// State is what session.json says now.
func (r *Recorder) State() State {
	st := r.st
	st.Done = slices.Clone(st.Done)
	return st
}

// BeginScreen starts recording screen sc, drawn with layout l, whose onset on the session clock
// is host (the time its image was asked for: the space press): it creates
// cases/<NN>-<dicom_id>/ with eye_gaze.csv and fixations.csv (header only) and layout.json,
// journals a screen_shown event and records the screen in session.json. The previous screen
// must have been ended. When the meta holds a plan, sc must be the plan's screen at sc.Index.
// Its errors say the step that failed, not the screen: the caller names that.
func (r *Recorder) BeginScreen(sc Screen, l stage.Layout, host time.Duration) error {
	if r.closed {
		return ErrClosed
	}
	if r.cur != nil {
		return fmt.Errorf("screen %d is still shown", r.cur.sc.Index)
	}
	if sc.Kind != KindCase && sc.Kind != KindCalibration {
		return fmt.Errorf("kind %q, want %q or %q", sc.Kind, KindCase, KindCalibration)
	}
	if err := checkName(sc.DicomID); err != nil {
		return err
	}
	if p := r.st.Plan; len(p) > 0 && (sc.Index < 0 || sc.Index >= len(p) || p[sc.Index] != sc) {
		return fmt.Errorf("%s at index %d is not the plan's screen", sc.DicomID, sc.Index)
	}
	width := max(2, len(strconv.Itoa(len(r.st.Plan)-1)))
	dir := filepath.Join(r.dir, CasesDir, fmt.Sprintf("%0*d-%s", width, sc.Index, sc.DicomID))
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create cases folder: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("create case folder: %w", err)
	}
	s := &screen{sc: sc, layout: l, dir: dir, onset: host, filters: map[string]string{"device": "the tracker's own fixations (fixations.csv)"}}
	var err error
	if s.gaze, err = openRows(dir, GazeFile); err == nil {
		if s.fix, err = openRows(dir, FixationFile); err != nil {
			s.gaze.f.Close()
		}
	}
	if err != nil {
		return err
	}
	lj := LayoutRecord{Index: sc.Index, Kind: sc.Kind, DicomID: sc.DicomID, StageWidth: stage.Width, StageHeight: stage.Height, Layout: l,
		OnsetHostNS: int64(host), TimeZero: TimeZeroOnset}
	if err := writeJSON(filepath.Join(dir, LayoutFile), lj); err != nil {
		s.gaze.f.Close()
		s.fix.f.Close()
		return fmt.Errorf("write %s: %w", LayoutFile, err)
	}
	s.layoutRec = lj
	r.cur = s
	r.lastHost = max(r.lastHost, host)
	r.st.Screen = sc.Index
	err = r.Event(host, EventScreenShown, map[string]string{"kind": string(sc.Kind), "layout": fmt.Sprintf(
		"%dx%d pads top %d bottom %d left %d right %d", l.W, l.H, l.Top, l.Bottom, l.Left, l.Right)})
	return errors.Join(err, r.writeStateErr())
}

// ScreenSwapped adds to the open screen's layout.json how long after its onset its image was
// on the reader's screen (swap_delay_ms): known only once the view has swapped it in.
func (r *Recorder) ScreenSwapped(delay time.Duration) error {
	if err := r.usable(); err != nil {
		return err
	}
	lj := r.cur.layoutRec
	ms := float64(delay.Microseconds()) / 1000
	lj.SwapDelayMS = &ms
	if err := writeJSON(filepath.Join(r.cur.dir, LayoutFile), lj); err != nil {
		return r.noteFull(fmt.Errorf("write %s: %w", LayoutFile, err))
	}
	r.cur.layoutRec = lj
	return nil
}

// openRows creates a row file and writes its header straight through, so that even a file cut
// short by a crash has one.
func openRows(dir, name string) (rowFile, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		return rowFile{}, fmt.Errorf("create %s: %w", name, err)
	}
	head := egd.AppendHeader(nil)
	if _, err := f.Write(head); err != nil {
		f.Close()
		return rowFile{}, fmt.Errorf("write %s header: %w", name, err)
	}
	return rowFile{f: f, name: name, buf: make([]byte, 0, 64<<10), size: int64(len(head))}, nil
}

// Gaze records a sample as a row of the screen's eye_gaze.csv, or returns ErrNoScreen between
// screens. The first sample (gaze or fixation) of a screen sets its origin: CNT and Time are
// relative to it (they restart per image, docs/FORMATS.md §1), TIMETICK is the device tick at 10 MHz
// and does not restart. X_ORIGINAL/Y_ORIGINAL map FPOGX/FPOGY (the fixation point, not BPOG)
// through the layout, in both files, as the reference dataset did; −1 outside the image. A
// change of the sample's USER sync marker is journalled as a user_data event.
func (r *Recorder) Gaze(s tracker.Sample) error {
	if err := r.usable(); err != nil {
		return err
	}
	if s.User != r.lastUser {
		r.lastUser = s.User
		if s.User != "" {
			if err := r.Event(s.Host, EventUserData, map[string]string{"message": s.User}); err != nil {
				return err
			}
		}
	}
	row := r.row(s)
	g, _ := r.cur.rows()
	g.buf = egd.AppendRow(g.buf, &row)
	return r.noteFull(r.afterWrite(g))
}

// Fixation records a fixation as a row of the screen's fixations.csv: s is the fixation's last
// sample, with its FPOG* fields set and s.Time = FPOGS + FPOGD in device seconds. FPOGS is made
// relative to the screen's origin like Time (in eye_gaze.csv too), so that Time = FPOGS + FPOGD
// holds in the row; a fixation begun before the screen has a negative FPOGS.
func (r *Recorder) Fixation(s tracker.Sample) error {
	if err := r.usable(); err != nil {
		return err
	}
	row := r.row(s)
	_, f := r.cur.rows()
	f.buf = egd.AppendRow(f.buf, &row)
	return r.noteFull(r.afterWrite(f))
}

func (r *Recorder) usable() error {
	if r.closed {
		return ErrClosed
	}
	if r.cur == nil {
		return ErrNoScreen
	}
	return nil
}

// FilterFixations writes the current screen's fixations from one of our own filters (run on
// the raw samples when the case closes) to fixations_<name>.csv, in the same 37 columns as the
// device's fixations.csv, and records the filter's parameters beside it in filters.json.
func (r *Recorder) FilterFixations(name, params string, rows []tracker.Sample) error {
	if err := r.usable(); err != nil {
		return err
	}
	if err := checkName(name); err != nil {
		return fmt.Errorf("filter name: %w", err)
	}
	if r.full {
		// The reserve is for the files that close the case; these rows can be made again
		// from eye_gaze.csv.
		return r.Event(r.lastHost, "filter_not_written", map[string]string{"filter": name, "reason": "disk full"})
	}
	c := r.cur
	f, err := openRows(c.dir, "fixations_"+name+".csv")
	if err != nil {
		return err
	}
	for i := range rows {
		row := r.row(rows[i])
		f.buf = egd.AppendRow(f.buf, &row)
	}
	err = errors.Join(f.sync(), f.f.Close())
	if err != nil {
		return r.noteFull(err)
	}
	c.filters[name] = params
	return writeJSON(filepath.Join(c.dir, FiltersFile), c.filters)
}

// BeginAside sets the open case's recording aside: until EndAside, its gaze and fixation rows
// go to a folder of their own beside the case's files, cases/NN-<id>/paused-K/ (K from 1), in
// the same columns and time base, so that the case's own files hold reading time only. The
// caller journals why (a pause, a recalibration). It returns the folder.
func (r *Recorder) BeginAside(host time.Duration) (string, error) {
	if err := r.usable(); err != nil {
		return "", err
	}
	c := r.cur
	if c.aside != nil {
		return c.aside.dir, nil
	}
	// The case's rows so far reach the kernel before its files go quiet.
	if err := errors.Join(c.gaze.write(), c.fix.write()); err != nil {
		return "", err
	}
	dir := filepath.Join(c.dir, fmt.Sprintf("%s%d", PausedPrefix, c.asides+1))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("session: set the case aside: %w", err)
	}
	a := &asideFiles{dir: dir}
	var err error
	if a.gaze, err = openRows(dir, GazeFile); err == nil {
		if a.fix, err = openRows(dir, FixationFile); err != nil {
			a.gaze.f.Close()
		}
	}
	if err != nil {
		return "", fmt.Errorf("session: set the case aside: %w", err)
	}
	c.asides++
	c.aside = a
	r.lastHost = max(r.lastHost, host)
	return dir, nil
}

// EndAside closes the paused stretch's files (written out and fsynced): the case's rows go to
// its own files again. Without a stretch open it does nothing.
func (r *Recorder) EndAside(host time.Duration) error {
	if err := r.usable(); err != nil {
		return err
	}
	a := r.cur.aside
	if a == nil {
		return nil
	}
	if r.full {
		r.dropRows()
	}
	r.cur.aside = nil
	r.lastHost = max(r.lastHost, host)
	errs := []error{r.noteFull(errors.Join(a.gaze.sync(), a.fix.sync()))}
	for _, f := range []*rowFile{&a.gaze, &a.fix} {
		if err := f.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("session: close %s: %w", filepath.Join(filepath.Base(a.dir), f.name), err))
		}
	}
	return errors.Join(errs...)
}

// ScreenDir is the open screen's folder ("" between screens).
func (r *Recorder) ScreenDir() string {
	if r.cur == nil {
		return ""
	}
	return r.cur.dir
}

// ExtendPlan appends screens to the plan (cases read again at the end of the session); their
// indexes continue the plan's.
func (r *Recorder) ExtendPlan(screens []Screen) error {
	if r.closed {
		return ErrClosed
	}
	for i, sc := range screens {
		if sc.Index != len(r.st.Plan)+i {
			return fmt.Errorf("extend plan: screen %s has index %d, want %d", sc.DicomID, sc.Index, len(r.st.Plan)+i)
		}
		if err := checkName(sc.DicomID); err != nil {
			return fmt.Errorf("extend plan: %w", err)
		}
	}
	r.st.Plan = append(r.st.Plan, screens...)
	if err := r.writeState(); err != nil {
		return fmt.Errorf("extend plan: %w", err)
	}
	return r.Event(r.lastHost, EventPlanExtended, map[string]string{"screens": strconv.Itoa(len(screens))})
}

// CaseQuality writes the open screen's quality record to quality.json.
func (r *Recorder) CaseQuality(q Quality) error {
	if err := r.usable(); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(r.cur.dir, QualityFile), q); err != nil {
		return r.noteFull(fmt.Errorf("write %s: %w", QualityFile, err))
	}
	return nil
}

func (r *Recorder) row(s tracker.Sample) egd.RowFields {
	c := r.cur
	r.lastHost = max(r.lastHost, s.Host)
	lag := r.lags.add(s)
	if !c.hasOrigin {
		// Time's zero is the onset: the device time of a sample taken then, through the
		// smallest arrival lag of the last samples (the link's jitter only ever delays).
		c.hasOrigin, c.cnt0 = true, s.CNT
		// The shift is rounded to 0.1 ms so that the device's decimals stay (a Gazepoint
		// gives 5): an error of at most 50 µs.
		c.t0 = s.Time - math.Round((s.Host-c.onset-lag).Seconds()*1e4)/1e4
		if s.Host < c.onset {
			// Stamped before the onset (a caller without a session clock): anchor on it.
			c.t0 = s.Time
		}
	}
	x, y, _ := c.layout.ToDICOM(s.FPOGX, s.FPOGY)
	s.FPOGS = c.rel(s.FPOGS) // same time base as Time, in both files, as on a Gazepoint
	return egd.RowFields{
		SessionID: r.st.SessionID,
		MediaID:   c.sc.Index,
		DicomID:   c.sc.DicomID,
		CNT:       s.CNT - c.cnt0,
		Time:      c.rel(s.Time),
		TimeTick:  egd.Tick10MHz(s.TimeTick, s.TickFreq),
		Sample:    s,
		XOriginal: x,
		YOriginal: y,
	}
}

// lagWindow keeps the tracker's arrival lag (host time minus device time, the clocks' offset
// plus the link's latency) over the last lagSpan of samples; its minimum is the lag of a sample
// that met no queue, which places the device clock on the session clock.
type lagWindow struct {
	q []lagPoint // increasing lag, increasing host: a monotone queue for the sliding minimum
}

type lagPoint struct {
	host, lag time.Duration
}

// lagSpan is how far back the smallest lag is looked for: long enough to meet an unqueued
// sample, short enough that the two clocks' drift (tens of ppm) stays far below a millisecond.
const lagSpan = 10 * time.Second

// add records s and returns how much more than the window's smallest lag s arrived with.
// A device clock that steps (a reset, a reconnect) starts the window again.
func (w *lagWindow) add(s tracker.Sample) time.Duration {
	p := lagPoint{host: s.Host, lag: s.Host - time.Duration(math.Round(s.Time*1e9))}
	if n := len(w.q); n > 0 && (p.lag-w.q[0].lag > time.Second || w.q[0].lag-p.lag > time.Second) {
		w.q = w.q[:0]
	}
	for len(w.q) > 0 && w.q[len(w.q)-1].lag >= p.lag {
		w.q = w.q[:len(w.q)-1]
	}
	w.q = append(w.q, p)
	for len(w.q) > 1 && w.q[0].host < p.host-lagSpan {
		w.q = w.q[1:]
	}
	return p.lag - w.q[0].lag
}

// rel makes a device time relative to the screen's origin, rounded to 100 ns (the TIMETICK
// resolution) so that the subtraction's float noise does not show: device times given in
// decimals (Gazepoint: 5) stay those decimals, and FPOGS + FPOGD = Time keeps holding.
func (s *screen) rel(t float64) float64 {
	return math.Round((t-s.t0)*1e7) / 1e7
}

// afterWrite writes rows out when the buffer is large, and flushes when FlushEvery has passed.
func (r *Recorder) afterWrite(f *rowFile) error {
	if r.now().Sub(r.lastFlush) >= FlushEvery {
		return r.Flush()
	}
	if len(f.buf) >= flushBytes {
		return f.write()
	}
	return nil
}

// write hands the buffered rows to the file in one call. On a short write (a full disk) the
// file is cut back to the last whole row written and the rest stays buffered, so that rows stay
// whole and in order in the file and in memory.
func (f *rowFile) write() error {
	if len(f.buf) == 0 {
		return nil
	}
	n, err := f.f.Write(f.buf)
	whole := n
	if err != nil {
		whole = bytes.LastIndexByte(f.buf[:n], '\n') + 1
		if whole < n {
			if terr := f.f.Truncate(f.size + int64(whole)); terr != nil {
				err = errors.Join(err, fmt.Errorf("cut the torn row: %w", terr))
			}
		}
	}
	f.size += int64(whole)
	f.buf = f.buf[:copy(f.buf, f.buf[whole:])]
	if err != nil {
		return fmt.Errorf("write %s row: %w", f.name, err)
	}
	return nil
}

func (f *rowFile) sync() error {
	if err := f.write(); err != nil {
		return err
	}
	if err := f.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", f.name, err)
	}
	return nil
}

// Flush writes the buffered rows of the current screen and fsyncs them and the event journal.
func (r *Recorder) Flush() error {
	if r.closed {
		return ErrClosed
	}
	r.lastFlush = r.now()
	if r.full {
		r.dropRows()
	}
	// Rows go to the kernel here; the fsync follows on the syncer's goroutine.
	errs := []error{r.sync.failure()}
	files := []*os.File{r.events}
	if c := r.cur; c != nil {
		errs = append(errs, c.gaze.write(), c.fix.write())
		files = append(files, c.gaze.f, c.fix.f)
		if a := c.aside; a != nil {
			errs = append(errs, a.gaze.write(), a.fix.write())
			files = append(files, a.gaze.f, a.fix.f)
		}
	}
	r.sync.request(files)
	return r.noteFull(errors.Join(errs...))
}

// SaveCheck appends a calibration/validation report to calibrations.jsonl and syncs it:
// reports are rare and each one matters.
func (r *Recorder) SaveCheck(report CheckReport) (err error) {
	if r.closed {
		return ErrClosed
	}
	b, err := json.Marshal(report)
	if err != nil {
		return fmt.Errorf("encode calibration report: %w", err)
	}
	path := filepath.Join(r.dir, ChecksFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", path, cerr)
		}
	}()
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// Event journals an event at host time on the current screen (−1 between screens). The attrs
// "key" and "message" fill the event's Key and Message; the others are kept as Attrs. Each event
// is one write of one whole line.
func (r *Recorder) Event(host time.Duration, kind string, attrs map[string]string) error {
	if r.closed {
		return ErrClosed
	}
	r.lastHost = max(r.lastHost, host)
	e := Event{HostNS: int64(host), Wall: r.now(), Kind: kind, Screen: -1}
	if r.cur != nil {
		e.Screen, e.DicomID = r.cur.sc.Index, r.cur.sc.DicomID
	}
	for k, v := range attrs {
		switch k {
		case "key":
			e.Key = v
		case "message":
			e.Message = v
		default:
			if e.Attrs == nil {
				e.Attrs = make(map[string]string, len(attrs))
			}
			e.Attrs[k] = v
		}
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", kind, err)
	}
	if _, err := r.events.Write(append(b, '\n')); err != nil {
		return r.noteFull(fmt.Errorf("write %s event: %w", kind, err))
	}
	return nil
}

// EndScreen writes out, fsyncs and closes the screen's files, journals screen_ended and records
// the screen as done in session.json.
func (r *Recorder) EndScreen(host time.Duration) error {
	if err := r.usable(); err != nil {
		return err
	}
	c := r.cur
	var errs []error
	if c.aside != nil {
		errs = append(errs, r.EndAside(host))
	}
	if r.full {
		r.dropRows() // the case closes with the whole rows already written
	}
	errs = append(errs, r.noteFull(errors.Join(c.gaze.sync(), c.fix.sync())))
	for _, f := range []*rowFile{&c.gaze, &c.fix} {
		if err := f.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", f.name, err))
		}
	}
	errs = append(errs, r.Event(host, EventScreenEnded, nil))
	r.cur = nil
	r.st.Screen = -1
	r.st.Done = append(r.st.Done, c.sc.Index)
	errs = append(errs, r.writeStateErr())
	return errors.Join(errs...)
}

// Close ends the session with status StatusComplete or StatusEnded (no reason given).
func (r *Recorder) Close(status string) error { return r.Finish(status, "") }

// Finish ends the session with status StatusComplete, or StatusEnded and the reason: it ends the
// screen still shown, journals session_closed (at the latest host time seen), closes the journal,
// writes the final session.json and releases the lock.
func (r *Recorder) Finish(status, reason string) error {
	if r.closed {
		return ErrClosed
	}
	if status != StatusComplete && status != StatusEnded {
		return fmt.Errorf("close: status %q, want %q or %q", status, StatusComplete, StatusEnded)
	}
	var errs []error
	if r.cur != nil {
		errs = append(errs, r.EndScreen(r.lastHost))
	}
	attrs := map[string]string{"message": status}
	if reason != "" {
		attrs["reason"] = reason
	}
	if r.full {
		attrs["disk_full"] = "true"
		attrs["rows_lost"] = strconv.Itoa(r.lostRows) // in memory when the disk filled
	}
	errs = append(errs, r.Event(r.lastHost, EventClosed, attrs))
	if err := r.events.Sync(); err != nil {
		errs = append(errs, fmt.Errorf("sync %s: %w", EventsFile, err))
	}
	if err := r.events.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close %s: %w", EventsFile, err))
	}
	r.closed = true
	r.sync.stop()
	errs = append(errs, r.sync.failure())
	end := r.now()
	r.st.Status, r.st.EndedWall, r.st.EndReason = status, &end, ""
	if status == StatusEnded {
		r.st.EndReason = reason
	}
	errs = append(errs, r.writeStateErr())
	if err := os.Remove(filepath.Join(r.dir, ReserveFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove %s: %w", ReserveFile, err))
	}
	if r.lock != nil {
		r.lock.Close() // releases the flock
	}
	return errors.Join(errs...)
}

func (r *Recorder) writeStateErr() error {
	if err := r.writeState(); err != nil {
		return fmt.Errorf("write %s: %w", StateFile, err)
	}
	return nil
}

func (r *Recorder) writeState() error {
	r.st.UpdatedWall = r.now()
	return writeJSON(filepath.Join(r.dir, StateFile), r.st)
}

// Finished reports whether the session was closed (complete, or ended before its plan was done).
func (st State) Finished() bool {
	return st.Status == StatusComplete || st.Status == StatusEnded || st.Status == StatusEndedEarly
}

// ReadState reads the session.json of a session folder.
func ReadState(dir string) (State, error) {
	var st State
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", filepath.Join(dir, StateFile), err)
	}
	return st, nil
}

// ReadEvents reads an event journal line by line. A last line without its newline (a write cut
// by a crash) is skipped; any other malformed line is an error naming it.
func ReadEvents(rd io.Reader, name string, fn func(line int, e Event) error) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	for i := 1; len(b) > 0; i++ {
		j := bytes.IndexByte(b, '\n')
		if j < 0 {
			return nil // torn last line
		}
		var e Event
		if err := json.Unmarshal(b[:j], &e); err != nil {
			return fmt.Errorf("%s:%d: %w", name, i, err)
		}
		if err := fn(i, e); err != nil {
			return fmt.Errorf("%s:%d: %w", name, i, err)
		}
		b = b[j+1:]
	}
	return nil
}

// checkName refuses a screen id that cannot name a folder.
func checkName(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) || strings.ContainsFunc(id, unicode.IsControl) {
		return fmt.Errorf("dicom id %q cannot name a folder", id)
	}
	return nil
}

// writeJSON writes v to path atomically: a temporary sibling, fsynced, renamed, folder fsynced.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(b, '\n'))
}
