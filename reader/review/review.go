// Package review is the study's review store: the QA reviewer's verdicts, the annotation team's
// bounding-box corrections, image statuses and transcript corrections, kept append-only (every
// change is a new row with who and when; the current state is the latest row per key) in SQLite
// (STUDY/review.db, one machine) or PostgreSQL (postgres://…, a team), with the same schema and
// the same code above the Store interface.
package review

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
)

// FileName is the SQLite store inside a study folder.
const FileName = "review.db"

// Store is the review store as its users (the QA review, the box editor, transcript
// correction, the batch commands) need it. Every write appends rows; nothing is updated in
// place. Methods are safe for concurrent use.
type Store interface {
	// AddVerdict appends a QA verdict and returns it as stored (ID and At set).
	AddVerdict(ctx context.Context, v Verdict) (Verdict, error)
	// Verdicts returns every verdict row of a session ("" = every session) in the order
	// written; LatestVerdicts gives the current one per case.
	Verdicts(ctx context.Context, session string) ([]Verdict, error)

	// EditBoxes appends box edits in one transaction. An edit whose Base is still the key's
	// latest accepted revision is stored as KindEdit; one based on an older revision is stored
	// as KindConflict, which leaves the current box alone until Adjudicate picks. An edit
	// that leaves the current box as it is stores nothing: its result is the current row
	// (Rev 0 when the box is still the study's original).
	EditBoxes(ctx context.Context, edits []BoxEdit) ([]BoxEdit, error)
	// BoxLog returns every box row of an image ("" = every image) in revision order.
	BoxLog(ctx context.Context, dicomID string) ([]BoxEdit, error)
	// Adjudicate settles a box's open conflicts, as Conflicts showed them, by picking one
	// revision (the current box's or a rival's), written as a new KindAdjudication row. If
	// the box or its rivals changed since, it writes nothing and returns ErrStale.
	Adjudicate(ctx context.Context, c Conflict, pick int64, who string) (BoxEdit, error)

	// MarkImage appends an image status.
	MarkImage(ctx context.Context, m ImageMark) (ImageMark, error)
	// ImageMarks returns every image status row in the order written.
	ImageMarks(ctx context.Context) ([]ImageMark, error)

	// AddTranscriptEdit appends a transcript correction.
	AddTranscriptEdit(ctx context.Context, e TranscriptEdit) (TranscriptEdit, error)
	// TranscriptEdits returns every transcript correction of a session ("" = all) in order.
	TranscriptEdits(ctx context.Context, session string) ([]TranscriptEdit, error)

	// Watch delivers every row written after the call, by this handle or any other, until ctx
	// ends; then the channel is closed. PostgreSQL pushes (LISTEN/NOTIFY); SQLite is polled.
	Watch(ctx context.Context) (<-chan Change, error)

	// Location names the store (the SQLite file, or the PostgreSQL URL without its password).
	Location() string
	// ReadOnly says why this handle cannot write ("" when it can): every write then fails
	// with ErrReadOnly.
	ReadOnly() string
	Close() error
}

// Decision is the QA reviewer's verdict on a case.
type Decision string

const (
	Pass   Decision = "pass"
	Fail   Decision = "fail"
	ReRead Decision = "re-read"
)

// Checklist is the QA checklist of a case, pre-filled from the measurements.
type Checklist struct {
	FilesWhole      bool // every file of the case reads to its end
	AudioOK         bool // audio present and not silent
	NoAbruptStop    bool
	GazeValid       bool
	CalibrationGood bool
}

// Verdict is one QA decision on one case of one session.
type Verdict struct {
	ID        int64
	Session   string // session folder name
	Case      string // case folder name inside the session (NN-<dicom_id>)
	Checklist Checklist
	Decision  Decision
	Note      string
	Reviewer  string
	At        time.Time
}

// BoxStatus is the state of one anatomical box.
type BoxStatus string

const (
	NoBox     BoxStatus = ""          // no such box (before a zone is added)
	Original  BoxStatus = "original"  // as in the study's bounding_boxes.csv
	Edited    BoxStatus = "edited"    // moved or resized by a person or a tool
	Confirmed BoxStatus = "confirmed" // checked and kept
	Absent    BoxStatus = "absent"    // the anatomy is not in the image
)

// Box is the state of one zone of one image, in DICOM pixels (column order of
// bounding_boxes.csv: x1,x2,y1,y2). Coordinates mean nothing for NoBox and Absent.
type Box struct {
	Status         BoxStatus
	X1, X2, Y1, Y2 float64
	Locked         bool
}

// HasCoords reports whether the box has a place on the image.
func (b Box) HasCoords() bool { return b.Status != NoBox && b.Status != Absent }

// BoxKey names a zone of an image.
type BoxKey struct{ DicomID, Zone string }

// EditKind is how a box row was taken.
type EditKind string

const (
	KindEdit         EditKind = "edit"         // based on the latest revision: it is the current box
	KindConflict     EditKind = "conflict"     // based on an older revision: kept, awaiting adjudication
	KindAdjudication EditKind = "adjudication" // a pick among the current box and open conflicts
)

// BoxEdit is one row of a box's history.
type BoxEdit struct {
	Rev  int64 // set by the store; revisions grow in commit order
	Key  BoxKey
	Kind EditKind // set by the store
	// Base is the revision the editor saw (0 = the study's original box). The store fills
	// Before from it when it is not 0.
	Base int64
	// Resolves is, on an adjudication, the highest conflict revision it settles.
	Resolves int64
	Before   Box
	After    Box
	Who      string
	At       time.Time
}

// ImageStatus is an image's review status in the box editor.
type ImageStatus string

const (
	Unreviewed ImageStatus = "unreviewed"
	InProgress ImageStatus = "in progress"
	Done       ImageStatus = "confirmed"
)

// ImageMark is one image status row.
type ImageMark struct {
	ID      int64
	DicomID string
	Status  ImageStatus
	Who     string
	At      time.Time
}

// TranscriptEdit is one correction of a case's transcript: the text as it was and as it was
// saved (the transcript.json contents).
type TranscriptEdit struct {
	ID            int64
	Session, Case string
	Before, After string
	Who           string
	At            time.Time
}

// Change is one row another writer (or this one) appended; exactly one field is set.
type Change struct {
	Verdict    *Verdict
	Box        *BoxEdit
	Image      *ImageMark
	Transcript *TranscriptEdit
}

// Options tune a store handle; the zero value is the default.
type Options struct {
	// PollEvery is how often Watch polls a SQLite store (default 200 ms).
	PollEvery time.Duration
	// Now stamps rows (default time.Now); tests fix it.
	Now func() time.Time
	// ReadOnly opens the store for reading only: nothing is created or migrated, and writes
	// fail with ErrReadOnly.
	ReadOnly bool
	// Waiting, when set, is told once, from another goroutine, when a write or the opening has
	// waited WaitNotice for the writers' lock or for the server: what it waits for, and who
	// holds the lock.
	Waiting func(what string)
}

// ErrNewerSchema is returned (wrapped) when the store was written by a newer program.
var ErrNewerSchema = errors.New("review store is newer than this program")

// ErrStale is returned (wrapped) by Adjudicate when the box changed since the call was made.
var ErrStale = errors.New("the box changed meanwhile")

// Open opens the store at location: a postgres:// URL, a keyword/value DSN, an existing
// SQLite file, or a folder holding review.db. A study folder without one gets one; nothing
// else is ever created. A store whose schema is older is migrated forward; one that is
// current is only read while opening. A SQLite store this process cannot write is opened
// read-only (ReadOnly says why), as is every store when opt.ReadOnly is set.
func Open(ctx context.Context, location string, opt Options) (Store, error) {
	return open(ctx, location, opt, migrations)
}

func open(ctx context.Context, location string, opt Options, steps []migration) (Store, error) {
	if opt.PollEvery <= 0 {
		opt.PollEvery = 200 * time.Millisecond
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if IsPostgres(location) {
		st, err := openPostgres(ctx, location, opt, steps)
		return st, redactErr(err)
	}
	path, create, err := sqlitePath(location, opt.ReadOnly)
	if err != nil {
		return nil, err
	}
	return openSQLite(ctx, path, create, opt, steps)
}

// check refuses a verdict that cannot be stored.
func (v Verdict) check() error {
	switch {
	case v.Session == "" || v.Case == "":
		return errors.New("verdict: session and case are required")
	case v.Reviewer == "":
		return errors.New("verdict: reviewer is required")
	}
	switch v.Decision {
	case Pass, Fail, ReRead:
		return nil
	}
	return fmt.Errorf("verdict: decision %q, want pass, fail or re-read", v.Decision)
}

// check refuses a box state that cannot be stored.
func (b Box) check(after bool) error {
	switch b.Status {
	case Original, Edited, Confirmed:
	case Absent:
		return nil
	case NoBox:
		if after {
			return errors.New("status is empty, want original, edited, confirmed or absent")
		}
		return nil
	default:
		return fmt.Errorf("status %q, want original, edited, confirmed or absent", b.Status)
	}
	for _, v := range []float64{b.X1, b.X2, b.Y1, b.Y2} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("coordinate %v is not a number", v)
		}
	}
	if b.X1 > b.X2 || b.Y1 > b.Y2 {
		return fmt.Errorf("box x1 %v x2 %v y1 %v y2 %v is inside out", b.X1, b.X2, b.Y1, b.Y2)
	}
	return nil
}

func (e BoxEdit) check() error {
	if e.Key.DicomID == "" || e.Key.Zone == "" {
		return errors.New("box edit: dicom_id and zone are required")
	}
	if e.Who == "" {
		return fmt.Errorf("box edit %s/%s: who is required", e.Key.DicomID, e.Key.Zone)
	}
	for _, s := range []string{e.Key.DicomID, e.Key.Zone, e.Who} {
		if strings.ContainsFunc(s, unicode.IsControl) {
			return fmt.Errorf("box edit %q/%q by %q: a control character in a name", e.Key.DicomID, e.Key.Zone, e.Who)
		}
	}
	if e.Base < 0 {
		return fmt.Errorf("box edit %s/%s: base revision %d", e.Key.DicomID, e.Key.Zone, e.Base)
	}
	if err := e.After.check(true); err != nil {
		return fmt.Errorf("box edit %s/%s: %w", e.Key.DicomID, e.Key.Zone, err)
	}
	if err := e.Before.check(false); err != nil {
		return fmt.Errorf("box edit %s/%s: before: %w", e.Key.DicomID, e.Key.Zone, err)
	}
	return nil
}

func (m ImageMark) check() error {
	if m.DicomID == "" || m.Who == "" {
		return errors.New("image status: dicom_id and who are required")
	}
	switch m.Status {
	case Unreviewed, InProgress, Done:
		return nil
	}
	return fmt.Errorf("image status %q, want unreviewed, in progress or confirmed", m.Status)
}

func (e TranscriptEdit) check() error {
	if e.Session == "" || e.Case == "" || e.Who == "" {
		return errors.New("transcript edit: session, case and who are required")
	}
	return nil
}
