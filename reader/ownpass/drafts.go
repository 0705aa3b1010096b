// Package ownpass is the reader's own pass over their dictations: the drafts made in the
// background while the session runs, and the record of which cases the reader went through at
// the session's end (own_pass.json).
package ownpass

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"syscall"
	"time"

	"sightline/reader/transcribe"
)

// DraftState is where a case's draft stands.
type DraftState int

// States of a draft.
const (
	Queued   DraftState = iota // waiting for the drafts before it
	Drafting                   // the recogniser is on it
	Done                       // Result says what came of it
	Stopped                    // the station quit first: `sightline transcribe` finishes it
)

// Draft is one case's draft as the drafter knows it.
type Draft struct {
	Dir    string // the case folder
	State  DraftState
	Result transcribe.Result // when Done
}

// Ready reports whether the case has a draft transcript to show.
func (d Draft) Ready() bool {
	return d.State == Done && (d.Result.Status == transcribe.StatusWritten || d.Result.Status == transcribe.StatusKept)
}

// Drafter makes the draft transcript of each case given to Add, one at a time, in the order
// given, on a thread of its own at the lowest CPU and disk priority (and the recogniser it
// starts inherits that priority): a reading session goes on at full speed beside it. Each
// draft is written by transcribe.TranscribeCase, as `sightline transcribe` writes it; Close
// stops the draft under way without writing anything of it.
type Drafter struct {
	open func() (transcribe.Engine, error)
	now  func() time.Time
	log  io.Writer

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	queue  []string
	drafts map[string]*Draft
	subs   map[int]func(Draft)
	nsub   int
	wake   chan struct{}
	closed bool
}

// DrafterOptions configure a Drafter.
type DrafterOptions struct {
	// Open opens the reader's engine (their adapted model where they are enrolled); it is
	// called on the drafter's own thread, at the first case. An error is every case's result.
	Open func() (transcribe.Engine, error)
	Now  func() time.Time // the drafts' creation time (time.Now when nil)
	Log  io.Writer        // one line per draft made or failed (nil: none)
}

// NewDrafter starts a drafter; Close it when the station quits.
func NewDrafter(opt DrafterOptions) *Drafter {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Drafter{open: opt.Open, now: opt.Now, log: opt.Log, ctx: ctx, cancel: cancel, done: make(chan struct{}),
		drafts: map[string]*Draft{}, subs: map[int]func(Draft){}, wake: make(chan struct{}, 1)}
	go d.work()
	return d
}

// Add queues the case folder dir for its draft (its audio.wav closed). It never blocks: the
// reading run calls it as a case ends.
func (d *Drafter) Add(dir string) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	if dr, seen := d.drafts[dir]; seen && (dr.State == Queued || dr.State == Drafting) {
		d.mu.Unlock()
		return
	}
	d.queue = append(d.queue, dir)
	dr := &Draft{Dir: dir, State: Queued}
	d.drafts[dir] = dr
	queued := *dr // copied under the lock: the drafter's goroutine may take it up at once
	d.mu.Unlock()
	d.tell(queued)
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Get is what the drafter knows of dir's draft; false when it was never given the case.
func (d *Drafter) Get(dir string) (Draft, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dr, ok := d.drafts[dir]
	if !ok {
		return Draft{Dir: dir}, false
	}
	return *dr, true
}

// Pending is how many cases wait for their draft or are being drafted.
func (d *Drafter) Pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, dr := range d.drafts {
		if dr.State == Queued || dr.State == Drafting {
			n++
		}
	}
	return n
}

// Subscribe calls f (from the drafter's goroutine, or Add's caller) at every change of a
// draft's state, until the returned function is called.
func (d *Drafter) Subscribe(f func(Draft)) (cancel func()) {
	d.mu.Lock()
	d.nsub++
	id := d.nsub
	d.subs[id] = f
	d.mu.Unlock()
	return func() {
		d.mu.Lock()
		delete(d.subs, id)
		d.mu.Unlock()
	}
}

func (d *Drafter) tell(dr Draft) {
	d.mu.Lock()
	fs := make([]func(Draft), 0, len(d.subs))
	for _, f := range d.subs {
		fs = append(fs, f)
	}
	d.mu.Unlock()
	for _, f := range fs {
		f(dr)
	}
}

// Close stops the drafter: the draft under way is abandoned (its recogniser killed; nothing
// of it is written, the files being written whole or not at all) and the queued ones are
// left for `sightline transcribe`. It returns once the drafter's goroutine has ended, or
// after wait.
func (d *Drafter) Close(wait time.Duration) {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	select {
	case <-d.done:
	case <-time.After(wait):
	}
}

// next takes the first queued case, marking it drafting; "" once closed.
func (d *Drafter) next() string {
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return ""
		}
		if len(d.queue) > 0 {
			dir := d.queue[0]
			d.queue = d.queue[1:]
			d.drafts[dir].State = Drafting
			dr := *d.drafts[dir]
			d.mu.Unlock()
			d.tell(dr)
			return dir
		}
		d.mu.Unlock()
		select {
		case <-d.wake:
		case <-d.ctx.Done():
		}
	}
}

func (d *Drafter) work() {
	defer close(d.done)
	// The drafter's thread only: the station's other threads keep their priority. The
	// thread is never handed back (no UnlockOSThread): it ends with this goroutine.
	runtime.LockOSThread()
	if err := lowerPriority(); err != nil {
		fmt.Fprintf(d.log, "sightline: drafts: %v; drafting at normal priority\n", err)
	}
	var (
		eng     transcribe.Engine
		openErr error
		opened  bool
	)
	defer func() {
		if eng != nil {
			transcribe.Close(eng)
		}
		d.stopRest()
	}()
	for {
		dir := d.next()
		if dir == "" {
			return
		}
		if !opened {
			opened = true
			eng, openErr = d.open()
		}
		var r transcribe.Result
		if openErr != nil {
			r = transcribe.Result{Status: transcribe.StatusFailed, Err: openErr}
		} else {
			r = transcribe.TranscribeCase(d.ctx, eng, dir, d.now())
		}
		d.finish(dir, r)
	}
}

// finish records a case's outcome; a draft cut off by Close is Stopped, not failed.
func (d *Drafter) finish(dir string, r transcribe.Result) {
	d.mu.Lock()
	dr := d.drafts[dir]
	if d.ctx.Err() != nil && r.Status == transcribe.StatusFailed {
		dr.State = Stopped
	} else {
		dr.State, dr.Result = Done, r
	}
	out := *dr
	d.mu.Unlock()
	if out.State == Done {
		line := string(r.Status)
		if r.Err != nil {
			line += ": " + r.Err.Error()
		}
		fmt.Fprintf(d.log, "sightline: draft of %s: %s\n", dir, line)
	}
	d.tell(out)
}

// stopRest marks what was never drafted as stopped.
func (d *Drafter) stopRest() {
	d.mu.Lock()
	var left []Draft
	for _, dir := range d.queue {
		d.drafts[dir].State = Stopped
		left = append(left, *d.drafts[dir])
	}
	d.queue = nil
	d.mu.Unlock()
	for _, dr := range left {
		d.tell(dr)
	}
}

// Priorities the drafter's thread takes: the lowest CPU priority (nice 19) and the idle I/O
// class, so that a case's image and its capture never wait behind a draft.
const (
	draftNice     = 19
	ioprioClassID = 3 // IOPRIO_CLASS_IDLE
	ioprioWhoProc = 1 // IOPRIO_WHO_PROCESS: with a thread id, that thread
)

// lowerPriority lowers the calling thread's CPU and I/O priority (Linux keeps both per
// thread, and a child process inherits its parent thread's).
func lowerPriority() error {
	tid := syscall.Gettid()
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, draftNice); err != nil {
		return fmt.Errorf("lower the drafting thread's priority: %w", err)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOPRIO_SET, ioprioWhoProc, uintptr(tid), ioprioClassID<<13); e != 0 {
		return fmt.Errorf("set the drafting thread's disk priority to idle: %w", e)
	}
	return nil
}
