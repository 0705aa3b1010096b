package export

import (
	"path/filepath"
	"strconv"
)

// ScreenKey names one screen of an export: its SESSION_ID and MEDIA_ID.
type ScreenKey struct {
	SessionID string
	MediaID   int
}

// SessionReaders reads the reader of each SESSION_ID from the sessions.csv of an exported
// dataset folder. ok is false when dir has no sessions.csv (a published EGD-CXR folder).
func SessionReaders(dir string) (readers map[string]string, ok bool, err error) {
	t, err := readTableFile(filepath.Join(dir, SessionsFile), "SESSION_ID", "reader")
	if err != nil || t == nil {
		return nil, false, err
	}
	readers = make(map[string]string, len(t.rows))
	for i := range t.rows {
		readers[t.get(i, "SESSION_ID")] = t.get(i, "reader")
	}
	return readers, true, nil
}

// AudioOffsets is, per screen of an exported dataset folder, where its audio.wav starts on the
// screen's time base: the session clock of the WAV's first frame (audio.csv's
// first_frame_host_ns) minus the screen's onset (events.csv's screen_shown), in seconds. A
// transcript time t of that screen is then at t + offset on the screen's clock. Screens
// without both records are absent; a folder without audio.csv or events.csv gives an empty map.
func AudioOffsets(dir string) (map[ScreenKey]float64, error) {
	ev, err := readTableFile(filepath.Join(dir, EventsFile), "SESSION_ID", "host_ns", "kind", "screen")
	if err != nil {
		return nil, err
	}
	au, err := readTableFile(filepath.Join(dir, AudioFile), "SESSION_ID", "MEDIA_ID")
	if err != nil {
		return nil, err
	}
	out := map[ScreenKey]float64{}
	if ev == nil || au == nil {
		return out, nil
	}
	onset := map[ScreenKey]int64{}
	for i := range ev.rows {
		if ev.get(i, "kind") != "screen_shown" {
			continue
		}
		k, err := ev.int(i, "screen")
		if err != nil {
			return nil, err
		}
		ns, err := ev.int(i, "host_ns")
		if err != nil {
			return nil, err
		}
		// A screen shown again (a resume) keeps its first onset: its rows start there.
		key := ScreenKey{ev.get(i, "SESSION_ID"), int(k)}
		if _, seen := onset[key]; !seen {
			onset[key] = ns
		}
	}
	for i := range au.rows {
		first := au.get(i, "first_frame_host_ns")
		if first == "" {
			continue
		}
		ns, err := strconv.ParseInt(first, 10, 64)
		if err != nil {
			return nil, au.errf(i, "column first_frame_host_ns: %q is not an integer", first)
		}
		m, err := au.int(i, "MEDIA_ID")
		if err != nil {
			return nil, err
		}
		key := ScreenKey{au.get(i, "SESSION_ID"), int(m)}
		if on, ok := onset[key]; ok && ns >= 0 {
			out[key] = float64(ns-on) / 1e9
		}
	}
	return out, nil
}

// Rows reads one of Sightline's tables beside an exported dataset (SessionsFile, ChecksFile,
// QualityFile, EventsFile, …) as one map a row, column name → field. nil and no error when dir
// has no such file (a published EGD-CXR folder).
func Rows(dir, file string) ([]map[string]string, error) {
	t, err := readTableFile(filepath.Join(dir, file))
	if err != nil || t == nil {
		return nil, err
	}
	out := make([]map[string]string, len(t.rows))
	for i, r := range t.rows {
		if len(r) != len(t.header) {
			return nil, t.errf(i, "%d fields, the header has %d", len(r), len(t.header))
		}
		m := make(map[string]string, len(r))
		for j, h := range t.header {
			m[h] = r[j]
		}
		out[i] = m
	}
	return out, nil
}
