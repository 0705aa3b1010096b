package dicomimg

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
	"github.com/suyashkumar/dicom/pkg/uid"
)

// Why a pre-flight walk: suyashkumar/dicom v1.1.0 allocates every value at the length the file
// declares before it reads a byte of it (make([]byte, vl) for strings and OB, make([]int, 0,
// vl/2) for numbers once the stream is deflated, …), so a 200-byte file that declares a 4 GiB
// element costs 4 GiB, and deep enough nesting of undefined-length items overflows the goroutine
// stack, a fatal error that recover cannot catch. The walk below follows the element grammar the
// parser uses (read.go: readElement, readVR, readVL, readValue, readRawItem) over the bytes we
// already hold, allocates nothing, and refuses any input where a declared length overruns the
// bytes that are left, or nesting is absurd. What it lets through, the parser reads in memory
// proportional to the input (or to the inflated data set, itself bounded). The parser is also
// spared its two riskiest paths: it gets an explicit transfer syntax (see checked.stream).

const (
	maxInputBytes    = 1 << 28 // 256 MiB: 100 MP × 16 bits fits; a CR/DX file is tens of MB
	maxInflatedBytes = 1 << 28 // a deflated data set may not inflate beyond this either
	maxNesting       = 64      // levels of sequence and item; real files use a handful
)

var errMalformed = errors.New("malformed DICOM")

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errMalformed, fmt.Sprintf(format, a...))
}

// syntax is a transfer syntax as the parser applies it to the data set.
type syntax struct {
	uid      string
	bo       binary.ByteOrder
	implicit bool
	deflated bool
}

// inferable are the syntaxes to try, in the parser's order, when the file meta names none.
var inferable = []syntax{
	{uid.ImplicitVRLittleEndian, binary.LittleEndian, true, false},
	{uid.ExplicitVRBigEndian, binary.BigEndian, false, false},
	{uid.ExplicitVRLittleEndian, binary.LittleEndian, false, false},
}

// checked is what the walk learned: the syntax of the data set and the stream to give the parser.
type checked struct {
	syntax syntax
	// stream is what the parser gets: the input, or a fresh file meta followed by the data set
	// when the file meta named no transfer syntax (so that the parser does not run its own
	// inference, whose trial reads allocate at whatever length the guessed syntax decodes) or a
	// deflated one (inflated once, here, within a limit).
	stream []byte
	// pixels is where the top-level Pixel Data value lies in stream, when it has a defined
	// length (native encoding): decode then reads it there, and the parser stops before it.
	pixels pixelSpan
}

// pixelSpan locates a Pixel Data element in a stream.
type pixelSpan struct {
	ok          bool
	elem, value int // offsets of the element and of its value
	n           int // value length
	vr          string
}

// shift moves the span by off bytes: the walk saw the data set, the stream may have a prefix.
func (p pixelSpan) shift(off int) pixelSpan {
	if p.ok {
		p.elem, p.value = p.elem+off, p.value+off
	}
	return p
}

// preflight checks the structure of a whole DICOM stream. Its errors wrap errMalformed or
// ErrUnsupported. It may rewrite the length of UN sequences in b (see walkDataSet): b must be
// the caller's own copy of the input.
func preflight(b []byte) (checked, error) {
	if len(b) < 128+4 {
		return checked{}, malformed("%d bytes is too short for a DICOM file", len(b))
	}
	pos := 0
	var ts string
	haveTS := false
	if string(b[128:132]) == "DICM" {
		var err error
		pos, ts, haveTS, err = walkMeta(b)
		if err != nil {
			return checked{}, err
		}
	}

	if !haveTS {
		s, px, err := infer(b, pos) // walks the data set
		if err != nil {
			return checked{}, err
		}
		meta := fileMeta(s.uid)
		return checked{syntax: s, stream: append(meta, b[pos:]...), pixels: px.shift(len(meta))}, nil
	}

	bo, implicit, err := uid.ParseTransferSyntaxUID(ts)
	if err != nil {
		return checked{}, fmt.Errorf("%w: transfer syntax %q is not a known DICOM transfer syntax", ErrUnsupported, ts)
	}
	s := syntax{uid: ts, bo: bo, implicit: implicit, deflated: ts == uid.DeflatedExplicitVRLittleEndian}
	body := b[pos:]
	if s.deflated {
		if body, err = inflate(body); err != nil {
			return checked{}, err
		}
	}
	px, err := walkDataSet(body, s)
	if err != nil {
		return checked{}, err
	}
	if s.deflated {
		// Hand the parser the data set we inflated and walked, as the explicit VR little endian
		// it is underneath: it need not inflate it again, and it reads exactly what was checked.
		meta := fileMeta(uid.ExplicitVRLittleEndian)
		return checked{syntax: s, stream: append(meta, body...), pixels: px.shift(len(meta))}, nil
	}
	return checked{syntax: s, stream: b, pixels: px.shift(pos)}, nil
}

// walkMeta walks the file meta group that follows the preamble. It returns where the data set
// starts and the transfer syntax named there, if any.
func walkMeta(b []byte) (body int, ts string, haveTS bool, err error) {
	w := walker{b: b, bo: binary.LittleEndian} // file meta is always explicit VR little endian
	pos := 128 + 4
	next, e, err := w.element(pos, len(b), 0)
	if err != nil {
		return 0, "", false, fmt.Errorf("file meta: %w", err)
	}
	groupLen, ok := w.firstInt(e)
	if e.tag != tag.FileMetaInformationGroupLength || !ok {
		return 0, "", false, malformed("file meta does not start with its group length (0002,0000)")
	}
	if groupLen < 0 || groupLen > len(b)-next {
		return 0, "", false, malformed("file meta group length %d overruns the %d bytes left", groupLen, len(b)-next)
	}
	end := next + groupLen
	seen := false // the parser takes the first transfer syntax element
	for pos = next; pos < end; {
		next, e, err := w.element(pos, end, 0)
		if err != nil {
			return 0, "", false, fmt.Errorf("file meta: %w", err)
		}
		if e.tag == tag.TransferSyntaxUID && !seen {
			seen = true
			if !isStringKind(e.kind) {
				return 0, "", false, malformed("transfer syntax UID has VR %q", e.vr)
			}
			ts, _, _ = strings.Cut(trimString(b[e.value:e.value+int(e.vl)]), `\`)
			haveTS = strings.TrimSpace(ts) != "" // an empty one names nothing: infer
		}
		pos = next
	}
	return end, ts, haveTS, nil
}

// infer picks the transfer syntax of a data set that arrives without one: the first, in the
// parser's order, under which the whole data set walks cleanly. (The parser itself only tries
// to read the first element within 100 bytes, which fails on a long first element; since it
// gets a file meta from us, its guess is never used.)
func infer(b []byte, pos int) (syntax, pixelSpan, error) {
	var first error
	for _, s := range inferable {
		px, err := walkDataSet(b[pos:], s)
		if err == nil {
			return s, px, nil
		}
		if first == nil {
			first = err
		}
	}
	return syntax{}, pixelSpan{}, fmt.Errorf("no transfer syntax named, and none fits the data set (as implicit VR little endian: %w)", first)
}

// fileMeta is a minimal file preamble and meta group naming transfer syntax ts.
func fileMeta(ts string) []byte {
	v := []byte(ts)
	if len(v)%2 == 1 {
		v = append(v, 0)
	}
	var m bytes.Buffer
	m.Write(make([]byte, 128))
	m.WriteString("DICM")
	le := binary.LittleEndian
	m.Write([]byte{0x02, 0x00, 0x00, 0x00, 'U', 'L', 4, 0})
	m.Write(le.AppendUint32(nil, uint32(8+len(v))))
	m.Write([]byte{0x02, 0x00, 0x10, 0x00, 'U', 'I'})
	m.Write(le.AppendUint16(nil, uint16(len(v))))
	m.Write(v)
	return m.Bytes()
}

// inflate undoes the deflate of a Deflated Explicit VR Little Endian data set, up to a limit.
func inflate(b []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(b))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxInflatedBytes+1))
	if err != nil {
		return nil, malformed("deflated data set: %v", err)
	}
	if len(out) > maxInflatedBytes {
		return nil, fmt.Errorf("%w: deflated data set inflates beyond %d MiB", ErrUnsupported, maxInflatedBytes>>20)
	}
	return out, nil
}

// walkDataSet walks the top level of a data set to its end, and says where the first top-level
// Pixel Data of defined length lies. Like the parser, it takes one to three stray bytes at the
// end for the end of the stream.
func walkDataSet(b []byte, s syntax) (pixelSpan, error) {
	var un []unSeq
	w := walker{b: b, bo: s.bo, implicit: s.implicit, unSeqs: &un}
	var px pixelSpan
	for pos := 0; len(b)-pos >= 4; {
		next, e, err := w.element(pos, len(b), 0)
		if err != nil {
			return pixelSpan{}, err
		}
		if e.tag == tag.PixelData && e.vl != undefinedLength && !px.ok {
			px = pixelSpan{ok: true, elem: pos, value: e.value, n: int(e.vl), vr: e.vr}
		}
		pos = next
	}
	// Every UN sequence of undefined length becomes UN of defined length, the same bytes:
	// offsets do not move. b is the caller's own copy of the input (see preflight).
	for _, u := range un {
		w.bo.PutUint32(b[u.vlAt:], u.n)
	}
	return px, nil
}

// walker reads element headers from b without allocating values.
type walker struct {
	b        []byte
	bo       binary.ByteOrder
	implicit bool
	// unSeqs collects the UN elements of undefined length met in an explicit VR data set (see
	// element); nil where nobody asks.
	unSeqs *[]unSeq
}

// unSeq is a UN element of undefined length: where its 4-byte length sits, and the length
// of what follows up to the end of its sequence delimiter.
type unSeq struct {
	vlAt int
	n    uint32
}

// elem is an element header as the parser decodes it, and where its value lies.
type elem struct {
	tag   tag.Tag
	vr    string
	vl    uint32
	kind  tag.VRKind
	value int // offset of the value in b
}

const undefinedLength = tag.VLUndefinedLength

// longVL are the explicit VRs whose length is 4 bytes after 2 reserved ones, as the parser
// decides it (readVL). OV, SV and UV are missing there, so they are missing here.
var longVL = map[string]bool{
	"NA": true, "OB": true, "OD": true, "OF": true, "OL": true, "OW": true,
	"SQ": true, "UN": true, "UC": true, "UR": true, "UT": true,
}

// impliedVR is the VR the parser assumes for t in implicit VR (readVR).
func impliedVR(t tag.Tag) string {
	info, err := tag.Find(t)
	if err != nil || len(info.VRs) == 0 {
		return "UN"
	}
	if t == tag.PixelData || t == tag.OverlayData {
		return "OW"
	}
	return info.VRs[0]
}

func (w *walker) u16(p int) uint16 { return w.bo.Uint16(w.b[p:]) }
func (w *walker) u32(p int) uint32 { return w.bo.Uint32(w.b[p:]) }

// element walks the element at pos, which must end by end, and returns the position after it.
func (w *walker) element(pos, end, depth int) (int, elem, error) {
	var e elem
	start := pos
	if end-pos < 4 {
		return 0, e, malformed("element at offset %d: tag cut off", start)
	}
	e.tag = tag.Tag{Group: w.u16(pos), Element: w.u16(pos + 2)}
	pos += 4
	implicit := w.implicit || e.tag == tag.Item // items are always implicit VR
	if implicit {
		e.vr = impliedVR(e.tag)
		if end-pos < 4 {
			return 0, e, malformed("element %v at offset %d: length cut off", e.tag, start)
		}
		e.vl = w.u32(pos)
		pos += 4
	} else {
		if end-pos < 2 {
			return 0, e, malformed("element %v at offset %d: VR cut off", e.tag, start)
		}
		e.vr = string(w.b[pos : pos+2])
		pos += 2
		if longVL[e.vr] {
			if end-pos < 6 {
				return 0, e, malformed("element %v at offset %d: length cut off", e.tag, start)
			}
			e.vl = w.u32(pos + 2)
			pos += 6
			if e.vl == undefinedLength && (e.vr == "UC" || e.vr == "UR" || e.vr == "UT") {
				return 0, e, malformed("element %v at offset %d: %s of undefined length", e.tag, start, e.vr)
			}
		} else {
			if end-pos < 2 {
				return 0, e, malformed("element %v at offset %d: length cut off", e.tag, start)
			}
			e.vl = uint32(w.u16(pos))
			if e.vl == 0xffff {
				e.vl = undefinedLength
			}
			pos += 2
		}
	}
	e.value = pos
	e.kind = tag.GetVRKind(e.tag, e.vr)
	undefined := e.vl == undefinedLength

	overrun := func() (int, elem, error) {
		if undefined {
			return 0, e, malformed("element %v (%s) at offset %d: undefined length not allowed here", e.tag, e.vr, start)
		}
		return 0, e, malformed("element %v (%s) at offset %d declares %d bytes, only %d are left (truncated file?)",
			e.tag, e.vr, start, e.vl, end-pos)
	}
	fits := !undefined && int64(e.vl) <= int64(end-pos)

	switch e.kind {
	case tag.VRSequence:
		next, err := w.sequence(pos, end, e.vl, depth+1)
		return next, e, err
	case tag.VRItem:
		next, err := w.item(pos, end, e.vl, depth+1)
		return next, e, err
	case tag.VRUnknown:
		if undefined {
			if w.implicit {
				next, err := w.sequence(pos, end, e.vl, depth+1)
				return next, e, err
			}
			// A sequence whose VR was unknown to the writer (a private one, typically) kept as
			// UN of undefined length, as GDCM writes them: its items are in implicit VR little
			// endian whatever the data set's syntax (PS3.5 6.2.2, CP-246). The parser reads
			// them in the data set's syntax and fails, so its length is noted, for decode to
			// make it a defined-length UN the parser skips as bytes (nothing in it is displayed).
			iw := walker{b: w.b, bo: binary.LittleEndian, implicit: true}
			next, err := iw.sequence(pos, end, e.vl, depth+1)
			if err != nil {
				return 0, e, err
			}
			if w.unSeqs != nil {
				*w.unSeqs = append(*w.unSeqs, unSeq{vlAt: pos - 4, n: uint32(next - pos)})
			}
			return next, e, nil
		}
	case tag.VRPixelData:
		if undefined {
			next, err := w.encapsulated(pos, end)
			return next, e, err
		}
	case tag.VRBytes:
		if undefined {
			next, err := w.fragments(pos, end)
			return next, e, err
		}
		if e.vr == "OW" && e.vl%2 != 0 {
			return 0, e, malformed("element %v at offset %d: OW of odd length %d", e.tag, start, e.vl)
		}
	case tag.VRUInt16List, tag.VRInt16List, tag.VRTagList, tag.VRUInt32List, tag.VRInt32List,
		tag.VRFloat32List, tag.VRFloat64List:
		if fits && e.vl%uint32(numberSize(e.vr)) != 0 {
			return 0, e, malformed("element %v (%s) at offset %d: length %d is not a whole number of values", e.tag, e.vr, start, e.vl)
		}
	}
	if !fits {
		return overrun()
	}
	return pos + int(e.vl), e, nil
}

// numberSize is the size of one value of a numeric VR, as the parser reads it.
func numberSize(vr string) int {
	switch vr {
	case "US", "SS", "AT":
		return 2
	case "FD":
		return 8
	default: // UL, SL, FL
		return 4
	}
}

// sequence walks the items of a sequence (readSequence).
func (w *walker) sequence(pos, end int, vl uint32, depth int) (int, error) {
	if depth > maxNesting {
		return 0, malformed("sequences nested deeper than %d at offset %d", maxNesting, pos)
	}
	if vl == undefinedLength {
		for {
			next, e, err := w.element(pos, end, depth)
			if err != nil {
				return 0, err
			}
			if e.tag == tag.SequenceDelimitationItem {
				return next, nil
			}
			if e.tag != tag.Item {
				return 0, malformed("element %v inside a sequence at offset %d, expected an item", e.tag, pos)
			}
			pos = next
		}
	}
	if int64(vl) > int64(end-pos) {
		return 0, malformed("sequence at offset %d declares %d bytes, only %d are left", pos, vl, end-pos)
	}
	limit := pos + int(vl)
	for pos < limit {
		next, e, err := w.element(pos, limit, depth)
		if err != nil {
			return 0, err
		}
		// The parser type-asserts every element of a defined-length sequence to be an item
		// and panics otherwise.
		if e.tag != tag.Item {
			return 0, malformed("element %v inside a sequence at offset %d, expected an item", e.tag, pos)
		}
		pos = next
	}
	return limit, nil
}

// item walks the elements of a sequence item (readSequenceItem).
func (w *walker) item(pos, end int, vl uint32, depth int) (int, error) {
	if depth > maxNesting {
		return 0, malformed("sequences nested deeper than %d at offset %d", maxNesting, pos)
	}
	if vl == undefinedLength {
		for {
			next, e, err := w.element(pos, end, depth)
			if err != nil {
				return 0, err
			}
			if e.tag == tag.ItemDelimitationItem {
				return next, nil
			}
			pos = next
		}
	}
	if int64(vl) > int64(end-pos) {
		return 0, malformed("item at offset %d declares %d bytes, only %d are left", pos, vl, end-pos)
	}
	limit := pos + int(vl)
	for pos < limit {
		next, _, err := w.element(pos, limit, depth)
		if err != nil {
			return 0, err
		}
		pos = next
	}
	return limit, nil
}

// rawItem walks one item of encapsulated data (readRawItem): tag and 4-byte length, always
// implicit. done reports a sequence delimiter.
func (w *walker) rawItem(pos, end int) (next int, done bool, err error) {
	if end-pos < 8 {
		return 0, false, malformed("encapsulated data cut off at offset %d", pos)
	}
	t := tag.Tag{Group: w.u16(pos), Element: w.u16(pos + 2)}
	vl := w.u32(pos + 4)
	pos += 8
	switch {
	case t == tag.SequenceDelimitationItem:
		return pos, true, nil
	case t != tag.Item || vl == undefinedLength:
		return pos, false, nil // the parser logs these and reads on
	case int64(vl) > int64(end-pos):
		return 0, false, malformed("fragment at offset %d declares %d bytes, only %d are left (truncated file?)", pos-8, vl, end-pos)
	}
	return pos + int(vl), false, nil
}

// encapsulated walks encapsulated pixel data: the basic offset table, then fragments up to the
// sequence delimiter (readPixelData). The parser stops quietly at a broken fragment; we refuse it.
func (w *walker) encapsulated(pos, end int) (int, error) {
	pos, _, err := w.rawItem(pos, end) // the basic offset table, skipped whatever it is
	if err != nil {
		return 0, err
	}
	for pos < end {
		next, done, err := w.rawItem(pos, end)
		if err != nil {
			return 0, err
		}
		pos = next
		if done {
			break
		}
	}
	return pos, nil
}

// fragments walks an OB/OW value of undefined length (readUndefinedLengthByteValue).
func (w *walker) fragments(pos, end int) (int, error) {
	for pos < end {
		next, done, err := w.rawItem(pos, end)
		if err != nil {
			return 0, err
		}
		pos = next
		if done {
			return pos, nil
		}
	}
	return 0, malformed("undefined-length value without a sequence delimiter")
}

// firstInt is the first value of a numeric element, as the parser would read it.
func (w *walker) firstInt(e elem) (int, bool) {
	p := e.value
	switch {
	case e.vl == undefinedLength:
		return 0, false
	case (e.vr == "US" || e.vr == "AT") && e.vl >= 2:
		return int(w.u16(p)), true
	case e.vr == "SS" && e.vl >= 2:
		return int(int16(w.u16(p))), true
	case e.vr == "UL" && e.vl >= 4:
		return int(w.u32(p)), true
	case e.vr == "SL" && e.vl >= 4:
		return int(int32(w.u32(p))), true
	}
	return 0, false
}

func isStringKind(k tag.VRKind) bool {
	return k == tag.VRString || k == tag.VRStringList || k == tag.VRDate
}

// trimString trims a string value as the parser does: padding spaces and NULs, unless it is all
// spaces.
func trimString(v []byte) string {
	s := string(v)
	if strings.TrimSpace(s) == "" {
		return s
	}
	return strings.Trim(s, " \x00")
}
