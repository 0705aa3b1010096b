// Package pgtest starts a throwaway PostgreSQL server for tests and benchmarks: Debian's
// postgresql package, initialised in a temporary folder and run as an unprivileged user
// (the postgres system user when the tests run as root) on a free port, stopped after.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv, set to 1 (as `make test` does), turns "PostgreSQL cannot be started" from a
// named skip into a failure.
const RequireEnv = "SIGHTLINE_REQUIRE_POSTGRES"

// Server is a running PostgreSQL.
type Server struct {
	Dir  string // data in Dir/data, the socket and the log in Dir
	Bin  string // the folder of initdb, pg_ctl, postgres
	Port int
	as   string // run the server's commands as this user ("" = as ourselves)
}

// BinEnv names a folder holding initdb and pg_ctl, to use instead of Debian's.
const BinEnv = "SIGHTLINE_PG_BIN"

// BinDir finds the PostgreSQL programs: BinEnv's folder, else the newest Debian PostgreSQL
// (/usr/lib/postgresql/N/bin), else initdb on PATH.
func BinDir() (string, error) {
	if d := os.Getenv(BinEnv); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "", fmt.Errorf("%s=%s: %w", BinEnv, d, err)
		}
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(dirs, func(a, b string) int { return version(a) - version(b) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[len(dirs)-1]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, or run scripts/deps.sh test")
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// Start initialises and starts a server in a new temporary folder.
func Start() (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{Bin: bin}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		if _, err := user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres system user to run PostgreSQL as: %w", err)
		}
		s.as = "postgres"
	}
	if s.Dir, err = os.MkdirTemp("", "sightline-pg-"); err != nil {
		return nil, err
	}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(s.Dir)
		return nil, err
	}
	if s.as != "" {
		if out, err := exec.Command("chown", s.as, s.Dir).CombinedOutput(); err != nil {
			return fail(fmt.Errorf("chown %s %s: %v: %s", s.as, s.Dir, err, out))
		}
	}
	if err := s.run("initdb", "-D", filepath.Join(s.Dir, "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return fail(err)
	}
	for try := 0; ; try++ {
		if s.Port, err = freePort(); err != nil {
			return fail(err)
		}
		err = s.run("pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-l", filepath.Join(s.Dir, "log"), "-w", "-t", "60",
			"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", s.Port, s.Dir), "start")
		if err == nil {
			s.watchdog()
			return s, nil
		}
		if try == 2 { // the port may have been taken between freePort and the start
			log, _ := os.ReadFile(filepath.Join(s.Dir, "log"))
			return fail(fmt.Errorf("%w\nserver log:\n%s", err, tail(string(log), 20)))
		}
	}
}

// watchdog starts a shell that outlives this process and, once it is gone, stops the server
// and removes its folder: a test binary killed by -timeout or a signal never runs Stop.
func (s *Server) watchdog() {
	stop := "'" + filepath.Join(s.Bin, "pg_ctl") + "' -D '" + filepath.Join(s.Dir, "data") + "' -m immediate stop"
	if s.as != "" {
		stop = "runuser -u " + s.as + " -- " + stop
	}
	script := fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; cd /; %s >/dev/null 2>&1; rm -rf '%s'",
		os.Getpid(), stop, s.Dir)
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // not killed with the test's process group
	if cmd.Start() == nil {
		cmd.Process.Release()
	}
}

func (s *Server) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.Bin, name), args...)
	if s.as != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.as, "--", filepath.Join(s.Bin, name)}, args...)...)
	}
	cmd.Dir = s.Dir // the test's own folder may be closed to the postgres user
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", name, err, tail(string(out), 20))
	}
	return nil
}

// URL is the server's database name as a postgres:// URL.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// NewDatabase creates an empty database and returns its URL.
func (s *Server) NewDatabase(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return s.URL(name), nil
}

// Freeze stops the whole server with SIGSTOP (the postmaster and every process it started: the
// backends of open connections, the writer, the WAL writer…), as a server that hangs mid-query
// looks to its clients: connections stay open and nothing answers. Thaw (SIGCONT) undoes it;
// call it before Stop.
func (s *Server) Freeze() (thaw func() error, err error) {
	b, err := os.ReadFile(filepath.Join(s.Dir, "data", "postmaster.pid"))
	if err != nil {
		return nil, fmt.Errorf("the server's process: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pm, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return nil, fmt.Errorf("postmaster.pid: %q is not a process id", first)
	}
	// The postmaster first: once it is stopped it starts nothing new.
	pids := []int{pm}
	if err := syscall.Kill(pm, syscall.SIGSTOP); err != nil {
		return nil, fmt.Errorf("stop the postmaster %d: %w", pm, err)
	}
	thaw = func() error {
		var errs []error
		for _, p := range pids {
			if err := syscall.Kill(p, syscall.SIGCONT); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("continue %d: %w", p, err))
			}
		}
		return errors.Join(errs...)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range procs {
		b, err := os.ReadFile(st)
		if err != nil {
			continue // gone meanwhile
		}
		// "pid (comm) state ppid …": the command may hold spaces and parentheses.
		i := strings.LastIndexByte(string(b), ')')
		f := strings.Fields(string(b[i+1:]))
		if i < 0 || len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == pm {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
			if err := syscall.Kill(pid, syscall.SIGSTOP); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return thaw, nil
}

// Stop stops the server and removes its folder.
func (s *Server) Stop() error {
	err := s.run("pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-m", "fast", "-w", "stop")
	return errors.Join(err, os.RemoveAll(s.Dir))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
	dbSeq      int
	dbMu       sync.Mutex
)

// Database returns the URL of a new empty database on the package's shared server, started
// on first use (call StopShared from TestMain). When PostgreSQL cannot be started the test
// is skipped with the reason, or fails when RequireEnv is set.
func Database(tb testing.TB) string {
	tb.Helper()
	sharedOnce.Do(func() {
		start := time.Now()
		shared, sharedErr = Start()
		if sharedErr == nil {
			fmt.Fprintf(os.Stderr, "pgtest: PostgreSQL (%s) on port %d, started in %v\n", shared.Bin, shared.Port, time.Since(start).Round(time.Millisecond))
		} else {
			fmt.Fprintf(os.Stderr, "pgtest: PostgreSQL cannot be started, its tests do not run: %v\n", sharedErr)
		}
	})
	if sharedErr != nil {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("PostgreSQL cannot be started (%s=1 requires it): %v", RequireEnv, sharedErr)
		}
		tb.Skipf("SKIPPED, PostgreSQL cannot be started: %v", sharedErr)
	}
	dbMu.Lock()
	dbSeq++
	name := fmt.Sprintf("t%d", dbSeq)
	dbMu.Unlock()
	url, err := shared.NewDatabase(context.Background(), name)
	if err != nil {
		tb.Fatalf("PostgreSQL: %v", err)
	}
	return url
}

// Own starts a server for one test alone (one it may freeze), stopped and removed when the test
// ends. When PostgreSQL cannot be started the test is skipped, or fails, as with Database.
func Own(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start()
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("PostgreSQL cannot be started (%s=1 requires it): %v", RequireEnv, err)
		}
		tb.Skipf("SKIPPED, PostgreSQL cannot be started: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("stop PostgreSQL: %v", err)
		}
	})
	return s
}

// StopShared stops the shared server if one was started.
func StopShared() {
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop: %v\n", err)
		}
	}
}
