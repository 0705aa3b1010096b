package review

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// notifyChannel is the LISTEN/NOTIFY channel every write transaction notifies.
const notifyChannel = "sightline_review"

var postgresDialect = dialect{
	name: "postgres",
	id:   "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
	// One transaction-scoped advisory lock for all writers: ids are then taken and committed
	// in the same order, so Watch's "rows above the last id seen" never skips a late commit,
	// and conflict detection reads a latest revision nobody else is writing. A team's edits
	// are human-paced; the lock is held for milliseconds.
	lockWriters: `SELECT pg_advisory_xact_lock(6003117390461620565)`,
	notify:      `SELECT pg_notify('` + notifyChannel + `', '')`,
	appendOnly: func(t string) []string {
		return []string{
			`CREATE OR REPLACE FUNCTION review_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'review store is append-only: % on %', TG_OP, TG_TABLE_NAME; END $$`,
			`CREATE TRIGGER ` + t + `_append_only BEFORE UPDATE OR DELETE ON ` + t + ` FOR EACH ROW EXECUTE FUNCTION review_append_only()`,
		}
	},
	// Row triggers do not fire on TRUNCATE: a statement trigger refuses it.
	appendOnlyV3: func(t string) []string {
		return []string{
			`CREATE TRIGGER ` + t + `_no_truncate BEFORE TRUNCATE ON ` + t + ` FOR EACH STATEMENT EXECUTE FUNCTION review_append_only()`,
		}
	},
}

// openPostgres opens the PostgreSQL store at url (a URL or a keyword/value DSN), creating and
// migrating its tables.
func openPostgres(ctx context.Context, url string, opt Options, steps []migration) (Store, error) {
	loc := redact(url)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("review store %s: %w", loc, err)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		// Named in pg_stat_activity, and so in what a writer waiting on our lock is told.
		cfg.RuntimeParams["application_name"] = "sightline"
	}
	db := stdlib.OpenDB(*cfg)
	s := newSQLStore(db, postgresDialect, loc, opt)
	if opt.ReadOnly {
		s.readOnly = "opened for reading only"
	}
	// The connection and the schema's version are the opening's waits (a server that does not
	// answer; a migration queued behind a writer).
	waited := noteWait(opt, s.waitingFor)
	err = db.PingContext(ctx)
	if err == nil {
		s.version, err = migrate(ctx, db, postgresDialect, loc, steps, s.now(), s.readOnly)
	} else {
		err = fmt.Errorf("review store %s: %w", loc, connectErr(err))
	}
	waited()
	if err != nil {
		db.Close()
		return nil, err
	}
	s.wakeups = func(ctx context.Context, wake chan<- struct{}) { listen(ctx, cfg, wake) }
	return s, nil
}

// listen holds a LISTEN connection and signals wake on every notification, reconnecting with
// a back-off when the connection drops. Each (re)connection signals once, so Watch catches up
// on whatever was committed while nobody was listening.
func listen(ctx context.Context, cfg *pgx.ConnConfig, wake chan<- struct{}) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
		if err == nil {
			if _, err = conn.Exec(ctx, `LISTEN `+notifyChannel); err == nil {
				backoff = 100 * time.Millisecond
				signal(wake)
				for {
					if _, err = conn.WaitForNotification(ctx); err != nil {
						break
					}
					signal(wake)
				}
			}
			conn.Close(context.Background())
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
			backoff = min(2*backoff, 5*time.Second)
		}
	}
}

// connectError is a failed connection to PostgreSQL, said once. pgx joins one error per
// attempt, each led by the address: with sslmode=prefer (the default) a TLS attempt and then a
// plain one, so every message began "tls error" whatever went wrong after.
type connectError struct {
	addr, db, user string
	cause          string
	err            error // what pgx said, for errors.Is and errors.As
}

func (e *connectError) Error() string {
	return fmt.Sprintf("cannot connect to PostgreSQL at %s (database %s, user %s): %s", e.addr, e.db, e.user, e.cause)
}

func (e *connectError) Unwrap() error { return e.err }

// connectErr turns pgx's connection error into a connectError: the server's own word when it
// answered (a missing database, a refused password), else the cause of the last attempt (a
// refused connection, a timeout). Other errors are returned as they are.
func connectErr(err error) error {
	var ce *pgconn.ConnectError
	if err == nil || !errors.As(err, &ce) {
		return err
	}
	e := &connectError{addr: fmt.Sprintf("%s:%d", ce.Config.Host, ce.Config.Port), db: ce.Config.Database, user: ce.Config.User, err: err}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		e.cause = fmt.Sprintf("the server says %s (SQLSTATE %s)", pe.Message, pe.Code)
		return e
	}
	last := ce.Unwrap()
	if j, ok := last.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
		all := j.Unwrap()
		last = all[len(all)-1]
	}
	// The innermost cause: "connection refused", not "dial error: dial tcp …: connect: …".
	for {
		next := errors.Unwrap(last)
		if next == nil {
			break
		}
		last = next
	}
	e.cause = last.Error()
	return e
}
