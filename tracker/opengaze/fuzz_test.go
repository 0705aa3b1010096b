package opengaze

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"

	"sightline/tracker"
)

// seedLines are the unit tables' lines and the testdata, for every fuzz target.
func seedLines(f *testing.F) []string {
	lines := []string{realREC(f)}
	lines = append(lines, readLines(f, "cal_trace.txt")...)
	for _, c := range parseCases {
		lines = append(lines, c.line)
	}
	for _, c := range parseErrors {
		lines = append(lines, c.line)
	}
	for _, c := range recordCases {
		lines = append(lines, c.line)
	}
	return lines
}

// FuzzParse: Parse never panics, fails only with a SyntaxError inside the line, and what it
// accepts survives AppendMessage and Parse again unchanged.
func FuzzParse(f *testing.F) {
	for _, l := range seedLines(f) {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		_, err := Parse(line)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(line) {
				t.Fatalf("Parse(%q) = %v: want a SyntaxError with an offset in the line", line, err)
			}
			return
		}
		checkRoundTrip(t, line)
	})
}

// sampleFromMessage is the slow, obvious REC reader that DecodeRecord must agree with.
func sampleFromMessage(m Message, s *tracker.Sample) bool {
	if m.Tag != "REC" {
		return false
	}
	ok := true
	fl := func(name string, dst *float64) {
		if v, has := m.Get(name); has {
			x, good := parseFloat(v)
			ok = ok && good
			*dst = x
		}
	}
	in := func(name string, dst *int64) {
		if v, has := m.Get(name); has {
			x, good := parseInt(v)
			ok = ok && good
			*dst = x
		}
	}
	bo := func(name string, dst *bool) {
		if v, has := m.Get(name); has {
			x, good := parseBool(v)
			ok = ok && good
			*dst = x
		}
	}
	in("CNT", &s.CNT)
	fl("TIME", &s.Time)
	in("TIME_TICK", &s.TimeTick)
	fl("FPOGX", &s.FPOGX)
	fl("FPOGY", &s.FPOGY)
	fl("FPOGS", &s.FPOGS)
	fl("FPOGD", &s.FPOGD)
	in("FPOGID", &s.FPOGID)
	bo("FPOGV", &s.FPOGV)
	fl("LPOGX", &s.LPOGX)
	fl("LPOGY", &s.LPOGY)
	bo("LPOGV", &s.LPOGV)
	fl("RPOGX", &s.RPOGX)
	fl("RPOGY", &s.RPOGY)
	bo("RPOGV", &s.RPOGV)
	fl("BPOGX", &s.BPOGX)
	fl("BPOGY", &s.BPOGY)
	bo("BPOGV", &s.BPOGV)
	fl("LPCX", &s.LPCX)
	fl("LPCY", &s.LPCY)
	fl("LPD", &s.LPD)
	fl("LPS", &s.LPS)
	bo("LPV", &s.LPV)
	fl("RPCX", &s.RPCX)
	fl("RPCY", &s.RPCY)
	fl("RPD", &s.RPD)
	fl("RPS", &s.RPS)
	bo("RPV", &s.RPV)
	in("BKID", &s.BKID)
	fl("BKDUR", &s.BKDUR)
	fl("BKPMIN", &s.BKPMIN)
	fl("LPMM", &s.LPMM)
	bo("LPMMV", &s.LPMMV)
	fl("RPMM", &s.RPMM)
	bo("RPMMV", &s.RPMMV)
	fl("CX", &s.CX)
	fl("CY", &s.CY)
	if v, has := m.Get("CS"); has {
		x, good := parseInt(v)
		ok = ok && good && x >= math.MinInt32 && x <= math.MaxInt32
		s.CS = int(x)
	}
	if v, has := m.Get("USER"); has {
		s.User = v
	}
	for f := tracker.Fields(1); f&tracker.AllFields != 0; f <<= 1 {
		if _, has := m.Get(f.Names()[0]); !has {
			s.Absent |= f
		}
	}
	return ok
}

// FuzzRecord: the REC fast path accepts exactly what Parse plus the obvious reading accept,
// and reads the same values.
func FuzzRecord(f *testing.F) {
	for _, l := range seedLines(f) {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var fast, slow tracker.Sample
		err := DecodeRecord(line, &fast)
		m, perr := Parse(line)
		slowOK := perr == nil && sampleFromMessage(m, &slow)
		if (err == nil) != slowOK {
			t.Fatalf("%q: DecodeRecord says %v, Parse says %v (tag %q)", line, err, perr, m.Tag)
		}
		if err == nil && fast != slow {
			t.Fatalf("%q:\nfast %+v\nslow %+v", line, fast, slow)
		}
		if err == nil && !isREC(line) {
			t.Fatalf("%q decodes but isREC says no", line)
		}
	})
}

// FuzzScanner: whatever the input and however it is cut into reads, the Scanner returns the
// lines a plain split gives, stops at the first line over the limit, and holds no more than the
// limit in memory.
func FuzzScanner(f *testing.F) {
	var all []byte
	for _, l := range seedLines(f) {
		f.Add([]byte(l+"\r\n"), []byte{1})
		all = append(all, l...)
		all = append(all, "\r\n"...)
	}
	f.Add(all, []byte{1, 7, 200, 3})
	f.Add([]byte("a\rb\n\nc"), []byte{2})
	f.Add(bytes.Repeat([]byte("x"), 200), []byte{50})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		const max = 64 // small, so the fuzzer reaches the limit
		sizes := make([]int, len(cuts))
		for i, c := range cuts {
			sizes[i] = int(c) + 1
		}
		s := newScannerMax(&chunkReader{data: bytes.Clone(data), sizes: sizes}, max)
		got, err := scanAll(s)
		if len(s.buf) > max+2 {
			t.Fatalf("buffer grew to %d bytes, limit %d", len(s.buf), max+2)
		}
		want, wantErr := splitLines(data, max)
		if len(got) != len(want) || err != wantErr {
			t.Fatalf("%q: %d lines, %v; want %d, %v", data, len(got), err, len(want), wantErr)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("line %d: %q, want %q", i, got[i], want[i])
			}
		}
	})
}

// splitLines is what a Scanner with that limit should return.
func splitLines(data []byte, max int) ([]string, error) {
	var out []string
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			switch {
			case len(data) > max+1:
				return out, ErrLineTooLong
			case len(data) > 0:
				return out, io.ErrUnexpectedEOF
			}
			return out, io.EOF
		}
		line := bytes.TrimSuffix(data[:i], []byte("\r"))
		if len(line) > max {
			return out, ErrLineTooLong
		}
		out = append(out, string(line))
		data = data[i+1:]
	}
}
