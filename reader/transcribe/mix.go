package transcribe

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// backoff is a trigram back-off model as the ARPA format holds it: each listed n-gram's
// probability and, for a context, its back-off weight (linear, not log).
type backoff struct {
	grams [3]map[string]float64 // by order-1; key: the words joined by spaces
	bow   map[string]float64
}

// parseARPA reads a model BuildARPA wrote (or any trigram ARPA model).
func parseARPA(b []byte) (*backoff, error) {
	m := &backoff{bow: map[string]float64{}}
	for i := range m.grams {
		m.grams[i] = map[string]float64{}
	}
	order := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "ngram ") || line == "\\data\\" || line == "\\end\\":
			continue
		case strings.HasSuffix(line, "-grams:"):
			o, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSuffix(line, "-grams:"), "\\"))
			if err != nil || o < 1 || o > 3 {
				return nil, fmt.Errorf("ARPA line %d: %q: not an order 1 to 3", n, line)
			}
			order = o
			continue
		}
		f := strings.Fields(line)
		if order == 0 || (len(f) != order+1 && len(f) != order+2) {
			return nil, fmt.Errorf("ARPA line %d: %q: want %d words and a probability", n, line, order)
		}
		lp, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return nil, fmt.Errorf("ARPA line %d: %w", n, err)
		}
		key := strings.Join(f[1:order+1], " ")
		m.grams[order-1][key] = math.Pow(10, lp)
		if len(f) == order+2 {
			lb, err := strconv.ParseFloat(f[order+1], 64)
			if err != nil {
				return nil, fmt.Errorf("ARPA line %d: %w", n, err)
			}
			m.bow[key] = math.Pow(10, lb)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// prob is P(w | h) by back-off; h has at most two words.
func (m *backoff) prob(h []string, w string) float64 {
	key := strings.Join(append(slices.Clone(h), w), " ")
	if p, ok := m.grams[len(h)][key]; ok {
		return p
	}
	if len(h) == 0 {
		return 0
	}
	bw, ok := m.bow[strings.Join(h, " ")]
	if !ok {
		bw = 1
	}
	return bw * m.prob(h[1:], w)
}

// Mix interpolates two back-off models, P = λ·Pa + (1−λ)·Pb, as a back-off model (the static
// interpolation SRILM's -mix-lm does): every n-gram either lists is listed with the mixed
// probability, and each context's back-off weight is recomputed so that it sums to one.
func Mix(a, b *backoff, lambda float64) *backoff {
	m := &backoff{bow: map[string]float64{}}
	for o := range m.grams {
		m.grams[o] = map[string]float64{}
		for _, src := range []*backoff{a, b} {
			for k := range src.grams[o] {
				f := strings.Fields(k)
				h, w := f[:len(f)-1], f[len(f)-1]
				if w == sentStart {
					m.grams[o][k] = 0 // <s> is never predicted
					continue
				}
				m.grams[o][k] = lambda*a.prob(h, w) + (1-lambda)*b.prob(h, w)
			}
		}
		if o == 0 {
			continue
		}
		// Back-off weights of the contexts of this order's n-grams.
		listed := map[string][2]float64{} // context → (Σ mixed, Σ lower order)
		for k, p := range m.grams[o] {
			f := strings.Fields(k)
			h := strings.Join(f[:len(f)-1], " ")
			s := listed[h]
			s[0] += p
			s[1] += m.prob(f[1:len(f)-1], f[len(f)-1])
			listed[h] = s
		}
		for h, s := range listed {
			m.bow[h] = max(1-s[0], 1e-12) / max(1-s[1], 1e-12)
		}
	}
	return m
}

// arpa writes m in the ARPA format, sorted, fixed precision (deterministic).
func (m *backoff) arpa(comment string) []byte {
	var out bytes.Buffer
	lg := func(p float64) string {
		if p <= 0 {
			return "-99.000000"
		}
		return fmt.Sprintf("%.6f", math.Log10(p))
	}
	out.WriteString(comment)
	out.WriteString("\\data\\\n")
	keys := [3][]string{}
	for o := range m.grams {
		for k := range m.grams[o] {
			keys[o] = append(keys[o], k)
		}
		slices.SortFunc(keys[o], func(x, y string) int { return slices.Compare(strings.Fields(x), strings.Fields(y)) })
		fmt.Fprintf(&out, "ngram %d=%d\n", o+1, len(keys[o]))
	}
	for o := range m.grams {
		fmt.Fprintf(&out, "\n\\%d-grams:\n", o+1)
		for _, k := range keys[o] {
			if bw, ok := m.bow[k]; ok && o < 2 {
				fmt.Fprintf(&out, "%s %s %s\n", lg(m.grams[o][k]), k, lg(bw))
			} else {
				fmt.Fprintf(&out, "%s %s\n", lg(m.grams[o][k]), k)
			}
		}
	}
	out.WriteString("\n\\end\\\n")
	return out.Bytes()
}
