// Package egd reads and writes the EGD-CXR 37-column gaze and fixation rows (FORMATS.md §1), with
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
// published files. It does not allocate when dst has room.
func AppendRow(dst []byte, r *RowFields) []byte {
	s := &r.Sample
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
	dst = appendFloats(dst, s.FPOGX, s.FPOGY, s.FPOGS, s.FPOGD)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, s.FPOGID, 10)
	dst = appendBool(dst, s.FPOGV)
	dst = appendFloats(dst, s.BPOGX, s.BPOGY)
	dst = appendBool(dst, s.BPOGV)
	dst = appendFloats(dst, s.LPCX, s.LPCY, s.LPD, s.LPS)
	dst = appendBool(dst, s.LPV)
	dst = appendFloats(dst, s.RPCX, s.RPCY, s.RPD, s.RPS)
	dst = appendBool(dst, s.RPV)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, s.BKID, 10)
	dst = appendFloats(dst, s.BKDUR)
	dst = append(dst, ',')
	dst = appendBKPMIN(dst, s.BKPMIN)
	dst = appendFloats(dst, s.LPMM)
	dst = appendBool(dst, s.LPMMV)
	dst = appendFloats(dst, s.RPMM)
	dst = appendBool(dst, s.RPMMV)
	dst = appendFloats(dst, s.SaccadeMag, s.SaccadeDir)
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
	f := func(x float64) string { return string(AppendFloat(nil, x)) }
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	return []string{
		r.SessionID, i(int64(r.MediaID)), r.DicomID, i(r.CNT), f(r.Time), string(appendIntFloat(nil, r.TimeTick)),
		f(s.FPOGX), f(s.FPOGY), f(s.FPOGS), f(s.FPOGD), i(s.FPOGID), b(s.FPOGV),
		f(s.BPOGX), f(s.BPOGY), b(s.BPOGV),
		f(s.LPCX), f(s.LPCY), f(s.LPD), f(s.LPS), b(s.LPV),
		f(s.RPCX), f(s.RPCY), f(s.RPD), f(s.RPS), b(s.RPV),
		i(s.BKID), f(s.BKDUR), string(appendBKPMIN(nil, s.BKPMIN)),
		f(s.LPMM), b(s.LPMMV), f(s.RPMM), b(s.RPMMV),
		f(s.SaccadeMag), f(s.SaccadeDir), string(appendIntFloat(nil, s.VidFrame)),
		i(int64(r.XOriginal)), i(int64(r.YOriginal)),
	}
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

func appendFloats(dst []byte, xs ...float64) []byte {
	for _, x := range xs {
		dst = append(dst, ',')
		dst = AppendFloat(dst, x)
	}
	return dst
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
