// Package prepare turns a coordinator's worklist of DICOMs into a study folder the station
// reads: the display image of each case exactly as drawn on the 1920×1080 stage (PNG), the
// worklist with the pads as drawn, the cases it could not prepare with the reason, and a
// blinded, seeded reading plan per reader, split into sessions.
//
// A prepared study holds no DICOM and nothing read from one but geometry and pixel encoding:
//
//	STUDY/master_sheet.csv        the worklist's own rows and columns, pads filled in; path as given
//	STUDY/bounding_boxes.csv      the boxes of the prepared cases, when the worklist has a boxes file
//	STUDY/display/<dicom_id>.png  the full 1920×1080 stage as drawn (8-bit grey, black pads)
//	STUDY/display/<dicom_id>.json the layout (DICOM size, pads) and how the pixels were rendered
//	STUDY/plans/<reader>.json     the reader's sessions and screen order (Plan)
//	STUDY/unreadable.csv          line, dicom_id, path and reason of each case left out
//	STUDY/prepare.json            seed, session size, calibration interval, counts (Record)
package prepare

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sightline/reader/atomicfile"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"sightline/reader/dicomimg"
	"sightline/reader/display"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// Names inside a prepared study folder.
const (
	PlansDir       = "plans"
	UnreadableFile = "unreadable.csv"
	RecordFile     = "prepare.json"
)

// Defaults of Options.
const (
	DefaultSessionSize = 30
	DefaultReader      = "reader1"
)

// RecordFormat is the format field of prepare.json.
const RecordFormat = "sightline-prepare/1"

// ErrStudyExists is returned when the output folder already holds a prepared study: preparing
// again would replace the plans readers may be half-way through.
var ErrStudyExists = errors.New("folder already holds a study")

// Options say what to prepare and how.
type Options struct {
	Worklist  string // master_sheet.csv in the EGD-CXR layout: dicom_id, path, any other columns
	DicomRoot string // the worklist's paths are relative to it
	Out       string // the study folder to write; created if needed
	Seed      int64  // of every reader's plan (ReaderSeed)
	// Readers get a plan each; none means DefaultReader. More can be added later (AddReader).
	Readers []string
	// Split, with several readers, has Overlap cases read by every reader and the others split
	// among them (Assign); without it every reader reads every case.
	Split       bool
	Overlap     int
	SessionSize int // screens per session at most, calibration screens included; 0: DefaultSessionSize
	CalibEvery  int // a calibration screen about every CalibEvery cases; ≤ 0: none
	Jobs        int // cases prepared at once; 0: runtime.NumCPU()
	// Progress, when set, is called with the number of cases done and the total, always from
	// one goroutine (Run's): once before the first image is decoded, counting the cases already
	// settled (files missing), then after each case, up to done = total.
	Progress func(done, total int)
}

// Result is what Run did.
type Result struct {
	Cases      int            // rows of the worklist
	Prepared   int            // display images written
	Transcoded map[string]int // prepared after transcoding, by tool
	Unreadable []Unreadable   // in worklist order
	Plans      []Plan         // one per reader
}

// Unreadable is a case left out of the study, and why.
type Unreadable struct {
	Line    int    // of the worklist
	DicomID string //
	Path    string // as in the worklist
	Reason  string
}

// Record is prepare.json: how the study was prepared, so that a reader added later gets the
// plan they would have had (AddReader).
type Record struct {
	Format      string         `json:"format"`
	Created     time.Time      `json:"created"`
	Worklist    string         `json:"worklist"`
	DicomRoot   string         `json:"dicom_root"`
	Seed        int64          `json:"seed"`
	SessionSize int            `json:"session_size"`
	CalibEvery  int            `json:"calibration_every"`
	Cases       int            `json:"cases"`
	Prepared    int            `json:"prepared"`
	Unreadable  int            `json:"unreadable"`
	Transcoded  map[string]int `json:"transcoded"`
	// Readers are the readers planned at preparation, then those added to a split study since
	// (AddReader), in order; Overlap, when they split the cases, how many every reader reads
	// (absent: every reader reads every case).
	Readers []string `json:"readers,omitempty"`
	Overlap *int     `json:"overlap,omitempty"`
}

// ReadRecord reads STUDY/prepare.json.
func ReadRecord(studyDir string) (Record, error) {
	path := filepath.Join(studyDir, RecordFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return Record{}, fmt.Errorf("study record: %w", err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, fmt.Errorf("study record %s: %w", path, err)
	}
	if r.Format != RecordFormat {
		return Record{}, fmt.Errorf("study record %s: format %q, want %q", path, r.Format, RecordFormat)
	}
	return r, nil
}

// Run prepares the study: it reads and checks the worklist (refusing missing columns,
// duplicate ids and unsafe paths with the line), renders every case to its display image on
// Jobs workers, then writes the worklist with its pads, the unreadable list, the plans and the
// record; master_sheet.csv comes last, so a folder holding one is a complete study. Cases that
// cannot be displayed are listed in Result.Unreadable and unreadable.csv, and the others go on;
// it is for the caller to treat them as a failure. The error is for what stops the whole run:
// a bad worklist or options, a write that fails, ctx ending, or no case prepared at all.
func Run(ctx context.Context, o Options) (Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Result{}, err
	}
	st, err := study.LoadWorklist(o.Worklist, o.DicomRoot)
	if err != nil {
		return Result{}, fmt.Errorf("prepare: %w", err)
	}
	if _, err := os.Stat(filepath.Join(o.Out, study.MasterSheet)); err == nil {
		return Result{}, fmt.Errorf("prepare: %s: %w", o.Out, ErrStudyExists)
	}
	files, missing, err := resolve(st, o.Worklist)
	if err != nil {
		return Result{}, fmt.Errorf("prepare: %w", err)
	}
	for _, dir := range []string{filepath.Join(o.Out, display.Dir), filepath.Join(o.Out, PlansDir)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Result{}, fmt.Errorf("prepare: %w", err)
		}
	}
	tmp, err := os.MkdirTemp("", "sightline-prepare-")
	if err != nil {
		return Result{}, fmt.Errorf("prepare: %w", err)
	}
	defer os.RemoveAll(tmp)

	res := Result{Cases: len(st.Cases), Transcoded: map[string]int{}}
	outcomes := make([]outcome, len(st.Cases))
	for i, why := range missing {
		outcomes[i] = outcome{err: errors.New(why)}
	}
	todo := make([]int, 0, len(st.Cases))
	for i := range st.Cases {
		if _, gone := missing[i]; !gone {
			todo = append(todo, i)
		}
	}
	total := len(st.Cases)
	done := len(missing)
	progress := func() {
		if o.Progress != nil {
			o.Progress(done, total)
		}
	}
	progress()
	w := worker{study: o.Out, tmp: tmp}
	// A write that fails (a full disk) is no fault of the case: it stops the run.
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var fatal error
	for r := range runPool(pctx, o.Jobs, todo, func() func(int) outcome {
		b := new(buffers) // each goroutine's own, for its cases one after another
		return func(i int) outcome { return w.prepare(pctx, b, st.Cases[i].DicomID, files[i]) }
	}) {
		if r.fatal && fatal == nil {
			fatal = r.err
			stop()
		}
		outcomes[r.index] = r.outcome
		done++
		progress()
	}
	if fatal != nil {
		return res, fmt.Errorf("prepare: %w", fatal)
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("prepare: stopped after %d of %d cases: %w", done, total, err)
	}

	pads := map[string]stage.Layout{}
	for i, c := range st.Cases {
		switch r := outcomes[i]; {
		case r.err != nil:
			res.Unreadable = append(res.Unreadable, Unreadable{Line: c.Line, DicomID: c.DicomID, Path: c.Path, Reason: r.err.Error()})
		default:
			pads[c.DicomID] = r.layout
			if r.via != "" {
				res.Transcoded[r.via]++
			}
		}
	}
	res.Prepared = len(pads)
	if err := writeUnreadable(filepath.Join(o.Out, UnreadableFile), res.Unreadable); err != nil {
		return res, fmt.Errorf("prepare: %w", err)
	}
	if res.Prepared == 0 {
		return res, fmt.Errorf("prepare: none of the %d cases could be prepared (see %s)", total, filepath.Join(o.Out, UnreadableFile))
	}
	kept := st.Keep(func(c study.Case) bool { _, ok := pads[c.DicomID]; return ok })
	ids := caseIDs(kept)
	overlap := -1
	if o.Split {
		overlap = o.Overlap
	}
	plans, err := NewPlans(o.Readers, ids, o.Seed, o.SessionSize, o.CalibEvery, overlap)
	if err != nil {
		return res, fmt.Errorf("prepare: %w", err)
	}
	for _, p := range plans {
		if err := WritePlan(o.Out, p); err != nil {
			return res, fmt.Errorf("prepare: %w", err)
		}
	}
	res.Plans = plans
	rec := Record{Format: RecordFormat, Created: time.Now().UTC(), Worklist: absPath(o.Worklist), DicomRoot: absPath(o.DicomRoot),
		Seed: o.Seed, SessionSize: o.SessionSize, CalibEvery: o.CalibEvery, Readers: o.Readers,
		Cases: res.Cases, Prepared: res.Prepared, Unreadable: len(res.Unreadable), Transcoded: res.Transcoded}
	if o.Split && len(o.Readers) > 1 {
		rec.Overlap = &o.Overlap
	}
	if err := writeJSON(filepath.Join(o.Out, RecordFile), rec); err != nil {
		return res, fmt.Errorf("prepare: %w", err)
	}
	if len(kept.Boxes) > 0 {
		if err := kept.WriteBoxes(filepath.Join(o.Out, study.BoundingBoxes)); err != nil {
			return res, fmt.Errorf("prepare: %w", err)
		}
	}
	if err := kept.WriteMasterSheet(filepath.Join(o.Out, study.MasterSheet), pads); err != nil {
		return res, fmt.Errorf("prepare: %w", err)
	}
	return res, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Worklist == "" || o.DicomRoot == "" || o.Out == "" {
		return o, errors.New("prepare: the worklist, the DICOM root and the output folder are all needed")
	}
	if len(o.Readers) == 0 {
		o.Readers = []string{DefaultReader}
	}
	seen := map[string]bool{}
	for _, r := range o.Readers {
		if err := checkReader(r); err != nil {
			return o, fmt.Errorf("prepare: %w", err)
		}
		if seen[r] {
			return o, fmt.Errorf("prepare: reader %s named twice", r)
		}
		seen[r] = true
	}
	if o.Split && o.Overlap < 0 {
		return o, fmt.Errorf("prepare: overlap %d: want 0 or more cases read by every reader", o.Overlap)
	}
	if o.SessionSize == 0 {
		o.SessionSize = DefaultSessionSize
	}
	o.CalibEvery = max(o.CalibEvery, 0)
	if casesPerSession(o.SessionSize, o.CalibEvery) == 0 {
		return o, fmt.Errorf("prepare: a session of %d screens has no room for a case beside its calibration screen", o.SessionSize)
	}
	if o.Jobs <= 0 {
		o.Jobs = runtime.NumCPU()
	}
	return o, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// resolve finds each case's file under the DICOM root. A file that is not there is the case's
// problem (missing, by case index, with the reason); a path that leads out of the root, through
// a symlink, refuses the worklist, as absolute and ".." paths already did.
func resolve(st *study.Study, sheet string) (files []string, missing map[int]string, err error) {
	files = make([]string, len(st.Cases))
	missing = map[int]string{}
	for i, c := range st.Cases {
		p, err := st.DicomPath(c)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing[i] = "file not found under the DICOM root"
		case err != nil:
			return nil, nil, fmt.Errorf("%s:%d: %w", sheet, c.Line, err)
		default:
			files[i] = p
		}
	}
	return files, missing, nil
}

// outcome is one case's result: its layout, or why it has none.
type outcome struct {
	layout stage.Layout
	via    string // the transcoder used, if any
	err    error
	fatal  bool // err is about writing the study, not about the case
}

type indexed struct {
	index int
	outcome
}

// runPool runs the function newF gives each of jobs goroutines over items, and returns the
// results as they come. Items are handed out one at a time through an unbuffered channel and the
// results are small, so at most jobs cases are in memory, whatever the worklist's length. When
// ctx ends, no new item starts; the channel is closed, once, when every started item is done.
func runPool(ctx context.Context, jobs int, items []int, newF func() func(int) outcome) <-chan indexed {
	work := make(chan int)
	out := make(chan indexed, jobs)
	go func() {
		defer close(work)
		for _, i := range items {
			select {
			case work <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range min(jobs, max(len(items), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := newF()
			for i := range work {
				out <- indexed{i, f(i)}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// worker renders cases into a study's display folder.
type worker struct {
	study string
	tmp   string // for transcoded files
}

// buffers are what a worker's goroutine keeps from one case to the next: the decoder's (the
// file's bytes, the resampler's intermediate plane), the stage and its PNG. Fresh memory costs a
// page fault per 4 KiB, and a batch's fresh buffers were a tenth of prepare's time, in the kernel.
type buffers struct {
	dec   dicomimg.Decoder
	stage *image.Gray
	png   []byte
}

// prepare renders one case: decode (transcoding when needed), fit to the stage, pad black,
// write the stage PNG and its layout.
func (w worker) prepare(ctx context.Context, b *buffers, dicomID, path string) outcome {
	if err := ctx.Err(); err != nil {
		return outcome{err: err}
	}
	// Drawn on the stage as it is decoded (Stage's pixels, without the full-size image).
	var (
		st *image.Gray
		l  stage.Layout
	)
	info, via, err := decodeOnto(ctx, &b.dec, path, w.tmp, func(cols, rows int) *image.Gray {
		l = stage.Fit(cols, rows)
		if b.stage == nil {
			b.stage = image.NewGray(image.Rect(0, 0, stage.Width, stage.Height))
		} else {
			clear(b.stage.Pix) // the pads black
		}
		st = b.stage
		return st.SubImage(l.Rect()).(*image.Gray)
	})
	if err != nil {
		return outcome{err: err}
	}
	side := display.Sidecar{DicomID: dicomID, StageWidth: stage.Width, StageHeight: stage.Height, Layout: l,
		TransferSyntax: info.TransferSyntax, TranscodedWith: via, Photometric: info.Photometric,
		BitsStored: info.BitsStored, Signed: info.Signed, RescaleSlope: info.RescaleSlope,
		RescaleIntercept: info.RescaleIntercept, Windowing: info.Windowing,
		WindowCenter: info.WindowCenter, WindowWidth: info.WindowWidth}
	png := display.Path(w.study, dicomID)
	b.png = appendGray(b.png[:0], st)
	if err := writeFileAtomic(png, b.png); err != nil {
		return outcome{err: fmt.Errorf("write %s: %w", png, err), fatal: true}
	}
	if err := writeJSON(display.SidecarPath(png), side); err != nil {
		return outcome{err: err, fatal: true}
	}
	return outcome{layout: l, via: via}
}

// Stage draws a display image on the 1920×1080 stage as the station does: resampled to the
// rectangle of l (dicomimg.FitInto, in place), the rest black.
func Stage(img *image.Gray, l stage.Layout) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, stage.Width, stage.Height))
	dicomimg.FitInto(out.SubImage(l.Rect()).(*image.Gray), img)
	return out
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := writeFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic writes b to path: a temporary sibling, fsynced, renamed over path.
func writeFileAtomic(path string, b []byte) error { return atomicfile.WriteBytes(path, b) }

// writeUnreadable writes unreadable.csv: line,dicom_id,path,reason, a header alone when every
// case was prepared.
func writeUnreadable(path string, list []Unreadable) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"line", "dicom_id", "path", "reason"})
	for _, u := range list {
		cw.Write([]string{strconv.Itoa(u.Line), u.DicomID, u.Path, u.Reason})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := writeFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// checkReader refuses a reader name that cannot name a plan file portably.
func checkReader(r string) error {
	ok := r != "" && len(r) <= 64 && r != "." && r != ".." &&
		!strings.ContainsFunc(r, func(c rune) bool {
			return !(c < unicode.MaxASCII && (unicode.IsLetter(c) || unicode.IsDigit(c)) || c == '-' || c == '_' || c == '.')
		})
	if !ok {
		return fmt.Errorf("reader name %q: want 1 to 64 letters, digits, '-', '_' or '.'", r)
	}
	return nil
}

// checkName refuses a dicom_id that cannot name a file (as study and session do).
func checkName(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) || strings.ContainsFunc(id, unicode.IsControl) {
		return fmt.Errorf("dicom_id %q cannot name a file", id)
	}
	return nil
}
