package metrics

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	goimage "image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sightline/reader/export"
	"sightline/tracker"
)

// maskPNG encodes a w × h mask whose anatomy (255) is the rectangle r, as the dataset's are
// (8-bit grey), or through another colour model.
func maskPNG(t testing.TB, w, h int, r goimage.Rectangle, model color.Model) []byte {
	t.Helper()
	var img goimage.Image
	switch model {
	case color.GrayModel:
		g := goimage.NewGray(goimage.Rect(0, 0, w, h))
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				g.Pix[y*w+x] = 255
			}
		}
		img = g
	case color.RGBAModel:
		c := goimage.NewRGBA(goimage.Rect(0, 0, w, h))
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				c.Set(x, y, color.RGBA{255, 255, 255, 255})
			}
		}
		img = c
	default: // a two-colour palette
		p := goimage.NewPaletted(goimage.Rect(0, 0, w, h), color.Palette{color.Black, color.White})
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				p.SetColorIndex(x, y, 1)
			}
		}
		img = p
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hugePNG is a PNG header claiming w × h pixels (its IHDR's CRC right), with no image data.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8 // 8-bit grey
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

type maskCase struct {
	name  string
	png   []byte
	box   goimage.Rectangle
	error string
}

func maskCases(t testing.TB) []maskCase {
	r := goimage.Rect(2, 3, 7, 5)
	return []maskCase{
		{name: "grey, as published", png: maskPNG(t, 10, 8, r, color.GrayModel), box: r},
		{name: "RGBA", png: maskPNG(t, 10, 8, r, color.RGBAModel), box: r},
		{name: "palette", png: maskPNG(t, 10, 8, r, nil), box: r},
		{name: "no anatomy", png: maskPNG(t, 10, 8, goimage.Rectangle{}, color.GrayModel)},
		{name: "not a PNG", png: []byte("GIF89a, a GIF header and more"), error: "not a PNG file"},
		{name: "too many pixels", png: hugePNG(20000, 20000), error: "20000 × 20000 pixels"},
		{name: "cut short", png: maskPNG(t, 10, 8, r, color.GrayModel)[:40], error: "EOF"},
	}
}

// decodeGray8 gives what image/png gives, whatever filters the encoder chose for the rows
// (noise, gradients and flat runs make it use all five); a damaged chunk or stream is refused.
func TestDecodeGray8(t *testing.T) {
	const w, h = 61, 37
	g := goimage.NewGray(goimage.Rect(0, 0, w, h))
	seed := uint32(7)
	for y := range h {
		for x := range w {
			seed = seed*1664525 + 1013904223
			switch y % 4 {
			case 0:
				g.Pix[y*w+x] = uint8(seed >> 24) // noise
			case 1:
				g.Pix[y*w+x] = uint8(3 * x) // across
			case 2:
				g.Pix[y*w+x] = uint8(5 * y) // down
			default:
				g.Pix[y*w+x] = uint8(x*y + int(seed>>30))
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		t.Fatal(err)
	}
	pix, err := decodeGray8(b.Bytes(), w, h)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pix, g.Pix) {
		t.Error("decodeGray8 differs from the image encoded")
	}
	// Each filter by hand on the row 10 20 30 under 1 2 3 (PNG specification, §9).
	for k, want := range [][]uint8{
		{10, 20, 30}, // None
		{10, 30, 60}, // Sub: + the byte to the left
		{11, 22, 33}, // Up: + the byte above
		{10, 26, 44}, // Average: + ⌊(left + above) ÷ 2⌋: 20 + ⌊12/2⌋, 30 + ⌊29/2⌋
		{11, 31, 61}, // Paeth: the predictor nearest left + above − upper left: above, then left, left
	} {
		row := []uint8{10, 20, 30}
		if err := unfilter(byte(k), row, []uint8{1, 2, 3}); err != nil || !bytes.Equal(row, want) {
			t.Errorf("filter %d: %v (%v), want %v", k, row, err, want)
		}
	}
	if err := unfilter(5, make([]uint8, 3), make([]uint8, 3)); err == nil {
		t.Error("filter type 5 taken")
	}
	damaged := bytes.Clone(b.Bytes())
	damaged[len(damaged)-20] ^= 0xff // inside the last IDAT
	if _, err := decodeGray8(damaged, w, h); err == nil || !strings.Contains(err.Error(), "bad CRC") {
		t.Errorf("damaged IDAT: %v, want a bad CRC", err)
	}
	rgba := maskPNG(t, 4, 4, goimage.Rect(0, 0, 2, 2), color.RGBAModel)
	if _, err := decodeGray8(rgba, 4, 4); !errors.Is(err, errNotGray8) {
		t.Errorf("RGB PNG: %v, want errNotGray8", err)
	}
	if _, err := inflateRows([]byte{0x78, 0x9c, 1, 2, 3}, 4, 4); err == nil {
		t.Error("a stream that is not deflate taken")
	}
	if _, err := inflateRows([]byte{0x79, 0x9c}, 4, 4); err == nil || !strings.Contains(err.Error(), "zlib header") {
		t.Errorf("bad zlib header: %v", err)
	}
}

func TestReadMask(t *testing.T) {
	for _, c := range maskCases(t) {
		t.Run(c.name, func(t *testing.T) {
			m, err := readMask(c.png)
			if c.error != "" {
				if err == nil || !strings.Contains(err.Error(), c.error) {
					t.Fatalf("error %v, want one saying %q", err, c.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.w != 10 || m.h != 8 || m.bounds != c.box {
				t.Errorf("mask %d × %d, bounds %v; want 10 × 8, %v", m.w, m.h, m.bounds, c.box)
			}
			// Scaled to a 20 × 16 image: DICOM pixel (4, 6) is mask pixel (2, 3), anatomy.
			m.fit(20, 16)
			if !c.box.Empty() && (!m.at(4, 6) || !m.at(13.9, 9.9) || m.at(14, 6) || m.at(4, 10) || m.at(-1, 6) || m.at(40, 6)) {
				t.Error("scaled lookups wrong")
			}
		})
	}
}

func FuzzReadMask(f *testing.F) {
	for _, c := range maskCases(f) {
		f.Add(c.png)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := readMask(b)
		if err != nil {
			return
		}
		if len(m.pix) != m.w*m.h || !m.bounds.In(goimage.Rect(0, 0, m.w, m.h)) {
			t.Fatalf("mask %d × %d with %d pixels, anatomy in %v", m.w, m.h, len(m.pix), m.bounds)
		}
		m.fit(float64(m.w)*2, float64(m.h)*3)
		for _, p := range [][2]float64{{0, 0}, {float64(m.w) * 2, 0}, {1e9, 1e9}, {-5, 2}} {
			m.at(p[0], p[1]) // never out of range
		}
	})
}

// The hand-made published folder with masks at half the DICOM resolution: the right lung's
// mask holds fixation 1 and not fixation 3 (both in the right lung's box), the left lung's holds
// fixation 4 and not 2; the mediastinum's mask is empty, and there is no aortic knob mask.
// Zones come from the masks, and the lung coverage shares are of the masks' area.
func TestMasksOnAPublishedLayout(t *testing.T) {
	dir := writeHand(t, false)
	// DICOM pixels; the masks are 1272 × 1528.
	half := func(x1, y1, x2, y2 int) goimage.Rectangle { return goimage.Rect(x1/2, y1/2, x2/2, y2/2) }
	masks := map[string][]byte{
		"right_lung.png":  maskPNG(t, 1272, 1528, half(400, 800, 800, 1200), color.GrayModel),
		"left_lung.png":   maskPNG(t, 1272, 1528, half(1500, 1800, 2300, 2200), color.GrayModel),
		"mediastinum.png": maskPNG(t, 1272, 1528, goimage.Rectangle{}, color.GrayModel),
	}
	for name, b := range masks {
		if err := os.WriteFile(filepath.Join(dir, export.TranscriptsDir, handID, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, res := run(t, dir)
	if len(res.Notes) != 0 {
		t.Errorf("notes %q", res.Notes)
	}
	col, rows := readTable(t, filepath.Join(out, ZonesFile))
	if len(rows) != 17+3 {
		t.Fatalf("%d zone rows, want the 17 and the 3 masks present", len(rows))
	}
	want := map[string][7]string{ // source, present, fixated, ttff_s, dwell_s, visits, fixations
		"right lung":         {"box", "1", "1", "0.5", "0.7", "2", "2"},
		"right lung (mask)":  {"mask", "1", "1", "0.5", "0.5", "1", "1"},
		"left lung (mask)":   {"mask", "1", "1", "2.6", "0.4", "1", "1"},
		"mediastinum (mask)": {"mask", "0", "0", "", "0.0", "0", "0"},
	}
	checkZoneRows(t, col, rows, want)

	col, rows = readTable(t, filepath.Join(out, CoverageFile))
	r := rows[0]
	if r[col["right_lung_area"]] != "mask" || r[col["left_lung_area"]] != "mask" {
		t.Errorf("lung areas %q, %q, want mask, mask", r[col["right_lung_area"]], r[col["left_lung_area"]])
	}
	// Fixation 1 at (600, 1000) is the centre of the right lung's 400 × 400 mask: the share is
	// the 1° ellipse's area over the mask's.
	fx, fy := tracker.PaperViewing().DegreesToFraction(1)
	rx, ry := fx*1920*perX, fy*1080*perY
	if v, err := strconv.ParseFloat(r[col["right_lung_covered"]], 64); err != nil || math.Abs(v-math.Pi*rx*ry/(400*400)) > 0.03 {
		t.Errorf("right_lung_covered %q, want %.3f", r[col["right_lung_covered"]], math.Pi*rx*ry/(400*400))
	}
	// Fixation 4 at (1600, 2000): its ellipse reaches 19 px past the mask's left edge.
	if v, err := strconv.ParseFloat(r[col["left_lung_covered"]], 64); err != nil || !(v > 0.08 && v < math.Pi*rx*ry/(800*400)) {
		t.Errorf("left_lung_covered %q, want a little under %.3f", r[col["left_lung_covered"]], math.Pi*rx*ry/(800*400))
	}

	// A mask that does not read: a note naming it, and its zone left out; the rest as before.
	bad := filepath.Join(dir, export.TranscriptsDir, handID, "aortic_knob.png")
	if err := os.WriteFile(bad, []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, res = run(t, dir)
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], bad) || !strings.Contains(res.Notes[0], "aortic knob (mask)") {
		t.Errorf("notes %q, want one naming %s", res.Notes, bad)
	}
	if _, rows := readTable(t, filepath.Join(out, ZonesFile)); len(rows) != 20 {
		t.Errorf("%d zone rows with a bad mask, want 20", len(rows))
	}
}

// Every mask the dataset ships is a zone.
func TestEveryMaskIsAZone(t *testing.T) {
	for _, f := range export.MaskFiles {
		found := false
		for _, mz := range maskZones {
			found = found || mz.file == f
		}
		if !found {
			t.Errorf("mask %s is no zone", f)
		}
	}
}
