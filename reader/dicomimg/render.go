package dicomimg

import (
	"image"
	"math"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// render maps stored values to display grey levels: Modality LUT (rescale), VOI LUT (the first
// window in the file, else min–max), MONOCHROME1 inversion, 8 bits. It fills the rescale and
// window fields of info.
func render(px pixels, info *Info, a attrs) *image.Gray {
	idx := px.indices()
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
		lo, hi = idx[0], idx[0]
		for _, k := range idx {
			lo, hi = min(lo, k), max(hi, k)
		}
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
	pix := img.Pix[:len(idx)]
	for i, k := range idx {
		pix[i] = lut[k]
	}
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

// indices decodes the frame into table indices: the BitsStored bits ending at HighBit, read as
// offset binary when Pixel Representation says signed (flipping the sign bit maps −2^(n−1) to 0),
// so that index = stored value − the smallest storable value.
func (px pixels) indices() []uint16 {
	n := px.rows * px.cols
	idx := make([]uint16, n)
	if px.gray != nil {
		g := px.gray
		for y := 0; y < px.rows; y++ {
			row := g.Pix[y*g.Stride : y*g.Stride+px.cols]
			out := idx[y*px.cols : (y+1)*px.cols]
			for x, v := range row {
				out[x] = uint16(v)
			}
		}
		return idx
	}

	f := px.format
	shift := uint(f.highBit+1-f.bitsStored) & 15 // < 16: tells the compiler no shift-out case is needed
	mask := uint16(1)<<f.bitsStored - 1
	flip := uint16(0)
	if f.signed {
		flip = 1 << (f.bitsStored - 1)
	}
	raw := px.raw
	switch {
	case f.bitsAllocated == 8 && px.bigOW8:
		for i := range idx {
			j := i ^ 1
			if j >= len(raw) { // the pad byte of an odd count, when the value was cut short
				j = i
			}
			idx[i] = (uint16(raw[j])>>shift)&mask ^ flip
		}
	case f.bitsAllocated == 8:
		raw = raw[:n]
		for i, b := range raw {
			idx[i] = (uint16(b)>>shift)&mask ^ flip
		}
	case px.bigWords:
		for i, j := 0, 0; i < len(idx) && j+1 < len(raw); i, j = i+1, j+2 {
			idx[i] = (uint16(raw[j])<<8|uint16(raw[j+1]))>>shift&mask ^ flip
		}
	default:
		for i, j := 0, 0; i < len(idx) && j+1 < len(raw); i, j = i+1, j+2 {
			idx[i] = (uint16(raw[j])|uint16(raw[j+1])<<8)>>shift&mask ^ flip
		}
	}
	return idx
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
