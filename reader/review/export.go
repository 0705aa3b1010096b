package review

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sightline/reader/atomicfile"
	"sightline/reader/study"
)

// AuditHeader is the header of FILE.audit.csv: every box row of the store, in revision order.
var AuditHeader = []string{"revision", "dicom_id", "bbox_name", "kind", "base", "resolves",
	"before_status", "before_x1", "before_x2", "before_y1", "before_y2", "before_locked",
	"status", "x1", "x2", "y1", "y2", "locked", "who", "at"}

// AuditPath is the audit file written beside an export: FILE.csv → FILE.audit.csv.
func AuditPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".audit.csv"
}

// ExportResult says what ExportBoxes wrote.
type ExportResult struct {
	Audit         string // the audit file's path
	Images, Boxes int    // written to the boxes file
	Edits         int    // rows in the audit
	OpenConflicts int    // boxes exported as they stand while a conflict awaits adjudication
	// Outside are edited images the worklist does not list: in the audit, not in the boxes.
	Outside []string
}

// ExportBoxes writes the study's boxes as corrected (the original file with the store's
// accepted edits replayed on it) to path in the bounding_boxes.csv layout, written by the
// study's own writer, and every box row of the store to AuditPath(path). With no edits the
// boxes file is the study's bounding_boxes.csv byte for byte, when that file was written in
// the dataset's layout (worklist order, numbers as 1007.0).
func ExportBoxes(ctx context.Context, st Store, s *study.Study, path string) (ExportResult, error) {
	log, err := st.BoxLog(ctx, "")
	if err != nil {
		return ExportResult{}, err
	}
	return ExportLog(log, s, path)
}

// ExportLog is ExportBoxes over box rows already read (none: the study's boxes as they are).
func ExportLog(log []BoxEdit, s *study.Study, path string) (ExportResult, error) {
	res := ExportResult{Audit: AuditPath(path), Edits: len(log), OpenConflicts: len(Conflicts(log))}
	if res.Audit == path {
		return res, fmt.Errorf("export boxes: %s: the audit would overwrite the boxes; name the file FILE.csv", path)
	}
	out := s.Keep(func(study.Case) bool { return true })
	out.Boxes = Replay(s.Boxes, log)
	seen := map[string]bool{}
	for _, e := range log {
		if _, ok := s.Case(e.Key.DicomID); !ok && !seen[e.Key.DicomID] {
			seen[e.Key.DicomID] = true
			res.Outside = append(res.Outside, e.Key.DicomID)
		}
	}
	for _, c := range s.Cases {
		if n := len(out.Boxes[c.DicomID]); n > 0 {
			res.Images++
			res.Boxes += n
		}
	}
	if err := out.WriteBoxes(path); err != nil {
		return res, err
	}
	if err := atomicfile.Write(res.Audit, func(w io.Writer) error { return WriteAudit(w, log) }); err != nil {
		return res, fmt.Errorf("export boxes: write %s: %w", res.Audit, err)
	}
	return res, nil
}

// WriteAudit writes box rows as FILE.audit.csv does.
func WriteAudit(w io.Writer, log []BoxEdit) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(AuditHeader); err != nil {
		return err
	}
	num := func(v float64, has bool) string {
		if !has {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	box := func(b Box) []string {
		h := b.HasCoords()
		return []string{string(b.Status), num(b.X1, h), num(b.X2, h), num(b.Y1, h), num(b.Y2, h), strconv.FormatInt(b2i(b.Locked), 10)}
	}
	for _, e := range log {
		rec := []string{strconv.FormatInt(e.Rev, 10), e.Key.DicomID, e.Key.Zone, string(e.Kind),
			strconv.FormatInt(e.Base, 10), strconv.FormatInt(e.Resolves, 10)}
		rec = append(rec, box(e.Before)...)
		rec = append(rec, box(e.After)...)
		rec = append(rec, e.Who, e.At.UTC().Format(timeLayout))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadAudit reads a FILE.audit.csv back, checking every field; errors name the line.
func ReadAudit(r io.Reader, name string) ([]BoxEdit, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(AuditHeader)
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file, want the audit header", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i, h := range AuditHeader {
		if head[i] != h {
			return nil, fmt.Errorf("%s:1: column %d is %q, want %q", name, i+1, head[i], h)
		}
	}
	var out []BoxEdit
	var last int64
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		e, err := auditRow(rec)
		if err == nil && e.Rev <= last {
			err = fmt.Errorf("revision %d after %d: revisions must grow", e.Rev, last)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		last = e.Rev
		out = append(out, e)
	}
}

func auditRow(rec []string) (BoxEdit, error) {
	var e BoxEdit
	ints := []*int64{&e.Rev, &e.Base, &e.Resolves}
	for i, col := range []int{0, 4, 5} {
		v, err := strconv.ParseInt(rec[col], 10, 64)
		if err != nil || v < 0 {
			return e, fmt.Errorf("column %s: %q is not a revision", AuditHeader[col], rec[col])
		}
		*ints[i] = v
	}
	e.Key = BoxKey{rec[1], rec[2]}
	e.Kind = EditKind(rec[3])
	switch e.Kind {
	case KindEdit, KindConflict, KindAdjudication:
	default:
		return e, fmt.Errorf("column kind: %q, want edit, conflict or adjudication", rec[3])
	}
	var err error
	if e.Before, err = auditBox(rec[6:12], 6); err != nil {
		return e, err
	}
	if e.After, err = auditBox(rec[12:18], 12); err != nil {
		return e, err
	}
	e.Who = rec[18]
	if e.At, err = time.Parse(timeLayout, rec[19]); err != nil {
		return e, fmt.Errorf("column at: %q is not a time like %s", rec[19], timeLayout)
	}
	if err := e.check(); err != nil {
		return e, err
	}
	return e, nil
}

func auditBox(f []string, col int) (Box, error) {
	b := Box{Status: BoxStatus(f[0])}
	vals := []*float64{&b.X1, &b.X2, &b.Y1, &b.Y2}
	for i, p := range vals {
		if f[1+i] == "" {
			if b.HasCoords() {
				return b, fmt.Errorf("column %s: empty, but a %s box has coordinates", AuditHeader[col+1+i], b.Status)
			}
			continue
		}
		if !b.HasCoords() {
			return b, fmt.Errorf("column %s: %q, but a box with status %q has no coordinates", AuditHeader[col+1+i], f[1+i], b.Status)
		}
		x, err := strconv.ParseFloat(f[1+i], 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return b, fmt.Errorf("column %s: %q is not a number", AuditHeader[col+1+i], f[1+i])
		}
		*p = x
	}
	switch f[5] {
	case "0":
	case "1":
		b.Locked = true
	default:
		return b, fmt.Errorf("column %s: %q, want 0 or 1", AuditHeader[col+5], f[5])
	}
	return b, nil
}
