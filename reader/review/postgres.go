package review

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
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
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("review store %s: connect: %w", loc, err)
	}
	s := newSQLStore(db, postgresDialect, loc, opt)
	if opt.ReadOnly {
		s.readOnly = "opened for reading only"
	}
	if s.version, err = migrate(ctx, db, postgresDialect, loc, steps, s.now(), s.readOnly); err != nil {
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
