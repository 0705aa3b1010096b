package dicomimg

import (
	"encoding/binary"
	"image"
	"math"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// lut maps each stored value, read as a table index (see unpack), to its display grey level.
type lut [1 << 16]uint8

// table is the map from stored values to display grey levels: Modality LUT (rescale), VOI LUT
// (the first window in the file, else min–max), MONOCHROME1 inversion, 8 bits. It fills the
// rescale and window fields of info.
func table(px pixels, info *Info, a attrs) *lut {
	base := 0 // stored value = table index + base
	if px.format.signed {
		base = -(1 << (px.format.bitsStored - 1))
	}

	slope, ok := a.float(tag.RescaleSlope)
	if !ok || slope == 0 {
		slope = 1
	}
	intercept, _ := a.float(tag.RescaleIntercept)
	info.RescaleSlope, info.RescaleIntercept = slope, intercept

	var (
		voi    func(x float64) float64
		lo, hi uint16 // the table indices to fill
	)
	c, okC := a.float(tag.WindowCenter)
	w, okW := a.float(tag.WindowWidth)
	fn, _ := a.str(tag.VOILUTFunction)
	fn = strings.ToUpper(fn)
	// PS3.3 C.11.2.1.2: width ≥ 1 for LINEAR, > 0 for the others; a window outside that is unusable.
	if okC && okW && (w >= 1 || (w > 0 && (fn == "LINEAR_EXACT" || fn == "SIGMOID"))) {
		info.WindowCenter, info.WindowWidth, info.Windowing = c, w, FileWindow
		// Fill the table for every storable value rather than find the ones present: at most
		// 2^16 evaluations, cheaper than a min/max pass over millions of pixels.
		lo, hi = 0, uint16(1<<px.format.bitsStored-1)
		switch fn {
		case "LINEAR_EXACT":
			voi = func(x float64) float64 { return linearExact(x, c, w) }
		case "SIGMOID":
			voi = func(x float64) float64 { return sigmoid(x, c, w) }
		default:
			voi = func(x float64) float64 { return linear(x, c, w) }
		}
	} else {
		info.Windowing = MinMax
		lo, hi = px.indexRange()
		// The modality LUT is linear, so the extremes of the stored values give those of the
		// modality values (swapped when the slope is negative).
		mlo := slope*float64(int(lo)+base) + intercept
		mhi := slope*float64(int(hi)+base) + intercept
		mlo, mhi = min(mlo, mhi), max(mlo, mhi)
		voi = func(x float64) float64 {
			if mhi == mlo {
				return 0
			}
			return (x - mlo) / (mhi - mlo) * 255
		}
	}

	// One table entry per stored value instead of one evaluation per pixel. Indexed by a uint16,
	// the full-size table needs no bounds checks where pixels are mapped.
	t := new(lut)
	invert := info.Photometric == "MONOCHROME1"
	for i := int(lo); i <= int(hi); i++ {
		y := math.Round(voi(slope*float64(i+base) + intercept))
		y = min(max(y, 0), 255)
		if invert {
			y = 255 - y
		}
		t[i] = uint8(y)
	}
	return t
}

// render is the frame's display image at full size.
func render(px pixels, t *lut) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, px.cols, px.rows))
	px.mapper(t)(0, img.Pix)
	return img
}

// linear is the VOI LUT function LINEAR of PS3.3 C.11.2.1.2.1 onto 0..255.
func linear(x, c, w float64) float64 {
	switch {
	case x <= c-0.5-(w-1)/2:
		return 0
	case x > c-0.5+(w-1)/2:
		return 255
	}
	return ((x-(c-0.5))/(w-1) + 0.5) * 255
}

// linearExact is the VOI LUT function LINEAR_EXACT of PS3.3 C.11.2.1.3.2 onto 0..255.
func linearExact(x, c, w float64) float64 {
	switch {
	case x <= c-w/2:
		return 0
	case x > c+w/2:
		return 255
	}
	return ((x-c)/w + 0.5) * 255
}

// sigmoid is the VOI LUT function SIGMOID of PS3.3 C.11.2.1.3.1 onto 0..255.
func sigmoid(x, c, w float64) float64 {
	return 255 / (1 + math.Exp(-4*(x-c)/w))
}

// The stored values are read as table indices: the BitsStored bits ending at HighBit, read as
// offset binary when Pixel Representation says signed (flipping the sign bit maps −2^(n−1) to 0),
// so that index = stored value − the smallest storable value. indexRange and mapper decode them
// on the fly, each in one pass over the frame: no frame-sized table of indices is built.

// unpack is how each pixel's index comes out of px.raw.
type unpack struct {
	shift      uint // < 16: tells the compiler no shift-out case is needed
	mask, flip uint16
}

func (px pixels) unpack() unpack {
	f := px.format
	u := unpack{shift: uint(f.highBit+1-f.bitsStored) & 15, mask: uint16(1)<<f.bitsStored - 1}
	if f.signed {
		u.flip = 1 << (f.bitsStored - 1)
	}
	return u
}

// run is how many indices are decoded at a time: few enough to stay in the first-level cache.
const run = 1024

// indices writes the table indices of pixels i0, i0+1, … (in raster order) into idx, decoded by
// the loop for the file's layout. (No callback: a buffer handed to one would escape, and be
// allocated on the heap at every call.)
func (px pixels) indices(i0 int, idx []uint16) {
	if g := px.gray; g != nil {
		for k := 0; k < len(idx); {
			i := i0 + k
			y, x := i/px.cols, i%px.cols
			part := g.Pix[y*g.Stride+x : y*g.Stride+min(px.cols, x+len(idx)-k)]
			for j, v := range part {
				idx[k+j] = uint16(v)
			}
			k += len(part)
		}
		return
	}
	u := px.unpack()
	raw := px.raw
	switch f := px.format; {
	case f.bitsAllocated == 8 && px.bigOW8:
		for k := range idx {
			j := (i0 + k) ^ 1
			if j >= len(raw) { // the pad byte of an odd count, when the value was cut short
				j = i0 + k
			}
			idx[k] = (uint16(raw[j])>>u.shift)&u.mask ^ u.flip
		}
	case f.bitsAllocated == 8:
		for k, b := range raw[i0 : i0+len(idx)] {
			idx[k] = (uint16(b)>>u.shift)&u.mask ^ u.flip
		}
	case px.bigWords:
		src := raw[2*i0 : 2*(i0+len(idx))]
		for k := range idx {
			idx[k] = (uint16(src[2*k])<<8|uint16(src[2*k+1]))>>u.shift&u.mask ^ u.flip
		}
	default:
		src := raw[2*i0 : 2*(i0+len(idx))]
		for k := range idx {
			idx[k] = (uint16(src[2*k])|uint16(src[2*k+1])<<8)>>u.shift&u.mask ^ u.flip
		}
	}
}

// indexRange is the smallest and the largest index in the frame.
func (px pixels) indexRange() (lo, hi uint16) {
	lo, hi = 0xffff, 0
	var buf [run]uint16
	for i, n := 0, px.rows*px.cols; i < n; i += run {
		idx := buf[:min(run, n-i)]
		px.indices(i, idx)
		for _, k := range idx {
			lo, hi = min(lo, k), max(hi, k)
		}
	}
	return lo, hi
}

// mapper is the function that writes t[index] of pixels i0, i0+1, … (in raster order) into out,
// one per byte; its tables are made once, for every call.
func (px pixels) mapper(t *lut) func(i0 int, out []uint8) {
	if f := px.format; px.gray == nil && f.bitsAllocated == 16 && !px.bigWords && px.rows*px.cols >= 1<<16 {
		// Little-endian words, nearly every radiograph: straight from the bytes, through a
		// table indexed by the whole word (the bits unpacked once per possible word, not once
		// per pixel).
		w := wordTable(px.unpack(), t)
		return func(i0 int, out []uint8) { mapWords(out, px.raw[2*i0:2*(i0+len(out))], w) }
	}
	return func(i0 int, out []uint8) {
		var buf [run]uint16
		for k := 0; k < len(out); k += run {
			idx := buf[:min(run, len(out)-k)]
			px.indices(i0+k, idx)
			o := out[k : k+len(idx)]
			for j, v := range idx {
				o[j] = t[v]
			}
		}
	}
}

// wordTable is t indexed by a stored word as it lies (unpacked: shifted, masked, sign flipped).
func wordTable(u unpack, t *lut) *lut {
	w := new(lut)
	for v := range w {
		w[v] = t[uint16(v)>>u.shift&u.mask^u.flip]
	}
	return w
}

// mapWords writes w[word] of each little-endian word of raw into out, eight pixels a turn.
func mapWords(out, raw []uint8, w *lut) {
	o, r := out, raw[:2*len(out)]
	for len(o) >= 8 && len(r) >= 16 { // the slices moved on: no index arithmetic
		a, b := binary.LittleEndian.Uint64(r), binary.LittleEndian.Uint64(r[8:])
		o[0] = w[uint16(a)]
		o[1] = w[uint16(a>>16)]
		o[2] = w[uint16(a>>32)]
		o[3] = w[uint16(a>>48)]
		o[4] = w[uint16(b)]
		o[5] = w[uint16(b>>16)]
		o[6] = w[uint16(b>>32)]
		o[7] = w[uint16(b>>48)]
		o, r = o[8:], r[16:]
	}
	for i := range o {
		o[i] = w[binary.LittleEndian.Uint16(r[2*i:])]
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
