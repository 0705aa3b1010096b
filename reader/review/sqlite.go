package review

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver: pure Go, no cgo
)

var sqliteDialect = dialect{
	name: "sqlite",
	id:   "INTEGER PRIMARY KEY AUTOINCREMENT", // never reuses an id, so ids only grow
	// BEGIN IMMEDIATE (_txlock below) takes the write lock at the start of every transaction:
	// writers queue on the busy timeout instead of failing when a reader upgrades.
	lockWriters: "",
	notify:      "",
	appendOnly: func(t string) []string {
		return []string{
			`CREATE TRIGGER ` + t + `_no_update BEFORE UPDATE ON ` + t + ` BEGIN SELECT RAISE(ABORT, 'review store is append-only: UPDATE on ` + t + `'); END`,
			`CREATE TRIGGER ` + t + `_no_delete BEFORE DELETE ON ` + t + ` BEGIN SELECT RAISE(ABORT, 'review store is append-only: DELETE on ` + t + `'); END`,
		}
	},
}

// openSQLite opens the SQLite store at path in WAL mode, creating it when missing.
func openSQLite(ctx context.Context, path string, opt Options, steps []migration) (Store, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("review store %s: a SQLite path may not contain '?' or '#'", path)
	}
	// synchronous(FULL): a commit is on disk when it returns (nothing recorded is lost).
	dsn := path + "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("review store %s: %w", path, err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("review store %s: open: %w", path, err)
	}
	if mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("review store %s: the file system refuses WAL mode (journal_mode is %q); for a shared folder use a PostgreSQL store", path, mode)
	}
	s := newSQLStore(db, sqliteDialect, path, opt)
	if err := migrate(ctx, db, sqliteDialect, path, steps, s.now()); err != nil {
		db.Close()
		return nil, err
	}
	// Another process's commits are seen only by looking: poll.
	s.wakeups = func(ctx context.Context, wake chan<- struct{}) {
		t := time.NewTicker(opt.PollEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				signal(wake)
			}
		}
	}
	return s, nil
}
