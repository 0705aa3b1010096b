package reading

import (
	"context"
	"fmt"
	"time"

	"sightline/reader/session"
	"sightline/tracker"
)

// Calibrator runs the tracker's own calibration (the Open Gaze CALIBRATE_* sequence). onTarget
// is called as the device moves to each point, so the stage can draw the target there.
type Calibrator interface {
	Calibrate(ctx context.Context, onTarget func(x, y float64)) (CalSummary, error)
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
}

// startCheck begins a calibration (when the device has one) followed by validation.
func (r *Run) startCheck(ctx context.Context) {
	c := r.cfg.Check
	r.check.round++
	r.check.cal, r.check.calErr = nil, nil
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
	view := r.cfg.View
	go func() {
		s, err := c.Calibrator.Calibrate(cctx, func(x, y float64) { view.Target(x, y) })
		done <- calOutcome{s, err}
	}()
}

func (r *Run) calibrated(o calOutcome) {
	r.check.calDone = nil
	r.check.cancel()
	if o.err != nil {
		r.check.calErr = o.err
		r.cfg.Log.Warn("calibration failed", "err", o.err)
		r.event("calibration_failed", map[string]string{"error": o.err.Error()})
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
			r.fail(fmt.Errorf("reading: save calibration result: %w", err))
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
		r.event("accept_refused", map[string]string{"round": fmt.Sprint(r.check.round), "verdict": r.lastCheck.Validation.Verdict})
		return
	}
	if r.phase == phaseReview {
		r.event("check_accepted", map[string]string{"round": fmt.Sprint(r.check.round), "verdict": r.lastCheck.Validation.Verdict})
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
		r.cfg.View.Show(next.frame)
		r.begin(next)
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
