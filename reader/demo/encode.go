package demo

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"slices"
)

// renderFactor is how much coarser than the image the anatomy is computed: 8-megapixel images
// are drawn at a third of their size, smoothly upsampled, then given full-resolution noise.
const renderFactor = 4

// pixelSpacing in mm, as MIMIC-CXR's 0.139 mm detector.
const pixelSpacing = 0.139

// storedRange gives the stored values that display values 0 (black) and 1 (white) map to,
// and the bounds stored values are clamped to.
func storedRange(s spec) (black, white, minV, maxV float64) {
	switch {
	case s.transferSyntax == JPEGBaseline8Bit:
		return 0, 255, 0, 255
	case s.signed:
		// Rescaled: stored − 1024, from −2024 to 1976.
		return -1000, 3000, -32768, 32767
	}
	maxV = float64(int(1)<<s.bitsStored - 1)
	black, white = 0, maxV
	if s.bitsStored == 16 {
		black, white = 1200, 62000
	}
	if s.photometric == "MONOCHROME1" {
		black, white = white, black
	}
	return black, white, 0, maxV
}

// window picks a VOI window (in rescaled units) spanning the body's display values.
func window(s spec, disp *layer) (center, width float64) {
	var vals []float32
	for k := 0; k < len(disp.pix); k += 7 {
		if v := disp.pix[k]; v > 0.015 {
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	lo, hi := 0.05, 0.95
	if len(vals) > 100 {
		lo, hi = float64(vals[len(vals)/200]), float64(vals[len(vals)*999/1000])
		lo, hi = lo-0.03*(hi-lo), hi+0.03*(hi-lo)
	}
	black, white, _, _ := storedRange(s)
	out := func(d float64) float64 { return (black+d*(white-black))*s.slope + s.inter }
	a, b := out(lo), out(hi)
	return math.Round((a + b) / 2), math.Round(math.Abs(b - a))
}

// pixels upsamples the display raster to full size, adds quantum-like noise (stronger where
// fewer photons arrive, i.e. in bright areas) and converts to stored values, handing over one
// row at a time.
func pixels(seed int64, s spec, disp *layer, f int, putRow func(y int, row []int32)) {
	black, white, minV, maxV := storedRange(s)
	ix := make([]int, s.cols)
	wx := make([]float32, s.cols)
	for x := range s.cols {
		fx := float64(x) / float64(f)
		ix[x] = int(fx)
		wx[x] = float32(fx - float64(ix[x]))
	}
	span := float32(white - black)
	// Rounding by truncation needs a positive operand: shift by an offset that keeps it so.
	const off = 1 << 20
	base := float32(black) + 0.5 + off
	lo, hi := int32(minV), int32(maxV)
	rowv := make([]float32, disp.w)
	out := make([]int32, s.cols)
	for y := range s.rows {
		fy := float64(y) / float64(f)
		j := int(fy)
		wy := float32(fy - float64(j))
		r0 := disp.pix[j*disp.w : (j+1)*disp.w]
		r1 := disp.pix[(j+1)*disp.w : (j+2)*disp.w]
		for i := range rowv {
			rowv[i] = r0[i] + (r1[i]-r0[i])*wy
		}
		st := splitmix(uint64(seed)*0x9E3779B97F4A7C15 + uint64(s.index)<<32 + uint64(y))
		for x := range out {
			i := ix[x]
			v := rowv[i] + (rowv[i+1]-rowv[i])*wx[x]
			st ^= st >> 12
			st ^= st << 25
			st ^= st >> 27
			r := st * 2685821657736338717
			g := float32(r&0xffff+r>>16&0xffff+r>>32&0xffff+r>>48)/65536 - 2 // ≈ N(0, 0.58²)
			v += g * (0.012 + 0.02*v)
			sv := int32(base+v*span) - off
			out[x] = max(lo, min(hi, sv))
		}
		putRow(y, out)
	}
}

func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	x ^= x >> 31
	if x == 0 {
		x = 1
	}
	return x
}

// writeDICOM writes the case's DICOM file to w and records its window in c.
func writeDICOM(w io.Writer, seed int64, s spec, c *Case, disp *layer, f int) error {
	c.WindowCenter, c.WindowWidth = window(s, disp)
	var ds dataset
	sopInstance := uid(seed, fmt.Sprintf("sop/%d", s.index))

	ds.str(0x0008, 0x0005, "CS", "ISO_IR 100")
	ds.str(0x0008, 0x0008, "CS", `DERIVED\PRIMARY`)
	ds.str(0x0008, 0x0016, "UI", crImageStorage)
	ds.str(0x0008, 0x0018, "UI", sopInstance)
	ds.str(0x0008, 0x0020, "DA", s.studyDate)
	ds.str(0x0008, 0x0023, "DA", s.studyDate)
	ds.str(0x0008, 0x0030, "TM", fmt.Sprintf("%02d%02d00", 8+s.index, 5*s.index%60))
	ds.str(0x0008, 0x0050, "SH", fmt.Sprintf("DEMO%08d", s.index+1))
	ds.str(0x0008, 0x0060, "CS", "CR")
	ds.str(0x0008, 0x0070, "LO", "Sightline")
	ds.str(0x0008, 0x0090, "PN", "")
	ds.str(0x0008, 0x1030, "LO", "CHEST (PA) DEMO PHANTOM")
	ds.str(0x0008, 0x103E, "LO", "PA")
	ds.str(0x0008, 0x1090, "LO", "Sightline demo phantom")
	ds.str(0x0010, 0x0010, "PN", fmt.Sprintf("DEMO^PHANTOM%02d", s.index+1))
	ds.str(0x0010, 0x0020, "LO", s.patientID)
	ds.str(0x0010, 0x0030, "DA", "")
	sex := "M"
	if s.female {
		sex = "F"
	}
	ds.str(0x0010, 0x0040, "CS", sex)
	ds.str(0x0010, 0x1010, "AS", fmt.Sprintf("%03dY", s.age))
	ds.str(0x0012, 0x0062, "CS", "YES")
	ds.str(0x0018, 0x0015, "CS", "CHEST")
	ds.ds(0x0018, 0x1164, pixelSpacing, pixelSpacing)
	ds.str(0x0018, 0x5101, "CS", "PA")
	ds.str(0x0020, 0x000D, "UI", uid(seed, fmt.Sprintf("study/%d", s.index)))
	ds.str(0x0020, 0x000E, "UI", uid(seed, fmt.Sprintf("series/%d", s.index)))
	ds.str(0x0020, 0x0010, "SH", s.studyID)
	ds.str(0x0020, 0x0011, "IS", "1")
	ds.str(0x0020, 0x0013, "IS", "1")
	ds.str(0x0020, 0x0020, "CS", `L\F`)
	ds.str(0x0020, 0x4000, "LT", "Synthetic phantom made by the Sightline demo generator; not a patient image.")
	ds.us(0x0028, 0x0002, 1)
	ds.str(0x0028, 0x0004, "CS", s.photometric)
	ds.us(0x0028, 0x0010, uint16(s.rows))
	ds.us(0x0028, 0x0011, uint16(s.cols))
	ds.ds(0x0028, 0x0030, pixelSpacing, pixelSpacing)
	ds.us(0x0028, 0x0100, uint16(c.BitsAllocated))
	ds.us(0x0028, 0x0101, uint16(s.bitsStored))
	ds.us(0x0028, 0x0102, uint16(s.bitsStored-1))
	pr := uint16(0)
	if s.signed {
		pr = 1
	}
	ds.us(0x0028, 0x0103, pr)
	ds.str(0x0028, 0x0301, "CS", "NO")
	ds.ds(0x0028, 0x1050, c.WindowCenter)
	ds.ds(0x0028, 0x1051, c.WindowWidth)
	ds.ds(0x0028, 0x1052, s.inter)
	ds.ds(0x0028, 0x1053, s.slope)
	ds.str(0x0028, 0x1054, "LO", "US")

	n := s.rows * s.cols
	if s.transferSyntax == JPEGBaseline8Bit {
		img := image.NewGray(image.Rect(0, 0, s.cols, s.rows))
		pixels(seed, s, disp, f, func(y int, row []int32) {
			p := img.Pix[y*img.Stride:]
			for x, v := range row {
				p[x] = uint8(v)
			}
		})
		var jb bytes.Buffer
		if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 90}); err != nil {
			return fmt.Errorf("encode JPEG: %w", err)
		}
		ds.str(0x0028, 0x2110, "CS", "01")
		ds.ds(0x0028, 0x2112, math.Round(float64(n)/float64(jb.Len())*10)/10)
		ds.str(0x0028, 0x2114, "CS", "ISO_10918_1")
		ds.elems = append(ds.elems, element{tag: dcmTag{0x7FE0, 0x0010}, vr: "OB", fragments: [][]byte{jb.Bytes()}})
	} else {
		buf := make([]byte, 2*n)
		pixels(seed, s, disp, f, func(y int, row []int32) {
			p := buf[2*y*s.cols:]
			for x, v := range row {
				// Two's complement for signed samples; the same bits for unsigned ones.
				binary.LittleEndian.PutUint16(p[2*x:], uint16(v))
			}
		})
		ds.str(0x0028, 0x2110, "CS", "00")
		ds.add(0x7FE0, 0x0010, "OW", buf)
	}
	return writePart10(w, &ds, crImageStorage, sopInstance, s.transferSyntax)
}
