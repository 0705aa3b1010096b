package dicomimg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
	"github.com/suyashkumar/dicom/pkg/uid"
)

// headSize is how much of a file Size reads first. A radiograph's header (file meta, patient
// and study modules, Rows and Columns) takes a few KiB; a header that runs on (a large icon or
// private element before Rows) is read again in growing steps.
const headSize = 16 << 10

// errNeedMore says that the bytes read so far end before Rows and Columns were found.
var errNeedMore = errors.New("the header runs past the bytes read")

// Size reads a DICOM file's image size (Columns × Rows) from its header, never its pixels: the
// file meta and the top-level elements up to Rows and Columns. A batch of box edits over 589
// radiographs reads a few KiB of each instead of ~15 MB. What follows the header is not
// checked: a file whose pixels are cut short has a size here and fails when it is loaded.
// Files that name no transfer syntax, or a deflated one, are read whole (the syntax is
// inferred, or the data set inflated, from all of it).
func Size(path string) (cols, rows int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("DICOM %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("DICOM %s: %w", path, err)
	}
	if cols, rows, err = headerSize(f, st.Size(), headSize); err != nil {
		return 0, 0, fmt.Errorf("DICOM %s: %w", path, err)
	}
	return cols, rows, nil
}

// headerSize is Size over n bytes of r, reading first bytes first and four times more each
// time the header runs past them.
func headerSize(r io.ReaderAt, n int64, first int) (cols, rows int, err error) {
	if n > maxInputBytes {
		return 0, 0, fmt.Errorf("%w: %d bytes is more than the %d MiB this reader accepts", ErrUnsupported, n, maxInputBytes>>20)
	}
	for k := min(n, int64(first)); ; k = min(n, 4*k) {
		b := make([]byte, k)
		if got, err := r.ReadAt(b, 0); int64(got) < k {
			return 0, 0, fmt.Errorf("reading: got %d of %d bytes: %w", got, k, err)
		}
		cols, rows, err = sizeFrom(b, k == n)
		if !errors.Is(err, errNeedMore) {
			return cols, rows, err
		}
	}
}

// sizeFrom reads Columns and Rows from b, the first bytes of a file (all of it when whole). A
// prefix that ends before both are read gives errNeedMore; so does any error a later byte
// could undo.
func sizeFrom(b []byte, whole bool) (cols, rows int, err error) {
	if len(b) < 128+4 || string(b[128:132]) != "DICM" {
		return wholeSize(b, whole)
	}
	pos, ts, haveTS, err := walkMeta(b)
	if err != nil {
		return 0, 0, needMore(err, whole)
	}
	if !haveTS || ts == uid.DeflatedExplicitVRLittleEndian {
		return wholeSize(b, whole)
	}
	bo, implicit, err := uid.ParseTransferSyntaxUID(ts)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: transfer syntax %q is not a known DICOM transfer syntax", ErrUnsupported, ts)
	}
	var r, c found
	// The parser's data set holds the file meta's elements first: a Rows among them (a
	// malformed file, but one it reads) is the one it finds.
	if err := scan(&walker{b: b[:pos], bo: binary.LittleEndian}, 128+4, true, &r, &c); err != nil {
		return 0, 0, err // walkMeta walked the same bytes
	}
	if err := scan(&walker{b: b[pos:], bo: bo, implicit: implicit}, 0, whole, &r, &c); err != nil {
		return 0, 0, needMore(err, whole)
	}
	rows, okR := r.int()
	cols, okC := c.int()
	if !okR || !okC || rows <= 0 || cols <= 0 {
		return 0, 0, fmt.Errorf("%w: no usable Rows/Columns", errMalformed)
	}
	return cols, rows, nil
}

// needMore is err, or errNeedMore when more bytes could undo it.
func needMore(err error, whole bool) error {
	if whole {
		return err
	}
	return errNeedMore
}

// scan walks w's top-level elements from p until Rows and Columns are both found, or to the
// end of w's bytes (up to three stray bytes, as the parser takes them, when whole).
func scan(w *walker, p int, whole bool, r, c *found) error {
	for !r.ok || !c.ok {
		if len(w.b)-p < 4 {
			if !whole {
				return errNeedMore
			}
			return nil
		}
		next, e, err := w.element(p, len(w.b), 0)
		if err != nil {
			return err
		}
		r.take(w, e, tag.Rows)
		c.take(w, e, tag.Columns)
		p = next
	}
	return nil
}

// found is the first top-level element of a tag, and the walker whose bytes hold it.
type found struct {
	e  elem
	w  *walker
	ok bool
}

// take keeps e if it is the first element of tag t (the first, as the parser's
// FindElementByTag takes it).
func (f *found) take(w *walker, e elem, t tag.Tag) {
	if e.tag == t && !f.ok {
		*f = found{e, w, true}
	}
}

// wholeSize is sizeFrom for a file whose syntax needs all of it: the whole pre-flight and parse.
func wholeSize(b []byte, whole bool) (int, int, error) {
	if !whole {
		return 0, 0, errNeedMore
	}
	chk, err := preflight(b)
	if err != nil {
		return 0, 0, err
	}
	ds, err := parse(chk.head())
	if err != nil {
		return 0, 0, err
	}
	a := attrs(ds)
	rows, okR := a.int(tag.Rows)
	cols, okC := a.int(tag.Columns)
	if !okR || !okC || rows <= 0 || cols <= 0 {
		return 0, 0, fmt.Errorf("%w: no usable Rows/Columns", errMalformed)
	}
	return cols, rows, nil
}

// int is the first value of an integer element as attrs.int reads it from the parsed data set:
// binary US, SS, UL or SL, or a number written as text (IS).
func (f found) int() (int, bool) {
	e := f.e
	switch {
	case !f.ok:
		return 0, false
	case e.vr == "US" || e.vr == "SS" || e.vr == "UL" || e.vr == "SL":
		return f.w.firstInt(e)
	case isStringKind(e.kind) && e.vl != undefinedLength:
		s, _, _ := strings.Cut(trimString(f.w.b[e.value:e.value+int(e.vl)]), `\`)
		n, err := strconv.Atoi(strings.TrimSpace(strings.Trim(s, "\x00")))
		return n, err == nil
	}
	return 0, false
}
