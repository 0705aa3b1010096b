// Package bids writes a study's recorded sessions as a BIDS dataset with the eye-tracking
// (physio, PhysioType eyetrack) part of the specification: one subject per reader, one BIDS
// session per reading session, per case the gaze as a _physio.tsv.gz with its JSON, the session's
// events (each case's onset, the space presses), and the dictation with its transcript
// (docs/FORMATS.md §13).
package bids

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"sightline/reader/atomicfile"
	"sightline/reader/egd"
	"sightline/reader/session"
	"sightline/reader/study"
	"sightline/reader/transcript"
	"sightline/tracker"
)

// Task is the BIDS task label of every recording: reading chest X-rays.
const Task = "read"

// BIDSVersion is the version of the specification the dataset says it follows.
const BIDSVersion = "1.9.0"

// Options choose what Export writes.
type Options struct {
	// Viewing is the station's viewing geometry (screen size, distance); zero: the paper's.
	Viewing tracker.Viewing
	// Name is the dataset's name in dataset_description.json; empty: the study folder's name.
	Name string
}

// Result says what Export wrote.
type Result struct {
	Subjects, Sessions, Runs int
	Skipped                  []string // sessions or cases left out, with why
}

// Export writes the complete and ended sessions of the study at studyDir to out (which must not
// exist, or be empty) as a BIDS dataset.
func Export(studyDir, out string, o Options) (*Result, error) {
	if o.Viewing == (tracker.Viewing{}) {
		o.Viewing = tracker.PaperViewing()
	}
	if o.Name == "" {
		o.Name = filepath.Base(filepath.Clean(studyDir))
	}
	if ents, err := os.ReadDir(out); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("bids: %s is not empty", out)
	}
	dirs, err := study.SessionDirs(studyDir)
	if err != nil {
		return nil, fmt.Errorf("bids: %w", err)
	}
	res := &Result{}
	byReader := map[string][]*session.Opened{}
	for _, d := range dirs {
		s, err := session.Open(d)
		if err != nil {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s: %v", filepath.Base(d), err))
			continue
		}
		if st := s.State.Status; st != session.StatusComplete && st != session.StatusEnded && st != "ended early" {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s: status %s", filepath.Base(d), st))
			continue
		}
		byReader[s.State.Reader] = append(byReader[s.State.Reader], s)
	}
	if len(byReader) == 0 {
		return nil, fmt.Errorf("bids: no complete or ended session under %s", study.SessionsRoot(studyDir))
	}
	w := &writer{out: out, o: o, res: res}
	readers := slices.Sorted(func(yield func(string) bool) {
		for r := range byReader {
			if !yield(r) {
				return
			}
		}
	})
	labels := subjectLabels(readers)
	for _, r := range readers {
		ss := byReader[r]
		slices.SortFunc(ss, func(a, b *session.Opened) int { return a.State.StartedWall.Compare(b.State.StartedWall) })
		if err := w.subject(labels[r], r, ss); err != nil {
			return nil, fmt.Errorf("bids: %w", err)
		}
	}
	if err := w.top(readers, labels); err != nil {
		return nil, fmt.Errorf("bids: %w", err)
	}
	return res, nil
}

// subjectLabels gives each reader a BIDS label: the name's letters and digits, made unique
// with a number when two names come out alike (or a name has none).
func subjectLabels(readers []string) map[string]string {
	out := map[string]string{}
	used := map[string]bool{}
	for i, r := range readers {
		l := strings.Map(func(c rune) rune {
			if c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c)) {
				return c
			}
			return -1
		}, r)
		if l == "" || used[l] {
			l += "r" + strconv.Itoa(i+1)
		}
		used[l] = true
		out[r] = l
	}
	return out
}

type writer struct {
	out string
	o   Options
	res *Result
}

func (w *writer) file(rel string, b []byte) error {
	p := filepath.Join(w.out, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteBytes(p, b)
}

func (w *writer) json(rel string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return w.file(rel, append(b, '\n'))
}

// tsv is a table with a header; empty cells become "n/a", as BIDS wants.
func tsv(header []string, rows [][]string) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(header, "\t") + "\n")
	for _, r := range rows {
		for i, f := range r {
			if i > 0 {
				b.WriteByte('\t')
			}
			if f == "" {
				f = "n/a"
			}
			b.WriteString(strings.NewReplacer("\t", " ", "\n", " ").Replace(f))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func (w *writer) top(readers []string, labels map[string]string) error {
	desc := map[string]any{
		"Name": w.o.Name, "BIDSVersion": BIDSVersion, "DatasetType": "raw",
		"GeneratedBy": []map[string]string{{"Name": "sightline", "Description": "sightline export --bids"}},
	}
	if err := w.json("dataset_description.json", desc); err != nil {
		return err
	}
	var rows [][]string
	for _, r := range readers {
		rows = append(rows, []string{"sub-" + labels[r], r})
	}
	if err := w.file("participants.tsv", tsv([]string{"participant_id", "reader"}, rows)); err != nil {
		return err
	}
	if err := w.json("participants.json", map[string]any{
		"reader": map[string]string{"Description": "the reader's name as the station recorded it"},
	}); err != nil {
		return err
	}
	if err := w.json("task-"+Task+"_events.json", eventsSidecar); err != nil {
		return err
	}
	// BIDS 1.9 has no file type for a participant's recorded speech: the dictations are kept
	// under BIDS names and listed for the validator to leave alone, as it asks of files the
	// specification does not cover yet.
	if err := w.file(".bidsignore", []byte("*_beh.wav\n")); err != nil {
		return err
	}
	readme := "Chest X-ray reading with eye tracking and dictation, recorded with Sightline.\n" +
		"One subject per reader, one session per reading session; per case (run) the gaze as " +
		"beh/*_recording-eye_physio.tsv.gz, the dictation as *_beh.wav with its transcript *_beh.tsv.\n"
	w.res.Subjects = len(readers)
	return w.file("README", []byte(readme))
}

var sessionsSidecar = map[string]any{
	"acq_time":          map[string]string{"Description": "the session's start (UTC)"},
	"sightline_session": map[string]string{"Description": "the session folder under the study's sessions/"},
	"status":            map[string]string{"Description": "the session's status: complete, or ended before its plan was done"},
}

var eventsSidecar = map[string]any{
	"onset":      map[string]string{"Description": "seconds on the session clock (CLOCK_MONOTONIC from the session's start)", "Units": "s"},
	"duration":   map[string]string{"Description": "seconds: a case's time on screen; 0 for a key press", "Units": "s"},
	"trial_type": map[string]any{"Description": "what happened", "Levels": map[string]string{"case": "a case's image was asked for (its onset)", "calibration": "a calibration screen", "space": "the reader pressed space (next case)"}},
	"run":        map[string]string{"Description": "the run of the case's physio and beh files"},
	"dicom_id":   map[string]string{"Description": "the image (master_sheet.csv's dicom_id)"},
}

func (w *writer) subject(label, reader string, ss []*session.Opened) error {
	var sessRows [][]string
	for i, s := range ss {
		ses := strconv.Itoa(i + 1)
		if err := w.session(label, ses, s); err != nil {
			return fmt.Errorf("session %s: %w", filepath.Base(s.Dir), err)
		}
		sessRows = append(sessRows, []string{"ses-" + ses, s.State.StartedWall.UTC().Format("2006-01-02T15:04:05"), filepath.Base(s.Dir), s.State.Status})
		w.res.Sessions++
	}
	if err := w.json(fmt.Sprintf("sub-%s/sub-%s_sessions.json", label, label), sessionsSidecar); err != nil {
		return err
	}
	return w.file(fmt.Sprintf("sub-%s/sub-%s_sessions.tsv", label, label),
		tsv([]string{"session_id", "acq_time", "sightline_session", "status"}, sessRows))
}

// session writes one reading session: a run per case read (its final read), and the events.
func (w *writer) session(sub, ses string, s *session.Opened) error {
	base := fmt.Sprintf("sub-%s/ses-%s/beh/sub-%s_ses-%s_task-%s", sub, ses, sub, ses, Task)
	shown := map[int]int64{} // screen index → its screen_shown host_ns
	for _, e := range s.Events {
		if e.Kind == session.EventScreenShown {
			if _, ok := shown[e.Screen]; !ok {
				shown[e.Screen] = e.HostNS
			}
		}
	}
	var events [][]string
	for _, c := range s.Cases {
		if !c.Final() {
			continue
		}
		onset, ok := c.Layout.Onset()
		if !ok {
			ns, seen := shown[c.Screen.Index]
			if !seen {
				w.res.Skipped = append(w.res.Skipped, fmt.Sprintf("%s/%s: no onset", filepath.Base(s.Dir), c.Name))
				continue
			}
			onset = time.Duration(ns)
		}
		run := strconv.Itoa(c.Screen.Index + 1)
		dur := ""
		if d, ok := screenDuration(s.Events, c.Screen.Index, int64(onset)); ok {
			dur = num(d)
		}
		kind := "case"
		if c.Screen.Kind == session.KindCalibration {
			kind = "calibration"
		}
		events = append(events, []string{num(onset.Seconds()), dur, kind, run, c.Screen.DicomID})
		if c.Screen.Kind != session.KindCase {
			continue
		}
		if err := w.run(base+"_run-"+run, s, c); err != nil {
			return fmt.Errorf("case %s: %w", c.Name, err)
		}
		w.res.Runs++
	}
	for _, e := range s.Events {
		if e.Kind == "key" && e.Key == "space" {
			events = append(events, []string{num(float64(e.HostNS) / 1e9), "0", "space", "", e.DicomID})
		}
	}
	slices.SortStableFunc(events, func(a, b []string) int {
		x, _ := strconv.ParseFloat(a[0], 64)
		y, _ := strconv.ParseFloat(b[0], 64)
		return cmp.Compare(x, y)
	})
	return w.file(base+"_events.tsv", tsv([]string{"onset", "duration", "trial_type", "run", "dicom_id"}, events))
}

// screenDuration is a screen's time on screen: its screen_ended minus its onset, seconds.
func screenDuration(events []session.Event, screen int, onsetNS int64) (float64, bool) {
	for _, e := range events {
		if e.Kind == "screen_ended" && e.Screen == screen && e.HostNS >= onsetNS {
			return float64(e.HostNS-onsetNS) / 1e9, true
		}
	}
	return 0, false
}

func num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

var errNoRows = errors.New("no gaze rows")

// run writes a case's gaze (physio), its dictation and transcript (beh).
func (w *writer) run(base string, s *session.Opened, c *session.Case) error {
	var rows bytes.Buffer
	zw := gzip.NewWriter(&rows)
	n := 0
	var t0 float64
	_, err := c.ReadRows(session.RowFile("gaze"), func(_ int, r egd.GazeRecord) error {
		if n == 0 {
			t0 = r.Time
		}
		n++
		x, y := "n/a", "n/a"
		if r.Sample.BPOGV && finite(r.Sample.BPOGX) && finite(r.Sample.BPOGY) {
			x, y = num(r.Sample.BPOGX*1920), num(r.Sample.BPOGY*1080)
		}
		pupil := "n/a"
		if r.Sample.LPMMV && r.Sample.RPMMV {
			pupil = num((r.Sample.LPMM + r.Sample.RPMM) / 2)
		}
		_, err := fmt.Fprintf(zw, "%s\t%s\t%s\t%s\n", num(r.Time), x, y, pupil)
		return err
	})
	if err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if n == 0 {
		return errNoRows
	}
	if err := w.file(base+"_recording-eye_physio.tsv.gz", rows.Bytes()); err != nil {
		return err
	}
	if err := w.json(base+"_recording-eye_physio.json", w.physioSidecar(s, c, t0)); err != nil {
		return err
	}
	return w.dictation(base, c)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// physioSidecar is the eye-tracking metadata of a case's physio file.
func (w *writer) physioSidecar(s *session.Opened, c *session.Case, t0 float64) map[string]any {
	v := w.o.Viewing
	m := map[string]any{
		"PhysioType":             "eyetrack",
		"SamplingFrequency":      s.State.TrackerRate,
		"StartTime":              t0,
		"Columns":                []string{"timestamp", "x_coordinate", "y_coordinate", "pupil_size"},
		"timestamp":              map[string]string{"Description": "seconds from the case's onset (its image asked for)", "Units": "s"},
		"x_coordinate":           map[string]string{"Description": "point of gaze (both eyes), from the screen's left edge", "Units": "pixel"},
		"y_coordinate":           map[string]string{"Description": "point of gaze (both eyes), from the screen's top edge", "Units": "pixel"},
		"pupil_size":             map[string]string{"Description": "mean pupil diameter of the two eyes", "Units": "mm"},
		"RecordedEye":            "cyclopean",
		"SampleCoordinateSystem": "gaze-on-screen",
		"SampleCoordinateUnits":  "pixel",
		"EnvironmentCoordinates": "top-left",
		"ScreenResolution":       []int{1920, 1080},
		"ScreenSize":             []float64{round(v.WidthCM()/100, 4), round(v.HeightCM()/100, 4)},
		"ScreenDistance":         v.DistanceCM / 100,
		"ScreenRefreshRate":      "n/a",
		"ManufacturersModelName": s.State.Tracker,
		"SoftwareVersions":       "sightline",
		"EyeTrackingMethod":      "P-CR",
		"StimulusPresentation": map[string]any{
			"ScreenResolution": []int{1920, 1080}, "ScreenDistance": v.DistanceCM / 100,
			"ScreenSize": []float64{round(v.WidthCM()/100, 4), round(v.HeightCM()/100, 4)},
		},
		"TaskName":           Task,
		"dicom_id":           c.Screen.DicomID,
		"image_layout_pads":  map[string]int{"top": c.Layout.Top, "bottom": c.Layout.Bottom, "left": c.Layout.Left, "right": c.Layout.Right},
		"image_dicom_size":   []int{c.Layout.W, c.Layout.H},
		"sightline_case_dir": c.Name,
	}
	if strings.Contains(strings.ToLower(s.State.Tracker), "gp3") || strings.Contains(strings.ToLower(s.State.Tracker), "gazepoint") {
		m["Manufacturer"] = "Gazepoint"
	}
	// The calibration in force for the case: the latest accepted round before it (the rounds
	// are in reading order), else the first.
	if cr, ok := calibrationFor(s, c); ok {
		m["CalibrationCount"] = len(s.Checks)
		m["CalibrationUnit"] = "deg"
		m["AverageCalibrationError"] = round(cr.Validation.AccuracyDeg, 4)
		worst := 0.0
		for _, p := range cr.Validation.Points {
			worst = math.Max(worst, p.AccuracyDeg)
		}
		m["MaximalCalibrationError"] = round(worst, 4)
		if cr.Calibration != nil {
			m["CalibrationType"] = fmt.Sprintf("%d-point", len(cr.Calibration.Points))
		}
		m["ValidationPrecision"] = round(cr.Validation.PrecisionDeg, 4)
	}
	return m
}

func round(x float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(x*p) / p
}

// calibrationFor is the check report whose round preceded the case: the checks are in order,
// and each calibration screen before the case ran one; the case takes the last of those.
func calibrationFor(s *session.Opened, c *session.Case) (session.CheckReport, bool) {
	if len(s.Checks) == 0 {
		return session.CheckReport{}, false
	}
	before := 0
	for _, e := range s.Events {
		if e.Kind == "check_accepted" && e.Screen <= c.Screen.Index {
			before++
		}
	}
	i := min(max(before-1, 0), len(s.Checks)-1)
	return s.Checks[i], true
}

// dictation copies a case's audio.wav as the run's _beh.wav and writes its transcript as the
// run's _beh.tsv (phrase, onset, duration from the WAV's first frame), with their JSON.
func (w *writer) dictation(base string, c *session.Case) error {
	if c.Audio == nil || c.Audio.WAV == "" {
		return nil
	}
	f, err := os.Open(c.Audio.WAV)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return err
	}
	if err := w.file(base+"_beh.wav", b); err != nil {
		return err
	}
	offset := ""
	if c.Audio.Meta != nil {
		if on, ok := c.Layout.Onset(); ok && c.Audio.Meta.FirstFrameHostNS >= 0 {
			offset = num(float64(c.Audio.Meta.FirstFrameHostNS-int64(on)) / 1e9)
		}
	}
	var rows [][]string
	if c.Transcript != "" {
		tf, err := os.Open(c.Transcript)
		if err != nil {
			return err
		}
		t, err := transcript.Read(tf, c.Transcript)
		tf.Close()
		if err != nil {
			return err
		}
		for _, p := range t.Phrases {
			rows = append(rows, []string{num(p.Begin), num(p.End - p.Begin), p.Phrase})
		}
	}
	if err := w.file(base+"_beh.tsv", tsv([]string{"onset", "duration", "phrase"}, rows)); err != nil {
		return err
	}
	side := map[string]any{
		"TaskName":  Task,
		"onset":     map[string]string{"Description": "the phrase's start, seconds from the dictation's first frame (the _beh.wav)", "Units": "s"},
		"duration":  map[string]string{"Description": "the phrase's length", "Units": "s"},
		"phrase":    map[string]string{"Description": "the transcribed phrase (transcript.json's time_stamped_text)"},
		"AudioFile": filepath.Base(base + "_beh.wav"),
	}
	if offset != "" {
		side["AudioStartFromCaseOnset"] = map[string]string{"Value": offset, "Units": "s",
			"Description": "the dictation's first frame minus the case's onset, on the session clock"}
	}
	return w.json(base+"_beh.json", side)
}
