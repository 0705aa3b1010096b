package reading

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"sightline/reader/session"
	"sightline/tracker"
)

// Calibrator runs the tracker's own calibration (the Open Gaze CALIBRATE_* sequence), telling
// the run how it goes through p.
type Calibrator interface {
	Calibrate(ctx context.Context, p CalProgress) (CalSummary, error)
}

// CalProgress is how a calibration in progress reaches the reader's screen. Both functions are
// called from the calibrating goroutine, in order; they return quickly.
type CalProgress struct {
	// Target: the device moved to a point; the stage draws the target there.
	Target func(x, y float64)
	// Waiting: the station now waits on the tracker for what ("waiting for the eye tracker to
	// connect", "waiting for the calibration result"); the reader's screen says so in one line.
	Waiting func(what string)
}

// The calibration and validation records are reader/session's, so that calibrations.jsonl is
// written and read through one type.
type (
	CalPoint     = session.CalPoint
	CalSummary   = session.CalSummary
	Validation   = session.Validation
	PointQuality = session.PointQuality
	CheckReport  = session.CheckReport
)

// VerdictFailed is a validation that measured nothing; the run never accepts it.
const VerdictFailed = session.VerdictFailed

// Check configures the calibration and validation step: at session start, from the pause
// overlay, and prompted every Every cases.
type Check struct {
	Calibrator Calibrator // nil: the device cannot calibrate (mouse); validation still runs
	AtStart    bool       // run the step before the first case
	Every      int        // prompt for recalibration after this many cases; 0 = never
	Targets    []Point    // validation targets, stage fractions (not the calibration points)
	Settle     time.Duration
	Dwell      time.Duration // samples analysed per target, after Settle
	Viewing    tracker.Viewing
	Rate       float64
	// Assess turns the samples gathered on each target into a validation result.
	Assess func(perTarget [][]tracker.Sample, targets []Point) Validation
	// After paces the validation targets; nil means time.After (tests step it by hand).
	After func(d time.Duration) <-chan time.Time
}

// Point is a position on the stage in fractions.
type Point struct{ X, Y float64 }

type phase int

const (
	phaseReading phase = iota
	phaseCalibrating
	phaseValidating
	phaseReview // the report is up: accept or redo
	phasePrompt // recalibration suggested: now or continue
	phaseOffer  // the plan is done: re-read the failed and marked cases, or finish
)

type calOutcome struct {
	sum CalSummary
	err error
}

// checkState is the calibration/validation step in progress; owned by the loop goroutine.
type checkState struct {
	round     int
	cancel    context.CancelFunc
	calDone   chan calOutcome
	cal       *CalSummary
	calErr    error
	target    int
	started   time.Duration    // host time the current target appeared
	due       <-chan time.Time // the current validation target's time is up
	perTarget [][]tracker.Sample
	sinceLast int // cases shown since the last accepted check

	progress  chan calStep // the calibrator's targets and waits, in order
	waiting   string       // what the station waits for from the tracker; "" when nothing
	options   bool         // the reader asked (Esc) for the options: retry, skip, end
	noCal     bool         // the device does not calibrate: the options are up, nothing runs
	calTarget *Point       // the device's current target, drawn again when the options close
}

// calStep is one step of a device calibration's progress: a target, or a wait.
type calStep struct {
	target  *Point
	waiting string
}

// startCheck begins a calibration (when the device has one) followed by validation.
func (r *Run) startCheck(ctx context.Context) {
	c := r.cfg.Check
	r.check.round++
	r.check.cal, r.check.calErr, r.check.noCal = nil, nil, false
	r.event("check_started", map[string]string{"round": fmt.Sprint(r.check.round)})
	if c.Calibrator == nil {
		r.startValidation()
		return
	}
	r.phase = phaseCalibrating
	cctx, cancel := context.WithCancel(ctx)
	r.check.cancel = cancel
	done := make(chan calOutcome, 1)
	r.check.calDone = done
	steps := make(chan calStep, 16)
	r.check.progress = steps
	r.check.calTarget = nil
	// The steps go through the loop, so that the waits, the targets and the options card reach
	// the reader's screen in order.
	step := func(st calStep) {
		select {
		case steps <- st:
		case <-cctx.Done():
		}
	}
	p := CalProgress{
		Target:  func(x, y float64) { step(calStep{target: &Point{x, y}}) },
		Waiting: func(what string) { step(calStep{waiting: what}) },
	}
	go func() {
		s, err := c.Calibrator.Calibrate(cctx, p)
		done <- calOutcome{s, err}
	}()
}

// calProgress shows a step of the device calibration.
func (r *Run) calProgress(st calStep) {
	if r.phase != phaseCalibrating {
		return
	}
	if st.target != nil {
		r.check.calTarget = st.target
		r.setWaiting("")
		if !r.check.options {
			r.cfg.View.Target(st.target.X, st.target.Y)
		}
		return
	}
	r.setWaiting(st.waiting)
}

// setWaiting says what the station waits for from the tracker, on the reader's screen (one
// line, unless the options card is up) and on the console.
func (r *Run) setWaiting(what string) {
	if what == r.check.waiting {
		return
	}
	r.check.waiting = what
	r.mu.Lock()
	r.stats.Waiting = what
	r.mu.Unlock()
	if what != "" {
		r.event("tracker_waiting", map[string]string{"for": what})
	}
	if !r.check.options {
		r.cfg.View.Waiting(what)
	}
}

// showOptions answers Esc during a device calibration: retry, skip the device calibration (our
// validation only), or end the session.
func (r *Run) showOptions() {
	if r.check.options {
		return
	}
	r.check.options = true
	r.event("tracker_options", map[string]string{"waiting": r.check.waiting})
	r.cfg.View.TrackerOptions(r.check.waiting)
}

// hideOptions closes the options card and puts back what it covered.
func (r *Run) hideOptions() {
	if !r.check.options {
		return
	}
	r.check.options = false
	r.cfg.View.Waiting(r.check.waiting)
	if t := r.check.calTarget; t != nil && r.check.waiting == "" {
		r.cfg.View.Target(t.X, t.Y)
	}
}

// skipCalibration abandons the device calibration and runs our validation only.
func (r *Run) skipCalibration() {
	if r.phase != phaseCalibrating {
		return
	}
	r.check.cancel()
	r.check.calDone, r.check.progress = nil, nil
	if !r.check.noCal {
		r.check.calErr = errSkipped
	} // else the report says the device did not calibrate
	r.check.noCal = false
	r.event("calibration_skipped", map[string]string{"waiting": r.check.waiting})
	r.endWait()
	r.startValidation()
}

// ErrNoTracker is what a Calibrator's error wraps when the tracker is not there (it never
// connected): the run then reports a failed round at once instead of showing validation
// targets to a tracker that sends nothing.
var ErrNoTracker = errors.New("the eye tracker is not connected")

// ErrNoCalibration is what a Calibrator's error wraps when the tracker is there but does not
// calibrate (it shows no calibration point when asked): the run then tells the reader so and
// offers to skip the device calibration, instead of going on to a validation of an
// uncalibrated tracker. Its text begins the report's calibration error (CalLine).
var ErrNoCalibration = errors.New("the eye tracker does not calibrate")

// errSkipped is the calibration error of a round whose device calibration the reader skipped.
var errSkipped = errors.New("skipped by the reader: validation only")

// endWait clears the waits and the options once the device calibration is over.
func (r *Run) endWait() {
	r.check.options = false
	r.setWaiting("")
	r.cfg.View.Waiting("")
	r.check.calTarget = nil
}

func (r *Run) calibrated(o calOutcome) {
	// The calibrator's last steps were sent before it returned: show them first, in order.
	for drained := false; !drained; {
		select {
		case st := <-r.check.progress:
			r.calProgress(st)
		default:
			drained = true
		}
	}
	r.check.calDone, r.check.progress = nil, nil
	r.check.cancel()
	r.endWait()
	if o.err != nil {
		r.check.calErr = o.err
		r.cfg.Log.Warn("calibration failed", "err", o.err)
		r.event("calibration_failed", map[string]string{"error": o.err.Error()})
		if errors.Is(o.err, ErrNoCalibration) {
			// Validating an uncalibrated tracker would only say "redo", and redo would ask the
			// device again for nothing: the reader chooses, the device calibration skipped
			// (Enter), retried, or the session ended.
			r.check.noCal, r.check.options = true, true
			r.cfg.View.CannotCalibrate("it showed no calibration point when asked")
			return
		}
		if errors.Is(o.err, ErrNoTracker) && !r.health.have {
			// The tracker has sent nothing this session: validation targets would be shown for
			// nothing. The report says so at once (failed: no samples); Redo tries again.
			r.phase = phaseValidating
			r.check.perTarget = make([][]tracker.Sample, len(r.cfg.Check.Targets))
			r.check.target = len(r.cfg.Check.Targets) - 1
			r.nextTarget()
			return
		}
	} else {
		s := o.sum
		r.check.cal = &s
		r.event("calibrated", map[string]string{
			"ave_error_px": fmt.Sprintf("%.2f", s.AveErrorPx), "valid_points": fmt.Sprint(s.ValidPoints)})
	}
	r.startValidation()
}

func (r *Run) startValidation() {
	r.phase = phaseValidating
	r.check.target = -1
	r.check.perTarget = make([][]tracker.Sample, len(r.cfg.Check.Targets))
	r.nextTarget()
}

// nextTarget shows the next validation target, or ends validation with the report.
func (r *Run) nextTarget() {
	c := r.cfg.Check
	r.check.target++
	if r.check.target >= len(c.Targets) {
		r.check.due = nil
		v := c.Assess(r.check.perTarget, c.Targets)
		rep := CheckReport{Round: r.check.round, Calibration: r.check.cal, Validation: v}
		if r.check.calErr != nil {
			rep.CalError = r.check.calErr.Error()
		}
		r.phase = phaseReview
		r.lastCheck = rep
		if err := r.cfg.Recorder.SaveCheck(rep); err != nil {
			r.fail(fmt.Errorf("save calibration result: %w", err))
			return
		}
		r.cfg.View.Check(rep)
		return
	}
	t := c.Targets[r.check.target]
	r.cfg.View.Target(t.X, t.Y)
	r.check.started = r.cfg.Clock()
	// The marker tells the device stream (and the simulator, which has no other way to know)
	// where the target is.
	r.mark(fmt.Sprintf("TARGET %d X=%.4f Y=%.4f", r.check.target+1, t.X, t.Y), r.check.started)
	after := c.After
	if after == nil {
		after = time.After
	}
	r.check.due = after(c.Settle + c.Dwell)
}

// checkSample keeps the samples that fall in the analysed window of the current target.
func (r *Run) checkSample(s tracker.Sample) {
	if r.phase != phaseValidating || r.check.target < 0 || r.check.target >= len(r.check.perTarget) {
		return
	}
	c := r.cfg.Check
	if s.Host >= r.check.started+c.Settle && s.Host <= r.check.started+c.Settle+c.Dwell {
		r.check.perTarget[r.check.target] = append(r.check.perTarget[r.check.target], s)
	}
}

// accept ends the check (or the prompt) and goes (back) to reading.
func (r *Run) accept() {
	if r.phase == phaseReview && !r.lastCheck.Validation.Acceptable() {
		// Nothing was measured: reading on would record cases without gaze.
		r.event("accept_refused", map[string]string{"round": fmt.Sprint(r.check.round), "verdict": string(r.lastCheck.Validation.Verdict)})
		return
	}
	if r.phase == phaseReview {
		r.event("check_accepted", map[string]string{"round": fmt.Sprint(r.check.round), "verdict": string(r.lastCheck.Validation.Verdict)})
	} else {
		r.event("recalibration_declined", nil)
	}
	r.phase = phaseReading
	r.check.sinceLast = 0
	r.paused = false
	r.cfg.View.Paused(false)
	if r.pending.ok {
		next := r.pending
		r.pending = loaded{}
		r.show(next)
		return
	}
	r.cfg.View.Show(r.frame)
}

// stopCheck abandons a check in progress (session end).
func (r *Run) stopCheck() {
	if r.check.cancel != nil {
		r.check.cancel()
	}
	r.check.due = nil
}

// CalErrorLine is the report's calibration line for the reader when the device calibration
// did not give a result (calError, CheckReport.CalError): a sentence, never the error's text,
// which the session files keep.
func CalErrorLine(calError string) string {
	switch {
	case strings.HasPrefix(calError, ErrNoCalibration.Error()):
		return "The eye tracker did not calibrate: validation only"
	case calError == errSkipped.Error():
		return "Device calibration skipped: validation only"
	case strings.Contains(calError, ErrNoTracker.Error()), strings.HasPrefix(calError, "the eye tracker did not connect"):
		return "The eye tracker is not connected"
	}
	return "Device calibration did not finish: validation only"
}
