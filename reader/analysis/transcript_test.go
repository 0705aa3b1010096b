package analysis

import (
	"math"
	"testing"

	"sightline/reader/transcript"
)

func TestTypeB(t *testing.T) {
	tests := []struct {
		phrase string
		single bool
	}{
		{"prominent", true}, {"heart.", true}, {"", true}, {"cardiomegaly in fact.", false},
		{" lungs", false}, {"lungs ", false}, {"tab\tseparated", true}, // the reference split on ' ' only
	}
	var b TypeB
	tr := &transcript.Transcript{}
	single := 0
	for _, tc := range tests {
		if got := SingleWord(tc.phrase); got != tc.single {
			t.Errorf("SingleWord(%q) = %v", tc.phrase, got)
		}
		tr.Phrases = append(tr.Phrases, transcript.Phrase{Phrase: tc.phrase})
		if tc.single {
			single++
		}
	}
	b.Add(tr)
	b.Add(&transcript.Transcript{})
	if b.Files != 2 || b.Phrases != 7 || b.SingleWord != single || b.MultiWord != 7-single || b.Error() != 1-float64(single)/7 {
		t.Errorf("%+v error %v", b, b.Error())
	}
	// The paper's counts give its 5.46%.
	p := TypeB{Phrases: 19499, SingleWord: 18434, MultiWord: 1065}
	if e := p.Error(); math.Abs(e-0.0546) > 5e-5 {
		t.Errorf("paper's Type-B %v", e)
	}
	if !math.IsNaN((TypeB{}).Error()) {
		t.Error("no phrases: want NaN")
	}
}
