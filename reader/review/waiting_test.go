package review

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"sightline/reader/review/pgtest"
)

// TestWaitingNamesTheLockHolder: a write that waits on another writer's lock says, once it
// has waited, what it waits for and who holds the lock (this test's own process on SQLite; the
// holding session's user and program on PostgreSQL), and goes on when the lock goes.
func TestWaitingNamesTheLockHolder(t *testing.T) {
	ctx := context.Background()
	waitOn := func(t *testing.T, loc string, hold func() (release func()), want ...string) {
		said := make(chan string, 4)
		st, err := Open(ctx, loc, Options{Waiting: func(what string) { said <- what }})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		release := hold()
		done := make(chan error, 1)
		go func() {
			_, err := st.EditBoxes(ctx, []BoxEdit{{Key: BoxKey{"img", "trachea"}, After: Box{Status: Edited, X2: 1, Y2: 1}, Who: "ann"}})
			done <- err
		}()
		select {
		case what := <-said:
			t.Logf("told: %s", what)
			for _, w := range want {
				if !strings.Contains(what, w) {
					t.Errorf("told %q, want it to hold %q", what, w)
				}
			}
		case err := <-done:
			t.Fatalf("the write did not wait for the lock: %v", err)
		case <-time.After(2 * time.Minute):
			t.Fatal("not told what the write waits for")
		}
		release()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the write once the lock went: %v", err)
			}
		case <-time.After(2 * time.Minute):
			t.Fatal("the write did not go on once the lock went")
		}
		if len(said) > 0 {
			t.Errorf("told twice: %q", <-said)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		dir := studyDir(t)
		openT(t, dir).Close() // made, so that the holder's connection finds the store
		w := openT(t, dir)
		waitOn(t, dir, func() func() {
			// BEGIN IMMEDIATE on another connection: SQLite's writers' lock.
			tx, err := w.(*sqlStore).db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			return func() { tx.Rollback() }
		}, "waiting for the write lock of "+dir, fmt.Sprintf("held by process %d (review.test, user ", os.Getpid()), ", this program))")
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.Database(t)
		openT(t, url).Close()
		conn, err := pgx.Connect(ctx, url+"&application_name=holder")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		waitOn(t, url, func() func() {
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, postgresDialect.lockWriters); err != nil {
				t.Fatal(err)
			}
			return func() { tx.Rollback(ctx) }
		}, "waiting for the writers' lock of ", "held by user postgres from 127.0.0.1 (holder, server process ")
	})
}

// TestConnectErrorsSaidOnce: a server that is not there, and a database that is not on it,
// are each said in one plain sentence; not once per attempt, and not as a "tls error" (the
// default sslmode tries TLS first).
func TestConnectErrorsSaidOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	url := pgtest.Database(t)
	noDB := url[:strings.LastIndexByte(url, '/')] + "/nosuchdb" // and the default sslmode
	for _, c := range []struct{ loc, want string }{
		{fmt.Sprintf("postgres://ann@127.0.0.1:%d/team", port), fmt.Sprintf("cannot connect to PostgreSQL at 127.0.0.1:%d (database team, user ann): connection refused", port)},
		{noDB, `(database nosuchdb, user postgres): the server says database "nosuchdb" does not exist (SQLSTATE 3D000)`},
	} {
		_, err := Open(ctx, c.loc, Options{})
		if err == nil {
			t.Fatalf("%s opened", c.loc)
		}
		msg := err.Error()
		t.Logf("%s", msg)
		if !strings.Contains(msg, c.want) || strings.Contains(msg, "tls error") || strings.Count(msg, "cannot connect") != 1 || strings.Contains(msg, "\n") {
			t.Errorf("%s: %q, want one line holding %q", c.loc, msg, c.want)
		}
	}
}
