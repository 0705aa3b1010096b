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
	"unicode"

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

// RowErrors are the bad rows of a batch file, each named with its line; the error lists them
// in line order.
type RowErrors struct {
	Name string
	rows []rowError
}

type rowError struct {
	line int
	msg  string
}

// Len is how many rows are bad.
func (r *RowErrors) Len() int {
	if r == nil {
		return 0
	}
	return len(r.rows)
}

func (r *RowErrors) add(line int, format string, a ...any) {
	r.rows = append(r.rows, rowError{line, fmt.Sprintf(format, a...)})
}

// merge adds other's rows (another pass over the same file).
func (r *RowErrors) merge(other *RowErrors) {
	if other != nil {
		r.rows = append(r.rows, other.rows...)
	}
}

func (r *RowErrors) Error() string {
	rows := slices.Clone(r.rows)
	slices.SortStableFunc(rows, func(a, b rowError) int { return a.line - b.line })
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d bad row(s), nothing applied:", r.Name, len(rows))
	for i, e := range rows {
		if i == maxRowErrors {
			fmt.Fprintf(&b, "\n  … and %d more", len(rows)-maxRowErrors)
			break
		}
		fmt.Fprintf(&b, "\n  %s:%d: %s", r.Name, e.line, e.msg)
	}
	return b.String()
}

func (r *RowErrors) err() error {
	if r.Len() == 0 {
		return nil
	}
	return r
}

// CheckUser refuses a user name no row should carry: blank, or holding a control character
// (a newline would forge a line in every export and log).
func CheckUser(who string) error {
	switch {
	case strings.TrimSpace(who) == "":
		return errors.New("the user name is blank: give --user NAME (every change is stored with who made it)")
	case strings.ContainsFunc(who, unicode.IsControl):
		return fmt.Errorf("the user name %q holds a control character", who)
	}
	return nil
}

// ReadBoxEdits parses a batch edits file (header dicom_id,bbox_name,x1,x2,y1,y2,status; the
// columns in any order). Every row is checked on its own: status, numbers, coordinates
// present or empty as the status wants, x1 < x2 and y1 < y2, one edit per zone. When rows are
// bad the error is a *RowErrors naming each with its line, returned with the good rows, so
// that ApplyBatch can check those against the study in the same pass.
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
	bad := &RowErrors{Name: name}
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
	return out, bad.err()
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
	// Unchanged are rows that ask for the box as it already stands: not history, not stored
	// (applying a file a second time stores nothing).
	Unchanged int
	// Conflicts are edits stored as conflicts: someone changed the box between the check and
	// the write. They await adjudication like any other conflict.
	Conflicts int
}

// Batch is a batch edits file, read, to apply.
type Batch struct {
	Name   string
	Rows   []EditRow
	Bad    *RowErrors // the rows ReadBoxEdits refused (nil: none)
	Images []Image
	Who    string
}

// ApplyBoxEdits is ApplyBatch of rows that all read well.
func ApplyBoxEdits(ctx context.Context, st Store, rows []EditRow, name string, images []Image, who string) (ApplyResult, error) {
	return ApplyBatch(ctx, st, Batch{Name: name, Rows: rows, Images: images, Who: who})
}

// ApplyBatch checks every row against the study's images (known image and zone, inside the
// image) and the store's boxes (the zone not locked, something to confirm) and, when every
// row of the file is good, writes the rows that change a box as user who in one transaction.
// When any row is bad nothing is written, and the error names every bad row of the file, the
// ones ReadBoxEdits refused included, in line order.
func ApplyBatch(ctx context.Context, st Store, b Batch) (ApplyResult, error) {
	if err := CheckUser(b.Who); err != nil {
		return ApplyResult{}, fmt.Errorf("apply box edits: %w", err)
	}
	ims := make(map[string]*Image, len(b.Images))
	for i := range b.Images {
		ims[b.Images[i].DicomID] = &b.Images[i]
	}
	log, err := st.BoxLog(ctx, "")
	if err != nil {
		return ApplyResult{}, err
	}
	cur := CurrentBoxes(log)
	bad := &RowErrors{Name: b.Name}
	bad.merge(b.Bad)
	edits := make([]BoxEdit, 0, len(b.Rows))
	var res ApplyResult
	for _, r := range b.Rows {
		e, ok := checkRow(r, ims, cur, b.Who, bad)
		switch {
		case !ok:
		case e.After == e.Before:
			res.Unchanged++
		default:
			edits = append(edits, e)
		}
	}
	if err := bad.err(); err != nil {
		return ApplyResult{}, err
	}
	if len(edits) == 0 {
		return res, nil
	}
	done, err := st.EditBoxes(ctx, edits)
	if err != nil {
		return ApplyResult{}, fmt.Errorf("%s: nothing was applied (a batch is stored whole or not at all): %w", b.Name, err)
	}
	for i, e := range done {
		switch {
		case e.Kind == KindConflict:
			res.Conflicts++
			res.Applied++
		case e.Rev == edits[i].Base:
			res.Unchanged++ // someone made the same change meanwhile
		default:
			res.Applied++
		}
	}
	return res, nil
}

// checkRow checks one row against the study and the store's current boxes, adding what is
// wrong to bad, and returns the edit it asks for.
func checkRow(r EditRow, ims map[string]*Image, cur map[BoxKey]BoxEdit, who string, bad *RowErrors) (BoxEdit, bool) {
	im, ok := ims[r.Key.DicomID]
	if !ok {
		bad.add(r.Line, "dicom_id %q is not an image of the study", r.Key.DicomID)
		return BoxEdit{}, false
	}
	orig := slices.IndexFunc(im.Boxes, func(b study.Box) bool { return b.Name == r.Key.Zone })
	if orig < 0 && !slices.Contains(study.ZoneNames[:], r.Key.Zone) {
		bad.add(r.Line, "unknown zone %q (want one of the 17 EGD-CXR zones: %s)", r.Key.Zone, strings.Join(study.ZoneNames[:], ", "))
		return BoxEdit{}, false
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
		return BoxEdit{}, false
	}
	e.After = Box{Status: r.Status, X1: r.X1, X2: r.X2, Y1: r.Y1, Y2: r.Y2}
	if r.Status == Confirmed && !r.HasCoords {
		if !e.Before.HasCoords() {
			bad.add(r.Line, "nothing to confirm: %s has no %q box; give its coordinates", r.Key.DicomID, r.Key.Zone)
			return BoxEdit{}, false
		}
		e.After.X1, e.After.X2, e.After.Y1, e.After.Y2 = e.Before.X1, e.Before.X2, e.Before.Y1, e.Before.Y2
	}
	if r.HasCoords {
		if im.SizeErr != nil {
			bad.add(r.Line, "cannot check the box against %s: its size is unknown: %v", r.Key.DicomID, im.SizeErr)
			return BoxEdit{}, false
		}
		if r.X1 < 0 || r.Y1 < 0 || r.X2 > float64(im.W) || r.Y2 > float64(im.H) {
			bad.add(r.Line, "box x %v–%v, y %v–%v lies outside the image (%d×%d pixels)", r.X1, r.X2, r.Y1, r.Y2, im.W, im.H)
			return BoxEdit{}, false
		}
	}
	return e, true
}
