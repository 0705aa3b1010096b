package opengaze

import (
	"bytes"
	"math"
	"strconv"

	"sightline/tracker"
)

// The REC fields that tracker.Sample carries, by bit in a seen-set.
const (
	fCNT = iota
	fTIME
	fTIMETICK
	fFPOGX
	fFPOGY
	fFPOGS
	fFPOGD
	fFPOGID
	fFPOGV
	fLPOGX
	fLPOGY
	fLPOGV
	fRPOGX
	fRPOGY
	fRPOGV
	fBPOGX
	fBPOGY
	fBPOGV
	fLPCX
	fLPCY
	fLPD
	fLPS
	fLPV
	fRPCX
	fRPCY
	fRPD
	fRPS
	fRPV
	fBKID
	fBKDUR
	fBKPMIN
	fLPMM
	fLPMMV
	fRPMM
	fRPMMV
	fCX
	fCY
	fCS
	fUSER
	numFields
)

// lookupField maps an attribute name to its field, or -1 for one the Sample does not carry.
func lookupField(name []byte) int {
	switch string(name) {
	case "CNT":
		return fCNT
	case "TIME":
		return fTIME
	case "TIME_TICK":
		return fTIMETICK
	case "FPOGX":
		return fFPOGX
	case "FPOGY":
		return fFPOGY
	case "FPOGS":
		return fFPOGS
	case "FPOGD":
		return fFPOGD
	case "FPOGID":
		return fFPOGID
	case "FPOGV":
		return fFPOGV
	case "LPOGX":
		return fLPOGX
	case "LPOGY":
		return fLPOGY
	case "LPOGV":
		return fLPOGV
	case "RPOGX":
		return fRPOGX
	case "RPOGY":
		return fRPOGY
	case "RPOGV":
		return fRPOGV
	case "BPOGX":
		return fBPOGX
	case "BPOGY":
		return fBPOGY
	case "BPOGV":
		return fBPOGV
	case "LPCX":
		return fLPCX
	case "LPCY":
		return fLPCY
	case "LPD":
		return fLPD
	case "LPS":
		return fLPS
	case "LPV":
		return fLPV
	case "RPCX":
		return fRPCX
	case "RPCY":
		return fRPCY
	case "RPD":
		return fRPD
	case "RPS":
		return fRPS
	case "RPV":
		return fRPV
	case "BKID":
		return fBKID
	case "BKDUR":
		return fBKDUR
	case "BKPMIN":
		return fBKPMIN
	case "LPMM":
		return fLPMM
	case "LPMMV":
		return fLPMMV
	case "RPMM":
		return fRPMM
	case "RPMMV":
		return fRPMMV
	case "CX":
		return fCX
	case "CY":
		return fCY
	case "CS":
		return fCS
	case "USER":
		return fUSER
	}
	return -1
}

// DecodeRecord fills s from a REC line, the hot path of a stream: it builds no Message and
// allocates nothing but the USER string when there is one. It accepts exactly the lines Parse
// accepts, reads the fields the Sample carries (the first of duplicates, as Message.Get does),
// skips the others (LEYEX, APOGX, ...) and leaves the fields the record lacks as they were,
// naming them in s.Absent. Host, TickFreq, the saccade and the gap fields are the client's to
// fill.
func DecodeRecord(line []byte, s *tracker.Sample) error {
	_, err := decodeRecord(line, s)
	return err
}

// sampleField maps each record field to the tracker.Fields bit it fills (0: none, as for CNT).
var sampleField = func() (m [numFields]tracker.Fields) {
	for f := tracker.Fields(1); f&tracker.AllFields != 0; f <<= 1 {
		if i := lookupField([]byte(f.Names()[0])); i >= 0 {
			m[i] = f
		}
	}
	return m
}()

// deviceSeen is the seen-set of a record with every device field.
var deviceSeen = func() (seen uint64) {
	for i, f := range sampleField {
		if f != 0 {
			seen |= 1 << i
		}
	}
	return seen
}()

// absent names the device fields a record with this seen-set lacked.
func absent(seen uint64) tracker.Fields {
	missing := deviceSeen &^ seen
	var a tracker.Fields
	for i := 0; missing != 0; i++ {
		if missing&(1<<i) != 0 {
			a |= sampleField[i]
			missing &^= 1 << i
		}
	}
	return a
}

// decodeRecord is DecodeRecord, also telling which fields the record had.
func decodeRecord(line []byte, s *tracker.Sample) (seen uint64, err error) {
	lx := lexer{line: line}
	ts, te, err := lx.open()
	if err != nil {
		return 0, err
	}
	if string(line[ts:te]) != "REC" {
		return 0, syntaxErr(ts, "expected a REC element, found %s", clip(line[ts:te]))
	}
	var a span
	for {
		done, err := lx.next(&a)
		if err != nil {
			return seen, err
		}
		if done {
			s.Absent = absent(seen)
			return seen, nil
		}
		f := lookupField(line[a.ns:a.ne])
		if f < 0 || seen&(1<<f) != 0 {
			continue
		}
		seen |= 1 << f
		raw := line[a.vs:a.ve]
		if a.amp {
			raw = []byte(unescape(raw)) // a device never escapes numbers; stay correct if one did
		}
		if !setField(s, f, raw) {
			return seen, syntaxErr(a.vs, "attribute %s: %s is not a valid %s", line[a.ns:a.ne], clip(raw), fieldKind(f))
		}
	}
}

func fieldKind(f int) string {
	switch f {
	case fCNT, fTIMETICK, fFPOGID, fBKID, fCS:
		return "integer"
	case fFPOGV, fLPOGV, fRPOGV, fBPOGV, fLPV, fRPV, fLPMMV, fRPMMV:
		return "flag"
	}
	return "number"
}

// setField parses raw into field f of s.
func setField(s *tracker.Sample, f int, raw []byte) bool {
	var ok bool
	switch f {
	case fCNT:
		s.CNT, ok = parseInt(raw)
	case fTIME:
		s.Time, ok = parseFloat(raw)
	case fTIMETICK:
		s.TimeTick, ok = parseInt(raw)
	case fFPOGX:
		s.FPOGX, ok = parseFloat(raw)
	case fFPOGY:
		s.FPOGY, ok = parseFloat(raw)
	case fFPOGS:
		s.FPOGS, ok = parseFloat(raw)
	case fFPOGD:
		s.FPOGD, ok = parseFloat(raw)
	case fFPOGID:
		s.FPOGID, ok = parseInt(raw)
	case fFPOGV:
		s.FPOGV, ok = parseBool(raw)
	case fLPOGX:
		s.LPOGX, ok = parseFloat(raw)
	case fLPOGY:
		s.LPOGY, ok = parseFloat(raw)
	case fLPOGV:
		s.LPOGV, ok = parseBool(raw)
	case fRPOGX:
		s.RPOGX, ok = parseFloat(raw)
	case fRPOGY:
		s.RPOGY, ok = parseFloat(raw)
	case fRPOGV:
		s.RPOGV, ok = parseBool(raw)
	case fBPOGX:
		s.BPOGX, ok = parseFloat(raw)
	case fBPOGY:
		s.BPOGY, ok = parseFloat(raw)
	case fBPOGV:
		s.BPOGV, ok = parseBool(raw)
	case fLPCX:
		s.LPCX, ok = parseFloat(raw)
	case fLPCY:
		s.LPCY, ok = parseFloat(raw)
	case fLPD:
		s.LPD, ok = parseFloat(raw)
	case fLPS:
		s.LPS, ok = parseFloat(raw)
	case fLPV:
		s.LPV, ok = parseBool(raw)
	case fRPCX:
		s.RPCX, ok = parseFloat(raw)
	case fRPCY:
		s.RPCY, ok = parseFloat(raw)
	case fRPD:
		s.RPD, ok = parseFloat(raw)
	case fRPS:
		s.RPS, ok = parseFloat(raw)
	case fRPV:
		s.RPV, ok = parseBool(raw)
	case fBKID:
		s.BKID, ok = parseInt(raw)
	case fBKDUR:
		s.BKDUR, ok = parseFloat(raw)
	case fBKPMIN:
		s.BKPMIN, ok = parseFloat(raw)
	case fLPMM:
		s.LPMM, ok = parseFloat(raw)
	case fLPMMV:
		s.LPMMV, ok = parseBool(raw)
	case fRPMM:
		s.RPMM, ok = parseFloat(raw)
	case fRPMMV:
		s.RPMMV, ok = parseBool(raw)
	case fCX:
		s.CX, ok = parseFloat(raw)
	case fCY:
		s.CY, ok = parseFloat(raw)
	case fCS:
		var v int64
		v, ok = parseInt(raw)
		ok = ok && v >= math.MinInt32 && v <= math.MaxInt32
		if ok {
			s.CS = int(v)
		}
	case fUSER:
		s.User, ok = string(raw), true
	}
	return ok
}

// isREC reports whether line holds a REC element, without parsing it.
func isREC(line []byte) bool {
	i := 0
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	rest := line[i:]
	if !bytes.HasPrefix(rest, []byte("<REC")) {
		return false
	}
	return len(rest) == 4 || !isNameByte(rest[4])
}

// AppendRecord appends s as a REC line with every field the Sample carries, in the order a
// Gazepoint sends them and with its five decimals, ended by CR LF. It is for simulators and
// tests; Host, TickFreq, the saccade and the gap fields are not part of a record.
func AppendRecord(dst []byte, s tracker.Sample) []byte {
	w := recWriter{b: append(dst, "<REC"...), absent: s.Absent}
	w.int(0, "CNT", s.CNT)
	w.float(0, "TIME", s.Time)
	w.int(0, "TIME_TICK", s.TimeTick)
	w.float(tracker.FieldFPOGX, "FPOGX", s.FPOGX)
	w.float(tracker.FieldFPOGY, "FPOGY", s.FPOGY)
	w.float(tracker.FieldFPOGS, "FPOGS", s.FPOGS)
	w.float(tracker.FieldFPOGD, "FPOGD", s.FPOGD)
	w.int(tracker.FieldFPOGID, "FPOGID", s.FPOGID)
	w.flag(tracker.FieldFPOGV, "FPOGV", s.FPOGV)
	w.float(tracker.FieldLPOGX, "LPOGX", s.LPOGX)
	w.float(tracker.FieldLPOGY, "LPOGY", s.LPOGY)
	w.flag(tracker.FieldLPOGV, "LPOGV", s.LPOGV)
	w.float(tracker.FieldRPOGX, "RPOGX", s.RPOGX)
	w.float(tracker.FieldRPOGY, "RPOGY", s.RPOGY)
	w.flag(tracker.FieldRPOGV, "RPOGV", s.RPOGV)
	w.float(tracker.FieldBPOGX, "BPOGX", s.BPOGX)
	w.float(tracker.FieldBPOGY, "BPOGY", s.BPOGY)
	w.flag(tracker.FieldBPOGV, "BPOGV", s.BPOGV)
	w.float(tracker.FieldLPCX, "LPCX", s.LPCX)
	w.float(tracker.FieldLPCY, "LPCY", s.LPCY)
	w.float(tracker.FieldLPD, "LPD", s.LPD)
	w.float(tracker.FieldLPS, "LPS", s.LPS)
	w.flag(tracker.FieldLPV, "LPV", s.LPV)
	w.float(tracker.FieldRPCX, "RPCX", s.RPCX)
	w.float(tracker.FieldRPCY, "RPCY", s.RPCY)
	w.float(tracker.FieldRPD, "RPD", s.RPD)
	w.float(tracker.FieldRPS, "RPS", s.RPS)
	w.flag(tracker.FieldRPV, "RPV", s.RPV)
	w.float(tracker.FieldCX, "CX", s.CX)
	w.float(tracker.FieldCY, "CY", s.CY)
	w.int(tracker.FieldCS, "CS", int64(s.CS))
	w.int(tracker.FieldBKID, "BKID", s.BKID)
	w.float(tracker.FieldBKDUR, "BKDUR", s.BKDUR)
	if w.attr(tracker.FieldBKPMIN, "BKPMIN") {
		w.b = strconv.AppendFloat(w.b, s.BKPMIN, 'f', -1, 64)
		w.b = append(w.b, '"')
	}
	w.float(tracker.FieldLPMM, "LPMM", s.LPMM)
	w.flag(tracker.FieldLPMMV, "LPMMV", s.LPMMV)
	w.float(tracker.FieldRPMM, "RPMM", s.RPMM)
	w.flag(tracker.FieldRPMMV, "RPMMV", s.RPMMV)
	w.attr(0, "USER")
	w.b = appendEscaped(w.b, s.User)
	w.b = append(w.b, '"')
	return append(w.b, " />\r\n"...)
}

type recWriter struct {
	b      []byte
	absent tracker.Fields // fields left out
}

// attr starts attribute name, unless its field f is absent; it says whether it did.
func (w *recWriter) attr(f tracker.Fields, name string) bool {
	if w.absent&f != 0 {
		return false
	}
	w.b = append(w.b, ' ')
	w.b = append(w.b, name...)
	w.b = append(w.b, '=', '"')
	return true
}

func (w *recWriter) float(f tracker.Fields, name string, v float64) {
	if w.attr(f, name) {
		w.b = strconv.AppendFloat(w.b, v, 'f', 5, 64)
		w.b = append(w.b, '"')
	}
}

func (w *recWriter) int(f tracker.Fields, name string, v int64) {
	if w.attr(f, name) {
		w.b = strconv.AppendInt(w.b, v, 10)
		w.b = append(w.b, '"')
	}
}

func (w *recWriter) flag(f tracker.Fields, name string, v bool) {
	if !w.attr(f, name) {
		return
	}
	if v {
		w.b = append(w.b, '1', '"')
	} else {
		w.b = append(w.b, '0', '"')
	}
}

// text is what the number parsers read: attribute values as strings or as bytes of a line.
type text interface{ ~string | ~[]byte }

func trimSpace[T text](v T) T {
	i, j := 0, len(v)
	for i < j && isSpace(v[i]) {
		i++
	}
	for j > i && isSpace(v[j-1]) {
		j--
	}
	return v[i:j]
}

// pow10 are the powers of ten that float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat reads a finite decimal as strconv.ParseFloat would, space around it allowed.
func parseFloat[T text](v T) (float64, bool) {
	v = trimSpace(v)
	if f, ok := fastFloat(v); ok {
		return f, true
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// fastFloat reads the plain decimals devices send ("-0.17772", "712.77087"). When the digits fit
// in 53 bits and there are at most 22 decimals, one correctly rounded division of two exact
// float64s gives the correctly rounded value, the one strconv.ParseFloat returns. Anything else
// is left to strconv (ok = false).
func fastFloat[T text](v T) (float64, bool) {
	i, neg := 0, false
	if len(v) > 0 && (v[0] == '-' || v[0] == '+') {
		neg, i = v[0] == '-', 1
	}
	var m uint64
	digits, decimals, dot := 0, 0, false
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			if m >= 1<<53 {
				return 0, false
			}
			digits++
			if dot {
				decimals++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 || decimals >= len(pow10) {
		return 0, false
	}
	f := float64(m) / pow10[decimals]
	if neg {
		f = -f
	}
	return f, true
}

// parseInt reads a base-10 int64 as strconv.ParseInt would, space around it allowed.
func parseInt[T text](v T) (int64, bool) {
	v = trimSpace(v)
	i, neg := 0, false
	if len(v) > 0 && (v[0] == '-' || v[0] == '+') {
		neg, i = v[0] == '-', 1
	}
	if n := len(v) - i; n > 0 && n <= 18 { // 18 digits cannot overflow
		var x int64
		for ; i < len(v); i++ {
			c := v[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			x = x*10 + int64(c-'0')
		}
		if neg {
			x = -x
		}
		return x, true
	}
	x, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, false
	}
	return x, true
}

// parseBool reads a validity flag: "1" or "0", or any integer, true when not zero.
func parseBool[T text](v T) (bool, bool) {
	if len(v) == 1 && (v[0] == '0' || v[0] == '1') {
		return v[0] == '1', true
	}
	x, ok := parseInt(v)
	return ok && x != 0, ok
}
