package analysis

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"sightline/reader/egd"
	"sightline/reader/session"
	"sightline/tracker/quality"
)

// writer writes a report's files into dir; the first error sticks and later writes are skipped.
type writer struct {
	dir string
	rep *Report
	err error
}

// table writes a CSV as pandas' to_csv writes it: comma-separated, "\n" line ends, fields
// quoted only when they hold a comma, a quote or a line break (csv.QUOTE_MINIMAL).
func (w *writer) table(name string, header []string, rows [][]string) {
	if w.err != nil {
		return
	}
	var b bytes.Buffer
	line := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(f, ",\"\r\n") {
				b.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
			} else {
				b.WriteString(f)
			}
		}
		b.WriteByte('\n')
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
	w.file(name, b.Bytes())
}

func (w *writer) file(name string, data []byte) {
	if w.err != nil {
		return
	}
	if err := os.WriteFile(filepath.Join(w.dir, name), data, 0o644); err != nil {
		w.err = err
		return
	}
	w.rep.Written = append(w.rep.Written, name)
}

// ff formats a float as pandas writes it (Python's repr; NaN as an empty field).
func ff(x float64) string { return string(egd.AppendFloat(nil, x)) }

func fi(n int) string { return strconv.Itoa(n) }

func (w *writer) calibration() {
	s := w.rep.Calibration
	mx, my := s.MeanPx()
	sx, sy := s.StdPx()
	w.table(CalibrationErrorFile,
		[]string{"statistic", "n", "x_fraction", "y_fraction", "x_px", "y_px", "x_deg", "y_deg", "deg"},
		[][]string{
			{"mean", fi(s.N), ff(s.MeanX), ff(s.MeanY), ff(mx), ff(my), ff(s.MeanDegX), ff(s.MeanDegY), ff(s.MeanDeg)},
			{"std", fi(s.N), ff(s.StdX), ff(s.StdY), ff(sx), ff(sy), ff(s.StdDegX), ff(s.StdDegY), ff(s.StdDeg)},
		})
	var rows [][]string
	for _, p := range w.rep.CalibrationPoints {
		rows = append(rows, []string{p.SessionID, p.DicomID, fi(p.Line), ff(p.FPOGX), ff(p.FPOGY),
			ff(p.ErrX), ff(p.ErrY), ff(p.ErrX * screenW), ff(p.ErrY * screenH), ff(p.DegX), ff(p.DegY), ff(p.Deg)})
	}
	w.table(CalibrationPtsFile,
		[]string{"session_id", "dicom_id", "line", "FPOGX", "FPOGY", "error_x", "error_y", "error_x_px", "error_y_px", "error_x_deg", "error_y_deg", "error_deg"},
		rows)
}

func (w *writer) typeB() {
	b := w.rep.TypeB
	w.table(TypeBFile, []string{"files", "phrases", "single_word", "multi_word", "type_b_error"},
		[][]string{{fi(b.Files), fi(b.Phrases), fi(b.SingleWord), fi(b.MultiWord), ff(b.Error())}})
}

func (w *writer) anatomy() {
	a := w.rep.Anatomy
	// fixations_vs_bounding_boxes.csv: a column per box, then dicom_id, condition.
	var rows [][]string
	for _, im := range a.Images {
		r := make([]string, 0, len(a.Boxes)+2)
		for _, n := range im.Counts {
			r = append(r, fi(n))
		}
		rows = append(rows, append(r, im.DicomID, im.Condition))
	}
	w.table(BoxCountsFile, append(append([]string(nil), a.Boxes...), "dicom_id", "condition"), rows)

	// fixations_vs_bounding_boxes_time_duration.csv: Condition, then a column per box.
	rows = nil
	for _, c := range DurationRows {
		r := []string{c[0]}
		for _, d := range a.MeanDuration[c[1]] {
			r = append(r, ff(d))
		}
		rows = append(rows, r)
	}
	w.table(BoxDurationFile, append([]string{"Condition"}, a.Boxes...), rows)

	// fixations_vs_anatomy_vs_condition.csv: pandas writes the unnamed index as an empty header.
	pvals := func(name string, tests [][]TTest) {
		rows := make([][]string, len(Comparisons))
		for ci, cmp := range Comparisons {
			rows[ci] = []string{ComparisonName(cmp)}
			for _, t := range tests[ci] {
				rows[ci] = append(rows[ci], ff(t.P))
			}
		}
		w.table(name, append([]string{""}, a.Boxes...), rows)
	}
	pvals(PValuesFile, a.Student)
	pvals(PValuesWelchFile, a.Welch)

	head := []string{"n_a", "n_b", "mean_a", "mean_b", "t_student", "df_student", "p_student", "t_welch", "df_welch", "p_welch"}
	cells := func(s, wl TTest) []string {
		return []string{fi(s.NA), fi(s.NB), ff(s.MeanA), ff(s.MeanB), ff(s.T), ff(s.DF), ff(s.P), ff(wl.T), ff(wl.DF), ff(wl.P)}
	}
	rows = nil
	for k, box := range a.Boxes {
		for ci, cmp := range Comparisons {
			rows = append(rows, append([]string{box, ComparisonName(cmp)}, cells(a.Student[ci][k], a.Welch[ci][k])...))
		}
	}
	w.table(TTestsFile, append([]string{"bbox_name", "comparison"}, head...), rows)
	rows = nil
	for _, t := range a.Totals {
		rows = append(rows, append([]string{t.Measure, t.A + " vs " + t.B}, cells(t.Student, t.Welch)...))
	}
	w.table(TotalsFile, append([]string{"measure", "comparison"}, head...), rows)
}

func (w *writer) quality() {
	var rows [][]string
	for _, q := range w.rep.Quality {
		kind := session.KindCase
		if q.Calibration {
			kind = session.KindCalibration
		}
		rows = append(rows, []string{q.SessionID, q.DicomID, string(kind), fi(q.Line), fi(q.Samples), fi(q.Valid), fi(q.Expected),
			ff(q.DataLoss), ff(q.LongestLoss.Seconds()), ff(q.PrecisionDeg), fi(q.PrecisionPairs),
			ff(q.Duration), ff(q.EffectiveRate), string(q.Verdict), strings.Join(q.Reasons, "; ")})
	}
	w.table(DataQualityFile, []string{"session_id", "dicom_id", "kind", "line", "samples", "valid", "expected",
		"data_loss", "longest_loss_s", "precision_rms_deg", "precision_pairs", "duration_s", "effective_rate_hz",
		"verdict", "reasons"}, rows)
}

// Summary is the report in a few lines of text, the paper's figures side by side with ours.
func (r *Report) Summary(dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Technical validation of %s (docs/FORMATS.md §2)\n", dir)
	c := r.Calibration
	mx, my := c.MeanPx()
	sx, sy := c.StdPx()
	if c.N == 0 {
		fmt.Fprintf(&b, "Calibration: no calibration screens, no calibration error\n")
	} else {
		fmt.Fprintf(&b, "Calibration: %d screens (last fixation each); error |0.5 − FPOG|\n", c.N)
		fmt.Fprintf(&b, "  mean (%.4f, %.4f), population std (%.4f, %.4f) of the screen [paper: (0.0089, 0.0504), (0.0065, 0.0347)]\n", c.MeanX, c.MeanY, c.StdX, c.StdY)
		fmt.Fprintf(&b, "  mean (%.2f, %.2f) px, std (%.2f, %.2f) px [paper: (17.04, 54.39), (12.55, 37.43)]\n", mx, my, sx, sy)
		fmt.Fprintf(&b, "  accuracy %.3f° ± %.3f° (x %.3f°, y %.3f°)\n", c.MeanDeg, c.StdDeg, c.MeanDegX, c.MeanDegY)
	}
	if t := r.TypeB; t != nil {
		fmt.Fprintf(&b, "Transcripts: %d files, %d phrases, %d single words, %d multi-word: Type-B error %.2f%% [paper: 19,499, 18,434, 1,065: 5.46%%]\n",
			t.Files, t.Phrases, t.SingleWord, t.MultiWord, 100*t.Error())
	}
	if a := r.Anatomy; a != nil {
		fmt.Fprintf(&b, "Fixations vs anatomy: %d images (normal %d, CHF %d, pneumonia %d), %d boxes\n",
			len(a.Images), a.Cases[Normal], a.Cases[CHF], a.Cases[Pneumonia], len(a.Boxes))
		for _, t := range a.Totals {
			fmt.Fprintf(&b, "  %s, %s vs %s: means %.1f vs %.1f; Student t = %.3f, p = %.3g; Welch p = %.3g\n",
				t.Measure, t.A, t.B, t.Student.MeanA, t.Student.MeanB, t.Student.T, t.Student.P, t.Welch.P)
		}
		sig := 0
		for ci := range Comparisons {
			for _, t := range a.Student[ci] {
				if t.P < 0.05 {
					sig++
				}
			}
		}
		fmt.Fprintf(&b, "  per box: %d of %d Student tests with p < 0.05 [paper: normal vs diseased total fixations p < 0.01]\n",
			sig, len(Comparisons)*len(a.Boxes))
	}
	if q := r.Quality; q != nil {
		var loss, prec, rate []float64
		verdicts := map[quality.GateVerdict]int{}
		cases := 0
		for _, s := range q {
			if s.Calibration {
				continue
			}
			cases++
			loss = append(loss, s.DataLoss)
			if !math.IsNaN(s.PrecisionDeg) {
				prec = append(prec, s.PrecisionDeg)
			}
			if !math.IsNaN(s.EffectiveRate) {
				rate = append(rate, s.EffectiveRate)
			}
			verdicts[s.Verdict]++
		}
		fmt.Fprintf(&b, "Data quality: %d case screens: median data loss %.1f%%, median precision %.3f° RMS, median rate %.1f Hz; %d pass, %d warn, %d fail\n",
			cases, 100*median(loss), median(prec), median(rate), verdicts[quality.Pass], verdicts[quality.Warn], verdicts[quality.Fail])
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	return b.String()
}

func (w *writer) summary(dir string) {
	w.file(SummaryFile, []byte(w.rep.Summary(dir)))
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
