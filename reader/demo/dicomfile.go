package demo

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// This file is a small DICOM Part 10 writer: just what the demo needs, nothing more. It is
// ours rather than suyashkumar/dicom's writer because that one converts native pixel data
// one binary.Write per sample (about a second per 8-megapixel image) and cannot write signed
// 16-bit samples without a detour; here a study of twelve images must take a few seconds.
//
// Rules honoured (PS3.5): values have even length (text VRs padded with a space, UI and binary
// with 0x00); File Meta Information is always explicit VR little endian with a correct group
// length; elements are written in ascending tag order; OB/OW/SQ/UN/UT take the 4-byte length
// form; encapsulated Pixel Data has undefined length, a Basic Offset Table item, one item
// per fragment and a Sequence Delimitation Item.

// Transfer syntaxes the demo writes.
const (
	ImplicitVRLittleEndian = "1.2.840.10008.1.2"
	ExplicitVRLittleEndian = "1.2.840.10008.1.2.1"
	JPEGBaseline8Bit       = "1.2.840.10008.1.2.4.50"
)

// SOP class of every demo image: Computed Radiography Image Storage.
const crImageStorage = "1.2.840.10008.5.1.4.1.1.1"

// implementationUID identifies this writer in the File Meta (a 2.25 UUID-derived UID).
const implementationUID = "2.25.207964180624377815219486812436434917451"

type dcmTag struct{ group, elem uint16 }

func (t dcmTag) less(o dcmTag) bool {
	if t.group != o.group {
		return t.group < o.group
	}
	return t.elem < o.elem
}

// element is one data element with its value already encoded (without padding).
type element struct {
	tag dcmTag
	vr  string
	val []byte
	// fragments, when non-nil, makes this an encapsulated Pixel Data element.
	fragments [][]byte
}

// dataset collects elements; text helpers format values as PS3.5 wants them.
type dataset struct{ elems []element }

func (d *dataset) add(g, e uint16, vr string, val []byte) {
	d.elems = append(d.elems, element{tag: dcmTag{g, e}, vr: vr, val: val})
}

func (d *dataset) str(g, e uint16, vr, s string) { d.add(g, e, vr, []byte(s)) }

func (d *dataset) us(g, e uint16, v ...uint16) {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	d.add(g, e, "US", b)
}

// ds formats decimal strings (VR DS, at most 16 characters each).
func (d *dataset) ds(g, e uint16, v ...float64) {
	var b bytes.Buffer
	for i, x := range v {
		if i > 0 {
			b.WriteByte('\\')
		}
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if len(s) > 16 {
			s = strconv.FormatFloat(x, 'g', 10, 64)
		}
		b.WriteString(s)
	}
	d.add(g, e, "DS", b.Bytes())
}

func (d *dataset) sorted() []element {
	out := append([]element(nil), d.elems...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].tag.less(out[j].tag) })
	return out
}

// padded returns the value padded to even length with the VR's padding byte.
func padded(vr string, v []byte) []byte {
	if len(v)%2 == 0 {
		return v
	}
	pad := byte(' ')
	switch vr {
	case "UI", "OB", "OW", "UN", "US", "UL", "SS", "SL", "FL", "FD", "AT":
		pad = 0
	}
	return append(append(make([]byte, 0, len(v)+1), v...), pad)
}

// longForm reports whether an explicit VR uses the reserved bytes and a 32-bit length.
func longForm(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV":
		return true
	}
	return false
}

// encoder writes elements to buf; a bufio.Writer keeps its first error for Flush, and a
// bytes.Buffer never fails, so the writes below do not check errors one by one.
type encoder struct {
	buf      io.Writer
	implicit bool
}

func (w encoder) header(t dcmTag, vr string, length uint32) {
	var b [12]byte
	binary.LittleEndian.PutUint16(b[0:], t.group)
	binary.LittleEndian.PutUint16(b[2:], t.elem)
	switch {
	case w.implicit:
		binary.LittleEndian.PutUint32(b[4:], length)
		w.buf.Write(b[:8])
	case longForm(vr):
		copy(b[4:], vr)
		binary.LittleEndian.PutUint32(b[8:], length)
		w.buf.Write(b[:12])
	default:
		copy(b[4:], vr)
		binary.LittleEndian.PutUint16(b[6:], uint16(length))
		w.buf.Write(b[:8])
	}
}

// item writes an Item (FFFE,E000) of the encapsulated pixel data sequence.
func (w encoder) item(data []byte) {
	var b [8]byte
	binary.LittleEndian.PutUint16(b[0:], 0xFFFE)
	binary.LittleEndian.PutUint16(b[2:], 0xE000)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(data)))
	w.buf.Write(b[:])
	w.buf.Write(data)
}

func (w encoder) element(e element) error {
	if e.fragments != nil {
		if w.implicit {
			return fmt.Errorf("encapsulated pixel data needs an explicit VR transfer syntax")
		}
		w.header(e.tag, e.vr, 0xFFFFFFFF)
		// Basic Offset Table with the one frame's offset, then the fragments.
		bot := make([]byte, 4)
		w.item(bot)
		for _, f := range e.fragments {
			w.item(padded("OB", f))
		}
		var b [8]byte
		binary.LittleEndian.PutUint16(b[0:], 0xFFFE)
		binary.LittleEndian.PutUint16(b[2:], 0xE0DD)
		w.buf.Write(b[:]) // Sequence Delimitation Item, length 0
		return nil
	}
	v := padded(e.vr, e.val)
	if !w.implicit && !longForm(e.vr) && len(v) > 0xFFFF {
		return fmt.Errorf("element (%04X,%04X) %s: value of %d bytes is too long", e.tag.group, e.tag.elem, e.vr, len(v))
	}
	w.header(e.tag, e.vr, uint32(len(v)))
	w.buf.Write(v)
	return nil
}

// writePart10 writes a complete DICOM file to out: preamble, "DICM", File Meta Information and
// the data set in the given transfer syntax.
func writePart10(out io.Writer, ds *dataset, sopClass, sopInstance, transferSyntax string) error {
	var meta dataset
	meta.add(0x0002, 0x0001, "OB", []byte{0, 1})
	meta.str(0x0002, 0x0002, "UI", sopClass)
	meta.str(0x0002, 0x0003, "UI", sopInstance)
	meta.str(0x0002, 0x0010, "UI", transferSyntax)
	meta.str(0x0002, 0x0012, "UI", implementationUID)
	meta.str(0x0002, 0x0013, "SH", "SIGHTLINE_DEMO")
	var mb bytes.Buffer
	me := encoder{buf: &mb}
	for _, e := range meta.sorted() {
		if err := me.element(e); err != nil {
			return fmt.Errorf("file meta: %w", err)
		}
	}

	bw := bufio.NewWriterSize(out, 1<<16)
	bw.Write(make([]byte, 128))
	bw.WriteString("DICM")
	w := encoder{buf: bw}
	gl := make([]byte, 4)
	binary.LittleEndian.PutUint32(gl, uint32(mb.Len()))
	w.header(dcmTag{0x0002, 0x0000}, "UL", 4)
	bw.Write(gl)
	bw.Write(mb.Bytes())

	w.implicit = transferSyntax == ImplicitVRLittleEndian
	for _, e := range ds.sorted() {
		if e.tag.group == 0x0002 {
			return fmt.Errorf("group 0002 element (%04X,%04X) in the data set", e.tag.group, e.tag.elem)
		}
		if err := w.element(e); err != nil {
			return err
		}
	}
	return bw.Flush()
}
