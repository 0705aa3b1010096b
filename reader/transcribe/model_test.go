package transcribe

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sightline/internal/notrun"
)

// embeddedSources are the checked-in model sources, with Debian's cmudict.
func embeddedSources(t *testing.T) ModelSources {
	cmu, err := os.ReadFile(CMUDict)
	if err != nil {
		notrun.Skip(t, "cmudict is not installed (pocketsphinx-en-us): "+err.Error())
	}
	r := func(name string) io.Reader { return bytes.NewReader(ModelFile(name)) }
	return ModelSources{Corpus: r(CorpusFile), Grammar: r(GrammarFile), Lexicon: r(LexiconFile),
		Extra: r(ExtraFile), CMU: bytes.NewReader(cmu), Espeak: r(EspeakFile)}
}

// TestModelIsRebuilt rebuilds the language model and dictionary from the sources, as `go
// generate` does, and checks the checked-in files are exactly that; that every word of the
// model and the word list has a pronunciation and the dictionary holds nothing else; and that
// the dictionary holds at least 2,000 words.
func TestModelIsRebuilt(t *testing.T) {
	lm, dict, err := BuildModel(embeddedSources(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(lm, ModelFile(LMFile)) {
		t.Errorf("%s is not what the sources build: run go generate ./reader/transcribe", LMFile)
	}
	if !bytes.Equal(dict, ModelFile(DictFile)) {
		t.Errorf("%s is not what the sources build: run go generate ./reader/transcribe", DictFile)
	}
	hand, gen, err := TrainingText(bytes.NewReader(ModelFile(CorpusFile)), bytes.NewReader(ModelFile(GrammarFile)))
	if err != nil {
		t.Fatal(err)
	}
	lex, _ := ReadCorpus(bytes.NewReader(ModelFile(LexiconFile)), LexiconFile)
	d := ModelDict()
	vocab := map[string]bool{}
	for _, set := range [][][]string{hand, gen, lex} {
		for _, s := range set {
			for _, w := range s {
				vocab[w] = true
				if _, ok := d[w]; !ok {
					t.Errorf("%q has no pronunciation", w)
				}
			}
		}
	}
	for w := range d {
		if !vocab[w] {
			t.Errorf("the dictionary has %q, which neither the model nor the word list uses", w)
		}
	}
	if len(hand) < 300 || len(gen) < 5000 {
		t.Errorf("%d hand-written and %d generated sentences, want a few hundred and thousands", len(hand), len(gen))
	}
	t.Logf("%d hand-written sentences, %d generated, %d words in the dictionary", len(hand), len(gen), len(d))
	if len(d) < minDictWords {
		t.Errorf("the dictionary holds %d words, want at least %d", len(d), minDictWords)
	}
}

// minDictWords is the size of dictionary the issue asks for.
const minDictWords = 2000

func TestBuildModelNamesMissingWords(t *testing.T) {
	corpus := "the heart is enlarged\nthe zorbulent heart\n"
	_, _, err := BuildModel(ModelSources{Corpus: strings.NewReader(corpus), Grammar: strings.NewReader("main = the heart\n"),
		Lexicon: strings.NewReader("grombic\n"), Extra: strings.NewReader("enlarged EH N L AA R JH D\n"),
		CMU: strings.NewReader("the DH AH\nheart HH AA R T\nis IH Z\n"), Espeak: strings.NewReader("")})
	var miss *MissingWordsError
	if !errors.As(err, &miss) || !slices.Equal(miss.Words, []string{"grombic", "zorbulent"}) {
		t.Fatalf("err %v, want grombic and zorbulent missing", err)
	}
	if !strings.Contains(err.Error(), "zorbulent") || !strings.Contains(err.Error(), ExtraFile) {
		t.Errorf("message %q", err)
	}
}

// arpa is a back-off model read from ARPA text, for checking BuildARPA's output.
type arpa struct {
	p, bow map[string]float64 // key: the n-gram's words joined by spaces; log10
	vocab  []string
}

func readARPA(t *testing.T, b []byte) arpa {
	m := arpa{p: map[string]float64{}, bow: map[string]float64{}}
	order := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasSuffix(line, "-grams:") {
			order, _ = strconv.Atoi(line[1:2])
			continue
		}
		f := strings.Fields(line)
		if order == 0 || len(f) < order+1 {
			continue
		}
		p, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		key := strings.Join(f[1:order+1], " ")
		m.p[key] = p
		if len(f) == order+2 {
			m.bow[key], _ = strconv.ParseFloat(f[order+1], 64)
		}
		if order == 1 && f[1] != sentStart {
			m.vocab = append(m.vocab, f[1])
		}
	}
	return m
}

// prob is P(w | h) by back-off, log10.
func (m arpa) prob(h []string, w string) float64 {
	if len(h) == 0 {
		return m.p[w]
	}
	if p, ok := m.p[strings.Join(append(slices.Clone(h), w), " ")]; ok {
		return p
	}
	return m.bow[strings.Join(h, " ")] + m.prob(h[1:], w)
}

// TestARPAIsADistribution checks the model sums to one over the vocabulary in every context
// it lists (to the written precision), so the interpolation weights are the back-off weights.
func TestARPAIsADistribution(t *testing.T) {
	m := readARPA(t, ModelFile(LMFile))
	check := func(h []string) {
		s := 0.0
		for _, w := range m.vocab {
			s += math.Pow(10, m.prob(h, w))
		}
		if math.Abs(s-1) > 1e-3 {
			t.Errorf("P(·|%v) sums to %.6f", h, s)
		}
	}
	check(nil)
	n := 0
	for k := range m.bow {
		check(strings.Fields(k))
		if n++; n > 300 && !testing.Short() {
			break
		}
	}
	// A seen trigram is likelier than its back-off.
	if p := m.prob([]string{"effusion", "with"}, "adjacent"); p <= m.prob([]string{"heart", "with"}, "adjacent") {
		t.Error("a seen trigram is less likely than an unseen one")
	}
}

func TestBuildARPASmall(t *testing.T) {
	got := string(BuildARPA([][]string{{"a", "b"}, {"a", "c"}, {"a", "b"}}))
	for _, want := range []string{"ngram 1=5", "ngram 2=5", "ngram 3=4", "-99.000000 <s>", "\\end\\"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

func TestReadCorpusRejectsNonWords(t *testing.T) {
	_, err := ReadCorpus(strings.NewReader("fine line\nthe Heart.\n"), "c.txt")
	if err == nil || !strings.Contains(err.Error(), "c.txt:2:") || !strings.Contains(err.Error(), `"Heart."`) {
		t.Errorf("err %v", err)
	}
}

func TestReadDictErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"heart HH AA R T\nlone\n", "d:2: \"lone\" has no phones"},
		{"heart HH AA R T Q\n", "d:1: \"heart\": \"Q\" is not a phone"},
	} {
		if _, err := ReadDict(strings.NewReader(c.in), "d"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.in, err, c.want)
		}
	}
	d, err := ReadDict(strings.NewReader("the DH AH\nthe(2) DH IY\n"), "d")
	if err != nil || len(d["the"]) != 2 || string(d.Marshal()) != "the DH AH\nthe(2) DH IY\n" {
		t.Errorf("variants: %v %v %q", d, err, d.Marshal())
	}
}

func TestIPAToPhones(t *testing.T) {
	for _, c := range []struct{ ipa, want string }{
		{"ɪfjˈuːʒən", "IH F Y UW ZH AH N"},
		{"pˈɪk", "P IH K"},
		{"θoːɹˈæsɪk", "TH AO R AE S IH K"},
		{"vˈæskjʊlətʃɚ", "V AE S K Y UH L AH CH ER"},
	} {
		got, err := IPAToPhones(c.ipa)
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("%s: %v %v, want %s", c.ipa, got, err, c.want)
		}
	}
	if _, err := IPAToPhones("kʘ"); err == nil || !strings.Contains(err.Error(), "ʘ") {
		t.Errorf("unknown symbol: %v", err)
	}
}

// TestSuggestFromEspeak asks espeak-ng for a word cmudict lacks: the phones are the model's and
// close to the hand-written ones.
func TestSuggestFromEspeak(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		notrun.Skip(t, "espeak-ng is not installed")
	}
	p, err := Suggest(context.Background(), "effusion")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p, " "); got != "IH F Y UW ZH AH N" {
		t.Errorf("effusion: %s", got)
	}
	for _, ph := range p {
		if !slices.Contains(Phones, ph) {
			t.Errorf("%q is not a model phone", ph)
		}
	}
}

func FuzzReadDict(f *testing.F) {
	for _, s := range []string{"heart HH AA R T\nlone\n", "the DH AH\nthe(2) DH IY\n", "x(", ";;; c\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ReadDict(strings.NewReader(s), "f")
		if err != nil {
			return
		}
		d2, err := ReadDict(bytes.NewReader(d.Marshal()), "f2")
		if err != nil || len(d2) != len(d) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzIPAToPhones(f *testing.F) {
	for _, s := range []string{"ɪfjˈuːʒən", "kʘ", "", "ˈ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := IPAToPhones(s)
		if err == nil {
			for _, ph := range p {
				if !slices.Contains(Phones, ph) {
					t.Fatalf("%q is not a phone", ph)
				}
			}
		}
	})
}
