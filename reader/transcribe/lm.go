package transcribe

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Sentence markers of the ARPA format, as pocketsphinx expects them.
const (
	sentStart = "<s>"
	sentEnd   = "</s>"
)

// ReadCorpus reads a corpus: one sentence a line, words separated by white space, lower case;
// blank lines and lines starting with # are skipped. A word must be what the dictionary can
// hold (Token): errors name the line.
func ReadCorpus(r io.Reader, name string) ([][]string, error) {
	var out [][]string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words := strings.Fields(line)
		for _, w := range words {
			if Token(w) != w {
				return nil, fmt.Errorf("%s:%d: %q is not a dictionary word (lower case letters, digits and apostrophes)", name, n, w)
			}
		}
		out = append(out, words)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// Token is w as a dictionary word: lower case, only letters, digits and apostrophes kept (the
// punctuation of a transcript's phrases, "heart.", is not spoken).
func Token(w string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(w) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '\'' {
			b.WriteRune(r)
		}
	}
	return strings.Trim(b.String(), "'")
}

// Tokens splits text into dictionary words: on white space and hyphens, punctuation dropped.
func Tokens(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == '-' || r == '/' || isSpace(r) }) {
		if t := Token(f); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// BuildARPA builds an interpolated Kneser-Ney trigram language model of the sentences in the
// ARPA format (Chen & Goodman 1998, one absolute discount per order, D = n1/(n1+2·n2) from
// that order's count-of-counts). Lower orders use continuation counts, except the n-grams that
// start with <s>, which can have nothing to their left and keep their raw counts (as SRILM
// does). An interpolated model is written as a back-off one: a listed n-gram carries its whole
// interpolated probability, and a context's back-off weight is its interpolation weight, so
// the decoder computes exactly the interpolated distribution. The output is deterministic
// (sorted, fixed precision): the checked-in model is rebuilt and compared byte for byte.
func BuildARPA(sentences [][]string) []byte {
	type bi struct{ a, b string }
	type tri struct{ a, b, c string }
	c3 := map[tri]int{}
	c2raw := map[bi]int{}
	for _, s := range sentences {
		w := append(append([]string{sentStart}, s...), sentEnd)
		for i := 1; i < len(w); i++ {
			c2raw[bi{w[i-1], w[i]}]++
			if i >= 2 {
				c3[tri{w[i-2], w[i-1], w[i]}]++
			}
		}
	}
	// Bigram counts as the middle order sees them: continuation counts N1+(·ab), raw counts
	// for <s> a.
	c2 := map[bi]int{}
	for t := range c3 {
		c2[bi{t.b, t.c}]++
	}
	for b, n := range c2raw {
		if b.a == sentStart {
			c2[b] = n
		}
	}
	// Unigram continuation counts N1+(·a): distinct left neighbours.
	c1 := map[string]int{}
	for b := range c2raw {
		c1[b.b]++
	}
	discount := func(counts func(yield func(int))) float64 {
		var n1, n2 int
		counts(func(n int) {
			switch n {
			case 1:
				n1++
			case 2:
				n2++
			}
		})
		if n1 == 0 || n2 == 0 {
			return 0.5
		}
		return float64(n1) / float64(n1+2*n2)
	}
	d3 := discount(func(y func(int)) {
		for _, n := range c3 {
			y(n)
		}
	})
	d2 := discount(func(y func(int)) {
		for _, n := range c2 {
			y(n)
		}
	})

	// Unigrams: continuation distribution, <s> never predicted.
	total1 := 0
	for _, n := range c1 {
		total1 += n
	}
	p1 := map[string]float64{}
	for w, n := range c1 {
		p1[w] = float64(n) / float64(total1)
	}
	// Bigram contexts: totals and the number of distinct followers.
	ctx2Total, ctx2Types := map[string]int{}, map[string]int{}
	for b, n := range c2 {
		ctx2Total[b.a] += n
		ctx2Types[b.a]++
	}
	gamma2 := func(a string) float64 {
		return d2 * float64(ctx2Types[a]) / float64(ctx2Total[a])
	}
	p2 := map[bi]float64{}
	for b, n := range c2 {
		p2[b] = (math.Max(float64(n)-d2, 0))/float64(ctx2Total[b.a]) + gamma2(b.a)*p1[b.b]
	}
	ctx3Total, ctx3Types := map[bi]int{}, map[bi]int{}
	for t, n := range c3 {
		ctx3Total[bi{t.a, t.b}] += n
		ctx3Types[bi{t.a, t.b}]++
	}
	gamma3 := func(h bi) float64 {
		return d3 * float64(ctx3Types[h]) / float64(ctx3Total[h])
	}
	// p2 of a bigram the middle order never listed: back off to the unigram.
	p2of := func(a, b string) float64 {
		if p, ok := p2[bi{a, b}]; ok {
			return p
		}
		return gamma2(a) * p1[b]
	}
	p3 := map[tri]float64{}
	for t, n := range c3 {
		h := bi{t.a, t.b}
		p3[t] = (math.Max(float64(n)-d3, 0))/float64(ctx3Total[h]) + gamma3(h)*p2of(t.b, t.c)
	}

	words := []string{sentStart}
	for w := range c1 {
		words = append(words, w)
	}
	slices.Sort(words)
	bigrams := make([]bi, 0, len(c2))
	for b := range c2 {
		bigrams = append(bigrams, b)
	}
	slices.SortFunc(bigrams, func(x, y bi) int { return cmp2(x.a, y.a, x.b, y.b) })
	trigrams := make([]tri, 0, len(c3))
	for t := range c3 {
		trigrams = append(trigrams, t)
	}
	slices.SortFunc(trigrams, func(x, y tri) int {
		if c := strings.Compare(x.a, y.a); c != 0 {
			return c
		}
		return cmp2(x.b, y.b, x.c, y.c)
	})

	lg := func(p float64) string { return fmt.Sprintf("%.6f", math.Log10(p)) }
	var out bytes.Buffer
	fmt.Fprintf(&out, "# Interpolated Kneser-Ney trigram model built by sightline/reader/transcribe.BuildARPA\n")
	fmt.Fprintf(&out, "# from %d sentences; discounts D2=%.6f D3=%.6f\n\n", len(sentences), d2, d3)
	fmt.Fprintf(&out, "\\data\\\nngram 1=%d\nngram 2=%d\nngram 3=%d\n\n\\1-grams:\n", len(words), len(bigrams), len(trigrams))
	for _, w := range words {
		p := "-99.000000"
		if w != sentStart {
			p = lg(p1[w])
		}
		if _, ctx := ctx2Total[w]; ctx {
			fmt.Fprintf(&out, "%s %s %s\n", p, w, lg(gamma2(w)))
		} else {
			fmt.Fprintf(&out, "%s %s\n", p, w)
		}
	}
	out.WriteString("\n\\2-grams:\n")
	for _, b := range bigrams {
		if _, ctx := ctx3Total[b]; ctx {
			fmt.Fprintf(&out, "%s %s %s %s\n", lg(p2[b]), b.a, b.b, lg(gamma3(b)))
		} else {
			fmt.Fprintf(&out, "%s %s %s\n", lg(p2[b]), b.a, b.b)
		}
	}
	out.WriteString("\n\\3-grams:\n")
	for _, t := range trigrams {
		fmt.Fprintf(&out, "%s %s %s %s\n", lg(p3[t]), t.a, t.b, t.c)
	}
	out.WriteString("\n\\end\\\n")
	return out.Bytes()
}

func cmp2(a1, b1, a2, b2 string) int {
	if c := strings.Compare(a1, b1); c != 0 {
		return c
	}
	return strings.Compare(a2, b2)
}
