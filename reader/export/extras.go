package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"sightline/reader/egd"
	"sightline/reader/session"
)

// Headers of Sightline's files beside the dataset.
var (
	sessionsHeader = []string{"SESSION_ID", "session", "reader", "seed", "started", "tracker", "status",
		"ended", "tracker_rate_hz", "fixation_filter", "calib_every", "resumed", "interrupted_screens",
		"clock_origin_monotonic_ns", "boot_id"}
	screensHeader = []string{"SESSION_ID", "MEDIA_ID", "DICOM_ID", "kind", "interrupted_copy",
		"image_width", "image_height", "image_top_pad", "image_bottom_pad", "image_left_pad", "image_right_pad",
		"eye_gaze_rows", "fixation_rows"}
	filtersHeader = []string{"SESSION_ID", "MEDIA_ID", "DICOM_ID", "filter", "file", "parameters"}
	checksHeader  = []string{"SESSION_ID", "round", "accuracy_deg", "precision_deg", "data_loss", "verdict",
		"device_ave_error_px", "device_valid_points", "calibration_error"}
	eventsHeader  = []string{"SESSION_ID", "host_ns", "wall", "kind", "screen", "dicom_id", "key", "message", "attrs"}
	screenKey     = []string{"SESSION_ID", "MEDIA_ID", "DICOM_ID"}
	audioFixed    = append(slices.Clone(screenKey), "folder")
	timeFormat    = time.RFC3339Nano
	checksJournal = session.ChecksFile
)

func pyFloat(x float64) string { return string(egd.AppendFloat(nil, x)) }

func itoa[T int | int64](v T) string { return strconv.FormatInt(int64(v), 10) }

func wallString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(timeFormat)
}

// extras writes sessions.csv, screens.csv, filters.csv, calibration_checks.csv, events.csv,
// and quality.csv and audio.csv when any case has those records.
func (x *exporter) extras() error {
	var sessions, screens, filters, checks, events [][]string
	var quality, audio []*screenOf
	for _, s := range x.sessions {
		id := itoa(s.num)
		m := s.st.Meta
		var ended string
		if s.st.EndedWall != nil {
			ended = wallString(*s.st.EndedWall)
		}
		interrupted := make([]string, len(s.st.Interrupted))
		for i, v := range s.st.Interrupted {
			interrupted[i] = itoa(v)
		}
		sessions = append(sessions, []string{id, m.SessionID, m.Reader, itoa(m.Seed), wallString(m.StartedWall),
			m.Tracker, s.st.Status, ended, pyFloat(m.TrackerRate), m.FixationFilter, itoa(m.CalibEvery),
			itoa(s.st.Resumed), strings.Join(interrupted, ";"), itoa(m.ClockOriginNS), m.BootID})
		for _, list := range [][]*screen{s.screens, s.copies} {
			for _, sc := range list {
				row := []string{id, itoa(sc.index), sc.dicomID, string(sc.kind), itoa(sc.copy), "", "", "", "", "", ""}
				if sc.hasLayout {
					l := sc.layout.Layout
					for i, v := range []int{l.W, l.H, l.Top, l.Bottom, l.Left, l.Right} {
						row[5+i] = itoa(v)
					}
				}
				screens = append(screens, append(row, itoa(sc.gazeRows), itoa(sc.fixRows)))
			}
		}
		for _, sc := range s.screens {
			names := make([]string, 0, len(sc.filters))
			for f := range sc.filters {
				names = append(names, f)
			}
			slices.Sort(names)
			for _, f := range names {
				filters = append(filters, []string{id, itoa(sc.index), sc.dicomID, f, filterFile(f), sc.filters[f]})
			}
			if sc.quality != nil {
				quality = append(quality, &screenOf{s, sc, sc.quality})
			}
			if sc.audioDir != "" {
				audio = append(audio, &screenOf{s, sc, sc.audio})
			}
		}
		c, err := checkRows(s, id)
		if err != nil {
			return err
		}
		checks = append(checks, c...)
		e, err := eventRows(s, id)
		if err != nil {
			return err
		}
		events = append(events, e...)
	}
	for _, t := range []struct {
		name   string
		header []string
		rows   [][]string
	}{
		{SessionsFile, sessionsHeader, sessions},
		{ScreensFile, screensHeader, screens},
		{FiltersFile, filtersHeader, filters},
		{ChecksFile, checksHeader, checks},
		{EventsFile, eventsHeader, events},
	} {
		if err := writeCSV(x.file(t.name), t.header, t.rows); err != nil {
			return err
		}
	}
	if len(quality) > 0 {
		if err := x.flat(QualityFile, screenKey, quality, nil); err != nil {
			return err
		}
	}
	if len(audio) > 0 {
		return x.flat(AudioFile, audioFixed, audio, func(so *screenOf) []string { return []string{so.sc.audioDir} })
	}
	return nil
}

// screenOf is a screen's JSON record (quality.json, audio.json) to flatten into a table.
type screenOf struct {
	s   *sess
	sc  *screen
	obj map[string]json.RawMessage
}

// flat writes one row per screen: the fixed columns, then one column per top-level member of the
// records (the union of their names, sorted), each value as cellOf writes it.
func (x *exporter) flat(name string, fixed []string, recs []*screenOf, more func(*screenOf) []string) error {
	var keys []string
	for _, r := range recs {
		for k := range r.obj {
			if slices.Contains(fixed, k) {
				return fmt.Errorf("%s: member %q clashes with a column of %s", r.sc.dir, k, name)
			}
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	rows := make([][]string, len(recs))
	for i, r := range recs {
		row := []string{itoa(r.s.num), itoa(r.sc.index), r.sc.dicomID}
		if more != nil {
			row = append(row, more(r)...)
		}
		for _, k := range keys {
			row = append(row, cellOf(r.obj[k]))
		}
		rows[i] = row
	}
	return writeCSV(x.file(name), append(slices.Clone(fixed), keys...), rows)
}

// checkRows reads a session's calibrations.jsonl (a last line cut by a crash is skipped).
func checkRows(s *sess, id string) ([][]string, error) {
	name := filepath.Join(s.dir, checksJournal)
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for i := 1; len(b) > 0; i++ {
		j := bytes.IndexByte(b, '\n')
		if j < 0 {
			break
		}
		line := b[:j]
		b = b[j+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r session.CheckReport
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, i, err)
		}
		v := r.Validation
		row := []string{id, itoa(r.Round), pyFloat(v.AccuracyDeg), pyFloat(v.PrecisionDeg), pyFloat(v.DataLoss), string(v.Verdict), "", "", r.CalError}
		if c := r.Calibration; c != nil {
			row[6], row[7] = pyFloat(c.AveErrorPx), itoa(c.ValidPoints)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// eventRows reads a session's event journal.
func eventRows(s *sess, id string) ([][]string, error) {
	name := filepath.Join(s.dir, session.EventsFile)
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows [][]string
	err = session.ReadEvents(f, name, func(_ int, e session.Event) error {
		attrs := ""
		if len(e.Attrs) > 0 {
			b, err := json.Marshal(e.Attrs) // keys sorted
			if err != nil {
				return err
			}
			attrs = string(b)
		}
		rows = append(rows, []string{id, itoa(e.HostNS), e.Wall.Format(timeFormat), e.Kind, itoa(e.Screen), e.DicomID, e.Key, e.Message, attrs})
		return nil
	})
	return rows, err
}
