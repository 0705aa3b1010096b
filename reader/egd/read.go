package egd

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ReadGaze parses an eye_gaze.csv or fixations.csv stream: the header must be GazeHeader exactly
// (a leading UTF-8 byte-order mark is tolerated), then every row must have 37 fields that parse
// as their column's kind. fn is called for each row with its line number (the line the record
// starts on) in file order. An error from fn stops the
// read and is returned wrapped with the file and line. Parse errors name the file, line and
// column. Floats accept an empty field (NaN, as pandas writes it) and anything
// strconv.ParseFloat accepts; integers also accept an integral float ("1.0"); validity flags
// must be 0 or 1. An empty device field (FPOGX to RPMMV: the device did not send it) is named
// in Sample.Absent, so that AppendRow writes it empty again; a float's value is then NaN, an
// integer's or flag's zero.
func ReadGaze(r io.Reader, name string, fn func(line int, row GazeRecord) error) error {
	return readGaze(r, name, fn, nil)
}

// ReadGazeLenient is ReadGaze that reads past bad rows: each row that cannot be read (wrong
// field count, a field that does not parse, a quote out of place) is passed to bad with its
// line and the reason, and reading goes on with the next row. A missing or wrong header, a
// read error and an error from fn still stop it.
func ReadGazeLenient(r io.Reader, name string, fn func(line int, row GazeRecord) error, bad func(line int, err error)) error {
	return readGaze(r, name, fn, bad)
}

func readGaze(r io.Reader, name string, fn func(line int, row GazeRecord) error, bad func(line int, err error)) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // checked here, with a clearer message
	head, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("%s: empty file, want the 37-column header", name)
	}
	if err != nil {
		return fmt.Errorf("%s: read header: %w", name, err)
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	if len(head) != NumColumns {
		return fmt.Errorf("%s:1: header has %d columns, want %d (%s)", name, len(head), NumColumns, strings.Join(GazeHeader, ","))
	}
	for i, h := range head {
		if h != GazeHeader[i] {
			return fmt.Errorf("%s:1: header column %d is %q, want %q", name, i+1, h, GazeHeader[i])
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		var pe *csv.ParseError
		if err != nil && bad != nil && errors.As(err, &pe) {
			bad(pe.StartLine, pe.Err)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != NumColumns {
			if bad != nil {
				bad(line, fmt.Errorf("row has %d fields, want %d", len(rec), NumColumns))
				continue
			}
			return fmt.Errorf("%s:%d: row has %d fields, want %d", name, line, len(rec), NumColumns)
		}
		var g GazeRecord
		if col, err := parseRow(rec, &g); err != nil {
			l, _ := cr.FieldPos(col)
			if bad != nil {
				bad(l, fmt.Errorf("column %d (%s): %w", col+1, GazeHeader[col], err))
				continue
			}
			return fmt.Errorf("%s:%d: column %d (%s): %w", name, l, col+1, GazeHeader[col], err)
		}
		if err := fn(line, g); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
}

// parseRow fills g from the 37 fields of rec; on error it returns the failing column index.
func parseRow(rec []string, g *GazeRecord) (int, error) {
	s := &g.Sample
	g.SessionID = strings.Clone(rec[0])
	g.DicomID = strings.Clone(rec[2])
	ints := [...]struct {
		col int
		dst *int64
	}{{3, &g.CNT}, {5, &g.TimeTick}, {10, &s.FPOGID}, {25, &s.BKID}, {34, &s.VidFrame}}
	for _, f := range ints {
		if rec[f.col] == "" && colField[f.col] != 0 {
			s.Absent |= colField[f.col]
			continue
		}
		v, err := parseInt(rec[f.col])
		if err != nil {
			return f.col, err
		}
		*f.dst = v
	}
	small := [...]struct {
		col int
		dst *int
	}{{1, &g.MediaID}, {35, &g.XOriginal}, {36, &g.YOriginal}}
	for _, f := range small {
		v, err := parseInt(rec[f.col])
		if err == nil && int64(int(v)) != v {
			err = errors.New("out of range")
		}
		if err != nil {
			return f.col, err
		}
		*f.dst = int(v)
	}
	floats := [...]struct {
		col int
		dst *float64
	}{
		{4, &g.Time}, {6, &s.FPOGX}, {7, &s.FPOGY}, {8, &s.FPOGS}, {9, &s.FPOGD},
		{12, &s.BPOGX}, {13, &s.BPOGY}, {15, &s.LPCX}, {16, &s.LPCY}, {17, &s.LPD}, {18, &s.LPS},
		{20, &s.RPCX}, {21, &s.RPCY}, {22, &s.RPD}, {23, &s.RPS}, {26, &s.BKDUR}, {27, &s.BKPMIN},
		{28, &s.LPMM}, {30, &s.RPMM}, {32, &s.SaccadeMag}, {33, &s.SaccadeDir},
	}
	for _, f := range floats {
		v, err := parseFloat(rec[f.col])
		if err != nil {
			return f.col, err
		}
		*f.dst = v
		if rec[f.col] == "" {
			s.Absent |= colField[f.col]
		}
	}
	flags := [...]struct {
		col int
		dst *bool
	}{{11, &s.FPOGV}, {14, &s.BPOGV}, {19, &s.LPV}, {24, &s.RPV}, {29, &s.LPMMV}, {31, &s.RPMMV}}
	for _, f := range flags {
		if rec[f.col] == "" {
			s.Absent |= colField[f.col]
			continue
		}
		v, err := parseInt(rec[f.col])
		if err == nil && v != 0 && v != 1 {
			err = fmt.Errorf("validity flag %q, want 0 or 1", rec[f.col])
		}
		if err != nil {
			return f.col, err
		}
		*f.dst = v == 1
	}
	s.CNT, s.Time, s.TimeTick, s.TickFreq = g.CNT, g.Time, g.TimeTick, TickHz
	return 0, nil
}

func parseFloat(f string) (float64, error) {
	if f == "" {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", f)
	}
	return v, nil
}

// parseInt reads an integer, also written as an integral float ("696216388878.0") as pandas
// writes integer data held in a float column.
func parseInt(f string) (int64, error) {
	if v, err := strconv.ParseInt(f, 10, 64); err == nil {
		return v, nil
	}
	if d, ok := strings.CutSuffix(f, ".0"); ok {
		if v, err := strconv.ParseInt(d, 10, 64); err == nil {
			return v, nil
		}
	}
	v, err := strconv.ParseFloat(f, 64)
	if err != nil || v != math.Trunc(v) || math.Abs(v) >= 1<<63 {
		return 0, fmt.Errorf("not an integer: %q", f)
	}
	return int64(v), nil
}
