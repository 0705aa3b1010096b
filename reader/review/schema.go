package review

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// dialect is what differs between the two backends; the SQL text is otherwise shared
// ($N placeholders work in both).
type dialect struct {
	name string
	// id is the column definition of a table's row id: it grows in commit order, because
	// every write transaction holds the writers' lock (lockWriters) before it inserts.
	id string
	// lockWriters runs first in every write transaction ("" where BEGIN already serialises).
	lockWriters string
	// notify runs last in every write transaction ("" where Watch polls).
	notify string
	// appendOnly makes a table refuse UPDATE and DELETE.
	appendOnly func(table string) []string
	// appendOnlyV3 closes what appendOnly left open: SQLite's REPLACE (a delete the DELETE
	// trigger does not see) and PostgreSQL's TRUNCATE (row triggers do not fire on it).
	appendOnlyV3 func(table string) []string
}

// migration is one step of the schema, run with the steps before it in one transaction.
type migration struct {
	version int
	name    string
	stmts   func(d dialect) []string
}

// migrations are the schema's steps in order. Add a step at the end; never edit one that
// has shipped.
var migrations = []migration{
	{1, "verdicts, box edits, image status", schemaV1},
	{2, "transcript corrections", schemaV2},
	{chainVersion, "hash chain; REPLACE and TRUNCATE refused", schemaV3},
}

// Tables in the order Watch reports them.
const (
	tVerdicts    = "verdicts"
	tBoxEdits    = "box_edits"
	tImageStatus = "image_status"
	tTranscripts = "transcript_edits"
)

func schemaV1(d dialect) []string {
	coords := func(prefix string) string {
		return fmt.Sprintf("%[1]sx1 DOUBLE PRECISION, %[1]sx2 DOUBLE PRECISION, %[1]sy1 DOUBLE PRECISION, %[1]sy2 DOUBLE PRECISION", prefix)
	}
	s := []string{
		`CREATE TABLE verdicts (
			id ` + d.id + `,
			session TEXT NOT NULL,
			case_id TEXT NOT NULL,
			files_whole INTEGER NOT NULL,
			audio_ok INTEGER NOT NULL,
			no_abrupt_stop INTEGER NOT NULL,
			gaze_valid INTEGER NOT NULL,
			calibration_good INTEGER NOT NULL,
			decision TEXT NOT NULL CHECK (decision IN ('pass', 'fail', 're-read')),
			note TEXT NOT NULL,
			reviewer TEXT NOT NULL,
			at TEXT NOT NULL)`,
		`CREATE INDEX verdicts_case ON verdicts (session, case_id, id)`,
		`CREATE TABLE box_edits (
			id ` + d.id + `,
			dicom_id TEXT NOT NULL,
			bbox_name TEXT NOT NULL,
			kind TEXT NOT NULL CHECK (kind IN ('edit', 'conflict', 'adjudication')),
			base BIGINT NOT NULL,
			resolves BIGINT NOT NULL,
			before_status TEXT NOT NULL CHECK (before_status IN ('', 'original', 'edited', 'confirmed', 'absent')),
			` + coords("before_") + `,
			before_locked INTEGER NOT NULL,
			status TEXT NOT NULL CHECK (status IN ('original', 'edited', 'confirmed', 'absent')),
			` + coords("") + `,
			locked INTEGER NOT NULL,
			who TEXT NOT NULL,
			at TEXT NOT NULL)`,
		`CREATE INDEX box_edits_key ON box_edits (dicom_id, bbox_name, id)`,
		`CREATE TABLE image_status (
			id ` + d.id + `,
			dicom_id TEXT NOT NULL,
			status TEXT NOT NULL CHECK (status IN ('unreviewed', 'in progress', 'confirmed')),
			who TEXT NOT NULL,
			at TEXT NOT NULL)`,
		`CREATE INDEX image_status_image ON image_status (dicom_id, id)`,
	}
	for _, t := range []string{"schema_version", tVerdicts, tBoxEdits, tImageStatus} {
		s = append(s, d.appendOnly(t)...)
	}
	return s
}

func schemaV2(d dialect) []string {
	return append([]string{
		`CREATE TABLE transcript_edits (
			id ` + d.id + `,
			session TEXT NOT NULL,
			case_id TEXT NOT NULL,
			before_text TEXT NOT NULL,
			after_text TEXT NOT NULL,
			who TEXT NOT NULL,
			at TEXT NOT NULL)`,
		`CREATE INDEX transcript_edits_case ON transcript_edits (session, case_id, id)`,
	}, d.appendOnly(tTranscripts)...)
}

func schemaV3(d dialect) []string {
	var s []string
	for _, t := range histTables {
		s = append(s, `ALTER TABLE `+t.name+` ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''`)
	}
	for _, t := range []string{"schema_version", tVerdicts, tBoxEdits, tImageStatus, tTranscripts} {
		s = append(s, d.appendOnlyV3(t)...)
	}
	return s
}

// schemaVersion reads the store's schema version without a transaction: a store that is
// current is opened without ever taking the write lock.
func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var cur int
	err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur)
	return cur, err
}

// noTable reports whether err says that schema_version does not exist (SQLite's message,
// PostgreSQL's SQLSTATE 42P01 undefined_table).
func noTable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "42P01"
	}
	return strings.Contains(err.Error(), "no such table")
}

// migrate brings the store up to the last of steps in one transaction, or refuses a store
// whose schema is newer than steps know, and returns the schema version. A store already
// current is only read; so is a store opened read-only (readOnly: why), at whatever version.
func migrate(ctx context.Context, db *sql.DB, d dialect, loc string, steps []migration, now, readOnly string) (int, error) {
	known := 0
	if len(steps) > 0 {
		known = steps[len(steps)-1].version
	}
	cur, rerr := schemaVersion(ctx, db)
	switch {
	case rerr == nil && cur > known:
		return cur, newerSchema(loc, cur, known)
	case rerr == nil && cur == known:
		return cur, nil
	case readOnly != "" && rerr != nil && noTable(rerr):
		return 0, fmt.Errorf("%w: %s holds no review tables yet", ErrNoStore, loc)
	case readOnly != "" && rerr != nil:
		return 0, fmt.Errorf("review store %s: read the schema version: %w", loc, rerr)
	case readOnly != "":
		return cur, nil
	}
	if err := migrateWrite(ctx, db, d, loc, steps, now); err != nil {
		return 0, err
	}
	return known, nil
}

func newerSchema(loc string, cur, known int) error {
	return fmt.Errorf("%w: %s has schema version %d, this sightline knows versions up to %d; open it with a newer sightline",
		ErrNewerSchema, loc, cur, known)
}

// migrateWrite runs the steps the store lacks, under the writers' lock.
func migrateWrite(ctx context.Context, db *sql.DB, d dialect, loc string, steps []migration, now string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("review store %s: begin migration: %w", loc, err)
	}
	defer tx.Rollback()
	if d.lockWriters != "" {
		if _, err := tx.ExecContext(ctx, d.lockWriters); err != nil {
			return fmt.Errorf("review store %s: lock for migration: %w", loc, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version INTEGER NOT NULL, name TEXT NOT NULL, at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("review store %s: schema_version: %w", loc, err)
	}
	var cur int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return fmt.Errorf("review store %s: read schema version: %w", loc, err)
	}
	known := steps[len(steps)-1].version
	if cur > known {
		return newerSchema(loc, cur, known)
	}
	if cur == known {
		return nil // migrated meanwhile by another handle: the rollback only ends the transaction
	}
	for _, m := range steps {
		if m.version <= cur {
			continue
		}
		for _, q := range m.stmts(d) {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("review store %s: migrate to version %d (%s): %s: %w", loc, m.version, m.name, firstLine(q), err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name, at) VALUES ($1, $2, $3)`,
			m.version, m.name, now); err != nil {
			return fmt.Errorf("review store %s: record version %d: %w", loc, m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("review store %s: commit migration: %w", loc, err)
	}
	return nil
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	return q
}
