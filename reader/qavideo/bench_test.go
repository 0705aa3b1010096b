package qavideo

import (
	"context"
	"image"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"sightline/reader/qa/qatest"
)

// BenchmarkWrite writes a 30 s case with its dictation over a 1080×1080 image (render, pipe,
// H.264 + AAC) and reports how many seconds of video one second of writing makes
// (xrealtime ≥ 1: faster than real time). go test -run XXX -bench Write -benchtime 1x ./reader/qavideo/
func BenchmarkWrite(b *testing.B) {
	needFFmpeg(b)
	c := qatest.Case{DicomID: "bench", Samples: 30 * qatest.Rate, JumpAt: 20 * qatest.Rate, Audio: true, Click: 5 * time.Second}
	r := record(b, qatest.Session{Cases: []qatest.Case{c}}, 0, nil)
	img := image.NewGray(image.Rect(0, 0, 1080, 1080))
	for i := range img.Pix {
		img.Pix[i] = uint8(i*7 + i/1080)
	}
	for _, w := range []int{640, 960, 1280} {
		b.Run(strconv.Itoa(w), func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "bench.mp4")
			var video time.Duration
			start := time.Now()
			for range b.N {
				res, err := Write(context.Background(), r, img, r.Case.Layout.Layout, out, Options{Width: w})
				if err != nil {
					b.Fatal(err)
				}
				video += time.Duration(res.Frames) * time.Second / time.Duration(res.FPS)
			}
			b.ReportMetric(video.Seconds()/time.Since(start).Seconds(), "xrealtime")
		})
	}
}

// BenchmarkPaint is one frame's drawing at the default width, 50 fixations shown.
func BenchmarkPaint(b *testing.B) {
	c := qatest.Case{DicomID: "bench", Samples: 60 * qatest.Rate}
	r := record(b, qatest.Session{Cases: []qatest.Case{c}}, 0, nil)
	p, err := NewPainter(r, image.NewGray(image.Rect(0, 0, 1080, 1080)), r.Case.Layout.Layout, DefaultWidth)
	if err != nil {
		b.Fatal(err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, p.W, p.H))
	f := r.At(r.Start + 50*time.Second)
	b.ResetTimer()
	for range b.N {
		p.Paint(dst, f)
	}
}
