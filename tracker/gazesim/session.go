package gazesim

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"sightline/tracker/opengaze"
)

// maxBatch bounds the records one stream call writes, so that commands are still read while
// the stream catches up after a stall; the rest follow on the next tick.
const maxBatch = 512

// The device's default calibration grid: the 5-point pattern of the API document (§3.10,
// §4), then the edge midpoints, 9 points as the EGD-CXR paper used.
var defaultCalPoints = []point{
	{0.5, 0.5}, {0.85, 0.15}, {0.85, 0.85}, {0.15, 0.85}, {0.15, 0.15},
	{0.5, 0.15}, {0.85, 0.5}, {0.5, 0.85}, {0.15, 0.5},
}

// session is one client connection's device state. It does no I/O: commands and clock
// events go in, bytes to send come out in out.
type session struct {
	st  *settings
	m   *model
	out []byte

	enabled [numGroups]bool
	sending bool
	// Pacing: record paceBase is due at paceStart, the others every 1/(rate·speed) after it.
	paceStart time.Time
	paceBase  int64

	user     string
	userLeft int64 // records left to carry user; 0 means it persists (DUR="0")

	screen  [4]int // X, Y, WIDTH, HEIGHT
	show    bool   // CALIBRATE_SHOW: nothing to show here, but it reads back
	display bool   // TRACKER_DISPLAY STATE
	tray    bool   // TRACKER_DISPLAY TRAY
	calPts  []point
	delay   time.Duration
	timeout time.Duration
	cal     *calRun
	calRng  *rand.Rand
	summary calSummary
	aacLen  int
}

// calRun is a calibration in progress.
type calRun struct {
	pts   []point
	i     int  // the point being shown
	dwell bool // past the animation, collecting
	next  time.Time
	est   []calEstimate
}

type calEstimate struct {
	target, left, right point
}

type calSummary struct {
	aveErrorPx float64
	valid      int
}

func newSession(st *settings) *session {
	seed := uint64(st.seed)
	return &session{
		st: st, m: newModel(st),
		screen:  [4]int{0, 0, 1920, 1080},
		display: true,
		calPts:  append([]point(nil), defaultCalPoints...),
		delay:   st.calDelay, timeout: st.calTimeout,
		// Calibration draws from its own source: when it runs depends on the wall clock, and
		// it must not disturb the record stream's.
		calRng: rand.New(rand.NewPCG(seed^0x5ca1ab1e, seed+0x0ddba11)),
		aacLen: aacDefault,
	}
}

func (s *session) send(tag string, attrs ...string) {
	msg := opengaze.Message{Tag: tag, Attrs: make([]opengaze.Attr, 0, len(attrs)/2)}
	for i := 0; i+1 < len(attrs); i += 2 {
		msg.Attrs = append(msg.Attrs, opengaze.Attr{Name: attrs[i], Value: attrs[i+1]})
	}
	s.out = opengaze.AppendMessage(s.out, msg)
}

func (s *session) ack(id string, attrs ...string) {
	s.send("ACK", append([]string{"ID", id}, attrs...)...)
}

func (s *session) nack(id string) { s.send("NACK", "ID", id) }

// command handles one line from the client at time now. Lines that are not a GET or SET
// element are ignored, as is a GET or SET without an ID; an unknown ID, or a SET with a
// value the device would refuse, is answered with NACK.
func (s *session) command(line []byte, now time.Time) {
	msg, err := opengaze.Parse(line)
	if err != nil || (msg.Tag != "GET" && msg.Tag != "SET") {
		return
	}
	id, ok := msg.Get("ID")
	if !ok || id == "" {
		return
	}
	set := msg.Tag == "SET"
	if g, ok := groupOf(id); ok {
		s.enable(id, g, msg, set)
		return
	}
	switch id {
	case "ENABLE_SEND_DATA":
		if set {
			on, ok := state(msg)
			if !ok {
				s.nack(id)
				return
			}
			if on && !s.sending {
				s.paceStart, s.paceBase = now, s.m.cnt
			}
			s.sending = on
		}
		s.ack(id, "STATE", b01(s.sending))
	case "TIME_TICK_FREQUENCY":
		s.readOnly(id, set, "FREQ", strconv.Itoa(tickFreq))
	case "SCREEN_SIZE":
		if set {
			var v [4]int
			for i, name := range []string{"X", "Y", "WIDTH", "HEIGHT"} {
				n, ok := msg.Int(name)
				if !ok || n < math.MinInt32 || n > math.MaxInt32 || (i >= 2 && n <= 0) {
					s.nack(id)
					return
				}
				v[i] = int(n)
			}
			s.screen = v
		}
		s.ack(id, "X", strconv.Itoa(s.screen[0]), "Y", strconv.Itoa(s.screen[1]),
			"WIDTH", strconv.Itoa(s.screen[2]), "HEIGHT", strconv.Itoa(s.screen[3]))
	case "CAMERA_SIZE":
		s.readOnly(id, set, "WIDTH", "752", "HEIGHT", "480")
	case "PRODUCT_ID":
		bus := "USB2"
		if s.st.rate > 60 {
			bus = "USB3"
		}
		s.readOnly(id, set, "VALUE", s.st.product, "BUS", bus, "RATE", s.st.rateString())
	case "SERIAL_ID":
		s.readOnly(id, set, "VALUE", "SIM"+strconv.FormatUint(uint64(s.st.seed)%1_000_000_000, 10))
	case "COMPANY_ID":
		s.readOnly(id, set, "VALUE", "GAZEPOINT")
	case "API_ID":
		s.readOnly(id, set, "VALUE", "2.4")
	case "TRACKER_ID":
		s.ack(id, "ACTIVE_ID", "1", "MAX_ID", "1", "SEARCH", "NONE")
	case "TRACKER_DISPLAY":
		if set {
			on, ok := state(msg)
			if !ok {
				s.nack(id)
				return
			}
			s.display = on
			if v, ok := msg.Int("TRAY"); ok {
				s.tray = v != 0
			}
		}
		s.ack(id, "STATE", b01(s.display), "TRAY", b01(s.tray))
	case "AAC_FILTER":
		if set {
			n, ok := msg.Int("VALUE")
			if !ok || n < 1 || n > 1000 {
				s.nack(id)
				return
			}
			s.aacLen = int(n)
			s.m.aacLen = s.aacLen
		}
		s.ack(id, "VALUE", strconv.Itoa(s.aacLen))
	case "USER_DATA":
		if set {
			v, _ := msg.Get("VALUE")
			dur, ok := int64(0), true
			if _, has := msg.Get("DUR"); has {
				dur, ok = msg.Int("DUR")
			}
			if !ok || dur < 0 {
				s.nack(id)
				return
			}
			s.user, s.userLeft = v, dur
			s.marker(v)
			s.ack(id, "VALUE", v, "DUR", itoa(dur))
			return
		}
		s.ack(id, "VALUE", s.user)
	case "CALIBRATE_START":
		if set {
			on, ok := state(msg)
			if !ok {
				s.nack(id)
				return
			}
			s.ack(id, "STATE", b01(on))
			if on && s.st.noCal {
				return // acknowledged, never started
			}
			if on {
				s.startCalibration(now)
			} else {
				s.stopCalibration()
			}
			return
		}
		s.ack(id, "STATE", b01(s.cal != nil))
	case "CALIBRATE_SHOW":
		if set {
			on, ok := state(msg)
			if !ok {
				s.nack(id)
				return
			}
			s.show = on
		}
		s.ack(id, "STATE", b01(s.show))
	case "CALIBRATE_TIMEOUT", "CALIBRATE_DELAY":
		d := &s.timeout
		if id == "CALIBRATE_DELAY" {
			d = &s.delay
		}
		if set {
			v, ok := msg.Float("VALUE")
			if !ok || !finite(v) || v < 0 || (v == 0 && id == "CALIBRATE_TIMEOUT") || v > 60 {
				s.nack(id)
				return
			}
			*d = time.Duration(v * float64(time.Second))
		}
		s.ack(id, "VALUE", formatNum(d.Seconds()))
	case "CALIBRATE_RESULT_SUMMARY":
		s.readOnly(id, set, "AVE_ERROR", strconv.FormatFloat(s.summary.aveErrorPx, 'f', 2, 64),
			"VALID_POINTS", strconv.Itoa(s.summary.valid))
	case "CALIBRATE_CLEAR":
		if set {
			s.calPts = s.calPts[:0]
		}
		s.ack(id, "PTS", strconv.Itoa(len(s.calPts)))
	case "CALIBRATE_RESET":
		if set {
			s.calPts = append(s.calPts[:0], defaultCalPoints...)
		}
		s.ack(id, "PTS", strconv.Itoa(len(s.calPts)))
	case "CALIBRATE_ADDPOINT":
		if set {
			x, okx := msg.Float("X")
			y, oky := msg.Float("Y")
			if !okx || !oky || !(x >= 0 && x <= 1) || !(y >= 0 && y <= 1) || len(s.calPts) >= 64 {
				s.nack(id)
				return
			}
			s.calPts = append(s.calPts, point{x, y})
		}
		attrs := []string{"PTS", strconv.Itoa(len(s.calPts))}
		for i, p := range s.calPts {
			n := strconv.Itoa(i + 1)
			attrs = append(attrs, "X"+n, f5(p.x), "Y"+n, f5(p.y))
		}
		s.ack(id, attrs...)
	default:
		s.nack(id)
	}
}

// enable handles ENABLE_SEND_* for one field group.
func (s *session) enable(id string, g group, msg opengaze.Message, set bool) {
	if set {
		on, ok := state(msg)
		if !ok {
			s.nack(id)
			return
		}
		s.enabled[g] = on
	}
	s.ack(id, "STATE", b01(s.enabled[g]))
}

// readOnly answers a read-only variable: a SET is refused.
func (s *session) readOnly(id string, set bool, attrs ...string) {
	if set {
		s.nack(id)
		return
	}
	s.ack(id, attrs...)
}

// state reads a boolean STATE="0"/"1".
func state(msg opengaze.Message) (on, ok bool) {
	v, ok := msg.Get("STATE")
	switch strings.TrimSpace(v) {
	case "1":
		return true, ok
	case "0":
		return false, ok
	}
	return false, false
}

// marker reads the station's sync markers: "SCREEN <n> <dicom_id> HOST=<ns>" says which case
// is now on screen; "TARGET <n> X=<x> Y=<y> HOST=<ns>" that a validation target is shown at
// (x, y). Anything else ("SPACE HOST=<ns>", ...) leaves the reader as it is.
func (s *session) marker(v string) {
	f := strings.Fields(v)
	switch {
	case len(f) >= 3 && f[0] == "SCREEN":
		s.m.setScreen(f[2])
	case len(f) >= 4 && f[0] == "TARGET":
		x, errX := strconv.ParseFloat(strings.TrimPrefix(f[2], "X="), 64)
		y, errY := strconv.ParseFloat(strings.TrimPrefix(f[3], "Y="), 64)
		if errX == nil && errY == nil && x >= 0 && x <= 1 && y >= 0 && y <= 1 {
			s.m.setStimulus(point{x, y})
		}
	}
}

// stream writes the records due at now while sending.
func (s *session) stream(now time.Time) {
	if !s.sending {
		return
	}
	due := s.paceBase + int64(math.Floor(now.Sub(s.paceStart).Seconds()*s.st.rate*s.st.speed))
	for n := 0; s.m.cnt < due && n < maxBatch; n++ {
		s.record()
	}
}

// record writes the next record.
func (s *session) record() {
	r := s.m.next()
	user := s.user
	if s.userLeft > 0 {
		s.userLeft--
		if s.userLeft == 0 {
			s.user = "" // a one-time entry: the next records carry no user data
		}
	}
	s.out = appendREC(s.out, &r, &s.enabled, user)
}

// period is how often stream should be called.
func (s *session) period() time.Duration {
	return max(time.Millisecond, time.Duration(float64(time.Second)/(s.st.rate*s.st.speed)))
}

func (s *session) startCalibration(now time.Time) {
	pts := s.calPts
	if len(pts) == 0 {
		pts = defaultCalPoints
	}
	s.cal = &calRun{pts: append([]point(nil), pts...)}
	s.startPoint(now)
}

func (s *session) stopCalibration() {
	s.cal = nil
	s.m.setCalTarget(point{}, false)
}

// startPoint shows the current calibration point: its animation begins.
func (s *session) startPoint(now time.Time) {
	c := s.cal
	p := c.pts[c.i]
	s.send("CAL", "ID", "CALIB_START_PT", "PT", strconv.Itoa(c.i+1), "CALX", f4(p.x), "CALY", f4(p.y))
	s.m.setCalTarget(p, true)
	c.dwell, c.next = false, now.Add(s.delay)
}

// calDeadline is when the calibration next needs calStep, and whether it does.
func (s *session) calDeadline() (time.Time, bool) {
	if s.cal == nil {
		return time.Time{}, false
	}
	return s.cal.next, true
}

// calStep advances the calibration through every event due at now.
func (s *session) calStep(now time.Time) {
	for s.cal != nil && !now.Before(s.cal.next) {
		c := s.cal
		at := c.next
		if !c.dwell {
			c.dwell, c.next = true, at.Add(s.timeout)
			continue
		}
		p := c.pts[c.i]
		s.send("CAL", "ID", "CALIB_RESULT_PT", "PT", strconv.Itoa(c.i+1), "CALX", f4(p.x), "CALY", f4(p.y))
		c.est = append(c.est, s.estimate(p))
		c.i++
		if c.i < len(c.pts) {
			s.startPoint(at)
			continue
		}
		s.finishCalibration()
	}
}

// estimate is the device's point of gaze for each eye at calibration target p: the target,
// the systematic offset, each eye's small bias and a residual error of half the sample jitter.
func (s *session) estimate(p point) calEstimate {
	sx, sy := s.st.noiseX/2, s.st.noiseY/2
	o := s.st.calOffset
	return calEstimate{
		target: p,
		left:   point{p.x + o[0] - 0.002 + sx*s.calRng.NormFloat64(), p.y + o[1] + 0.001 + sy*s.calRng.NormFloat64()},
		right:  point{p.x + o[0] + 0.002 + sx*s.calRng.NormFloat64(), p.y + o[1] - 0.001 + sy*s.calRng.NormFloat64()},
	}
}

// finishCalibration sends CALIB_RESULT and keeps its summary: AVE_ERROR is the mean distance,
// in screen pixels, of both eyes' estimates from the targets.
func (s *session) finishCalibration() {
	c := s.cal
	attrs := []string{"ID", "CALIB_RESULT"}
	w, h := float64(s.screen[2]), float64(s.screen[3])
	var sum float64
	for i, e := range c.est {
		n := strconv.Itoa(i + 1)
		attrs = append(attrs,
			"CALX"+n, f5(e.target.x), "CALY"+n, f5(e.target.y),
			"LX"+n, f5(e.left.x), "LY"+n, f5(e.left.y), "LV"+n, "1",
			"RX"+n, f5(e.right.x), "RY"+n, f5(e.right.y), "RV"+n, "1")
		sum += math.Hypot((e.left.x-e.target.x)*w, (e.left.y-e.target.y)*h)
		sum += math.Hypot((e.right.x-e.target.x)*w, (e.right.y-e.target.y)*h)
	}
	s.send("CAL", attrs...)
	s.summary = calSummary{aveErrorPx: sum / float64(2*len(c.est)), valid: len(c.est)}
	s.stopCalibration()
}
