// Package reporting writes reporting.md: what the minimal reporting guideline for eye-tracking
// research (Dunn et al., Behavior Research Methods, 2023) asks a study to state, filled in from
// a dataset folder and its analysis, with what the data cannot tell marked for the authors.
package reporting

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"sightline/reader/analysis"
	"sightline/reader/export"
	"sightline/reader/study"
	"sightline/tracker"
	"sightline/tracker/quality"
)

// File is the report's name in the analysis folder.
const File = "reporting.md"

// Input is what the report is made from.
type Input struct {
	Dataset  string           // the dataset folder, as named to the user
	Study    *study.Study     // its master_sheet.csv and boxes
	Report   *analysis.Report // the analysis run on it
	Viewing  tracker.Viewing  // the viewing geometry the analysis used
	Rate     float64          // the nominal rate the analysis assumed, Hz
	Software []string         // the programs and versions that made and analysed the data
	// Sessions, Checks, Quality and Events are the export's sessions.csv,
	// calibration_checks.csv, quality.csv and events.csv (export.Rows); nil in a published folder.
	Sessions, Checks, Quality, Events []map[string]string
}

// Load reads the export's tables beside the dataset in dir (none for a published folder).
func Load(dir string, in *Input) error {
	for _, t := range []struct {
		file string
		dst  *[]map[string]string
	}{{export.SessionsFile, &in.Sessions}, {export.ChecksFile, &in.Checks}, {export.QualityFile, &in.Quality}, {export.EventsFile, &in.Events}} {
		rows, err := export.Rows(dir, t.file)
		if err != nil {
			return fmt.Errorf("reporting: %w", err)
		}
		*t.dst = rows
	}
	return nil
}

const todo = "**not recorded in the dataset: state it**"

// Markdown is the report.
func Markdown(in Input) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p("# Eye-tracking reporting: %s", in.Dataset)
	p("")
	p("The items of the minimal reporting guideline for research involving eye tracking (Dunn et al., " +
		"Behavior Research Methods, 2023), filled in from the dataset by `sightline analyze`. Items marked " + todo +
		" are not in the data: the authors must supply them.")
	p("")
	in.participants(p)
	in.device(p)
	in.setup(p)
	in.calibration(p)
	in.quality(p)
	in.exclusions(p)
	p("## Software")
	for _, s := range in.Software {
		p("- %s", s)
	}
	p("- Tracker firmware and its own software: %s.", todo)
	return b.String()
}

func (in Input) participants(p func(string, ...any)) {
	p("## Participants (readers)")
	readers := distinct(in.Sessions, "reader")
	if len(readers) == 0 {
		p("- Readers: %s (a published EGD-CXR folder names none; the EGD-CXR paper had one radiologist).", todo)
	} else {
		p("- Readers: %d (%s); sessions: %d.", len(readers), strings.Join(readers, ", "), len(in.Sessions))
	}
	p("- Expertise, vision, corrective lenses: %s.", todo)
	p("")
}

func (in Input) device(p func(string, ...any)) {
	p("## Eye tracker")
	if t := distinct(in.Sessions, "tracker"); len(t) > 0 {
		p("- Device: %s.", strings.Join(t, "; "))
	} else {
		p("- Device: %s (the EGD-CXR paper used a Gazepoint GP3).", todo)
	}
	if r := distinct(in.Sessions, "tracker_rate_hz"); len(r) > 0 {
		p("- Sampling rate: %s Hz (as the device reported it); data loss below counts against %s Hz.", strings.Join(r, ", "), num(in.Rate))
	} else {
		p("- Sampling rate: %s; data loss below counts against the nominal %s Hz given to `analyze`.", todo, num(in.Rate))
	}
	p("- Eye(s) tracked: the point of gaze is the device's binocular estimate (FPOG, BPOG).")
	if f := distinct(in.Sessions, "fixation_filter"); len(f) > 0 {
		p("- Event detection: the device's fixations (fixations.csv); Sightline's filters recorded beside them: %s.", strings.Join(f, "; "))
	} else {
		p("- Event detection: the device's fixations (fixations.csv); the device's algorithm and parameters: %s.", todo)
	}
	p("")
}

func (in Input) setup(p func(string, ...any)) {
	v := in.Viewing
	p("## Set-up")
	p("- Screen: %d × %d pixels, %s-inch diagonal (%.1f × %.1f cm); the image drawn on a 1920 × 1080 stage, "+
		"scaled to fit with its aspect kept, padded black (pads per case in master_sheet.csv).",
		v.WidthPx, v.HeightPx, num(v.DiagonalInch), v.WidthCM(), v.HeightCM())
	p("- Viewing distance: %s cm (1° ≈ %.1f pixels at the centre). These are the figures given to `analyze` "+
		"(`--viewing-distance`, `--screen-inch`), not measured per session.", num(v.DistanceCM), v.PixelsPerDegree())
	p("- Head stabilisation (chin rest or none), room lighting: %s.", todo)
	p("")
}

func (in Input) calibration(p func(string, ...any)) {
	p("## Calibration and validation")
	if len(in.Checks) > 0 {
		p("- Method: the device's calibration (points valid per round: %s), then a validation round of "+
			"targets whose accuracy (mean offset from the target), precision (RMS sample to sample) and data "+
			"loss are measured and judged (good, acceptable, redo); a session starts only on an accepted round "+
			"and recalibrates on request and every so many cases (calib_every: %s).",
			strings.Join(distinct(in.Checks, "device_valid_points"), ", "), strings.Join(distinct(in.Sessions, "calib_every"), ", "))
		p("")
		p("| SESSION_ID | reader | rounds | accuracy (°) mean | worst | precision (°) mean | validation data loss | verdicts |")
		p("|---|---|---|---|---|---|---|---|")
		for _, s := range in.Sessions {
			id := s["SESSION_ID"]
			var acc, prec, loss []float64
			verdicts := map[string]int{}
			n := 0
			for _, c := range in.Checks {
				if c["SESSION_ID"] != id {
					continue
				}
				n++
				verdicts[c["verdict"]]++
				if a := parse(c["accuracy_deg"]); a >= 0 {
					acc = append(acc, a)
				}
				prec = appendFinite(prec, parse(c["precision_deg"]))
				loss = appendFinite(loss, parse(c["data_loss"]))
			}
			p("| %s | %s | %d | %s | %s | %s | %s | %s |", id, s["reader"], n, mean2(acc), max2(acc), mean2(prec), pct(meanOf(loss)), counts(verdicts))
		}
	} else {
		p("- Method: %s (the EGD-CXR paper: a 9-point device calibration).", todo)
	}
	c := in.Report.Calibration
	if c.N > 0 {
		p("")
		p("- Calibration screens (the EGD-CXR paper's check: the last fixation of each of %d screens against "+
			"the target at the centre): mean error %.2f° (population sd %.2f°); per axis %.1f px, %.1f px.",
			c.N, c.MeanDeg, c.StdDeg, c.MeanX*1920, c.MeanY*1080)
	}
	p("")
}

func (in Input) quality(p func(string, ...any)) {
	p("## Data quality")
	q := in.Report.Quality
	if q == nil {
		p("- Data loss and precision per case: no eye_gaze.csv in the dataset: %s.", todo)
		p("")
		return
	}
	bySession := map[string][]analysis.ScreenQuality{}
	var order []string
	for _, s := range q {
		if s.Calibration {
			continue
		}
		if _, ok := bySession[s.SessionID]; !ok {
			order = append(order, s.SessionID)
		}
		bySession[s.SessionID] = append(bySession[s.SessionID], s)
	}
	p("Per case, from eye_gaze.csv (data loss = invalid or missing samples ÷ those expected at %s Hz; precision = RMS "+
		"of sample-to-sample angles, never across a gap; the per-case gate: loss ≥ 10%% or a gap ≥ 1.5 s warns, ≥ 15%% or ≥ 3 s fails).", num(in.Rate))
	p("")
	p("| SESSION_ID | cases | data loss mean | data loss max | precision (°) mean | warn | fail |")
	p("|---|---|---|---|---|---|---|")
	for _, id := range order {
		var loss, prec []float64
		warn, fail := 0, 0
		for _, s := range bySession[id] {
			loss = appendFinite(loss, s.DataLoss)
			prec = appendFinite(prec, s.PrecisionDeg)
			switch s.Verdict {
			case quality.Warn:
				warn++
			case quality.Fail:
				fail++
			}
		}
		p("| %s | %d | %s | %s | %s | %d | %d |", id, len(bySession[id]), pct(meanOf(loss)), pct(maxOf(loss)), mean2(prec), warn, fail)
	}
	p("")
}

func (in Input) exclusions(p func(string, ...any)) {
	p("## Exclusions")
	read := map[string]bool{}
	for _, im := range in.imagesRead() {
		read[im] = true
	}
	unread := 0
	for _, c := range in.Study.Cases {
		if !read[c.DicomID] {
			unread++
		}
	}
	p("- Cases in master_sheet.csv: %d; with fixations: %d; without: %d.", len(in.Study.Cases), len(read), unread)
	skipped := 0
	for _, e := range in.Events {
		if e["kind"] == "case_skipped" {
			skipped++
		}
	}
	if in.Events != nil {
		p("- Cases the station could not show (case_skipped events): %d.", skipped)
	}
	fail := 0
	for _, s := range in.Report.Quality {
		if !s.Calibration && s.Verdict == quality.Fail {
			fail++
		}
	}
	p("- Cases failing the data-quality gate: %d. `analyze` keeps them in every table; a study that excluded them must say so.", fail)
	if in.Report.CalibrationBad > 0 {
		p("- Calibration screens left out (no usable last fixation): %d.", in.Report.CalibrationBad)
	}
	p("- Exclusion criteria decided by the study (participants, sessions): %s.", todo)
	p("")
}

// imagesRead lists the cases with fixations (from the anatomy, else from data quality).
func (in Input) imagesRead() []string {
	var out []string
	if a := in.Report.Anatomy; a != nil {
		for _, im := range a.Images {
			out = append(out, im.DicomID)
		}
		return out
	}
	for _, s := range in.Report.Quality {
		if !s.Calibration {
			out = append(out, s.DicomID)
		}
	}
	return out
}

func distinct(rows []map[string]string, col string) []string {
	var out []string
	for _, r := range rows {
		if v := r[col]; v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func parse(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

func appendFinite(xs []float64, x float64) []float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return xs
	}
	return append(xs, x)
}

func meanOf(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func maxOf(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return slices.Max(xs)
}

func mean2(xs []float64) string { return fixed(meanOf(xs), "%.2f") }
func max2(xs []float64) string  { return fixed(maxOf(xs), "%.2f") }
func pct(x float64) string      { return fixed(x*100, "%.1f%%") }

func fixed(x float64, format string) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf(format, x)
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		name := k
		if name == "" {
			name = "none"
		}
		parts = append(parts, fmt.Sprintf("%s %d", name, m[k]))
	}
	return strings.Join(parts, ", ")
}
