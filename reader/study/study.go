// Package study owns a study folder: its worklist (master_sheet.csv, EGD-CXR layout) and its
// anatomical boxes (bounding_boxes.csv), validated with errors that name the file and line, and
// the layout below it (folder.go): session folders, case folders, which read of a case counts,
// and which sessions are interrupted or continue. Nothing else joins a path under a study.
package study

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"sightline/reader/atomicfile"
	"sightline/reader/stage"
)

// File names inside a study folder.
const (
	MasterSheet   = "master_sheet.csv"
	BoundingBoxes = "bounding_boxes.csv"
)

// ZoneNames are the 17 anatomical zones of EGD-CXR's bounding_boxes.csv, in the order of
// docs/FORMATS.md §1.
var ZoneNames = [...]string{
	"right lung", "right upper lung zone", "right mid lung zone", "right lower lung zone",
	"left lung", "left upper lung zone", "left mid lung zone", "left lower lung zone",
	"right hilar structures", "left hilar structures", "upper mediastinum", "cardiac silhouette",
	"trachea", "right costophrenic angle", "left costophrenic angle", "right clavicle", "left clavicle",
}

// Pad columns of master_sheet.csv, in stage pixels.
var PadColumns = []string{"image_top_pad", "image_bottom_pad", "image_left_pad", "image_right_pad"}

// Conditions are the label columns of master_sheet.csv read into Case.Condition, with the
// condition name each one gives (as the reference analysis names them).
var Conditions = []struct{ Column, Name string }{
	{"Normal", "normal"}, {"CHF", "CHF"}, {"pneumonia", "pneumonia"},
}

// Study is a study folder: the worklist with every column as read, and the boxes per dicom_id.
type Study struct {
	Dir    string
	Header []string
	Cases  []Case
	Boxes  map[string][]Box // by dicom_id, in file order; empty when the folder has no boxes

	index map[string]int // dicom_id → position in Cases
}

// Case is one row of master_sheet.csv.
type Case struct {
	DicomID, Path string
	// Condition is "normal", "CHF" or "pneumonia" from the 0/1 label columns when present, the
	// names joined with "+" when several are set, "" when none is.
	Condition string
	Line      int      // line of master_sheet.csv the row starts on
	Fields    []string // every column as read, in Header order
}

// Box is one anatomical box in original DICOM pixels (note the file's column order x1,x2,y1,y2).
type Box struct {
	Name           string
	X1, X2, Y1, Y2 float64
}

// Load reads dir/master_sheet.csv and, when present, dir/bounding_boxes.csv.
func Load(dir string) (*Study, error) {
	// A folder that is not there is named as such, not as a worklist missing from it.
	if fi, err := os.Stat(dir); err != nil {
		return nil, fileErr(err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	s, err := readMasterSheetFile(filepath.Join(dir, MasterSheet))
	if err != nil {
		return nil, err
	}
	s.Dir = dir
	name := filepath.Join(dir, BoundingBoxes)
	f, err := os.Open(name)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fileErr(err)
	}
	defer f.Close()
	if s.Boxes, err = readBoxes(f, name, s.index); err != nil {
		return nil, err
	}
	return s, nil
}

// readMasterSheetFile opens and reads a master_sheet.csv.
func readMasterSheetFile(name string) (*Study, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fileErr(err)
	}
	defer f.Close()
	return readMasterSheet(f, name)
}

// Case returns the case with the given dicom_id.
func (s *Study) Case(dicomID string) (Case, bool) {
	i, ok := s.index[dicomID]
	if !ok {
		return Case{}, false
	}
	return s.Cases[i], true
}

// DicomPath returns the file of c under the study folder, with symlinks resolved, refusing a path
// that leaves the folder (lexically or through a symlink). Symlinks are checked now, at open time,
// so the answer holds for the file as it is on disk.
func (s *Study) DicomPath(c Case) (string, error) {
	if err := checkPath(c.Path); err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(s.Dir)
	if err != nil {
		return "", fileErr(err)
	}
	p, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(c.Path)))
	if err != nil {
		// Name the file asked for, not the first missing folder on its way.
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("%s: %w", filepath.Join(s.Dir, filepath.FromSlash(c.Path)), err)
	}
	if rel, err := filepath.Rel(root, p); err != nil || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("path %q leads outside %s (to %s)", c.Path, s.Dir, p)
	}
	return p, nil
}

// fileErr says what went wrong with a file as "<path>: <reason>" (the messages of this package
// name the file first), dropping the system call ("open", "lstat") the reason came from. The
// reason stays wrapped: errors.Is(err, fs.ErrNotExist) holds.
func fileErr(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// checkPath refuses a worklist path that is empty, absolute or escapes with "..".
func checkPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || filepath.VolumeName(p) != "":
		return fmt.Errorf("path %q is absolute, want one relative to the study folder", p)
	case !filepath.IsLocal(filepath.FromSlash(p)):
		return fmt.Errorf("path %q escapes the study folder", p)
	}
	return nil
}

// checkID refuses a dicom_id that cannot name a folder (session cases and heatmaps use it as one).
func checkID(id string) error {
	if id == "" {
		return errors.New("empty dicom_id")
	}
	if id == "." || id == ".." || strings.ContainsAny(id, `/\`) || strings.ContainsFunc(id, unicode.IsControl) {
		return fmt.Errorf("dicom_id %q cannot name a file", id)
	}
	return nil
}

func newReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0 // every row as wide as the header
	return cr
}

// readHeader reads the header row and finds the required columns in it.
func readHeader(cr *csv.Reader, name string, required ...string) ([]string, map[string]int, error) {
	head, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("%s: empty file, want a header", name)
	}
	if err != nil {
		return nil, nil, csvErr(name, err)
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	cols := make(map[string]int, len(head))
	for i, h := range head {
		if _, dup := cols[h]; !dup {
			cols[h] = i
		}
	}
	for _, c := range required {
		if _, ok := cols[c]; !ok {
			return nil, nil, fmt.Errorf("%s:1: missing required column %q", name, c)
		}
	}
	return head, cols, nil
}

func readMasterSheet(r io.Reader, name string) (*Study, error) {
	cr := newReader(r)
	head, cols, err := readHeader(cr, name, "dicom_id", "path")
	if err != nil {
		return nil, err
	}
	s := &Study{Header: head, Boxes: map[string][]Box{}, index: map[string]int{}}
	idc, pathc := cols["dicom_id"], cols["path"]
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		c := Case{DicomID: rec[idc], Path: rec[pathc], Line: line, Fields: rec}
		if err := checkID(c.DicomID); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if i, dup := s.index[c.DicomID]; dup {
			return nil, fmt.Errorf("%s:%d: duplicate dicom_id %q (first on line %d)", name, line, c.DicomID, s.Cases[i].Line)
		}
		if err := checkPath(c.Path); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		var conds []string
		for _, k := range Conditions {
			i, ok := cols[k.Column]
			if !ok {
				continue
			}
			switch v := strings.TrimSpace(rec[i]); v {
			case "1", "1.0":
				conds = append(conds, k.Name)
			case "0", "0.0", "":
			default:
				return nil, fmt.Errorf("%s:%d: column %s: label %q, want 0 or 1", name, line, k.Column, rec[i])
			}
		}
		c.Condition = strings.Join(conds, "+")
		s.index[c.DicomID] = len(s.Cases)
		s.Cases = append(s.Cases, c)
	}
}

func readBoxes(r io.Reader, name string, known map[string]int) (map[string][]Box, error) {
	cr := newReader(r)
	_, cols, err := readHeader(cr, name, "dicom_id", "bbox_name", "x1", "x2", "y1", "y2")
	if err != nil {
		return nil, err
	}
	boxes := map[string][]Box{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return boxes, nil
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		id := rec[cols["dicom_id"]]
		if _, ok := known[id]; !ok {
			return nil, fmt.Errorf("%s:%d: box for dicom_id %q, which is not in %s", name, line, id, MasterSheet)
		}
		b := Box{Name: rec[cols["bbox_name"]]}
		if b.Name == "" {
			return nil, fmt.Errorf("%s:%d: empty bbox_name", name, line)
		}
		for _, f := range []struct {
			col string
			dst *float64
		}{{"x1", &b.X1}, {"x2", &b.X2}, {"y1", &b.Y1}, {"y2", &b.Y2}} {
			v := rec[cols[f.col]]
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || x != x || x-x != 0 { // NaN or ±Inf
				return nil, fmt.Errorf("%s:%d: column %s: %q is not a number", name, line, f.col, v)
			}
			*f.dst = x
		}
		if b.X1 > b.X2 {
			return nil, fmt.Errorf("%s:%d: box %q has x1 %v > x2 %v", name, line, b.Name, b.X1, b.X2)
		}
		if b.Y1 > b.Y2 {
			return nil, fmt.Errorf("%s:%d: box %q has y1 %v > y2 %v", name, line, b.Name, b.Y1, b.Y2)
		}
		boxes[id] = append(boxes[id], b)
	}
}

// WriteMasterSheet writes the worklist to path with the same columns in the same order, every
// field as read, and the pad columns (PadColumns, appended at the end when absent) set from pads
// for the cases it holds; other cases keep their pads. The write is atomic: a temporary file in
// the same folder, fsynced, renamed over path, and the folder fsynced.
func (s *Study) WriteMasterSheet(path string, pads map[string]stage.Layout) error {
	for id := range pads {
		if _, ok := s.index[id]; !ok {
			return fmt.Errorf("write %s: pads for dicom_id %q, which is not in the worklist", path, id)
		}
	}
	header := append([]string(nil), s.Header...)
	padc := make([]int, len(PadColumns))
	for i, name := range PadColumns {
		padc[i] = -1
		for j, h := range header {
			if h == name {
				padc[i] = j
				break
			}
		}
		if padc[i] < 0 {
			padc[i] = len(header)
			header = append(header, name)
		}
	}
	rows := make([][]string, len(s.Cases))
	for i, c := range s.Cases {
		row := make([]string, len(header))
		copy(row, c.Fields)
		if l, ok := pads[c.DicomID]; ok {
			for k, v := range []int{l.Top, l.Bottom, l.Left, l.Right} {
				row[padc[k]] = strconv.Itoa(v)
			}
		}
		rows[i] = row
	}
	if err := writeAtomic(path, func(w io.Writer) error { return writeCSV(w, header, rows) }); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	return cw.WriteAll(rows) // flushes
}

// writeAtomic writes a file through a temporary sibling: write, fsync, rename, fsync the folder.
func writeAtomic(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, write)
}

// csvErr says where a CSV stopped parsing as the other errors of this package do, "file:line:",
// rather than encoding/csv's "parse error on line N, column M".
func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", name, err)
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return fmt.Errorf("%s:%d: %w (every row must be as wide as the header)", name, pe.Line, pe.Err)
	}
	return fmt.Errorf("%s:%d: column %d: %w", name, pe.Line, pe.Column, pe.Err)
}
