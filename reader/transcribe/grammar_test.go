package transcribe

import (
	"math"
	"slices"
	"strings"
	"testing"
)

var grammarErrors = []struct{ in, want string }{
	{"main = the heart\nmain = again\n", "g.txt:2: rule \"main\" is already defined on line 1"},
	{"main = the $organ\n", "g.txt:1: $organ refers to no rule"},
	{"organ = heart\n", "no rule main"},
	{"main = the Heart\n", "g.txt:1: \"Heart\" is not a dictionary word"},
	{"main = 0* heart\n", "g.txt:1: weight \"0*\""},
	{"| heart\n", "g.txt:1: a continuation before any rule"},
	{"main heart\n", "g.txt:1: \"main heart\": want \"name = alternatives\""},
	{"main = $main\n", "recurses deeper than"},
}

func TestReadGrammarErrors(t *testing.T) {
	for _, c := range grammarErrors {
		g, err := ReadGrammar(strings.NewReader(c.in), "g.txt")
		if err == nil {
			_, err = g.Generate(1, 1)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.in, err, c.want)
		}
	}
}

// TestGrammarGenerate: weights, the empty alternative, continuation lines and references
// expand as written, and the same seed gives the same sentences.
func TestGrammarGenerate(t *testing.T) {
	src := "# comment\nmain = 3* no $finding | $finding $tail\n | the lungs are clear\nfinding = effusion | pneumothorax\ntail = - | again seen\n"
	g, err := ReadGrammar(strings.NewReader(src), "g.txt")
	if err != nil {
		t.Fatal(err)
	}
	s, err := g.Generate(2000, 7)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, x := range s {
		count[strings.Join(x, " ")]++
	}
	want := []string{"no effusion", "no pneumothorax", "effusion", "pneumothorax again seen", "the lungs are clear"}
	for _, w := range want {
		if count[w] == 0 {
			t.Errorf("%q never generated: %v", w, count)
		}
	}
	if len(count) != 7 {
		t.Errorf("%d distinct sentences, want 7: %v", len(count), count)
	}
	// main's first alternative has weight 3 of 5.
	no := count["no effusion"] + count["no pneumothorax"]
	if f := float64(no) / 2000; math.Abs(f-0.6) > 0.05 {
		t.Errorf("weight 3 of 5 chosen %.2f of the time", f)
	}
	again, _ := g.Generate(2000, 7)
	if !slices.EqualFunc(s, again, slices.Equal) {
		t.Error("the same seed gave different sentences")
	}
	if w := g.Words(); !slices.Equal(w, []string{"again", "are", "clear", "effusion", "lungs", "no", "pneumothorax", "seen", "the"}) {
		t.Errorf("words %v", w)
	}
}

// TestMixIsADistribution mixes two small models and checks every context sums to one and a
// word only one model knows keeps its share.
func TestMixIsADistribution(t *testing.T) {
	a, err := parseARPA(BuildARPA([][]string{{"no", "effusion"}, {"no", "pneumothorax"}, {"small", "effusion"}}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseARPA(BuildARPA([][]string{{"no", "effusion", "seen"}, {"the", "heart", "is", "normal"}}))
	if err != nil {
		t.Fatal(err)
	}
	m := Mix(a, b, 0.5)
	mm := readARPA(t, m.arpa(""))
	vocabSum := func(h []string) float64 {
		s := 0.0
		for _, w := range mm.vocab {
			s += math.Pow(10, mm.prob(h, w))
		}
		return s
	}
	for _, h := range [][]string{nil, {"<s>"}, {"no"}, {"<s>", "no"}, {"no", "effusion"}, {"heart"}, {"small"}} {
		if s := vocabSum(h); math.Abs(s-1) > 1e-3 {
			t.Errorf("P(·|%v) sums to %.5f", h, s)
		}
	}
	// "pneumothorax" after "no": half of a's probability (b never saw it).
	pa := a.prob([]string{"no"}, "pneumothorax")
	if p := math.Pow(10, mm.prob([]string{"no"}, "pneumothorax")); p < 0.49*pa || p > pa {
		t.Errorf("P(pneumothorax | no) = %.4f, a gave %.4f", p, pa)
	}
}

func FuzzReadGrammar(f *testing.F) {
	for _, c := range grammarErrors {
		f.Add(c.in)
	}
	f.Add(string(ModelFile(GrammarFile)))
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ReadGrammar(strings.NewReader(s), "f.txt")
		if err != nil {
			return
		}
		out, err := g.Generate(3, 1)
		if err != nil {
			return
		}
		for _, x := range out {
			for _, w := range x {
				if Token(w) != w {
					t.Fatalf("generated %q", w)
				}
			}
		}
	})
}

func FuzzParseARPA(f *testing.F) {
	f.Add(string(BuildARPA([][]string{{"a", "b"}, {"a", "c"}})))
	f.Add("\\data\\\nngram 1=1\n\n\\1-grams:\n-1.0 a\n\\end\\\n")
	f.Add("\\4-grams:\n")
	f.Add("\\1-grams:\nx a\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseARPA([]byte(s))
		if err != nil {
			return
		}
		m.arpa("")
	})
}

// TestParseARPAErrors: a bad line is named.
func TestParseARPAErrors(t *testing.T) {
	for in, want := range map[string]string{
		"\\4-grams:\n":            "ARPA line 1",
		"\\1-grams:\nx a\n":       "ARPA line 2",
		"\\2-grams:\n-1.0 a\n":    "ARPA line 2",
		"-1.0 a\n":                "ARPA line 1",
		"\\1-grams:\n-1.0 a zz\n": "ARPA line 2",
	} {
		if _, err := parseARPA([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", in, err, want)
		}
	}
}
