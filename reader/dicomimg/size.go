package dicomimg

import (
	"fmt"
	"os"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// Size reads a DICOM file's image size (Columns × Rows) without decoding its pixels, for
// placing the case on the stage before it is shown (the gaze simulator's scenes).
func Size(path string) (cols, rows int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("DICOM %s: %w", path, err)
	}
	chk, err := preflight(b)
	if err != nil {
		return 0, 0, fmt.Errorf("DICOM %s: %w", path, err)
	}
	ds, err := parse(chk.head())
	if err != nil {
		return 0, 0, fmt.Errorf("DICOM %s: %w", path, err)
	}
	a := attrs(ds)
	rows, okR := a.int(tag.Rows)
	cols, okC := a.int(tag.Columns)
	if !okR || !okC || rows <= 0 || cols <= 0 {
		return 0, 0, fmt.Errorf("DICOM %s: %w: no usable Rows/Columns", path, errMalformed)
	}
	return cols, rows, nil
}
