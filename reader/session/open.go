package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sightline/reader/egd"
	"sightline/reader/stage"
	"sightline/reader/transcript"
	"sightline/reader/wav"
)

// InterruptedSep joins a case folder's name and the number of its interrupted copy:
// "<NN>-<dicom_id>.interrupted-<K>" (see Resume).
const InterruptedSep = ".interrupted-"

// LayoutRecord is a case folder's layout.json: the screen and where its image was drawn.
// stage.Layout is embedded without tags ("W", "H", "Top", …), as written since the first
// sessions. PublishedDicomID is the id a screen had in a published dataset when import renamed
// it.
type LayoutRecord struct {
	Index       int    `json:"index"`
	Kind        Kind   `json:"kind"`
	DicomID     string `json:"dicom_id"`
	StageWidth  int    `json:"stage_width"`
	StageHeight int    `json:"stage_height"`
	stage.Layout
	PublishedDicomID string `json:"published_dicom_id,omitempty"`
	// OnsetHostNS is the case's onset on the session clock (ns): when its image was asked for
	// (the space press), the zero of its rows' Time and of its audio.wav. TimeZero says so
	// ("onset"); layouts written before it lack both, and their Time counts from the first
	// sample, which arrived after the previous screen's screen_ended (see qa.Load).
	OnsetHostNS int64  `json:"onset_host_ns,omitempty"`
	TimeZero    string `json:"time_zero,omitempty"`
	// SwapDelayMS is how long after the onset the image was on screen (the view's swap),
	// written once the swap has happened; absent: not measured (a screen ended first, or a
	// session recorded before it was).
	SwapDelayMS *float64 `json:"swap_delay_ms,omitempty"`
}

// TimeZeroOnset is LayoutRecord.TimeZero of a case whose Time column counts from its onset.
const TimeZeroOnset = "onset"

// Onset is the case's onset on the session clock, and false for a layout written before
// onsets were recorded.
func (l LayoutRecord) Onset() (time.Duration, bool) {
	if l.TimeZero != TimeZeroOnset {
		return 0, false
	}
	return time.Duration(l.OnsetHostNS), true
}

// ProblemKind sorts the problems Open finds, for a reviewer to filter on.
type ProblemKind string

// Problem kinds.
const (
	ProblemLive        ProblemKind = "recording"   // the session is being recorded now: a snapshot
	ProblemInterrupted ProblemKind = "interrupted" // cut off by a crash (a session, a screen, a copy)
	ProblemMissing     ProblemKind = "missing"     // a file the folder should hold is not there
	ProblemMalformed   ProblemKind = "malformed"   // a file that does not parse
	ProblemRow         ProblemKind = "row"         // one bad row or line; the others read
	ProblemAudio       ProblemKind = "audio"       // the audio is cut off, incomplete or absent
)

// Problem is something wrong with a session folder, named by file (relative to the session
// folder) and line where it has one. A problem never stops the rest from being read.
type Problem struct {
	Kind    ProblemKind
	File    string // relative to the session folder; "" for the session as a whole
	Line    int    // 0: the file as a whole
	Message string
}

func (p Problem) String() string {
	switch {
	case p.File == "":
		return p.Message
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return p.File + ": " + p.Message
}

// Opened is a session folder opened for reading: a snapshot that Open never writes to.
// Everything small is read by Open; rows are read on demand (Case.ReadRows).
type Opened struct {
	Dir   string
	State State
	// Live is set when another process holds the session's lock: it is being recorded, and
	// the snapshot may already be behind.
	Live bool
	// Events are the journal's whole lines; Checks the calibration reports, in order.
	Events []Event
	Checks []CheckReport
	// Cases are the screens read, calibration screens and re-reads included, in reading
	// order (session.json's done list; screens it does not list follow by index).
	Cases []*Case
	// Problems are the session's own (its state, journal, checks, unreadable folders); each
	// case holds its own.
	Problems []Problem
}

// Case is one case folder: a screen as read, or (Copy > 0) an interrupted copy of one.
type Case struct {
	Dir    string // the folder
	Name   string // its name under cases/
	Screen Screen
	Copy   int // K of "<case>.interrupted-K"; 0 for the screen as read
	// Layout is layout.json; HasLayout is false when it is missing or unreadable (an
	// interrupted copy made just before the crash).
	Layout    LayoutRecord
	HasLayout bool
	Filters   map[string]string // filters.json: fixation filter → parameters
	Quality   *Quality          // quality.json; nil when the case has none
	Audio     *CaseAudio        // nil: no audio.wav, audio.json or audio.mp3
	// Transcript is the path of transcript.json ("" when there is none).
	Transcript string
	// Interrupted are this screen's copies cut off by crashes, by copy number.
	Interrupted []*Case
	// Superseded are the earlier reads of this case in the session, in reading order, on
	// the final read; SupersededBy is the final read, on an earlier one.
	Superseded   []*Case
	SupersededBy *Case
	Problems     []Problem

	rel string // Dir relative to the session folder, for problems
}

// CaseAudio is a case's dictation: audio.wav, its clock record audio.json and audio.mp3.
type CaseAudio struct {
	WAV  string     // path of audio.wav; "" when missing
	MP3  string     // path of audio.mp3; "" when missing
	Meta *AudioMeta // audio.json; nil when missing or unreadable
	// Header is audio.wav's header sized against the file (valid when HeaderOK).
	Header   wav.Info
	HeaderOK bool
}

// Final reports whether c is the read of its case that counts: not an interrupted copy and not
// superseded by a later read.
func (c *Case) Final() bool { return c.Copy == 0 && c.SupersededBy == nil }

func (c *Case) problem(k ProblemKind, file string, line int, format string, a ...any) {
	rel := c.rel
	if file != "" {
		rel = filepath.ToSlash(filepath.Join(c.rel, file))
	}
	c.Problems = append(c.Problems, Problem{Kind: k, File: rel, Line: line, Message: fmt.Sprintf(format, a...)})
}

// Open reads the session folder dir without writing to it. It fails only when dir holds no
// readable session.json; every other fault is a Problem of the session or of a case.
func Open(dir string) (*Opened, error) {
	st, err := ReadState(dir)
	if err != nil {
		return nil, err
	}
	o := &Opened{Dir: dir, State: st}
	o.Live = isLive(dir)
	switch {
	case o.Live:
		o.problem(ProblemLive, "", 0, "being recorded now (opened read-only; the snapshot may already be behind)")
	case st.Status == StatusRecording:
		o.problem(ProblemInterrupted, "", 0, "interrupted: status %q and nobody is recording it; resume it to finish it", st.Status)
	}
	o.readEvents()
	o.readChecks()
	o.readCases()
	return o, nil
}

func (o *Opened) problem(k ProblemKind, file string, line int, format string, a ...any) {
	o.Problems = append(o.Problems, Problem{Kind: k, File: file, Line: line, Message: fmt.Sprintf(format, a...)})
}

// isLive tries the recorder's lock, shared and without waiting, on a descriptor opened read-only
// (a session folder may be on read-only media): taken means nobody is recording.
func isLive(dir string) bool {
	f, err := os.Open(filepath.Join(dir, LockFile))
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// readLines calls fn for each whole line of a JSON-lines file; a bad line is a problem and the
// next lines are still read. A last line without its newline is a write cut off by a crash
// (or, live, one being written).
func (o *Opened) readLines(name string, fn func(line []byte) error) {
	b, err := os.ReadFile(filepath.Join(o.Dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		o.problem(ProblemMalformed, name, 0, "%v", err)
		return
	}
	for i := 1; len(b) > 0; i++ {
		j := bytes.IndexByte(b, '\n')
		if j < 0 {
			if !o.Live {
				o.problem(ProblemRow, name, i, "last line cut off (a crash while writing it); ignored")
			}
			return
		}
		line := b[:j]
		b = b[j+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := fn(line); err != nil {
			o.problem(ProblemRow, name, i, "%v", err)
		}
	}
}

func (o *Opened) readEvents() {
	o.readLines(EventsFile, func(line []byte) error {
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			return err
		}
		o.Events = append(o.Events, e)
		return nil
	})
}

func (o *Opened) readChecks() {
	o.readLines(ChecksFile, func(line []byte) error {
		r, err := ParseCheck(line)
		if err != nil {
			return err
		}
		o.Checks = append(o.Checks, r)
		return nil
	})
}

// ParseCheck reads one line of calibrations.jsonl.
func ParseCheck(line []byte) (CheckReport, error) {
	var r CheckReport
	if err := json.Unmarshal(line, &r); err != nil {
		return r, err
	}
	return r, nil
}

// ParseCaseName splits a case folder's name, "NN-<dicom_id>" or "NN-<dicom_id>.interrupted-K",
// into the screen index, the id and the copy number (0 for the screen as read).
func ParseCaseName(name string) (index int, dicomID string, copyNum int, err error) {
	base := name
	if i := strings.LastIndex(name, InterruptedSep); i >= 0 {
		k, err := strconv.Atoi(name[i+len(InterruptedSep):])
		if err != nil || k < 1 {
			return 0, "", 0, fmt.Errorf("case folder name %q: bad interrupted copy number", name)
		}
		copyNum, base = k, name[:i]
	}
	num, id, ok := strings.Cut(base, "-")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 0 || num == "" || strings.TrimLeft(num, "0123456789") != "" || id == "" {
		return 0, "", 0, fmt.Errorf("case folder name %q, want NN-<dicom_id>", name)
	}
	return n, id, copyNum, nil
}

func (o *Opened) readCases() {
	root := filepath.Join(o.Dir, CasesDir)
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		o.problem(ProblemMalformed, CasesDir, 0, "%v", err)
		return
	}
	plan := map[int]Screen{}
	for _, p := range o.State.Plan {
		plan[p.Index] = p
	}
	var copies []*Case
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		rel := CasesDir + "/" + e.Name()
		index, id, k, err := ParseCaseName(e.Name())
		if err != nil {
			o.problem(ProblemMalformed, rel, 0, "%v; folder left out", err)
			continue
		}
		c := &Case{Dir: filepath.Join(root, e.Name()), Name: e.Name(), Copy: k, rel: rel,
			Screen: Screen{Index: index, DicomID: id}}
		c.read(plan, o)
		if k > 0 {
			copies = append(copies, c)
			continue
		}
		o.Cases = append(o.Cases, c)
	}
	pos := map[int]int{}
	for i, d := range o.State.Done {
		if _, ok := pos[d]; !ok {
			pos[d] = i
		}
	}
	order := func(c *Case) int {
		if p, ok := pos[c.Screen.Index]; ok {
			return p
		}
		return len(o.State.Done) + c.Screen.Index
	}
	slices.SortStableFunc(o.Cases, func(a, b *Case) int {
		if c := order(a) - order(b); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	slices.SortStableFunc(copies, func(a, b *Case) int {
		if a.Screen.Index != b.Screen.Index {
			return a.Screen.Index - b.Screen.Index
		}
		if c := strings.Compare(a.Screen.DicomID, b.Screen.DicomID); c != 0 {
			return c
		}
		return a.Copy - b.Copy
	})
	for _, cp := range copies {
		cp.problem(ProblemInterrupted, "", 0, "interrupted copy %d: cut off by a crash and read again", cp.Copy)
		i := slices.IndexFunc(o.Cases, func(c *Case) bool {
			return c.Screen.Index == cp.Screen.Index && c.Screen.DicomID == cp.Screen.DicomID
		})
		if i < 0 {
			// The screen was never read again (the session ended first): the copy is all
			// there is of it, so it stands on its own in reading order.
			o.Cases = append(o.Cases, cp)
			continue
		}
		o.Cases[i].Interrupted = append(o.Cases[i].Interrupted, cp)
	}
	// A case read again later in the session (failed the gate, or marked) supersedes its
	// earlier reads: the last read counts.
	last := map[string]*Case{}
	for i := len(o.Cases) - 1; i >= 0; i-- {
		c := o.Cases[i]
		if c.Copy > 0 || c.Screen.Kind != KindCase {
			continue
		}
		if f, ok := last[c.Screen.DicomID]; ok {
			c.SupersededBy = f
			f.Superseded = append([]*Case{c}, f.Superseded...)
			continue
		}
		last[c.Screen.DicomID] = c
	}
	if st := o.State; st.Status == StatusRecording && st.Screen >= 0 {
		for _, c := range o.Cases {
			if c.Copy == 0 && c.Screen.Index == st.Screen && !slices.Contains(st.Done, st.Screen) {
				if o.Live {
					c.problem(ProblemLive, "", 0, "on screen now: still being recorded")
				} else {
					c.problem(ProblemInterrupted, "", 0, "cut off by a crash while on screen (the session was not resumed)")
				}
			}
		}
	}
}

// read fills a case from its folder; what is missing or broken becomes a problem of the case.
func (c *Case) read(plan map[int]Screen, o *Opened) {
	c.Screen.Kind = ""
	if p, ok := plan[c.Screen.Index]; ok && p.DicomID == c.Screen.DicomID {
		c.Screen.Kind = p.Kind
	}
	switch b, err := os.ReadFile(filepath.Join(c.Dir, LayoutFile)); {
	case errors.Is(err, os.ErrNotExist):
		c.problem(ProblemMissing, LayoutFile, 0, "no layout: where the image was drawn is unknown")
	case err != nil:
		c.problem(ProblemMalformed, LayoutFile, 0, "%v", err)
	default:
		l, err := ParseLayout(b)
		switch {
		case err != nil:
			c.problem(ProblemMalformed, LayoutFile, 0, "%v", err)
		case l.Index != c.Screen.Index || l.DicomID != c.Screen.DicomID:
			c.problem(ProblemMalformed, LayoutFile, 0, "screen %d %q, but the folder is %s", l.Index, l.DicomID, c.Name)
		default:
			c.Layout, c.HasLayout, c.Screen.Kind = l, true, l.Kind
		}
	}
	if c.Screen.Kind == "" {
		c.Screen.Kind = KindCase
		c.problem(ProblemMalformed, "", 0, "screen kind unknown (no layout, not in the plan); taken as a case")
	}
	for _, name := range []string{GazeFile, FixationFile} {
		c.checkRows(name, o.Live)
	}
	if b, ok := c.readFile(FiltersFile); ok {
		if err := json.Unmarshal(b, &c.Filters); err != nil {
			c.problem(ProblemMalformed, FiltersFile, 0, "%v", err)
		}
	}
	if b, ok := c.readFile(QualityFile); ok {
		if q, err := ParseQuality(b); err != nil {
			c.problem(ProblemMalformed, QualityFile, 0, "%v", err)
		} else {
			c.Quality = &q
		}
	}
	if _, err := os.Stat(filepath.Join(c.Dir, TranscriptFile)); err == nil {
		c.Transcript = filepath.Join(c.Dir, TranscriptFile)
	}
	c.readAudio(o)
}

// readFile reads a file of the case folder; a missing file gives false and no problem.
func (c *Case) readFile(name string) ([]byte, bool) {
	b, err := os.ReadFile(filepath.Join(c.Dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		c.problem(ProblemMalformed, name, 0, "%v", err)
		return nil, false
	}
	return b, true
}

// checkRows looks at a row file without reading its rows (Open stays fast on long cases): it
// must be there and end with a whole row.
func (c *Case) checkRows(name string, live bool) {
	f, err := os.Open(filepath.Join(c.Dir, name))
	if errors.Is(err, os.ErrNotExist) {
		c.problem(ProblemMissing, name, 0, "missing")
		return
	}
	if err != nil {
		c.problem(ProblemMalformed, name, 0, "%v", err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		c.problem(ProblemMalformed, name, 0, "%v", err)
		return
	}
	if st.Size() == 0 {
		c.problem(ProblemMalformed, name, 0, "empty: no header")
		return
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], st.Size()-1); err != nil {
		c.problem(ProblemMalformed, name, 0, "%v", err)
		return
	}
	if last[0] != '\n' && !(live && c.Copy == 0) {
		c.problem(ProblemRow, name, 0, "last row cut off (a crash while writing it); the rows before it read")
	}
}

func (c *Case) readAudio(o *Opened) {
	a := &CaseAudio{}
	has := false
	if _, err := os.Stat(filepath.Join(c.Dir, AudioFile)); err == nil {
		a.WAV, has = filepath.Join(c.Dir, AudioFile), true
	}
	if _, err := os.Stat(filepath.Join(c.Dir, AudioMP3File)); err == nil {
		a.MP3, has = filepath.Join(c.Dir, AudioMP3File), true
	}
	b, hasMeta := c.readFile(AudioMetaFile)
	if hasMeta {
		has = true
		if m, err := ParseAudioMeta(b); err != nil {
			c.problem(ProblemMalformed, AudioMetaFile, 0, "%v", err)
		} else {
			a.Meta = &m
		}
	}
	if !has {
		// A screen cut off while on (or still on) may not have reached its audio yet; it is
		// named for that already.
		onScreen := o.State.Status == StatusRecording && o.State.Screen == c.Screen.Index && !slices.Contains(o.State.Done, c.Screen.Index)
		if c.Screen.Kind == KindCase && c.Copy == 0 && !onScreen {
			if why, ok := strings.CutPrefix(o.State.Audio, "none"); ok {
				c.problem(ProblemAudio, "", 0, "no audio: a gaze-only session%s", why)
			} else {
				c.problem(ProblemAudio, "", 0, "no audio: the case folder has no %s", AudioFile)
			}
		}
		return
	}
	c.Audio = a
	if a.WAV == "" {
		c.problem(ProblemAudio, AudioFile, 0, "missing (the case has %s)", strings.Join(presentAudio(a), " and "))
	} else if in, err := wav.Inspect(a.WAV); err != nil {
		c.problem(ProblemAudio, AudioFile, 0, "%v", err)
	} else {
		a.Header, a.HeaderOK = in, true
		switch {
		case in.Truncated():
			c.problem(ProblemAudio, AudioFile, 0, "truncated: the header declares %d frames, the file holds %d", in.Frames(), in.OnDisk)
		case in.Unsynced() && !(o.Live && c.Copy == 0):
			c.problem(ProblemAudio, AudioFile, 0, "cut off by a kill: the header declares %d frames, the file holds %d (audio.RecoverCase repairs it)", in.Frames(), in.OnDisk)
		}
	}
	switch m := a.Meta; {
	case m == nil && a.WAV != "" && !hasMeta:
		c.problem(ProblemMissing, AudioMetaFile, 0, "missing: the audio cannot be placed on the session clock")
	case m == nil:
	case !m.Complete && !(o.Live && c.Copy == 0):
		c.problem(ProblemAudio, AudioMetaFile, 0, "recording not closed (cut off by a crash)")
	case a.HeaderOK && m.Frames != a.Header.Frames() && m.Complete:
		c.problem(ProblemAudio, AudioMetaFile, 0, "%d frames, but %s declares %d", m.Frames, AudioFile, a.Header.Frames())
	}
}

func presentAudio(a *CaseAudio) []string {
	var out []string
	if a.Meta != nil {
		out = append(out, AudioMetaFile)
	}
	if a.MP3 != "" {
		out = append(out, AudioMP3File)
	}
	return out
}

// ParseLayout reads a layout.json.
func ParseLayout(b []byte) (LayoutRecord, error) {
	var l LayoutRecord
	if err := json.Unmarshal(b, &l); err != nil {
		return l, err
	}
	if l.Kind != KindCase && l.Kind != KindCalibration {
		return l, fmt.Errorf("screen kind %q, want %q or %q", l.Kind, KindCase, KindCalibration)
	}
	if l.W < 0 || l.H < 0 || l.Top < 0 || l.Bottom < 0 || l.Left < 0 || l.Right < 0 {
		return l, fmt.Errorf("negative size or pad in %+v", l.Layout)
	}
	return l, nil
}

// ParseQuality reads a quality.json.
func ParseQuality(b []byte) (Quality, error) {
	var q Quality
	if err := json.Unmarshal(b, &q); err != nil {
		return q, err
	}
	return q, nil
}

// ParseAudioMeta reads an audio.json.
func ParseAudioMeta(b []byte) (AudioMeta, error) {
	var m AudioMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return m, err
	}
	if m.Rate < 0 || m.Channels < 0 || m.Frames < 0 {
		return m, fmt.Errorf("negative rate, channels or frames (%d Hz, %d channels, %d frames)", m.Rate, m.Channels, m.Frames)
	}
	return m, nil
}

// RowFile names a case's row file: the device's gaze ("gaze": eye_gaze.csv), the device's
// fixations ("device": fixations.csv) or one of our filters' (fixations_<filter>.csv).
func RowFile(which string) string {
	switch which {
	case "gaze":
		return GazeFile
	case "device":
		return FixationFile
	}
	return "fixations_" + which + ".csv"
}

// ReadRows streams the rows of one of the case's row files (see RowFile) in file order. A
// broken row is returned as a problem naming its line, and the rows after it are still read;
// the error is for a file that cannot be read at all (missing, bad header) or from fn.
func (c *Case) ReadRows(file string, fn func(line int, r egd.GazeRecord) error) ([]Problem, error) {
	f, err := os.Open(filepath.Join(c.Dir, file))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.ToSlash(filepath.Join(c.rel, file)), err)
	}
	defer f.Close()
	var probs []Problem
	rel := filepath.ToSlash(filepath.Join(c.rel, file))
	err = egd.ReadGazeLenient(f, rel, fn, func(line int, err error) {
		probs = append(probs, Problem{Kind: ProblemRow, File: rel, Line: line, Message: err.Error()})
	})
	return probs, err
}

// RowCount is the number of data rows of one of the case's row files (its lines after the
// header), counted without parsing them; 0 when the file cannot be read. A resumed run starts
// its counts from the earlier sittings' rows.
func (c *Case) RowCount(file string) int64 {
	f, err := os.Open(filepath.Join(c.Dir, file))
	if err != nil {
		return 0
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 256<<10)
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF || (err != nil && k == 0) {
			break
		}
	}
	return max(0, n-1)
}

// Rows reads a whole row file of the case (see ReadRows).
func (c *Case) Rows(file string) ([]egd.GazeRecord, []Problem, error) {
	var rows []egd.GazeRecord
	probs, err := c.ReadRows(file, func(_ int, r egd.GazeRecord) error {
		rows = append(rows, r)
		return nil
	})
	return rows, probs, err
}

// ReadTranscript reads the case's transcript.json (see reader/transcript); nil and no error
// when the case has none.
func (c *Case) ReadTranscript() (*transcript.Transcript, error) {
	if c.Transcript == "" {
		return nil, nil
	}
	f, err := os.Open(c.Transcript)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return transcript.Read(f, filepath.ToSlash(filepath.Join(c.rel, TranscriptFile)))
}

// FilterNames lists the fixation filters whose rows the case holds beside the device's:
// those of filters.json and those with a fixations_<name>.csv ("device" excluded), sorted.
func (c *Case) FilterNames() []string {
	var names []string
	for f := range c.Filters {
		if f != "device" {
			names = append(names, f)
		}
	}
	m, _ := filepath.Glob(filepath.Join(c.Dir, "fixations_*.csv"))
	for _, p := range m {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "fixations_"), ".csv"))
	}
	slices.Sort(names)
	return slices.Compact(names)
}
