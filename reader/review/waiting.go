package review

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// WaitNotice is how long a store call waits for the writers' lock or for the server before
// Options.Waiting is told what it waits for.
const WaitNotice = time.Second

// noteWait calls opt.Waiting once a step has taken WaitNotice, with what says (given 2 s to
// find out who holds what). The returned func ends the watch; call it when the step is done.
func noteWait(opt Options, says func(ctx context.Context) string) func() {
	if opt.Waiting == nil {
		return func() {}
	}
	done := make(chan struct{})
	t := time.AfterFunc(WaitNotice, func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		opt.Waiting(says(ctx))
	})
	// Once the watch has ended, Waiting is not running and will not be called: the caller
	// may write where it writes.
	return func() {
		if !t.Stop() {
			<-done
		}
	}
}

// waitingFor says what a write of this handle waits for: the writers' lock and who holds it,
// or a server that does not answer.
func (s *sqlStore) waitingFor(ctx context.Context) string {
	if s.d.name == sqliteDialect.name {
		return fmt.Sprintf("waiting for the write lock of %s (held by %s)", s.loc, sqliteLockHolder(s.loc))
	}
	holder, err := pgLockHolder(ctx, s.db)
	switch {
	case err != nil:
		return fmt.Sprintf("waiting for the review store %s, which has not answered for %v", s.loc, WaitNotice)
	case holder == "":
		return fmt.Sprintf("waiting for the review store %s to answer (no writer holds its lock)", s.loc)
	}
	return fmt.Sprintf("waiting for the writers' lock of %s (held by %s)", s.loc, holder)
}

// writersLockKey is the key of postgresDialect.lockWriters' advisory lock; pg_locks shows a
// bigint key as its high and low 32 bits (classid, objid).
const writersLockKey uint64 = 6003117390461620565

const (
	lockHigh = uint32(writersLockKey >> 32)
	lockLow  = uint32(writersLockKey & 0xffffffff)
)

// pgLockHolder names the session holding the writers' advisory lock ("" when none does).
func pgLockHolder(ctx context.Context, db *sql.DB) (string, error) {
	var (
		pid               int
		who, app, client  string
		state, sinceStart string
	)
	err := db.QueryRowContext(ctx, `SELECT a.pid, COALESCE(a.usename, ''), COALESCE(a.application_name, ''),
			COALESCE(host(a.client_addr), 'local socket'), COALESCE(a.state, ''),
			COALESCE(to_char(now() - a.xact_start, 'HH24:MI:SS'), '')
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1
		LIMIT 1`, lockHigh, lockLow).Scan(&pid, &who, &app, &client, &state, &sinceStart)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if app == "" {
		app = "a client that gave no name"
	}
	return fmt.Sprintf("user %s from %s (%s, server process %d), %s for %s", who, client, app, pid, state, sinceStart), nil
}

// procLock is a line of /proc/locks: "1: POSIX  ADVISORY  WRITE 1234 fd:01:5678 120 120".
var procLock = regexp.MustCompile(`^\d+:\s+(POSIX|FLOCK|OFDLCK)\s+\S+\s+WRITE\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s+(\d+)\s+(\d+|EOF)$`)

// walWriteLock is the byte of the -shm file a SQLite writer locks in WAL mode (WAL_WRITE_LOCK:
// 120 + 0).
const walWriteLock = 120

// sqliteLockHolder names the process holding the write lock of the SQLite store at path: in
// WAL mode a writer holds a POSIX write lock on byte 120 of path-shm, and Linux lists every
// lock in /proc/locks with its process. A store in another locking mode is locked in the file
// itself: any write lock on it is taken for the holder. "another program" when nobody can tell.
func sqliteLockHolder(path string) string {
	const unknown = "another program"
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return unknown
	}
	for _, target := range []struct {
		file string
		byte int64 // -1: any
	}{{path + "-shm", walWriteLock}, {path, -1}} {
		st, err := os.Stat(target.file)
		if err != nil {
			continue
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok {
			return unknown
		}
		for _, line := range strings.Split(string(b), "\n") {
			m := procLock.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil || !sameFile(m[3], m[4], m[5], sys) || !covers(m[6], m[7], target.byte) {
				continue
			}
			pid, _ := strconv.Atoi(m[2])
			if pid <= 0 {
				return unknown + " (an open file description lock, which names no process)"
			}
			return describeProcess(pid)
		}
	}
	return unknown
}

// sameFile reports whether /proc/locks' major:minor:inode (hex, hex, decimal) is the file.
func sameFile(major, minor, ino string, st *syscall.Stat_t) bool {
	ma, err1 := strconv.ParseUint(major, 16, 32)
	mi, err2 := strconv.ParseUint(minor, 16, 32)
	in, err3 := strconv.ParseUint(ino, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return false
	}
	dev := uint64(st.Dev)
	devMajor := (dev>>8)&0xfff | (dev>>32)&^0xfff
	devMinor := dev&0xff | (dev>>12)&^0xff
	return in == uint64(st.Ino) && ma == devMajor && mi == devMinor
}

// covers reports whether a lock's range [start, end] holds byte b (any byte when b < 0).
func covers(start, end string, b int64) bool {
	if b < 0 {
		return true
	}
	s, err := strconv.ParseInt(start, 10, 64)
	if err != nil || s > b {
		return false
	}
	if end == "EOF" {
		return true
	}
	e, err := strconv.ParseInt(end, 10, 64)
	return err == nil && e >= b
}

// describeProcess says which process pid is: its program (and a subcommand, for sightline
// boxes and the like) and its user. Other arguments are left out: they may hold a password.
func describeProcess(pid int) string {
	var about []string
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(b) > 0 {
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		prog := filepath.Base(args[0])
		if len(args) > 1 && plainWord.MatchString(args[1]) {
			prog += " " + args[1]
		}
		about = append(about, prog)
	}
	if u := processUser(pid); u != "" {
		about = append(about, "user "+u)
	}
	if pid == os.Getpid() {
		about = append(about, "this program")
	}
	if len(about) == 0 {
		return fmt.Sprintf("process %d", pid)
	}
	return fmt.Sprintf("process %d (%s)", pid, strings.Join(about, ", "))
}

var plainWord = regexp.MustCompile(`^[a-z][a-z-]{0,30}$`)

// processUser is the login name of the user a process runs as ("" when it cannot be told).
func processUser(pid int) string {
	st, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	if err != nil {
		return ""
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	uid := strconv.FormatUint(uint64(sys.Uid), 10)
	if u, err := user.LookupId(uid); err == nil {
		return u.Username
	}
	return "uid " + uid
}
