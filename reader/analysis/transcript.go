package analysis

import (
	"math"
	"strings"

	"sightline/reader/transcribe"
	"sightline/reader/transcript"
)

// SingleWord reports whether a phrase is one word as the reference counted it: splitting on
// the space character gives one piece (Python's len(phrase.split(' ')) == 1), so a phrase with
// any space in it, leading or trailing included, is not a single word.
func SingleWord(phrase string) bool { return !strings.Contains(phrase, " ") }

// TypeB is the transcripts' Type-B error (docs/FORMATS.md §2): 1 − single-word entries ÷ entries.
type TypeB struct {
	Files, Phrases, SingleWord, MultiWord int
	// Drafts counts the transcripts left out: drafts of sightline transcribe no one corrected.
	Drafts int
}

// isDraft reports whether the transcript.json in dir is a recogniser's draft no one has
// corrected: a transcript_raw.json beside it fingerprints it as the draft it wrote.
func isDraft(dir string) bool {
	if _, err := transcribe.ReadRaw(dir); err != nil {
		return false // no record of a draft: a reader's or an imported transcript
	}
	corrected, _, err := transcribe.Corrected(dir)
	return err == nil && !corrected
}

// Add counts the entries of t.
func (b *TypeB) Add(t *transcript.Transcript) {
	b.Files++
	for _, p := range t.Phrases {
		b.Phrases++
		if SingleWord(p.Phrase) {
			b.SingleWord++
		} else {
			b.MultiWord++
		}
	}
}

// Error is 1 − single-word entries ÷ all entries; NaN with no entries.
func (b TypeB) Error() float64 {
	if b.Phrases == 0 {
		return math.NaN()
	}
	return 1 - float64(b.SingleWord)/float64(b.Phrases)
}
