package opengaze

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxCalPoints bounds a calibration, and the point numbers read back from a CALIB_RESULT.
const maxCalPoints = 64

// calSlack is added to the time a calibration should take before Calibrate gives up on a
// device that never finishes.
const calSlack = 10 * time.Second

// Point is a calibration target in fractions of the tracked screen, (0,0) top left.
type Point struct{ X, Y float64 }

// CalEventKind says which moment of a calibration point a CalEvent marks.
type CalEventKind int

const (
	// CalPointStart (CALIB_START_PT): the point's animation begins; show the target there.
	CalPointStart CalEventKind = iota + 1
	// CalPointDone (CALIB_RESULT_PT): the point is calibrated; the next one follows.
	CalPointDone
)

func (k CalEventKind) String() string {
	switch k {
	case CalPointStart:
		return "start"
	case CalPointDone:
		return "done"
	}
	return fmt.Sprintf("CalEventKind(%d)", int(k))
}

// CalEvent is the tracker's progress through the calibration points.
type CalEvent struct {
	Kind  CalEventKind
	Point int     // 1-based, in the order given to Calibrate
	X, Y  float64 // the target, as the device reports it
}

// CalPoint is the outcome at one target (CALIB_RESULT): where each eye's gaze was estimated and
// whether that eye calibrated there.
type CalPoint struct {
	X, Y   float64 // the target (CALXn, CALYn)
	LX, LY float64 // left eye (LXn, LYn)
	LV     bool
	RX, RY float64 // right eye (RXn, RYn)
	RV     bool
	// LeftErrPx and RightErrPx are each eye's distance from the target in pixels of the tracked
	// screen (SCREEN_SIZE; 1920×1080 if the device gave none), NaN when that eye is not valid.
	LeftErrPx, RightErrPx float64
}

// CalResult is a finished calibration.
type CalResult struct {
	Points      []CalPoint
	AveErrorPx  float64 // CALIBRATE_RESULT_SUMMARY AVE_ERROR, pixels
	ValidPoints int     // CALIBRATE_RESULT_SUMMARY VALID_POINTS
}

// Calibrate runs the tracker's calibration on pts with timeout per point and delay (the
// animation) before each, while Stream runs. The station draws the targets: the device's own
// window is hidden, and onEvent (may be nil; called on this goroutine) hears each point start
// and finish. The result has each point's per-eye error and the device's summary. Cancelling
// ctx aborts the calibration on the device; so does a device that has not finished within twice
// the expected time plus 10 s. Call it from any goroutine but Stream's own (emit, OnStatus):
// that one reads the replies.
func (c *Client) Calibrate(ctx context.Context, pts []Point, timeout, delay time.Duration, onEvent func(CalEvent)) (CalResult, error) {
	if err := checkCal(pts, timeout, delay); err != nil {
		return CalResult{}, fmt.Errorf("opengaze: calibrate: %w", err)
	}
	c.mu.Lock()
	sess, screen := c.sess, c.info.Screen
	c.mu.Unlock()
	if sess == nil {
		return CalResult{}, fmt.Errorf("opengaze: calibrate: %w", ErrNotConnected)
	}
	if !c.calibrating.CompareAndSwap(false, true) {
		return CalResult{}, errors.New("opengaze: calibrate: a calibration is already running")
	}
	defer c.calibrating.Store(false)
	sess.setCalibrating(true)
	defer sess.setCalibrating(false)

	budget := time.Duration(len(pts))*(timeout+delay)*2 + calSlack
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	sub := sess.subscribe(func(m Message) bool {
		return m.Tag == "CAL" || ((m.Tag == "ACK" || isNACK(m)) && strings.HasPrefix(msgID(m), "CALIBRATE_"))
	})
	defer sess.unsubscribe(sub)

	r := &calRun{ctx: ctx, sess: sess, sub: sub}
	res, err := r.run(pts, timeout, delay, onEvent, screen)
	if err != nil {
		if r.started && !errors.Is(err, ErrConnectionLost) {
			_ = sess.send(setMsg("CALIBRATE_START", Attr{"STATE", "0"})) // best effort: stop the device
		}
		return res, fmt.Errorf("opengaze: calibrate: %w", err)
	}
	return res, nil
}

func checkCal(pts []Point, timeout, delay time.Duration) error {
	if len(pts) == 0 || len(pts) > maxCalPoints {
		return fmt.Errorf("%d points: want 1 to %d", len(pts), maxCalPoints)
	}
	for i, p := range pts {
		if !(p.X >= 0 && p.X <= 1 && p.Y >= 0 && p.Y <= 1) {
			return fmt.Errorf("point %d at (%v, %v): not inside the screen (fractions 0 to 1)", i+1, p.X, p.Y)
		}
	}
	if timeout <= 0 || delay < 0 {
		return fmt.Errorf("timeout %v, delay %v: want a positive timeout and a delay not negative", timeout, delay)
	}
	return nil
}

// calRun is one calibration's conversation with the device.
type calRun struct {
	ctx     context.Context
	sess    *session
	sub     *subscription
	early   []Message // CAL records that came while a command was waiting for its ACK
	started bool      // CALIBRATE_START was sent
}

func (r *calRun) run(pts []Point, timeout, delay time.Duration, onEvent func(CalEvent), screen Screen) (CalResult, error) {
	if _, err := r.command(setMsg("CALIBRATE_CLEAR"), nil); err != nil {
		return CalResult{}, err
	}
	for i, p := range pts {
		// The ACK counts the points so far; a late duplicate of an earlier ACK counts fewer.
		want := int64(i + 1)
		if _, err := r.command(setMsg("CALIBRATE_ADDPOINT", Attr{"X", fmtFloat(p.X)}, Attr{"Y", fmtFloat(p.Y)}),
			func(m Message) bool { n, ok := m.Int("PTS"); return !ok || n >= want }); err != nil {
			return CalResult{}, fmt.Errorf("point %d: %w", i+1, err)
		}
	}
	for _, m := range []Message{
		setMsg("CALIBRATE_TIMEOUT", Attr{"VALUE", fmtFloat(timeout.Seconds())}),
		setMsg("CALIBRATE_DELAY", Attr{"VALUE", fmtFloat(delay.Seconds())}),
		setMsg("CALIBRATE_SHOW", Attr{"STATE", "0"}),
	} {
		if _, err := r.command(m, nil); err != nil {
			return CalResult{}, err
		}
	}
	r.started = true
	if _, err := r.command(setMsg("CALIBRATE_START", Attr{"STATE", "1"}), nil); err != nil {
		return CalResult{}, err
	}

	var res CalResult
	for res.Points == nil {
		m, err := r.next("CALIB_RESULT")
		if err != nil {
			return CalResult{}, err
		}
		if m.Tag != "CAL" {
			continue // a late duplicate ACK
		}
		switch id := msgID(m); id {
		case "CALIB_START_PT", "CALIB_RESULT_PT":
			ev := CalEvent{Kind: CalPointStart}
			if id == "CALIB_RESULT_PT" {
				ev.Kind = CalPointDone
			}
			pt, _ := m.Int("PT")
			ev.Point = int(max(0, min(pt, maxCalPoints)))
			ev.X, _ = m.Float("CALX")
			ev.Y, _ = m.Float("CALY")
			if onEvent != nil {
				onEvent(ev)
			}
		case "CALIB_RESULT":
			if res.Points, err = calPoints(m, screen); err != nil {
				return CalResult{}, err
			}
		}
	}
	r.started = false

	sum, err := r.command(getMsg("CALIBRATE_RESULT_SUMMARY"), nil)
	if err != nil {
		return res, err
	}
	ave, okA := sum.Float("AVE_ERROR")
	valid, okV := sum.Int("VALID_POINTS")
	if !okA || !okV {
		return res, fmt.Errorf("CALIBRATE_RESULT_SUMMARY without a numeric AVE_ERROR and VALID_POINTS: %w", ErrProtocol)
	}
	res.AveErrorPx, res.ValidPoints = ave, int(max(0, min(valid, maxCalPoints)))
	return res, nil
}

// command sends m and waits for the ACK of its ID that accept takes (any, if nil).
func (r *calRun) command(m Message, accept func(Message) bool) (Message, error) {
	id := msgID(m)
	if err := r.sess.send(m); err != nil {
		return Message{}, fmt.Errorf("sending %s: %w", id, err)
	}
	for {
		reply, err := r.next(id)
		if err != nil {
			return Message{}, err
		}
		if reply.Tag == "CAL" {
			r.early = append(r.early, reply)
			continue
		}
		if msgID(reply) != id {
			continue
		}
		if isNACK(reply) {
			return Message{}, fmt.Errorf("%s: %w (%s)", id, ErrRefused, reply.Tag)
		}
		if accept == nil || accept(reply) {
			return reply, nil
		}
	}
}

// next returns the next message for this calibration, CAL records held back first; waiting
// names what it waits for in errors.
func (r *calRun) next(waiting string) (Message, error) {
	if len(r.early) > 0 {
		m := r.early[0]
		r.early = r.early[1:]
		return m, nil
	}
	select {
	case m := <-r.sub.ch:
		return m, nil
	case <-r.sess.done:
		// What the connection delivered before it closed comes first.
		select {
		case m := <-r.sub.ch:
			return m, nil
		default:
		}
		return Message{}, fmt.Errorf("waiting for %s: %w", waiting, ErrConnectionLost)
	case <-r.ctx.Done():
		return Message{}, fmt.Errorf("waiting for %s: %w", waiting, context.Cause(r.ctx))
	}
}

// calPoints reads a CALIB_RESULT: per point n, CALXn CALYn LXn LYn LVn RXn RYn RVn.
func calPoints(m Message, screen Screen) ([]CalPoint, error) {
	w, h := float64(screen.Width), float64(screen.Height)
	if w <= 0 || h <= 0 {
		w, h = 1920, 1080
	}
	var pts []CalPoint
	var have []uint8 // per point: bit 0 CALX, bit 1 CALY
	for _, a := range m.Attrs {
		field, n, ok := splitIndexed(a.Name)
		if !ok {
			continue
		}
		if n > len(pts) {
			pts = append(pts, make([]CalPoint, n-len(pts))...)
			have = append(have, make([]uint8, n-len(have))...)
		}
		p := &pts[n-1]
		switch field {
		case "CALX":
			p.X, ok = parseFloat(a.Value)
			have[n-1] |= 1
		case "CALY":
			p.Y, ok = parseFloat(a.Value)
			have[n-1] |= 2
		case "LX":
			p.LX, ok = parseFloat(a.Value)
		case "LY":
			p.LY, ok = parseFloat(a.Value)
		case "LV":
			p.LV, ok = parseBool(a.Value)
		case "RX":
			p.RX, ok = parseFloat(a.Value)
		case "RY":
			p.RY, ok = parseFloat(a.Value)
		case "RV":
			p.RV, ok = parseBool(a.Value)
		}
		if !ok {
			return nil, fmt.Errorf("CALIB_RESULT %s=%q is not a number: %w", a.Name, a.Value, ErrProtocol)
		}
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("CALIB_RESULT lists no points: %w", ErrProtocol)
	}
	for i := range pts {
		if have[i] != 3 {
			return nil, fmt.Errorf("CALIB_RESULT has no target CALX%d/CALY%d: %w", i+1, i+1, ErrProtocol)
		}
		p := &pts[i]
		p.LeftErrPx, p.RightErrPx = math.NaN(), math.NaN()
		if p.LV {
			p.LeftErrPx = math.Hypot((p.LX-p.X)*w, (p.LY-p.Y)*h)
		}
		if p.RV {
			p.RightErrPx = math.Hypot((p.RX-p.X)*w, (p.RY-p.Y)*h)
		}
	}
	return pts, nil
}

// splitIndexed splits a CALIB_RESULT attribute name such as "CALX3" or "LV12" into its field
// and point number (1 to maxCalPoints).
func splitIndexed(name string) (field string, n int, ok bool) {
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	field = name[:i]
	switch field {
	case "CALX", "CALY", "LX", "LY", "LV", "RX", "RY", "RV":
	default:
		return "", 0, false
	}
	v, err := strconv.Atoi(name[i:])
	if err != nil || v < 1 || v > maxCalPoints {
		return "", 0, false
	}
	return field, v, true
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
