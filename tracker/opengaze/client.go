package opengaze

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sightline/tracker"
)

// DefaultAddr is where Gazepoint Control listens unless told otherwise.
const DefaultAddr = "127.0.0.1:4242"

const (
	defaultHandshakeTimeout = 5 * time.Second
	defaultIdleTimeout      = 5 * time.Second
	writeTimeout            = 2 * time.Second
)

var (
	// ErrNotConnected is returned by Mark and Calibrate when no connection is up (Stream is not
	// running, or is between connections).
	ErrNotConnected = errors.New("opengaze: not connected")
	// ErrRefused wraps a NACK (or NAC): the device refused a command; the error names its ID.
	ErrRefused = errors.New("refused by the device")
	// ErrProtocol wraps a reply the client cannot use, such as a tick frequency that is not a
	// number.
	ErrProtocol = errors.New("protocol violation")
	// ErrConnectionLost is returned by Calibrate when the connection drops during it.
	ErrConnectionLost = errors.New("opengaze: connection lost")
)

// BackoffPolicy paces reconnection: Initial, doubling after every failed attempt up to Max.
type BackoffPolicy struct {
	Initial time.Duration // first delay; 0 means 100 ms
	Max     time.Duration // longest delay; 0 means 2 s
	// MaxAttempts, when positive, makes Stream give up (returning the last error) after that
	// many consecutive attempts failed to connect; 0 retries until the context is done.
	MaxAttempts int
}

// Delay is the wait before the next attempt after n consecutive failures (n ≥ 1).
func (p BackoffPolicy) Delay(n int) time.Duration {
	d, max := p.Initial, p.Max
	if d <= 0 {
		d = 100 * time.Millisecond
	}
	if max <= 0 {
		max = 2 * time.Second
	}
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Config says where the tracker is and how to talk to it. The zero value connects to
// DefaultAddr with the default policies.
type Config struct {
	Addr string // host:port; DefaultAddr when empty
	// Clock is the host monotonic time since the session's clock origin; it stamps
	// Sample.Host when a record arrives. nil means time since New.
	Clock func() time.Duration
	// Dial opens the connection; nil means a net.Dialer. Tests inject net.Pipe here.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// OnStatus hears every change of the connection's state, on the goroutine running Stream;
	// it must return quickly. May be nil.
	OnStatus func(Status)
	Backoff  BackoffPolicy
	// HandshakeTimeout bounds connecting and the whole handshake; 0 means 5 s.
	HandshakeTimeout time.Duration
	// IdleTimeout is how long a streaming connection may stay silent before it is taken for
	// lost (a tracker streams records even when it sees no eyes); 0 means 5 s, negative never.
	// It is suspended while a calibration runs.
	IdleTimeout time.Duration
}

// DeviceInfo is what the tracker said about itself during the last handshake.
type DeviceInfo struct {
	Product string  // PRODUCT_ID VALUE: "GP3", "GP3HD", ...
	Bus     string  // PRODUCT_ID BUS, when sent
	Rate    float64 // Hz: PRODUCT_ID RATE, or 60/150 from the product when RATE is missing
	// TickFreq is TIME_TICK_FREQUENCY FREQ: TIME_TICK units per second. TickFreqRaw is FREQ as
	// sent; the two differ when the device sent the bits of a float64 (see parseTickFreq).
	TickFreq    int64
	TickFreqRaw string
	Screen      Screen // SCREEN_SIZE, updated by UPDATE messages
}

// Screen is the screen the tracker maps gaze onto, in desktop pixels.
type Screen struct{ X, Y, Width, Height int }

// State is where a Stream's connection stands.
type State int

// The states OnStatus reports, in the order a connection goes through them.
const (
	StateConnecting   State = iota + 1 // dialling and handshaking (Attempt counts the tries)
	StateConnected                     // handshake done, records flowing (Info is set)
	StateWarning                       // still connected, but Err says what the operator should know
	StateLost                          // the connection dropped (Err says why)
	StateReconnecting                  // waiting Retry before the next attempt (Err: the last failure)
	StateStopped                       // Stream returned because its context ended
	StateFailed                        // Stream returned Err: retrying cannot help
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateWarning:
		return "warning"
	case StateLost:
		return "lost"
	case StateReconnecting:
		return "reconnecting"
	case StateStopped:
		return "stopped"
	case StateFailed:
		return "failed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Status is one change of the connection's state, for the operator.
type Status struct {
	State   State
	Addr    string
	Attempt int           // Connecting, Reconnecting: 1 for the first try after a success or at the start
	Retry   time.Duration // Reconnecting: the wait before the next attempt
	Info    DeviceInfo    // Connected
	Err     error
}

func (s Status) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", s.State, s.Addr)
	switch s.State {
	case StateConnecting:
		fmt.Fprintf(&b, " (attempt %d)", s.Attempt)
	case StateConnected:
		fmt.Fprintf(&b, " (%s)", s.Info.name())
	case StateReconnecting:
		fmt.Fprintf(&b, " in %v (attempt %d)", s.Retry, s.Attempt)
	}
	if s.Err != nil {
		fmt.Fprintf(&b, ": %v", s.Err)
	}
	return b.String()
}

func (d DeviceInfo) name() string {
	if d.Product == "" {
		return "Gazepoint"
	}
	return fmt.Sprintf("%s %g Hz", d.Product, d.Rate)
}

// Client is a Gazepoint tracker reached over the Open Gaze API. It is a tracker.Tracker: Stream
// connects, handshakes, turns records into Samples and reconnects when the connection drops;
// Mark and Calibrate work while Stream runs, from any goroutine.
type Client struct {
	cfg Config

	streaming   atomic.Bool
	calibrating atomic.Bool
	lost        atomic.Int64
	malformed   atomic.Int64

	mu   sync.Mutex // guards sess and info
	sess *session   // the connection, once its handshake is done; nil otherwise
	info DeviceInfo
}

var _ tracker.Tracker = (*Client)(nil)

// New makes a client; nothing happens on the network until Stream.
func New(cfg Config) *Client {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Clock == nil {
		t0 := time.Now()
		cfg.Clock = func() time.Duration { return time.Since(t0) }
	}
	if cfg.Dial == nil {
		var d net.Dialer
		cfg.Dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = defaultHandshakeTimeout
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = defaultIdleTimeout
	}
	return &Client{cfg: cfg}
}

// Name says which tracker this is, e.g. "GP3 60 Hz", once a handshake told it; "Gazepoint" before.
func (c *Client) Name() string { return c.Info().name() }

// Rate is the tracker's nominal rate in Hz from the last handshake; 0 before the first one.
func (c *Client) Rate() float64 { return c.Info().Rate }

// Info is what the last handshake learnt about the tracker (zero before the first).
func (c *Client) Info() DeviceInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.info
}

// Lost is the number of records the current (or last) Stream missed, from CNT gaps.
func (c *Client) Lost() int64 { return c.lost.Load() }

// Malformed is the number of lines the current (or last) Stream skipped because they did not
// parse.
func (c *Client) Malformed() int64 { return c.malformed.Load() }

func (c *Client) report(s Status) {
	if c.cfg.OnStatus != nil {
		s.Addr = c.cfg.Addr
		c.cfg.OnStatus(s)
	}
}

// permanent marks an error that retrying cannot cure (the device refused a setting).
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Stream connects, handshakes and emits a Sample for every record, on the calling goroutine,
// until ctx is done (then it returns nil, the connection closed and no goroutine left). When the
// connection drops or cannot be made it retries with c's backoff, handshaking again each time;
// the first Sample after a reconnection has Resumed set, and its Lost counts the records missed
// meanwhile when the device's CNT ran on. It returns an error only when retrying cannot help:
// the device refused a setting (ErrRefused), replied nonsense (ErrProtocol), or
// Backoff.MaxAttempts ran out. Only one Stream may run at a time.
func (c *Client) Stream(ctx context.Context, emit func(tracker.Sample)) error {
	if !c.streaming.CompareAndSwap(false, true) {
		return errors.New("opengaze: stream: already streaming")
	}
	defer c.streaming.Store(false)
	c.lost.Store(0)
	c.malformed.Store(0)

	var st streamState
	// attempt counts the tries since the last connection was up (or the start), waits the
	// pauses between them: a lost connection is retried after Backoff.Delay(1).
	attempt, waits, everUp := 0, 0, false
	for {
		attempt++
		c.report(Status{State: StateConnecting, Attempt: attempt})
		up, err := c.connection(ctx, &st, emit, everUp)
		if ctx.Err() != nil {
			c.report(Status{State: StateStopped})
			return nil
		}
		if p := (permanent{}); errors.As(err, &p) {
			c.report(Status{State: StateFailed, Err: p.err})
			return p.err
		}
		if up {
			everUp, attempt, waits = true, 0, 0
			c.report(Status{State: StateLost, Err: err})
		} else if max := c.cfg.Backoff.MaxAttempts; max > 0 && attempt >= max {
			err = fmt.Errorf("opengaze: gave up after %d attempts: %w", attempt, err)
			c.report(Status{State: StateFailed, Err: err})
			return err
		}
		waits++
		delay := c.cfg.Backoff.Delay(waits)
		c.report(Status{State: StateReconnecting, Attempt: attempt + 1, Retry: delay, Err: err})
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			c.report(Status{State: StateStopped})
			return nil
		case <-t.C:
		}
	}
}

// connection runs one connection from dial to drop. up says the handshake succeeded.
func (c *Client) connection(ctx context.Context, st *streamState, emit func(tracker.Sample), resumed bool) (up bool, err error) {
	dialCtx, cancel := context.WithTimeout(ctx, c.cfg.HandshakeTimeout)
	conn, err := c.cfg.Dial(dialCtx, c.cfg.Addr)
	cancel()
	if err != nil {
		return false, fmt.Errorf("opengaze: dial %s: %w", c.cfg.Addr, err)
	}
	// Cancelling ctx closes the connection, which unblocks the read below.
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		conn.Close()
		close(closed)
	})
	defer func() {
		if !stop() {
			<-closed
		}
	}()
	defer conn.Close()

	sess := &session{conn: conn, done: make(chan struct{})}
	sc := NewScanner(deadlineReader{sess})
	info, err := c.handshake(sess, sc)
	if err != nil {
		err = fmt.Errorf("opengaze: handshake with %s: %w", c.cfg.Addr, err)
		if errors.Is(err, ErrRefused) || errors.Is(err, ErrProtocol) {
			return false, permanent{err}
		}
		return false, err
	}

	c.mu.Lock()
	c.sess, c.info = sess, info
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.sess = nil
		c.mu.Unlock()
		close(sess.done)
	}()
	c.report(Status{State: StateConnected, Info: info})

	if err := sess.setIdle(c.cfg.IdleTimeout); err != nil {
		return true, fmt.Errorf("opengaze: connection to %s: %w", c.cfg.Addr, err)
	}
	st.resumed = resumed
	st.warned = false
	err = c.serve(sess, sc, st, info.TickFreq, emit)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("no data for %v: %w", c.cfg.IdleTimeout, err)
	}
	return true, fmt.Errorf("opengaze: connection to %s: %w", c.cfg.Addr, err)
}

// serve reads the connection until it fails: records become Samples, everything else goes to
// whoever waits for it.
func (c *Client) serve(sess *session, sc *Scanner, st *streamState, tickFreq int64, emit func(tracker.Sample)) error {
	for {
		line, err := sc.Next()
		if err != nil {
			return err
		}
		if isREC(line) {
			s := tracker.Sample{Host: c.cfg.Clock(), TickFreq: tickFreq}
			seen, err := decodeRecord(line, &s)
			if err != nil {
				c.badLine(st, err)
				continue
			}
			st.complete(&s, seen)
			if s.Lost > 0 {
				c.lost.Add(s.Lost)
			}
			emit(s)
			continue
		}
		if len(trimSpace(line)) == 0 {
			continue
		}
		m, err := Parse(line)
		if err != nil {
			c.badLine(st, err)
			continue
		}
		c.dispatch(sess, m)
	}
}

// badLine counts a line that did not parse, and tells the operator about the first of each
// connection (a device that garbles everything must not flood the status).
func (c *Client) badLine(st *streamState, err error) {
	c.malformed.Add(1)
	if !st.warned {
		st.warned = true
		c.report(Status{State: StateWarning, Err: fmt.Errorf("opengaze: skipped a malformed line: %w", err)})
	}
}

// dispatch hands a message that is not a record to whoever waits for it.
func (c *Client) dispatch(sess *session, m Message) {
	if m.Tag == "UPDATE" { // the active tracker changed: so did the screen
		c.mu.Lock()
		c.info.Screen = screenOf(m, c.info.Screen)
		c.mu.Unlock()
		return
	}
	if sess.route(m) {
		return
	}
	if isNACK(m) {
		c.report(Status{State: StateWarning, Err: fmt.Errorf("opengaze: %s: %w", msgID(m), ErrRefused)})
	}
}

func isNACK(m Message) bool { return m.Tag == "NACK" || m.Tag == "NAC" }

// msgID is the ID attribute without the stray spaces of the vendor's examples (ID=" CALIB_START_PT").
func msgID(m Message) string {
	id, _ := m.Get("ID")
	return strings.TrimSpace(id)
}

func screenOf(m Message, s Screen) Screen {
	get := func(name string, v *int) {
		if x, ok := m.Int(name); ok && x >= math.MinInt32 && x <= math.MaxInt32 {
			*v = int(x)
		}
	}
	get("X", &s.X)
	get("Y", &s.Y)
	get("WIDTH", &s.Width)
	get("HEIGHT", &s.Height)
	return s
}

// enableIDs are the record fields the station asks for (docs/FORMATS.md §4), in that order.
var enableIDs = []string{
	"ENABLE_SEND_COUNTER", "ENABLE_SEND_TIME", "ENABLE_SEND_TIME_TICK", "ENABLE_SEND_POG_FIX",
	"ENABLE_SEND_POG_LEFT", "ENABLE_SEND_POG_RIGHT", "ENABLE_SEND_POG_BEST", "ENABLE_SEND_PUPIL_LEFT",
	"ENABLE_SEND_PUPIL_RIGHT", "ENABLE_SEND_EYE_LEFT", "ENABLE_SEND_EYE_RIGHT", "ENABLE_SEND_CURSOR",
	"ENABLE_SEND_BLINK", "ENABLE_SEND_PUPILMM", "ENABLE_SEND_USER_DATA",
}

// queryIDs are what the handshake asks about the device.
var queryIDs = []string{"TIME_TICK_FREQUENCY", "SCREEN_SIZE", "PRODUCT_ID"}

func setMsg(id string, attrs ...Attr) Message {
	return Message{Tag: "SET", Attrs: append([]Attr{{"ID", id}}, attrs...)}
}

func getMsg(id string) Message { return Message{Tag: "GET", Attrs: []Attr{{"ID", id}}} }

// handshake enables the fields, asks about the device, then starts the data. The commands go
// out together and their replies are matched by ID, so duplicated and reordered ACKs do no
// harm. It runs on the reading goroutine, before anyone else may use the session.
func (c *Client) handshake(sess *session, sc *Scanner) (DeviceInfo, error) {
	deadline := time.Now().Add(c.cfg.HandshakeTimeout)
	if err := sess.conn.SetReadDeadline(deadline); err != nil {
		return DeviceInfo{}, err
	}
	var buf []byte
	for _, id := range enableIDs {
		buf = AppendMessage(buf, setMsg(id, Attr{"STATE", "1"}))
	}
	for _, id := range queryIDs {
		buf = AppendMessage(buf, getMsg(id))
	}
	if err := sess.write(buf, deadline); err != nil {
		return DeviceInfo{}, fmt.Errorf("sending the settings: %w", err)
	}
	replies, err := c.awaitACKs(sc, append(enableIDs[:len(enableIDs):len(enableIDs)], queryIDs...))
	if err != nil {
		return DeviceInfo{}, err
	}
	info, err := deviceInfo(replies)
	if err != nil {
		return DeviceInfo{}, err
	}
	start := AppendMessage(nil, setMsg("ENABLE_SEND_DATA", Attr{"STATE", "1"}))
	if err := sess.write(start, deadline); err != nil {
		return DeviceInfo{}, fmt.Errorf("starting the data: %w", err)
	}
	if _, err := c.awaitACKs(sc, []string{"ENABLE_SEND_DATA"}); err != nil {
		return DeviceInfo{}, err
	}
	return info, nil
}

// awaitACKs reads until every id has its ACK, returning them by ID. A NACK for any of them is
// an error naming it; records and unrelated messages that arrive meanwhile are skipped.
func (c *Client) awaitACKs(sc *Scanner, ids []string) (map[string]Message, error) {
	pending := make(map[string]bool, len(ids))
	for _, id := range ids {
		pending[id] = true
	}
	got := make(map[string]Message, len(ids))
	for len(pending) > 0 {
		line, err := sc.Next()
		if err != nil {
			first := ""
			for i := len(ids) - 1; i >= 0; i-- { // name the first one still missing, in sending order
				if pending[ids[i]] {
					first = ids[i]
				}
			}
			return nil, fmt.Errorf("waiting for the ACK of %s (%d unanswered): %w", first, len(pending), err)
		}
		if isREC(line) || len(trimSpace(line)) == 0 {
			continue
		}
		m, err := Parse(line)
		if err != nil {
			c.malformed.Add(1)
			continue
		}
		id := msgID(m)
		_, ours := pending[id]
		if _, done := got[id]; !ours && !done {
			continue
		}
		switch {
		case isNACK(m):
			return nil, fmt.Errorf("%s: %w (%s)", id, ErrRefused, m.Tag)
		case m.Tag != "ACK" || !ours:
			continue // a duplicate, or not a reply
		}
		if state, ok := m.Get("STATE"); ok && strings.HasPrefix(id, "ENABLE_SEND_") && strings.TrimSpace(state) != "1" {
			return nil, fmt.Errorf("%s acknowledged with STATE=%q: %w", id, state, ErrRefused)
		}
		got[id] = m
		delete(pending, id)
	}
	return got, nil
}

// deviceInfo reads the handshake's query replies.
func deviceInfo(replies map[string]Message) (DeviceInfo, error) {
	var d DeviceInfo
	freq := replies["TIME_TICK_FREQUENCY"]
	d.TickFreqRaw, _ = freq.Get("FREQ")
	var ok bool
	if d.TickFreq, ok = parseTickFreq(d.TickFreqRaw); !ok {
		return d, fmt.Errorf("TIME_TICK_FREQUENCY FREQ=%q is not a positive whole number: %w", d.TickFreqRaw, ErrProtocol)
	}
	d.Screen = screenOf(replies["SCREEN_SIZE"], Screen{})
	p := replies["PRODUCT_ID"]
	d.Product, _ = p.Get("VALUE")
	d.Product = strings.TrimSpace(d.Product)
	d.Bus, _ = p.Get("BUS")
	if d.Rate, ok = p.Float("RATE"); !ok || d.Rate <= 0 {
		switch strings.ToUpper(d.Product) {
		case "GP3":
			d.Rate = 60
		case "GP3HD", "GP3 HD":
			d.Rate = 150
		default:
			d.Rate = 0
		}
	}
	return d, nil
}

// parseTickFreq reads FREQ. The vendor's own example reply, FREQ="4704405731611246592", is
// the bit pattern of the float64 3330093.0 printed as an integer; an integer too large to be a
// clock rate whose bits read as a plausible whole float64 is taken for that.
func parseTickFreq(raw string) (int64, bool) {
	const plausible = 1e12 // Hz; clock counters run at MHz to GHz
	if v, ok := parseInt(raw); ok {
		if v <= 0 {
			return 0, false
		}
		if v > plausible {
			if f := math.Float64frombits(uint64(v)); f >= 1 && f <= plausible && f == math.Trunc(f) {
				return int64(f), true
			}
		}
		return v, true
	}
	if f, ok := parseFloat(raw); ok && f >= 1 && f < 1<<62 && f == math.Trunc(f) {
		return int64(f), true
	}
	return 0, false
}

// Mark sends the sync marker label as USER_DATA for one record (DUR="1"); it appears in the
// User field of a following Sample. It does not wait for the ACK (a refusal is reported
// through OnStatus), so it is cheap to call from any goroutine while Stream runs; without a
// connection it returns ErrNotConnected.
func (c *Client) Mark(label string) error {
	if label == "" {
		return errors.New("opengaze: mark: empty label")
	}
	sess := c.session()
	if sess == nil {
		return fmt.Errorf("opengaze: mark %q: %w", label, ErrNotConnected)
	}
	msg := setMsg("USER_DATA", Attr{"VALUE", label}, Attr{"DUR", "1"})
	if err := sess.send(msg); err != nil {
		return fmt.Errorf("opengaze: mark %q: %w", label, err)
	}
	return nil
}

func (c *Client) session() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// session is one live connection, shared by the reading goroutine (Stream's) and the goroutines
// that send commands and wait for replies (Mark, Calibrate).
type session struct {
	conn net.Conn
	wmu  sync.Mutex    // one writer at a time
	done chan struct{} // closed when the connection is over

	mu   sync.Mutex
	subs []*subscription

	dmu         sync.Mutex // guards the read deadline's inputs
	idle        time.Duration
	calibrating bool
}

// subscription receives the messages that match, until unsubscribed. A subscriber that falls
// 256 messages behind loses the newest.
type subscription struct {
	match func(Message) bool
	ch    chan Message
}

func (s *session) write(b []byte, deadline time.Time) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	_, err := s.conn.Write(b)
	return err
}

func (s *session) send(m Message) error {
	return s.write(AppendMessage(nil, m), time.Now().Add(writeTimeout))
}

func (s *session) subscribe(match func(Message) bool) *subscription {
	sub := &subscription{match: match, ch: make(chan Message, 256)}
	s.mu.Lock()
	s.subs = append(s.subs, sub)
	s.mu.Unlock()
	return sub
}

func (s *session) unsubscribe(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.subs {
		if x == sub {
			s.subs = append(s.subs[:i], s.subs[i+1:]...)
			return
		}
	}
}

// route delivers m to every matching subscriber without blocking, and says whether there was one.
func (s *session) route(m Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	any := false
	for _, sub := range s.subs {
		if sub.match(m) {
			any = true
			select {
			case sub.ch <- m:
			default:
			}
		}
	}
	return any
}

// deadlineReader reads the session's connection, renewing the idle deadline before every read.
type deadlineReader struct{ s *session }

func (r deadlineReader) Read(p []byte) (int, error) {
	// A connection that cannot take a deadline is closed or closing (net.Pipe refuses one once
	// the far end is gone): the read says which, with the right error.
	_ = r.s.renewDeadline()
	return r.s.conn.Read(p)
}

// setIdle starts the idle deadline once the stream runs (idle ≤ 0: none), so that a silent
// tracker counts as lost. Until then the handshake keeps its own deadline.
func (s *session) setIdle(idle time.Duration) error {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.idle = idle
	if idle <= 0 {
		return s.conn.SetReadDeadline(time.Time{})
	}
	return s.renewLocked()
}

// setCalibrating suspends the idle deadline during a calibration, which may pause the records,
// and restores it after; a read already waiting is affected too.
func (s *session) setCalibrating(on bool) {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.calibrating = on
	_ = s.renewLocked() // a failure here shows up on the next read
}

func (s *session) renewDeadline() error {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return s.renewLocked()
}

func (s *session) renewLocked() error {
	if s.idle <= 0 {
		return nil
	}
	var d time.Time
	if !s.calibrating {
		d = time.Now().Add(s.idle)
	}
	return s.conn.SetReadDeadline(d)
}

// streamState follows a stream across records and reconnections: the CNT for gaps, the
// fixations for the saccade fields.
type streamState struct {
	cnt     int64
	haveCNT bool

	fixID        int64   // the current fixation's FPOGID
	fixX, fixY   float64 // its centroid as last reported
	haveFix      bool
	prevX, prevY float64 // the previous fixation's last centroid
	havePrev     bool

	resumed bool // the next Sample is the first after a reconnection
	warned  bool // a malformed line was reported on this connection
}

// complete fills the fields a record does not carry: Lost, Resumed and the saccade from the
// previous fixation to this one (zero until there is a previous one).
func (st *streamState) complete(s *tracker.Sample, seen uint64) {
	if seen&(1<<fCNT) != 0 {
		// A CNT that goes back is a restarted device, not a gap.
		if st.haveCNT && s.CNT > st.cnt+1 {
			s.Lost = s.CNT - st.cnt - 1
		}
		st.cnt, st.haveCNT = s.CNT, true
	}
	if seen&(1<<fFPOGID) != 0 {
		if st.haveFix && s.FPOGID != st.fixID {
			st.prevX, st.prevY, st.havePrev = st.fixX, st.fixY, true
		}
		st.fixID, st.fixX, st.fixY, st.haveFix = s.FPOGID, s.FPOGX, s.FPOGY, true
		if st.havePrev {
			s.SaccadeMag, s.SaccadeDir = tracker.SaccadeVector(st.prevX, st.prevY, s.FPOGX, s.FPOGY)
		}
	}
	s.Resumed, st.resumed = st.resumed, false
}
