package ownpass

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"sightline/reader/atomicfile"
	"sightline/reader/session"
)

// Case is one case of a session that the reader's own pass shows: a final read of a case with
// its dictation.
type Case struct {
	Name    string // the case folder's name (NN-<dicom_id>), as the review store keys it
	DicomID string // for its image
	Dir     string
	WAV     string // its audio.wav
}

// Cases are the session's cases with a dictation (audio.wav), in reading order: the final
// read of each (an interrupted copy or a superseded read is not the reader's dictation of
// record).
func Cases(o *session.Opened) []Case {
	var out []Case
	for _, c := range o.Cases {
		if c.Screen.Kind != session.KindCase || !c.Final() || c.Audio == nil || c.Audio.WAV == "" {
			continue
		}
		out = append(out, Case{Name: c.Name, DicomID: c.Screen.DicomID, Dir: c.Dir, WAV: c.Audio.WAV})
	}
	return out
}

// File is the own pass's record in the session folder.
const File = "own_pass.json"

// Format is own_pass.json's format version.
const Format = 1

// Status is what the reader did with a case's draft in their own pass.
type Status string

// Statuses of a case in the own pass.
const (
	Reviewed    Status = "reviewed"     // read, and saved as theirs (changed or not)
	NotReviewed Status = "not reviewed" // skipped, no draft to review, or never reached
)

// Why a case is not reviewed.
const (
	WhySkipped  = "skipped"
	WhyNoDraft  = "no draft"
	WhyEnded    = "the pass ended before it"
	WhyDeclined = "the reader closed the session without the pass"
)

// Record is own_pass.json (docs/FORMATS.md §7): the reader's own pass over their drafts.
type Record struct {
	Format  int          `json:"format"`
	Reader  string       `json:"reader"`
	Started string       `json:"started"` // UTC, RFC 3339: the pass opened (or was declined)
	Updated string       `json:"updated"` // UTC, RFC 3339: the last case recorded
	Cases   []CaseRecord `json:"cases"`
}

// CaseRecord is one case's line of the record.
type CaseRecord struct {
	Case   string `json:"case"` // the case folder's name
	Status Status `json:"status"`
	Why    string `json:"why,omitempty"` // not reviewed: why
	// Changed: the reader changed the draft's words or times before saving it.
	Changed bool `json:"changed,omitempty"`
	// StoreID is the review store's transcript_edits row of the save (0: none).
	StoreID int64  `json:"store_id,omitempty"`
	At      string `json:"at"` // UTC, RFC 3339
}

// NewRecord starts the record of reader's pass over cases, every case not reviewed (why) until
// the reader says otherwise.
func NewRecord(reader string, cases []Case, why string, now time.Time) *Record {
	at := now.UTC().Format(time.RFC3339)
	r := &Record{Format: Format, Reader: reader, Started: at, Updated: at, Cases: []CaseRecord{}}
	for _, c := range cases {
		r.Cases = append(r.Cases, CaseRecord{Case: c.Name, Status: NotReviewed, Why: why, At: at})
	}
	return r
}

// Set records a case's outcome.
func (r *Record) Set(c CaseRecord, now time.Time) {
	c.At = now.UTC().Format(time.RFC3339)
	r.Updated = c.At
	if i := slices.IndexFunc(r.Cases, func(x CaseRecord) bool { return x.Case == c.Case }); i >= 0 {
		r.Cases[i] = c
		return
	}
	r.Cases = append(r.Cases, c)
}

// Get is a case's line; false when the record has none.
func (r *Record) Get(name string) (CaseRecord, bool) {
	i := slices.IndexFunc(r.Cases, func(x CaseRecord) bool { return x.Case == name })
	if i < 0 {
		return CaseRecord{}, false
	}
	return r.Cases[i], true
}

// Reviewed counts the cases reviewed.
func (r *Record) Reviewed() int {
	n := 0
	for _, c := range r.Cases {
		if c.Status == Reviewed {
			n++
		}
	}
	return n
}

// Write writes the record into the session folder, whole or not at all.
func (r *Record) Write(sessionDir string) error {
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(sessionDir, File), append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", File, err)
	}
	return nil
}

// Read reads a session folder's own_pass.json; os.ErrNotExist (wrapped) when there is none.
func Read(sessionDir string) (*Record, error) {
	path := filepath.Join(sessionDir, File)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b, path)
}

// Parse reads own_pass.json's bytes; errors name the file (name) and the field.
func Parse(b []byte, name string) (*Record, error) {
	var r Record
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if r.Format != Format {
		return nil, fmt.Errorf("%s: format %d, want %d", name, r.Format, Format)
	}
	for i, c := range r.Cases {
		switch {
		case c.Case == "":
			return nil, fmt.Errorf("%s: cases[%d]: no case", name, i)
		case c.Status != Reviewed && c.Status != NotReviewed:
			return nil, fmt.Errorf("%s: cases[%d] (%s): status %q, want %q or %q", name, i, c.Case, c.Status, Reviewed, NotReviewed)
		case c.Status == Reviewed && c.Why != "":
			return nil, fmt.Errorf("%s: cases[%d] (%s): reviewed, yet a reason it was not (%q)", name, i, c.Case, c.Why)
		}
	}
	if r.Cases == nil {
		return nil, fmt.Errorf("%s: no cases list", name)
	}
	return &r, nil
}
