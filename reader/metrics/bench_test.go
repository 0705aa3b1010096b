package metrics

import (
	"context"
	"fmt"
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
// of 0.1–0.5 s, and a transcript of 18 phrases per case (19,499 phrases over 1,083 cases in the
// published one).
func genDataset(dir string, n, readers, fixes int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	const w, h = 2544, 3056
	l := stage.Fit(w, h)
	var sheet, boxes strings.Builder
	sheet.WriteString("dicom_id,path,image_top_pad,image_bottom_pad,image_left_pad,image_right_pad,Normal,CHF,pneumonia\n")
	boxes.WriteString("dicom_id,bbox_name,x1,x2,y1,y2\n")
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
				if res.Images != 1083 || res.Phrases != 1083*18*min(readers, 1) {
					b.Fatalf("result %+v", res)
				}
			}
			// The machine is shared: CPU time says what the run cost, wall time what it waited.
			b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
