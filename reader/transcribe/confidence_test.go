package transcribe

import (
	"math"
	"testing"

	"sightline/reader/transcript"
)

func TestDraftStats(t *testing.T) {
	r := &Raw{AudioSeconds: 12, Words: []Word{{Word: "there", Confidence: 0.9}, {Word: "is", Confidence: 0.2},
		{Word: "no", Confidence: 0.7}, {Word: "effusion", Confidence: 0.1}}}
	s := r.Stats()
	if s.Words != 4 || s.LowConfidence != 0.5 || s.Negations != 1 || s.NoNegation {
		t.Errorf("%+v", s)
	}
	// Twelve seconds and no negation: flagged. Three seconds: too short to expect one.
	r.Words[2].Word = "a"
	if s := r.Stats(); s.Negations != 0 || !s.NoNegation {
		t.Errorf("no negation in 12 s: %+v", s)
	}
	r.AudioSeconds = 3
	if s := r.Stats(); s.NoNegation {
		t.Errorf("3 s flagged: %+v", s)
	}
	// An engine without confidences.
	r.Words = []Word{{Word: "clear", Confidence: -1}}
	if s := r.Stats(); !math.IsNaN(s.LowConfidence) {
		t.Errorf("unrated words: %+v", s)
	}
}

func TestPhraseConfidence(t *testing.T) {
	raw := &Raw{Words: []Word{{Word: "no", Begin: 0.1, End: 0.3, Confidence: 0.2},
		{Word: "pleural", Begin: 0.3, End: 0.7, Confidence: 0.9}, {Word: "effusion", Begin: 0.7, End: 1.2, Confidence: 0.6}}}
	e := &Edit{raw: raw, Phrases: []transcript.Phrase{
		{Phrase: "no", Begin: 0.1, End: 0.3},
		{Phrase: "pleural effusion.", Begin: 0.3, End: 1.2},
	}}
	if c := e.PhraseConfidence(0); c != 0.2 {
		t.Errorf("phrase 0: %v", c)
	}
	if c := e.PhraseConfidence(1); c != 0.6 {
		t.Errorf("phrase 1 (two words, the lower): %v", c)
	}
	// Corrected: the words are no longer the recogniser's.
	e.Phrases[0].Phrase = "small"
	if c := e.PhraseConfidence(0); c != -1 {
		t.Errorf("corrected phrase: %v", c)
	}
	if c := (&Edit{Phrases: e.Phrases}).PhraseConfidence(1); c != -1 {
		t.Errorf("no transcript_raw.json: %v", c)
	}
	if c := e.PhraseConfidence(7); c != -1 {
		t.Errorf("out of range: %v", c)
	}
}
