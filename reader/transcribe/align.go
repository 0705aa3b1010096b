package transcribe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"sightline/reader/transcript"
)

// How an alignment timed its words.
const (
	// MethodForced: a grammar of the text's words in order placed every word it could
	// pronounce.
	MethodForced = "forced"
	// MethodDecoded: forced alignment returned nothing (a word in the text never spoken, say),
	// so the audio was decoded with the language model and its times carried onto the text.
	MethodDecoded = "decoded"
	// MethodInterpolated: nothing was recognised; the words share the audio evenly.
	MethodInterpolated = "interpolated"
)

// Timed is one word of a text with its times; Approximate is set when the times are not the
// recogniser's own for this word (carried from a decoding, or interpolated between neighbours).
type Timed struct {
	Word        string  `json:"word"`
	Begin       float64 `json:"begin"`
	End         float64 `json:"end"`
	Approximate bool    `json:"approximate,omitempty"`
}

// Alignment is a text's words timed in its audio.
type Alignment struct {
	Method string   `json:"method"`
	Words  []Timed  `json:"words"`
	Notes  []string `json:"notes,omitempty"`
}

// Approximate counts the words whose times are approximate.
func (al Alignment) Approximate() int {
	n := 0
	for _, w := range al.Words {
		if w.Approximate {
			n++
		}
	}
	return n
}

// Align times the dictionary words tokens in a. With an Aligner it tries forced alignment
// first (words it has no pronunciation for are offered one by espeak-ng; words still without
// one are left out of the grammar and interpolated); when that returns nothing, or with an
// engine that cannot align, the audio is decoded and the decoded times carried onto the text
// by edit distance; words with no counterpart are interpolated. A recogniser that crashes or
// hangs is an error.
func Align(ctx context.Context, eng Engine, a Audio, tokens []string) (Alignment, error) {
	al := Alignment{Words: make([]Timed, len(tokens))}
	for i, t := range tokens {
		al.Words[i] = Timed{Word: t, Begin: math.NaN(), End: math.NaN(), Approximate: true}
	}
	if len(tokens) == 0 {
		al.Method = MethodForced
		return al, nil
	}
	if fa, ok := eng.(Aligner); ok {
		done, err := forced(ctx, fa, a, &al)
		if err != nil {
			return Alignment{}, err
		}
		if done {
			interpolate(al.Words, a.Seconds)
			return al, nil
		}
		al.Notes = append(al.Notes, "forced alignment returned nothing: the decoded times were carried onto the text")
	}
	words, err := eng.Recognize(ctx, a)
	switch {
	case errors.Is(err, ErrNoWords):
		al.Method = MethodInterpolated
		al.Notes = append(al.Notes, "the recogniser heard no words: the text's words share the audio evenly")
	case err != nil:
		return Alignment{}, err
	default:
		al.Method = MethodDecoded
		carry(al.Words, words)
	}
	interpolate(al.Words, a.Seconds)
	return al, nil
}

// forced runs forced alignment into al; false when it placed nothing.
func forced(ctx context.Context, fa Aligner, a Audio, al *Alignment) (bool, error) {
	extra := Dict{}
	var gram []string
	var at []int // index in al.Words of each grammar word
	for i, w := range al.Words {
		t := w.Word
		if !fa.Pronounces(t) {
			if _, ok := extra[t]; !ok {
				p, err := Suggest(ctx, t)
				if err != nil {
					al.Notes = append(al.Notes, fmt.Sprintf("no pronunciation for %q (%v): its time is interpolated", t, err))
					continue
				}
				extra[t] = [][]string{p}
				al.Notes = append(al.Notes, fmt.Sprintf("%q is not in the dictionary: aligned with espeak-ng's pronunciation %s", t, strings.Join(p, " ")))
			}
		}
		gram = append(gram, t)
		at = append(at, i)
	}
	if len(gram) == 0 {
		return false, nil
	}
	got, err := fa.ForceAlign(ctx, a, gram, extra)
	if errors.Is(err, ErrNoWords) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if len(got) != len(gram) {
		// A grammar run returns its words or none; anything else is not trusted.
		return false, nil
	}
	for k, g := range got {
		if g.Word != gram[k] {
			return false, nil
		}
	}
	for k, g := range got {
		w := &al.Words[at[k]]
		w.Begin, w.End, w.Approximate = g.Begin, g.End, false
	}
	al.Method = MethodForced
	return true, nil
}

// carry gives each text word the times of the decoded word it lines up with (a minimum edit
// distance alignment; a substitution carries too, cheaper the closer the spellings, so that
// "hart" lines up with "heart" rather than with the "is" beside it), all marked approximate.
func carry(text []Timed, dec []Word) {
	n, m := len(text), len(dec)
	sub := func(i, j int) float64 {
		a, b := text[i].Word, dec[j].Word
		if a == b {
			return 0
		}
		return 0.5 + 0.5*float64(letterDistance(a, b))/float64(max(len(a), len(b)))
	}
	d := make([][]float64, n+1)
	for i := range d {
		d[i] = make([]float64, m+1)
		d[i][0] = float64(i)
	}
	for j := 0; j <= m; j++ {
		d[0][j] = float64(j)
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			d[i][j] = min(d[i-1][j-1]+sub(i-1, j-1), d[i-1][j]+1, d[i][j-1]+1)
		}
	}
	for i, j := n, m; i > 0 && j > 0; {
		switch d[i][j] {
		case d[i-1][j-1] + sub(i-1, j-1):
			text[i-1].Begin, text[i-1].End = dec[j-1].Begin, dec[j-1].End
			i, j = i-1, j-1
		case d[i-1][j] + 1:
			i--
		default:
			j--
		}
	}
}

// letterDistance is the edit distance between two words' letters.
func letterDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// interpolate times the words that have none (NaN) between their placed neighbours (or the
// audio's ends), sharing the gap by the words' lengths; they stay approximate.
func interpolate(ws []Timed, total float64) {
	for i := 0; i < len(ws); {
		if !math.IsNaN(ws[i].Begin) {
			i++
			continue
		}
		j := i
		for j < len(ws) && math.IsNaN(ws[j].Begin) {
			j++
		}
		from, to := 0.0, total
		if i > 0 {
			from = ws[i-1].End
		}
		if j < len(ws) {
			to = ws[j].Begin
		}
		to = max(to, from)
		weight := 0
		for k := i; k < j; k++ {
			weight += len(ws[k].Word) + 1
		}
		t := from
		for k := i; k < j; k++ {
			ws[k].Begin = t
			t += (to - from) * float64(len(ws[k].Word)+1) / float64(weight)
			ws[k].End = t
		}
		i = j
	}
}

// TextOf is a transcript's text as dictionary words, with the phrase each word comes from.
// The phrases are the text; a transcript without them is read from full_text.
func TextOf(t *transcript.Transcript) (tokens []string, phrase []int) {
	for i, p := range t.Phrases {
		for _, w := range Tokens(p.Phrase) {
			tokens = append(tokens, w)
			phrase = append(phrase, i)
		}
	}
	return tokens, phrase
}

// Retime returns t with every phrase timed from its words' alignment: from its first word's
// begin to its last word's end. A phrase without a spoken word (punctuation alone) takes the
// end of the phrase before. The text is kept as it is, byte for byte.
func Retime(t *transcript.Transcript, al Alignment) (*transcript.Transcript, error) {
	tokens, phrase := TextOf(t)
	if len(tokens) != len(al.Words) {
		return nil, fmt.Errorf("alignment of %d words for a text of %d", len(al.Words), len(tokens))
	}
	out := &transcript.Transcript{FullText: t.FullText, HasFullText: true, HasPhrases: true,
		Phrases: make([]transcript.Phrase, len(t.Phrases))}
	for i, p := range t.Phrases {
		out.Phrases[i] = transcript.Phrase{Phrase: p.Phrase, Begin: math.NaN(), End: math.NaN()}
	}
	for k, w := range al.Words {
		p := &out.Phrases[phrase[k]]
		if math.IsNaN(p.Begin) {
			p.Begin = w.Begin
		}
		p.End = w.End
	}
	last := 0.0
	for i := range out.Phrases {
		p := &out.Phrases[i]
		if math.IsNaN(p.Begin) {
			p.Begin, p.End = last, last
		}
		p.Begin, p.End = round3(p.Begin), round3(max(p.End, p.Begin))
		last = p.End
	}
	if !t.HasFullText {
		out.FullText = fullText(t.Phrases)
	}
	return out, nil
}

func fullText(ps []transcript.Phrase) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(" ")
		b.WriteString(p.Phrase)
	}
	return b.String()
}

// round3 rounds to the millisecond: the recognisers time in 10 ms frames.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
