package transcribe

import (
	"math"
	"slices"
	"strings"
)

// LowConfidence is the posterior below which a recognised word is shown as doubtful (the
// editor marks its phrase, the QA checklist counts it). pocketsphinx's posteriors are not
// calibrated probabilities: TestUnseenWER logs how many wrong and right words fall below it;
// the mark asks for a listen, it does not say the word is wrong.
const LowConfidence = 0.5

// NegationWords are the words (and pairs) of a negated finding: "no", "not", "without",
// "negative for", "free of"; a single word of a pair counts ("negative", "free").
var NegationWords = []string{"no", "not", "without", "negative", "free", "neither", "nor", "absent"}

// MinNegationSeconds is the length of dictation that can hold a negation: a report of that
// length with none ("no pneumothorax") is unusual enough for a reviewer to listen.
const MinNegationSeconds = 8.0

// DraftStats are a draft's figures for the QA checklist.
type DraftStats struct {
	Words int
	// LowConfidence is the share of words with a posterior below LowConfidence (NaN when the
	// engine gives none).
	LowConfidence float64
	Negations     int  // negation words in the draft
	NoNegation    bool // audio long enough to hold one, and none heard
	AudioSeconds  float64
}

// Stats measures the draft transcribe heard (transcript_raw.json's words).
func (r *Raw) Stats() DraftStats {
	s := DraftStats{Words: len(r.Words), AudioSeconds: r.AudioSeconds, LowConfidence: math.NaN()}
	low, rated := 0, 0
	for _, w := range r.Words {
		if w.Confidence >= 0 {
			rated++
			if w.Confidence < LowConfidence {
				low++
			}
		}
		if slices.Contains(NegationWords, w.Word) {
			s.Negations++
		}
	}
	if rated > 0 {
		s.LowConfidence = float64(low) / float64(rated)
	}
	s.NoNegation = s.Negations == 0 && r.AudioSeconds >= MinNegationSeconds
	return s
}

// PhraseConfidence is the lowest posterior of the recognised words phrase i of the edit still
// holds as the recogniser heard them: the raw words inside the phrase's span, when their
// words are the phrase's words. A phrase corrected since (other words), or with no rated
// words, gives −1: nothing to doubt.
func (e *Edit) PhraseConfidence(i int) float64 {
	if e.raw == nil || i < 0 || i >= len(e.Phrases) {
		return -1
	}
	p := e.Phrases[i]
	var words []string
	lowest := math.Inf(1)
	for _, w := range e.raw.Words {
		if w.Begin >= p.Begin-0.005 && w.End <= p.End+0.005 {
			words = append(words, w.Word)
			if w.Confidence >= 0 {
				lowest = min(lowest, w.Confidence)
			}
		}
	}
	if len(words) == 0 || math.IsInf(lowest, 1) || strings.Join(words, " ") != strings.Join(Tokens(p.Phrase), " ") {
		return -1
	}
	return lowest
}
