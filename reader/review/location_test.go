package review

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNoPasswordInAnyMessage: every form a password can be given in is kept out of errors and
// of Location, whether the server is unreachable or the string cannot be parsed.
func TestNoPasswordInAnyMessage(t *testing.T) {
	const secret = "s3cr3t-Pw"
	cases := []struct {
		name, loc, env string
	}{
		{"url userinfo", "postgres://team:" + secret + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", ""},
		{"url parameter", "postgres://team@127.0.0.1:1/db?sslmode=disable&connect_timeout=2&password=" + secret, ""},
		{"postgresql scheme", "postgresql://team:" + secret + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", ""},
		{"dsn", "host=127.0.0.1 port=1 dbname=db user=team password=" + secret + " sslmode=disable connect_timeout=2", ""},
		{"dsn quoted", "host=127.0.0.1 port=1 dbname=db user=team password='" + secret + " x' sslmode=disable connect_timeout=2", ""},
		{"dsn unparsable", "host=127.0.0.1 port=zz password=" + secret, ""},
		{"url unparsable", "postgres://team:" + secret + "@127.0.0.1:notaport/db", ""},
		{"PGPASSWORD", "host=127.0.0.1 port=1 dbname=db user=team sslmode=disable connect_timeout=2", secret},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("PGPASSWORD", c.env)
			wd := t.TempDir()
			t.Chdir(wd)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := Open(ctx, c.loc, Options{})
			if err == nil {
				t.Fatal("opened an unreachable store")
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error holds the password: %v", err)
			}
			if red := redact(c.loc); strings.Contains(red, "s3cr3t") {
				t.Errorf("Location would be %q", red)
			}
			if ents, _ := os.ReadDir(wd); len(ents) != 0 {
				t.Errorf("a file was made in the current folder: %v", ents[0].Name())
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Setenv("PGPASSWORD", "hunter22")
	for in, want := range map[string]string{
		"postgres://ann:pw@h/db":                      "postgres://ann:xxxxx@h/db",
		"postgres://ann@h/db?sslmode=x&password=pw&a": "postgres://ann@h/db?sslmode=x&password=xxxxx&a",
		"host=h password=pw dbname=d":                 "host=h password=xxxxx dbname=d",
		"host=h password = 'p w\\'x' dbname=d":        "host=h password = xxxxx dbname=d",
		"failed: hunter22 refused":                    "failed: xxxxx refused",
		"postgres://ann@h/db":                         "postgres://ann@h/db",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNoStoreByAccident: --store is an existing store file, a URL or a DSN; anything else is
// refused in one sentence with nothing created; review.db is made only in a study folder.
func TestNoStoreByAccident(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, loc := range []string{
		filepath.Join(dir, "typo.db"),
		filepath.Join(dir, "no", "such", "dir"),
		"hots=h dbname=d", // not a libpq keyword: a file name, which does not exist
		dir,               // a folder that is not a study
	} {
		_, err := Open(ctx, loc, Options{})
		if !errors.Is(err, ErrNoStore) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%q): %v, want one sentence wrapping ErrNoStore", loc, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("refused opens left %s behind", ents[0].Name())
	}
	// A study folder gets its review.db; the file is then a store --store can name.
	sd := studyDir(t)
	st := openT(t, sd)
	st.Close()
	st2 := openT(t, filepath.Join(sd, FileName))
	if st2.ReadOnly() != "" {
		t.Errorf("the store file opened read-only: %s", st2.ReadOnly())
	}
	// Read-only opens never create.
	if _, err := Open(ctx, studyDir(t), Options{ReadOnly: true}); !errors.Is(err, ErrNoStore) {
		t.Errorf("read-only open of a study without a store: %v", err)
	}
}

// TestReadOnlyStore: a store opened read-only reads, refuses writes with ErrReadOnly, and never
// takes the write lock, even while another handle holds it.
func TestReadOnlyStore(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		w := openT(t, loc)
		fillAll(t, w)
		// Another writer holds the write lock for the whole test.
		tx, err := w.(*sqlStore).db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if w.(*sqlStore).d.lockWriters != "" {
			if _, err := tx.ExecContext(ctx, w.(*sqlStore).d.lockWriters); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO image_status (dicom_id, status, who, at) VALUES ('x', 'unreviewed', 'w', 'now')`); err != nil {
			t.Fatal(err)
		}
		// Opening and reading must not wait for it: a deadline far below the busy timeout.
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		for _, opt := range []Options{{ReadOnly: true}, {}} {
			r, err := Open(rctx, loc, opt)
			if err != nil {
				t.Fatalf("open %+v while a writer holds the lock: %v", opt, err)
			}
			if vs, err := r.Verdicts(rctx, ""); err != nil || len(vs) != 1 {
				t.Errorf("read while a writer holds the lock: %v %v", vs, err)
			}
			if rep, err := VerifyChain(rctx, r); err != nil || !rep.OK() {
				t.Errorf("verify while a writer holds the lock: %+v %v", rep, err)
			}
			if opt.ReadOnly {
				_, err := r.AddVerdict(ctx, Verdict{Session: "s", Case: "c", Decision: Pass, Reviewer: "ann"})
				if !errors.Is(err, ErrReadOnly) {
					t.Errorf("a write on a read-only handle: %v, want ErrReadOnly", err)
				}
			}
			r.Close()
		}
	})
}

// TestReadOnlyFolder: a study whose folder this user may not write (a reviewer without write
// rights) is read as it stands: a WAL store's reader cannot make its -shm file there, so the
// store is opened immutable when its log holds nothing, and says so.
func TestReadOnlyFolder(t *testing.T) {
	ctx := context.Background()
	dir := studyDir(t)
	w, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fillAll(t, w)
	w.Close() // the last connection checkpoints: the -wal is empty or gone
	writable := folderWritable
	folderWritable = func(string) bool { return false } // root may write everywhere: stand in
	t.Cleanup(func() { folderWritable = writable })
	r, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open in a folder this user cannot write: %v", err)
	}
	defer r.Close()
	if !strings.Contains(r.ReadOnly(), "read as it stood when opened (the folder is not writable)") {
		t.Errorf("read-only %q: want it to say the store is read as it stood, and why", r.ReadOnly())
	}
	if vs, err := r.Verdicts(ctx, ""); err != nil || len(vs) != 1 {
		t.Errorf("verdicts %v %v, want the one stored", vs, err)
	}
	if rep, err := VerifyChain(ctx, r); err != nil || !rep.OK() {
		t.Errorf("verify: %+v %v", rep, err)
	}
}
