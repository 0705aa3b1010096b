package prepare

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"sightline/internal/benchcpu"
	"testing"
)

// roundTrip encodes g and decodes it with image/png (which checks zlib's Adler-32 and the
// chunks' CRCs), failing unless every pixel comes back.
func roundTrip(t *testing.T, g *image.Gray) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encodeGray(&buf, g); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	back, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("image/png refuses it: %v", err)
	}
	bg, ok := back.(*image.Gray)
	if !ok || bg.Rect.Dx() != g.Rect.Dx() || bg.Rect.Dy() != g.Rect.Dy() {
		t.Fatalf("decodes to %T %v, want %v", back, back.Bounds(), g.Rect)
	}
	for y := range g.Rect.Dy() {
		for x := range g.Rect.Dx() {
			if got, want := bg.GrayAt(x, y).Y, g.GrayAt(g.Rect.Min.X+x, g.Rect.Min.Y+y).Y; got != want {
				t.Fatalf("pixel (%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
	return b
}

// The deflate stream's corners: zero runs of every length around the match limits (8 is too
// short to be a run, 9 the shortest, 258 and 259 around one match, 260/261 leave 1 or 2 behind),
// rows equal to the one above (all zeros after the filter), a constant image (one symbol: the
// code gets a partner), counts so skewed that the optimal code is longer than 15 bits (halved),
// noise (no runs), bands of rows (several blocks), and pads as prepare draws them.
func TestEncodeGrayStream(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gray := func(w, h int, f func(x, y int) uint8) *image.Gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				g.Pix[y*g.Stride+x] = f(x, y)
			}
		}
		return g
	}
	for _, run := range []int{1, 2, 3, 7, 8, 9, 10, 11, 16, 17, 257, 258, 259, 260, 261, 262, 516, 517, 1000} {
		t.Run(fmt.Sprint("run ", run), func(t *testing.T) {
			roundTrip(t, gray(run+40, 3, func(x, y int) uint8 {
				if x >= 20 && x < 20+run {
					return 0
				}
				return uint8(1 + r.IntN(255))
			}))
		})
	}
	// Symbol counts in a Fibonacci progression: the optimal code for them is 20+ bits deep.
	var skewed []uint8
	a, b := 1, 1
	for s := range 25 {
		for range a {
			skewed = append(skewed, uint8(s*7+1))
		}
		a, b = b, a+b
	}
	cases := []struct {
		name string
		g    *image.Gray
	}{
		{"rows equal to the one above", gray(300, 200, func(x, y int) uint8 { return uint8(x * 3) })},
		{"constant", gray(100, 70, func(x, y int) uint8 { return 9 })},
		{"black", gray(1920, 130, func(x, y int) uint8 { return 0 })},
		{"noise", gray(333, 150, func(x, y int) uint8 { return uint8(r.Uint32()) })},
		{"skewed counts", gray(len(skewed), 1, func(x, y int) uint8 { return skewed[x] })},
		{"one column", gray(1, 300, func(x, y int) uint8 { return uint8(y / 7) })},
		{"a stage with pads", gray(1920, 1080, func(x, y int) uint8 {
			if x < 510 || x >= 1410 {
				return 0
			}
			return uint8(128 + 60*(x-960)/450 + r.IntN(5))
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { roundTrip(t, tc.g) })
	}
	// The stream is zlib's, checksum included, for any zlib reader.
	g := cases[len(cases)-1].g
	var buf bytes.Buffer
	if err := encodeGray(&buf, g); err != nil {
		t.Fatal(err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(deflateUp(nil, g)))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) != 1921*1080 {
		t.Fatalf("zlib reads %d bytes (%v), want %d", len(raw), err, 1921*1080)
	}
	// Pads cost bits, not bytes: the padded stage is smaller than its pixels' half.
	if n := buf.Len(); n > 1920*1080/4 {
		t.Errorf("the padded stage takes %d bytes", n)
	}
}

// BenchmarkEncodeGray writes the demo phantoms' stages as PNGs (the per-image part of prepare's
// write); run with GOMAXPROCS=1.
func BenchmarkEncodeGray(b *testing.B) {
	stages := demoStages(b)
	var buf bytes.Buffer
	i, n := 0, 0
	c0 := benchcpu.Now()
	for b.Loop() {
		buf.Reset()
		if err := encodeGray(&buf, stages[i%len(stages)]); err != nil {
			b.Fatal(err)
		}
		i++
		n += buf.Len()
	}
	b.ReportMetric(float64(n)/float64(i), "bytes/stage")
	benchcpu.Report(b, c0)
}
