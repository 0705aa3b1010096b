package export

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"sightline/reader/egd"
	"sightline/reader/qa"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
	"sightline/reader/transcript"
)

// Options choose what Export writes.
//
// Cases read again in a session (failed the quality gate or marked, read again at its end) are
// in eye_gaze.csv, fixations.csv and our filters' files once per session, by their final read.
// The reads they superseded always go beside, in files named like those with "_superseded"
// (eye_gaze_superseded.csv, fixations_superseded.csv, fixations_idt_superseded.csv), written
// when a session has any; screens.csv lists every read in the order read.
type Options struct {
	// Sessions are the session folders (names under STUDY/sessions/) to export; empty means every
	// complete or ended-early session.
	Sessions []string
	// NoCalibrationRows leaves calibration screens out of every per-screen file.
	NoCalibrationRows bool
	// IncludeInterrupted adds the interrupted copies of cases (cases/NN-<id>.interrupted-K/,
	// kept when a session resumed after a crash) to eye_gaze_interrupted.csv and
	// fixations_interrupted.csv, and lists them in screens.csv.
	IncludeInterrupted bool
	// Verdicts are the review store's QA verdicts (review.Store.Verdicts): qa.csv gives each
	// case folder of the exported sessions its measurements and latest decision (undecided
	// without one).
	Verdicts []review.Verdict
}

// QAFile is the QA review's table beside the dataset files: one row per case folder of the
// exported sessions (qa.CSVHeader).
const QAFile = "qa.csv"

// Result says what Export wrote.
type Result struct {
	Sessions     []Session // exported, in SESSION_ID order
	Skipped      []string  // session folders not exported, each with the reason
	Screens      int       // screens exported (interrupted copies not counted)
	Superseded   int       // of those, reads superseded by a later read of the case (rows beside)
	GazeRows     int64     // rows of eye_gaze.csv
	FixationRows int64     // rows of fixations.csv
	Files        []string  // files written, relative to the output folder, sorted
}

// Session is an exported session and the integer it got.
type Session struct {
	Number int    // SESSION_ID in the export
	ID     string // its folder under STUDY/sessions/
}

// Export writes the sessions of the study at studyDir into out as an EGD-CXR dataset folder:
// fixations.csv and eye_gaze.csv (37 columns, grouped by session and contiguous and chronological
// per screen), master_sheet.csv with the pads each case was drawn with, bounding_boxes.csv and
// audio_segmentation_transcripts/, and Sightline's own records beside them (see the README's
// "Export" section). out must not exist or be empty; everything is written into a hidden sibling
// renamed into place at the end, so a failed export leaves nothing behind. Gaze rows are streamed
// one at a time: memory does not grow with the number of rows.
func Export(studyDir, out string, o Options) (*Result, error) {
	st, err := study.Load(studyDir)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	sessions, skipped, err := findSessions(studyDir, o.Sessions)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	for _, s := range sessions {
		if err := s.scan(st, o.NoCalibrationRows, o.IncludeInterrupted); err != nil {
			return nil, fmt.Errorf("export: session %s: %w", s.st.SessionID, err)
		}
	}
	pads, err := drawnPads(sessions)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	d, err := newOutDir(out)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	x := &exporter{st: st, studyDir: studyDir, sessions: sessions, out: d, res: &Result{Skipped: skipped}}
	if err := x.run(pads, o); err != nil {
		d.abort()
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := d.commit(); err != nil {
		d.abort()
		return nil, fmt.Errorf("export: %w", err)
	}
	slices.Sort(x.res.Files)
	return x.res, nil
}

// drawnPads is the layout each case was drawn with, from the layout.json of its screens. A case
// read in several sessions must have been drawn alike (pads, and the image size where both
// record one).
func drawnPads(sessions []*sess) (map[string]stage.Layout, error) {
	pads := map[string]stage.Layout{}
	where := map[string]string{}
	for _, s := range sessions {
		for _, sc := range s.screens {
			if sc.kind != session.KindCase {
				continue
			}
			l := sc.layout.Layout
			p, ok := pads[sc.dicomID]
			if !ok {
				pads[sc.dicomID], where[sc.dicomID] = l, sc.dir
				continue
			}
			samePads := p.Top == l.Top && p.Bottom == l.Bottom && p.Left == l.Left && p.Right == l.Right
			sameSize := p.W == 0 || l.W == 0 || p.W == l.W && p.H == l.H
			if !samePads || !sameSize {
				return nil, fmt.Errorf("case %s was drawn differently in two sessions: %s has %s, %s has %s",
					sc.dicomID, where[sc.dicomID], describe(p), sc.dir, describe(l))
			}
			if p.W == 0 {
				pads[sc.dicomID] = l
			}
		}
	}
	return pads, nil
}

func describe(l stage.Layout) string {
	return fmt.Sprintf("%dx%d pads top %d bottom %d left %d right %d", l.W, l.H, l.Top, l.Bottom, l.Left, l.Right)
}

type exporter struct {
	st       *study.Study
	studyDir string
	sessions []*sess
	out      *outDir
	res      *Result
	buf      []byte
}

func (x *exporter) file(rel string) string {
	x.res.Files = append(x.res.Files, filepath.ToSlash(rel))
	return x.out.path(rel)
}

func (x *exporter) run(pads map[string]stage.Layout, o Options) error {
	var filters []string
	for _, s := range x.sessions {
		for _, sc := range s.screens {
			names, err := sc.filterNames()
			if err != nil {
				return err
			}
			filters = append(filters, names...)
		}
	}
	slices.Sort(filters)
	filters = slices.Compact(filters)

	// The row files: one pass over the case folders per output file keeps one input and one
	// output open at a time.
	type rowsOut struct {
		name   string
		source func(sc *screen) (string, *int64)
		set    rowSet
	}
	outs := []rowsOut{
		{GazeFile, func(sc *screen) (string, *int64) { return session.GazeFile, &sc.gazeRows }, readRows},
		{FixationsFile, func(sc *screen) (string, *int64) { return session.FixationFile, &sc.fixRows }, readRows},
	}
	for _, f := range filters {
		outs = append(outs, rowsOut{filterFile(f), func(*screen) (string, *int64) { return filterFile(f), nil }, readRows})
	}
	// Cases read again: the dataset's files hold each case once per session, its final read;
	// the reads it superseded go beside, file by file.
	if x.anySuperseded() {
		for _, ro := range slices.Clone(outs) {
			outs = append(outs, rowsOut{supersededFile(ro.name), ro.source, supersededRows})
		}
	}
	if o.IncludeInterrupted {
		outs = append(outs,
			rowsOut{InterruptedGazeFile, func(sc *screen) (string, *int64) { return session.GazeFile, &sc.gazeRows }, copyRows},
			rowsOut{InterruptedFixationsFile, func(sc *screen) (string, *int64) { return session.FixationFile, &sc.fixRows }, copyRows})
	}
	for _, ro := range outs {
		if err := x.writeRows(ro.name, ro.set, ro.source); err != nil {
			return err
		}
	}
	for _, s := range x.sessions {
		x.res.Sessions = append(x.res.Sessions, Session{Number: s.num, ID: s.st.SessionID})
		x.res.Screens += len(s.screens)
		for _, sc := range s.screens {
			if sc.superseded {
				x.res.Superseded++
				continue
			}
			x.res.GazeRows += sc.gazeRows
			x.res.FixationRows += sc.fixRows
		}
	}

	// master_sheet.csv and bounding_boxes.csv: the cases read, in worklist order.
	kept := x.st.Keep(func(c study.Case) bool { _, ok := pads[c.DicomID]; return ok })
	if err := kept.WriteMasterSheet(x.file(study.MasterSheet), pads); err != nil {
		return err
	}
	if err := kept.WriteBoxes(x.file(study.BoundingBoxes)); err != nil {
		return err
	}
	if err := x.transcripts(kept); err != nil {
		return err
	}
	if err := x.qaTable(o.Verdicts); err != nil {
		return err
	}
	return x.extras()
}

// qaTable writes qa.csv: every case folder of the exported sessions, measured as the QA
// review measures it, with its latest verdict.
func (x *exporter) qaTable(verdicts []review.Verdict) error {
	latest := review.LatestVerdicts(verdicts)
	var rows []qa.Row
	for _, s := range x.sessions {
		o, err := session.Open(s.dir)
		if err != nil {
			return fmt.Errorf("%s: %w", QAFile, err)
		}
		rows = append(rows, qa.Rows(filepath.Base(s.dir), qa.MeasureSession(o), latest)...)
	}
	f, err := os.Create(x.file(QAFile))
	if err != nil {
		return err
	}
	if err := qa.WriteCSV(f, rows); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", QAFile, err)
	}
	return f.Close()
}

// rowSet chooses the screens a row file holds.
type rowSet int

const (
	readRows       rowSet = iota // the screens as read, each case's final read in its session
	supersededRows               // the reads of a case superseded by a later one in the session
	copyRows                     // the interrupted copies
)

func (x *exporter) anySuperseded() bool {
	for _, s := range x.sessions {
		if slices.ContainsFunc(s.screens, func(sc *screen) bool { return sc.superseded }) {
			return true
		}
	}
	return false
}

// writeRows streams one row file: for every session in order, every screen of the set in
// order, the rows of its source file re-written with the session's integer id. source gives
// the case file and where to count its rows (nil: not counted). A missing source file is an
// error for eye_gaze.csv and fixations.csv and means no rows for a filter's file.
func (x *exporter) writeRows(name string, set rowSet, source func(*screen) (string, *int64)) error {
	f, err := os.Create(x.file(name))
	if err != nil {
		return err
	}
	k := &sink{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	err = k.write(egd.AppendHeader(nil))
	rd := bufio.NewReaderSize(nil, 1<<20)
	for _, s := range x.sessions {
		if err != nil {
			break
		}
		list := s.screens
		if set == copyRows {
			list = s.copies
		}
		for _, sc := range list {
			if set != copyRows && sc.superseded != (set == supersededRows) {
				continue
			}
			src, count := source(sc)
			id := &identity{session: s.st.SessionID, media: strconv.Itoa(sc.index), dicom: sc.dicomID, newID: strconv.Itoa(s.num)}
			var n int64
			n, err = x.copyRows(k, rd, filepath.Join(sc.dir, src), id)
			if errors.Is(err, os.ErrNotExist) && (count == nil || sc.copy > 0) {
				err = nil
			}
			if err != nil {
				break
			}
			if count != nil {
				*count = n
			}
		}
	}
	if err == nil {
		err = k.w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// sink is an output row file that can be cut back to an earlier size.
type sink struct {
	f   *os.File
	w   *bufio.Writer
	off int64 // bytes written so far, buffered ones included
}

func (k *sink) write(b []byte) error {
	n, err := k.w.Write(b)
	k.off += int64(n)
	return err
}

func (k *sink) cut(off int64) error {
	if err := k.w.Flush(); err != nil {
		return err
	}
	if err := k.f.Truncate(off); err != nil {
		return err
	}
	_, err := k.f.Seek(off, io.SeekStart)
	k.off = off
	return err
}

// copyRows re-writes the rows of one case file with SESSION_ID id.newID, checking that each
// belongs to the screen (its session's string id, MEDIA_ID the screen's index, DICOM_ID the
// screen's id). It takes the fast path (fastLine) and, for a file it cannot take all the way,
// cuts the output back and re-writes the whole file the slow way: egd.ReadGaze, egd.AppendRow.
func (x *exporter) copyRows(k *sink, rd *bufio.Reader, path string, id *identity) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	start := k.off
	n, ok, err := x.fastRows(k, rd, f, id)
	if ok || err != nil {
		return n, err
	}
	if err := k.cut(start); err != nil {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	rd.Reset(f)
	n = 0
	err = egd.ReadGaze(rd, path, func(_ int, r egd.GazeRecord) error {
		if r.SessionID != id.session || strconv.Itoa(r.MediaID) != id.media || r.DicomID != id.dicom {
			return fmt.Errorf("row of session %q screen %d %q in the folder of session %q screen %s %q",
				r.SessionID, r.MediaID, r.DicomID, id.session, id.media, id.dicom)
		}
		r.SessionID = id.newID
		x.buf = egd.AppendRow(x.buf[:0], &r)
		n++
		return k.write(x.buf)
	})
	return n, err
}

var header = egd.AppendHeader(nil)

// fastRows copies a case file by fastLine; ok is false when a line needs the slow path.
func (x *exporter) fastRows(k *sink, rd *bufio.Reader, f io.Reader, id *identity) (n int64, ok bool, err error) {
	rd.Reset(f)
	line, err := rd.ReadSlice('\n')
	if err != nil || !bytes.Equal(line, header) {
		return 0, false, nil
	}
	x.buf = x.buf[:0]
	for {
		line, err := rd.ReadSlice('\n')
		if err == io.EOF && len(line) == 0 {
			break
		}
		if err != nil {
			return 0, false, nil // a last line without its newline, an overlong line, a read error
		}
		var good bool
		if x.buf, good = fastLine(x.buf, line[:len(line)-1], id); !good {
			return 0, false, nil
		}
		n++
		if len(x.buf) >= 256<<10 {
			if err := k.write(x.buf); err != nil {
				return 0, false, err
			}
			x.buf = x.buf[:0]
		}
	}
	return n, true, k.write(x.buf)
}

// caseAudio copies a screen's audio, transcript.json (normalized) and transcript_raw.json into
// the export folder rel.
func (x *exporter) caseAudio(sc *screen, rel string) error {
	cp := func(name string) error {
		return copyFile(x.file(filepath.Join(rel, name)), filepath.Join(sc.dir, name))
	}
	for _, f := range []struct {
		name string
		ok   bool
	}{{caseWAV, sc.wav}, {caseMP3, sc.mp3}} {
		if f.ok {
			if err := cp(f.name); err != nil {
				return err
			}
		}
	}
	if !sc.transcript {
		return nil
	}
	src := filepath.Join(sc.dir, caseTranscript)
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if b, err = transcript.Normalize(b, src); err != nil {
		return err
	}
	if err := os.WriteFile(x.file(filepath.Join(rel, TranscriptFile)), b, 0o644); err != nil {
		return err
	}
	if sc.transcriptRaw {
		return cp(TranscriptRawFile)
	}
	return nil
}

// transcripts fills audio_segmentation_transcripts/<dicom_id>/: the audio and transcript of the
// first session (lowest SESSION_ID) that recorded any for the case, its final read there, and
// the study's masks. Other sessions' audio of the same case, and calibration screens' audio, go
// to audio_by_session/<SESSION_ID>/<dicom_id>/; a superseded read's to
// audio_by_session/<SESSION_ID>/<dicom_id>.superseded-<MEDIA_ID>/.
func (x *exporter) transcripts(kept *study.Study) error {
	taken := map[string]bool{}
	for _, s := range x.sessions {
		for _, sc := range s.screens {
			if !sc.hasAudio() {
				continue
			}
			rel := filepath.Join(TranscriptsDir, sc.dicomID)
			switch {
			case sc.superseded:
				rel = filepath.Join(AudioBySessionDir, strconv.Itoa(s.num), sc.dicomID+supersededSep+strconv.Itoa(sc.index))
			case sc.kind != session.KindCase || taken[sc.dicomID]:
				rel = filepath.Join(AudioBySessionDir, strconv.Itoa(s.num), sc.dicomID)
			}
			taken[sc.dicomID] = taken[sc.dicomID] || sc.kind == session.KindCase && !sc.superseded
			if err := os.MkdirAll(x.out.path(rel), 0o755); err != nil {
				return err
			}
			sc.audioDir = filepath.ToSlash(rel)
			if err := x.caseAudio(sc, rel); err != nil {
				return err
			}
		}
	}
	for _, c := range kept.Cases {
		src := filepath.Join(x.studyDir, MasksDir, c.DicomID)
		ents, err := os.ReadDir(src)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		rel := filepath.Join(TranscriptsDir, c.DicomID)
		for _, e := range ents {
			if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".png") {
				continue
			}
			if err := os.MkdirAll(x.out.path(rel), 0o755); err != nil {
				return err
			}
			if err := copyFile(x.file(filepath.Join(rel, e.Name())), filepath.Join(src, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
