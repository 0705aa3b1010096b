package study

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LoadWorklist reads a coordinator's worklist: a master_sheet.csv at sheet whose paths are
// relative to dicomRoot, a folder of its own (the returned study's Dir, so that DicomPath
// resolves and confines paths there). The same validation as Load applies, with errors naming
// the line. When a bounding_boxes.csv sits beside the sheet its boxes are read too, validated
// as Load does, except that boxes of dicom_ids the worklist does not list are left out: a
// worklist is often a subset of the dataset whose boxes file covers every image.
func LoadWorklist(sheet, dicomRoot string) (*Study, error) {
	s, err := readMasterSheetFile(sheet)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(dicomRoot); err != nil {
		return nil, fmt.Errorf("DICOM root %w", fileErr(err))
	} else if !st.IsDir() {
		return nil, fmt.Errorf("DICOM root %s is not a folder", dicomRoot)
	}
	s.Dir = dicomRoot
	boxes := filepath.Join(filepath.Dir(sheet), BoundingBoxes)
	b, err := os.ReadFile(boxes)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fileErr(err)
	}
	// Every dicom_id in the file counts as known for readBoxes' validation; the boxes of ids
	// outside the worklist are then dropped.
	ids, err := boxIDs(bytes.NewReader(b), boxes)
	if err != nil {
		return nil, err
	}
	all, err := readBoxes(bytes.NewReader(b), boxes, ids)
	if err != nil {
		return nil, err
	}
	for id, bs := range all {
		if _, ok := s.index[id]; ok {
			s.Boxes[id] = bs
		}
	}
	return s, nil
}

// boxIDs is the set of dicom_ids a boxes file names.
func boxIDs(r io.Reader, name string) (map[string]int, error) {
	cr := newReader(r)
	_, cols, err := readHeader(cr, name, "dicom_id", "bbox_name", "x1", "x2", "y1", "y2")
	if err != nil {
		return nil, err
	}
	ids := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return ids, nil
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		ids[rec[cols["dicom_id"]]] = 0
	}
}

// Keep returns a study holding the cases of s for which keep is true, in the same order with
// the same columns, and their boxes. s is not changed.
func (s *Study) Keep(keep func(Case) bool) *Study {
	k := &Study{Dir: s.Dir, Header: append([]string(nil), s.Header...), Boxes: map[string][]Box{}, index: map[string]int{}}
	for _, c := range s.Cases {
		if !keep(c) {
			continue
		}
		k.index[c.DicomID] = len(k.Cases)
		k.Cases = append(k.Cases, c)
		if b, ok := s.Boxes[c.DicomID]; ok {
			k.Boxes[c.DicomID] = append([]Box(nil), b...)
		}
	}
	return k
}

// WriteBoxes writes the boxes of the study's cases to path in the bounding_boxes.csv layout
// (dicom_id,bbox_name,x1,x2,y1,y2), cases in worklist order and each case's boxes in file
// order, coordinates written as the dataset writes them (1007.0). The write is atomic.
func (s *Study) WriteBoxes(path string) error {
	rows := [][]string{}
	for _, c := range s.Cases {
		for _, b := range s.Boxes[c.DicomID] {
			rows = append(rows, []string{c.DicomID, b.Name, coord(b.X1), coord(b.X2), coord(b.Y1), coord(b.Y2)})
		}
	}
	header := []string{"dicom_id", "bbox_name", "x1", "x2", "y1", "y2"}
	if err := writeAtomic(path, func(w io.Writer) error { return writeCSV(w, header, rows) }); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// coord formats a box coordinate with the fewest digits that read back exactly, keeping a
// ".0" on whole numbers as the published file does.
func coord(x float64) string {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}
