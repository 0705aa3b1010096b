package review

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// timeLayout stamps rows: fixed width, UTC, so the text sorts as the time does.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// sqlStore is the Store over database/sql, shared by both backends.
type sqlStore struct {
	db  *sql.DB
	d   dialect
	opt Options
	loc string
	// wakeups starts what tells Watch to look for new rows: a ticker on SQLite, a
	// LISTEN connection on PostgreSQL. It sends on wake until ctx ends.
	wakeups func(ctx context.Context, wake chan<- struct{})
	closed  context.Context
	close   context.CancelFunc
	// version is the store's schema version as opened; readOnly, when set, says why the
	// handle cannot write.
	version  int
	readOnly string
	// watchers are the goroutines of every Watch, which Close waits for.
	watchers sync.WaitGroup
}

func newSQLStore(db *sql.DB, d dialect, loc string, opt Options) *sqlStore {
	s := &sqlStore{db: db, d: d, opt: opt, loc: loc}
	s.closed, s.close = context.WithCancel(context.Background())
	return s
}

func (s *sqlStore) Location() string { return s.loc }

func (s *sqlStore) ReadOnly() string { return s.readOnly }

func (s *sqlStore) Close() error {
	s.close() // ends every watch
	s.watchers.Wait()
	return s.db.Close()
}

func (s *sqlStore) now() string { return s.opt.Now().UTC().Format(timeLayout) }

func parseTime(v string) time.Time {
	t, _ := time.Parse(timeLayout, v) // written by us; a foreign value reads as the zero time
	return t
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// write runs f in a write transaction: the writers' lock first, the notification last.
func (s *sqlStore) write(ctx context.Context, what string, f func(tx *wtx) error) error {
	if s.readOnly != "" {
		return fmt.Errorf("review store: %s: %w (%s)", what, ErrReadOnly, s.readOnly)
	}
	// SQLite takes the writers' lock at BEGIN (IMMEDIATE), PostgreSQL in lockWriters.
	waited := noteWait(s.opt, s.waitingFor)
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		waited()
		return fmt.Errorf("review store: %s: begin: %w", what, connectErr(err))
	}
	defer t.Rollback()
	tx := &wtx{Tx: t, chained: s.version >= chainVersion, heads: map[string]string{}, ins: map[string]*sql.Stmt{}}
	defer tx.closeStmts()
	if s.d.lockWriters != "" {
		if _, err := tx.ExecContext(ctx, s.d.lockWriters); err != nil {
			waited()
			return fmt.Errorf("review store: %s: lock: %w", what, connectErr(err))
		}
	}
	waited()
	if err := f(tx); err != nil {
		return fmt.Errorf("review store: %s: %w", what, err)
	}
	if s.d.notify != "" {
		if _, err := tx.ExecContext(ctx, s.d.notify); err != nil {
			return fmt.Errorf("review store: %s: notify: %w", what, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("review store: %s: commit: %w", what, err)
	}
	return nil
}

// --- verdicts

const verdictCols = `id, session, case_id, files_whole, audio_ok, no_abrupt_stop, gaze_valid, calibration_good, decision, note, reviewer, at`

func scanVerdict(r interface{ Scan(...any) error }) (Verdict, error) {
	var v Verdict
	var fw, ao, na, gv, cg int64
	var at string
	err := r.Scan(&v.ID, &v.Session, &v.Case, &fw, &ao, &na, &gv, &cg, &v.Decision, &v.Note, &v.Reviewer, &at)
	v.Checklist = Checklist{FilesWhole: fw != 0, AudioOK: ao != 0, NoAbruptStop: na != 0, GazeValid: gv != 0, CalibrationGood: cg != 0}
	v.At = parseTime(at)
	return v, err
}

func (s *sqlStore) AddVerdict(ctx context.Context, v Verdict) (Verdict, error) {
	if err := v.check(); err != nil {
		return Verdict{}, err
	}
	at := s.now()
	err := s.write(ctx, "add verdict", func(tx *wtx) error {
		c := v.Checklist
		var err error
		v.ID, err = tx.insert(ctx, verdictTable, v.Session, v.Case, b2i(c.FilesWhole), b2i(c.AudioOK), b2i(c.NoAbruptStop),
			b2i(c.GazeValid), b2i(c.CalibrationGood), string(v.Decision), v.Note, v.Reviewer, at)
		return err
	})
	if err != nil {
		return Verdict{}, err
	}
	v.At = parseTime(at)
	return v, nil
}

func (s *sqlStore) Verdicts(ctx context.Context, session string) ([]Verdict, error) {
	q := `SELECT ` + verdictCols + ` FROM verdicts WHERE ($1 = '' OR session = $1) ORDER BY id`
	return query(ctx, s.db, "read verdicts", q, scanVerdict, session)
}

// --- boxes

const boxCols = `id, dicom_id, bbox_name, kind, base, resolves,
	before_status, before_x1, before_x2, before_y1, before_y2, before_locked,
	status, x1, x2, y1, y2, locked, who, at`

func scanBox(r interface{ Scan(...any) error }) (BoxEdit, error) {
	var e BoxEdit
	var before, after nullBox
	var at string
	err := r.Scan(&e.Rev, &e.Key.DicomID, &e.Key.Zone, &e.Kind, &e.Base, &e.Resolves,
		&before.status, &before.x1, &before.x2, &before.y1, &before.y2, &before.locked,
		&after.status, &after.x1, &after.x2, &after.y1, &after.y2, &after.locked, &e.Who, &at)
	e.Before, e.After = before.box(), after.box()
	e.At = parseTime(at)
	return e, err
}

// nullBox is a Box as stored: no coordinates (NULL) when the box has no place.
type nullBox struct {
	status         string
	x1, x2, y1, y2 sql.NullFloat64
	locked         int64
}

func (n nullBox) box() Box {
	return Box{Status: BoxStatus(n.status), X1: n.x1.Float64, X2: n.x2.Float64, Y1: n.y1.Float64, Y2: n.y2.Float64, Locked: n.locked != 0}
}

// args are b's columns as stored: status, x1, x2, y1, y2, locked.
func boxArgs(b Box) []any {
	if !b.HasCoords() {
		return []any{string(b.Status), nil, nil, nil, nil, b2i(b.Locked)}
	}
	return []any{string(b.Status), b.X1, b.X2, b.Y1, b.Y2, b2i(b.Locked)}
}

func insertArgs(e BoxEdit, at string) []any {
	a := []any{e.Key.DicomID, e.Key.Zone, string(e.Kind), e.Base, e.Resolves}
	a = append(a, boxArgs(e.Before)...)
	a = append(a, boxArgs(e.After)...)
	return append(a, e.Who, at)
}

// latest is the key's latest accepted row (Rev 0 when the key has none).
func latest(ctx context.Context, st *sql.Stmt, k BoxKey) (BoxEdit, error) {
	e, err := scanBox(st.QueryRowContext(ctx, k.DicomID, k.Zone))
	if errors.Is(err, sql.ErrNoRows) {
		return BoxEdit{}, nil
	}
	return e, err
}

// bulkEdits is the batch size above which EditBoxes reads every current box at once.
const bulkEdits = 64

const latestBox = `SELECT ` + boxCols + ` FROM box_edits
	WHERE dicom_id = $1 AND bbox_name = $2 AND kind <> 'conflict' ORDER BY id DESC LIMIT 1`

func (s *sqlStore) EditBoxes(ctx context.Context, edits []BoxEdit) ([]BoxEdit, error) {
	for _, e := range edits {
		if err := e.check(); err != nil {
			return nil, err
		}
	}
	at := s.now()
	out := make([]BoxEdit, len(edits))
	err := s.write(ctx, fmt.Sprintf("edit %d box(es)", len(edits)), func(tx *wtx) error {
		latestSt, err := tx.PrepareContext(ctx, latestBox)
		if err != nil {
			return err
		}
		defer latestSt.Close()
		// A big batch reads every box as it stands in one query, not one query per edit.
		var current map[BoxKey]BoxEdit
		if len(edits) > bulkEdits {
			rows, err := tx.QueryContext(ctx, `SELECT `+boxCols+` FROM box_edits WHERE kind <> 'conflict' ORDER BY id`)
			if err != nil {
				return err
			}
			all, err := collect(rows, scanBox)
			if err != nil {
				return err
			}
			current = CurrentBoxes(all)
		}
		for i, e := range edits {
			cur, err := current[e.Key], error(nil)
			if current == nil {
				cur, err = latest(ctx, latestSt, e.Key)
			}
			if err != nil {
				return fmt.Errorf("%s/%s: read the current box: %w", e.Key.DicomID, e.Key.Zone, err)
			}
			e.Kind, e.Resolves = KindEdit, 0
			// A row that changes nothing is not history: the box as it stands is returned.
			switch {
			case e.Base == cur.Rev && e.Base != 0 && e.After == cur.After:
				out[i] = cur
				continue
			case e.Base == 0 && cur.Rev == 0 && e.After == e.Before:
				out[i] = e
				continue
			}
			switch {
			case e.Base == cur.Rev && e.Base != 0:
				e.Before = cur.After
			case e.Base != cur.Rev:
				e.Kind = KindConflict
				if e.Base != 0 {
					b, err := scanBox(tx.QueryRowContext(ctx, `SELECT `+boxCols+` FROM box_edits WHERE id = $1`, e.Base))
					if errors.Is(err, sql.ErrNoRows) || err == nil && b.Key != e.Key {
						return fmt.Errorf("%s/%s: based on revision %d, which is not a revision of that box", e.Key.DicomID, e.Key.Zone, e.Base)
					}
					if err != nil {
						return fmt.Errorf("%s/%s: read base revision %d: %w", e.Key.DicomID, e.Key.Zone, e.Base, err)
					}
					e.Before = b.After
				}
			}
			if e.Rev, err = tx.insert(ctx, boxTable, insertArgs(e, at)...); err != nil {
				return fmt.Errorf("%s/%s: insert: %w", e.Key.DicomID, e.Key.Zone, err)
			}
			e.At = parseTime(at)
			out[i] = e
			if current != nil && e.Kind != KindConflict {
				current[e.Key] = e // a second edit of the key in this batch is based on this one
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *sqlStore) BoxLog(ctx context.Context, dicomID string) ([]BoxEdit, error) {
	q := `SELECT ` + boxCols + ` FROM box_edits WHERE ($1 = '' OR dicom_id = $1) ORDER BY id`
	return query(ctx, s.db, "read box edits", q, scanBox, dicomID)
}

func (s *sqlStore) Adjudicate(ctx context.Context, c Conflict, pick int64, who string) (BoxEdit, error) {
	if who == "" {
		return BoxEdit{}, errors.New("adjudicate: who is required")
	}
	var out BoxEdit
	err := s.write(ctx, fmt.Sprintf("adjudicate %s/%s", c.Key.DicomID, c.Key.Zone), func(tx *wtx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+boxCols+` FROM box_edits WHERE dicom_id = $1 AND bbox_name = $2 ORDER BY id`,
			c.Key.DicomID, c.Key.Zone)
		if err != nil {
			return err
		}
		log, err := collect(rows, scanBox)
		if err != nil {
			return err
		}
		now, ok := conflictOf(log)
		if !ok {
			return fmt.Errorf("no open conflict on that box")
		}
		if now.Current.Rev != c.Current.Rev || !slices.EqualFunc(now.Rivals, c.Rivals, func(a, b BoxEdit) bool { return a.Rev == b.Rev }) {
			return ErrStale
		}
		var chosen *BoxEdit
		for _, r := range append([]BoxEdit{now.Current}, now.Rivals...) {
			if r.Rev == pick {
				chosen = &r
				break
			}
		}
		if chosen == nil {
			return fmt.Errorf("revision %d is neither the current box (%d) nor an open conflict", pick, now.Current.Rev)
		}
		out = BoxEdit{Key: c.Key, Kind: KindAdjudication, Base: now.Current.Rev, Resolves: now.Rivals[len(now.Rivals)-1].Rev,
			Before: now.Current.After, After: chosen.After, Who: who}
		at := s.now()
		if out.Rev, err = tx.insert(ctx, boxTable, insertArgs(out, at)...); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		out.At = parseTime(at)
		return nil
	})
	return out, err
}

// --- image status

const imageCols = `id, dicom_id, status, who, at`

func scanImage(r interface{ Scan(...any) error }) (ImageMark, error) {
	var m ImageMark
	var at string
	err := r.Scan(&m.ID, &m.DicomID, &m.Status, &m.Who, &at)
	m.At = parseTime(at)
	return m, err
}

func (s *sqlStore) MarkImage(ctx context.Context, m ImageMark) (ImageMark, error) {
	if err := m.check(); err != nil {
		return ImageMark{}, err
	}
	at := s.now()
	err := s.write(ctx, "mark image", func(tx *wtx) error {
		var err error
		m.ID, err = tx.insert(ctx, imageTable, m.DicomID, string(m.Status), m.Who, at)
		return err
	})
	if err != nil {
		return ImageMark{}, err
	}
	m.At = parseTime(at)
	return m, nil
}

func (s *sqlStore) ImageMarks(ctx context.Context) ([]ImageMark, error) {
	return query(ctx, s.db, "read image status", `SELECT `+imageCols+` FROM image_status ORDER BY id`, scanImage)
}

// --- transcripts

const transcriptCols = `id, session, case_id, before_text, after_text, who, at`

func scanTranscript(r interface{ Scan(...any) error }) (TranscriptEdit, error) {
	var e TranscriptEdit
	var at string
	err := r.Scan(&e.ID, &e.Session, &e.Case, &e.Before, &e.After, &e.Who, &at)
	e.At = parseTime(at)
	return e, err
}

func (s *sqlStore) AddTranscriptEdit(ctx context.Context, e TranscriptEdit) (TranscriptEdit, error) {
	if err := e.check(); err != nil {
		return TranscriptEdit{}, err
	}
	at := s.now()
	err := s.write(ctx, "add transcript edit", func(tx *wtx) error {
		var err error
		e.ID, err = tx.insert(ctx, transcriptTable, e.Session, e.Case, e.Before, e.After, e.Who, at)
		return err
	})
	if err != nil {
		return TranscriptEdit{}, err
	}
	e.At = parseTime(at)
	return e, nil
}

func (s *sqlStore) TranscriptEdits(ctx context.Context, session string) ([]TranscriptEdit, error) {
	q := `SELECT ` + transcriptCols + ` FROM transcript_edits WHERE ($1 = '' OR session = $1) ORDER BY id`
	return query(ctx, s.db, "read transcript edits", q, scanTranscript, session)
}

// --- helpers

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func query[T any](ctx context.Context, db querier, what, q string, scan func(interface{ Scan(...any) error }) (T, error), args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("review store: %s: %w", what, connectErr(err))
	}
	out, err := collect(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("review store: %s: %w", what, err)
	}
	return out, nil
}

func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
