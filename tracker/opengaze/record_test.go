package opengaze

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"sightline/tracker"
)

// realSample is what the record of docs/FORMATS.md §4 holds, field by field.
var realSample = tracker.Sample{
	CNT: 43333, Time: 712.77087, TimeTick: 1155508731205,
	FPOGX: 0.56816, FPOGY: 0.39911, FPOGS: 712.65570, FPOGD: 0.11517, FPOGID: 927, FPOGV: true,
	LPOGX: 0.57369, LPOGY: 0.41612, LPOGV: true,
	RPOGX: 0.59129, RPOGY: 0.43364, RPOGV: true,
	BPOGX: 0.58249, BPOGY: 0.42488, BPOGV: true,
	LPCX: 0.26159, LPCY: 0.46292, LPD: 15.62251, LPS: 1.04923, LPV: true,
	RPCX: 0.65861, RPCY: 0.44115, RPD: 18.38220, RPS: 1.05784, RPV: true,
	CX: -0.56823, CY: 0.59500, CS: 0,
	User: "STOP=1493309458542",
	// That device had no BLINK or PUPILMM fields enabled.
	Absent: tracker.FieldBKID | tracker.FieldBKDUR | tracker.FieldBKPMIN |
		tracker.FieldLPMM | tracker.FieldLPMMV | tracker.FieldRPMM | tracker.FieldRPMMV,
}

func TestDecodeRealREC(t *testing.T) {
	var s tracker.Sample
	seen, err := decodeRecord([]byte(realREC(t)), &s)
	if err != nil {
		t.Fatal(err)
	}
	if s != realSample {
		t.Fatalf("decoded\n%+v\nwant\n%+v", s, realSample)
	}
	// The real record has no BLINK or PUPILMM fields: they were not enabled on that device.
	for _, f := range []int{fBKID, fBKDUR, fBKPMIN, fLPMM, fLPMMV, fRPMM, fRPMMV} {
		if seen&(1<<f) != 0 {
			t.Errorf("field %d seen", f)
		}
	}
	if seen&(1<<fCNT) == 0 || seen&(1<<fUSER) == 0 {
		t.Errorf("CNT or USER not seen: %b", seen)
	}
}

var recordCases = []struct {
	name string
	line string
	want tracker.Sample // decoded onto a Sample with CNT 7 and User "old"
	err  string
}{
	{"blink and pupil mm", `<REC CNT="8" BKID="3" BKDUR="0.21000" BKPMIN="20" LPMM="3.50648" LPMMV="1" RPMM="3.56681" RPMMV="0" />`,
		tracker.Sample{CNT: 8, BKID: 3, BKDUR: 0.21, BKPMIN: 20, LPMM: 3.50648, LPMMV: true, RPMM: 3.56681, User: "old"}, ""},
	{"missing fields left alone", `<REC TIME="1.5" />`, tracker.Sample{CNT: 7, Time: 1.5, User: "old"}, ""},
	{"empty USER", `<REC USER="" />`, tracker.Sample{CNT: 7}, ""},
	{"USER with entities", `<REC USER="a &quot;b&quot; &amp; c" />`, tracker.Sample{CNT: 7, User: `a "b" & c`}, ""},
	{"first duplicate wins", `<REC CNT="1" CNT="2" />`, tracker.Sample{CNT: 1, User: "old"}, ""},
	{"unknown fields skipped", `<REC APOGX="0.5" KB="A" LEYEX="nonsense" CNT="9" />`, tracker.Sample{CNT: 9, User: "old"}, ""},
	{"spaces in numbers and flags", `<REC FPOGX=" 0.5 " FPOGV=" 1" CS="1" />`, tracker.Sample{CNT: 7, FPOGX: 0.5, FPOGV: true, CS: 1, User: "old"}, ""},
	{"flag other than 0 or 1", `<REC FPOGV="2" BPOGV="0" />`, tracker.Sample{CNT: 7, FPOGV: true, User: "old"}, ""},
	{"exponent and sign", `<REC FPOGX="+5e-1" CY="-.25" />`, tracker.Sample{CNT: 7, FPOGX: 0.5, CY: -0.25, User: "old"}, ""},
	{"single quotes, > close", `<REC CNT='10' >`, tracker.Sample{CNT: 10, User: "old"}, ""},
	{"bad number", `<REC CNT="9" FPOGX="0,5" />`, tracker.Sample{}, `byte 20: attribute FPOGX: "0,5" is not a valid number`},
	{"NaN is not a number", `<REC FPOGX="NaN" />`, tracker.Sample{}, "not a valid number"},
	{"integer with decimals", `<REC CNT="1.0" />`, tracker.Sample{}, "not a valid integer"},
	{"bad flag", `<REC FPOGV="yes" />`, tracker.Sample{}, "not a valid flag"},
	{"CS out of range", `<REC CS="99999999999" />`, tracker.Sample{}, "not a valid integer"},
	{"not a REC", `<ACK ID="X" />`, tracker.Sample{}, "expected a REC element"},
	{"RECORD is not REC", `<RECORD CNT="1" />`, tracker.Sample{}, "expected a REC element"},
	{"syntax error", `<REC CNT="1"`, tracker.Sample{}, "unterminated element"},
}

func TestDecodeRecord(t *testing.T) {
	for _, c := range recordCases {
		t.Run(c.name, func(t *testing.T) {
			s := tracker.Sample{CNT: 7, User: "old"}
			err := DecodeRecord([]byte(c.line), &s)
			if c.err != "" {
				var se *SyntaxError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("DecodeRecord(%q) = %v, want a SyntaxError with %q", c.line, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeRecord(%q): %v", c.line, err)
			}
			s.Absent = 0 // TestDecodeAbsent and FuzzRecord check it
			if s != c.want {
				t.Fatalf("DecodeRecord(%q)\n got %+v\nwant %+v", c.line, s, c.want)
			}
		})
	}
}

// TestDecodeAbsent: the fields a record lacks are named in Absent, so that they are written
// empty rather than as zeros; AppendRecord leaves them out again.
func TestDecodeAbsent(t *testing.T) {
	older := tracker.FieldBKID | tracker.FieldBKDUR | tracker.FieldBKPMIN | tracker.FieldLPMM |
		tracker.FieldLPMMV | tracker.FieldRPMM | tracker.FieldRPMMV
	full := realSample
	full.Absent = 0
	full.BKID, full.BKDUR, full.BKPMIN, full.LPMM, full.LPMMV = 4, 0.2, 12, 3.5, true
	for _, c := range []struct {
		name   string
		absent tracker.Fields
	}{{"every field", 0}, {"older GP3 firmware", older}, {"no pupils", tracker.FieldLPD | tracker.FieldRPD | tracker.FieldLPV}} {
		t.Run(c.name, func(t *testing.T) {
			in := full
			in.Absent = c.absent
			line := AppendRecord(nil, in)
			for _, n := range c.absent.Names() {
				if strings.Contains(string(line), " "+n+"=") {
					t.Fatalf("%s written though absent: %s", n, line)
				}
			}
			var got tracker.Sample
			if err := DecodeRecord(line, &got); err != nil {
				t.Fatal(err)
			}
			if got.Absent != c.absent {
				t.Fatalf("Absent %v, want %v (%s)", got.Absent.Names(), c.absent.Names(), line)
			}
			want := in
			for f := tracker.Fields(1); f&tracker.AllFields != 0; f <<= 1 {
				if c.absent&f != 0 { // left as they were: zero
					clearField(&want, f)
				}
			}
			if got != want {
				t.Fatalf("round trip\n got %+v\nwant %+v", got, want)
			}
		})
	}
	if got := older.Names(); strings.Join(got, ",") != "BKID,BKDUR,BKPMIN,LPMM,LPMMV,RPMM,RPMMV" {
		t.Fatalf("Names() = %v", got)
	}
}

func clearField(s *tracker.Sample, f tracker.Fields) {
	switch f {
	case tracker.FieldBKID:
		s.BKID = 0
	case tracker.FieldBKDUR:
		s.BKDUR = 0
	case tracker.FieldBKPMIN:
		s.BKPMIN = 0
	case tracker.FieldLPMM:
		s.LPMM = 0
	case tracker.FieldLPMMV:
		s.LPMMV = false
	case tracker.FieldRPMM:
		s.RPMM = 0
	case tracker.FieldRPMMV:
		s.RPMMV = false
	case tracker.FieldLPD:
		s.LPD = 0
	case tracker.FieldRPD:
		s.RPD = 0
	case tracker.FieldLPV:
		s.LPV = false
	}
}

func TestIsREC(t *testing.T) {
	for line, want := range map[string]bool{
		`<REC CNT="1" />`: true, ` <REC/>`: true, `<REC>`: true, `<REC`: true,
		`<RECX />`: false, `<ACK ID="REC" />`: false, `REC`: false, ``: false,
	} {
		if got := isREC([]byte(line)); got != want {
			t.Errorf("isREC(%q) = %v", line, got)
		}
	}
}

func TestAppendRecordRoundTrip(t *testing.T) {
	s := realSample
	s.BKID, s.BKDUR, s.BKPMIN = 4, 0.1875, 19
	s.LPMM, s.LPMMV, s.RPMM, s.RPMMV = 3.73376, true, 3.77511, true
	s.Absent = 0
	s.User = "case 3 \"start\" & <go>\r\nnext"
	line := AppendRecord(nil, s)
	if !strings.HasSuffix(string(line), " />\r\n") || strings.Count(string(line), "\n") != 1 {
		t.Fatalf("not one CR LF ended line: %q", line)
	}
	if !strings.HasPrefix(string(line), `<REC CNT="43333" TIME="712.77087" TIME_TICK="1155508731205" FPOGX="0.56816"`) {
		t.Fatalf("unexpected start: %q", line[:80])
	}
	var back tracker.Sample
	if err := DecodeRecord(line[:len(line)-2], &back); err != nil {
		t.Fatal(err)
	}
	if back != s {
		t.Fatalf("round trip\n got %+v\nwant %+v", back, s)
	}
}

func TestParseNumbersAgreeWithStrconv(t *testing.T) {
	inputs := []string{"0", "-0", "+0", "0.56816", "-0.17772", "712.77087", "1155508731205", ".5", "5.", "-.5",
		"00000000000000000000001.5", "9007199254740991", "9007199254740992", "9007199254740993",
		"0.1234567890123456789012", "0.12345678901234567890123", "1e5", "1E-5", "0x1p-2", "inf", "NaN", "1_0",
		"", ".", "-", "+", "1..2", "--1", "1e400", "4.9e-324", "123456789012345678", "1234567890123456789",
		"-9223372036854775808", "9223372036854775808"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 { // device-like decimals: up to 10 integer digits, up to 12 decimals
		in := strconv.FormatUint(r.Uint64N(1e10), 10)
		if d := r.IntN(13); d > 0 {
			in += "." + strconv.FormatUint(1e12+r.Uint64N(1e12), 10)[1:1+d]
		}
		if r.IntN(2) == 0 {
			in = "-" + in
		}
		inputs = append(inputs, in)
	}
	for _, in := range inputs {
		f, ok := parseFloat(in)
		wf, err := strconv.ParseFloat(in, 64)
		wok := err == nil && !math.IsInf(wf, 0) && !math.IsNaN(wf)
		if ok != wok || (ok && math.Float64bits(f) != math.Float64bits(wf)) {
			t.Errorf("parseFloat(%q) = %v, %v; strconv says %v, %v", in, f, ok, wf, err)
		}
		if fb, okb := parseFloat([]byte(in)); fb != f && !(math.IsNaN(fb) && math.IsNaN(f)) || okb != ok {
			t.Errorf("parseFloat([]byte(%q)) = %v, %v, differs from the string", in, fb, okb)
		}
		i, ok := parseInt(in)
		wi, err := strconv.ParseInt(in, 10, 64)
		if ok != (err == nil) || (ok && i != wi) {
			t.Errorf("parseInt(%q) = %v, %v; strconv says %v, %v", in, i, ok, wi, err)
		}
	}
}
