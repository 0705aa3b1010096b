package review

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"sightline/reader/study"
)

// EditsHeader is the header of a batch edits file (`sightline boxes --apply`).
var EditsHeader = []string{"dicom_id", "bbox_name", "x1", "x2", "y1", "y2", "status"}

// EditRow is one row of a batch edits file.
type EditRow struct {
	Line   int
	Key    BoxKey
	Status BoxStatus // Edited, Confirmed or Absent
	// HasCoords is false when the coordinates are empty: always for Absent, and for Confirmed
	// when the box is confirmed where it stands.
	HasCoords      bool
	X1, X2, Y1, Y2 float64
}

// maxRowErrors bounds how many bad rows one error lists.
const maxRowErrors = 50

// rowErrors collects the bad rows of a file, each named with its line.
type rowErrors struct {
	name string
	errs []string
	n    int
}

func (r *rowErrors) add(line int, format string, a ...any) {
	r.n++
	if len(r.errs) < maxRowErrors {
		r.errs = append(r.errs, fmt.Sprintf("%s:%d: %s", r.name, line, fmt.Sprintf(format, a...)))
	}
}

func (r *rowErrors) err() error {
	if r.n == 0 {
		return nil
	}
	msg := fmt.Sprintf("%s: %d bad row(s), nothing applied:\n  %s", r.name, r.n, strings.Join(r.errs, "\n  "))
	if r.n > len(r.errs) {
		msg += fmt.Sprintf("\n  … and %d more", r.n-len(r.errs))
	}
	return errors.New(msg)
}

// ReadBoxEdits parses a batch edits file (header dicom_id,bbox_name,x1,x2,y1,y2,status; the
// columns in any order). Every row is checked on its own: status, numbers, coordinates
// present or empty as the status wants, x1 < x2 and y1 < y2, one edit per zone. The error
// lists the bad rows, each with its line.
func ReadBoxEdits(r io.Reader, name string) ([]EditRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file, want the header %s", name, strings.Join(EditsHeader, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cols := map[string]int{}
	for i, h := range head {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		if _, dup := cols[h]; dup {
			return nil, fmt.Errorf("%s:1: column %q appears twice", name, h)
		}
		cols[h] = i
	}
	for _, c := range EditsHeader {
		if _, ok := cols[c]; !ok {
			return nil, fmt.Errorf("%s:1: missing column %q (want the header %s)", name, c, strings.Join(EditsHeader, ","))
		}
	}
	bad := &rowErrors{name: name}
	first := map[BoxKey]int{}
	var out []EditRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				bad.add(pe.Line, "%d fields, want %d as in the header", len(rec), len(head))
				continue
			}
			return nil, fmt.Errorf("%s: %w", name, err) // the CSV itself is broken: no row after it can be trusted
		}
		line, _ := cr.FieldPos(0)
		e := EditRow{Line: line, Key: BoxKey{rec[cols["dicom_id"]], rec[cols["bbox_name"]]}, Status: BoxStatus(rec[cols["status"]])}
		if e.Key.DicomID == "" {
			bad.add(line, "empty dicom_id")
			continue
		}
		if e.Key.Zone == "" {
			bad.add(line, "empty bbox_name")
			continue
		}
		if l, dup := first[e.Key]; dup {
			bad.add(line, "a second edit of %s %q (the first is on line %d)", e.Key.DicomID, e.Key.Zone, l)
			continue
		}
		first[e.Key] = line
		switch e.Status {
		case Edited, Confirmed, Absent:
		default:
			bad.add(line, "column status: %q, want edited, confirmed or absent", rec[cols["status"]])
			continue
		}
		vals := [4]*float64{&e.X1, &e.X2, &e.Y1, &e.Y2}
		empty, ok := 0, true
		for i, c := range []string{"x1", "x2", "y1", "y2"} {
			v := strings.TrimSpace(rec[cols[c]])
			if v == "" {
				empty++
				continue
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				bad.add(line, "column %s: %q is not a number", c, rec[cols[c]])
				ok = false
				break
			}
			*vals[i] = x
		}
		if !ok {
			continue
		}
		switch {
		case empty != 0 && empty != 4:
			bad.add(line, "give all four coordinates x1,x2,y1,y2 or none")
			continue
		case e.Status == Absent && empty == 0:
			bad.add(line, "status absent takes no coordinates (leave x1,x2,y1,y2 empty)")
			continue
		case e.Status == Edited && empty == 4:
			bad.add(line, "status edited needs the coordinates x1,x2,y1,y2")
			continue
		}
		e.HasCoords = empty == 0
		if e.HasCoords {
			if e.X1 >= e.X2 {
				bad.add(line, "x1 %v ≥ x2 %v", e.X1, e.X2)
				continue
			}
			if e.Y1 >= e.Y2 {
				bad.add(line, "y1 %v ≥ y2 %v", e.Y1, e.Y2)
				continue
			}
		}
		out = append(out, e)
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Image is an image of the study as batch edits are checked against it.
type Image struct {
	DicomID string
	W, H    int         // DICOM Columns and Rows
	SizeErr error       // why W and H are unknown, when they are
	Boxes   []study.Box // the study's original boxes of the image
}

// Images lists the study's images named in ids (every image when ids is nil) with their
// DICOM sizes, read by size, and their original boxes.
func Images(s *study.Study, ids map[string]bool, size func(study.Case) (w, h int, err error)) []Image {
	var out []Image
	for _, c := range s.Cases {
		if ids != nil && !ids[c.DicomID] {
			continue
		}
		im := Image{DicomID: c.DicomID, Boxes: s.Boxes[c.DicomID]}
		im.W, im.H, im.SizeErr = size(c)
		out = append(out, im)
	}
	return out
}

// ApplyResult counts what a batch wrote.
type ApplyResult struct {
	Applied int
	// Conflicts are edits stored as conflicts: someone changed the box between the check and
	// the write. They await adjudication like any other conflict.
	Conflicts int
}

// ApplyBoxEdits checks every row against the study's images (known image and zone, inside
// the image, the zone not locked, something to confirm) and, when every row is good, writes
// them all as user who in one transaction. When any row is bad nothing is written, and the
// error names every bad row's line (name is the file's name for the messages).
func ApplyBoxEdits(ctx context.Context, st Store, rows []EditRow, name string, images []Image, who string) (ApplyResult, error) {
	if who == "" {
		return ApplyResult{}, errors.New("apply box edits: a user name is required (--user)")
	}
	ims := make(map[string]*Image, len(images))
	for i := range images {
		ims[images[i].DicomID] = &images[i]
	}
	log, err := st.BoxLog(ctx, "")
	if err != nil {
		return ApplyResult{}, err
	}
	cur := CurrentBoxes(log)
	bad := &rowErrors{name: name}
	edits := make([]BoxEdit, 0, len(rows))
	for _, r := range rows {
		im, ok := ims[r.Key.DicomID]
		if !ok {
			bad.add(r.Line, "dicom_id %q is not an image of the study", r.Key.DicomID)
			continue
		}
		orig := slices.IndexFunc(im.Boxes, func(b study.Box) bool { return b.Name == r.Key.Zone })
		if orig < 0 && !slices.Contains(study.ZoneNames[:], r.Key.Zone) {
			bad.add(r.Line, "unknown zone %q (want one of the 17 EGD-CXR zones: %s)", r.Key.Zone, strings.Join(study.ZoneNames[:], ", "))
			continue
		}
		e := BoxEdit{Key: r.Key, Who: who}
		if c, ok := cur[r.Key]; ok {
			e.Base, e.Before = c.Rev, c.After
		} else if orig >= 0 {
			b := im.Boxes[orig]
			e.Before = Box{Status: Original, X1: b.X1, X2: b.X2, Y1: b.Y1, Y2: b.Y2}
		}
		if e.Before.Locked {
			by := ""
			if c, ok := cur[r.Key]; ok {
				by = fmt.Sprintf(" (by %s, %s)", c.Who, c.At.Format("2006-01-02 15:04"))
			}
			bad.add(r.Line, "%s %q is locked%s: unlock it in the editor first", r.Key.DicomID, r.Key.Zone, by)
			continue
		}
		e.After = Box{Status: r.Status, X1: r.X1, X2: r.X2, Y1: r.Y1, Y2: r.Y2}
		if r.Status == Confirmed && !r.HasCoords {
			if !e.Before.HasCoords() {
				bad.add(r.Line, "nothing to confirm: %s has no %q box; give its coordinates", r.Key.DicomID, r.Key.Zone)
				continue
			}
			e.After.X1, e.After.X2, e.After.Y1, e.After.Y2 = e.Before.X1, e.Before.X2, e.Before.Y1, e.Before.Y2
		}
		if r.HasCoords {
			if im.SizeErr != nil {
				bad.add(r.Line, "cannot check the box against %s: its size is unknown: %v", r.Key.DicomID, im.SizeErr)
				continue
			}
			if r.X1 < 0 || r.Y1 < 0 || r.X2 > float64(im.W) || r.Y2 > float64(im.H) {
				bad.add(r.Line, "box x %v–%v, y %v–%v lies outside the image (%d×%d pixels)", r.X1, r.X2, r.Y1, r.Y2, im.W, im.H)
				continue
			}
		}
		edits = append(edits, e)
	}
	if err := bad.err(); err != nil {
		return ApplyResult{}, err
	}
	done, err := st.EditBoxes(ctx, edits)
	if err != nil {
		return ApplyResult{}, fmt.Errorf("%s: %w", name, err)
	}
	res := ApplyResult{Applied: len(done)}
	for _, e := range done {
		if e.Kind == KindConflict {
			res.Conflicts++
		}
	}
	return res, nil
}
