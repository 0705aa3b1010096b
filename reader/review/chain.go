package review

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The history tables are hash-chained: every row written from schema version 3 on carries,
// in prev_hash, the chain value of the rows before it, where
//
//	chain(0) = genesis(table), chain(n) = SHA-256(chain(n-1), id(n), columns(n))
//
// Rows written before version 3 carry no hash (prev_hash is empty); the first row written
// after them covers them all, so changing, removing or inserting any row before the table's
// last one breaks the chain at the next chained row. VerifyChain recomputes it.

// histTable is a history table as the chain sees it: its columns in insert order, after id.
type histTable struct {
	name string
	cols []string
}

var (
	verdictTable = histTable{tVerdicts, []string{"session", "case_id", "files_whole", "audio_ok", "no_abrupt_stop",
		"gaze_valid", "calibration_good", "decision", "note", "reviewer", "at"}}
	boxTable = histTable{tBoxEdits, []string{"dicom_id", "bbox_name", "kind", "base", "resolves",
		"before_status", "before_x1", "before_x2", "before_y1", "before_y2", "before_locked",
		"status", "x1", "x2", "y1", "y2", "locked", "who", "at"}}
	imageTable      = histTable{tImageStatus, []string{"dicom_id", "status", "who", "at"}}
	transcriptTable = histTable{tTranscripts, []string{"session", "case_id", "before_text", "after_text", "who", "at"}}
	histTables      = []histTable{verdictTable, boxTable, imageTable, transcriptTable}
)

// chainVersion is the schema version that added prev_hash.
const chainVersion = 3

func (t histTable) insertSQL(chained bool) string {
	cols := append([]string(nil), t.cols...)
	if chained {
		cols = append(cols, "prev_hash")
	}
	ph := make([]string, len(cols))
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	return `INSERT INTO ` + t.name + ` (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(ph, ", ") + `) RETURNING id`
}

func genesis(table string) string {
	s := sha256.Sum256([]byte("sightline review chain\x00" + table))
	return hex.EncodeToString(s[:])
}

// link is chain(n) from chain(n-1) and row n: every value typed and length-prefixed, so no
// two different rows encode alike.
func link(prev string, id int64, vals []any) string {
	b := make([]byte, 0, 256)
	b = append(b, prev...)
	b = append(b, 0, 'i')
	b = strconv.AppendInt(b, id, 10)
	b = append(b, ';')
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			b = append(b, "n;"...)
		case int64:
			b = strconv.AppendInt(append(b, 'i'), x, 10)
			b = append(b, ';')
		case int32:
			b = strconv.AppendInt(append(b, 'i'), int64(x), 10)
			b = append(b, ';')
		case int:
			b = strconv.AppendInt(append(b, 'i'), int64(x), 10)
			b = append(b, ';')
		case float64:
			b = strconv.AppendFloat(append(b, 'f'), x, 'g', -1, 64)
			b = append(b, ';')
		case string:
			b = strconv.AppendInt(append(b, 's'), int64(len(x)), 10)
			b = append(append(append(b, ':'), x...), ';')
		case []byte:
			b = strconv.AppendInt(append(b, 's'), int64(len(x)), 10)
			b = append(append(append(b, ':'), x...), ';')
		case bool:
			if x {
				b = append(b, "i1;"...)
			} else {
				b = append(b, "i0;"...)
			}
		default:
			b = fmt.Appendf(b, "?%v;", x)
		}
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// chainRow is one row as read back for the chain.
type chainRow struct {
	id   int64
	vals []any
	prev string
}

// readChain calls f on every row of t in id order (from id > after, when after > 0).
func readChain(ctx context.Context, q querier, t histTable, tail bool, f func(chainRow) error) error {
	sel := `SELECT id, ` + strings.Join(t.cols, ", ") + `, prev_hash FROM ` + t.name + ` ORDER BY id`
	if tail {
		sel += ` DESC LIMIT 1`
	}
	rows, err := q.QueryContext(ctx, sel)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := len(t.cols)
	for rows.Next() {
		r := chainRow{vals: make([]any, n)}
		dst := make([]any, n+2)
		dst[0] = &r.id
		for i := range r.vals {
			dst[i+1] = &r.vals[i]
		}
		dst[n+1] = &r.prev
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		if err := f(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// wtx is a write transaction: the rows it appends are chained to the table's last row.
type wtx struct {
	*sql.Tx
	chained bool
	heads   map[string]string    // table → chain value of its last row
	ins     map[string]*sql.Stmt // table → prepared insert
}

// head is the chain value of t's last row, read once per transaction (writers are serialised,
// so nobody appends behind our back).
func (tx *wtx) head(ctx context.Context, t histTable) (string, error) {
	if h, ok := tx.heads[t.name]; ok {
		return h, nil
	}
	var last *chainRow
	err := readChain(ctx, tx, t, true, func(r chainRow) error { last = &r; return nil })
	if err != nil {
		return "", fmt.Errorf("read the chain of %s: %w", t.name, err)
	}
	h := genesis(t.name)
	switch {
	case last == nil:
	case last.prev != "":
		h = link(last.prev, last.id, last.vals)
	default:
		// The last row predates the chain: the first chained row covers every row before it.
		err := readChain(ctx, tx, t, false, func(r chainRow) error {
			if r.prev != "" {
				h = r.prev
			}
			h = link(h, r.id, r.vals)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("read the chain of %s: %w", t.name, err)
		}
	}
	tx.heads[t.name] = h
	return h, nil
}

// insert appends one row of t (vals in t.cols order) and returns its id.
func (tx *wtx) insert(ctx context.Context, t histTable, vals ...any) (int64, error) {
	if len(vals) != len(t.cols) {
		return 0, fmt.Errorf("insert into %s: %d values for %d columns", t.name, len(vals), len(t.cols))
	}
	st, ok := tx.ins[t.name]
	if !ok {
		var err error
		if st, err = tx.PrepareContext(ctx, t.insertSQL(tx.chained)); err != nil {
			return 0, err
		}
		tx.ins[t.name] = st
	}
	args := vals
	var prev string
	if tx.chained {
		var err error
		if prev, err = tx.head(ctx, t); err != nil {
			return 0, err
		}
		args = append(append(make([]any, 0, len(vals)+1), vals...), prev)
	}
	var id int64
	if err := st.QueryRowContext(ctx, args...).Scan(&id); err != nil {
		return 0, err
	}
	if tx.chained {
		tx.heads[t.name] = link(prev, id, vals)
	}
	return id, nil
}

func (tx *wtx) closeStmts() {
	for _, st := range tx.ins {
		st.Close()
	}
}

// ChainBreak is the first row of a table that does not follow from the rows before it.
type ChainBreak struct {
	Table string
	Row   int64
	// Reason says how: the hash it carries differs from the rows before it, or it carries none
	// after rows that do.
	Reason string
}

func (b ChainBreak) String() string { return fmt.Sprintf("%s row %d: %s", b.Table, b.Row, b.Reason) }

// ChainReport is what VerifyChain found.
type ChainReport struct {
	Rows    int // rows read, every table
	Chained int // of them, rows that carry a hash
	// Unchained is set when the store's schema predates the chain (nothing to verify).
	Unchained bool
	Breaks    []ChainBreak // the first break of each table that has one
}

// String says the verdict in one line, for reports.
func (r ChainReport) String() string {
	switch {
	case r.Unchained:
		return "history not verified: the store predates the hash chain (open it once with write access to migrate it)"
	case len(r.Breaks) > 0:
		return fmt.Sprintf("history chain BROKEN at %s", r.Breaks[0])
	}
	return fmt.Sprintf("history chain verified (%d rows)", r.Rows)
}

// OK reports whether every table's chain holds.
func (r ChainReport) OK() bool { return !r.Unchained && len(r.Breaks) == 0 }

// VerifyChain recomputes every history table's hash chain from its rows and names the first
// row of each table that breaks it. It only reads.
func VerifyChain(ctx context.Context, st Store) (ChainReport, error) {
	s, ok := st.(*sqlStore)
	if !ok {
		return ChainReport{}, errors.New("verify: not a review store")
	}
	var rep ChainReport
	if s.version < chainVersion {
		rep.Unchained = true
		return rep, nil
	}
	for _, t := range histTables {
		h := genesis(t.name)
		var brk *ChainBreak
		seenChained := false
		err := readChain(ctx, s.db, t, false, func(r chainRow) error {
			rep.Rows++
			if brk == nil {
				switch {
				case r.prev != "" && r.prev != h:
					brk = &ChainBreak{t.name, r.id, "the hash it carries does not match the rows before it: a row up to this one was changed, removed or inserted"}
				case r.prev == "" && seenChained:
					brk = &ChainBreak{t.name, r.id, "it carries no hash, after rows that do: written around the store"}
				}
			}
			if r.prev != "" {
				rep.Chained++
				seenChained = true
			}
			h = link(h, r.id, r.vals)
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("review store %s: verify %s: %w", s.loc, t.name, err)
		}
		if brk != nil {
			rep.Breaks = append(rep.Breaks, *brk)
		}
	}
	return rep, nil
}
