package export

import (
	"bytes"
	"math"
	"strconv"

	"sightline/reader/egd"
)

// The fast path of the row copy. Re-writing a row is egd.ReadGaze then egd.AppendRow: parse
// every field, format it back. The rows of a case folder were written by egd.AppendRow, so
// nearly every field is already in the form AppendRow gives; fastLine proves that per field
// with a scan of its bytes (no conversion) and copies it, converting only the fields it
// cannot prove. The output is the same bytes as the slow path's (TestFastLineMatchesEgd and
// FuzzFastLine check it); any line it is not sure of (quotes, a carriage return, a field that
// does not parse, a row of another screen) is left to the slow path, which also reports the
// errors.

// Column kinds, as reader/egd writes them (TestFastLineMatchesEgd keeps the two in step by
// comparing outputs).
const (
	kStr = iota
	kInt
	kFloat
	kIntFloat // an integer written as a float ("696216388878.0")
	kBool
	kBKPMIN // a float written as an integer when integral
)

var kinds = [egd.NumColumns]uint8{
	kStr, kInt, kStr, kInt, kFloat, kIntFloat,
	kFloat, kFloat, kFloat, kFloat, kInt, kBool,
	kFloat, kFloat, kBool,
	kFloat, kFloat, kFloat, kFloat, kBool,
	kFloat, kFloat, kFloat, kFloat, kBool,
	kInt, kFloat, kBKPMIN,
	kFloat, kBool, kFloat, kBool,
	kFloat, kFloat, kIntFloat,
	kInt, kInt,
}

// firstDevice and lastDevice are the columns of the device's fields (FPOGX to RPMMV), which
// egd writes empty when the record lacked them.
const firstDevice, lastDevice = 6, 31

// identity is what the first three fields of every row of a case file must be, and the
// SESSION_ID written instead.
type identity struct {
	session, media, dicom string // as they appear in the file (plain: no quoting needed)
	newID                 string
}

// fastLine appends line (one record, without its "\n") re-written with SESSION_ID newID, as
// egd.AppendRow would write it after egd.ReadGaze, and reports true; or returns dst unchanged
// and false when the line must go the slow way. Every byte of the line is matched by a field's
// strict grammar (which no quote or carriage return passes) or handed to strconv.ParseFloat.
func fastLine(dst, line []byte, id *identity) ([]byte, bool) {
	n0 := len(dst)
	p := len(id.session)
	if len(line) <= p || line[p] != ',' || string(line[:p]) != id.session {
		return dst, false
	}
	dst = append(dst, id.newID...)
	last := p // line[last:] is still to be copied
	p++
	for col := 1; col < egd.NumColumns; col++ {
		start := p
		var ok bool
		switch kind := kinds[col]; {
		case (kind == kInt || kind == kBool) && col >= firstDevice && col <= lastDevice &&
			(p == len(line) || line[p] == ','):
			ok = true // a device field the record lacked, written empty (floats match "" below)
		case kind == kStr: // only DICOM_ID: SESSION_ID is field 0
			if e := p + len(id.dicom); e <= len(line) && string(line[p:e]) == id.dicom {
				p, ok = e, true
			}
		case kind == kInt:
			p, ok = scanInt(line, p)
			ok = ok && (col != 1 || string(line[start:p]) == id.media)
		case kind == kBool:
			if p < len(line) && (line[p] == '0' || line[p] == '1') {
				p, ok = p+1, true
			}
		case kind == kIntFloat:
			p, ok = scanInt(line, p)
			if ok = ok && p+1 < len(line) && line[p] == '.' && line[p+1] == '0'; ok {
				p += 2
			}
		case kind == kFloat:
			p, ok = scanFloat(line, p, false)
		case kind == kBKPMIN:
			p, ok = scanFloat(line, p, true)
		}
		if ok {
			if col < egd.NumColumns-1 {
				ok = p < len(line) && line[p] == ','
			} else {
				ok = p == len(line)
			}
		}
		if !ok {
			if kinds[col] != kFloat && kinds[col] != kBKPMIN {
				return dst[:n0], false
			}
			end := len(line)
			if col < egd.NumColumns-1 {
				if end = bytes.IndexByte(line[start:], ','); end < 0 {
					return dst[:n0], false
				}
				end += start
			}
			x, err := strconv.ParseFloat(string(line[start:end]), 64)
			if err != nil {
				return dst[:n0], false
			}
			dst = append(dst, line[last:start]...)
			if kinds[col] == kFloat {
				dst = egd.AppendFloat(dst, x)
			} else {
				dst = appendBKPMIN(dst, x)
			}
			last, p = end, end
		}
		p++ // the comma
	}
	dst = append(dst, line[last:]...)
	return append(dst, '\n'), true
}

func skipDigits(b []byte, p int) int {
	for p < len(b) && b[p] >= '0' && b[p] <= '9' {
		p++
	}
	return p
}

// scanInt matches an int64 as strconv.AppendInt writes it at b[p:]; it returns the end and
// whether it matched.
func scanInt(b []byte, p int) (int, bool) {
	neg := p < len(b) && b[p] == '-'
	if neg {
		p++
	}
	e := skipDigits(b, p)
	n := e - p
	if n == 0 || n > 19 || b[p] == '0' && (n > 1 || neg) {
		return e, false
	}
	if n == 19 { // in range? Equal lengths compare as numbers.
		limit := "9223372036854775807"
		if neg {
			limit = "9223372036854775808"
		}
		return e, string(b[p:e]) <= limit
	}
	return e, true
}

// scanFloat matches at b[p:], without converting it, what egd.AppendFloat writes for the value
// the text parses to (bk: what egd writes for BKPMIN, an integer when integral): "" (NaN), or
// a fixed-point decimal with at most 15 significant digits, no superfluous zeros, and a
// magnitude in Python's fixed-point range ([1e-4, 1e16), or zero). It returns the end and
// whether it matched. The proof: two distinct decimals of at most 15 significant digits never
// round to the same float64 (DBL_DIG = 15), so the shortest decimal that reads back as the
// value, which AppendFloat writes, is the text itself.
func scanFloat(b []byte, p int, bk bool) (int, bool) {
	if p == len(b) || b[p] == ',' {
		return p, true // empty: NaN, written empty
	}
	neg := b[p] == '-'
	if neg {
		p++
	}
	i0 := p
	p = skipDigits(b, p)
	ni := p - i0
	if ni == 0 || ni > 15 || b[i0] == '0' && ni > 1 {
		return p, false
	}
	zeroInt := b[i0] == '0'
	if p == len(b) || b[p] != '.' {
		return p, bk && !(neg && zeroInt) // BKPMIN writes integral values as integers ("-0" aside)
	}
	p++
	f0 := p
	p = skipDigits(b, p)
	nf := p - f0
	switch {
	case nf == 0:
		return p, false
	case nf == 1 && b[f0] == '0': // integral: "5.0", "0.0", "-0.0"
		return p, !bk || neg && zeroInt
	case b[p-1] == '0':
		return p, false // a trailing zero
	case !zeroInt:
		return p, ni+nf <= 15
	}
	lead := f0 // the fraction's last digit is not 0, so the loop stops inside it
	for b[lead] == '0' {
		lead++
	}
	if lead-f0 >= 4 {
		return p, false // below 1e-4: Python writes an exponent
	}
	return p, p-lead <= 15
}

// appendBKPMIN formats blinks per minute as egd.AppendRow does.
func appendBKPMIN(dst []byte, x float64) []byte {
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 && !(x == 0 && math.Signbit(x)) {
		return strconv.AppendInt(dst, int64(x), 10)
	}
	return egd.AppendFloat(dst, x)
}
