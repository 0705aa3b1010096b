package transcribe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sightline/reader/atomicfile"
	"sightline/reader/review"
	"sightline/reader/transcript"
)

// Edit is a transcript being corrected: its phrases, and every state before and after for
// undo and redo. It holds no widget; the review view's editor draws it.
type Edit struct {
	Dir     string // the case folder
	Phrases []transcript.Phrase
	// Original is transcript.json as it was opened, byte for byte (the "before" of the store's
	// transcript_edits row).
	Original []byte
	undo     [][]transcript.Phrase
	redo     [][]transcript.Phrase
	raw      *Raw // what the recogniser heard, for PhraseConfidence (nil: no transcript_raw.json)
}

// OpenEdit opens the case folder's transcript.json for correction.
func OpenEdit(dir string) (*Edit, error) {
	path := filepath.Join(dir, TranscriptFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := transcript.Read(bytes.NewReader(b), path)
	if err != nil {
		return nil, err
	}
	ed := &Edit{Dir: dir, Phrases: slices.Clone(t.Phrases), Original: b}
	if raw, err := ReadRaw(dir); err == nil {
		ed.raw = raw // without it (a transcript from elsewhere) no phrase is marked doubtful
	}
	return ed, nil
}

// change records the state before a change, for Undo.
func (e *Edit) change() {
	e.undo = append(e.undo, slices.Clone(e.Phrases))
	e.redo = nil
}

// Undo goes back one change; false when there is none.
func (e *Edit) Undo() bool {
	if len(e.undo) == 0 {
		return false
	}
	e.redo = append(e.redo, e.Phrases)
	e.Phrases = e.undo[len(e.undo)-1]
	e.undo = e.undo[:len(e.undo)-1]
	return true
}

// Redo re-applies the change last undone; false when there is none.
func (e *Edit) Redo() bool {
	if len(e.redo) == 0 {
		return false
	}
	e.undo = append(e.undo, e.Phrases)
	e.Phrases = e.redo[len(e.redo)-1]
	e.redo = e.redo[:len(e.redo)-1]
	return true
}

// CanUndo and CanRedo report whether Undo and Redo have a change to apply.
func (e *Edit) CanUndo() bool { return len(e.undo) > 0 }

// CanRedo: see CanUndo.
func (e *Edit) CanRedo() bool { return len(e.redo) > 0 }

// Changed reports whether the phrases differ from the file's.
func (e *Edit) Changed() bool { return len(e.undo) > 0 }

func (e *Edit) check(i int) error {
	if i < 0 || i >= len(e.Phrases) {
		return fmt.Errorf("no phrase %d (the transcript has %d)", i+1, len(e.Phrases))
	}
	return nil
}

// SetText replaces phrase i's words. Empty text removes the phrase.
func (e *Edit) SetText(i int, text string) error {
	if err := e.check(i); err != nil {
		return err
	}
	text = strings.Join(strings.Fields(text), " ")
	if text == e.Phrases[i].Phrase {
		return nil
	}
	e.change()
	if text == "" {
		e.Phrases = slices.Delete(e.Phrases, i, i+1)
		return nil
	}
	e.Phrases[i].Phrase = text
	return nil
}

// Split splits phrase i before its word k (from 1): the time is shared by the words' lengths
// until the save re-times them.
func (e *Edit) Split(i, k int) error {
	if err := e.check(i); err != nil {
		return err
	}
	words := strings.Fields(e.Phrases[i].Phrase)
	if k < 1 || k >= len(words) {
		return fmt.Errorf("phrase %d has %d word(s): cannot split before word %d", i+1, len(words), k+1)
	}
	e.change()
	p := e.Phrases[i]
	a, b := strings.Join(words[:k], " "), strings.Join(words[k:], " ")
	at := p.Begin + (p.End-p.Begin)*float64(len(a)+1)/float64(len(a)+len(b)+1)
	if !finite(at) {
		at = math.NaN()
	}
	e.Phrases = slices.Insert(e.Phrases, i+1, transcript.Phrase{Phrase: b, Begin: round3(at), End: p.End})
	e.Phrases[i].Phrase, e.Phrases[i].End = a, round3(at)
	return nil
}

// Merge joins phrase i and the one after it.
func (e *Edit) Merge(i int) error {
	if err := e.check(i); err != nil {
		return err
	}
	if i+1 >= len(e.Phrases) {
		return fmt.Errorf("phrase %d is the last: nothing to merge it with", i+1)
	}
	e.change()
	e.Phrases[i].Phrase += " " + e.Phrases[i+1].Phrase
	e.Phrases[i].End = e.Phrases[i+1].End
	e.Phrases = slices.Delete(e.Phrases, i+1, i+2)
	return nil
}

// SetBounds moves phrase i's begin and end (a boundary dragged on the waveform), kept inside
// the phrases around it.
func (e *Edit) SetBounds(i int, begin, end float64) error {
	if err := e.check(i); err != nil {
		return err
	}
	if !finite(begin, end) || end < begin || begin < 0 {
		return fmt.Errorf("phrase %d: %.3f…%.3f s is not a span", i+1, begin, end)
	}
	if i > 0 && !math.IsNaN(e.Phrases[i-1].End) {
		begin = max(begin, e.Phrases[i-1].End)
	}
	if i+1 < len(e.Phrases) && !math.IsNaN(e.Phrases[i+1].Begin) {
		end = min(end, e.Phrases[i+1].Begin)
	}
	end = max(end, begin)
	begin, end = round3(begin), round3(end)
	if begin == e.Phrases[i].Begin && end == e.Phrases[i].End {
		return nil
	}
	e.change()
	e.Phrases[i].Begin, e.Phrases[i].End = begin, end
	return nil
}

// MoveEdge moves phrase i's end (end) or begin to t. Where the phrase touches its neighbour
// on that side, the neighbour's edge moves with it (one boundary between two words); t is
// kept between the outer edges of the two.
func (e *Edit) MoveEdge(i int, end bool, t float64) error {
	if err := e.check(i); err != nil {
		return err
	}
	if !finite(t) {
		return fmt.Errorf("phrase %d: %v s is not a time", i+1, t)
	}
	j := i - 1 // the neighbour on that side
	if end {
		j = i + 1
	}
	p := e.Phrases[i]
	if j < 0 || j >= len(e.Phrases) || (end && e.Phrases[j].Begin != p.End) || (!end && e.Phrases[j].End != p.Begin) {
		if end {
			return e.SetBounds(i, p.Begin, max(t, p.Begin))
		}
		return e.SetBounds(i, min(max(t, 0), p.End), p.End)
	}
	lo, hi := e.Phrases[j].Begin, p.End // the boundary between j and i
	if end {
		lo, hi = p.Begin, e.Phrases[j].End
	}
	t = round3(min(max(t, lo), hi))
	if (end && t == p.End) || (!end && t == p.Begin) {
		return nil
	}
	e.change()
	if end {
		e.Phrases[i].End, e.Phrases[j].Begin = t, t
	} else {
		e.Phrases[i].Begin, e.Phrases[j].End = t, t
	}
	return nil
}

// Transcript is the edit as a transcript: full_text the phrases, each after a space.
func (e *Edit) Transcript() *transcript.Transcript {
	return &transcript.Transcript{FullText: fullText(e.Phrases), Phrases: slices.Clone(e.Phrases), HasFullText: true, HasPhrases: true}
}

// TranscriptEditStore is where a save records who corrected the transcript and when
// (review.Store).
type TranscriptEditStore interface {
	AddTranscriptEdit(ctx context.Context, e review.TranscriptEdit) (review.TranscriptEdit, error)
}

// Saved is what a save did.
type Saved struct {
	Align Result // the re-timing (Status StatusFailed, with Err, when it could not run)
	Row   review.TranscriptEdit
}

// Save writes the correction: the draft is kept beside as transcript_draft.json (the first
// time a draft is corrected), transcript.json is written, re-timed by forced alignment (eng;
// nil when no recogniser is installed: the times stay as edited, and Align says why), and
// the store gets a row with who, when, and the file before and after. The file is written
// before the store: a correction on disk that the store misses is still kept by transcribe
// (its digest is not the draft's).
func (e *Edit) Save(ctx context.Context, eng Engine, st TranscriptEditStore, sessionID, caseID, who string, now time.Time) (Saved, error) {
	if who == "" {
		return Saved{}, errors.New("save: who is correcting is required")
	}
	path := filepath.Join(e.Dir, TranscriptFile)
	cur, err := os.ReadFile(path)
	if err != nil {
		return Saved{}, fmt.Errorf("save: %w", err)
	}
	if !bytes.Equal(cur, e.Original) {
		return Saved{}, fmt.Errorf("save: %s changed on disk since it was opened (another editor, or transcribe): reopen it", path)
	}
	draft := filepath.Join(e.Dir, DraftFile)
	if ok, _, err := Corrected(e.Dir); err == nil && !ok {
		if _, err := os.Stat(draft); errors.Is(err, os.ErrNotExist) {
			if err := atomicfile.WriteBytes(draft, cur); err != nil {
				return Saved{}, fmt.Errorf("save: keep the draft: %w", err)
			}
		}
	}
	b, err := transcript.Marshal(e.Transcript())
	if err != nil {
		return Saved{}, err
	}
	if err := atomicfile.WriteBytes(path, b); err != nil {
		return Saved{}, fmt.Errorf("save: write %s: %w", path, err)
	}
	var s Saved
	if eng == nil {
		s.Align = Result{Status: StatusFailed, Err: errors.New("not re-timed: no recogniser installed (" + SphinxInstall + ")")}
	} else {
		s.Align = AlignCase(ctx, eng, e.Dir, now)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("save: %w", err)
	}
	s.Row, err = st.AddTranscriptEdit(ctx, review.TranscriptEdit{Session: sessionID, Case: caseID,
		Before: string(e.Original), After: string(after), Who: who, At: now})
	if err != nil {
		return s, fmt.Errorf("save: record the correction in the review store: %w", err)
	}
	t, err := transcript.Read(bytes.NewReader(after), path)
	if err != nil {
		return s, err
	}
	e.Phrases, e.Original, e.undo, e.redo = t.Phrases, after, nil, nil
	return s, nil
}
