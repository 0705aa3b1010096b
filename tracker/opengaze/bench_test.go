package opengaze

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"

	"sightline/tracker"
)

func reportRecords(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkParseREC parses the real GP3 record of docs/FORMATS.md §4 (42 attributes).
//   - DecodeRecord: the fast path, straight into a Sample.
//   - Parse: into a Message (what non-REC messages go through).
//   - Dispatch: what the client does per record: split from a stream, recognise, decode,
//     complete (gaps, saccade) and hand to emit.
func BenchmarkParseREC(b *testing.B) {
	rec := []byte(realREC(b))
	b.Run("DecodeRecord", func(b *testing.B) {
		b.SetBytes(int64(len(rec)))
		b.ReportAllocs()
		var s tracker.Sample
		for b.Loop() {
			if err := DecodeRecord(rec, &s); err != nil {
				b.Fatal(err)
			}
		}
		reportRecords(b)
	})
	b.Run("Parse", func(b *testing.B) {
		b.SetBytes(int64(len(rec)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(rec); err != nil {
				b.Fatal(err)
			}
		}
		reportRecords(b)
	})
	b.Run("Dispatch", func(b *testing.B) {
		const batch = 1024
		stream := bytes.Repeat(append(bytes.Clone(rec), '\r', '\n'), batch)
		r := bytes.NewReader(stream)
		c := New(Config{})
		var st streamState
		var sink tracker.Sample
		emit := func(s tracker.Sample) { sink = s }
		b.SetBytes(int64(len(rec) + 2))
		b.ReportAllocs()
		sc := NewScanner(r)
		n := 0
		for b.Loop() {
			line, err := sc.Next()
			if err == io.EOF {
				r.Reset(stream)
				sc = NewScanner(r)
				line, err = sc.Next()
			}
			if err != nil || !isREC(line) {
				b.Fatal(err)
			}
			s := tracker.Sample{Host: c.cfg.Clock(), TickFreq: 10_000_000}
			seen, err := decodeRecord(line, &s)
			if err != nil {
				b.Fatal(err)
			}
			st.complete(&s, seen)
			emit(s)
			n++
		}
		_ = sink
		reportRecords(b)
	})
}

// BenchmarkClientThroughput: a fake Gazepoint on loopback TCP floods records as fast as it
// can; the figure is records delivered to emit per second, everything included (the kernel,
// the Scanner, decoding, the stream state, the Clock).
func BenchmarkClientThroughput(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	rec := realREC(b)
	served := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer conn.Close()
		fc := newFakeConn(conn)
		if err := fc.handshake(handshakeOpts{}); err != nil {
			served <- err
			return
		}
		// 4096 records built once, CNT 0 to 4095, written over and over: CNT running back to
		// 0 reads as a restarted device, not a gap, so nothing is reported lost.
		var s tracker.Sample
		if err := DecodeRecord([]byte(rec), &s); err != nil {
			served <- err
			return
		}
		var buf []byte
		for cnt := range int64(4096) {
			s.CNT = cnt
			buf = AppendRecord(buf, s)
		}
		for {
			if _, err := conn.Write(buf); err != nil {
				served <- nil // the client hung up: done
				return
			}
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := New(Config{Addr: ln.Addr().String(), Backoff: BackoffPolicy{MaxAttempts: 1}})
	n := 0
	var lost int64
	b.ReportAllocs()
	b.ResetTimer()
	err = c.Stream(ctx, func(s tracker.Sample) {
		lost += s.Lost
		if n++; n == b.N {
			cancel()
		}
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if err := <-served; err != nil {
		b.Fatal(err)
	}
	if lost != 0 {
		b.Fatalf("%d records reported lost on loopback", lost)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
