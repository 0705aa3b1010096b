package opengaze

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"sightline/tracker"
)

var calTargets = []Point{{0.5, 0.5}, {0.85, 0.15}, {0.15, 0.85}}

// calCommands is what Calibrate sends for calTargets, 1.25 s per point, 0.5 s delay.
var calCommands = []string{
	`<SET ID="CALIBRATE_CLEAR" />`,
	`<SET ID="CALIBRATE_ADDPOINT" X="0.5" Y="0.5" />`,
	`<SET ID="CALIBRATE_ADDPOINT" X="0.85" Y="0.15" />`,
	`<SET ID="CALIBRATE_ADDPOINT" X="0.15" Y="0.85" />`,
	`<SET ID="CALIBRATE_TIMEOUT" VALUE="1.25" />`,
	`<SET ID="CALIBRATE_DELAY" VALUE="0.5" />`,
	`<SET ID="CALIBRATE_SHOW" STATE="0" />`,
	`<SET ID="CALIBRATE_START" STATE="1" />`,
	`<GET ID="CALIBRATE_RESULT_SUMMARY" />`,
}

type calOpts struct {
	duplicate bool   // every ACK twice, and a stale ADDPOINT ACK before each new one
	spacedIDs bool   // ID=" CALIB_START_PT", as in the vendor's example trace
	refuse    string // NACK this command ID
	stopAfter int    // after START, send this many lines of the trace, then wait for the abort
	hangUp    bool   // with stopAfter: close the connection instead
}

// calDevice answers calibration commands as a Gazepoint does, sending the trace of
// testdata/cal_trace.txt after CALIBRATE_START, a record after every reply, and records every
// command it got.
func calDevice(trace []string, o calOpts, got *[]string) func(fc *fakeConn) error {
	return func(fc *fakeConn) error {
		if err := fc.handshake(handshakeOpts{}); err != nil {
			return err
		}
		pts, cnt := 0, int64(0)
		rec := func() string { cnt++; return recLine(tracker.Sample{CNT: cnt}) }
		for {
			m, raw, err := fc.read()
			if err != nil {
				return nil // the client hung up
			}
			*got = append(*got, raw)
			id := msgID(m)
			var out []string
			switch {
			case id == o.refuse:
				out = []string{fmt.Sprintf(`<NACK ID="%s" />`, id)}
			case id == "CALIBRATE_CLEAR":
				pts = 0
				out = []string{`<ACK ID="CALIBRATE_CLEAR" PTS="0" />`}
			case id == "CALIBRATE_ADDPOINT":
				if o.duplicate && pts > 0 {
					out = append(out, fmt.Sprintf(`<ACK ID="CALIBRATE_ADDPOINT" PTS="%d" />`, pts))
				}
				pts++
				out = append(out, fmt.Sprintf(`<ACK ID="CALIBRATE_ADDPOINT" PTS="%d" X%d="0.5" Y%d="0.5" />`, pts, pts, pts))
			case id == "CALIBRATE_TIMEOUT" || id == "CALIBRATE_DELAY":
				v, _ := m.Get("VALUE")
				out = []string{fmt.Sprintf(`<ACK ID="%s" VALUE="%s" />`, id, v)}
			case id == "CALIBRATE_SHOW":
				out = []string{`<ACK ID="CALIBRATE_SHOW" STATE="0" />`}
			case id == "CALIBRATE_START" && raw == `<SET ID="CALIBRATE_START" STATE="0" />`:
				out = []string{`<ACK ID="CALIBRATE_START" STATE="0" />`}
			case id == "CALIBRATE_START":
				lines := trace[:len(trace)-1]
				if o.stopAfter > 0 {
					lines = lines[:o.stopAfter]
				}
				for _, l := range lines {
					if o.spacedIDs {
						l = strings.Replace(l, `ID="CALIB_`, `ID=" CALIB_`, 1)
					}
					out = append(out, l, rec())
				}
				if o.hangUp {
					return fc.send(out...)
				}
			case id == "CALIBRATE_RESULT_SUMMARY":
				out = []string{trace[len(trace)-1]}
			default:
				return fmt.Errorf("unexpected command %q", raw)
			}
			if o.duplicate {
				for _, l := range slicesClone(out) {
					if strings.HasPrefix(l, "<ACK") {
						out = append(out, l)
					}
				}
			}
			if err := fc.send(append(out, rec())...); err != nil {
				return nil // the client hung up while we answered
			}
		}
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// spyConn remembers the last read deadline set on it.
type spyConn struct {
	net.Conn
	mu   sync.Mutex
	read time.Time
}

func (c *spyConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.read = t
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *spyConn) readDeadline() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read
}

// spyOn wraps cfg's connections in spyConns, returning the latest.
func spyOn(cfg *Config) func() *spyConn {
	inner := cfg.Dial
	if inner == nil {
		var d net.Dialer
		inner = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	var mu sync.Mutex
	var last *spyConn
	cfg.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
		c, err := inner(ctx, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		last = &spyConn{Conn: c}
		return last, nil
	}
	return func() *spyConn {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func TestCalibrate(t *testing.T) {
	trace := readLines(t, "cal_trace.txt")
	wantEvents := []CalEvent{
		{CalPointStart, 1, 0.5, 0.5}, {CalPointDone, 1, 0.5, 0.5},
		{CalPointStart, 2, 0.85, 0.15}, {CalPointDone, 2, 0.85, 0.15},
		{CalPointStart, 3, 0.15, 0.85}, {CalPointDone, 3, 0.15, 0.85},
	}
	nan := math.NaN()
	wantPoints := []CalPoint{
		{X: 0.5, Y: 0.5, LX: 0.5031, LY: 0.4987, LV: true, RX: 0.4962, RY: 0.5045, RV: true, LeftErrPx: 6.115351175525399, RightErrPx: 8.766482532920497},
		{X: 0.85, Y: 0.15, LX: 0.8412, LY: 0.1603, LV: true, LeftErrPx: 20.229142146912757, RightErrPx: nan},
		{X: 0.15, Y: 0.85, LX: 0.155, LY: 0.84, LV: true, RX: 0.148, RY: 0.859, RV: true, LeftErrPx: 14.449913494550767, RightErrPx: 10.451028657505452},
	}
	for _, o := range []struct {
		name string
		opts calOpts
	}{
		{"as documented", calOpts{}},
		{"duplicated ACKs, spaced IDs", calOpts{duplicate: true, spacedIDs: true}},
	} {
		t.Run(o.name, func(t *testing.T) {
			forTransports(t, func(t *testing.T, cfg Config, srv *fakeServer) {
				var got []string
				srv.serve(calDevice(trace, o.opts, &got))
				spy := spyOn(&cfg)
				cfg.IdleTimeout = time.Hour
				r := startStream(t, cfg)
				r.waitState(t, StateConnected)
				var events []CalEvent
				res, err := r.c.Calibrate(context.Background(), calTargets, 1250*time.Millisecond, 500*time.Millisecond, func(e CalEvent) {
					events = append(events, e)
					if d := spy().readDeadline(); !d.IsZero() {
						t.Errorf("read deadline %v during the calibration, want none", d)
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				if d := spy().readDeadline(); d.IsZero() {
					t.Error("no read deadline after the calibration")
				}
				if !reflect.DeepEqual(events, wantEvents) {
					t.Errorf("events %v", events)
				}
				if res.AveErrorPx != 11.27 || res.ValidPoints != 3 || len(res.Points) != len(wantPoints) {
					t.Fatalf("result %+v", res)
				}
				for i, p := range res.Points {
					w := wantPoints[i]
					if p.X != w.X || p.Y != w.Y || p.LX != w.LX || p.LY != w.LY || p.LV != w.LV || p.RX != w.RX || p.RY != w.RY || p.RV != w.RV ||
						!near(p.LeftErrPx, w.LeftErrPx) || !near(p.RightErrPx, w.RightErrPx) {
						t.Errorf("point %d: %+v, want %+v", i+1, p, w)
					}
				}
				// The records kept flowing through the calibration.
				if s := r.sample(t); s.CNT != 1 {
					t.Errorf("first record CNT %d", s.CNT)
				}
				r.stop(t)
				srv.wait()
				if !reflect.DeepEqual(got, calCommands) {
					t.Errorf("commands\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(calCommands, "\n"))
				}
			})
		})
	}
}

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) < 1e-9
}

func TestCalibrateFailures(t *testing.T) {
	trace := readLines(t, "cal_trace.txt")
	abort := `<SET ID="CALIBRATE_START" STATE="0" />`
	for _, c := range []struct {
		name   string
		opts   calOpts
		cancel bool // cancel the context at the first event
		is     error
		says   string
		last   string // the last command the device got
	}{
		{"refused point", calOpts{refuse: "CALIBRATE_ADDPOINT"}, false, ErrRefused, "point 1: CALIBRATE_ADDPOINT: refused by the device (NACK)", calCommands[1]},
		{"refused start", calOpts{refuse: "CALIBRATE_START"}, false, ErrRefused, "CALIBRATE_START: refused", abort},
		{"cancelled", calOpts{stopAfter: 2}, true, context.Canceled, "waiting for CALIB_RESULT", abort},
		{"connection lost", calOpts{stopAfter: 2, hangUp: true}, false, ErrConnectionLost, "waiting for CALIB_RESULT", calCommands[7]},
	} {
		t.Run(c.name, func(t *testing.T) {
			forTransports(t, func(t *testing.T, cfg Config, srv *fakeServer) {
				var got []string
				srv.serve(calDevice(trace, c.opts, &got))
				r := startStream(t, cfg)
				r.waitState(t, StateConnected)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				_, err := r.c.Calibrate(ctx, calTargets, time.Second, 0, func(CalEvent) {
					if c.cancel {
						cancel()
					}
				})
				if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.says) {
					t.Fatalf("Calibrate = %v, want %v saying %q", err, c.is, c.says)
				}
				r.stop(t)
				srv.wait()
				if len(got) == 0 || got[len(got)-1] != c.last {
					t.Fatalf("last command %q, want %q", got, c.last)
				}
			})
		})
	}
}

func TestCalibrateArguments(t *testing.T) {
	c := New(Config{})
	if _, err := c.Calibrate(context.Background(), calTargets, time.Second, 0, nil); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("not connected: %v", err)
	}
	many := make([]Point, maxCalPoints+1)
	for _, a := range []struct {
		name           string
		pts            []Point
		timeout, delay time.Duration
		says           string
	}{
		{"no points", nil, time.Second, 0, "0 points"},
		{"too many points", many, time.Second, 0, "65 points"},
		{"off screen", []Point{{0.5, 0.5}, {1.2, 0.5}}, time.Second, 0, "point 2 at (1.2, 0.5)"},
		{"NaN", []Point{{math.NaN(), 0.5}}, time.Second, 0, "point 1"},
		{"no timeout", calTargets, 0, 0, "timeout 0s"},
		{"negative delay", calTargets, time.Second, -1, "delay -1ns"},
	} {
		if _, err := c.Calibrate(context.Background(), a.pts, a.timeout, a.delay, nil); err == nil || !strings.Contains(err.Error(), a.says) {
			t.Errorf("%s: %v, want %q", a.name, err, a.says)
		}
	}
}

func TestCalPoints(t *testing.T) {
	for _, c := range []struct {
		name string
		line string
		n    int
		err  string
	}{
		{"out of order, sparse names", `<CAL ID="CALIB_RESULT" CALY2="0.1" CALX2="0.2" CALX1="0.5" CALY1="0.5" LV1="0" FOO="1" LX="3" />`, 2, ""},
		{"no points", `<CAL ID="CALIB_RESULT" />`, 0, "lists no points"},
		{"missing target", `<CAL ID="CALIB_RESULT" CALX1="0.5" CALY1="0.5" LX2="0.1" />`, 0, "no target CALX2/CALY2"},
		{"bad number", `<CAL ID="CALIB_RESULT" CALX1="half" CALY1="0.5" />`, 0, `CALX1="half"`},
		{"point number too large", `<CAL ID="CALIB_RESULT" CALX1="0.5" CALY1="0.5" CALX99999999="1" />`, 1, ""},
	} {
		m, err := Parse([]byte(c.line))
		if err != nil {
			t.Fatal(err)
		}
		pts, err := calPoints(m, Screen{})
		if c.err != "" {
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || len(pts) != c.n {
			t.Errorf("%s: %d points, %v", c.name, len(pts), err)
		}
	}
}
