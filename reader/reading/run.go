// Package reading provides the radiologist's reading loop without any UI: it walks a blinded
// plan screen by screen, decodes the next image before it is needed, and records gaze, device
// fixations and events through one owner goroutine.
package reading

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/tracker"
	"sightline/tracker/quality"
)

// Recorder is where a run writes; *session.Recorder satisfies it. Only the run's own goroutine
// calls it.
type Recorder interface {
	BeginScreen(sc session.Screen, l stage.Layout, host time.Duration) error
	Gaze(s tracker.Sample) error
	Fixation(s tracker.Sample) error
	Event(host time.Duration, kind string, attrs map[string]string) error
	EndScreen(host time.Duration) error
	Flush() error
	// Finish closes the session: status "complete", or "ended" and the reason.
	Finish(status, reason string) error
	// SaveCheck appends a calibration/validation report to the session.
	SaveCheck(report session.CheckReport) error
	// FilterFixations writes the open screen's fixations from one of our filters.
	FilterFixations(name, params string, rows []tracker.Sample) error
	// CaseQuality writes the open screen's quality record.
	CaseQuality(q session.Quality) error
	// ExtendPlan appends screens (re-reads) to the session's plan.
	ExtendPlan(screens []session.Screen) error
	// BeginAside and EndAside set the open case's recording aside (paused, recalibrating) and
	// back: between them its rows go to a folder beside the case's files (BeginAside returns it).
	BeginAside(host time.Duration) (string, error)
	EndAside(host time.Duration) error
	// ScreenDir is the open screen's folder.
	ScreenDir() string
	// ScreenSwapped records how long after its onset the open screen's image was on screen.
	ScreenSwapped(delay time.Duration) error
}

// Audio records the dictation of each case into the case's folder. Begin and End are called
// from the run's goroutine; the implementation feeds the file from its own.
type Audio interface {
	Begin(dir string, host time.Duration) error
	// End closes the case's recording and says what it holds, for the quality gate.
	End(host time.Duration) (AudioCheck, error)
}

// AsideAudio is an Audio that can keep a case's recording to reading time: Aside sends the
// sound to a recording in dir (the paused stretch's folder) until Back, and the case's own
// recording then goes on without the time between. An Audio without it records through pauses.
type AsideAudio interface {
	Aside(dir string, host time.Duration) error
	Back(host time.Duration) error
}

// Quality (quality.json) and AudioCheck (its "audio") are reader/session's, so that the file
// is written and read through one type.
type (
	Quality    = session.Quality
	AudioCheck = session.AudioCheck
)

// Filter is a fixation filter run on each case's raw samples when the case closes, beside the
// device's own fixations.
type Filter struct {
	Name   string // file suffix: fixations_<Name>.csv
	Params string // the filter and its parameters, written beside the output
	Detect func([]tracker.Sample) []tracker.Fixation
}

// View is the reader's screen as the run sees it. Its methods are called from the run's
// goroutine; an implementation that touches widgets must hop to the UI thread (fyne.Do).
type View interface {
	Show(f Frame)
	Paused(on bool)
	Finished(s Summary)
	// Target draws a calibration or validation target at stage fractions (x, y).
	Target(x, y float64)
	// Check shows a calibration/validation report: accept or redo.
	Check(r CheckReport)
	// Prompt suggests recalibrating (after Check.Every cases): recalibrate or continue.
	Prompt()
	// Waiting says in one line what the station waits for from the tracker (connecting, the
	// calibration's result); "" takes the line away. It also closes the tracker options.
	Waiting(what string)
	// TrackerOptions offers, while the station waits on the tracker (Esc): retry, skip the
	// device calibration (our validation only), or end the session.
	TrackerOptions(waiting string)
	// CannotCalibrate says the tracker does not calibrate (why: "it showed no calibration
	// point when asked") and offers the same three, skipping the device calibration first.
	CannotCalibrate(why string)
	// Offer proposes, after the last screen, to read again the cases that failed the quality
	// gate or were marked by the operator: Accept re-reads them, End finishes.
	Offer(cases []Skip)
}

// Frame is one screen ready to draw: the display image already resampled to the drawn
// rectangle, and the layout that places it. Calibration screens have no Image.
type Frame struct {
	Index, Total int
	Screen       session.Screen
	Image        image.Image
	Layout       stage.Layout
	// Shown, when set, is called by the view once the frame is on the reader's screen (its
	// widgets swapped, on the UI goroutine): the run measures the delay from the case's onset
	// to it (swap_delay_ms).
	Shown func()
}

// IsCalibration reports whether the frame is a calibration screen (black, central disc).
func (f Frame) IsCalibration() bool { return f.Screen.Kind == session.KindCalibration }

// Loader decodes a case screen into a frame. It runs on a background goroutine.
type Loader func(ctx context.Context, sc session.Screen) (Frame, error)

// Summary is what the reader and the operator see when the session ends.
type Summary struct {
	Status    string // "complete" or "ended" (session.StatusComplete, session.StatusEnded)
	Reason    string // why an "ended" session ended
	Screens   int    // screens in the plan
	Shown     int    // screens shown
	Skipped   []Skip // cases that could not be decoded
	Samples   int64
	Fixations int64
	Elapsed   time.Duration
	Err       error    // a recording failure that ended the session, if any
	Marked    []string // cases the operator marked for re-reading
	Failed    []Skip   // cases that failed the quality gate
	Silent    []Skip   // cases that passed it but whose dictation was silent
	Reread    int      // cases read again at the end of the session
}

// Before is what earlier sittings of a resumed or continued session recorded, so that the run
// goes on from there and its summary counts the whole session.
type Before struct {
	Done               []int // plan screens already ended: not shown again
	Samples, Fixations int64
	Elapsed            time.Duration
	Failed, Silent     []Skip   // cases to offer for re-reading at the end
	Marked             []string // cases the operator marked
	Reread             []string // cases already read again
	Rounds             int      // calibration rounds already run: the next one is numbered after them
}

// Skip names a case that was skipped and why.
type Skip struct {
	DicomID string
	Reason  string
	Kind    string // of a case offered for re-reading: RereadFailed, RereadSilent or RereadMarked
}

// Why a case is offered for re-reading (Skip.Kind).
const (
	RereadFailed = "failed" // failed the quality gate
	RereadSilent = "silent" // passed, but its dictation was silent
	RereadMarked = "marked" // marked by the operator
)

// EventMarkedForReread is the journal event of a case the operator marked for re-reading
// (attribute dicom_id).
const EventMarkedForReread = "marked_for_reread"

// Config is everything a run needs.
type Config struct {
	// Plan is the session's whole plan, each screen's Index its position; Before.Done lists
	// the screens already read in earlier sittings of the session, which the run skips.
	Plan     []session.Screen
	Before   Before
	Load     Loader
	Recorder Recorder
	Tracker  tracker.Tracker
	Clock    func() time.Duration // host monotonic time since the session origin
	View     View
	Log      *slog.Logger
	Check    *Check // calibration and validation; nil: none
	Filters  []Filter
	// Gate judges each case's samples when it closes, given the case's reading time on screen
	// (samples that never came are lost); nil: no gate.
	// It is given the case's samples in stretches of reading (a pause or a recalibration
	// between them) and the reading time they were on screen, pauses left out.
	Gate func(segments [][]tracker.Sample, reading time.Duration) Quality
	// Audio records each case's dictation; nil: a gaze-only session.
	Audio Audio
	// AudioGate adds the audio's verdict to a case's quality (present, not silent, clocks
	// aligned); nil: none.
	AudioGate func(q *Quality, a AudioCheck)
	// AudioFaults are the microphone's faults as they happen, journalled as they come (the
	// case's verdict hears of them at its end, from Audio.End); nil: none.
	AudioFaults <-chan AudioFault
}

// AudioFault is a microphone fault as it happens. Kind is the journal event: "audio_lost"
// (the source stopped, stalled or was removed) or "audio_source_changed" (the default source
// changed under the station).
type AudioFault struct {
	Kind, Err string
}

type command int

const (
	cmdNext command = iota
	cmdPause
	cmdResume
	cmdEnd
	cmdRecalibrate
	cmdAccept
	cmdMark
	cmdSkipCalibration
	cmdOverlayOn
	cmdOverlayOff
)

type loaded struct {
	frame Frame
	skips []Skip
	ok    bool       // false: no screen left
	swap  *swapStamp // when the view said the frame was on screen (present)
}

// swapStamp is the session-clock time a frame was on screen, set on the UI goroutine.
type swapStamp struct{ at atomic.Int64 } // 0: not yet

// present shows the frame of l on the reader's screen, asking the view to say when it is there.
func (r *Run) present(l *loaded) {
	st := &swapStamp{}
	l.swap = st
	f := l.frame
	clock := r.cfg.Clock
	f.Shown = func() { st.at.Store(max(int64(clock()), 1)) }
	r.cfg.View.Show(f)
}

// Run is one reading session in progress.
type Run struct {
	cfg    Config
	cmds   chan command
	gaze   chan tracker.Sample
	done   chan struct{}
	cancel context.CancelFunc

	mu      sync.Mutex
	stats   Stats       // for the operator console
	recent  recent      // rolling rate and loss
	fixes   []stage.Fix // device fixations of the current screen, ended ones then the one in progress
	current stage.Fix
	hasCur  bool
	summary Summary
	// stopReason is why the session is being ended (Stop).
	stopReason string

	// owned by the loop goroutine
	skipDone map[int]bool // plan screens read in earlier sittings (Config.Before.Done)
	// aside: the open case's recording is set aside (paused, recalibrating); readFrom is when
	// its current stretch of reading began, readTime the reading before it, seams the indexes
	// in raw where each later stretch begins.
	aside       bool
	readFrom    time.Duration
	readTime    time.Duration
	seams       []int
	idx         int // index in Plan of the screen on show, -1 before the first
	frame       Frame
	prefetch    chan loaded
	swap        *swapStamp    // the screen on show's, nil when it was shown without one
	onset       time.Duration // the screen on show's onset
	ready       atomic.Bool   // the prefetch has delivered
	lastFix     tracker.Sample
	haveFix     bool
	raw         []tracker.Sample // the open case's samples, for the filters and gate at its end
	failed      []Skip           // cases that failed the quality gate, and why
	silent      []Skip           // cases that passed it with silent audio
	rereadDone  map[string]bool  // cases already offered and read again
	audioOn     bool             // the open case's audio is being recorded
	audioErr    error            // the open case's audio could not be started
	samples     int64
	nfix        int64
	start       time.Duration
	skipped     []Skip
	paused      bool
	finished    bool
	closingFull bool // the disk filled: the open case is being closed before the session ends
	err         error

	health    health // the tracker's silences, clock steps and marker latency
	latFrom   int    // the open case's first marker echo in health.latencies
	phase     phase
	check     checkState
	lastCheck CheckReport
	pending   loaded // a screen decoded and waiting for the check (or prompt) to end
}

// gazeBuffer holds samples between the tracker and the recording loop: 10 s at 2000 Hz, so a
// slow disk stalls nothing upstream.
const gazeBuffer = 20000

// Start begins a run: it starts the tracker stream, decodes and shows the first screen, and
// returns. The run ends with the plan, with End, or when ctx is cancelled.
func Start(ctx context.Context, cfg Config) (*Run, error) {
	if len(cfg.Plan) == 0 {
		return nil, errors.New("the plan has no screens")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Run{
		cfg:    cfg,
		cmds:   make(chan command, 16),
		gaze:   make(chan tracker.Sample, gazeBuffer),
		done:   make(chan struct{}),
		cancel: cancel,
		idx:    -1,
		start:  cfg.Clock(),
	}
	r.summary.Screens = len(cfg.Plan)
	r.summary.Shown = len(cfg.Before.Done)
	r.check.round = cfg.Before.Rounds
	r.failed = append(r.failed, cfg.Before.Failed...)
	r.silent = append(r.silent, cfg.Before.Silent...)
	r.stats.Marked = append(r.stats.Marked, cfg.Before.Marked...)
	r.stats.Reread = append(r.stats.Reread, cfg.Before.Reread...)
	r.skipDone = map[int]bool{}
	for _, i := range cfg.Before.Done {
		r.skipDone[i] = true
	}
	if len(cfg.Before.Reread) > 0 {
		r.rereadDone = map[string]bool{}
		for _, id := range cfg.Before.Reread {
			r.rereadDone[id] = true
		}
	}

	// The first screen is decoded before the tracker starts so that no sample arrives with no
	// screen to belong to.
	first := r.load(ctx, 0)
	if !first.ok {
		cancel()
		_ = cfg.Recorder.Finish(session.StatusEnded, "no screen could be shown")
		return nil, fmt.Errorf("no screen could be shown: %s", describeSkips(first.skips))
	}

	streamDone := make(chan error, 1)
	go func() {
		// The tracker's emit must never block: a full buffer drops the sample and counts it
		// (the CNT gap in the file shows it), rather than stalling the device reader.
		streamDone <- cfg.Tracker.Stream(ctx, func(s tracker.Sample) {
			select {
			case r.gaze <- s:
			default:
				cfg.Log.Warn("gaze buffer full: sample dropped", "cnt", s.CNT)
			}
		})
	}()
	go r.loop(ctx, first, streamDone)
	return r, nil
}

// Next moves to the next screen (the space bar). Safe from any goroutine.
func (r *Run) Next() { r.send(cmdNext) }

// Pause shows the pause overlay (Esc).
func (r *Run) Pause() { r.send(cmdPause) }

// Resume hides the pause overlay.
func (r *Run) Resume() { r.send(cmdResume) }

// End ends the session before its plan is done (the End session button).
func (r *Run) End() { r.Stop("ended at the station") }

// Stop ends the session like End, recording why (a signal, the window closed). The first
// reason given wins. The open case is closed with its quality record, as on End.
func (r *Run) Stop(reason string) {
	r.mu.Lock()
	if r.stopReason == "" {
		r.stopReason = reason
	}
	r.mu.Unlock()
	r.send(cmdEnd)
}

// Recalibrate starts a calibration and validation round (from the pause overlay, the prompt,
// or the report's redo).
func (r *Run) Recalibrate() { r.send(cmdRecalibrate) }

// SkipCalibration abandons the device calibration in progress and runs our validation only
// (from the tracker options).
func (r *Run) SkipCalibration() { r.send(cmdSkipCalibration) }

// Overlay journals the live fixation overlay (F) turned on or off on the reader's screen.
func (r *Run) Overlay(on bool) {
	if on {
		r.send(cmdOverlayOn)
	} else {
		r.send(cmdOverlayOff)
	}
}

// MarkForReread marks the case on show to be read again (the operator saw a problem).
func (r *Run) MarkForReread() { r.send(cmdMark) }

// Accept accepts the calibration report, or dismisses the recalibration prompt, and goes on
// reading.
func (r *Run) Accept() { r.send(cmdAccept) }

func (r *Run) send(c command) {
	select {
	case r.cmds <- c:
	case <-r.done:
	}
}

// Done is closed when the run has ended and its files are closed.
func (r *Run) Done() <-chan struct{} { return r.done }

// Summary is the final summary; valid once Done is closed.
func (r *Run) Summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.summary
}

// Fixations returns the current screen's device fixations so far, the one in progress last.
// The overlay calls it at most once a frame.
func (r *Run) Fixations() []stage.Fix {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]stage.Fix, len(r.fixes), len(r.fixes)+1)
	copy(out, r.fixes)
	if r.hasCur {
		out = append(out, r.current)
	}
	return out
}

func (r *Run) loop(ctx context.Context, first loaded, streamDone <-chan error) {
	defer close(r.done)
	defer func() {
		// The tracker goroutine is ours: wait for it, so that a finished run leaves nothing
		// running (its emit never blocks, so it returns promptly once cancelled).
		r.cancel()
		if streamDone != nil {
			<-streamDone
		}
	}()
	if c := r.cfg.Check; c != nil && c.AtStart {
		r.pending = first
		r.startCheck(ctx)
	} else {
		r.show(first)
	}

	r.notePhase()
	flush := time.NewTicker(500 * time.Millisecond)
	defer flush.Stop()
	for !r.finished {
		select {
		case s := <-r.gaze:
			r.record(s)
		case c := <-r.cmds:
			r.command(ctx, c)
			r.notePhase()
		case o := <-r.check.calDone:
			r.calibrated(o)
			r.notePhase()
		case st := <-r.check.progress:
			r.calProgress(st)
		case <-r.check.due:
			// Samples already queued were taken while the target was up: they are its own,
			// even when this select saw the time up first.
			r.drainGaze()
			r.nextTarget()
			r.notePhase()
		case f := <-r.cfg.AudioFaults:
			r.event(f.Kind, map[string]string{"error": f.Err})
			r.cfg.Log.Error("microphone", "event", f.Kind, "err", f.Err)
		case <-flush.C:
			r.watchStall()
			if err := r.cfg.Recorder.Flush(); err != nil {
				r.fail(fmt.Errorf("flush session files: %w", err))
			}
		case err := <-streamDone:
			// The tracker stopped on its own: record what it said and keep the session open;
			// the operator decides (reconnecting devices come with the Open Gaze client).
			streamDone = nil
			if err != nil && ctx.Err() == nil {
				r.event("tracker_stopped", map[string]string{"error": err.Error()})
				r.cfg.Log.Error("tracker stopped", "err", err)
			}
		case <-ctx.Done():
			r.drainGaze()
			r.endScreen(r.cfg.Clock())
			r.finish(session.StatusEnded, "cancelled")
		}
		r.syncAside()
	}
}

// syncAside keeps the open case's files to reading time: its recording is set aside while the
// reader is paused or recalibrating, and taken back when reading goes on.
func (r *Run) syncAside() {
	want := r.idx >= 0 && r.err == nil && !r.finished && (r.paused || r.phase != phaseReading)
	switch {
	case want && !r.aside:
		r.setAside()
	case !want && r.aside:
		r.takeBack()
	}
}

// setAside starts a paused stretch of the open case (paused-K beside its files).
func (r *Run) setAside() {
	r.drainGaze() // samples taken before the pause are the case's
	host := r.cfg.Clock()
	if r.haveFix {
		r.closeFixation()
	}
	dir, err := r.cfg.Recorder.BeginAside(host)
	if err != nil {
		r.fail(fmt.Errorf("set the paused case aside: %w", err))
		return
	}
	r.aside = true
	r.readTime += host - r.readFrom
	if a, ok := r.cfg.Audio.(AsideAudio); ok && r.audioOn {
		if err := a.Aside(dir, host); err != nil {
			r.event("audio_failed", map[string]string{"error": err.Error()})
		}
	}
	why := "paused"
	if r.phase != phaseReading {
		why = "calibration"
	}
	r.event("case_set_aside", map[string]string{"folder": filepath.Base(dir), "why": why})
}

// takeBack ends the paused stretch: the case's own files go on.
func (r *Run) takeBack() {
	r.drainGaze() // samples taken while paused are the stretch's
	host := r.cfg.Clock()
	if r.haveFix {
		r.closeFixation()
	}
	if a, ok := r.cfg.Audio.(AsideAudio); ok && r.audioOn {
		if err := a.Back(host); err != nil {
			r.event("audio_failed", map[string]string{"error": err.Error()})
		}
	}
	r.aside = false
	if err := r.cfg.Recorder.EndAside(host); err != nil {
		r.fail(fmt.Errorf("close the paused stretch: %w", err))
		return
	}
	r.readFrom = host
	r.seams = append(r.seams, len(r.raw))
	r.event("case_taken_back", map[string]string{"reading_s": fmt.Sprintf("%.3f", r.readTime.Seconds())})
}

// readingSegments splits the case's raw samples at the seams of its paused stretches.
func (r *Run) readingSegments() [][]tracker.Sample {
	out := make([][]tracker.Sample, 0, len(r.seams)+1)
	from := 0
	for _, k := range r.seams {
		out = append(out, r.raw[from:k])
		from = k
	}
	return append(out, r.raw[from:])
}

func (r *Run) command(ctx context.Context, c command) {
	host := r.cfg.Clock()
	switch c {
	case cmdSkipCalibration:
		r.skipCalibration()
	case cmdOverlayOn, cmdOverlayOff:
		// The reader saw their own fixations (F): a reading aided so is not a blind one.
		r.event("fixation_overlay", map[string]string{"on": fmt.Sprint(c == cmdOverlayOn)})
	case cmdRecalibrate:
		if r.phase == phaseCalibrating && r.check.options {
			// Retry from the tracker options: a new device calibration from the start.
			r.check.cancel()
			r.check.calDone, r.check.progress = nil, nil
			r.event("calibration_retried", map[string]string{"waiting": r.check.waiting})
			r.endWait()
			r.startCheck(ctx)
			return
		}
		if r.phase == phaseReading && !r.paused {
			return // only from the pause overlay, the prompt or a report
		}
		if r.phase == phaseCalibrating || r.phase == phaseValidating {
			return
		}
		r.drainGaze()
		if r.paused {
			// The pause card goes: the targets and the report must be seen, and the report's
			// keys reach it. The case stays set aside until the report is accepted.
			r.paused = false
			r.cfg.View.Paused(false)
		}
		r.startCheck(ctx)
	case cmdMark:
		if r.idx >= 0 && r.frame.Screen.Kind == session.KindCase {
			id := r.frame.Screen.DicomID
			r.event(EventMarkedForReread, map[string]string{"dicom_id": id})
			r.mu.Lock()
			r.stats.Marked = append(r.stats.Marked, id)
			r.mu.Unlock()
		}
	case cmdAccept:
		switch r.phase {
		case phaseReview:
			r.accept()
		case phasePrompt:
			r.accept()
		case phaseOffer:
			r.reread(ctx)
		}
	case cmdNext:
		if r.paused || r.phase != phaseReading {
			return
		}
		r.drainGaze()
		r.event("key", map[string]string{"key": "space"})
		r.mark("SPACE", host)
		next := <-r.prefetch
		r.ready.Store(false)
		// The reader's screen changes first; closing the old case's files (an fsync) and
		// opening the new ones follow, before any later sample is recorded.
		due := r.cfg.Check != nil && r.cfg.Check.Every > 0 && r.check.sinceLast >= r.cfg.Check.Every
		if next.ok && !due {
			r.present(&next)
		}
		r.endScreen(host)
		if !next.ok {
			r.noteSkips(next.skips)
			if again := r.rereads(); len(again) > 0 {
				r.idx = -1
				r.phase = phaseOffer
				r.event("reread_offered", map[string]string{"cases": fmt.Sprint(len(again))})
				r.cfg.View.Offer(again)
				return
			}
			r.finish(session.StatusComplete, "")
			return
		}
		if c := r.cfg.Check; c != nil && c.Every > 0 && r.check.sinceLast >= c.Every {
			// Recalibration is due: the next screen waits behind the prompt.
			r.pending = next
			r.idx = -1
			r.phase = phasePrompt
			r.event("recalibration_prompted", map[string]string{"cases": fmt.Sprint(r.check.sinceLast)})
			r.cfg.View.Prompt()
			return
		}
		r.begin(next, host) // its onset is the press: the image was asked for then
	case cmdPause:
		if r.phase == phaseCalibrating {
			r.showOptions() // the device calibration cannot pause: retry, skip or end
			return
		}
		if !r.paused {
			r.paused = true
			r.event("key", map[string]string{"key": "escape"})
			r.event("paused", nil)
			r.cfg.View.Paused(true)
		}
	case cmdResume:
		if r.check.noCal {
			return // no wait to go back to: the reader chooses retry, skip or end
		}
		if r.check.options {
			r.hideOptions()
			return
		}
		if r.paused {
			r.paused = false
			r.event("resumed", nil)
			r.cfg.View.Paused(false)
		}
	case cmdEnd:
		r.mu.Lock()
		reason := r.stopReason
		r.stopReason = ""
		r.mu.Unlock()
		if reason == "" {
			reason = "ended at the station"
		}
		if r.phase == phaseOffer {
			r.event("reread_declined", map[string]string{"reason": reason})
			r.finish(session.StatusComplete, "")
			return
		}
		r.drainGaze()
		r.stopCheck()
		r.endScreen(host)
		r.finish(session.StatusEnded, reason)
	}
	_ = ctx
}

// rereads lists the cases to offer for re-reading: failed the gate, silent, or marked by the
// operator, each once, not yet re-read.
func (r *Run) rereads() []Skip {
	var out []Skip
	seen := map[string]bool{}
	add := func(k Skip) {
		if !seen[k.DicomID] && !r.rereadDone[k.DicomID] {
			seen[k.DicomID] = true
			out = append(out, k)
		}
	}
	for _, k := range r.failed {
		add(k)
	}
	for _, k := range r.silent {
		add(k)
	}
	r.mu.Lock()
	marked := append([]string(nil), r.stats.Marked...)
	r.mu.Unlock()
	for _, id := range marked {
		add(Skip{DicomID: id, Reason: "marked by the operator", Kind: RereadMarked})
	}
	return out
}

// reread appends the offered cases to the plan and shows the first.
func (r *Run) reread(ctx context.Context) {
	again := r.rereads()
	if r.rereadDone == nil {
		r.rereadDone = map[string]bool{}
	}
	from := len(r.cfg.Plan)
	var screens []session.Screen
	for i, k := range again {
		r.rereadDone[k.DicomID] = true
		screens = append(screens, session.Screen{Index: from + i, Kind: session.KindCase, DicomID: k.DicomID})
	}
	if err := r.cfg.Recorder.ExtendPlan(screens); err != nil {
		r.fail(fmt.Errorf("add the re-reads to the plan: %w", err))
		return
	}
	r.cfg.Plan = append(r.cfg.Plan, screens...)
	r.mu.Lock()
	r.summary.Screens = len(r.cfg.Plan)
	for _, k := range again {
		r.stats.Reread = append(r.stats.Reread, k.DicomID)
	}
	r.mu.Unlock()
	r.phase = phaseReading
	next := r.load(ctx, from)
	if !next.ok {
		r.noteSkips(next.skips)
		r.finish(session.StatusComplete, "")
		return
	}
	r.show(next)
}

// drainGaze records the samples already queued, so that every sample taken before a key press
// lands on the screen that was showing.
func (r *Run) drainGaze() {
	for {
		select {
		case s := <-r.gaze:
			r.record(s)
		default:
			return
		}
	}
}

// show puts a frame on the reader's screen and begins it, its onset the moment it was asked
// for.
func (r *Run) show(l loaded) {
	onset := r.cfg.Clock()
	r.present(&l)
	r.begin(l, onset)
}

// begin opens the files of a frame already on the reader's screen and starts decoding the
// screen after it. onset is the session-clock time its image was asked for (the space press,
// or just before View.Show): the case's one zero, for its gaze Time column, its audio.wav's
// first frame and its screen_shown event alike (docs/FORMATS.md, the time table).
func (r *Run) begin(l loaded, onset time.Duration) {
	r.noteSkips(l.skips)
	r.idx = l.frame.Index
	r.frame = l.frame
	r.swap, r.onset = l.swap, onset
	host := onset
	if err := r.cfg.Recorder.BeginScreen(l.frame.Screen, l.frame.Layout, host); err != nil {
		r.fail(fmt.Errorf("open files for screen %d: %w", l.frame.Index+1, err))
		return
	}
	if r.cfg.Audio != nil && l.frame.Screen.Kind == session.KindCase {
		if err := r.cfg.Audio.Begin(r.cfg.Recorder.ScreenDir(), host); err != nil {
			// The microphone is the operator's to fix: the gaze goes on being recorded.
			r.cfg.Log.Error("audio not recorded", "err", err)
			r.event("audio_failed", map[string]string{"error": err.Error()})
			r.audioErr = err // the case fails the audio gate: its dictation is missing
		} else {
			r.audioOn = true
		}
	}
	r.readFrom, r.readTime, r.seams = host, 0, r.seams[:0]
	r.latFrom = len(r.health.latencies)
	r.mark(fmt.Sprintf("SCREEN %d %s", l.frame.Index+1, l.frame.Screen.DicomID), host)
	r.mu.Lock()
	r.fixes, r.hasCur = r.fixes[:0], false
	r.summary.Shown++
	r.mu.Unlock()
	if l.frame.Screen.Kind == session.KindCase {
		r.check.sinceLast++
	}
	r.mu.Lock()
	r.stats.CaseStart = host
	r.mu.Unlock()
	r.notePhase()
	r.haveFix = false

	ch := make(chan loaded, 1)
	r.prefetch = ch
	from := l.frame.Index + 1
	ctx := context.Background() // decoding is bounded; a cancelled run simply drops the result
	go func() {
		ch <- r.load(ctx, from)
		r.ready.Store(true)
	}()
}

// recordSwap writes the screen's swap delay (layout.json) when the view has said it, and
// returns it in ms (nil: not measured); false when it could not be written (the run failed).
func (r *Run) recordSwap() (*float64, bool) {
	swap, swapped := r.swapDelay()
	if !swapped {
		return nil, true
	}
	if err := r.cfg.Recorder.ScreenSwapped(swap); err != nil {
		r.fail(fmt.Errorf("write the swap delay of screen %d: %w", r.idx+1, err))
		return nil, false
	}
	ms := float64(swap.Microseconds()) / 1000
	return &ms, true
}

// writeFilters writes the screen's fixations from each of the run's own filters; false when
// one could not be written (the run failed).
func (r *Run) writeFilters() bool {
	for _, f := range r.cfg.Filters {
		fixes := f.Detect(r.raw)
		rows := make([]tracker.Sample, len(fixes))
		for i, x := range fixes {
			rows[i] = x.Row()
		}
		if err := r.cfg.Recorder.FilterFixations(f.Name, f.Params, rows); err != nil {
			r.fail(fmt.Errorf("write %s fixations of screen %d: %w", f.Name, r.idx+1, err))
			return false
		}
	}
	return true
}

// markerLatency is the median round trip of the sync markers echoed while the screen was on,
// and how many there were (0: none).
func (r *Run) markerLatency() (n int, ms float64) {
	l := r.health.latencies[min(r.latFrom, len(r.health.latencies)):]
	if len(l) == 0 {
		return 0, 0
	}
	l = slices.Clone(l)
	slices.Sort(l)
	return len(l), float64(l[len(l)/2].Microseconds()) / 1000
}

// swapDelay is how long after its onset the screen on show was on the reader's screen, and
// false when the view has not said (yet: a screen ended before its swap keeps no delay).
func (r *Run) swapDelay() (time.Duration, bool) {
	if r.swap == nil {
		return 0, false
	}
	at := r.swap.at.Load()
	if at == 0 {
		return 0, false
	}
	return max(time.Duration(at)-r.onset, 0), true
}

// NextReady reports whether the next screen has been decoded, so that Next will be a single
// repaint.
func (r *Run) NextReady() bool { return r.ready.Load() }

// load decodes the first screen from index on that can be shown, skipping undecodable cases.
func (r *Run) load(ctx context.Context, from int) loaded {
	var skips []Skip
	for i := from; i < len(r.cfg.Plan); i++ {
		sc := r.cfg.Plan[i]
		if r.skipDone[i] {
			continue
		}
		if sc.Kind == session.KindCalibration {
			return loaded{frame: Frame{Index: i, Total: len(r.cfg.Plan), Screen: sc,
				Layout: stage.Layout{W: stage.Width, H: stage.Height}}, skips: skips, ok: true}
		}
		f, err := r.cfg.Load(ctx, sc)
		if err != nil {
			skips = append(skips, Skip{DicomID: sc.DicomID, Reason: err.Error()})
			continue
		}
		f.Index, f.Total, f.Screen = i, len(r.cfg.Plan), sc
		return loaded{frame: f, skips: skips, ok: true}
	}
	return loaded{skips: skips}
}

func (r *Run) noteSkips(skips []Skip) {
	for _, s := range skips {
		r.skipped = append(r.skipped, s)
		r.cfg.Log.Warn("case skipped", "dicom_id", s.DicomID, "reason", s.Reason)
		r.event("case_skipped", map[string]string{"dicom_id": s.DicomID, "reason": s.Reason})
	}
}

// record writes one sample, and a fixation row when the device's fixation id moves on: the
// fixation row is the last sample of that fixation (docs/FORMATS.md §1).
func (r *Run) record(s tracker.Sample) {
	r.noteSample(s)
	r.watchSample(s)
	if r.phase != phaseReading {
		r.checkSample(s)
	}
	if r.idx < 0 || r.err != nil {
		return
	}
	if r.phase != phaseReading && !r.aside {
		return // calibration and validation gaze is not case data
	}
	r.samples++
	// Gaps are marked where they happened: in the journal, on the screen they fell in.
	if s.Resumed {
		r.event("tracker_resumed", map[string]string{"cnt": fmt.Sprint(s.CNT)})
	}
	if s.Lost > 0 {
		r.event("records_lost", map[string]string{"count": fmt.Sprint(s.Lost), "cnt": fmt.Sprint(s.CNT)})
	}
	if err := r.cfg.Recorder.Gaze(s); err != nil {
		r.fail(fmt.Errorf("record gaze sample: %w", err))
		return
	}
	if !r.aside && (len(r.cfg.Filters) > 0 || r.cfg.Gate != nil) {
		// The filters and the gate see reading time only.
		r.raw = append(r.raw, s)
	}
	if r.haveFix && s.FPOGID != r.lastFix.FPOGID {
		r.closeFixation()
	}
	if s.FPOGV && s.FPOGD > 0 {
		r.lastFix, r.haveFix = s, true
		r.mu.Lock()
		r.current = stage.Fix{ID: s.FPOGID, X: s.FPOGX, Y: s.FPOGY, Duration: s.FPOGD}
		r.hasCur = true
		r.mu.Unlock()
	}
}

func (r *Run) closeFixation() {
	f := r.lastFix
	r.haveFix = false
	r.nfix++
	if err := r.cfg.Recorder.Fixation(f); err != nil {
		r.fail(fmt.Errorf("record fixation: %w", err))
		return
	}
	r.mu.Lock()
	r.fixes = append(r.fixes, stage.Fix{ID: f.FPOGID, X: f.FPOGX, Y: f.FPOGY, Duration: f.FPOGD})
	r.hasCur = false
	r.mu.Unlock()
}

func (r *Run) endScreen(host time.Duration) {
	if r.idx < 0 || r.err != nil {
		return
	}
	if r.aside {
		r.takeBack()
		if r.err != nil {
			return
		}
	}
	if r.haveFix {
		r.closeFixation()
	}
	swapMS, ok := r.recordSwap()
	if !ok {
		return
	}
	// The audio first: its frames after host are the next case's, held only so long
	// (audio.HoldBack); the filters' files and fsyncs come after.
	var ac *AudioCheck
	if r.audioOn {
		r.audioOn = false
		c, err := r.cfg.Audio.End(host)
		if err != nil {
			c.Err = err.Error()
			r.event("audio_failed", map[string]string{"error": err.Error()})
		}
		ac = &c
	} else if r.audioErr != nil {
		ac = &AudioCheck{Err: "not recorded: " + r.audioErr.Error()}
	}
	r.audioErr = nil
	reading := r.readTime + host - r.readFrom
	if !r.writeFilters() {
		return
	}
	if r.cfg.Gate != nil && r.frame.Screen.Kind == session.KindCase {
		q := r.cfg.Gate(r.readingSegments(), reading)
		if r.closingFull {
			// The reader did not finish the case: it is read again, whatever its samples say.
			q.Verdict = quality.Fail
			q.Reasons = append([]string{"disk full: the recording stopped during the case"}, q.Reasons...)
		}
		q.SwapDelayMS = swapMS
		q.TrackerMarkers, q.TrackerLatencyMS = r.markerLatency()
		if ac != nil {
			q.Audio = ac
			if r.cfg.AudioGate != nil {
				r.cfg.AudioGate(&q, *ac)
			}
		}
		if err := r.cfg.Recorder.CaseQuality(q); err != nil {
			r.fail(fmt.Errorf("write the quality of screen %d: %w", r.idx+1, err))
			return
		}
		r.event("quality", map[string]string{"verdict": string(q.Verdict), "reasons": strings.Join(q.Reasons, "; ")})
		switch why := rereadWhy(r.frame.Screen.DicomID, q); why.Kind {
		case RereadFailed:
			r.failed = append(r.failed, why)
		case RereadSilent:
			r.silent = append(r.silent, why)
		}
	}
	r.raw, r.seams = r.raw[:0], r.seams[:0]
	r.noteTracker()
	if err := r.cfg.Recorder.EndScreen(host); err != nil {
		r.fail(fmt.Errorf("close files of screen %d: %w", r.idx+1, err))
	}
}

func (r *Run) mark(label string, host time.Duration) {
	m := fmt.Sprintf("%s HOST=%d", label, host.Nanoseconds())
	t0 := r.cfg.Clock()
	if err := r.cfg.Tracker.Mark(m); err != nil {
		r.cfg.Log.Warn("sync marker not sent", "err", err)
		return
	}
	r.sentMarker(m, t0)
}

func (r *Run) event(kind string, attrs map[string]string) {
	if r.err != nil {
		return
	}
	if err := r.cfg.Recorder.Event(r.cfg.Clock(), kind, attrs); err != nil {
		r.fail(fmt.Errorf("write event %q: %w", kind, err))
	}
}

// fail stops recording at the first write error: the files hold everything up to it, and the
// session ends with the error in its summary rather than writing on past a broken file.
// ReasonDiskFull is the end reason of a session whose disk filled.
const ReasonDiskFull = "disk full"

func (r *Run) fail(err error) {
	full := errors.Is(err, syscall.ENOSPC)
	if full && r.err == nil && !r.closingFull {
		// A full disk is not a crash: the open case is closed (the recorder has freed its
		// reserve for it and keeps whole rows only), then the session ends as "disk full".
		r.closingFull = true
		r.cfg.Log.Error("disk full: closing the case and ending the session", "err", err)
		r.event("disk_full", map[string]string{"error": err.Error()})
		r.endScreen(r.cfg.Clock())
	}
	if r.err == nil {
		r.err = err
		r.cfg.Log.Error("recording stopped", "err", err)
	}
	reason := "recording failed: " + r.err.Error()
	if errors.Is(r.err, syscall.ENOSPC) {
		reason = ReasonDiskFull // the write that failed is in the journal's disk_full event
	}
	r.finish(session.StatusEnded, reason)
}

func (r *Run) finish(status, reason string) {
	if r.finished {
		return
	}
	r.finished = true
	r.stopCheck()
	r.cancel()
	r.noteTracker()
	if r.err == nil {
		if err := r.cfg.Recorder.Finish(status, reason); err != nil {
			r.err = fmt.Errorf("close session: %w", err)
		}
	} else {
		_ = r.cfg.Recorder.Finish(status, reason)
	}
	r.mu.Lock()
	r.summary.Status = status
	r.summary.Reason = reason
	r.summary.Skipped = r.skipped
	r.summary.Samples = r.samples + r.cfg.Before.Samples
	r.summary.Fixations = r.nfix + r.cfg.Before.Fixations
	r.summary.Elapsed = r.cfg.Clock() - r.start + r.cfg.Before.Elapsed
	r.summary.Err = r.err
	r.summary.Marked = append([]string(nil), r.stats.Marked...)
	r.summary.Failed = r.failed
	r.summary.Silent = r.silent
	r.summary.Reread = len(r.rereadDone)
	r.stats.Phase = "finished"
	s := r.summary
	r.mu.Unlock()
	r.cfg.View.Finished(s)
}

func describeSkips(skips []Skip) string {
	if len(skips) == 0 {
		return "nothing to show"
	}
	s := ""
	for i, k := range skips {
		if i > 0 {
			s += "; "
		}
		s += k.DicomID + ": " + k.Reason
	}
	return s
}
