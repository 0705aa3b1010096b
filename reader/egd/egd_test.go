package egd

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"sightline/tracker"
	"sightline/tracker/opengaze"
)

// The three published fixation rows of EGD-CXR (docs/FORMATS.md §1), the ground truth for the format.
var publishedRows = []string{
	"1,0,1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b,45,0.72363,696216388878.0,0.45224,0.33879000000000004,0.01794,0.7056899999999999,2,1,0.46134,0.26619,1,0.37859,0.5943,18.33718,1.0527600000000001,1,0.6379,0.5979800000000001,18.19434,1.0606799999999998,1,0,0.0,20,3.5064800000000003,1,3.56681,1,0.0,0.0,0.0,998,1035",
	"1,0,1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b,68,1.09607,696220113269.0,0.44419,0.28933000000000003,0.73987,0.3562,3,1,0.37864000000000003,0.21775,1,0.37749,0.594,17.92645,1.0606799999999998,1,0.6367,0.59809,18.35567,1.06859,1,0,0.0,19,3.7337599999999997,1,3.7751099999999997,1,55.60791,106.13765,0.0,952,884",
	"1,0,1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b,86,1.3869,696223021482.0,0.39018,0.28168000000000004,1.11212,0.27478,4,1,0.38154,0.43718,1,0.37654,0.59767,18.143629999999998,1.0087899999999999,1,0.63485,0.60175,19.20525,1.0087899999999999,1,0,0.0,19,3.65403,1,3.8783199999999995,1,104.02783000000001,175.4447,0.0,642,860",
}

const publishedHeader = "SESSION_ID,MEDIA_ID,DICOM_ID,CNT,Time (in secs),TIMETICK(f=10000000),FPOGX,FPOGY,FPOGS,FPOGD,FPOGID,FPOGV,BPOGX,BPOGY,BPOGV,LPCX,LPCY,LPD,LPS,LPV,RPCX,RPCY,RPD,RPS,RPV,BKID,BKDUR,BKPMIN,LPMM,LPMMV,RPMM,RPMMV,SACCADE_MAG,SACCADE_DIR,VID_FRAME,X_ORIGINAL,Y_ORIGINAL"

const dicom = "1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b"

// publishedFields are the same three rows as typed-in field values.
var publishedFields = []RowFields{
	{SessionID: "1", MediaID: 0, DicomID: dicom, CNT: 45, Time: 0.72363, TimeTick: 696216388878,
		Sample: tracker.Sample{
			FPOGX: 0.45224, FPOGY: 0.33879000000000004, FPOGS: 0.01794, FPOGD: 0.7056899999999999, FPOGID: 2, FPOGV: true,
			BPOGX: 0.46134, BPOGY: 0.26619, BPOGV: true,
			LPCX: 0.37859, LPCY: 0.5943, LPD: 18.33718, LPS: 1.0527600000000001, LPV: true,
			RPCX: 0.6379, RPCY: 0.5979800000000001, RPD: 18.19434, RPS: 1.0606799999999998, RPV: true,
			BKID: 0, BKDUR: 0, BKPMIN: 20,
			LPMM: 3.5064800000000003, LPMMV: true, RPMM: 3.56681, RPMMV: true,
		},
		XOriginal: 998, YOriginal: 1035},
	{SessionID: "1", MediaID: 0, DicomID: dicom, CNT: 68, Time: 1.09607, TimeTick: 696220113269,
		Sample: tracker.Sample{
			FPOGX: 0.44419, FPOGY: 0.28933000000000003, FPOGS: 0.73987, FPOGD: 0.3562, FPOGID: 3, FPOGV: true,
			BPOGX: 0.37864000000000003, BPOGY: 0.21775, BPOGV: true,
			LPCX: 0.37749, LPCY: 0.594, LPD: 17.92645, LPS: 1.0606799999999998, LPV: true,
			RPCX: 0.6367, RPCY: 0.59809, RPD: 18.35567, RPS: 1.06859, RPV: true,
			BKID: 0, BKDUR: 0, BKPMIN: 19,
			LPMM: 3.7337599999999997, LPMMV: true, RPMM: 3.7751099999999997, RPMMV: true,
			SaccadeMag: 55.60791, SaccadeDir: 106.13765,
		},
		XOriginal: 952, YOriginal: 884},
	{SessionID: "1", MediaID: 0, DicomID: dicom, CNT: 86, Time: 1.3869, TimeTick: 696223021482,
		Sample: tracker.Sample{
			FPOGX: 0.39018, FPOGY: 0.28168000000000004, FPOGS: 1.11212, FPOGD: 0.27478, FPOGID: 4, FPOGV: true,
			BPOGX: 0.38154, BPOGY: 0.43718, BPOGV: true,
			LPCX: 0.37654, LPCY: 0.59767, LPD: 18.143629999999998, LPS: 1.0087899999999999, LPV: true,
			RPCX: 0.63485, RPCY: 0.60175, RPD: 19.20525, RPS: 1.0087899999999999, RPV: true,
			BKID: 0, BKDUR: 0, BKPMIN: 19,
			LPMM: 3.65403, LPMMV: true, RPMM: 3.8783199999999995, RPMMV: true,
			SaccadeMag: 104.02783000000001, SaccadeDir: 175.4447,
		},
		XOriginal: 642, YOriginal: 860},
}

func TestHeader(t *testing.T) {
	if len(GazeHeader) != NumColumns {
		t.Fatalf("%d columns, want %d", len(GazeHeader), NumColumns)
	}
	if got := string(AppendHeader(nil)); got != publishedHeader+"\n" {
		t.Fatalf("header\n got %q\nwant %q", got, publishedHeader)
	}
}

func TestPublishedRows(t *testing.T) {
	for i, want := range publishedRows {
		r := publishedFields[i]
		t.Run(want[:60], func(t *testing.T) {
			if got := string(AppendRow(nil, &r)); got != want+"\n" {
				t.Fatalf("AppendRow\n got %s\nwant %s", got, want)
			}
			if got := strings.Join(GazeRow(r), ","); got != want {
				t.Fatalf("GazeRow\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestReadPublishedRows(t *testing.T) {
	in := publishedHeader + "\n" + strings.Join(publishedRows, "\n") + "\n"
	var got []GazeRecord
	var lines []int
	err := ReadGaze(strings.NewReader(in), "fixations.csv", func(line int, g GazeRecord) error {
		got = append(got, g)
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d rows, want 3", len(got))
	}
	for i := range got {
		if lines[i] != i+2 {
			t.Errorf("row %d on line %d, want %d", i, lines[i], i+2)
		}
		want := publishedFields[i]
		want.Sample.CNT, want.Sample.Time, want.Sample.TimeTick, want.Sample.TickFreq = want.CNT, want.Time, want.TimeTick, TickHz
		if !sameRecord(got[i], want) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want)
		}
		// Published invariant of a fixation row, in the file's decimals.
		if d := got[i].Time - (got[i].Sample.FPOGS + got[i].Sample.FPOGD); math.Abs(d) > 1e-9 {
			t.Errorf("row %d: Time - (FPOGS+FPOGD) = %g", i, d)
		}
	}
}

func TestAppendFloat(t *testing.T) {
	cases := []struct {
		name string
		in   float64
		want string
	}{
		{"zero", 0, "0.0"},
		{"negative zero", math.Copysign(0, -1), "-0.0"},
		{"integral", 19, "19.0"},
		{"tick", 696216388878, "696216388878.0"},
		{"repr digits", 0.33879000000000004, "0.33879000000000004"},
		{"plain", 0.72363, "0.72363"},
		{"negative", -0.125, "-0.125"},
		{"smallest fixed", 0.0001, "0.0001"},
		{"python exponent small", 0.00001, "1e-05"},
		{"python exponent small digits", 1.5e-7, "1.5e-07"},
		{"largest fixed", 9999999999999998, "9999999999999998.0"},
		{"python exponent large", 1e16, "1e+16"},
		{"python exponent large digits", 1.2345678901234568e+17, "1.2345678901234568e+17"},
		{"nan is empty", math.NaN(), ""},
		{"inf", math.Inf(1), "inf"},
		{"minus inf", math.Inf(-1), "-inf"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := string(AppendFloat(nil, c.in)); got != c.want {
				t.Fatalf("AppendFloat(%v) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestQuoting(t *testing.T) {
	r := publishedFields[0]
	r.SessionID = `a,"b"`
	r.DicomID = "x\ny"
	line := AppendRow(nil, &r)
	if !bytes.HasPrefix(line, []byte(`"a,""b""",0,"x`+"\n"+`y",45,`)) {
		t.Fatalf("quoting: %q", line)
	}
	var got GazeRecord
	in := publishedHeader + "\n" + string(line)
	if err := ReadGaze(strings.NewReader(in), "q.csv", func(_ int, g GazeRecord) error { got = g; return nil }); err != nil {
		t.Fatal(err)
	}
	if got.SessionID != r.SessionID || got.DicomID != r.DicomID {
		t.Fatalf("read back %q %q", got.SessionID, got.DicomID)
	}
}

func TestTick10MHz(t *testing.T) {
	cases := []struct {
		name             string
		tick, freq, want int64
	}{
		{"identity", 696216388878, 10_000_000, 696216388878},
		{"unknown frequency", 42, 0, 42},
		{"QPC 3 MHz", 3_000_000, 3_000_000, 10_000_000},
		{"rounds toward zero", 1, 3, 3_333_333},
		{"negative rounds toward zero", -1, 3, -3_333_333},
		// 1e12 ticks × 1e7 overflows int64 unless done in 128 bits.
		{"1e12 at 2.5 GHz", 1_000_000_000_000, 2_500_000_000, 4_000_000_000},
		{"1e12 at 1 GHz plus one", 1_000_000_000_001, 1_000_000_000, 10_000_000_000},
		{"odd frequency exact", 1155508731205, 2_441_406, 4732964247671},
		{"max int64 at 10 GHz", math.MaxInt64, 10_000_000_000, math.MaxInt64 / 1000},
		{"saturates", math.MaxInt64, 1, math.MaxInt64},
		{"saturates negative", math.MinInt64, 1, math.MinInt64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Tick10MHz(c.tick, c.freq); got != c.want {
				t.Fatalf("Tick10MHz(%d, %d) = %d, want %d", c.tick, c.freq, got, c.want)
			}
		})
	}
}

func TestReadGazeErrors(t *testing.T) {
	good := publishedRows[0]
	fields := strings.Split(good, ",")
	with := func(col int, v string) string {
		f := append([]string(nil), fields...)
		f[col] = v
		return strings.Join(f, ",")
	}
	cases := []struct {
		name string
		in   string
		want string // substring of the error
	}{
		{"empty", "", "g.csv: empty file"},
		{"short header", "SESSION_ID,MEDIA_ID\n", "g.csv:1: header has 2 columns"},
		{"misspelt header", strings.Replace(publishedHeader, "Time (in secs)", "Time (in sec)", 1) + "\n", `g.csv:1: header column 5 is "Time (in sec)"`},
		{"header case", strings.Replace(publishedHeader, "FPOGX", "fpogx", 1) + "\n", "header column 7"},
		{"short row", publishedHeader + "\n" + good + "\n1,2,3\n", "g.csv:3: row has 3 fields, want 37"},
		{"bad float", publishedHeader + "\n" + with(6, "0.4x") + "\n", `g.csv:2: column 7 (FPOGX): not a number: "0.4x"`},
		{"bad int", publishedHeader + "\n" + with(3, "4.5") + "\n", `g.csv:2: column 4 (CNT): not an integer`},
		{"bad flag", publishedHeader + "\n" + with(11, "2") + "\n", `g.csv:2: column 12 (FPOGV): validity flag "2"`},
		{"bad tick", publishedHeader + "\n" + with(5, "abc") + "\n", `column 6 (TIMETICK(f=10000000))`},
		{"bad X_ORIGINAL", publishedHeader + "\n" + good + "\n" + with(35, "") + "\n", `g.csv:3: column 36 (X_ORIGINAL)`},
		{"bare quote", publishedHeader + "\n" + `1,0,a"b` + "\n", "g.csv: parse error on line 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ReadGaze(strings.NewReader(c.in), "g.csv", func(int, GazeRecord) error { return nil })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestReadGazeCallbackError(t *testing.T) {
	stop := errors.New("stop")
	in := publishedHeader + "\n" + strings.Join(publishedRows, "\n")
	n := 0
	err := ReadGaze(strings.NewReader(in), "g.csv", func(line int, _ GazeRecord) error {
		if n++; line == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "g.csv:3") || n != 2 {
		t.Fatalf("err %v after %d rows", err, n)
	}
}

func TestReadGazeTolerates(t *testing.T) {
	// A byte-order mark, CRLF line ends, integers written as floats, NaN as an empty field.
	f := strings.Split(publishedRows[0], ",")
	f[3], f[10], f[11], f[35], f[6] = "45.0", "2.0", "1.0", "998.0", ""
	in := "\ufeff" + publishedHeader + "\r\n" + strings.Join(f, ",") + "\r\n"
	var got GazeRecord
	if err := ReadGaze(strings.NewReader(in), "g.csv", func(_ int, g GazeRecord) error { got = g; return nil }); err != nil {
		t.Fatal(err)
	}
	if got.CNT != 45 || got.Sample.FPOGID != 2 || !got.Sample.FPOGV || got.XOriginal != 998 || !math.IsNaN(got.Sample.FPOGX) {
		t.Fatalf("got %+v", got)
	}
}

// sameRecord compares records field by field, NaN equal to NaN.
func sameRecord(a, b GazeRecord) bool {
	return slicesEqual(GazeRow(a), GazeRow(b)) && sameSample(a.Sample, b.Sample)
}

func sameSample(a, b tracker.Sample) bool {
	// Formatting is injective on the written fields up to NaN payloads and −0 in BKPMIN, so equal
	// text is equal data; also compare what the text does not carry.
	return a.CNT == b.CNT && a.TimeTick == b.TimeTick && a.TickFreq == b.TickFreq && a.Absent == b.Absent &&
		(a.Time == b.Time || math.IsNaN(a.Time) && math.IsNaN(b.Time))
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// olderFirmwareREC is a GP3 record from firmware that sends no blink or pupil-mm fields.
const olderFirmwareREC = `<REC CNT="43333" TIME="712.77087" TIME_TICK="1155508731205" FPOGX="0.56816" FPOGY="0.39911" FPOGS="712.65570" FPOGD="0.11517" FPOGID="927" FPOGV="1" LPOGX="0.57369" LPOGY="0.41612" LPOGV="1" RPOGX="0.59129" RPOGY="0.43364" RPOGV="1" BPOGX="0.58249" BPOGY="0.42488" BPOGV="1" LPCX="0.26159" LPCY="0.46292" LPD="15.62251" LPS="1.04923" LPV="1" RPCX="0.65861" RPCY="0.44115" RPD="18.38220" RPS="1.05784" RPV="1" CX="-0.56823" CY="0.59500" CS="0" USER="" />`

// TestAbsentFieldsWrittenEmpty: the fields a device's record lacks are empty cells, never
// zeros, and stay empty through a read and a write; a row with every field is unchanged.
func TestAbsentFieldsWrittenEmpty(t *testing.T) {
	var s tracker.Sample
	if err := opengaze.DecodeRecord([]byte(olderFirmwareREC), &s); err != nil {
		t.Fatal(err)
	}
	r := RowFields{SessionID: "s1", MediaID: 3, DicomID: dicom, CNT: 0, Time: 0, TimeTick: 42, Sample: s, XOriginal: 5, YOriginal: 6}
	row := AppendRow(nil, &r)
	cells := strings.Split(strings.TrimSuffix(string(row), "\n"), ",")
	empty := map[string]bool{"BKID": true, "BKDUR": true, "BKPMIN": true, "LPMM": true, "LPMMV": true, "RPMM": true, "RPMMV": true}
	for i, h := range GazeHeader {
		if empty[h] != (cells[i] == "") {
			t.Errorf("column %s = %q (absent from the record: %v)", h, cells[i], empty[h])
		}
	}
	if got := strings.Join(GazeRow(r), ","); got+"\n" != string(row) {
		t.Fatalf("GazeRow\n got %s\nwant %s", got, row)
	}
	in := append(AppendHeader(nil), row...)
	var back GazeRecord
	if err := ReadGaze(bytes.NewReader(in), "eye_gaze.csv", func(_ int, g GazeRecord) error { back = g; return nil }); err != nil {
		t.Fatal(err)
	}
	if back.Sample.Absent != s.Absent {
		t.Fatalf("read back absent %v, want %v", back.Sample.Absent.Names(), s.Absent.Names())
	}
	if again := AppendRow(nil, &back); !bytes.Equal(again, row) {
		t.Fatalf("round trip\n got %s\nwant %s", again, row)
	}
	// A zero that was measured stays a zero.
	full := r
	full.Sample.Absent = 0
	if c := strings.Split(string(AppendRow(nil, &full)), ","); c[25] != "0" || c[26] != "0.0" || c[29] != "0" {
		t.Fatalf("measured zeros written as %q %q %q", c[25], c[26], c[29])
	}
}

func FuzzReadGaze(f *testing.F) {
	f.Add([]byte(publishedHeader + "\n" + strings.Join(publishedRows, "\n") + "\n"))
	f.Add([]byte(publishedHeader + "\n" + publishedRows[0]))
	f.Add([]byte("\ufeff" + publishedHeader + "\r\n" + strings.Replace(publishedRows[1], ",0.0,", ",,", 1) + "\r\n"))
	q := publishedFields[1]
	q.SessionID, q.DicomID = `a,"b"`, "x\ny"
	f.Add(append(AppendHeader(nil), AppendRow(nil, &q)...))
	f.Add([]byte(publishedHeader + "\n1,2,3\n"))
	f.Add([]byte(publishedHeader + "\n" + strings.Replace(publishedRows[0], ",0,0.0,20,3.5064800000000003,1,3.56681,1,", ",,,,,,,,", 1) + "\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		var rows []GazeRecord
		err := ReadGaze(bytes.NewReader(data), "fuzz.csv", func(line int, g GazeRecord) error {
			if line < 2 {
				t.Fatalf("row on line %d", line)
			}
			rows = append(rows, g)
			return nil
		})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// What parsed must write back to text that parses to the same values.
		out := AppendHeader(nil)
		for i := range rows {
			out = AppendRow(out, &rows[i])
		}
		i := 0
		err = ReadGaze(bytes.NewReader(out), "again.csv", func(_ int, g GazeRecord) error {
			if i >= len(rows) {
				t.Fatalf("more rows on re-read")
			}
			if !sameRecord(g, rows[i]) {
				t.Fatalf("row %d changed on round trip:\n%+v\n%+v", i, rows[i], g)
			}
			i++
			return nil
		})
		if err != nil {
			t.Fatalf("re-read: %v\n%s", err, out)
		}
		if i != len(rows) {
			t.Fatalf("%d rows re-read, want %d", i, len(rows))
		}
	})
}

func BenchmarkAppendRow(b *testing.B) {
	r := publishedFields[2]
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendRow(buf[:0], &r)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.SetBytes(int64(len(buf)))
}

func BenchmarkReadGaze(b *testing.B) {
	var in []byte
	in = AppendHeader(in)
	for i := 0; i < 1000; i++ {
		r := publishedFields[i%3]
		in = AppendRow(in, &r)
	}
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := ReadGaze(bytes.NewReader(in), "b.csv", func(int, GazeRecord) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "rows/s")
}

// The lenient reader names each bad row with its line and reads the rows after it; what the
// strict reader refuses as a whole file, it reads as rows plus problems.
func TestReadGazeLenient(t *testing.T) {
	good := publishedRows[0]
	bad := strings.Replace(good, ",0.45224,", ",0.4x,", 1)
	cases := []struct {
		name     string
		in       string
		rows     int
		badLines []int
		fatal    string // substring of the error that stops the read
	}{
		{"whole", publishedHeader + "\n" + strings.Join(publishedRows, "\n") + "\n", 3, nil, ""},
		{"short row", publishedHeader + "\n" + good + "\n1,2,3\n" + good + "\n", 2, []int{3}, ""},
		{"bad field", publishedHeader + "\n" + bad + "\n" + good + "\n", 1, []int{2}, ""},
		{"bare quote", publishedHeader + "\n" + `1,0,a"b` + "\n" + good + "\n", 1, []int{2}, ""},
		{"cut last row", publishedHeader + "\n" + good + "\n" + good[:40], 1, []int{3}, ""},
		{"bad header", "SESSION_ID\n" + good + "\n", 0, nil, "g.csv:1: header has 1 columns"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rows []int
			var lines []int
			err := ReadGazeLenient(strings.NewReader(c.in), "g.csv", func(line int, _ GazeRecord) error {
				rows = append(rows, line)
				return nil
			}, func(line int, err error) {
				if err == nil || line < 2 {
					t.Errorf("bad row on line %d: %v", line, err)
				}
				lines = append(lines, line)
			})
			if c.fatal != "" {
				if err == nil || !strings.Contains(err.Error(), c.fatal) {
					t.Fatalf("error %v, want %q", err, c.fatal)
				}
				return
			}
			if err != nil || len(rows) != c.rows || !slicesEqualInt(lines, c.badLines) {
				t.Fatalf("rows on lines %v, bad lines %v, err %v; want %d rows, bad %v", rows, lines, err, c.rows, c.badLines)
			}
		})
	}
}

func slicesEqualInt(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzReadGazeLenient: never panics, never stops on a row, and its good rows are the rows the
// strict reader reads from the same file when the file has no bad row.
func FuzzReadGazeLenient(f *testing.F) {
	f.Add([]byte(publishedHeader + "\n" + strings.Join(publishedRows, "\n") + "\n"))
	f.Add([]byte(publishedHeader + "\n1,2,3\n" + publishedRows[0] + "\n"))
	f.Add([]byte(publishedHeader + "\n" + `1,0,a"b` + "\n\"x"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, bad := 0, 0
		err := ReadGazeLenient(bytes.NewReader(data), "fuzz.csv", func(int, GazeRecord) error { n++; return nil },
			func(line int, err error) {
				if line < 1 || err == nil {
					t.Fatalf("bad row at line %d: %v", line, err)
				}
				bad++
			})
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.csv") {
			t.Fatalf("error does not name the file: %v", err)
		}
		if err != nil || bad > 0 {
			return
		}
		strict := 0
		if err := ReadGaze(bytes.NewReader(data), "fuzz.csv", func(int, GazeRecord) error { strict++; return nil }); err != nil || strict != n {
			t.Fatalf("lenient read %d rows and no bad one; strict %d, %v", n, strict, err)
		}
	})
}
