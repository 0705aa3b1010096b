package transcribe

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sightline/reader/atomicfile"
	"sightline/reader/transcript"
)

// File names in a case folder.
const (
	TranscriptFile = "transcript.json"
	RawFile        = "transcript_raw.json"
	// DraftFile is the draft kept beside a corrected transcript.json (the editor writes it
	// when it saves a correction).
	DraftFile = "transcript_draft.json"
	audioFile = "audio.wav"
)

// RawFormat is transcript_raw.json's format version.
const RawFormat = 1

// Raw is transcript_raw.json (docs/FORMATS.md §7): what the recogniser heard, how, and the
// fingerprint of the draft transcript.json written from it.
type Raw struct {
	Format       int     `json:"format"`
	Engine       string  `json:"engine"`
	Model        string  `json:"model"`
	Created      string  `json:"created"` // UTC, RFC 3339
	Audio        string  `json:"audio"`
	AudioSeconds float64 `json:"audio_seconds"`
	Words        []Word  `json:"words"`
	// DraftSHA256 is the SHA-256 of transcript.json as transcribe (or --align on a draft)
	// wrote it. A transcript.json with another digest has been corrected since, and transcribe
	// leaves it alone.
	DraftSHA256 string `json:"draft_sha256"`
	// PreviousDraftSHA256 is the draft's digest before the last rewrite of both files: a crash
	// between writing this record and transcript.json leaves the earlier draft, still a draft.
	PreviousDraftSHA256 string   `json:"previous_draft_sha256,omitempty"`
	Notes               []string `json:"notes,omitempty"`
	// Alignment is the last forced alignment of transcript.json's text (--align, or the
	// editor's save): the engine and model, when, and every word's times.
	Alignment *RawAlignment `json:"alignment,omitempty"`
}

// RawAlignment is an alignment as recorded in transcript_raw.json.
type RawAlignment struct {
	Engine string `json:"engine"`
	Model  string `json:"model"`
	At     string `json:"at"`
	Alignment
}

// ReadRaw reads a case's transcript_raw.json; errors name the file.
func ReadRaw(caseDir string) (*Raw, error) {
	path := filepath.Join(caseDir, RawFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Raw
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Format != RawFormat {
		return nil, fmt.Errorf("%s: format %d, want %d", path, r.Format, RawFormat)
	}
	return &r, nil
}

func writeRaw(caseDir string, r *Raw) error {
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(caseDir, RawFile), append(b, '\n'))
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Corrected reports whether a case's transcript.json must not be replaced by a new draft, and
// why: it exists and is not the draft transcript_raw.json fingerprints (corrected by hand,
// imported, or written by something else).
func Corrected(caseDir string) (bool, string, error) {
	b, err := os.ReadFile(filepath.Join(caseDir, TranscriptFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	// A file that does not read as a transcript is neither a draft to replace nor a correction
	// to keep for good (it may be a correction half-saved by hand): it is reported, and left.
	if _, err := transcript.Read(bytes.NewReader(b), TranscriptFile); err != nil {
		return false, "", fmt.Errorf("%w: not a transcript, left as it is (fix or remove it)", err)
	}
	r, err := ReadRaw(caseDir)
	if errors.Is(err, os.ErrNotExist) {
		return true, "transcript.json was not written by transcribe (no transcript_raw.json)", nil
	}
	if err != nil {
		return false, "", err
	}
	if d := digest(b); d != r.DraftSHA256 && d != r.PreviousDraftSHA256 {
		return true, "transcript.json has been corrected since its draft", nil
	}
	return false, "", nil
}

// Draft groups recognised words into the dataset's phrases: one word an entry, as most of
// EGD-CXR's are, except that a word the recogniser gave less than MinWordSeconds joins the
// entry before it (it has no time of its own to show). full_text is the words with a space
// before each, as the dataset's files begin.
func Draft(words []Word) *transcript.Transcript {
	t := &transcript.Transcript{HasFullText: true, HasPhrases: true, Phrases: []transcript.Phrase{}}
	for _, w := range words {
		n := len(t.Phrases)
		if n > 0 && w.End-w.Begin < MinWordSeconds {
			p := &t.Phrases[n-1]
			p.Phrase += " " + w.Word
			p.End = round3(max(p.End, w.End))
			continue
		}
		t.Phrases = append(t.Phrases, transcript.Phrase{Phrase: w.Word, Begin: round3(w.Begin), End: round3(w.End)})
	}
	t.FullText = fullText(t.Phrases)
	return t
}

// MinWordSeconds is the shortest word Draft gives an entry of its own: two 10 ms frames.
const MinWordSeconds = 0.02

// Status is what happened to one case.
type Status string

// Statuses of a case.
const (
	StatusWritten   Status = "written"   // a new draft (or, aligning, new times)
	StatusKept      Status = "kept"      // a corrected transcript left as it is
	StatusNoAudio   Status = "no audio"  // nothing to transcribe (a gaze-only session)
	StatusNoText    Status = "no text"   // aligning: the case has no transcript.json
	StatusFailed    Status = "failed"    // named in Err; the other cases go on
	StatusSilent    Status = "silent"    // nothing above SilentDBFS
	StatusNoSpeech  Status = "no speech" // the recogniser heard no words
	StatusNotViable Status = "unreadable"
)

// Result is one case's outcome.
type Result struct {
	Status Status
	Words  int      // words heard (transcribe) or aligned (align)
	Notes  []string // what the user should know even when it worked
	Err    error    // why, when Status is not written or kept
	Method string   // aligning: the alignment's method
	Approx int      // aligning: words with approximate times
}

// TranscribeCase writes a draft transcript.json and transcript_raw.json for the case folder
// dir from its audio.wav, unless its transcript.json has been corrected (StatusKept).
func TranscribeCase(ctx context.Context, eng Engine, dir string, now time.Time) Result {
	if ok, why, err := Corrected(dir); err != nil {
		return Result{Status: StatusFailed, Err: err} // it names the file
	} else if ok {
		return Result{Status: StatusKept, Notes: []string{why}}
	}
	a, notes, cleanup, res, ok := prepare(dir)
	defer cleanup()
	if !ok {
		return res
	}
	words, err := eng.Recognize(ctx, a)
	if errors.Is(err, ErrNoWords) {
		return Result{Status: StatusNoSpeech, Notes: notes, Err: errors.New("the recogniser heard no words")}
	}
	if err != nil {
		return Result{Status: StatusFailed, Notes: notes, Err: err}
	}
	t := Draft(words)
	tb, err := transcript.Marshal(t)
	if err != nil {
		return Result{Status: StatusFailed, Err: err}
	}
	raw := &Raw{Format: RawFormat, Engine: eng.Name(), Model: eng.Model(), Created: now.UTC().Format(time.RFC3339),
		Audio: audioFile, AudioSeconds: round3(a.Seconds), Words: words, DraftSHA256: digest(tb), Notes: notes}
	if ok, why, err := Corrected(dir); err != nil || ok { // corrected while we decoded
		return Result{Status: StatusKept, Notes: []string{why}, Err: err}
	}
	// The record first, naming the old draft too: a crash before transcript.json is replaced
	// leaves a draft that is still known as one.
	if old, err := os.ReadFile(filepath.Join(dir, TranscriptFile)); err == nil {
		raw.PreviousDraftSHA256 = digest(old)
	}
	if err := writeRaw(dir, raw); err != nil {
		return Result{Status: StatusFailed, Err: fmt.Errorf("write %s: %w", RawFile, err)}
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, TranscriptFile), tb); err != nil {
		return Result{Status: StatusFailed, Err: fmt.Errorf("write %s: %w", TranscriptFile, err)}
	}
	return Result{Status: StatusWritten, Words: len(words), Notes: notes}
}

// timed reports whether every phrase of t has both times.
func timed(t *transcript.Transcript) bool {
	for _, p := range t.Phrases {
		if !finite(p.Begin, p.End) {
			return false
		}
	}
	return len(t.Phrases) > 0
}

// prepare makes the case's audio ready for a recogniser in a temporary folder.
func prepare(dir string) (a Audio, notes []string, cleanup func(), res Result, ok bool) {
	cleanup = func() {}
	src := filepath.Join(dir, audioFile)
	if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
		return a, nil, cleanup, Result{Status: StatusNoAudio, Err: errors.New("no audio.wav (a gaze-only session or case)")}, false
	}
	tmp, err := os.MkdirTemp("", "sightline-transcribe-")
	if err != nil {
		return a, nil, cleanup, Result{Status: StatusFailed, Err: err}, false
	}
	cleanup = func() { os.RemoveAll(tmp) }
	a, notes, err = PrepareAudio(src, filepath.Join(tmp, "mono.wav"))
	switch {
	case errors.Is(err, ErrSilent):
		return a, notes, cleanup, Result{Status: StatusSilent, Notes: notes, Err: err}, false
	case err != nil:
		return a, notes, cleanup, Result{Status: StatusNotViable, Notes: notes, Err: fmt.Errorf("audio.wav: %w", err)}, false
	}
	return a, notes, cleanup, Result{}, true
}

// AlignCase re-times the case's transcript.json from its own text (Align, Retime): the words
// are kept, the times recomputed, and the alignment recorded in transcript_raw.json. A draft
// stays a draft (its fingerprint follows the new times); a corrected transcript stays
// corrected. The editor calls it on save.
func AlignCase(ctx context.Context, eng Engine, dir string, now time.Time) Result {
	path := filepath.Join(dir, TranscriptFile)
	before, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Result{Status: StatusNoText, Err: errors.New("no transcript.json to align (transcribe it first)")}
	}
	if err != nil {
		return Result{Status: StatusFailed, Err: err}
	}
	t, err := transcript.Read(bytes.NewReader(before), path)
	if err != nil {
		return Result{Status: StatusNotViable, Err: err}
	}
	a, notes, cleanup, res, ok := prepare(dir)
	defer cleanup()
	if !ok {
		return res
	}
	tokens, _ := TextOf(t)
	al, err := Align(ctx, eng, a, tokens)
	if err != nil {
		return Result{Status: StatusFailed, Notes: notes, Err: err}
	}
	nt, err := Retime(t, al)
	if err != nil {
		return Result{Status: StatusFailed, Err: err}
	}
	if al.Method == MethodInterpolated && timed(t) {
		// Nothing heard: evenly shared times would only replace the ones someone set.
		nt = &transcript.Transcript{FullText: t.FullText, Phrases: t.Phrases, HasFullText: true, HasPhrases: true}
		if !t.HasFullText {
			nt.FullText = fullText(t.Phrases)
		}
		al.Notes = append(al.Notes, "transcript.json's times were kept as they were")
	}
	tb, err := transcript.Marshal(nt)
	if err != nil {
		return Result{Status: StatusFailed, Err: err}
	}
	raw, err := ReadRaw(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// A transcript from elsewhere: its record says nothing about a draft.
		raw = &Raw{Format: RawFormat, Engine: "", Model: "", Created: now.UTC().Format(time.RFC3339),
			Audio: audioFile, AudioSeconds: round3(a.Seconds), Words: []Word{}}
	case err != nil:
		return Result{Status: StatusFailed, Err: err}
	}
	if d := digest(before); d == raw.DraftSHA256 || d == raw.PreviousDraftSHA256 {
		raw.PreviousDraftSHA256, raw.DraftSHA256 = d, digest(tb)
	}
	raw.Alignment = &RawAlignment{Engine: eng.Name(), Model: eng.Model(), At: now.UTC().Format(time.RFC3339), Alignment: al}
	for i := range raw.Alignment.Words {
		w := &raw.Alignment.Words[i]
		w.Begin, w.End = round3(w.Begin), round3(w.End)
	}
	if err := writeRaw(dir, raw); err != nil {
		return Result{Status: StatusFailed, Err: fmt.Errorf("write %s: %w", RawFile, err)}
	}
	if err := atomicfile.WriteBytes(path, tb); err != nil {
		return Result{Status: StatusFailed, Err: fmt.Errorf("write %s: %w", TranscriptFile, err)}
	}
	return Result{Status: StatusWritten, Words: len(tokens), Notes: append(notes, al.Notes...), Method: al.Method, Approx: al.Approximate()}
}
