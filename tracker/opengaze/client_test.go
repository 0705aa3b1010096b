package opengaze

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"sightline/tracker"
)

func TestHandshake(t *testing.T) {
	for _, c := range []struct {
		name     string
		opts     handshakeOpts
		product  string
		rate     float64
		tickFreq int64
	}{
		{"in order", handshakeOpts{}, "GP3", 60, 10_000_000},
		{"reordered and duplicated", handshakeOpts{reorder: true, duplicate: true}, "GP3", 60, 10_000_000},
		{"records and noise first", handshakeOpts{before: []string{recLine(realSample), `<CAL ID="CALIB_RESULT_PT" PT="1" />`,
			"", "not xml", `<ACK ID="SOMETHING_ELSE" />`, `<NACK ID="SOMETHING_ELSE" />`}}, "GP3", 60, 10_000_000},
		{"float bits for FREQ (vendor example)", handshakeOpts{freq: "4704405731611246592"}, "GP3", 60, 3330093},
		{"GP3 HD without RATE", handshakeOpts{product: `VALUE="GP3HD" BUS="USB3"`, freq: "1000000000"}, "GP3HD", 150, 1_000_000_000},
	} {
		t.Run(c.name, func(t *testing.T) {
			forTransports(t, func(t *testing.T, cfg Config, srv *fakeServer) {
				srv.serve(func(fc *fakeConn) error {
					if err := fc.handshake(c.opts); err != nil {
						return err
					}
					if err := fc.send(recLine(realSample)); err != nil {
						return err
					}
					fc.drain()
					return nil
				})
				r := startStream(t, cfg)
				st := r.expectStates(t, StateConnecting, StateConnected)
				info := r.c.Info()
				if info != st[1].Info || info.Product != c.product || info.Rate != c.rate || info.TickFreq != c.tickFreq ||
					info.Screen != (Screen{0, 0, 1920, 1080}) {
					t.Fatalf("info %+v (status %+v)", info, st[1].Info)
				}
				if name := r.c.Name(); name != fmt.Sprintf("%s %g Hz", c.product, c.rate) || r.c.Rate() != c.rate {
					t.Fatalf("Name %q Rate %v", name, r.c.Rate())
				}
				s := r.sample(t)
				want := realSample
				want.Host, want.TickFreq = s.Host, c.tickFreq
				if s != want || s.Host <= 0 {
					t.Fatalf("sample\n%+v\nwant\n%+v", s, want)
				}
				r.stop(t)
			})
		})
	}
}

func TestHandshakeFailures(t *testing.T) {
	for _, c := range []struct {
		name string
		opts handshakeOpts
		is   error
		says string
	}{
		{"NACK", handshakeOpts{refuse: "ENABLE_SEND_PUPILMM", refuseTag: "NACK"}, ErrRefused, "ENABLE_SEND_PUPILMM: refused by the device (NACK)"},
		{"NAC", handshakeOpts{refuse: "ENABLE_SEND_EYE_LEFT", refuseTag: "NAC", reorder: true}, ErrRefused, "ENABLE_SEND_EYE_LEFT: refused by the device (NAC)"},
		{"NACK of a query", handshakeOpts{refuse: "PRODUCT_ID", refuseTag: "NACK", duplicate: true}, ErrRefused, "PRODUCT_ID"},
		{"ACK with STATE 0", handshakeOpts{ackState: "0"}, ErrRefused, `ENABLE_SEND_COUNTER acknowledged with STATE="0"`},
		{"FREQ not a number", handshakeOpts{freq: "x"}, ErrProtocol, `FREQ="x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			forTransports(t, func(t *testing.T, cfg Config, srv *fakeServer) {
				srv.serve(func(fc *fakeConn) error { return fc.handshake(c.opts) })
				r := startStream(t, cfg)
				err := r.result(t)
				if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.says) {
					t.Fatalf("Stream = %v, want %v saying %q", err, c.is, c.says)
				}
				st := r.expectStates(t, StateConnecting, StateFailed)
				if !errors.Is(st[1].Err, c.is) {
					t.Fatalf("failed status %v", st[1])
				}
			})
		})
	}
}

// heldConn records the deadlines the client sets but holds them back until expire: from then
// on every deadline set has passed. A timeout test so says when the time is up, rather than
// betting that a loaded machine gets through what comes before within a few milliseconds.
type heldConn struct {
	net.Conn
	mu      sync.Mutex
	read    time.Time // the read deadline the client set last
	expired bool
}

var past = time.Unix(1, 0)

func (c *heldConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *heldConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read = t
	if c.expired && !t.IsZero() {
		return c.Conn.SetReadDeadline(past)
	}
	return nil
}

func (c *heldConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expired && !t.IsZero() {
		return c.Conn.SetWriteDeadline(past)
	}
	return nil
}

// expire lets the read deadline the client set pass now, and returns it.
func (c *heldConn) expire() (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expired = true
	if c.read.IsZero() {
		return c.read, errors.New("the client set no read deadline")
	}
	return c.read, c.Conn.SetReadDeadline(past)
}

// holdDeadlines makes cfg dial through heldConn; each connection goes to the channel returned.
func holdDeadlines(cfg *Config) <-chan *heldConn {
	conns := make(chan *heldConn, 4)
	dial := cfg.Dial
	if dial == nil {
		dial = func(ctx context.Context, addr string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		}
	}
	cfg.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
		c, err := dial(ctx, addr)
		if err != nil {
			return nil, err
		}
		h := &heldConn{Conn: c}
		conns <- h
		return h, nil
	}
	return conns
}

// TestHandshakeTimeout: a device that reads the handshake and answers nothing fails it at the
// handshake's deadline, HandshakeTimeout after its start, naming what is unanswered. The
// deadline passes when the test says, once the device has read every command.
func TestHandshakeTimeout(t *testing.T) {
	forTransports(t, func(t *testing.T, cfg Config, srv *fakeServer) {
		heard := make(chan struct{})
		srv.serve(func(fc *fakeConn) error { return fc.handshake(handshakeOpts{silent: true, heard: heard}) })
		conns := holdDeadlines(&cfg)
		cfg.HandshakeTimeout = time.Minute // never reached: the held deadline passes first
		cfg.Backoff.MaxAttempts = 1
		start := time.Now()
		r := startStream(t, cfg)
		var conn *heldConn
		select {
		case <-heard:
			conn = <-conns
		case <-time.After(guard):
			t.Fatal("the device never read the whole handshake")
		}
		deadline, err := conn.expire()
		expired := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		err = r.result(t)
		if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.Contains(err.Error(), "waiting for the ACK of ENABLE_SEND_COUNTER (18 unanswered)") ||
			!strings.Contains(err.Error(), "gave up after 1 attempts") {
			t.Fatalf("Stream = %v", err)
		}
		if deadline.Before(start.Add(cfg.HandshakeTimeout)) || deadline.After(expired.Add(cfg.HandshakeTimeout)) {
			t.Errorf("handshake read deadline %v, want HandshakeTimeout (%v) after its start, between %v and %v",
				deadline, cfg.HandshakeTimeout, start.Add(cfg.HandshakeTimeout), expired.Add(cfg.HandshakeTimeout))
		}
	})
}

func TestRecords(t *testing.T) {
	// Three fixations as the published EGD-CXR rows have them (docs/FORMATS.md §1), then a CNT gap.
	recs := []tracker.Sample{
		{CNT: 45, FPOGID: 2, FPOGX: 0.45224, FPOGY: 0.33879000000000004, FPOGV: true},
		{CNT: 46, FPOGID: 3, FPOGX: 0.44419, FPOGY: 0.28933000000000003, FPOGV: true},
		{CNT: 47, FPOGID: 3, FPOGX: 0.44419, FPOGY: 0.28933000000000003, FPOGV: true},
		{CNT: 48, FPOGID: 4, FPOGX: 0.39018, FPOGY: 0.28168000000000004, FPOGV: true},
		{CNT: 52, FPOGID: 4, FPOGX: 0.39018, FPOGY: 0.28168000000000004, FPOGV: true},
	}
	want := []struct {
		mag, dir float64 // SACCADE_MAG, SACCADE_DIR of the published rows
		lost     int64
	}{{0, 0, 0}, {55.60791, 106.13765, 0}, {55.60791, 106.13765, 0}, {104.02783000000001, 175.4447, 0}, {104.02783000000001, 175.4447, 3}}
	forTransports(t, func(t *testing.T, cfg Config, srv *fakeServer) {
		srv.serve(func(fc *fakeConn) error {
			if err := fc.handshake(handshakeOpts{}); err != nil {
				return err
			}
			var lines []string
			for _, s := range recs {
				lines = append(lines, recLine(s))
			}
			// A line the client cannot parse is skipped, counted and reported once.
			lines = append(lines[:2], append([]string{`<REC CNT="oops" />`, `<REC CNT="x" />`}, lines[2:]...)...)
			if err := fc.send(lines...); err != nil {
				return err
			}
			fc.drain()
			return nil
		})
		r := startStream(t, cfg)
		r.waitState(t, StateConnected)
		var host time.Duration
		for i, w := range want {
			s := r.sample(t)
			if s.CNT != recs[i].CNT || s.FPOGID != recs[i].FPOGID || s.TickFreq != 10_000_000 || s.Resumed {
				t.Fatalf("sample %d: %+v", i, s)
			}
			if math.Abs(s.SaccadeMag-w.mag) > 1e-4 || math.Abs(s.SaccadeDir-w.dir) > 1e-4 || s.Lost != w.lost {
				t.Fatalf("sample %d: saccade %v %v lost %d, want %v %v lost %d", i, s.SaccadeMag, s.SaccadeDir, s.Lost, w.mag, w.dir, w.lost)
			}
			if s.Host <= host {
				t.Fatalf("sample %d: Host %v after %v", i, s.Host, host)
			}
			host = s.Host
		}
		warn := r.waitState(t, StateWarning)
		if !strings.Contains(warn.Err.Error(), `attribute CNT: "oops" is not a valid integer`) {
			t.Fatalf("warning %v", warn)
		}
		if r.c.Lost() != 3 || r.c.Malformed() != 2 {
			t.Fatalf("Lost %d Malformed %d, want 3 and 2", r.c.Lost(), r.c.Malformed())
		}
		r.stop(t)
		for {
			s := r.nextStatus(t)
			if s.State == StateWarning {
				t.Fatalf("a second warning for malformed lines: %v", s)
			}
			if s.State == StateStopped {
				break
			}
		}
	})
}

func TestReconnect(t *testing.T) {
	forTransports(t, func(t *testing.T, cfg Config, srv *fakeServer) {
		srv.serve(
			func(fc *fakeConn) error { // dies in the middle of a record
				if err := fc.handshake(handshakeOpts{}); err != nil {
					return err
				}
				line := recLine(tracker.Sample{CNT: 4})
				if err := fc.send(recLine(tracker.Sample{CNT: 1}), recLine(tracker.Sample{CNT: 2}), recLine(tracker.Sample{CNT: 3})); err != nil {
					return err
				}
				_, err := fc.conn.Write([]byte(line[:20]))
				return err
			},
			func(fc *fakeConn) error { // refuses to talk: the attempt fails
				return nil
			},
			func(fc *fakeConn) error { // the device ran on: records 4 and 5 were missed
				if err := fc.handshake(handshakeOpts{reorder: true}); err != nil {
					return err
				}
				if err := fc.send(recLine(tracker.Sample{CNT: 6}), recLine(tracker.Sample{CNT: 7})); err != nil {
					return err
				}
				fc.drain()
				return nil
			},
		)
		r := startStream(t, cfg)
		for i, want := range []struct {
			cnt, lost int64
			resumed   bool
		}{{1, 0, false}, {2, 0, false}, {3, 0, false}, {6, 2, true}, {7, 0, false}} {
			s := r.sample(t)
			if s.CNT != want.cnt || s.Lost != want.lost || s.Resumed != want.resumed {
				t.Fatalf("sample %d: CNT %d Lost %d Resumed %v; want %+v", i, s.CNT, s.Lost, s.Resumed, want)
			}
		}
		st := r.expectStates(t, StateConnecting, StateConnected, StateLost, StateReconnecting,
			StateConnecting, StateReconnecting, StateConnecting, StateConnected)
		if !errors.Is(st[2].Err, io.ErrUnexpectedEOF) {
			t.Errorf("lost: %v", st[2])
		}
		if st[3].Attempt != 1 || st[3].Retry != time.Millisecond || st[5].Attempt != 2 || st[5].Retry != 2*time.Millisecond || st[6].Attempt != 2 {
			t.Errorf("backoff: %v / %v / %v", st[3], st[5], st[6])
		}
		if r.c.Lost() != 2 {
			t.Errorf("Lost() = %d", r.c.Lost())
		}
		r.stop(t)
	})
}

func TestIdleTimeout(t *testing.T) {
	forTransports(t, func(t *testing.T, cfg Config, srv *fakeServer) {
		srv.serve(func(fc *fakeConn) error {
			if err := fc.handshake(handshakeOpts{}); err != nil {
				return err
			}
			fc.drain() // and never send a record
			return nil
		})
		cfg.IdleTimeout = 20 * time.Millisecond
		cfg.Backoff.MaxAttempts = 1
		r := startStream(t, cfg)
		lost := r.waitState(t, StateLost)
		if !errors.Is(lost.Err, os.ErrDeadlineExceeded) || !strings.Contains(lost.Err.Error(), "no data for 20ms") {
			t.Fatalf("lost: %v", lost)
		}
		r.stop(t)
	})
}

func TestStreamStopsWhileDisconnected(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens: every attempt is refused

	t.Run("cancel during backoff", func(t *testing.T) {
		before := runtime.NumGoroutine()
		r := startStream(t, Config{Addr: addr, Backoff: BackoffPolicy{Initial: time.Millisecond, Max: 4 * time.Millisecond}})
		for _, want := range []time.Duration{1, 2, 4, 4} {
			s := r.waitState(t, StateReconnecting)
			if s.Retry != want*time.Millisecond || s.Err == nil {
				t.Fatalf("%v, want a retry in %vms", s, want)
			}
		}
		if err := r.c.Mark("x"); !errors.Is(err, ErrNotConnected) {
			t.Fatalf("Mark while disconnected: %v", err)
		}
		r.stop(t)
		checkGoroutines(t, before)
	})
	t.Run("max attempts", func(t *testing.T) {
		r := startStream(t, Config{Addr: addr, Backoff: BackoffPolicy{MaxAttempts: 3}})
		err := r.result(t)
		if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") || !strings.Contains(err.Error(), "dial") {
			t.Fatalf("Stream = %v", err)
		}
		r.expectStates(t, StateConnecting, StateReconnecting, StateConnecting, StateReconnecting, StateConnecting, StateFailed)
	})
}

func TestStreamOnlyOnce(t *testing.T) {
	forTransports(t, func(t *testing.T, cfg Config, srv *fakeServer) {
		srv.serve(func(fc *fakeConn) error {
			if err := fc.handshake(handshakeOpts{}); err != nil {
				return err
			}
			fc.drain()
			return nil
		})
		r := startStream(t, cfg)
		r.waitState(t, StateConnected)
		if err := r.c.Stream(context.Background(), func(tracker.Sample) {}); err == nil || !strings.Contains(err.Error(), "already streaming") {
			t.Fatalf("second Stream: %v", err)
		}
		r.stop(t)
	})
}

func TestMark(t *testing.T) {
	const label = `case 3 "start" & <go>`
	const wire = `<SET ID="USER_DATA" VALUE="case 3 &quot;start&quot; &amp; &lt;go&gt;" DUR="1" />`
	forTransports(t, func(t *testing.T, cfg Config, srv *fakeServer) {
		const workers, each = 4, 25
		srv.serve(func(fc *fakeConn) error {
			if err := fc.handshake(handshakeOpts{}); err != nil {
				return err
			}
			// The first mark: answer as a device does, the value in the next record.
			m, raw, err := fc.read()
			if err != nil {
				return err
			}
			if raw != wire {
				return fmt.Errorf("mark sent as %q, want %q", raw, wire)
			}
			v, _ := m.Get("VALUE")
			if err := fc.send(`<ACK ID="USER_DATA" VALUE="`+string(appendEscaped(nil, v))+`" DUR="1" />`,
				recLine(tracker.Sample{CNT: 1, User: v}), recLine(tracker.Sample{CNT: 2})); err != nil {
				return err
			}
			// Concurrent marks arrive whole, one per line.
			seen := map[string]bool{}
			for len(seen) < workers*each {
				m, raw, err := fc.read()
				if err != nil {
					return fmt.Errorf("after %d marks: %w", len(seen), err)
				}
				v, _ := m.Get("VALUE")
				if m.Tag != "SET" || msgID(m) != "USER_DATA" || seen[v] {
					return fmt.Errorf("unexpected %q", raw)
				}
				seen[v] = true
			}
			// A refused mark is reported, not lost silently.
			if err := fc.send(`<NACK ID="USER_DATA" />`); err != nil {
				return err
			}
			fc.drain()
			return nil
		})
		r := startStream(t, cfg)
		if err := r.c.Mark(""); err == nil {
			t.Fatal("an empty mark was accepted")
		}
		r.waitState(t, StateConnected)
		if err := r.c.Mark(label); err != nil {
			t.Fatal(err)
		}
		if s := r.sample(t); s.User != label {
			t.Fatalf("User %q, want %q", s.User, label)
		}
		if s := r.sample(t); s.User != "" {
			t.Fatalf("User %q on the next record", s.User)
		}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					if err := r.c.Mark(fmt.Sprintf("w%d-%d", w, i)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		warn := r.waitState(t, StateWarning)
		if !errors.Is(warn.Err, ErrRefused) || !strings.Contains(warn.Err.Error(), "USER_DATA") {
			t.Fatalf("warning %v", warn)
		}
		r.stop(t)
	})
}

func TestBackoffDelay(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		p    BackoffPolicy
		want []time.Duration
	}{
		{BackoffPolicy{}, []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 2000 * ms, 2000 * ms}},
		{BackoffPolicy{Initial: 3 * ms, Max: 10 * ms}, []time.Duration{3 * ms, 6 * ms, 10 * ms, 10 * ms}},
		{BackoffPolicy{Initial: 5 * time.Second}, []time.Duration{2 * time.Second, 2 * time.Second}},
	} {
		for i, want := range c.want {
			if got := c.p.Delay(i + 1); got != want {
				t.Errorf("%+v.Delay(%d) = %v, want %v", c.p, i+1, got, want)
			}
		}
	}
	if got := (BackoffPolicy{}).Delay(1000); got != 2*time.Second {
		t.Errorf("Delay(1000) = %v", got)
	}
}

func TestParseTickFreq(t *testing.T) {
	for raw, want := range map[string]int64{
		"10000000": 10_000_000, " 1000000000 ": 1_000_000_000, "4704405731611246592": 3330093, "1e7": 10_000_000,
		"10000000.0": 10_000_000, "0": 0, "-5": 0, "x": 0, "": 0, "2.5": 0,
		"9223372036854775807": 9223372036854775807, // too large to be a rate, and no float behind it: kept
	} {
		got, ok := parseTickFreq(raw)
		if got != want || ok != (want != 0) {
			t.Errorf("parseTickFreq(%q) = %d, %v; want %d", raw, got, ok, want)
		}
	}
}

func TestStatusString(t *testing.T) {
	for _, c := range []struct {
		s    Status
		want string
	}{
		{Status{State: StateConnecting, Addr: "h:1", Attempt: 2}, "connecting h:1 (attempt 2)"},
		{Status{State: StateConnected, Addr: "h:1", Info: DeviceInfo{Product: "GP3", Rate: 60}}, "connected h:1 (GP3 60 Hz)"},
		{Status{State: StateReconnecting, Addr: "h:1", Attempt: 3, Retry: 400 * time.Millisecond, Err: errors.New("refused")},
			"reconnecting h:1 in 400ms (attempt 3): refused"},
		{Status{State: StateLost, Addr: "h:1", Err: errors.New("EOF")}, "lost h:1: EOF"},
	} {
		if got := c.s.String(); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
	}
}
