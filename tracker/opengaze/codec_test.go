package opengaze

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// readLines returns the CR LF ended lines of a testdata file, without their terminators.
func readLines(t testing.TB, name string) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Fatalf("%s: not CR LF ended", name)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
}

// realREC is the verbatim GP3 record of docs/FORMATS.md §4 (testdata/gp3_rec.txt).
func realREC(t testing.TB) string { return readLines(t, "gp3_rec.txt")[0] }

func msg(tag string, kv ...string) Message {
	m := Message{Tag: tag}
	for i := 0; i < len(kv); i += 2 {
		m.Attrs = append(m.Attrs, Attr{kv[i], kv[i+1]})
	}
	return m
}

// parseCases is the table the unit tests check and the fuzz targets start from.
var parseCases = []struct {
	name string
	line string
	want Message
}{
	{"ack", `<ACK ID="ENABLE_SEND_COUNTER" STATE="1" />`, msg("ACK", "ID", "ENABLE_SEND_COUNTER", "STATE", "1")},
	{"get", `<GET ID="TIME_TICK_FREQUENCY" />`, msg("GET", "ID", "TIME_TICK_FREQUENCY")},
	{"spaces around =", `<ACK ID = "CALIBRATE_START" STATE ="1" />`, msg("ACK", "ID", "CALIBRATE_START", "STATE", "1")},
	{"single quotes", `<ACK ID='X' V='say "hi"' W="it's" />`, msg("ACK", "ID", "X", "V", `say "hi"`, "W", "it's")},
	{"entities", `<REC USER="a &quot;b&quot; &amp; c &lt;d&gt; &apos;e&apos; &#65;&#x42;&#X43;&#0233;" />`,
		msg("REC", "USER", `a "b" & c <d> 'e' ABCé`)},
	{"unknown entities kept", `<REC USER="AT&T &foo; &#xZZ; &#; &#x; &#1114112; &#xD800; & ;" />`,
		msg("REC", "USER", "AT&T &foo; &#xZZ; &#; &#x; &#1114112; &#xD800; & ;")},
	// Fuzz find: AppendMessage writes NUL as &#0;, which must read back as NUL.
	{"NUL, raw and by reference", "<0 0=\"\x00&#0;&#x0000;\">", msg("0", "0", "\x00\x00\x00")},
	{"control characters by reference", `<A V="&#9;&#10;&#13;&#127;" />`, msg("A", "V", "\t\n\r\x7f")},
	{"spaces in values", `<REC KB=" " USER="two words  and more" />`, msg("REC", "KB", " ", "USER", "two words  and more")},
	{"empty value", `<ACK ID="USER_DATA" VALUE="" />`, msg("ACK", "ID", "USER_DATA", "VALUE", "")},
	{"unknown tag and attributes", `<FOO BAR="1" baz:q="2">`, msg("FOO", "BAR", "1", "baz:q", "2")},
	{"closed by >", `<UPDATE ACTIVE_ID="1" MAX_ID="2" X="0" Y="0" WIDTH="1920" HEIGHT="1080" >`,
		msg("UPDATE", "ACTIVE_ID", "1", "MAX_ID", "2", "X", "0", "Y", "0", "WIDTH", "1920", "HEIGHT", "1080")},
	{"white space around", " \t<GET ID=\"X\" />\r  ", msg("GET", "ID", "X")},
	{"stray > of the vendor's examples", `<REC CNT="1484" />>`, msg("REC", "CNT", "1484")},
	{"no attributes", `<REC/>`, msg("REC")},
	{"no attributes, space", `<REC />`, msg("REC")},
	{"no space between attributes", `<A B="1"C='2'/>`, msg("A", "B", "1", "C", "2")},
	{"tab separators", "<A\tB=\"1\"\tC=\"2\"\t/>", msg("A", "B", "1", "C", "2")},
	{"utf-8 value", `<REC USER="Ärztin – Fall 3" />`, msg("REC", "USER", "Ärztin – Fall 3")},
	{"value with = and /", `<REC USER="STOP=1493309458542 a/b>c" />`, msg("REC", "USER", "STOP=1493309458542 a/b>c")},
	{"duplicate attributes kept", `<ACK ID="A" ID="B" />`, msg("ACK", "ID", "A", "ID", "B")},
	{"id with stray space", `<CAL ID=" CALIB_START_PT" PT="2" CALX="0.8500" CALY="0.1500" />`,
		msg("CAL", "ID", " CALIB_START_PT", "PT", "2", "CALX", "0.8500", "CALY", "0.1500")},
}

var parseErrors = []struct {
	name   string
	line   string
	offset int
	msg    string
}{
	{"empty", "", 0, "empty line"},
	{"blank", "  \t", 3, "empty line"},
	{"no <", `REC CNT="1" />`, 0, "expected '<'"},
	{"lone <", "<", 1, "missing tag name"},
	{"space after <", "< REC/>", 1, "missing tag name before ' '"},
	{"unterminated element", `<REC CNT="1"`, 12, "unterminated element"},
	{"unterminated value", `<REC CNT="1 />`, 9, `attribute "CNT": unterminated value`},
	{"mismatched quotes", `<REC CNT="1' />`, 9, "unterminated value"},
	{"unquoted value", `<REC CNT=1 />`, 9, `attribute "CNT": value must be in quotes`},
	{"missing =", `<REC CNT />`, 9, `attribute "CNT": expected '='`},
	{"missing value", `<REC CNT= />`, 10, "value must be in quotes"},
	{"/ not followed by >", `<REC CNT="1" / >`, 14, "expected '>' after '/'"},
	{"trailing data", `<REC CNT="1" />x`, 15, `unexpected 'x' after the end`},
	{"two elements", `<A/><B/>`, 4, `unexpected '<' after the end`},
	{"missing name", `<REC ="1"/>`, 5, "expected an attribute name, found '='"},
	{"bare & in name", `<REC A&B="1"/>`, 6, "expected '='"},
	{"truncated REC", `<REC CNT="43333" TIME="712.77087" TIME_TICK="11555`, 44, "unterminated value"},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.line))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.line, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse(%q)\n got %#v\nwant %#v", tc.line, got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErrors {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.line))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError", tc.line, err)
			}
			if se.Offset != tc.offset || !strings.Contains(se.Msg, tc.msg) {
				t.Fatalf("Parse(%q): offset %d %q, want offset %d and %q", tc.line, se.Offset, se.Msg, tc.offset, tc.msg)
			}
		})
	}
}

func TestParseRealREC(t *testing.T) {
	m, err := Parse([]byte(realREC(t)))
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Fields("CNT TIME TIME_TICK FPOGX FPOGY FPOGS FPOGD FPOGID FPOGV LPOGX LPOGY LPOGV RPOGX RPOGY RPOGV " +
		"BPOGX BPOGY BPOGV LPCX LPCY LPD LPS LPV RPCX RPCY RPD RPS RPV LEYEX LEYEY LEYEZ LPUPILD LPUPILV " +
		"REYEX REYEY REYEZ RPUPILD RPUPILV CX CY CS USER")
	if m.Tag != "REC" || len(m.Attrs) != len(names) {
		t.Fatalf("tag %q with %d attributes, want REC with %d", m.Tag, len(m.Attrs), len(names))
	}
	for i, a := range m.Attrs {
		if a.Name != names[i] {
			t.Fatalf("attribute %d is %s, want %s", i, a.Name, names[i])
		}
	}
	for _, c := range []struct{ name, want string }{
		{"CNT", "43333"}, {"TIME_TICK", "1155508731205"}, {"LEYEX", "-0.17772"}, {"CX", "-0.56823"},
		{"RPUPILV", "1"}, {"USER", "STOP=1493309458542"},
	} {
		if v, ok := m.Get(c.name); !ok || v != c.want {
			t.Errorf("%s = %q, %v; want %q", c.name, v, ok, c.want)
		}
	}
	if v, ok := m.Float("FPOGS"); !ok || v != 712.65570 {
		t.Errorf("Float(FPOGS) = %v, %v", v, ok)
	}
	if v, ok := m.Int("FPOGID"); !ok || v != 927 {
		t.Errorf("Int(FPOGID) = %v, %v", v, ok)
	}
}

func TestParseCALTrace(t *testing.T) {
	lines := readLines(t, "cal_trace.txt")
	var tags, ids []string
	for _, l := range lines {
		m, err := Parse([]byte(l))
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		tags = append(tags, m.Tag)
		ids = append(ids, msgID(m))
	}
	wantIDs := []string{"CALIBRATE_START", "CALIB_START_PT", "CALIB_RESULT_PT", "CALIB_START_PT", "CALIB_RESULT_PT",
		"CALIB_START_PT", "CALIB_RESULT_PT", "CALIB_RESULT", "CALIBRATE_RESULT_SUMMARY"}
	if !reflect.DeepEqual(ids, wantIDs) || tags[0] != "ACK" || tags[7] != "CAL" || tags[8] != "ACK" {
		t.Fatalf("tags %v ids %v", tags, ids)
	}
	res, _ := Parse([]byte(lines[7]))
	pts, err := calPoints(res, Screen{Width: 1920, Height: 1080})
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 3 {
		t.Fatalf("%d points", len(pts))
	}
	want := CalPoint{X: 0.85, Y: 0.15, LX: 0.8412, LY: 0.1603, LV: true}
	got := pts[1]
	if got.X != want.X || got.Y != want.Y || got.LX != want.LX || got.LY != want.LY || !got.LV || got.RV {
		t.Fatalf("point 2 = %+v", got)
	}
	sum, _ := Parse([]byte(lines[8]))
	if v, ok := sum.Float("AVE_ERROR"); !ok || v != 11.27 {
		t.Fatalf("AVE_ERROR %v %v", v, ok)
	}
	if v, ok := sum.Int("VALID_POINTS"); !ok || v != 3 {
		t.Fatalf("VALID_POINTS %v %v", v, ok)
	}
}

func TestMessageGetters(t *testing.T) {
	m := msg("ACK", "ID", "A", "F", " 0.5 ", "N", "NaN", "I", "+60", "BIG", "99999999999999999999", "E", "1e3", "ID", "B")
	if v, _ := m.Get("ID"); v != "A" {
		t.Errorf("Get(ID) = %q, want the first", v)
	}
	if _, ok := m.Get("MISSING"); ok {
		t.Error("Get(MISSING) ok")
	}
	for _, c := range []struct {
		name string
		want float64
		ok   bool
	}{{"F", 0.5, true}, {"N", 0, false}, {"I", 60, true}, {"E", 1000, true}, {"ID", 0, false}, {"MISSING", 0, false}} {
		if v, ok := m.Float(c.name); v != c.want || ok != c.ok {
			t.Errorf("Float(%s) = %v, %v; want %v, %v", c.name, v, ok, c.want, c.ok)
		}
	}
	for _, c := range []struct {
		name string
		want int64
		ok   bool
	}{{"I", 60, true}, {"F", 0, false}, {"BIG", 0, false}, {"E", 0, false}, {"MISSING", 0, false}} {
		if v, ok := m.Int(c.name); v != c.want || ok != c.ok {
			t.Errorf("Int(%s) = %v, %v; want %v, %v", c.name, v, ok, c.want, c.ok)
		}
	}
}

func TestAppendMessage(t *testing.T) {
	for _, c := range []struct {
		m    Message
		want string
	}{
		{setMsg("ENABLE_SEND_COUNTER", Attr{"STATE", "1"}), `<SET ID="ENABLE_SEND_COUNTER" STATE="1" />` + "\r\n"},
		{getMsg("SCREEN_SIZE"), `<GET ID="SCREEN_SIZE" />` + "\r\n"},
		{setMsg("USER_DATA", Attr{"VALUE", "a \"b\" & <c>\r\n\x00'\t"}, Attr{"DUR", "1"}),
			`<SET ID="USER_DATA" VALUE="a &quot;b&quot; &amp; &lt;c&gt;&#13;&#10;&#0;'` + "\t" + `" DUR="1" />` + "\r\n"},
	} {
		if got := string(AppendMessage([]byte("x"), c.m)); got != "x"+c.want {
			t.Errorf("AppendMessage(%v)\n got %q\nwant %q", c.m, got, "x"+c.want)
		}
	}
}

// TestAppendParseRoundTrip: whatever Parse accepts, AppendMessage writes back in a form Parse
// reads as the same Message, on one line.
func TestAppendParseRoundTrip(t *testing.T) {
	lines := []string{realREC(t)}
	for _, c := range parseCases {
		lines = append(lines, c.line)
	}
	lines = append(lines, readLines(t, "cal_trace.txt")...)
	for _, l := range lines {
		checkRoundTrip(t, []byte(l))
	}
}

func checkRoundTrip(t *testing.T, line []byte) {
	t.Helper()
	m, err := Parse(line)
	if err != nil {
		return
	}
	wire := AppendMessage(nil, m)
	body, ok := bytes.CutSuffix(wire, []byte("\r\n"))
	if !ok || bytes.ContainsAny(body, "\r\n") {
		t.Fatalf("AppendMessage(Parse(%q)) = %q: not one CR LF ended line", line, wire)
	}
	back, err := Parse(body)
	if err != nil {
		t.Fatalf("Parse(AppendMessage(Parse(%q))) = %v (wire %q)", line, err, wire)
	}
	if !reflect.DeepEqual(back, m) && !(len(back.Attrs) == 0 && len(m.Attrs) == 0 && back.Tag == m.Tag) {
		t.Fatalf("round trip of %q\n got %#v\nwant %#v", line, back, m)
	}
}

// chunkReader returns its data a few bytes at a time, sizes cycling through sizes (1 if none).
type chunkReader struct {
	data  []byte
	sizes []int
	k     int
	err   error // returned with the last bytes, instead of a separate io.EOF
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := 1
	if len(r.sizes) > 0 {
		n = r.sizes[r.k%len(r.sizes)]
		r.k++
	}
	n = max(1, min(n, len(p), len(r.data)))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	if len(r.data) == 0 && r.err != nil {
		return n, r.err
	}
	return n, nil
}

// scanAll returns every line and the error that ended the scan.
func scanAll(s *Scanner) ([]string, error) {
	var out []string
	for {
		l, err := s.Next()
		if err != nil {
			return out, err
		}
		out = append(out, string(l))
	}
}

func TestScanner(t *testing.T) {
	rec := realREC(t)
	trace := strings.Join(readLines(t, "cal_trace.txt"), "\r\n") + "\r\n"
	for _, c := range []struct {
		name    string
		in      string
		sizes   []int
		eofWith bool // the reader returns io.EOF with the last bytes
		want    []string
		err     error
	}{
		{"CR LF", "a\r\nb\r\n", nil, false, []string{"a", "b"}, io.EOF},
		{"LF", "a\nb\n", []int{100}, false, []string{"a", "b"}, io.EOF},
		{"mixed and empty lines", "a\r\nb\nc\r\n\r\n\n", []int{3}, false, []string{"a", "b", "c", "", ""}, io.EOF},
		{"lone CR stays", "a\rb\n", []int{2}, false, []string{"a\rb"}, io.EOF},
		{"unterminated last line", "a\r\npartial", []int{4}, false, []string{"a"}, io.ErrUnexpectedEOF},
		{"CR at the end", "a\r", nil, false, nil, io.ErrUnexpectedEOF},
		{"EOF with the data", "a\nb\n", []int{8}, true, []string{"a", "b"}, io.EOF},
		{"empty stream", "", nil, false, nil, io.EOF},
		{"byte by byte", rec + "\r\n" + trace, []int{1}, false, append([]string{rec}, readLines(t, "cal_trace.txt")...), io.EOF},
		{"odd chunks", rec + "\r\n" + rec + "\n", []int{7, 1, 300, 2}, false, []string{rec, rec}, io.EOF},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &chunkReader{data: []byte(c.in), sizes: c.sizes}
			if c.eofWith {
				r.err = io.EOF
			}
			got, err := scanAll(NewScanner(r))
			if !reflect.DeepEqual(got, c.want) || err != c.err {
				t.Fatalf("lines %q, %v; want %q, %v", got, err, c.want, c.err)
			}
		})
	}
}

func TestScannerReadError(t *testing.T) {
	boom := errors.New("boom")
	got, err := scanAll(NewScanner(&chunkReader{data: []byte("a\nb\npart"), sizes: []int{3}, err: boom}))
	if !reflect.DeepEqual(got, []string{"a", "b"}) || err != boom {
		t.Fatalf("%q, %v", got, err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestScannerNoProgress(t *testing.T) {
	if _, err := NewScanner(zeroReader{}).Next(); err != io.ErrNoProgress {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
}

func TestScannerLineLimit(t *testing.T) {
	long := strings.Repeat("x", MaxLineLength)
	for _, c := range []struct {
		name, in string
		want     []string
		err      error
	}{
		{"longest line, CR LF", long + "\r\nok\n", []string{long, "ok"}, io.EOF},
		{"longest line, LF", long + "\nok\n", []string{long, "ok"}, io.EOF},
		{"one byte more, LF", long + "x\nok\n", nil, ErrLineTooLong},
		{"one byte more, CR LF", long + "x\r\nok\n", nil, ErrLineTooLong},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := scanAll(NewScanner(&chunkReader{data: []byte(c.in), sizes: []int{5000}}))
			if len(got) != len(c.want) || err != c.err || (len(got) > 1 && got[1] != "ok") {
				t.Fatalf("%d lines, %v; want %d, %v", len(got), err, len(c.want), c.err)
			}
		})
	}
}

// endless never ends a line.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.n += int64(len(p))
	return len(p), nil
}

func TestScannerEndlessLine(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	src := &endless{}
	s := NewScanner(src)
	_, err := s.Next()
	runtime.ReadMemStats(&after)
	if err != ErrLineTooLong {
		t.Fatalf("got %v, want ErrLineTooLong", err)
	}
	if _, err := s.Next(); err != ErrLineTooLong {
		t.Fatalf("second Next: %v, want ErrLineTooLong again", err)
	}
	if src.n > MaxLineLength+2 {
		t.Errorf("read %d bytes of an endless line, want at most %d", src.n, MaxLineLength+2)
	}
	// The buffer doubles from 4 KiB to the cap: about 2 × 64 KiB allocated in all.
	if got := after.TotalAlloc - before.TotalAlloc; got > 3*MaxLineLength {
		t.Errorf("allocated %d bytes for an endless line, want under %d", got, 3*MaxLineLength)
	}
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := NewScanner(&endless{}).Next(); err != ErrLineTooLong {
			t.Fatal(err)
		}
	})
	if allocs > 10 {
		t.Errorf("%v allocations per endless line, want at most 10", allocs)
	}
}

// TestParseGP3CalTrace reads a real GP3's calibration (testdata/gp3_cal_2017.txt, from
// PyOpenGaze's 2017 debug trace): 4 decimals in the per-point messages, 5 in CALIB_RESULT.
func TestParseGP3CalTrace(t *testing.T) {
	lines := readLines(t, "gp3_cal_2017.txt")
	var starts []CalEvent
	for _, l := range lines[:len(lines)-1] {
		m, err := Parse([]byte(l))
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if msgID(m) == "CALIB_START_PT" {
			x, _ := m.Float("CALX")
			y, _ := m.Float("CALY")
			starts = append(starts, CalEvent{Kind: CalPointStart, X: x, Y: y})
		}
	}
	if len(starts) != 5 || starts[1].X != 0.85 || starts[1].Y != 0.15 {
		t.Fatalf("CALIB_START_PT targets %+v, want 5 with the second at (0.85, 0.15)", starts)
	}
	res, err := Parse([]byte(lines[len(lines)-1]))
	if err != nil {
		t.Fatal(err)
	}
	pts, err := calPoints(res, Screen{Width: 1920, Height: 1080})
	if err != nil {
		t.Fatal(err)
	}
	want := CalPoint{X: 0.85, Y: 0.15, LX: 0.85058, LY: 0.15896, LV: true, RX: 0.84550, RY: 0.15082, RV: true}
	if len(pts) != 5 || pts[1].X != want.X || pts[1].LX != want.LX || pts[1].LY != want.LY || pts[1].RY != want.RY || !pts[1].LV || !pts[1].RV {
		t.Fatalf("%d points, point 2 = %+v; want 5, point 2 %+v", len(pts), pts[1], want)
	}
}
