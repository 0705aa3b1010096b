package metrics

import (
	"bytes"
	"context"
	"fmt"
	goimage "image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sightline/reader/egd"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// genDataset writes a dataset folder of the published EGD-CXR size and shape into dir: n cases
// (2544 × 3056 images, pads as drawn), the 17 boxes of each, every case read by each of readers
// (one session per reader, sessions.csv naming them when there are several) with fixes fixations
// of 0.1–0.5 s, a transcript of 18 phrases per case (19,499 phrases over 1,083 cases in the
// published one), and the four anatomy masks of each case at the DICOM's resolution (elliptic
// blobs; one set of files, hard-linked into every case's folder: decoding is the cost).
func genDataset(dir string, n, readers, fixes int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	const w, h = 2544, 3056
	l := stage.Fit(w, h)
	var sheet, boxes strings.Builder
	sheet.WriteString("dicom_id,path,image_top_pad,image_bottom_pad,image_left_pad,image_right_pad,Normal,CHF,pneumonia\n")
	boxes.WriteString("dicom_id,bbox_name,x1,x2,y1,y2\n")
	masks, err := genMasks(dir, w, h)
	if err != nil {
		return err
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-%08x-%08x-%08x-%08x", i, i*7, i*13, i*17, i*19)
		fmt.Fprintf(&sheet, "%s,files/p1/%s.dcm,%d,%d,%d,%d,%d,%d,%d\n", ids[i], ids[i], l.Top, l.Bottom, l.Left, l.Right, b01(i%3 == 0), b01(i%3 == 1), b01(i%3 == 2))
		for k, name := range study.ZoneNames {
			x1, y1 := float64(100+(k%5)*450), float64(200+(k/5)*650)
			fmt.Fprintf(&boxes, "%s,%s,%.1f,%.1f,%.1f,%.1f\n", ids[i], name, x1, x1+600, y1, y1+900)
		}
		t := `{"full_text": " x", "time_stamped_text": [`
		for p := range 18 {
			if p > 0 {
				t += ", "
			}
			t += fmt.Sprintf(`{"phrase": "word%d", "begin_time": %.2f, "end_time": %.2f}`, p, 1.5*float64(p)+0.5, 1.5*float64(p)+1.2)
		}
		if err := os.MkdirAll(filepath.Join(dir, "audio_segmentation_transcripts", ids[i]), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "audio_segmentation_transcripts", ids[i], "transcript.json"), []byte(t+"]}"), 0o644); err != nil {
			return err
		}
		for name, src := range masks {
			if err := os.Link(src, filepath.Join(dir, "audio_segmentation_transcripts", ids[i], name)); err != nil {
				return err
			}
		}
	}
	b := egd.AppendHeader(nil)
	per := float64(w) / float64(stage.Width-l.Left-l.Right)
	for r := 1; r <= readers; r++ {
		for i, id := range ids {
			tm := 0.0
			for k := range fixes {
				d := 0.1 + 0.4*rng.Float64()
				tm += d + 0.03
				x, y := rng.IntN(w), rng.IntN(h)
				row := egd.RowFields{SessionID: fmt.Sprint(r), MediaID: i, DicomID: id, CNT: int64(k), Time: tm,
					TimeTick: int64(tm * 1e7), XOriginal: x, YOriginal: y}
				row.Sample.FPOGX = (float64(x)/per + float64(l.Left)) / stage.Width
				row.Sample.FPOGY = (float64(y)/per + float64(l.Top)) / stage.Height
				row.Sample.FPOGS, row.Sample.FPOGD, row.Sample.FPOGID, row.Sample.FPOGV = tm-d, d, int64(k), true
				b = egd.AppendRow(b, &row)
			}
		}
	}
	files := map[string]string{"master_sheet.csv": sheet.String(), "bounding_boxes.csv": boxes.String(), "fixations.csv": string(b)}
	if readers > 1 {
		s := "SESSION_ID,session,reader\n"
		for r := 1; r <= readers; r++ {
			s += fmt.Sprintf("%d,s%d,reader%d\n", r, r, r)
		}
		files["sessions.csv"] = s
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// genMasks writes the four masks of a w × h image into dir/masks-template/: ellipses where a
// chest's lungs, mediastinum and aortic knob would be. It returns file name → path.
func genMasks(dir string, w, h int) (map[string]string, error) {
	tdir := filepath.Join(dir, "masks-template")
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		return nil, err
	}
	blobs := map[string][4]float64{ // centre x, y and radii, as fractions of w and h
		"right_lung.png": {0.3, 0.45, 0.17, 0.3}, "left_lung.png": {0.7, 0.45, 0.17, 0.3},
		"mediastinum.png": {0.5, 0.5, 0.08, 0.3}, "aortic_knob.png": {0.55, 0.25, 0.04, 0.03},
	}
	out := map[string]string{}
	for name, e := range blobs {
		g := goimage.NewGray(goimage.Rect(0, 0, w, h))
		for y := range h {
			dy := (float64(y)/float64(h) - e[1]) / e[3]
			for x := range w {
				dx := (float64(x)/float64(w) - e[0]) / e[2]
				if dx*dx+dy*dy <= 1 {
					g.Pix[y*w+x] = 255
				}
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, g); err != nil {
			return nil, err
		}
		p := filepath.Join(tdir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			return nil, err
		}
		out[name] = p
	}
	return out, nil
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkMetrics1083 is `sightline metrics` on a generated dataset of the published
// EGD-CXR's size: 1,083 cases, 150 fixations each, one reader (as published), and the same read
// by three readers (agreement on every image). Run on 2 cores:
//
//	go test -run '^$' -bench Metrics1083 -benchtime 1x -cpu 2 ./reader/metrics/
func BenchmarkMetrics1083(b *testing.B) {
	for _, readers := range []int{1, 3} {
		b.Run(fmt.Sprintf("readers=%d", readers), func(b *testing.B) {
			dir := b.TempDir()
			if err := genDataset(dir, 1083, readers, 150); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cpuTime(b)
			for range b.N {
				res, err := Run(context.Background(), Config{Dir: dir, Out: filepath.Join(b.TempDir(), "out")})
				if err != nil {
					b.Fatal(err)
				}
				if res.Images != 1083 || res.Phrases != 1083*18*min(readers, 1) || res.Masks != 4*1083 || len(res.Notes) != 0 {
					b.Fatalf("result %+v", res)
				}
			}
			// The machine is shared: CPU time says what the run cost, wall time what it waited.
			b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
