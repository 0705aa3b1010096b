package gazesim

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"sightline/tracker"
	"sightline/tracker/opengaze"
)

// ioTimeout bounds every read in these tests, so that a broken server fails a test instead
// of hanging it. No test asserts on elapsed time.
const ioTimeout = 2 * time.Minute

// fastCal are calibration timings short enough for tests.
func fastCal(c Config) Config {
	c.CalDelay, c.CalTimeout = 2*time.Millisecond, 5*time.Millisecond
	return c
}

// startServer serves cfg on a loopback port until the test ends, then checks that Serve
// returned nil.
func startServer(t testing.TB, cfg Config) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(cfg).Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String()
}

// client is a minimal Open Gaze API client over the opengaze codec.
type client struct {
	t    testing.TB
	conn net.Conn
	sc   *opengaze.Scanner
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, sc: opengaze.NewScanner(conn)}
}

// send writes raw bytes as they are.
func (c *client) send(raw string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, raw); err != nil {
		c.t.Fatalf("send %q: %v", raw, err)
	}
}

// cmd sends one command line with CR LF.
func (c *client) cmd(line string) { c.t.Helper(); c.send(line + "\r\n") }

// line reads the next line from the server.
func (c *client) line() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	b, err := c.sc.Next()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return string(b)
}

// msg reads and parses the next message.
func (c *client) msg() (opengaze.Message, string) {
	c.t.Helper()
	l := c.line()
	m, err := opengaze.Parse([]byte(l))
	if err != nil {
		c.t.Fatalf("server sent %q: %v", l, err)
	}
	return m, l
}

// reply reads messages up to the next ACK or NACK, skipping REC and CAL.
func (c *client) reply() string {
	c.t.Helper()
	for {
		m, l := c.msg()
		if m.Tag == "ACK" || m.Tag == "NACK" {
			return l
		}
	}
}

// enable sets the ENABLE_SEND_* ids and checks their ACKs.
func (c *client) enable(ids ...string) {
	c.t.Helper()
	for _, id := range ids {
		c.cmd(`<SET ID="` + id + `" STATE="1" />`)
		if got, want := c.reply(), `<ACK ID="`+id+`" STATE="1" />`; got != want {
			c.t.Fatalf("enable: got %q, want %q", got, want)
		}
	}
}

// recs reads the next n REC messages, skipping the others.
func (c *client) recs(n int) []opengaze.Message {
	c.t.Helper()
	out := make([]opengaze.Message, 0, n)
	for len(out) < n {
		m, _ := c.msg()
		if m.Tag == "REC" {
			out = append(out, m)
		}
	}
	return out
}

// samples reads the next n RECs as tracker samples, keeping the raw lines.
func (c *client) samples(n int) ([]tracker.Sample, []string) {
	c.t.Helper()
	var ss []tracker.Sample
	var ls []string
	for len(ss) < n {
		l := c.line()
		if !strings.HasPrefix(l, "<REC") {
			continue
		}
		var s tracker.Sample
		if err := opengaze.DecodeRecord([]byte(l), &s); err != nil {
			c.t.Fatalf("record %q: %v", l, err)
		}
		ss = append(ss, s)
		ls = append(ls, l)
	}
	return ss, ls
}

// allGroups are every ENABLE_SEND_* id.
func allGroups() []string { return groupIDs[:] }

func names(m opengaze.Message) []string {
	var out []string
	for _, a := range m.Attrs {
		out = append(out, a.Name)
	}
	return out
}

func isClosed(err error) bool {
	// A server closing with our bytes unread resets the connection: closed all the same.
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET)
}
