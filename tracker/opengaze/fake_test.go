package opengaze

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sightline/tracker"
)

// A scripted stand-in for Gazepoint Control, one connection at a time, over real loopback TCP
// or net.Pipe. Handlers run on the server's goroutine and report through t.Error.

// fakeConn is the server's end of one connection.
type fakeConn struct {
	conn net.Conn
	sc   *Scanner
	wmu  sync.Mutex
}

func newFakeConn(c net.Conn) *fakeConn { return &fakeConn{conn: c, sc: NewScanner(c)} }

// read returns the next command, parsed, and its exact wire form.
func (f *fakeConn) read() (Message, string, error) {
	line, err := f.sc.Next()
	if err != nil {
		return Message{}, "", err
	}
	m, err := Parse(line)
	return m, string(line), err
}

// send writes the lines, each CR LF ended, in one write.
func (f *fakeConn) send(lines ...string) error {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	f.wmu.Lock()
	defer f.wmu.Unlock()
	_, err := f.conn.Write([]byte(b.String()))
	return err
}

// drain reads until the client hangs up.
func (f *fakeConn) drain() {
	for {
		if _, err := f.sc.Next(); err != nil {
			return
		}
	}
}

type handshakeOpts struct {
	reorder   bool     // answer in reverse order
	duplicate bool     // every reply twice
	before    []string // sent before the first reply
	refuse    string   // this ID gets refuseTag instead of an ACK
	refuseTag string
	ackState  string        // STATE of the ENABLE_SEND ACKs; "1" if empty
	freq      string        // TIME_TICK_FREQUENCY FREQ; "10000000" if empty
	product   string        // PRODUCT_ID's attributes after ID; GP3 at 60 Hz if empty
	silent    bool          // read the commands, answer nothing
	heard     chan struct{} // silent: closed once every command has been read
}

// handshake plays the device's side of Client.handshake, checking the commands' exact form.
// It returns errRefusedByFake after refusing, and nil when the data was started.
func (f *fakeConn) handshake(o handshakeOpts) error {
	var want []string
	for _, id := range enableIDs {
		want = append(want, `<SET ID="`+id+`" STATE="1" />`)
	}
	for _, id := range queryIDs {
		want = append(want, `<GET ID="`+id+`" />`)
	}
	var replies []string
	for _, w := range want {
		m, raw, err := f.read()
		if err != nil {
			return fmt.Errorf("reading the handshake: %w", err)
		}
		if raw != w {
			return fmt.Errorf("handshake command %q, want %q", raw, w)
		}
		id := msgID(m)
		var r string
		switch {
		case id == o.refuse:
			r = fmt.Sprintf(`<%s ID="%s" />`, o.refuseTag, id)
		case id == "TIME_TICK_FREQUENCY":
			r = fmt.Sprintf(`<ACK ID="TIME_TICK_FREQUENCY" FREQ="%s" />`, cmp(o.freq, "10000000"))
		case id == "SCREEN_SIZE":
			r = `<ACK ID="SCREEN_SIZE" X="0" Y="0" WIDTH="1920" HEIGHT="1080" />`
		case id == "PRODUCT_ID":
			r = `<ACK ID="PRODUCT_ID" ` + cmp(o.product, `VALUE="GP3" BUS="USB3" RATE="60"`) + ` />`
		default:
			r = fmt.Sprintf(`<ACK ID="%s" STATE="%s" />`, id, cmp(o.ackState, "1"))
		}
		replies = append(replies, r)
		if o.duplicate {
			replies = append(replies, r)
		}
	}
	if o.silent {
		if o.heard != nil {
			close(o.heard)
		}
		f.drain()
		return nil
	}
	if o.reorder {
		slices.Reverse(replies)
	}
	if err := f.send(append(slices.Clone(o.before), replies...)...); err != nil {
		return err
	}
	if o.refuse != "" || (o.ackState != "" && o.ackState != "1") || o.freq == "x" {
		f.drain()
		return errRefusedByFake
	}
	_, raw, err := f.read()
	if err != nil {
		return fmt.Errorf("waiting for ENABLE_SEND_DATA: %w", err)
	}
	if want := `<SET ID="ENABLE_SEND_DATA" STATE="1" />`; raw != want {
		return fmt.Errorf("got %q, want %q", raw, want)
	}
	ack := []string{`<ACK ID="ENABLE_SEND_DATA" STATE="1" />`}
	if o.duplicate {
		ack = append(ack, ack[0], replies[0]) // and a late duplicate from before
	}
	return f.send(ack...)
}

var errRefusedByFake = errors.New("fake refused the handshake")

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// recLine is a REC line for s, as a GP3 with every field enabled sends it.
func recLine(s tracker.Sample) string {
	return strings.TrimSuffix(string(AppendRecord(nil, s)), "\r\n")
}

// transport connects a Client to a fake server.
type transport struct {
	name  string
	setup func(t *testing.T) (cfg Config, accept func() (net.Conn, error))
}

var transports = []transport{
	{"tcp", func(t *testing.T) (Config, func() (net.Conn, error)) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		return Config{Addr: ln.Addr().String()}, ln.Accept
	}},
	{"pipe", func(t *testing.T) (Config, func() (net.Conn, error)) {
		conns := make(chan net.Conn)
		closed := make(chan struct{})
		t.Cleanup(func() { close(closed) })
		dial := func(ctx context.Context, addr string) (net.Conn, error) {
			client, server := net.Pipe()
			select {
			case conns <- server:
				return client, nil
			case <-ctx.Done():
			case <-closed:
			}
			client.Close()
			server.Close()
			return nil, fmt.Errorf("pipe dial %s: %w", addr, net.ErrClosed)
		}
		accept := func() (net.Conn, error) {
			select {
			case c := <-conns:
				return c, nil
			case <-closed:
				return nil, net.ErrClosed
			}
		}
		return Config{Addr: "pipe:4242", Dial: dial}, accept
	}},
}

// forTransports runs test over loopback TCP and over net.Pipe, checking that no goroutine is
// left behind.
func forTransports(t *testing.T, test func(t *testing.T, cfg Config, srv *fakeServer)) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			cfg, accept := tr.setup(t)
			srv := &fakeServer{t: t, accept: accept}
			test(t, cfg, srv)
			srv.wait()
			checkGoroutines(t, before)
		})
	}
}

// fakeServer serves connections one after the other, each with the next handler.
type fakeServer struct {
	t      *testing.T
	accept func() (net.Conn, error)
	done   chan struct{}
}

func (s *fakeServer) serve(handlers ...func(fc *fakeConn) error) {
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		for i, h := range handlers {
			conn, err := s.accept()
			if err != nil {
				s.t.Errorf("accepting connection %d: %v", i+1, err)
				return
			}
			if err := h(newFakeConn(conn)); err != nil && !errors.Is(err, errRefusedByFake) {
				s.t.Errorf("fake server, connection %d: %v", i+1, err)
			}
			conn.Close()
		}
	}()
}

// wait waits for the handlers to finish (a test that hangs here has a handler still
// waiting for the client).
func (s *fakeServer) wait() {
	if s.done != nil {
		<-s.done
	}
}

// checkGoroutines polls, without sleeping, until the goroutine count is back to before.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // a bound against hanging, not a speed test
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

// streamRun is a Client streaming on its own goroutine, watched by the test.
type streamRun struct {
	c       *Client
	samples chan tracker.Sample
	cancel  context.CancelFunc
	done    chan error

	mu       sync.Mutex
	statuses []Status
	changed  chan struct{}
	seen     int // statuses consumed by nextStatus
}

// testClock is a Clock that ticks one millisecond per reading.
func testClock() func() time.Duration {
	var n atomic.Int64
	return func() time.Duration { return time.Duration(n.Add(1)) * time.Millisecond }
}

func startStream(t *testing.T, cfg Config) *streamRun {
	t.Helper()
	r := &streamRun{samples: make(chan tracker.Sample, 10000), done: make(chan error, 1), changed: make(chan struct{}, 1)}
	if cfg.Clock == nil {
		cfg.Clock = testClock()
	}
	if cfg.Backoff.Initial == 0 {
		cfg.Backoff.Initial = time.Millisecond
	}
	cfg.OnStatus = func(s Status) {
		r.mu.Lock()
		r.statuses = append(r.statuses, s)
		r.mu.Unlock()
		select {
		case r.changed <- struct{}{}:
		default:
		}
	}
	r.c = New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.c.Stream(ctx, func(s tracker.Sample) { r.samples <- s }) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

const guard = 2 * time.Minute // how long a test waits for something before calling it hung (a loaded machine is slow)

func (r *streamRun) sample(t *testing.T) tracker.Sample {
	t.Helper()
	select {
	case s := <-r.samples:
		return s
	case err := <-r.done:
		r.done <- err
		t.Fatalf("stream ended waiting for a sample: %v", err)
	case <-time.After(guard):
		t.Fatal("no sample")
	}
	return tracker.Sample{}
}

// nextStatus returns the next status the stream reported.
func (r *streamRun) nextStatus(t *testing.T) Status {
	t.Helper()
	timeout := time.After(guard)
	for {
		r.mu.Lock()
		if r.seen < len(r.statuses) {
			s := r.statuses[r.seen]
			r.seen++
			r.mu.Unlock()
			return s
		}
		r.mu.Unlock()
		select {
		case <-r.changed:
		case <-timeout:
			t.Fatal("no status")
		}
	}
}

// waitState skips statuses until one in state st, returning it.
func (r *streamRun) waitState(t *testing.T, st State) Status {
	t.Helper()
	for {
		if s := r.nextStatus(t); s.State == st {
			return s
		}
	}
}

// expectStates checks the next statuses' states.
func (r *streamRun) expectStates(t *testing.T, states ...State) []Status {
	t.Helper()
	var got []Status
	for _, want := range states {
		s := r.nextStatus(t)
		got = append(got, s)
		if s.State != want {
			t.Fatalf("status %d is %v, want %v (so far %v)", len(got), s, want, got)
		}
	}
	return got
}

// stop cancels the stream and checks it returned nil, reporting StateStopped last.
func (r *streamRun) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		if err != nil {
			t.Fatalf("Stream returned %v after cancel, want nil", err)
		}
	case <-time.After(guard):
		t.Fatal("Stream did not return after cancel")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if last := r.statuses[len(r.statuses)-1]; last.State != StateStopped {
		t.Fatalf("last status %v, want stopped", last)
	}
}

// result waits for Stream to return on its own.
func (r *streamRun) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(guard):
		t.Fatal("Stream did not return")
	}
	return nil
}
