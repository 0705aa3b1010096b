// Package exporttest makes synthetic studies and sessions, recorded through reader/session's
// Recorder exactly as the station records them, for the tests and benchmarks of reader/export.
package exporttest

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
	"sightline/tracker"
	"sightline/tracker/quality"
)

// Case is a case of a synthetic study.
type Case struct {
	DicomID string
	W, H    int
}

// Layout is where the station draws the case.
func (c Case) Layout() stage.Layout { return stage.Fit(c.W, c.H) }

// WriteStudy writes dir/master_sheet.csv (EGD-CXR columns, pads as a prepare step would have
// left them — deliberately wrong, so that tests see the export take them from layout.json —
// and an indication with a quoted newline) and dir/bounding_boxes.csv for n cases.
func WriteStudy(dir string, n int) ([]Case, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	header := []string{"dicom_id", "path", "study_id", "patient_id", "stay_id", "gender", "anchor_age",
		"image_top_pad", "image_bottom_pad", "image_left_pad", "image_right_pad", "dx1", "dx1_icd",
		"normal_reports", "Normal", "CHF", "pneumonia", "cardiomegaly__chx", "cxr_exam_indication", "site_note"}
	rows := [][]string{header}
	boxes := [][]string{{"dicom_id", "bbox_name", "x1", "x2", "y1", "y2"}}
	cases := make([]Case, n)
	for i := range cases {
		id := fmt.Sprintf("%08x-%08x-%08x-%08x-%08x", 0x1a3f39ce+i*7919, 0xebe90275-i*104729, 0x9a66145a^i, 0xaf03360e+i, 0xee3b163b-i)
		w, h := 2544-8*(i%5), 3056-16*(i%3)
		if i%4 == 3 {
			w, h = 3056, 2544 // a landscape image: pads top and bottom
		}
		cases[i] = Case{DicomID: id, W: w, H: h}
		cond := []string{"0", "0", "0"} // Normal, CHF, pneumonia
		cond[i%3] = "1"
		rows = append(rows, []string{id, fmt.Sprintf("files/p1%d/p1%07d/s5%07d/%s.dcm", i%10, 5628804+i, 8573295+i, id),
			strconv.Itoa(58573295 + i), strconv.Itoa(15628804 + i), "", []string{"F", "M"}[i%2], "50 - 60",
			"7", "7", "9", "9", "Chest pain, unspecified", "R07.9", cond[0], cond[0], cond[1], cond[2],
			[]string{"1", "", "-1", "0"}[i%4], fmt.Sprintf("___M with chest pain,\nr/o \"acute\" process %d", i), ""})
		for j, name := range []string{"right lung", "left lung", "cardiac silhouette", "trachea"} {
			x1 := 100 + 37*j + i
			boxes = append(boxes, []string{id, name, fmt.Sprintf("%d.0", x1), fmt.Sprintf("%d.5", x1+700), fmt.Sprintf("%d.0", 200+j), fmt.Sprintf("%d.0", 1500+j)})
		}
	}
	for _, f := range []struct {
		name string
		rows [][]string
	}{{"master_sheet.csv", rows}, {"bounding_boxes.csv", boxes}} {
		fh, err := os.Create(filepath.Join(dir, f.name))
		if err != nil {
			return nil, err
		}
		w := csv.NewWriter(fh)
		w.WriteAll(f.rows)
		if err := errors.Join(w.Error(), fh.Close()); err != nil {
			return nil, err
		}
	}
	return cases, nil
}

// Spec describes a synthetic session.
type Spec struct {
	ID, Reader string
	Seed       int64
	Started    time.Time
	Cases      []Case // the cases to read (the plan shuffles them)
	CalibEvery int    // a calibration screen about every N cases (0: none)
	Samples    int    // gaze samples per screen (60 Hz)
	// Extras adds what a full station writes beside the rows: I-DT and I-VT fixations, a
	// calibration report per calibration screen, audio.wav, audio.mp3, audio.json, a
	// transcript.json and a quality.json per case, and key events.
	Extras bool
	// AudioLead, when set, puts each case's audio.json first frame this long after the screen's
	// onset, on the same session clock, as the station records it (its audio starts with the
	// image). Unset, first_frame_host_ns is a fixed ~1 s that agrees with no screen.
	AudioLead *time.Duration
}

// Recording is a session being recorded.
type Recording struct {
	Rec   *session.Recorder
	spec  Spec
	byID  map[string]Case
	g     gen
	calib int
}

// Start creates the session folder STUDY/sessions/<ID>/.
func Start(studyDir string, spec Spec) (*Recording, error) {
	ids := make([]string, len(spec.Cases))
	byID := map[string]Case{}
	for i, c := range spec.Cases {
		ids[i] = c.DicomID
		byID[c.DicomID] = c
	}
	rec, err := session.Create(study.SessionDir(studyDir, spec.ID), session.Meta{
		SessionID: spec.ID, Reader: spec.Reader, Seed: spec.Seed, CalibEvery: spec.CalibEvery,
		StudyDir: studyDir, Tracker: "gazesim GP3 60 Hz", TrackerRate: 60,
		FixationFilter: "I-DT dispersion=1.00deg min=100ms", Plan: session.NewPlan(spec.ID, ids, spec.Seed, spec.CalibEvery),
		StartedWall: spec.Started, ClockOriginNS: 123456789, BootID: "boot-" + spec.ID,
	})
	if err != nil {
		return nil, err
	}
	return &Recording{Rec: rec, spec: spec, byID: byID, g: gen{cnt: spec.Seed * 1000}}, nil
}

// Record records a whole session of spec (every screen of its plan) and closes it complete.
func Record(studyDir string, spec Spec) error {
	r, err := Start(studyDir, spec)
	if err != nil {
		return err
	}
	if err := r.Screens(-1); err != nil {
		return err
	}
	return r.Close(session.StatusComplete)
}

// Resume reopens an interrupted session (see session.Resume); the recording goes on with a
// device clock later than before the crash.
func Resume(studyDir string, spec Spec) (*Recording, error) {
	rec, err := session.Resume(study.SessionDir(studyDir, spec.ID), 0)
	if err != nil {
		return nil, err
	}
	byID := map[string]Case{}
	for _, c := range spec.Cases {
		byID[c.DicomID] = c
	}
	st := rec.State()
	calib := 0
	for _, d := range st.Done {
		if st.Plan[d].Kind == session.KindCalibration {
			calib++
		}
	}
	return &Recording{Rec: rec, spec: spec, byID: byID, g: gen{cnt: spec.Seed*1000 + 1_000_000}, calib: calib}, nil
}

// Screens records the next n screens still to read (all of them when n < 0).
func (r *Recording) Screens(n int) error {
	for _, sc := range r.Rec.State().Remaining() {
		if n == 0 {
			break
		}
		n--
		if err := r.screen(sc, r.spec.Samples); err != nil {
			return err
		}
	}
	return nil
}

// Reread extends the plan with the cases ids, read again at the end of the session (as the
// station does after its re-read offer), and records them.
func (r *Recording) Reread(ids ...string) error {
	n := len(r.Rec.State().Plan)
	screens := make([]session.Screen, len(ids))
	for i, id := range ids {
		screens[i] = session.Screen{Index: n + i, Kind: session.KindCase, DicomID: id}
	}
	if err := r.Rec.ExtendPlan(screens); err != nil {
		return err
	}
	return r.Screens(-1)
}

// CrashMidScreen begins the next screen and records half its samples, flushed; the caller then
// ends the process without closing (a crash).
func (r *Recording) CrashMidScreen() error {
	rem := r.Rec.State().Remaining()
	if len(rem) == 0 {
		return errors.New("exporttest: no screen left")
	}
	sc := rem[0]
	if err := r.Rec.BeginScreen(sc, r.layout(sc), r.g.host()); err != nil {
		return err
	}
	for i := 0; i < r.spec.Samples/2; i++ {
		if err := r.Rec.Gaze(r.g.next()); err != nil {
			return err
		}
	}
	return r.Rec.Flush()
}

// Close ends the session with status.
func (r *Recording) Close(status string) error { return r.Rec.Close(status) }

func (r *Recording) layout(sc session.Screen) stage.Layout {
	if sc.Kind == session.KindCalibration {
		return stage.Layout{W: stage.Width, H: stage.Height}
	}
	return r.byID[sc.DicomID].Layout()
}

func (r *Recording) screen(sc session.Screen, samples int) error {
	onset := r.g.host()
	if err := r.Rec.BeginScreen(sc, r.layout(sc), onset); err != nil {
		return err
	}
	var fixes []tracker.Sample
	for i := 0; i < samples; i++ {
		s := r.g.next()
		if err := r.Rec.Gaze(s); err != nil {
			return err
		}
		if r.g.lastOfFixation() || i == samples-1 {
			fixes = append(fixes, s)
			if err := r.Rec.Fixation(s); err != nil {
				return err
			}
		}
	}
	if r.spec.Extras {
		if err := r.Rec.Event(r.g.host(), "key", map[string]string{"key": "space", "note": "next, \"quoted\""}); err != nil {
			return err
		}
		idt, ivt := fixes[:len(fixes)/2], fixes[len(fixes)/3:]
		if err := r.Rec.FilterFixations("idt", "I-DT dispersion=1.00deg min=100ms", idt); err != nil {
			return err
		}
		if err := r.Rec.FilterFixations("ivt", "I-VT velocity=30deg/s, window=20ms", ivt); err != nil {
			return err
		}
		if sc.Kind == session.KindCalibration {
			r.calib++
			rep := session.CheckReport{Round: r.calib, Validation: session.Validation{
				AccuracyDeg: 0.1 * float64(r.calib+2), PrecisionDeg: 0.12, DataLoss: 1.0 / 3, Verdict: quality.Good}}
			if r.calib%2 == 1 {
				rep.Calibration = &session.CalSummary{AveErrorPx: 17.04, ValidPoints: 9}
			} else {
				rep.CalError = "device: timeout, point 3"
			}
			if err := r.Rec.SaveCheck(rep); err != nil {
				return err
			}
		}
	}
	if err := r.Rec.EndScreen(r.g.host()); err != nil {
		return err
	}
	if r.spec.Extras && sc.Kind == session.KindCase {
		return r.caseFiles(sc, onset)
	}
	return nil
}

// CaseDir is the folder of screen sc of a session folder.
func CaseDir(sessionDir string, sc session.Screen) (string, error) {
	m, err := filepath.Glob(filepath.Join(sessionDir, session.CasesDir, "*-"+sc.DicomID))
	if err != nil {
		return "", err
	}
	for _, d := range m {
		if n, _, _ := strings.Cut(filepath.Base(d), "-"); n == fmt.Sprintf("%02d", sc.Index) || n == strconv.Itoa(sc.Index) {
			return d, nil
		}
	}
	return "", fmt.Errorf("exporttest: no folder for screen %d %s", sc.Index, sc.DicomID)
}

// caseFiles writes what the audio, transcription and QA steps leave in a case folder.
func (r *Recording) caseFiles(sc session.Screen, onset time.Duration) error {
	dir, err := CaseDir(r.Rec.Dir(), sc)
	if err != nil {
		return err
	}
	firstFrame := int64(1_000_000_000 + sc.Index)
	if r.spec.AudioLead != nil {
		firstFrame = int64(onset + *r.spec.AudioLead)
	}
	begin := "begin_time"
	if sc.Index%2 == 1 {
		begin = "begin_tim" // the paper's spelling, as some tools still write it
	}
	files := map[string]string{
		"audio.wav": "RIFF\x24\x00\x00\x00WAVEfmt " + strings.Repeat("\x00\x01", 20+sc.Index),
		"audio.mp3": "ID3\x03\x00" + strings.Repeat("\xff\xfb", 10+sc.Index),
		"audio.json": fmt.Sprintf(`{"rate": 16000, "channels": 1, "first_frame_host_ns": %d, "frames": %d, "overruns": 0, "gap_frames": 0, "device": "null, \"monitor\"", "drift_ns": -12, "drift_ppm": 1.5e-06, "jitter_ns": 40000, "complete": true}`,
			firstFrame, 16000*(3+sc.Index)),
		"transcript.json": fmt.Sprintf(`{"full_text": " prominent heart. case %d, \u00e9tude.", "time_stamped_text": [{"phrase": "prominent", %q: 1.0, "end_time": 1.7}, {"phrase": "heart.", "%s": 1.7, "end_time": 2.0}]}`,
			sc.Index, begin, begin),
		"quality.json": fmt.Sprintf(`{"verdict": %q, "data_loss": %v, "reasons": ["data loss 12%%"], "expected": %d, "note": null, "longest_loss_ms": "1500"}`,
			[]quality.GateVerdict{quality.Pass, quality.Warn}[sc.Index%2], 0.1+0.01*float64(sc.Index), 100+sc.Index),
	}
	if sc.Index%3 == 0 {
		delete(files, "quality.json") // quality records on some cases only
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// gen is a 60 Hz Gazepoint-like stream: device time in 5 decimals, a 3 MHz tick, fixations of
// 12 samples with FPOGS + FPOGD = TIME, pupils and validity that vary.
type gen struct {
	cnt     int64
	fixID   int64
	fixFrom float64
}

func round5(x float64) float64 { return math.Round(x*1e5) / 1e5 }

func (g *gen) host() time.Duration { return time.Duration(g.cnt) * time.Second / 60 }

func (g *gen) next() tracker.Sample {
	c := g.cnt
	g.cnt++
	t := round5(700 + float64(c)/60)
	if c%12 == 0 || g.fixID == 0 {
		g.fixID++
		g.fixFrom = t
	}
	fx := 0.3 + 0.04*float64(g.fixID%10) + 0.00001*float64(c%7)
	fy := 0.2 + 0.05*float64(g.fixID%7)
	valid := c%37 != 0
	s := tracker.Sample{
		Host: time.Duration(c) * time.Second / 60,
		CNT:  1000 + c, Time: t, TimeTick: 5_000_000_000 + c*3_000_000/60, TickFreq: 3_000_000,
		FPOGX: fx, FPOGY: fy, FPOGS: g.fixFrom, FPOGD: round5(t - g.fixFrom), FPOGID: g.fixID, FPOGV: valid,
		BPOGX: fx + 0.001, BPOGY: fy - 0.001, BPOGV: valid,
		LPCX: 0.37859, LPCY: 0.5943, LPD: 18.33718 + float64(c%13)/7, LPS: 1.05276, LPV: true,
		RPCX: 0.6379, RPCY: 0.59798, RPD: 18.19434, RPS: 1.06068, RPV: valid,
		BKID: c / 600, BKDUR: float64(c%600) / 1e3, BKPMIN: float64(19 + c%3),
		LPMM: 3.50648 + float64(c%11)*1e-5, LPMMV: true, RPMM: 3.56681, RPMMV: true,
		SaccadeMag: 55.60791 * float64(c%12), SaccadeDir: 106.13765, VidFrame: c,
	}
	if c%1000 == 999 {
		s.LPD = math.NaN() // a record whose pupil the device did not report
	}
	return s
}

func (g *gen) lastOfFixation() bool { return g.cnt%12 == 0 }

// WriteJSON writes v as indented JSON (a helper for tests that add records by hand).
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
