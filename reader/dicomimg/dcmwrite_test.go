package dicomimg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// A small DICOM writer for tests: enough of PS3.5 to build Part 10 files in implicit VR little
// endian, explicit VR little endian and explicit VR big endian, with sequences and encapsulated
// pixel data. It writes what it is told, including nonsense, which is the point.

// el is one data element. val is one of: string (padded to even), []uint16, []int16, []uint32,
// []byte (OB/UN/OW as bytes in little endian word order), []item (a sequence), frags
// (encapsulated pixel data), rawValue (bytes written as they are, with a length of our choice).
type el struct {
	group, elem uint16
	vr          string
	val         any
}

type item []el

// frags is encapsulated pixel data: an empty basic offset table, then one item per fragment.
type frags [][]byte

// rawValue is a value written verbatim behind a declared length that may lie.
type rawValue struct {
	vl   uint32
	data []byte
}

type encoding struct {
	bo interface {
		binary.ByteOrder
		binary.AppendByteOrder
	}
	implicit bool
}

var (
	implicitLE = encoding{binary.LittleEndian, true}
	explicitLE = encoding{binary.LittleEndian, false}
	explicitBE = encoding{binary.BigEndian, false}
)

const (
	tsImplicitLE = "1.2.840.10008.1.2"
	tsExplicitLE = "1.2.840.10008.1.2.1"
	tsExplicitBE = "1.2.840.10008.1.2.2"
	tsJPEG2000   = "1.2.840.10008.1.2.4.90"
)

// encodingOf is the encoding of a data set in transfer syntax ts; compressed ones are explicit
// VR little endian.
func encodingOf(ts string) encoding {
	switch ts {
	case tsImplicitLE:
		return implicitLE
	case tsExplicitBE:
		return explicitBE
	}
	return explicitLE
}

var longVRs = map[string]bool{"OB": true, "OD": true, "OF": true, "OL": true, "OV": true, "OW": true,
	"SQ": true, "SV": true, "UC": true, "UN": true, "UR": true, "UT": true, "UV": true}

func (e encoding) value(x el) (data []byte, vl uint32) {
	var b bytes.Buffer
	switch v := x.val.(type) {
	case string:
		b.WriteString(v)
		if b.Len()%2 == 1 {
			if x.vr == "UI" {
				b.WriteByte(0)
			} else {
				b.WriteByte(' ')
			}
		}
	case []uint16:
		for _, u := range v {
			b.Write(e.bo.AppendUint16(nil, u))
		}
	case []int16:
		for _, u := range v {
			b.Write(e.bo.AppendUint16(nil, uint16(u)))
		}
	case []uint32:
		for _, u := range v {
			b.Write(e.bo.AppendUint32(nil, u))
		}
	case []byte:
		p := append([]byte(nil), v...)
		if len(p)%2 == 1 {
			p = append(p, 0)
		}
		if x.vr == "OW" && e.bo.String() == binary.BigEndian.String() { // OW is a stream of words: swap each pair
			for i := 0; i+1 < len(p); i += 2 {
				p[i], p[i+1] = p[i+1], p[i]
			}
		}
		b.Write(p)
	case []item:
		for _, it := range v {
			body := e.elements(it)
			b.Write(e.header(0xfffe, 0xe000, "", uint32(len(body)), true))
			b.Write(body)
		}
	case frags:
		b.Write(e.header(0xfffe, 0xe000, "", 0, true))
		for _, f := range v {
			p := append([]byte(nil), f...)
			if len(p)%2 == 1 {
				p = append(p, 0)
			}
			b.Write(e.header(0xfffe, 0xe000, "", uint32(len(p)), true))
			b.Write(p)
		}
		b.Write(e.header(0xfffe, 0xe0dd, "", 0, true))
		return b.Bytes(), 0xffffffff
	case rawValue:
		return v.data, v.vl
	default:
		panic(fmt.Sprintf("el %04x,%04x: value of type %T", x.group, x.elem, x.val))
	}
	return b.Bytes(), uint32(b.Len())
}

// header encodes a tag, VR and length; items and delimiters are always implicit.
func (e encoding) header(g, n uint16, vr string, vl uint32, implicit bool) []byte {
	h := e.bo.AppendUint16(nil, g)
	h = e.bo.AppendUint16(h, n)
	if implicit || e.implicit {
		return e.bo.AppendUint32(h, vl)
	}
	h = append(h, vr...)
	if longVRs[vr] {
		h = append(h, 0, 0)
		return e.bo.AppendUint32(h, vl)
	}
	return e.bo.AppendUint16(h, uint16(vl))
}

func (e encoding) elements(els []el) []byte {
	var b bytes.Buffer
	for _, x := range els {
		data, vl := e.value(x)
		b.Write(e.header(x.group, x.elem, x.vr, vl, false))
		b.Write(data)
	}
	return b.Bytes()
}

// part10 is a DICOM file: preamble, file meta naming ts, then the data set encoded for ts.
func part10(ts string, els []el) []byte {
	meta := explicitLE.elements([]el{
		{0x0002, 0x0001, "OB", []byte{0, 1}},
		{0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7"},
		{0x0002, 0x0003, "UI", "1.2.826.0.1.3680043.8.498.1"},
		{0x0002, 0x0010, "UI", ts},
		{0x0002, 0x0012, "UI", "1.2.826.0.1.3680043.8.498.2"},
	})
	var b bytes.Buffer
	b.Write(make([]byte, 128))
	b.WriteString("DICM")
	b.Write(explicitLE.elements([]el{{0x0002, 0x0000, "UL", []uint32{uint32(len(meta))}}}))
	b.Write(meta)
	b.Write(encodingOf(ts).elements(els))
	return b.Bytes()
}

// testImage describes a greyscale test image; elements turns it into data elements.
type testImage struct {
	rows, cols          int
	bitsAlloc, bitsStor int
	highBit             int // 0: bitsStor-1
	signed              bool
	photometric         string // "": MONOCHROME2
	samples             int    // 0: 1
	frames              string // NumberOfFrames, "" for none
	window              [2]string
	voiFunction         string
	slope, intercept    string
	stored              []int // raw allocated words (sign and high bits as they should be written)
	pixelVR             string
	extra               []el // added before Pixel Data, in tag order with the rest
	pixelData           any  // overrides the pixel data built from stored
}

func (im testImage) elements() []el {
	ph := im.photometric
	if ph == "" {
		ph = "MONOCHROME2"
	}
	spp := im.samples
	if spp == 0 {
		spp = 1
	}
	hb := im.highBit
	if hb == 0 {
		hb = im.bitsStor - 1
	}
	rep := uint16(0)
	if im.signed {
		rep = 1
	}
	els := []el{
		{0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7"},
		{0x0008, 0x0018, "UI", "1.2.826.0.1.3680043.8.498.1"},
		{0x0028, 0x0002, "US", []uint16{uint16(spp)}},
		{0x0028, 0x0004, "CS", ph},
	}
	if im.frames != "" {
		els = append(els, el{0x0028, 0x0008, "IS", im.frames})
	}
	els = append(els,
		el{0x0028, 0x0010, "US", []uint16{uint16(im.rows)}},
		el{0x0028, 0x0011, "US", []uint16{uint16(im.cols)}},
		el{0x0028, 0x0100, "US", []uint16{uint16(im.bitsAlloc)}},
		el{0x0028, 0x0101, "US", []uint16{uint16(im.bitsStor)}},
		el{0x0028, 0x0102, "US", []uint16{uint16(hb)}},
		el{0x0028, 0x0103, "US", []uint16{rep}},
	)
	if im.window[0] != "" {
		els = append(els, el{0x0028, 0x1050, "DS", im.window[0]}, el{0x0028, 0x1051, "DS", im.window[1]})
	}
	if im.intercept != "" {
		els = append(els, el{0x0028, 0x1052, "DS", im.intercept})
	}
	if im.slope != "" {
		els = append(els, el{0x0028, 0x1053, "DS", im.slope})
	}
	if im.voiFunction != "" {
		els = append(els, el{0x0028, 0x1056, "CS", im.voiFunction})
	}
	els = append(els, im.extra...)
	pd := im.pixelData
	vr := im.pixelVR
	if pd == nil {
		if im.bitsAlloc == 8 {
			p := make([]byte, len(im.stored))
			for i, v := range im.stored {
				p[i] = byte(v)
			}
			pd = p
			if vr == "" {
				vr = "OB"
			}
		} else {
			p := make([]uint16, len(im.stored))
			for i, v := range im.stored {
				p[i] = uint16(v)
			}
			pd = p
		}
	}
	if vr == "" {
		vr = "OW"
	}
	return append(els, el{0x7fe0, 0x0010, vr, pd})
}

func (im testImage) file(ts string) []byte { return part10(ts, im.elements()) }

// ramp is n stored values spread evenly over [lo, hi].
func ramp(n, lo, hi int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = lo + (hi-lo)*i/max(n-1, 1)
	}
	return v
}

func joinDS(vs ...string) string { return strings.Join(vs, `\`) }
