package app

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/tracker"
	"sightline/tracker/gazesim"
	"sightline/tracker/opengaze"
)

// stampListener records when each REC record (by CNT) was written to the socket.
type stampListener struct {
	net.Listener
	mu      sync.Mutex
	written map[int64]time.Time
}

func (l *stampListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &stampConn{Conn: c, l: l}, nil
}

type stampConn struct {
	net.Conn
	l *stampListener
}

var cntAttr = []byte(`CNT="`)

func (c *stampConn) Write(b []byte) (int, error) {
	now := time.Now()
	n, err := c.Conn.Write(b)
	c.l.mu.Lock()
	for rest := b; ; {
		i := bytes.Index(rest, cntAttr)
		if i < 0 {
			break
		}
		rest = rest[i+len(cntAttr):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			break
		}
		if v, err := strconv.ParseInt(string(rest[:j]), 10, 64); err == nil {
			c.l.written[v] = now
		}
	}
	c.l.mu.Unlock()
	return n, err
}

// BenchmarkSimToRecordedLatency measures, at 150 Hz (a GP3 HD), the time from the simulator
// writing a REC record to the socket to that sample having been written by the session
// recorder: TCP loopback, the Open Gaze client's parse, and the recorder's row. b.N samples.
func BenchmarkSimToRecordedLatency(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sl := &stampListener{Listener: ln, written: map[int64]time.Time{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srvDone := make(chan struct{})
	go func() { defer close(srvDone); _ = gazesim.New(gazesim.Config{Rate: 150, Seed: 1}).Serve(ctx, sl) }()

	rec, err := session.Create(filepath.Join(b.TempDir(), "s"), session.Meta{SessionID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	if err := rec.BeginScreen(session.Screen{Index: 0, Kind: session.KindCase, DicomID: "x"}, stage.Fit(2000, 2500), 0); err != nil {
		b.Fatal(err)
	}
	c := opengaze.New(opengaze.Config{Addr: ln.Addr().String()})
	lat := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	sctx, stop := context.WithCancel(ctx)
	b.ResetTimer()
	go func() {
		defer close(done)
		_ = c.Stream(sctx, func(s tracker.Sample) {
			if err := rec.Gaze(s); err != nil {
				b.Error(err)
			}
			now := time.Now()
			sl.mu.Lock()
			w, ok := sl.written[s.CNT]
			sl.mu.Unlock()
			if ok && len(lat) < b.N {
				lat = append(lat, now.Sub(w))
				if len(lat) == b.N {
					stop()
				}
			}
		})
	}()
	<-done
	b.StopTimer()
	cancel()
	<-srvDone
	_ = rec.Close(session.StatusComplete)
	if len(lat) == 0 {
		b.Fatal("no samples")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
}
