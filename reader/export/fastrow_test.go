package export

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"sightline/reader/egd"
	"sightline/tracker"
)

var testID = identity{session: "1", media: "0", dicom: publishedID, newID: "7"}

// slowLine is the reference: egd.ReadGaze then egd.AppendRow with the new SESSION_ID, with the
// identity checked; ok is false when that path fails.
func slowLine(line string, id *identity) ([]byte, bool) {
	var out []byte
	err := egd.ReadGaze(strings.NewReader(gazeHeader+line+"\n"), "t", func(_ int, r egd.GazeRecord) error {
		if r.SessionID != id.session || strconv.Itoa(r.MediaID) != id.media || r.DicomID != id.dicom {
			return fmt.Errorf("identity")
		}
		r.SessionID = id.newID
		out = egd.AppendRow(out, &r)
		return nil
	})
	return out, err == nil && out != nil
}

// checkFast fails when fastLine accepts a line the slow path refuses or writes it differently.
func checkFast(t *testing.T, line string, id *identity) bool {
	t.Helper()
	fast, ok := fastLine(nil, []byte(line), id)
	if !ok {
		return false
	}
	slow, sok := slowLine(line, id)
	if !sok {
		t.Fatalf("fast path took a line the slow path refuses: %q", line)
	}
	if !bytes.Equal(fast, slow) {
		t.Fatalf("fast and slow differ for %q:\nfast %q\nslow %q", line, fast, slow)
	}
	return true
}

// withField replaces field i of the first published row.
func withField(i int, v string) string {
	f := strings.Split(publishedRows[0], ",")
	f[i] = v
	return strings.Join(f, ",")
}

// fastCases are lines and whether the fast path must take them; either way its output must be
// the slow path's.
var fastCases = []struct {
	name string
	line string
	fast bool
}{
	{"published 1", publishedRows[0], true},
	{"published 2", publishedRows[1], true},
	{"published 3", publishedRows[2], true},
	{"NaN pupil", withField(17, ""), true},
	{"infinity", withField(17, "inf"), true},
	{"Infinity spelled otherwise", withField(17, "+Inf"), true},
	{"nan spelled", withField(17, "nan"), true},
	{"exponent small", withField(6, "1e-05"), true},
	{"below 1e-4 in fixed", withField(6, "0.00001"), true},
	{"1e-4 exactly", withField(6, "0.0001"), true},
	{"trailing zero", withField(6, "0.50"), true},
	{"integer for a float", withField(6, "5"), true},
	{"negative zero", withField(32, "-0.0"), true},
	{"16 digits", withField(8, "0.1234567890123456"), true},
	{"17 digits, not shortest", withField(8, "0.12345678901234567"), true},
	{"large", withField(8, "12345678901234567.0"), true},
	{"1e16", withField(8, "1e+16"), true},
	{"leading zero", withField(8, "00.5"), true},
	{"plus sign", withField(8, "+0.5"), true},
	{"BKPMIN integral float", withField(27, "20.0"), true},
	{"BKPMIN fraction", withField(27, "19.5"), true},
	{"BKPMIN minus zero", withField(27, "-0"), true},
	{"BKPMIN minus zero float", withField(27, "-0.0"), true},
	{"BKPMIN empty", withField(27, ""), true},
	{"BKPMIN huge", withField(27, "9007199254740993"), true},
	{"absent BKID", withField(25, ""), true},
	{"absent FPOGID", withField(10, ""), true},
	{"absent flag", withField(29, ""), true},
	{"empty CNT", withField(3, ""), false},
	{"empty X_ORIGINAL", withField(35, ""), false},
	{"int as float", withField(3, "45.0"), false},
	{"int with plus", withField(3, "+45"), false},
	{"minus zero int", withField(35, "-0"), false},
	{"negative int", withField(35, "-1"), true},
	{"flag 2", withField(11, "2"), false},
	{"flag 1.0", withField(11, "1.0"), false},
	{"tick without .0", withField(5, "696216388878"), false},
	{"quoted field", withField(6, `"0.5"`), false},
	{"quoted id", withField(2, `"`+publishedID+`"`), false},
	{"carriage return", publishedRows[0] + "\r", false},
	{"other session", withField(0, "2"), false},
	{"other media", withField(1, "3"), false},
	{"other image", withField(2, "x"), false},
	{"too few fields", publishedRows[0][:strings.LastIndex(publishedRows[0], ",")], false},
	{"too many fields", publishedRows[0] + ",1", false},
	{"not a number", withField(6, "0.4x"), false},
	{"space", withField(6, " 0.5"), false},
	{"empty line", "", false},
}

func TestFastLineMatchesEgd(t *testing.T) {
	for _, tc := range fastCases {
		t.Run(tc.name, func(t *testing.T) {
			if took := checkFast(t, tc.line, &testID); took != tc.fast {
				t.Errorf("fast path took it: %v, want %v", took, tc.fast)
			}
		})
	}
	// The published rows pass through unchanged but for SESSION_ID.
	for _, r := range publishedRows {
		got, _ := fastLine(nil, []byte(r), &testID)
		if want := "7" + r[1:] + "\n"; string(got) != want {
			t.Errorf("got %s\nwant %s", got, want)
		}
	}
}

// Every row egd.AppendRow writes is taken by the fast path and comes out the same, for random
// values of every kind (floats of random bits, short decimals, integers, NaN, infinities).
func TestFastLineRandomRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	float := func() float64 {
		switch rng.IntN(8) {
		case 0:
			return math.Float64frombits(rng.Uint64())
		case 1:
			return float64(rng.IntN(2000)-1000) / 100
		case 2:
			return math.Round(rng.Float64()*1e5) / 1e5
		case 3:
			return []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 1e-4, 9.99e-5, 1e16, 1e15 + 0.5}[rng.IntN(9)]
		case 4:
			return rng.Float64() * math.Pow(10, float64(rng.IntN(40)-20))
		default:
			return rng.Float64()
		}
	}
	var buf []byte
	for i := 0; i < 20000; i++ {
		r := egd.RowFields{SessionID: "1", MediaID: 0, DicomID: publishedID, CNT: rng.Int64N(1 << 40), Time: float(),
			TimeTick: rng.Int64() >> uint(rng.IntN(63)), XOriginal: rng.IntN(5000) - 1, YOriginal: rng.IntN(5000) - 1}
		s := &r.Sample
		for _, p := range []*float64{&s.FPOGX, &s.FPOGY, &s.FPOGS, &s.FPOGD, &s.BPOGX, &s.BPOGY, &s.LPCX, &s.LPCY, &s.LPD,
			&s.LPS, &s.RPCX, &s.RPCY, &s.RPD, &s.RPS, &s.BKDUR, &s.BKPMIN, &s.LPMM, &s.RPMM, &s.SaccadeMag, &s.SaccadeDir} {
			*p = float()
		}
		if rng.IntN(2) == 0 {
			s.BKPMIN = float64(rng.IntN(60))
		}
		s.FPOGID, s.BKID, s.VidFrame = rng.Int64N(1<<50), rng.Int64N(100), rng.Int64N(1<<30)
		s.FPOGV, s.LPV = rng.IntN(2) == 0, rng.IntN(2) == 0
		if rng.IntN(4) == 0 {
			s.Absent = tracker.Fields(rng.Uint64()) & tracker.AllFields
		}
		buf = egd.AppendRow(buf[:0], &r)
		line := string(buf[:len(buf)-1])
		if !checkFast(t, line, &testID) {
			t.Fatalf("fast path refused a row AppendRow wrote: %q", line)
		}
	}
}

// FuzzFastLine: whatever the line, the fast path either declines or writes what the slow path
// writes. Seeded from the table.
func FuzzFastLine(f *testing.F) {
	for _, tc := range fastCases {
		f.Add(tc.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.Contains(line, "\n") {
			return // a line, by construction
		}
		checkFast(t, line, &testID)
	})
}
