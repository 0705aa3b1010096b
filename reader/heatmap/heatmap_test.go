package heatmap

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sightline/reader/egd"
	"sightline/reader/stage"
	"sightline/reader/study"
	"sightline/tracker"
)

func TestViridisTable(t *testing.T) {
	// Bytes as matplotlib's cmap(x, bytes=True) gives them: component × 255, truncated.
	tests := []struct {
		i    int
		want color.RGBA
	}{
		{0, color.RGBA{68, 1, 84, 255}},
		{128, color.RGBA{32, 144, 140, 255}},
		{255, color.RGBA{253, 231, 36, 255}},
	}
	for _, tc := range tests {
		if got := Viridis[tc.i]; got != tc.want {
			t.Errorf("Viridis[%d] = %v, want %v", tc.i, got, tc.want)
		}
	}
	// viridis is perceptually uniform: lightness (here, a luma proxy) rises monotonically.
	luma := func(c color.RGBA) float64 { return 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B) }
	for i := 1; i < 256; i++ {
		if luma(Viridis[i]) < luma(Viridis[i-1])-0.5 {
			t.Errorf("luma falls at entry %d", i)
		}
	}
}

func TestColorizeBins(t *testing.T) {
	tests := []struct {
		name string
		m    []float32
		bins []int
	}{
		{"min to 0, max to 255, halfway to 128", []float32{2, 4, 3, 2.0078125}, []int{0, 255, 128, 1}},
		{"constant map is bin 0", []float32{5, 5, 5, 5}, []int{0, 0, 0, 0}},
		{"empty heatmap is bin 0", []float32{0, 0, 0, 0}, []int{0, 0, 0, 0}},
		{"NaN is bin 0 and ignored", []float32{float32(math.NaN()), 1, 0, 0.5}, []int{0, 255, 0, 128}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := Colorize(tc.m, 2, 2)
			pal := Paletted(tc.m, 2, 2)
			for i, b := range tc.bins {
				if got := img.RGBAAt(i%2, i/2); got != Viridis[b] {
					t.Errorf("value %v: colour %v, want bin %d %v", tc.m[i], got, b, Viridis[b])
				}
				if got := pal.ColorIndexAt(i%2, i/2); int(got) != b || pal.At(i%2, i/2) != Viridis[b] {
					t.Errorf("value %v: paletted bin %d, want %d", tc.m[i], got, b)
				}
			}
		})
	}
}

// colourBin inverts Viridis for a colour it produced.
func colourBin(t *testing.T, c color.RGBA) int {
	t.Helper()
	for i, v := range Viridis {
		if v == c {
			return i
		}
	}
	t.Fatalf("colour %v is not in the table", c)
	return -1
}

func TestStaticMatchesDirectGaussian(t *testing.T) {
	const w, h = 160, 190
	fix := []Fixation{{40, 50, 0.3}, {41, 50, 0.2}, {120, 170, 1.5}, {-1, -1, 0.4}, {80, 100, 0.25}, {159, 0, 0.1}}
	for _, weighted := range []bool{false, true} {
		opt := Options{Sigma: 40, WeightByDuration: weighted}
		img, st, err := Static(fix, w, h, opt)
		if err != nil {
			t.Fatal(err)
		}
		if st.Fixations != 6 || st.OffImage != 1 || st.Skipped() != 1 || st.Sigma != 40 {
			t.Errorf("stats %+v", st)
		}
		src := make([]float32, w*h)
		for _, f := range fix {
			if f.X >= 0 {
				wt := 1.0
				if weighted {
					wt = f.Duration
				}
				src[f.Y*w+f.X] += float32(wt)
			}
		}
		want := directBlur(src, w, h, 40)
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range want {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		worst := 0
		for y := range h {
			for x := range w {
				wb := min(255, int(256*(want[y*w+x]-lo)/(hi-lo)))
				d := colourBin(t, img.RGBAAt(x, y)) - wb
				worst = max(worst, d, -d)
			}
		}
		// 1e-3 of the range is under one bin; rounding at a bin edge can flip one.
		if worst > 1 {
			t.Errorf("weighted %v: colour bins differ from the exact Gaussian's by up to %d", weighted, worst)
		}
	}
}

func TestSkippedFixations(t *testing.T) {
	fix := []Fixation{
		{-1, -1, 0.5}, {10, -1, 0.5}, {30, 5, 0.5}, {5, 20, 0.5}, // off: −1s, and beyond a 30×20 canvas
		{3, 3, 0}, {4, 4, math.NaN()}, {5, 5, -1}, {6, 6, math.Inf(1)}, // no usable duration
		{7, 7, 0.2},
	}
	_, st, err := Density(fix, 30, 20, Options{Sigma: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st.OffImage != 4 || st.Unweighted != 0 {
		t.Errorf("unweighted: %+v", st)
	}
	m, st, err := Density(fix, 30, 20, Options{Sigma: 2, WeightByDuration: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.OffImage != 4 || st.Unweighted != 4 || st.Skipped() != 8 {
		t.Errorf("weighted: %+v", st)
	}
	var sum float64
	for _, v := range m {
		sum += float64(v)
	}
	if math.Abs(sum-0.2) > 1e-5 { // the blur keeps mass: only the 0.2 s fixation is left
		t.Errorf("mass %v, want 0.2", sum)
	}
}

func TestSigma(t *testing.T) {
	// The docs/FORMATS.md §1 image: 2544×3056 drawn with pads 0,0,534,534 (852×1080 on the stage).
	l := stage.Layout{W: 2544, H: 3056, Top: 0, Bottom: 0, Left: 534, Right: 534}
	// Independently: 1° at 71 cm is 2·71·tan(0.5°) cm; the 27-inch 16:9 panel is 27·2.54·16/√337 cm wide.
	cmPerDeg := 2 * 71 * math.Tan(0.5*math.Pi/180)
	pxPerCM := 1920 / (27 * 2.54 * 16 / math.Sqrt(16*16+9*9))
	dicomPerStage := (2544.0/852 + 3056.0/1080) / 2
	fit := stage.Fit(2544, 3056) // 899 × 1080 on the stage, as the station draws it
	fitPerStage := (2544/float64(1920-fit.Left-fit.Right) + 3056.0/1080) / 2
	tests := []struct {
		name string
		opt  Options
		w, h int
		want float64
		err  bool
	}{
		{"default is the reference's 150 px", Options{}, 100, 100, 150, false},
		{"pixels", Options{Sigma: 42}, 100, 100, 42, false},
		{"1° on the paper's set-up", Options{SigmaDeg: 1, Layout: l}, 2544, 3056, cmPerDeg * pxPerCM * dicomPerStage, false},
		{"2° is twice 1°", Options{SigmaDeg: 2, Layout: l, Viewing: tracker.PaperViewing()}, 2544, 3056, 2 * cmPerDeg * pxPerCM * dicomPerStage, false},
		{"zero layout is stage.Fit", Options{SigmaDeg: 1}, 2544, 3056, cmPerDeg * pxPerCM * fitPerStage, false},
		{"a 4K monitor: same stage pixels per degree", Options{SigmaDeg: 1, Layout: l, Viewing: tracker.Viewing{DistanceCM: 71, DiagonalInch: 27, WidthPx: 3840, HeightPx: 2160}}, 2544, 3056, cmPerDeg * pxPerCM * dicomPerStage, false},
		{"negative σ", Options{Sigma: -3}, 10, 10, 0, true},
		{"NaN degrees", Options{SigmaDeg: math.NaN()}, 10, 10, 0, true},
		{"bad viewing", Options{SigmaDeg: 1, Viewing: tracker.Viewing{DistanceCM: -1, DiagonalInch: 27, WidthPx: 1920, HeightPx: 1080}}, 10, 10, 0, true},
		{"pads leave no image", Options{SigmaDeg: 1, Layout: stage.Layout{W: 10, H: 10, Left: 960, Right: 960}}, 10, 10, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.opt.SigmaPx(tc.w, tc.h)
			if tc.err {
				if !errors.Is(err, ErrOptions) {
					t.Fatalf("err %v, want ErrOptions", err)
				}
				return
			}
			if err != nil || math.Abs(got-tc.want) > 1e-3*tc.want {
				t.Fatalf("σ %v (%v), want %v", got, err, tc.want)
			}
		})
	}
	for _, sz := range [][2]int{{0, 10}, {10, -1}, {65535, 65535}, {1 << 17, 1}} {
		if _, _, err := Static(nil, sz[0], sz[1], Options{}); !errors.Is(err, ErrOptions) {
			t.Errorf("%d×%d canvas: %v", sz[0], sz[1], err)
		}
	}
}

func readPNG(t *testing.T, path string) *image.RGBA {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

func frameFiles(t *testing.T, dir, suffix string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), suffix) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

// TestWriteTemporal: the reference's temporal frames by default: <k>_frame.png, k from 0,
// frame k showing fixation k+1 alone (blurred, min–max normalised on its own); a fixation off
// the image gives an empty frame and keeps its number. Frames of an earlier, longer run go.
func TestWriteTemporal(t *testing.T) {
	const w, h = 64, 48
	root := t.TempDir()
	const id = "1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b"
	fix := []Fixation{{-1, -1, 0.1}, {10, 10, 0.3}, {50, 30, 0.2}, {-1, -1, 0.1}, {30, 40, 0.5}}
	dir := filepath.Join(root, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"5_frame.png", "17_frame.png", "06_frame.png", "2_cumulative.png"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opt := Options{Sigma: 6}
	st, err := WriteTemporal(context.Background(), root, id, fix, w, h, opt)
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != 5 || st.OffImage != 2 {
		t.Errorf("stats %+v", st)
	}
	want := []string{"06_frame.png", "0_frame.png", "1_frame.png", "2_frame.png", "3_frame.png", "4_frame.png"}
	if got := frameFiles(t, dir, "_frame.png"); !slices.Equal(got, want) {
		t.Errorf("frames %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "2_cumulative.png")); err != nil {
		t.Errorf("a cumulative frame removed: %v", err)
	}
	for k, f := range fix {
		fr := readPNG(t, filepath.Join(dir, FrameName(k)))
		if f.X < 0 {
			for y := range h {
				for x := range w {
					if fr.RGBAAt(x, y) != Viridis[0] {
						t.Fatalf("frame %d (an off-image fixation) (%d,%d) = %v, want empty", k, x, y, fr.RGBAAt(x, y))
					}
				}
			}
			continue
		}
		img, _, err := Static(fix[k:k+1], w, h, opt)
		if err != nil {
			t.Fatal(err)
		}
		diff := 0
		for y := range h {
			for x := range w {
				d := colourBin(t, fr.RGBAAt(x, y)) - colourBin(t, img.RGBAAt(x, y))
				diff = max(diff, d, -d)
			}
		}
		if diff > 1 {
			t.Errorf("frame %d differs from fixation %d alone by %d bins", k, k+1, diff)
		}
	}
	temporalRefuses(t, root, fix, w, h, opt)
}

// TestWriteCumulative: the cumulative frames, under their own name: <n>_cumulative.png, frame n
// the static heatmap of fixations 1…n.
func TestWriteCumulative(t *testing.T) {
	const w, h = 64, 48
	root := t.TempDir()
	const id = "1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b"
	fix := []Fixation{{-1, -1, 0.1}, {10, 10, 0.3}, {50, 30, 0.2}, {-1, -1, 0.1}, {30, 40, 0.5}}
	// Left-overs of an earlier run: a 0 and a longer sequence.
	dir := filepath.Join(root, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"0_cumulative.png", "6_cumulative.png", "17_cumulative.png", "notes.txt", "06_cumulative.png", "3_frame.png"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opt := Options{Sigma: 6, Cumulative: true}
	st, err := WriteTemporal(context.Background(), root, id, fix, w, h, opt)
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != 5 || st.OffImage != 2 {
		t.Errorf("stats %+v", st)
	}
	got := frameFiles(t, dir, "_cumulative.png")
	// 06_cumulative.png is not one of ours (not a canonical number): left alone; nor is the
	// reference's 3_frame.png.
	want := []string{"06_cumulative.png", "1_cumulative.png", "2_cumulative.png", "3_cumulative.png", "4_cumulative.png", "5_cumulative.png"}
	if !slices.Equal(got, want) {
		t.Errorf("frames %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "3_frame.png")); err != nil {
		t.Errorf("the reference's frame removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("unrelated file removed: %v", err)
	}
	// Frame 1 (only an off-image fixation) is empty: all bin 0.
	f1 := readPNG(t, filepath.Join(dir, CumulativeName(1)))
	if f1.Bounds() != image.Rect(0, 0, w, h) {
		t.Fatalf("frame size %v", f1.Bounds())
	}
	for y := range h {
		for x := range w {
			if f1.RGBAAt(x, y) != Viridis[0] {
				t.Fatalf("frame 1 (%d,%d) = %v, want empty", x, y, f1.RGBAAt(x, y))
			}
		}
	}
	// Frame n is the static heatmap of fixations 1…n: frame 3 of the first three, and frame 4
	// (an off-image fixation) repeats it.
	for _, n := range []int{2, 3, 4, 5} {
		img, _, err := Static(fix[:n], w, h, opt)
		if err != nil {
			t.Fatal(err)
		}
		fr := readPNG(t, filepath.Join(dir, CumulativeName(n)))
		diff := 0
		for y := range h {
			for x := range w {
				d := colourBin(t, fr.RGBAAt(x, y)) - colourBin(t, img.RGBAAt(x, y))
				diff = max(diff, d, -d)
			}
		}
		if diff > 1 {
			t.Errorf("frame %d differs from the static heatmap of fixations 1…%d by %d bins", n, n, diff)
		}
	}
	temporalRefuses(t, root, fix, w, h, opt)
}

func TestFrameName(t *testing.T) {
	if FrameName(0) != "0_frame.png" || FrameName(12) != "12_frame.png" || CumulativeName(1) != "1_cumulative.png" {
		t.Error(FrameName(0), FrameName(12), CumulativeName(1))
	}
}

// writeFile writes name under dir.
func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fixRow(session, id string, cnt int64, x, y int, dur float64) []byte {
	r := egd.RowFields{SessionID: session, DicomID: id, CNT: cnt, Time: float64(cnt) / 60, XOriginal: x, YOriginal: y}
	r.Sample.FPOGD = dur
	r.Sample.FPOGV = true
	return egd.AppendRow(nil, &r)
}

func TestReadFixationsPlanRender(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, study.MasterSheet, "dicom_id,path,image_top_pad,image_bottom_pad,image_left_pad,image_right_pad,Normal,CHF,pneumonia\n"+
		"a,a.dcm,0,0,534,534,1,0,0\n"+
		"b,b.dcm,,,,,0,1,0\n"+
		"c,c.dcm,0,0,x,534,0,0,1\n"+
		"d,d.dcm,0,0,0,0,0,0,1\n")
	s, err := study.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	csv := egd.AppendHeader(nil)
	for _, r := range [][]byte{
		fixRow("1", "a", 1, 5, 5, 0.2), fixRow("1", "a", 2, 30, 20, 0.3),
		fixRow("1", "calibration-1-1", 1, -1, -1, 0.5),
		fixRow("1", "b", 1, 10, 12, 0.4),
		fixRow("1", "c", 1, 1, 1, 0.1),
		fixRow("1", "d", 1, 1, 1, 0.1),
		fixRow("2", "a", 1, 40, 40, 0.6), // a again, in another session: pooled
	} {
		csv = append(csv, r...)
	}
	images, err := ReadFixations(bytes.NewReader(csv), "fixations.csv")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, im := range images {
		ids = append(ids, im.DicomID)
	}
	if !slices.Equal(ids, []string{"a", "calibration-1-1", "b", "c", "d"}) || len(images[0].Fixations) != 3 || images[0].Line != 2 || images[2].Line != 5 {
		t.Fatalf("images %v, a: %+v", ids, images[0])
	}
	if images[0].Fixations[2] != (Fixation{40, 40, 0.6}) {
		t.Errorf("a's third fixation %+v", images[0].Fixations[2])
	}
	size := func(c study.Case) (int, int, error) {
		if c.DicomID == "d" {
			return 0, 0, errors.New("DICOM d.dcm: no such file")
		}
		return 64, 48, nil
	}
	jobs, others, failed := Plan(s, images, size)
	if len(jobs) != 2 || jobs[0].DicomID != "a" || jobs[1].DicomID != "b" {
		t.Fatalf("jobs %+v", jobs)
	}
	if jobs[0].Layout != (stage.Layout{W: 64, H: 48, Left: 534, Right: 534}) || jobs[1].Layout != stage.Fit(64, 48) {
		t.Errorf("layouts %+v %+v", jobs[0].Layout, jobs[1].Layout)
	}
	if len(others) != 1 || others[0].DicomID != "calibration-1-1" {
		t.Errorf("others %+v", others)
	}
	if len(failed) != 2 || !strings.Contains(failed[0].Error(), "master_sheet.csv:4") || !strings.Contains(failed[0].Error(), "image_left_pad") ||
		!strings.Contains(failed[1].Error(), "case d") || !strings.Contains(failed[1].Error(), "master_sheet.csv:5") {
		t.Errorf("failed %v", failed)
	}

	out := t.TempDir()
	var calls []int
	stats, err := Render(context.Background(), out, jobs, true, true, Options{Sigma: 5}, func(done, total int) {
		if total != 2 {
			t.Errorf("total %d", total)
		}
		calls = append(calls, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(calls, []int{1, 2}) || stats[0].Frames != 3 || stats[1].Frames != 1 {
		t.Errorf("progress %v, stats %+v", calls, stats)
	}
	// Every image is written, the last one too.
	for _, p := range []string{"a/heatmap.png", "a/0_frame.png", "a/2_frame.png", "b/heatmap.png", "b/0_frame.png"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Error(err)
		}
	}
	// Static only runs images in parallel; same files.
	out2 := t.TempDir()
	if _, err := Render(context.Background(), out2, jobs, true, false, Options{Sigma: 5}, nil); err != nil {
		t.Fatal(err)
	}
	a1, a2 := readPNG(t, filepath.Join(out, "a", StaticName)), readPNG(t, filepath.Join(out2, "a", StaticName))
	if !bytes.Equal(a1.Pix, a2.Pix) {
		t.Error("static heatmaps differ between runs")
	}
	// The last cumulative frame is the static heatmap.
	if _, err := Render(context.Background(), out, jobs, false, true, Options{Sigma: 5, Cumulative: true}, nil); err != nil {
		t.Fatal(err)
	}
	last := readPNG(t, filepath.Join(out, "a", CumulativeName(3)))
	for i := 0; i < len(last.Pix); i += 4 {
		d := colourBin(t, color.RGBA{last.Pix[i], last.Pix[i+1], last.Pix[i+2], 255}) - colourBin(t, color.RGBA{a1.Pix[i], a1.Pix[i+1], a1.Pix[i+2], 255})
		if d > 1 || d < -1 {
			t.Fatalf("last frame and heatmap.png differ by %d bins", d)
		}
	}
}

// temporalRefuses: WriteTemporal refuses a dicom_id that would leave root, and stops when its
// context is cancelled, whichever frames opt asks for.
func temporalRefuses(t *testing.T, root string, fix []Fixation, w, h int, opt Options) {
	t.Helper()
	if _, err := WriteTemporal(context.Background(), root, "../x", fix, w, h, opt); err == nil {
		t.Error("dicom_id ../x accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteTemporal(ctx, root, "other", fix, w, h, opt); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
