package session

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LockFile is held (flock) by the station recording a session, so that a session whose status
// is still "recording" but whose lock is free can be told apart as interrupted.
const LockFile = "lock"

// EventResumed is journalled when an interrupted session is picked up again.
const EventResumed = "session_resumed"

// ErrLive is returned for a session another process is still recording.
var ErrLive = errors.New("session is being recorded by another process")

// lock takes the session's lock, without waiting.
func lock(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("session %s: %w", dir, ErrLive)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return f, nil
}

// Cut reads the state of the session in dir and says whether it was cut off: status still
// "recording" and nobody holding its lock. reader/study lists a study's interrupted sessions.
func Cut(dir string) (State, bool) {
	st, err := ReadState(dir)
	if err != nil || st.Status != StatusRecording {
		return State{}, false
	}
	l, err := lock(dir)
	if err != nil {
		return State{}, false // live, or not ours to judge
	}
	l.Close()
	return st, true
}

// Remaining is the plan's screens not yet ended, in plan order: the interrupted screen first.
func (st State) Remaining() []Screen {
	var out []Screen
	for _, sc := range st.Plan {
		if !slices.Contains(st.Done, sc.Index) {
			out = append(out, sc)
		}
	}
	return out
}

// Resume reopens an interrupted session for recording. The case that was on screen when it
// stopped is kept, whole rows only, in a folder renamed "<case>.interrupted-<k>" and listed in
// State.Interrupted; the caller then reads State.Remaining(), starting with that case again.
// host is the session clock now: the session_resumed event carries it.
func Resume(dir string, host time.Duration) (*Recorder, error) {
	st, err := ReadState(dir)
	if err != nil {
		return nil, err
	}
	if st.Status != StatusRecording {
		return nil, fmt.Errorf("session %s: status %q: only an interrupted (%q) session resumes", dir, st.Status, StatusRecording)
	}
	return reopen(dir, st, host, map[string]string{"after": "interrupted"})
}

// Continue reopens a session that was ended before its plan was done (status "ended"), so that
// its reader goes on where they stopped: the caller reads State.Remaining(). The session is
// "recording" again; session_resumed (at host, the session clock) records what ended it.
func Continue(dir string, host time.Duration) (*Recorder, error) {
	st, err := ReadState(dir)
	if err != nil {
		return nil, err
	}
	if st.Status != StatusEnded && st.Status != StatusEndedEarly {
		return nil, fmt.Errorf("session %s: status %q: only an ended (%q) session continues", dir, st.Status, StatusEnded)
	}
	if len(st.Remaining()) == 0 {
		return nil, fmt.Errorf("session %s: every screen of its plan is done", dir)
	}
	after := "ended"
	if st.EndReason != "" {
		after += ": " + st.EndReason
	}
	return reopen(dir, st, host, map[string]string{"after": after})
}

func reopen(dir string, st State, host time.Duration, attrs map[string]string) (*Recorder, error) {
	lk, err := lock(dir)
	if err != nil {
		return nil, err
	}
	r := &Recorder{dir: dir, now: time.Now, st: st, lock: lk}
	fail := func(err error) (*Recorder, error) {
		lk.Close()
		return nil, err
	}
	if st.Screen >= 0 {
		if err := r.setAsideInterrupted(st.Screen); err != nil {
			return fail(err)
		}
	}
	r.st.Screen = -1
	r.st.Resumed++
	r.st.Status, r.st.EndedWall, r.st.EndReason = StatusRecording, nil, ""
	// The journal's last line may have been cut by the kill: drop the partial line so that the
	// lines appended from now on stay whole.
	name := filepath.Join(dir, EventsFile)
	if err := trimPartialLine(name); err != nil {
		return fail(fmt.Errorf("repair %s: %w", name, err))
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fail(fmt.Errorf("open event journal: %w", err))
	}
	r.events = f
	if err := r.reserve(); err != nil {
		f.Close()
		return fail(fmt.Errorf("keep %d KiB for a full disk: %w", ReserveBytes>>10, err))
	}
	r.lastFlush = r.now()
	r.sync = newSyncer()
	if err := r.writeState(); err != nil {
		f.Close()
		return fail(fmt.Errorf("session folder %s is not writable: %w", dir, err))
	}
	attrs["resumed"] = strconv.Itoa(r.st.Resumed)
	if n := len(r.st.Interrupted); n > 0 && st.Screen >= 0 {
		attrs["interrupted_screen"] = strconv.Itoa(r.st.Interrupted[n-1])
	}
	if err := r.Event(host, EventResumed, attrs); err != nil {
		f.Close()
		return fail(err)
	}
	return r, nil
}

// Continuable says whether the session was ended before its plan was done and has screens
// left: its reader may continue it (Continue).
func (st State) Continuable() bool {
	return (st.Status == StatusEnded || st.Status == StatusEndedEarly) && len(st.Remaining()) > 0
}

// setAsideInterrupted renames the interrupted screen's folder and trims its files to whole rows.
func (r *Recorder) setAsideInterrupted(index int) error {
	pattern := filepath.Join(r.dir, CasesDir, fmt.Sprintf("*%d-*", index))
	matches, _ := filepath.Glob(pattern)
	for _, m := range matches {
		base := filepath.Base(m)
		num, _, ok := strings.Cut(base, "-")
		if n, err := strconv.Atoi(num); !ok || err != nil || n != index || strings.Contains(base, ".interrupted-") {
			continue
		}
		for _, name := range []string{GazeFile, FixationFile} {
			if err := trimPartialLine(filepath.Join(m, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("repair %s: %w", filepath.Join(m, name), err)
			}
		}
		for k := 1; ; k++ {
			to := fmt.Sprintf("%s.interrupted-%d", m, k)
			if _, err := os.Lstat(to); err == nil {
				continue
			}
			if err := os.Rename(m, to); err != nil {
				return fmt.Errorf("keep the interrupted case: %w", err)
			}
			break
		}
	}
	r.st.Interrupted = append(r.st.Interrupted, index)
	return nil
}

// trimPartialLine cuts a file back to its last newline (a row or event cut off by a crash).
func trimPartialLine(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	size := info.Size()
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	for end := size; end > 0; {
		start := max(0, end-chunk)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			keep := start + int64(i) + 1
			if keep == size {
				return nil
			}
			if err := f.Truncate(keep); err != nil {
				return err
			}
			return f.Sync()
		}
		end = start
	}
	if size == 0 {
		return nil
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	return f.Sync()
}
