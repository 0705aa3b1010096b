package tracker

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMouseRate is the mouse tracker's rate when none is given: a GP3's.
const DefaultMouseRate = 60

// maxMouseRate bounds the ticker period away from zero.
const maxMouseRate = 10000

// mouseTickFreq is the declared frequency of the mouse's TimeTick, a Gazepoint's.
const mouseTickFreq = 10_000_000

// Mouse is a Tracker that takes the mouse pointer for the gaze, for demos, tests and sessions
// without an eye tracker. It fills every field of the Sample model the way a Gazepoint GP3
// would: binocular points of gaze slightly apart around the pointer, a fixation record computed
// with the online I-DT of DefaultIDT, plausible pupils (about 3.5 mm, varying slowly), no blinks.
// A pointer off the stage reads as track loss: every validity flag false.
type Mouse struct {
	rate   float64
	clock  func() time.Duration
	params IDTParams

	mu     sync.Mutex // guards the pointer and the pending marks
	fx, fy float64
	inside bool
	marks  []string

	streaming atomic.Bool
	missed    atomic.Int64

	// Stream state, owned by the goroutine running Stream (or by a test calling next).
	started bool
	origin  time.Duration
	cnt     int64
	idt     *IDT
	prev    Fixation
	hasPrev bool
}

// NewMouse makes a mouse tracker sampling at rate Hz (DefaultMouseRate if rate is not
// positive; at most 10 kHz). clock is the host monotonic time since the session's clock
// origin; nil means time since NewMouse.
func NewMouse(rate float64, clock func() time.Duration) *Mouse {
	if !(rate > 0) || math.IsInf(rate, 0) {
		rate = DefaultMouseRate
	}
	rate = math.Min(rate, maxMouseRate)
	if clock == nil {
		t0 := time.Now()
		clock = func() time.Duration { return time.Since(t0) }
	}
	return &Mouse{rate: rate, clock: clock, params: DefaultIDT()}
}

// Name is "mouse".
func (m *Mouse) Name() string { return "mouse" }

// Rate is the nominal sampling rate in Hz.
func (m *Mouse) Rate() float64 { return m.rate }

// FixationFilter are the parameters of the I-DT behind the FPOG fields, for the session record.
func (m *Mouse) FixationFilter() IDTParams { return m.params }

// SetPointer moves the pointer to (fx, fy) in stage fractions. inside is false when the pointer
// is off the stage; samples are then invalid, as on track loss. Safe for concurrent use.
func (m *Mouse) SetPointer(fx, fy float64, inside bool) {
	if math.IsNaN(fx) || math.IsNaN(fy) || math.IsInf(fx, 0) || math.IsInf(fy, 0) {
		fx, fy, inside = 0, 0, false
	}
	m.mu.Lock()
	m.fx, m.fy, m.inside = fx, fy, inside
	m.mu.Unlock()
}

// Mark puts label into the User field of the next sample. Marks made between two samples are
// queued and appear on consecutive samples, one each, so none is lost or merged. Safe for
// concurrent use.
func (m *Mouse) Mark(label string) error {
	if label == "" {
		return errors.New("tracker: mouse mark: empty label")
	}
	m.mu.Lock()
	m.marks = append(m.marks, label)
	m.mu.Unlock()
	return nil
}

// Missed is how many ticks the last Stream could not honour because a sample was emitted late
// (a slow emit or a busy host). CNT has no gaps; the missed time shows in Time and Host.
func (m *Mouse) Missed() int64 { return m.missed.Load() }

// Stream emits a sample at every tick of the rate until ctx is done, then returns nil. Each
// Stream restarts CNT at 0 and Time at 0 (as a Gazepoint does per media item) and the fixation
// record; TimeTick follows the host clock and never restarts. Only one Stream may run at a time.
func (m *Mouse) Stream(ctx context.Context, emit func(Sample)) error {
	if !m.streaming.CompareAndSwap(false, true) {
		return errors.New("tracker: mouse stream: already streaming")
	}
	defer m.streaming.Store(false)

	period := time.Duration(float64(time.Second) / m.rate)
	m.missed.Store(0)
	m.begin(m.clock())
	tick := time.NewTicker(period)
	defer tick.Stop()
	prev := m.origin
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if ctx.Err() != nil { // both were ready: cancellation wins
			return nil
		}
		host := m.clock()
		// The ticker drops ticks a slow receiver missed; count them rather than hide them.
		if gap := host - prev; gap > period*3/2 {
			m.missed.Add(int64((gap+period/2)/period) - 1)
		}
		prev = host
		emit(m.next(host))
	}
}

// begin starts a stream at host time origin.
func (m *Mouse) begin(origin time.Duration) {
	m.started = true
	m.origin = origin
	m.cnt = 0
	m.idt = NewIDT(m.params)
	m.prev, m.hasPrev = Fixation{}, false
}

// next builds the sample taken at host time host from the pointer's current state. It is
// deterministic given the pointer, the marks and the sequence of host times, and starts a
// stream at host if none was begun.
func (m *Mouse) next(host time.Duration) Sample {
	if !m.started {
		m.begin(host)
	}
	m.mu.Lock()
	fx, fy, inside := m.fx, m.fy, m.inside
	var user string
	if len(m.marks) > 0 {
		user = m.marks[0]
		m.marks[0] = ""
		m.marks = m.marks[1:]
	}
	m.mu.Unlock()

	t := (host - m.origin).Seconds()
	s := Sample{
		Host:     host,
		CNT:      m.cnt,
		Time:     t,
		TimeTick: int64(host / (time.Second / mouseTickFreq)),
		TickFreq: mouseTickFreq,
		CX:       fx, CY: fy,
		User: user,
	}
	m.cnt++
	if inside {
		fillEyes(&s, fx, fy)
	}

	if done := m.idt.Push(s); len(done) > 0 {
		m.prev, m.hasPrev = done[len(done)-1], true
	}
	if f, ok := m.idt.Current(); ok {
		s.FPOGX, s.FPOGY = f.X, f.Y
		s.FPOGS, s.FPOGD = f.Start, f.Duration
		s.FPOGID = f.ID
		s.FPOGV = s.BPOGV // a fixation bridging a short gap is not valid on the gap's samples
		if m.hasPrev {
			s.SaccadeMag, s.SaccadeDir = SaccadeVector(m.prev.X, m.prev.Y, f.X, f.Y)
		}
	} else {
		// No fixation yet: the record of the one to come, starting here, not valid.
		s.FPOGX, s.FPOGY = s.BPOGX, s.BPOGY
		s.FPOGS = t
		s.FPOGID = m.idt.NextID()
	}
	return s
}

// fillEyes fills the eye fields of a valid sample with gaze at (fx, fy). The values are shaped
// like a GP3's (see the published EGD-CXR rows): eyes a little apart, pupil centres near the
// camera image's middle moving slightly with the gaze, pupils about 3.5 mm breathing slowly.
func fillEyes(s *Sample, fx, fy float64) {
	s.BPOGX, s.BPOGY, s.BPOGV = fx, fy, true
	s.LPOGX, s.LPOGY, s.LPOGV = fx-0.004, fy+0.002, true
	s.RPOGX, s.RPOGY, s.RPOGV = fx+0.004, fy-0.002, true

	const pxPerMM = 5.2 // camera pixels per mm of pupil at the usual head distance
	mm := 3.5 + 0.12*math.Sin(2*math.Pi*s.Time/17) + 0.04*math.Sin(2*math.Pi*s.Time/5.3)
	s.LPMM, s.LPMMV = mm, true
	s.RPMM, s.RPMMV = mm+0.06, true

	s.LPCX, s.LPCY = 0.378-0.01*(fx-0.5), 0.594+0.01*(fy-0.5)
	s.LPD, s.LPS, s.LPV = s.LPMM*pxPerMM, 1.05, true
	s.RPCX, s.RPCY = 0.637-0.01*(fx-0.5), 0.598+0.01*(fy-0.5)
	s.RPD, s.RPS, s.RPV = s.RPMM*pxPerMM, 1.06, true
}
