package dicomimg

import (
	"encoding/binary"
	"image"
	"math"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// render maps stored values to display grey levels: Modality LUT (rescale), VOI LUT (the first
// window in the file, else min–max), MONOCHROME1 inversion, 8 bits. It fills the rescale and
// window fields of info.
func render(px pixels, info *Info, a attrs) *image.Gray {
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
	// the full-size table needs no bounds checks in the loop below.
	var lut [1 << 16]uint8
	invert := info.Photometric == "MONOCHROME1"
	for i := int(lo); i <= int(hi); i++ {
		y := math.Round(voi(slope*float64(i+base) + intercept))
		y = min(max(y, 0), 255)
		if invert {
			y = 255 - y
		}
		lut[i] = uint8(y)
	}

	img := image.NewGray(image.Rect(0, 0, px.cols, px.rows))
	px.mapInto(img.Pix, &lut)
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
// so that index = stored value − the smallest storable value. indexRange and mapInto decode them
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

// forRows calls fn for each run of pixels with the indices of that run; runs are short enough to
// stay in the first-level cache, and the indices are decoded by the loop for the file's layout.
func (px pixels) forRows(fn func(i0 int, idx []uint16)) {
	n := px.rows * px.cols
	const run = 4096
	var buf [run]uint16
	if px.gray != nil {
		g := px.gray
		for y := 0; y < px.rows; y++ {
			row := g.Pix[y*g.Stride : y*g.Stride+px.cols]
			for x0 := 0; x0 < len(row); x0 += run {
				part := row[x0:min(x0+run, len(row))]
				idx := buf[:len(part)]
				for x, v := range part {
					idx[x] = uint16(v)
				}
				fn(y*px.cols+x0, idx)
			}
		}
		return
	}
	u := px.unpack()
	raw := px.raw
	for i0 := 0; i0 < n; i0 += run {
		idx := buf[:min(run, n-i0)]
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
		fn(i0, idx)
	}
}

// indexRange is the smallest and the largest index in the frame.
func (px pixels) indexRange() (lo, hi uint16) {
	lo, hi = 0xffff, 0
	px.forRows(func(_ int, idx []uint16) {
		for _, k := range idx {
			lo, hi = min(lo, k), max(hi, k)
		}
	})
	return lo, hi
}

// mapInto writes lut[index] of every pixel into pix (rows×cols, in order).
func (px pixels) mapInto(pix []uint8, lut *[1 << 16]uint8) {
	if f := px.format; px.gray == nil && f.bitsAllocated == 16 && !px.bigWords {
		// Little-endian words, nearly every radiograph: straight from the bytes, one pass.
		u := px.unpack()
		pix = pix[:px.rows*px.cols]
		raw := px.raw[:2*len(pix)]
		shift, mask, flip := u.shift, uint64(u.mask), uint64(u.flip)
		i := 0
		for ; i+4 <= len(pix); i += 4 { // four pixels a load
			w := binary.LittleEndian.Uint64(raw[2*i:])
			out := pix[i : i+4 : i+4]
			out[0] = lut[uint16((w>>shift)&mask^flip)]
			out[1] = lut[uint16((w>>(16+shift))&mask^flip)]
			out[2] = lut[uint16((w>>(32+shift))&mask^flip)]
			out[3] = lut[uint16((w>>(48+shift))&mask^flip)]
		}
		for ; i < len(pix); i++ {
			pix[i] = lut[binary.LittleEndian.Uint16(raw[2*i:])>>u.shift&u.mask^u.flip]
		}
		return
	}
	px.forRows(func(i0 int, idx []uint16) {
		out := pix[i0 : i0+len(idx)]
		for k, v := range idx {
			out[k] = lut[v]
		}
	})
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
