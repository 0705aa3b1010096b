// Package export writes a study's recorded sessions as an EGD-CXR dataset folder (docs/FORMATS.md §1),
// with Sightline's richer records in files beside it, and reads such a folder back into a study.
package export

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"sightline/reader/session"
)

// Files of an export folder. GazeFile, FixationsFile, study.MasterSheet, study.BoundingBoxes and
// TranscriptsDir are the EGD-CXR layout; the others are Sightline's, beside it.
const (
	GazeFile       = "eye_gaze.csv"
	FixationsFile  = "fixations.csv"
	TranscriptsDir = "audio_segmentation_transcripts"
	TranscriptFile = "transcript.json"
	// TranscriptRawFile is sightline transcribe's record beside a transcript.json (the
	// recogniser's words and the draft's digest): with it, a draft nobody corrected is known
	// as one after export too.
	TranscriptRawFile = "transcript_raw.json"

	SessionsFile             = "sessions.csv"
	ScreensFile              = "screens.csv"
	FiltersFile              = "filters.csv"
	ChecksFile               = "calibration_checks.csv"
	EventsFile               = "events.csv"
	QualityFile              = "quality.csv"
	AudioFile                = "audio.csv"
	AudioBySessionDir        = "audio_by_session"
	InterruptedGazeFile      = "eye_gaze_interrupted.csv"
	InterruptedFixationsFile = "fixations_interrupted.csv"
	SupersededGazeFile       = "eye_gaze_superseded.csv"
	SupersededFixationsFile  = "fixations_superseded.csv"
)

// supersededSuffix ends the name of a row file that holds the reads superseded by a later read
// of the same case in the session: eye_gaze_superseded.csv beside eye_gaze.csv, and so on.
const supersededSuffix = "_superseded.csv"

// supersededSep joins a case id and the MEDIA_ID of a superseded read in the folder of its
// audio under audio_by_session/<SESSION_ID>/.
const supersededSep = ".superseded-"

// supersededFile names the file beside a row file that holds its superseded reads.
func supersededFile(name string) string { return strings.TrimSuffix(name, ".csv") + supersededSuffix }

// Files of a study and of its case folders that export reads beyond reader/session's own. The
// audio names are reader/audio's (not imported here: that package needs cgo).
const (
	// MasksDir holds the anatomy masks of a study, MasksDir/<dicom_id>/<mask>.png.
	MasksDir = "masks"
	// ImportRecord is written at the root of a study made by Import.
	ImportRecord = "import.json"

	caseQuality    = "quality.json"
	caseTranscript = "transcript.json"
	caseWAV        = "audio.wav"
	caseMP3        = "audio.mp3"
	caseAudioMeta  = "audio.json"
	filterPrefix   = "fixations_"
	interruptedSep = ".interrupted-"
)

// MaskFiles are the anatomy masks the dataset ships per image (255 = anatomy, 0 = background).
var MaskFiles = []string{"left_lung.png", "right_lung.png", "mediastinum.png", "aortic_knob.png"}

// ErrOutNotEmpty is returned when the output folder already holds files.
var ErrOutNotEmpty = errors.New("output folder is not empty")

// layoutFile is a case folder's layout.json.
type layoutFile = session.LayoutRecord

// filterFile names the file of a case's fixations from filter name ("device": fixations.csv).
func filterFile(name string) string {
	if name == "device" {
		return FixationsFile
	}
	return filterPrefix + name + ".csv"
}

// checkName refuses an id that cannot name a folder or file (as reader/session does).
func checkName(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) || strings.ContainsFunc(id, unicode.IsControl) {
		return fmt.Errorf("%q cannot name a folder", id)
	}
	return nil
}

// outDir prepares a fresh output folder: out must not exist or be empty. Files are written into a
// hidden sibling that commit renames into place, so a failed run leaves nothing half-written.
type outDir struct {
	final, tmp string
}

func newOutDir(out string) (*outDir, error) {
	if out == "" {
		return nil, errors.New("no output folder given")
	}
	switch ents, err := os.ReadDir(out); {
	case err == nil && len(ents) > 0:
		return nil, fmt.Errorf("%s: %w", out, ErrOutNotEmpty)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("output folder: %w", err)
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(filepath.Clean(out))+".partial-")
	if err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("output folder: %w", err)
	}
	return &outDir{final: out, tmp: tmp}, nil
}

func (d *outDir) path(rel ...string) string {
	return filepath.Join(append([]string{d.tmp}, rel...)...)
}

func (d *outDir) commit() error {
	if err := os.Remove(d.final); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("output folder: %w", err) // not empty any more: someone wrote into it
	}
	if err := os.Rename(d.tmp, d.final); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	return nil
}

func (d *outDir) abort() { os.RemoveAll(d.tmp) }

// writeCSV writes a header and rows with encoding/csv (minimal quoting, "\n" line ends).
func writeCSV(path string, header []string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	cw := csv.NewWriter(bw)
	cw.Write(header)
	cw.WriteAll(rows) // flushes cw
	err = cw.Error()
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// table is a CSV file read whole: its columns by name and its rows with their lines.
type table struct {
	name   string
	header []string
	cols   map[string]int
	rows   [][]string
	lines  []int
}

// readTable reads a CSV whose header must hold the required columns; every row must be as wide
// as the header. Errors name the file and line.
func readTable(r io.Reader, name string, required ...string) (*table, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file, want a header", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	head[0] = strings.TrimPrefix(head[0], "\ufeff")
	t := &table{name: name, header: head, cols: make(map[string]int, len(head))}
	for i, h := range head {
		if _, dup := t.cols[h]; dup {
			return nil, fmt.Errorf("%s:1: column %q appears twice", name, h)
		}
		t.cols[h] = i
	}
	for _, c := range required {
		if _, ok := t.cols[c]; !ok {
			return nil, fmt.Errorf("%s:1: missing column %q", name, c)
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
}

// readTableFile reads a table from a file; a missing file gives nil and no error.
func readTableFile(path string, required ...string) (*table, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readTable(bufio.NewReader(f), path, required...)
}

// get returns the field of column c in row i ("" when the table lacks the column).
func (t *table) get(i int, c string) string {
	j, ok := t.cols[c]
	if !ok {
		return ""
	}
	return t.rows[i][j]
}

func (t *table) errf(i int, format string, a ...any) error {
	return fmt.Errorf("%s:%d: %s", t.name, t.lines[i], fmt.Sprintf(format, a...))
}

func (t *table) int(i int, c string) (int64, error) {
	v, err := strconv.ParseInt(t.get(i, c), 10, 64)
	if err != nil {
		return 0, t.errf(i, "column %s: %q is not an integer", c, t.get(i, c))
	}
	return v, nil
}

// readObject reads a JSON object's top-level members; a missing file gives nil and no error.
func readObject(path string) (map[string]json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%s: null, want a JSON object", path)
	}
	return m, nil
}

// cellOf flattens a JSON value into a CSV field: a string as its text, null as "", anything
// else (numbers, booleans, arrays, objects) as compact JSON.
func cellOf(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return ""
	}
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// rawOf is the inverse of cellOf for Import: "" is absent (nil); a field that is compact JSON
// other than a string or null is that value; anything else is a string. cellOf(rawOf(s)) == s.
func rawOf(cell string) json.RawMessage {
	if cell == "" {
		return nil
	}
	if cell != "null" && cell[0] != '"' && json.Valid([]byte(cell)) {
		var b bytes.Buffer
		if json.Compact(&b, []byte(cell)) == nil && b.String() == cell {
			return json.RawMessage(cell)
		}
	}
	b, _ := json.Marshal(cell) // a Go string always encodes
	return b
}

// writeJSONFile writes v indented with a final newline, as reader/session writes its files.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// copyFile copies src to dst (created, 0644).
func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// naturalLess orders strings with their digit runs compared as numbers ("egd-2" < "egd-10").
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
