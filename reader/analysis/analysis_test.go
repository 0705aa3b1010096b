package analysis

import (
	"context"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sightline/internal/testkit"
	"sightline/reader/egd"
	"sightline/reader/heatmap"
	"sightline/tracker"
)

// A synthetic EGD-CXR dataset with planted answers. Every case has three boxes (one lacks the
// cardiac silhouette), and its fixations fall on chosen points:
//
//	L  (120,150): left lung only            R (350,150): right lung only
//	C  (250,320): cardiac silhouette only   LC (175,275): left lung and cardiac silhouette
//	E  (100,100): left lung, on its corner (inclusive bounds)
//	O  (200,150): just outside every box    off (−1,−1): off the image
var (
	ptL, ptR, ptC, ptLC = [2]int{120, 150}, [2]int{350, 150}, [2]int{250, 320}, [2]int{175, 275}
	ptE, ptO, ptOff     = [2]int{100, 100}, [2]int{200, 150}, [2]int{-1, -1}
)

var boxText = map[string]string{
	"left lung":          "100.0,199.0,100.0,299.0",
	"right lung":         "300.0,399.0,100.0,299.0",
	"cardiac silhouette": "150.0,349.0,250.0,349.0",
}

type plantedCase struct {
	id, label, session string
	nL, nR, nC, nLC    int
	noCardiac          bool // this case's boxes lack the cardiac silhouette
}

var planted = []plantedCase{
	{"n0", "Normal", "1", 3, 1, 0, 1, false},
	{"n1", "Normal", "1", 4, 2, 1, 0, false},
	{"n2", "Normal", "1", 5, 2, 1, 2, false},
	{"n3", "Normal", "1", 6, 3, 2, 1, false},
	{"n4", "Normal", "1", 2, 1, 1, 1, false},
	{"c0", "CHF", "1", 5, 4, 3, 2, false},
	{"c1", "CHF", "1", 6, 3, 4, 1, true},
	{"c2", "CHF", "1", 7, 5, 2, 2, false},
	{"c3", "CHF", "1", 5, 4, 5, 3, false},
	{"p0", "pneumonia", "2", 2, 6, 1, 0, false},
	{"p1", "pneumonia", "2", 3, 5, 1, 1, false},
	{"p2", "pneumonia", "2", 2, 7, 2, 0, false},
	{"p3", "pneumonia", "2", 4, 8, 0, 1, false},
	{"x0", "", "2", 1, 0, 0, 0, false}, // no label: in the per-image table, not in the tests
}

// points is the case's fixation sequence.
func (c plantedCase) points() [][2]int {
	var pts [][2]int
	add := func(p [2]int, n int) {
		for range n {
			pts = append(pts, p)
		}
	}
	add(ptL, c.nL)
	add(ptR, c.nR)
	add(ptE, 1)
	add(ptC, c.nC)
	add(ptO, 1)
	add(ptLC, c.nLC)
	add(ptOff, 1)
	return pts
}

// duration of fixation j of case i: the Time column increases by it.
func plantedDuration(i, j int) float64 { return 0.2 + 0.05*float64((i+j)%3) }

// Calibration screens: the last fixation's FPOG (the others are decoys).
var plantedCalib = []struct {
	id, session string
	after       int // inserted after this many cases
	x, y        float64
}{
	{"calibration-1-1", "1", 3, 0.51, 0.47},
	{"calibration-1-2", "1", 7, 0.49, 0.56},
	{"calibration-2-1", "2", 11, 0.505, 0.5},
	{"calibration-2-2", "2", 14, 0.52, 0.43},
}

func row(session, id string, cnt int64, t, fx, fy, fd float64, x, y int) []byte {
	r := egd.RowFields{SessionID: session, DicomID: id, CNT: cnt, Time: t, TimeTick: int64(t * 1e7), XOriginal: x, YOriginal: y}
	r.Sample.FPOGX, r.Sample.FPOGY, r.Sample.FPOGD, r.Sample.FPOGV = fx, fy, fd, true
	r.Sample.BPOGX, r.Sample.BPOGY, r.Sample.BPOGV = fx, fy, true
	return egd.AppendRow(nil, &r)
}

func writeDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var sheet, boxes strings.Builder
	sheet.WriteString("dicom_id,path,image_top_pad,image_bottom_pad,image_left_pad,image_right_pad,Normal,CHF,pneumonia,cxr_exam_indication\n")
	boxes.WriteString("dicom_id,bbox_name,x1,x2,y1,y2\n")
	label := func(l, want string) string {
		if l == want {
			return "1"
		}
		return "0"
	}
	ids := append([]plantedCase(nil), planted...)
	ids = append(ids, plantedCase{id: "unseen", label: "Normal"}) // never shown: not in the tables
	for _, c := range ids {
		fmt.Fprintf(&sheet, "%s,files/%s.dcm,0,0,534,534,%s,%s,%s,\"cough, fever\"\n", c.id, c.id, label(c.label, "Normal"), label(c.label, "CHF"), label(c.label, "pneumonia"))
		for _, name := range []string{"right lung", "left lung", "cardiac silhouette"} {
			if name == "cardiac silhouette" && c.noCardiac {
				continue
			}
			fmt.Fprintf(&boxes, "%s,%s,%s\n", c.id, name, boxText[name])
		}
	}
	write("master_sheet.csv", sheet.String())
	write("bounding_boxes.csv", boxes.String())

	fix := egd.AppendHeader(nil)
	calib := func(after int) {
		for _, k := range plantedCalib {
			if k.after != after {
				continue
			}
			fix = append(fix, row(k.session, k.id, 10, 0.5, 0.3, 0.9, 0.5, -1, -1)...) // a decoy first
			fix = append(fix, row(k.session, k.id, 50, 1.2, k.x, k.y, 0.7, -1, -1)...)
		}
	}
	for i, c := range planted {
		calib(i)
		var tm float64
		for j, p := range c.points() {
			tm += plantedDuration(i, j)
			fix = append(fix, row(c.session, c.id, int64(10*(j+1)), tm, 0.5, 0.5, 0.1, p[0], p[1])...)
		}
	}
	calib(len(planted))
	write("fixations.csv", string(fix))

	// eye_gaze.csv: case n0 at an exact 60 Hz, every tenth sample (from the fourth) invalid, x
	// alternating between 0.5 and 0.501; then calibration-1-1 with a gap of 5 dropped records.
	gaze := egd.AppendHeader(nil)
	for k := range 120 {
		r := egd.RowFields{SessionID: "1", DicomID: "n0", CNT: int64(k), Time: float64(k) / 60, TimeTick: 1_000_000_000 + int64(math.Round(float64(k)*1e7/60))}
		r.Sample.BPOGX, r.Sample.BPOGY, r.Sample.BPOGV = 0.5+0.001*float64(k%2), 0.5, k%10 != 3
		gaze = egd.AppendRow(gaze, &r)
	}
	for k := range 35 {
		if k >= 10 && k < 15 {
			continue
		}
		r := egd.RowFields{SessionID: "1", DicomID: "calibration-1-1", CNT: int64(k), Time: float64(k) / 60, TimeTick: 2_000_000_000 + int64(math.Round(float64(k)*1e7/60))}
		r.Sample.BPOGX, r.Sample.BPOGY, r.Sample.BPOGV = 0.5, 0.5, true
		gaze = egd.AppendRow(gaze, &r)
	}
	write("eye_gaze.csv", string(gaze))

	write("audio_segmentation_transcripts/n0/transcript.json", `{"full_text": " prominent heart. cardiomegaly in fact.",
 "time_stamped_text": [{"phrase": "prominent", "begin_time": 1.0, "end_time": 1.7},
                       {"phrase": "heart.", "begin_tim": 1.7, "end_time": 2.0},
                       {"phrase": "cardiomegaly in fact.", "begin_time": 2.0, "end_time": 3.1}]}`)
	write("audio_segmentation_transcripts/c0/transcript.json", `{"full_text": "no acute disease",
 "time_stamped_text": [{"phrase": "no", "begin_time": 0.5, "end_time": 0.7},
   {"phrase": "acute disease", "begin_time": 0.7, "end_time": 1.4},
   {"phrase": " lungs", "begin_time": 1.4, "end_time": 1.9},
   {"phrase": "", "begin_time": 1.9, "end_time": 1.9}]}`)
	return dir
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	if s == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

func near(a, b, tol float64) bool {
	if a == b {
		return true
	}
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

// The planted answers, computed here from the plan, not from the code under test.

var boxOrder = []string{"cardiac silhouette", "left lung", "right lung"} // sorted, as np.unique

func (c plantedCase) counts() map[string]int {
	card := c.nC + c.nLC
	if c.noCardiac {
		card = 0
	}
	return map[string]int{"left lung": c.nL + c.nLC + 1, "right lung": c.nR, "cardiac silhouette": card}
}

func condName(label string) string {
	if label == "Normal" {
		return "normal"
	}
	return label
}

// studentT and welchT are the textbook formulas.
func studentT(a, b []float64) (t, df float64) {
	ma, va := mv(a)
	mb, vb := mv(b)
	na, nb := float64(len(a)), float64(len(b))
	df = na + nb - 2
	sp := ((na-1)*va + (nb-1)*vb) / df
	return (ma - mb) / math.Sqrt(sp/na+sp/nb), df
}

func welchT(a, b []float64) (t, df float64) {
	ma, va := mv(a)
	mb, vb := mv(b)
	na, nb := float64(len(a)), float64(len(b))
	se2 := va/na + vb/nb
	df = se2 * se2 / ((va/na)*(va/na)/(na-1) + (vb/nb)*(vb/nb)/(nb-1))
	return (ma - mb) / math.Sqrt(se2), df
}

func mv(x []float64) (m, v float64) {
	for _, e := range x {
		m += e
	}
	m /= float64(len(x))
	for _, e := range x {
		v += (e - m) * (e - m)
	}
	return m, v / float64(len(x)-1)
}

// pIntegerDF is the two-sided p of Student's t with integer ν, from the closed forms of
// Abramowitz & Stegun 26.7.3–4: A(t|ν) in terms of θ = atan(|t|/√ν); p = 1 − A.
func pIntegerDF(t float64, nu int) float64 {
	th := math.Atan(math.Abs(t) / math.Sqrt(float64(nu)))
	c2 := math.Cos(th) * math.Cos(th)
	var a float64
	if nu%2 == 1 {
		sum, term := 0.0, 1.0
		if nu > 1 {
			sum = 1
			for k := 1; 2*k+1 <= nu-2; k++ {
				term *= c2 * float64(2*k) / float64(2*k+1)
				sum += term
			}
		}
		a = 2 / math.Pi * (th + math.Sin(th)*math.Cos(th)*sum)
	} else {
		sum, term := 1.0, 1.0
		for k := 1; 2*k <= nu-2; k++ {
			term *= c2 * float64(2*k-1) / float64(2*k)
			sum += term
		}
		a = math.Sin(th) * sum
	}
	return 1 - a
}

// pNumeric is the two-sided p of Student's t with any ν, integrating the density (Simpson).
func pNumeric(t, nu float64) float64 {
	lg1, _ := math.Lgamma((nu + 1) / 2)
	lg2, _ := math.Lgamma(nu / 2)
	c := math.Exp(lg1-lg2) / math.Sqrt(nu*math.Pi)
	f := func(x float64) float64 { return c * math.Pow(1+x*x/nu, -(nu+1)/2) }
	const n = 20000
	x1 := math.Abs(t)
	h := x1 / n
	s := f(0) + f(x1)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(float64(i)*h)
	}
	return 1 - 2*s*h/3
}

func TestIndependentPValueFormulas(t *testing.T) {
	// The two independent routes agree with each other (and with tables: t = 2.228, ν = 10
	// is the 5% two-sided critical value).
	if p := pIntegerDF(2.228, 10); math.Abs(p-0.05) > 1e-4 {
		t.Errorf("p(2.228, 10) = %v", p)
	}
	for _, nu := range []int{1, 2, 3, 7, 10, 11, 20} {
		for _, tv := range []float64{0.3, 1.5, 2.9} {
			if a, b := pIntegerDF(tv, nu), pNumeric(tv, float64(nu)); math.Abs(a-b) > 1e-9 {
				t.Errorf("ν %d t %v: closed form %v, numeric %v", nu, tv, a, b)
			}
		}
	}
}

func TestRunPlantedDataset(t *testing.T) {
	dir := writeDataset(t)
	out := filepath.Join(t.TempDir(), "out")
	var progressed []string
	rep, err := Run(context.Background(), Config{Dir: dir, Out: out, Progress: func(file string, done, total int64) {
		if done == total {
			progressed = append(progressed, file)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(progressed, []string{FixationsFile, EyeGazeFile}) {
		t.Errorf("progress reached the end of %v", progressed)
	}

	t.Run("per-image box counts", func(t *testing.T) {
		recs := testkit.ReadCSV(t, filepath.Join(out, BoxCountsFile))
		if want := append(append([]string(nil), boxOrder...), "dicom_id", "condition"); !slices.Equal(recs[0], want) {
			t.Fatalf("header %v, want %v", recs[0], want)
		}
		if len(recs)-1 != len(planted) {
			t.Fatalf("%d rows, want %d (unseen cases left out)", len(recs)-1, len(planted))
		}
		for i, c := range planted {
			r := recs[i+1]
			want := []string{}
			for _, b := range boxOrder {
				want = append(want, strconv.Itoa(c.counts()[b]))
			}
			want = append(want, c.id, condName(c.label))
			if !slices.Equal(r, want) {
				t.Errorf("row %d: %v, want %v", i+1, r, want)
			}
		}
	})

	t.Run("duration per condition", func(t *testing.T) {
		sums := map[string]map[string]float64{}
		cases := map[string]float64{}
		for i, c := range planted {
			cond := condName(c.label)
			if sums[cond] == nil {
				sums[cond] = map[string]float64{}
			}
			cases[cond]++
			for j, p := range c.points() {
				d := plantedDuration(i, j) // Time(j) − Time(j−1); Time(0) for the first
				in := map[string]bool{
					"left lung":          p == ptL || p == ptLC || p == ptE,
					"right lung":         p == ptR,
					"cardiac silhouette": (p == ptC || p == ptLC) && !c.noCardiac,
				}
				for b, hit := range in {
					if hit {
						sums[cond][b] += d
					}
				}
			}
		}
		recs := testkit.ReadCSV(t, filepath.Join(out, BoxDurationFile))
		if !slices.Equal(recs[0], append([]string{"Condition"}, boxOrder...)) {
			t.Fatalf("header %v", recs[0])
		}
		for i, row := range [][2]string{{"Normal", "normal"}, {"Pneumonia", "pneumonia"}, {"CHF", "CHF"}} {
			r := recs[i+1]
			if r[0] != row[0] {
				t.Fatalf("row %d is %q, want %q", i+1, r[0], row[0])
			}
			for k, b := range boxOrder {
				if want := sums[row[1]][b] / cases[row[1]]; !near(num(t, r[k+1]), want, 1e-12) {
					t.Errorf("%s %s: %s, want %v", row[0], b, r[k+1], want)
				}
			}
		}
	})

	group := func(cond string, get func(plantedCase) float64) []float64 {
		var out []float64
		for _, c := range planted {
			if n := condName(c.label); n == cond || (cond == "diseased" && (n == "CHF" || n == "pneumonia")) {
				out = append(out, get(c))
			}
		}
		return out
	}
	comparisons := [][2]string{{"normal", "pneumonia"}, {"normal", "CHF"}, {"pneumonia", "CHF"}}

	t.Run("p-value tables", func(t *testing.T) {
		for _, tc := range []struct {
			file  string
			welch bool
		}{{PValuesFile, false}, {PValuesWelchFile, true}} {
			recs := testkit.ReadCSV(t, filepath.Join(out, tc.file))
			if !slices.Equal(recs[0], append([]string{""}, boxOrder...)) || len(recs) != 4 {
				t.Fatalf("%s: header %v, %d rows", tc.file, recs[0], len(recs))
			}
			for ci, cmp := range comparisons {
				r := recs[ci+1]
				if r[0] != cmp[0]+" vs "+cmp[1] {
					t.Fatalf("%s row %d: %q", tc.file, ci+1, r[0])
				}
				for k, b := range boxOrder {
					get := func(c plantedCase) float64 { return float64(c.counts()[b]) }
					x, y := group(cmp[0], get), group(cmp[1], get)
					var want float64
					if tc.welch {
						tv, df := welchT(x, y)
						want = pNumeric(tv, df)
					} else {
						tv, df := studentT(x, y)
						want = pIntegerDF(tv, int(df))
					}
					if got := num(t, r[k+1]); math.Abs(got-want) > 1e-9 {
						t.Errorf("%s %s %s: p %v, want %v", tc.file, r[0], b, got, want)
					}
				}
			}
		}
		// The long table carries t and df too.
		recs := testkit.ReadCSV(t, filepath.Join(out, TTestsFile))
		for _, r := range recs[1:] {
			if r[0] != "right lung" || r[1] != "normal vs CHF" {
				continue
			}
			get := func(c plantedCase) float64 { return float64(c.nR) }
			tv, df := studentT(group("normal", get), group("CHF", get))
			if !near(num(t, r[6]), tv, 1e-12) || num(t, r[7]) != df || r[2] != "5" || r[3] != "4" {
				t.Errorf("right lung, normal vs CHF: %v; want t %v df %v", r, tv, df)
			}
		}
	})

	t.Run("totals", func(t *testing.T) {
		recs := testkit.ReadCSV(t, filepath.Join(out, TotalsFile))
		got := map[string][]string{}
		for _, r := range recs[1:] {
			got[r[0]+"/"+r[1]] = r
		}
		measures := map[string]func(plantedCase) float64{
			"fixations": func(c plantedCase) float64 { return float64(len(c.points())) },
			"box sum": func(c plantedCase) float64 {
				n := 0
				for _, v := range c.counts() {
					n += v
				}
				return float64(n)
			},
		}
		for m, get := range measures {
			for _, cmp := range append(comparisons, [2]string{"normal", "diseased"}) {
				r, ok := got[m+"/"+cmp[0]+" vs "+cmp[1]]
				if !ok {
					t.Fatalf("no row %s %v", m, cmp)
				}
				tv, df := studentT(group(cmp[0], get), group(cmp[1], get))
				if p := pIntegerDF(tv, int(df)); !near(num(t, r[6]), tv, 1e-12) || math.Abs(num(t, r[8])-p) > 1e-9 {
					t.Errorf("%s %v: t %s p %s, want %v %v", m, cmp, r[6], r[8], tv, p)
				}
			}
		}
	})

	t.Run("calibration", func(t *testing.T) {
		var ex, ey []float64
		for _, k := range plantedCalib {
			ex = append(ex, math.Abs(0.5-k.x))
			ey = append(ey, math.Abs(0.5-k.y))
		}
		pop := func(x []float64) (m, s float64) {
			for _, e := range x {
				m += e
			}
			m /= float64(len(x))
			for _, e := range x {
				s += (e - m) * (e - m)
			}
			return m, math.Sqrt(s / float64(len(x)))
		}
		mx, sx := pop(ex)
		my, sy := pop(ey)
		recs := testkit.ReadCSV(t, filepath.Join(out, CalibrationErrorFile))
		if !slices.Equal(recs[0], []string{"statistic", "n", "x_fraction", "y_fraction", "x_px", "y_px", "x_deg", "y_deg", "deg"}) {
			t.Fatalf("header %v", recs[0])
		}
		want := [][]float64{{mx, my, mx * 1920, my * 1080}, {sx, sy, sx * 1920, sy * 1080}}
		for i, name := range []string{"mean", "std"} {
			r := recs[i+1]
			if r[0] != name || r[1] != "4" {
				t.Fatalf("row %v", r)
			}
			for k, w := range want[i] {
				if !near(num(t, r[k+2]), w, 1e-12) {
					t.Errorf("%s column %s: %s, want %v", name, recs[0][k+2], r[k+2], w)
				}
			}
		}
		// Degrees: the x error alone of 0.01 of a 59.77 cm screen at 71 cm.
		wcm := 27 * 2.54 * 16 / math.Sqrt(16*16+9*9)
		if p := rep.CalibrationPoints[0]; !near(p.DegX, math.Atan(0.01*wcm/71)*180/math.Pi, 1e-9) || p.Line == 0 {
			t.Errorf("first point %+v", p)
		}
		pts := testkit.ReadCSV(t, filepath.Join(out, CalibrationPtsFile))
		if len(pts) != 5 || pts[1][1] != "calibration-1-1" || pts[4][0] != "2" {
			t.Errorf("points table %v", pts)
		}
	})

	t.Run("type B", func(t *testing.T) {
		recs := testkit.ReadCSV(t, filepath.Join(out, TypeBFile))
		single, all := 4.0, 7.0 // at run time, as Python computes 1 − 4/7 (not the constant 3/7)
		want := []string{"2", "7", "4", "3", ff(1 - single/all)}
		if !slices.Equal(recs[1], want) {
			t.Errorf("type B %v, want %v", recs[1], want)
		}
	})

	t.Run("data quality", func(t *testing.T) {
		recs := testkit.ReadCSV(t, filepath.Join(out, DataQualityFile))
		if len(recs) != 3 {
			t.Fatalf("%d rows", len(recs))
		}
		n0, cal := recs[1], recs[2]
		col := func(name string) int { return slices.Index(recs[0], name) }
		if n0[col("dicom_id")] != "n0" || n0[col("kind")] != "case" || n0[col("samples")] != "120" || n0[col("expected")] != "120" || n0[col("valid")] != "108" {
			t.Errorf("n0 %v", n0)
		}
		if !near(num(t, n0[col("data_loss")]), 0.1, 1e-12) || !near(num(t, n0[col("effective_rate_hz")]), 60, 1e-6) {
			t.Errorf("n0 loss/rate %v", n0)
		}
		// Every pair is 0.001 of the width apart, starting from the centre, and each invalid
		// sample removes the two pairs through it.
		wcm := 27 * 2.54 * 16 / math.Sqrt(16*16+9*9)
		if a := math.Atan(0.001*wcm/71) * 180 / math.Pi; !near(num(t, n0[col("precision_rms_deg")]), a, 1e-6) || n0[col("precision_pairs")] != "95" {
			t.Errorf("n0 precision %s over %s pairs, want %v over 95", n0[col("precision_rms_deg")], n0[col("precision_pairs")], a)
		}
		if cal[col("kind")] != "calibration" || cal[col("expected")] != "35" || !near(num(t, cal[col("data_loss")]), 5.0/35, 1e-12) || cal[col("precision_pairs")] != "28" {
			t.Errorf("calibration screen %v", cal)
		}
	})

	t.Run("figures and summary", func(t *testing.T) {
		for _, f := range []string{Figure11File, Figure12File} {
			b, err := os.ReadFile(filepath.Join(out, f))
			if err != nil || len(b) < 1000 || string(b[1:4]) != "PNG" {
				t.Errorf("%s: %d bytes, %v", f, len(b), err)
			}
		}
		s, err := os.ReadFile(filepath.Join(out, SummaryFile))
		if err != nil || !strings.Contains(string(s), "Type-B error 42.86%") || !strings.Contains(string(s), "Calibration: 4 screens") {
			t.Errorf("summary: %s %v", s, err)
		}
		if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "x0") }) {
			t.Errorf("no note on the unlabelled case: %v", rep.Notes)
		}
		if len(rep.Written) != 13 {
			t.Errorf("written %v", rep.Written)
		}
	})
}

func TestRunOptionalInputs(t *testing.T) {
	dir := writeDataset(t)
	for _, p := range []string{"eye_gaze.csv", "bounding_boxes.csv"} {
		if err := os.Remove(filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, TranscriptsDir)); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rep, err := Run(context.Background(), Config{Dir: dir, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Anatomy != nil || rep.Quality != nil || rep.TypeB != nil || len(rep.Notes) != 3 || rep.Calibration.N != 4 {
		t.Errorf("report %+v", rep)
	}
}

func TestRunErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, file, text string
		want             []string
	}{
		{"bad fixation row", "fixations.csv", string(egd.AppendHeader(nil)) + "1,0,n0,1,x,0.0" + strings.Repeat(",0", 31) + "\n",
			[]string{"fixations.csv:2", "Time (in secs)"}},
		{"bad transcript", "audio_segmentation_transcripts/n0/transcript.json", "{\n \"time_stamped_text\": [\n  {\"phrase\": 3}]}",
			[]string{"transcript.json:3", "phrase"}},
		{"bad master sheet", "master_sheet.csv", "dicom_id,path\nn0,/abs/n0.dcm\n", []string{"master_sheet.csv:2"}},
		{"bad gaze row", "eye_gaze.csv", string(egd.AppendHeader(nil)) + "1,0\n", []string{"eye_gaze.csv:2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDataset(t)
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Run(context.Background(), Config{Dir: dir, Out: t.TempDir(), NoFigures: true})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := Run(context.Background(), Config{Dir: t.TempDir(), Out: t.TempDir()}); err == nil {
		t.Error("empty folder: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Config{Dir: writeDataset(t), Out: t.TempDir()}); err == nil {
		t.Error("cancelled: no error")
	}
	if _, err := Run(context.Background(), Config{Dir: writeDataset(t), Out: t.TempDir(), Viewing: tracker.Viewing{DistanceCM: -1}}); err == nil {
		t.Error("bad viewing: no error")
	}
}

// A dataset without calibration screens says so instead of printing NaN.
func TestSummaryWithoutCalibrationScreens(t *testing.T) {
	s := (&Report{}).Summary("egd")
	if strings.Contains(s, "NaN") || !strings.Contains(s, "Calibration: no calibration screens") {
		t.Errorf("summary:\n%s", s)
	}
}

// Figures 11 and 12 keep a white margin (no label or legend on the edge), and Figure 12 has its
// colour bar: the whole viridis scale right of the grid.
func TestFiguresClearOfTheEdges(t *testing.T) {
	out := t.TempDir()
	if _, err := Run(context.Background(), Config{Dir: writeDataset(t), Out: out}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{Figure11File, Figure12File} {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		const band = 20 // pixels, 3.4 mm at 150 dpi
		inked := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if x >= b.Min.X+band && x < b.Max.X-band && y >= b.Min.Y+band && y < b.Max.Y-band {
					continue
				}
				if r, g, bl, _ := img.At(x, y).RGBA(); r&g&bl < 0xf000 {
					inked++
				}
			}
		}
		if inked > 0 {
			t.Errorf("%s: %d pixels inked within %d px of the edge", name, inked, band)
		}
		if name != Figure12File {
			continue
		}
		// The bar's top is viridis's brightest yellow, which no cell of this dataset reaches.
		top := heatmap.Viridis[len(heatmap.Viridis)-1]
		found := false
		for y := b.Min.Y; y < b.Max.Y && !found; y++ {
			for x := b.Max.X * 3 / 4; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				if nearByte(r>>8, uint32(top.R)) && nearByte(g>>8, uint32(top.G)) && nearByte(bl>>8, uint32(top.B)) {
					found = true
					break
				}
			}
		}
		if !found {
			t.Errorf("%s: no colour bar (viridis's top colour) right of the grid", name)
		}
	}
}

func nearByte(a, b uint32) bool { return a+3 >= b && b+3 >= a }
