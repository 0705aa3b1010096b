package analysis

import (
	"math"
	"strings"

	"sightline/reader/transcript"
)

// SingleWord reports whether a phrase is one word as the reference counted it: splitting on
// the space character gives one piece (Python's len(phrase.split(' ')) == 1), so a phrase with
// any space in it, leading or trailing included, is not a single word.
func SingleWord(phrase string) bool { return !strings.Contains(phrase, " ") }

// TypeB is the transcripts' Type-B error (docs/FORMATS.md §2): 1 − single-word entries ÷ entries.
type TypeB struct {
	Files, Phrases, SingleWord, MultiWord int
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
