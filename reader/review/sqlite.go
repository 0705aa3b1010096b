package review

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
	// REPLACE (and INSERT OR REPLACE) of a row that exists deletes it first, and the DELETE
	// trigger does not fire for that delete: refuse an insert whose row id is taken, before
	// the conflict is resolved.
	appendOnlyV3: func(t string) []string {
		return []string{
			`CREATE TRIGGER ` + t + `_no_replace BEFORE INSERT ON ` + t + ` WHEN EXISTS (SELECT 1 FROM ` + t + ` WHERE rowid = NEW.rowid)
			BEGIN SELECT RAISE(ABORT, 'review store is append-only: REPLACE on ` + t + `'); END`,
		}
	},
}

// folderWritable reports whether this process may create files in dir (a test stands in for a
// user without the right: root has it everywhere).
var folderWritable = func(dir string) bool { return syscall.Access(dir, 2) == nil }

// walHolds reports whether path's write-ahead log holds anything: commits not yet in the file.
func walHolds(path string) bool {
	st, err := os.Stat(path + "-wal")
	return err == nil && st.Size() > 0
}

// openSQLite opens the SQLite store at path in WAL mode (creating it when create is set), or
// read-only when asked or when this process cannot write it.
func openSQLite(ctx context.Context, path string, create bool, opt Options, steps []migration) (Store, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("review store %s: a SQLite path may not contain '?' or '#'", path)
	}
	readOnly := ""
	switch {
	case opt.ReadOnly:
		readOnly = "opened for reading only"
	case !create:
		readOnly = notWritable(path)
	}
	dsn, readOnly := sqliteDSN(path, create, readOnly)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("review store %s: %w", path, err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		db.Close()
		if readOnly != "" && !folderWritable(filepath.Dir(path)) {
			return nil, fmt.Errorf("review store %s: someone is writing it, and reading beside a writer needs its lock files, which this user cannot make in %s: read it with write access to that folder, or once the editors are closed", path, filepath.Dir(path))
		}
		return nil, fmt.Errorf("review store %s: open: %w", path, err)
	}
	if mode != "wal" && readOnly == "" {
		db.Close()
		return nil, fmt.Errorf("review store %s: the file system refuses WAL mode (journal_mode is %q); for a shared folder use a PostgreSQL store", path, mode)
	}
	s := newSQLStore(db, sqliteDialect, path, opt)
	s.readOnly = readOnly
	waited := noteWait(opt, s.waitingFor)
	s.version, err = migrate(ctx, db, sqliteDialect, path, steps, s.now(), readOnly)
	waited()
	if err != nil {
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

// sqliteDSN is how path is opened: created, written, or read only (readOnly says why; to it is
// added how the store is read when its folder is not writable).
func sqliteDSN(path string, create bool, readOnly string) (string, string) {
	// synchronous(FULL): a commit is on disk when it returns (nothing recorded is lost).
	// mode=rw: a file that vanished since it was checked is not made again.
	dsn := "file:" + path + "?mode=rw&_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	switch {
	case create:
		dsn = "file:" + path + "?mode=rwc&_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	case readOnly != "":
		// No journal_mode pragma (it writes); query_only refuses writes in SQLite itself too.
		dsn = "file:" + path + "?mode=ro&_pragma=busy_timeout(30000)&_pragma=query_only(1)"
		if !folderWritable(filepath.Dir(path)) && !walHolds(path) {
			// A reader of a WAL database needs its -shm file, which it cannot make in a folder
			// it may not write ("attempt to write a readonly database"). With no -wal content
			// the file itself is the whole store: read it as immutable, which needs neither.
			dsn += "&immutable=1"
			readOnly += "; read as it stood when opened (the folder is not writable)"
		}
	}
	return dsn, readOnly
}
