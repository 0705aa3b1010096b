// Package egd reads and writes the EGD-CXR 37-column gaze and fixation rows (docs/FORMATS.md §1), with
// the numbers formatted exactly as pandas wrote them in the published dataset.
package egd

import (
	"math"
	"math/bits"
	"strconv"
	"strings"

	"sightline/tracker"
)

// GazeHeader is the header of eye_gaze.csv and fixations.csv, in order, spelled exactly as in the
// published dataset.
var GazeHeader = []string{
	"SESSION_ID", "MEDIA_ID", "DICOM_ID", "CNT", "Time (in secs)", "TIMETICK(f=10000000)",
	"FPOGX", "FPOGY", "FPOGS", "FPOGD", "FPOGID", "FPOGV",
	"BPOGX", "BPOGY", "BPOGV",
	"LPCX", "LPCY", "LPD", "LPS", "LPV",
	"RPCX", "RPCY", "RPD", "RPS", "RPV",
	"BKID", "BKDUR", "BKPMIN",
	"LPMM", "LPMMV", "RPMM", "RPMMV",
	"SACCADE_MAG", "SACCADE_DIR", "VID_FRAME",
	"X_ORIGINAL", "Y_ORIGINAL",
}

// NumColumns is the number of columns of a gaze or fixation row.
const NumColumns = 37

// TickHz is the frequency of the TIMETICK column.
const TickHz = 10_000_000

// RowFields is one row of eye_gaze.csv or fixations.csv.
type RowFields struct {
	SessionID string
	MediaID   int
	DicomID   string
	CNT       int64   // per-image record counter (restarts for every image)
	Time      float64 // per-image seconds (restarts for every image)
	TimeTick  int64   // monotonic tick at TickHz (see Tick10MHz); does not restart

	// Sample carries the device fields FPOG*, BPOG*, pupils, blinks, pupil mm, saccade and video
	// frame. Its own CNT, Time, TimeTick, Host, LPOG*/RPOG*, cursor and User are not part of the
	// layout and are ignored when writing.
	Sample tracker.Sample

	// XOriginal, YOriginal are the DICOM pixel the fixation point fell on (−1 outside the image).
	XOriginal, YOriginal int
}

// GazeRecord is a row read back by ReadGaze. Its Sample also gets CNT, Time and TimeTick (with
// TickFreq = TickHz) from the row, so that it can be replayed as a sample.
type GazeRecord = RowFields

// AppendHeader appends the CSV header line (with its "\n") to dst.
func AppendHeader(dst []byte) []byte {
	for i, h := range GazeHeader {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, h)
	}
	return append(dst, '\n')
}

// AppendRow appends r as one CSV line (with its "\n") to dst, formatted as pandas wrote the
// published files. The device fields the sample's record lacked (Sample.Absent) are written
// empty, as pandas writes a missing value, never as a 0 that could pass for a measurement. It
// does not allocate when dst has room.
func AppendRow(dst []byte, r *RowFields) []byte {
	s := &r.Sample
	a := s.Absent
	dst = appendString(dst, r.SessionID)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(r.MediaID), 10)
	dst = append(dst, ',')
	dst = appendString(dst, r.DicomID)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, r.CNT, 10)
	dst = append(dst, ',')
	dst = AppendFloat(dst, r.Time)
	dst = append(dst, ',')
	dst = appendIntFloat(dst, r.TimeTick)
	dst = appendF(dst, s.FPOGX, a&tracker.FieldFPOGX)
	dst = appendF(dst, s.FPOGY, a&tracker.FieldFPOGY)
	dst = appendF(dst, s.FPOGS, a&tracker.FieldFPOGS)
	dst = appendF(dst, s.FPOGD, a&tracker.FieldFPOGD)
	dst = appendI(dst, s.FPOGID, a&tracker.FieldFPOGID)
	dst = appendB(dst, s.FPOGV, a&tracker.FieldFPOGV)
	dst = appendF(dst, s.BPOGX, a&tracker.FieldBPOGX)
	dst = appendF(dst, s.BPOGY, a&tracker.FieldBPOGY)
	dst = appendB(dst, s.BPOGV, a&tracker.FieldBPOGV)
	dst = appendF(dst, s.LPCX, a&tracker.FieldLPCX)
	dst = appendF(dst, s.LPCY, a&tracker.FieldLPCY)
	dst = appendF(dst, s.LPD, a&tracker.FieldLPD)
	dst = appendF(dst, s.LPS, a&tracker.FieldLPS)
	dst = appendB(dst, s.LPV, a&tracker.FieldLPV)
	dst = appendF(dst, s.RPCX, a&tracker.FieldRPCX)
	dst = appendF(dst, s.RPCY, a&tracker.FieldRPCY)
	dst = appendF(dst, s.RPD, a&tracker.FieldRPD)
	dst = appendF(dst, s.RPS, a&tracker.FieldRPS)
	dst = appendB(dst, s.RPV, a&tracker.FieldRPV)
	dst = appendI(dst, s.BKID, a&tracker.FieldBKID)
	dst = appendF(dst, s.BKDUR, a&tracker.FieldBKDUR)
	dst = append(dst, ',')
	if a&tracker.FieldBKPMIN == 0 {
		dst = appendBKPMIN(dst, s.BKPMIN)
	}
	dst = appendF(dst, s.LPMM, a&tracker.FieldLPMM)
	dst = appendB(dst, s.LPMMV, a&tracker.FieldLPMMV)
	dst = appendF(dst, s.RPMM, a&tracker.FieldRPMM)
	dst = appendB(dst, s.RPMMV, a&tracker.FieldRPMMV)
	dst = appendF(dst, s.SaccadeMag, 0)
	dst = appendF(dst, s.SaccadeDir, 0)
	dst = append(dst, ',')
	dst = appendIntFloat(dst, s.VidFrame)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(r.XOriginal), 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(r.YOriginal), 10)
	return append(dst, '\n')
}

// GazeRow returns r as its 37 fields, unquoted, formatted as AppendRow formats them.
func GazeRow(r RowFields) []string {
	s := &r.Sample
	a := s.Absent
	f := func(x float64, bit tracker.Fields) string {
		if a&bit != 0 {
			return ""
		}
		return string(AppendFloat(nil, x))
	}
	b := func(v bool, bit tracker.Fields) string {
		switch {
		case a&bit != 0:
			return ""
		case v:
			return "1"
		}
		return "0"
	}
	i := func(v int64, bit tracker.Fields) string {
		if a&bit != 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	bk := ""
	if a&tracker.FieldBKPMIN == 0 {
		bk = string(appendBKPMIN(nil, s.BKPMIN))
	}
	return []string{
		r.SessionID, i(int64(r.MediaID), 0), r.DicomID, i(r.CNT, 0), f(r.Time, 0), string(appendIntFloat(nil, r.TimeTick)),
		f(s.FPOGX, tracker.FieldFPOGX), f(s.FPOGY, tracker.FieldFPOGY), f(s.FPOGS, tracker.FieldFPOGS),
		f(s.FPOGD, tracker.FieldFPOGD), i(s.FPOGID, tracker.FieldFPOGID), b(s.FPOGV, tracker.FieldFPOGV),
		f(s.BPOGX, tracker.FieldBPOGX), f(s.BPOGY, tracker.FieldBPOGY), b(s.BPOGV, tracker.FieldBPOGV),
		f(s.LPCX, tracker.FieldLPCX), f(s.LPCY, tracker.FieldLPCY), f(s.LPD, tracker.FieldLPD),
		f(s.LPS, tracker.FieldLPS), b(s.LPV, tracker.FieldLPV),
		f(s.RPCX, tracker.FieldRPCX), f(s.RPCY, tracker.FieldRPCY), f(s.RPD, tracker.FieldRPD),
		f(s.RPS, tracker.FieldRPS), b(s.RPV, tracker.FieldRPV),
		i(s.BKID, tracker.FieldBKID), f(s.BKDUR, tracker.FieldBKDUR), bk,
		f(s.LPMM, tracker.FieldLPMM), b(s.LPMMV, tracker.FieldLPMMV), f(s.RPMM, tracker.FieldRPMM), b(s.RPMMV, tracker.FieldRPMMV),
		f(s.SaccadeMag, 0), f(s.SaccadeDir, 0), string(appendIntFloat(nil, s.VidFrame)),
		i(int64(r.XOriginal), 0), i(int64(r.YOriginal), 0),
	}
}

// colField is the device field each column holds (0 for the others), matched by name.
var colField = func() (m [NumColumns]tracker.Fields) {
	for f := tracker.Fields(1); f&tracker.AllFields != 0; f <<= 1 {
		for i, h := range GazeHeader {
			if h == f.Names()[0] {
				m[i] = f
			}
		}
	}
	return m
}()

// appendF, appendI and appendB write a comma and the field, nothing after the comma when the
// field is absent.
func appendF(dst []byte, x float64, absent tracker.Fields) []byte {
	dst = append(dst, ',')
	if absent != 0 {
		return dst
	}
	return AppendFloat(dst, x)
}

func appendI(dst []byte, v int64, absent tracker.Fields) []byte {
	dst = append(dst, ',')
	if absent != 0 {
		return dst
	}
	return strconv.AppendInt(dst, v, 10)
}

func appendB(dst []byte, v bool, absent tracker.Fields) []byte {
	if absent != 0 {
		return append(dst, ',')
	}
	return appendBool(dst, v)
}

// AppendFloat appends x as Python's repr (what pandas' to_csv writes): the shortest decimal that
// reads back as the same float64, an integral value with ".0", exponent notation only outside
// [1e-4, 1e16) as Python does ("1e-05", "1e+16"). NaN is written as an empty field (pandas'
// default na_rep) and infinities as "inf" and "-inf".
func AppendFloat(dst []byte, x float64) []byte {
	switch {
	case math.IsNaN(x):
		return dst
	case math.IsInf(x, 1):
		return append(dst, "inf"...)
	case math.IsInf(x, -1):
		return append(dst, "-inf"...)
	}
	if a := math.Abs(x); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.AppendFloat(dst, x, 'e', -1, 64)
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, x, 'f', -1, 64)
	for _, c := range dst[n:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, '.', '0')
}

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, ',', '1')
	}
	return append(dst, ',', '0')
}

// appendIntFloat writes an integer the way pandas writes it from a float column. The digits are
// exact for any int64, which float64 is not beyond 2^53; ticks that large do not occur.
func appendIntFloat(dst []byte, v int64) []byte {
	dst = strconv.AppendInt(dst, v, 10)
	return append(dst, '.', '0')
}

// appendBKPMIN writes blinks per minute as an integer when it is one, as the published rows do.
func appendBKPMIN(dst []byte, x float64) []byte {
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 && !(x == 0 && math.Signbit(x)) {
		return strconv.AppendInt(dst, int64(x), 10)
	}
	return AppendFloat(dst, x)
}

// appendString quotes like Python's csv.QUOTE_MINIMAL: only fields holding the separator, a
// quote or a line break.
func appendString(dst []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// Tick10MHz converts a device tick counting at freq Hz to the 10 MHz TIMETICK scale, rounding
// toward zero, with exact integer arithmetic (a 128-bit intermediate, so 1e12-sized ticks at any
// frequency neither overflow nor lose digits). Results beyond the int64 range saturate. A freq of
// zero or less means the frequency is unknown and tick is returned unchanged; callers that care
// must check the frequency themselves.
func Tick10MHz(tick, freq int64) int64 {
	if freq <= 0 {
		return tick
	}
	if freq == TickHz {
		return tick
	}
	neg := tick < 0
	u := uint64(tick)
	if neg {
		u = -u // two's complement magnitude, also right for MinInt64
	}
	hi, lo := bits.Mul64(u, TickHz)
	f := uint64(freq)
	var q uint64
	if hi >= f {
		q = math.MaxUint64 // quotient does not fit in 64 bits
	} else {
		q, _ = bits.Div64(hi, lo, f)
	}
	if neg {
		if q > 1<<63 {
			return math.MinInt64
		}
		return -int64(q)
	}
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}
