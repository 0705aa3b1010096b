package metrics

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	goimage "image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"sightline/reader/export"
)

// maskZones are the anatomy masks the dataset ships beside an image's transcript
// (export.MaskFiles), as zones: the file and the zone's name in zones.csv.
var maskZones = []struct{ file, zone string }{
	{"right_lung.png", "right lung (mask)"},
	{"left_lung.png", "left lung (mask)"},
	{"mediastinum.png", "mediastinum (mask)"},
	{"aortic_knob.png", "aortic knob (mask)"},
}

// maxMaskPixels bounds a mask: the largest image prepare accepts.
const maxMaskPixels = 100_000_000

// mask is an anatomy mask: a pixel is anatomy when its grey level is 128 or more (the dataset
// writes 255 for anatomy, 0 for background). It covers the whole image, whatever its size: a
// DICOM pixel (x, y) of a W × H image is mask pixel (x·w/W, y·h/H).
type mask struct {
	w, h   int
	pix    []uint8           // grey levels, row after row
	bounds goimage.Rectangle // of the anatomy; empty when the mask has none
	sx, sy float64           // mask pixels per DICOM pixel
}

// readMask decodes an anatomy mask from PNG bytes. Any PNG colour type is taken: 8-bit grey,
// as the dataset's are, through decodeGray8; others through image/png, converted to grey.
func readMask(b []byte) (*mask, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width*cfg.Height > maxMaskPixels {
		return nil, fmt.Errorf("%d × %d pixels, want 1 to %d", cfg.Width, cfg.Height, maxMaskPixels)
	}
	m := &mask{w: cfg.Width, h: cfg.Height, sx: 1, sy: 1}
	m.pix, err = decodeGray8(b, m.w, m.h)
	if errors.Is(err, errNotGray8) {
		m.pix, err = decodeAny(b, m.w, m.h)
	}
	if err != nil {
		return nil, err
	}
	m.bounds = anatomyBounds(m.pix, m.w, m.h)
	return m, nil
}

// decodeAny decodes a PNG of w × h pixels through image/png into grey levels.
func decodeAny(b []byte, w, h int) ([]uint8, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	r := img.Bounds()
	if r.Dx() != w || r.Dy() != h {
		return nil, fmt.Errorf("decoded %d × %d, the header says %d × %d", r.Dx(), r.Dy(), w, h)
	}
	pix := pixels(w * h)
	for y := range h {
		for x := range w {
			pix[y*w+x] = color.GrayModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.Gray).Y
		}
	}
	return pix, nil
}

// anatomyBounds is the bounding box of the pixels of grey level 128 or more; empty when none.
// Eight pixels are tested at a time: the masks are mostly background.
func anatomyBounds(pix []uint8, w, h int) goimage.Rectangle {
	minX, minY, maxX, maxY := w, h, -1, -1
	for y := range h {
		row := pix[y*w : (y+1)*w]
		first := firstAnatomy(row)
		if first < 0 {
			continue
		}
		last := lastAnatomy(row)
		minX, maxX = min(minX, first), max(maxX, last)
		minY, maxY = min(minY, y), max(maxY, y)
	}
	if maxX < 0 {
		return goimage.Rectangle{}
	}
	return goimage.Rect(minX, minY, maxX+1, maxY+1)
}

// lastAnatomy is the index of the row's last byte of 128 or more, −1 when none.
func lastAnatomy(row []uint8) int {
	x := len(row)
	for ; x >= 32; x -= 32 {
		w := binary.LittleEndian.Uint64(row[x-8:]) | binary.LittleEndian.Uint64(row[x-16:]) |
			binary.LittleEndian.Uint64(row[x-24:]) | binary.LittleEndian.Uint64(row[x-32:])
		if w&0x8080808080808080 != 0 {
			break
		}
	}
	for x--; x >= 0; x-- {
		if row[x] >= 128 {
			return x
		}
	}
	return -1
}

// firstAnatomy is the index of the row's first byte of 128 or more, −1 when none.
func firstAnatomy(row []uint8) int {
	x := 0
	for ; x+32 <= len(row); x += 32 {
		w := binary.LittleEndian.Uint64(row[x:]) | binary.LittleEndian.Uint64(row[x+8:]) |
			binary.LittleEndian.Uint64(row[x+16:]) | binary.LittleEndian.Uint64(row[x+24:])
		if w&0x8080808080808080 != 0 {
			break
		}
	}
	for ; x < len(row); x++ {
		if row[x] >= 128 {
			return x
		}
	}
	return -1
}

// fit scales the mask to an image of W × H DICOM pixels; unknown (0), the mask is taken to be
// at the image's resolution.
func (m *mask) fit(W, H float64) {
	if W >= 1 && H >= 1 {
		m.sx, m.sy = float64(m.w)/W, float64(m.h)/H
	}
}

// at reports whether DICOM pixel (x, y) is anatomy.
func (m *mask) at(x, y float64) bool {
	if x < 0 || y < 0 {
		return false
	}
	mx, my := int(x*m.sx), int(y*m.sy)
	return mx < m.w && my < m.h && m.pix[my*m.w+mx] >= 128
}

// box is the anatomy's bounding box in DICOM pixels.
func (m *mask) box() (x1, x2, y1, y2 float64) {
	return float64(m.bounds.Min.X) / m.sx, float64(m.bounds.Max.X) / m.sx,
		float64(m.bounds.Min.Y) / m.sy, float64(m.bounds.Max.Y) / m.sy
}

// masksOf reads the masks of an image that the dataset folder has, as zones in maskZones order
// (none when it has none). A mask that does not read is left out, with a note naming the file.
func (in *input) masksOf(im *image) ([]zone, []string) {
	var zs []zone
	var notes []string
	for _, mz := range maskZones {
		p := filepath.Join(in.dir, export.TranscriptsDir, im.c.DicomID, mz.file)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var m *mask
		if err == nil {
			m, err = readMask(b)
		}
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: %v: zone %q left out", p, err, mz.zone))
			continue
		}
		if im.geom.ok {
			m.fit(im.geom.W, im.geom.H)
		}
		zs = append(zs, zone{name: mz.zone, mask: m})
	}
	return zs, notes
}

// pixelPool keeps the pixel buffers of masks no longer used: a mask is as large as its image
// (7.8 MB for the dataset's 2544 × 3056), and a fresh buffer costs its zeroing and page faults
// each time. Every caller of pixels writes all n bytes.
var pixelPool sync.Pool

// pixels is a buffer of n bytes, from the pool when one there is large enough; not zeroed.
func pixels(n int) []uint8 {
	if b, ok := pixelPool.Get().(*[]uint8); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]uint8, n)
}

// releaseMasks gives the masks' buffers back to the pool once their image is done.
func releaseMasks(zs []zone) {
	for _, z := range zs {
		if z.mask != nil {
			b := z.mask.pix
			z.mask.pix = nil
			pixelPool.Put(&b)
		}
	}
}
