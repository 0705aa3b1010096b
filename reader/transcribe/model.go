package transcribe

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

//go:generate go run ./internal/genmodel

// The project's radiology model, built by `go generate ./reader/transcribe` (internal/genmodel):
// the grammar of report language (grammar.txt) expanded into GrammarSentences sentences and the
// hand-written report sentences (corpus.txt), each made a Kneser-Ney trigram model, the two
// interpolated with weight GrammarWeight on the grammar's (radiology.lm); and the dictionary of
// the model's words and the radiology word list (lexicon.txt), each word's pronunciation taken
// from the hand-written extra.dict, else Debian's cmudict, else espeak-ng's (espeak.dict,
// written by genmodel for the words neither has) (radiology.dict). TestModelIsRebuilt checks
// the checked-in files are exactly what the sources give.
//
//go:embed model/corpus.txt model/enrollment.txt model/grammar.txt model/lexicon.txt model/extra.dict model/espeak.dict model/radiology.lm model/radiology.dict
var modelFS embed.FS

// Model file names under model/.
const (
	CorpusFile  = "model/corpus.txt"
	GrammarFile = "model/grammar.txt"
	LexiconFile = "model/lexicon.txt"
	ExtraFile   = "model/extra.dict"
	EspeakFile  = "model/espeak.dict"
	LMFile      = "model/radiology.lm"
	DictFile    = "model/radiology.dict"
)

// How the grammar enters the model: how many sentences it is expanded into (with a fixed
// seed), and its weight in the interpolation with the hand-written corpus. Both are set from
// the sizes of the two sources, not tuned on any test set: the grammar's many sentences give
// the combinations, the corpus the phrasing of real reports; neither should dominate.
const (
	GrammarSentences = 20000
	GrammarSeed      = 1
	GrammarWeight    = 0.5
)

// CMUDict is Debian's copy of cmudict (pocketsphinx-en-us).
const CMUDict = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"

// ModelFile returns one of the embedded model files.
func ModelFile(name string) []byte {
	b, err := modelFS.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: a missing file cannot build
	}
	return b
}

// ModelName names the embedded language model and dictionary by their content, as recorded
// with every transcript: "sightline-radiology-<first 12 hex of sha256(lm ‖ dict)>".
func ModelName() string {
	h := sha256.New()
	h.Write(ModelFile(LMFile))
	h.Write(ModelFile(DictFile))
	return fmt.Sprintf("sightline-radiology-%x", h.Sum(nil)[:6])
}

// MissingWordsError lists the words no dictionary has a pronunciation for.
type MissingWordsError struct{ Words []string }

func (e *MissingWordsError) Error() string {
	return fmt.Sprintf("%d word(s) have no pronunciation: %s (add them to reader/transcribe/%s, or run go generate to ask espeak-ng)",
		len(e.Words), strings.Join(e.Words, ", "), ExtraFile)
}

// ModelSources are the files the model is built from.
type ModelSources struct {
	Corpus, Grammar, Lexicon io.Reader
	Extra, CMU, Espeak       io.Reader // pronunciations, first found wins
}

// TrainingText is every sentence the language model is built from: the hand-written corpus and
// the grammar's expansion.
func TrainingText(corpus, grammar io.Reader) (hand, generated [][]string, err error) {
	if hand, err = ReadCorpus(corpus, CorpusFile); err != nil {
		return nil, nil, err
	}
	g, err := ReadGrammar(grammar, GrammarFile)
	if err != nil {
		return nil, nil, err
	}
	if generated, err = g.Generate(GrammarSentences, GrammarSeed); err != nil {
		return nil, nil, err
	}
	return hand, generated, nil
}

// BuildModel builds the language model and the dictionary from src. A word with no
// pronunciation is a *MissingWordsError.
func BuildModel(src ModelSources) (lm, dict []byte, err error) {
	hand, gen, err := TrainingText(src.Corpus, src.Grammar)
	if err != nil {
		return nil, nil, err
	}
	lex, err := ReadCorpus(src.Lexicon, LexiconFile)
	if err != nil {
		return nil, nil, err
	}
	var sources []Dict
	for _, s := range []struct {
		r    io.Reader
		name string
	}{{src.Extra, ExtraFile}, {src.CMU, CMUDict}, {src.Espeak, EspeakFile}} {
		d, err := ReadDict(s.r, s.name)
		if err != nil {
			return nil, nil, err
		}
		sources = append(sources, d)
	}
	var vocab []string
	for _, set := range [][][]string{hand, gen, lex} {
		for _, s := range set {
			vocab = append(vocab, s...)
		}
	}
	slices.Sort(vocab)
	vocab = slices.Compact(vocab)
	d, missing := Restrict(vocab, sources...)
	if len(missing) > 0 {
		return nil, nil, &MissingWordsError{Words: missing}
	}
	mh, err := parseARPA(BuildARPA(hand))
	if err != nil {
		return nil, nil, err
	}
	mg, err := parseARPA(BuildARPA(gen))
	if err != nil {
		return nil, nil, err
	}
	head := fmt.Sprintf("# sightline radiology model (reader/transcribe, go generate): interpolated Kneser-Ney trigram models,\n"+
		"# %.2f x the grammar's %d sentences (seed %d) + %.2f x the %d hand-written sentences of corpus.txt\n\n",
		GrammarWeight, len(gen), GrammarSeed, 1-GrammarWeight, len(hand))
	return Mix(mg, mh, GrammarWeight).arpa(head), d.Marshal(), nil
}

// WriteModel writes the embedded language model and dictionary to dir (the recogniser reads
// files), returning their paths.
func WriteModel(dir string) (lm, dict string, err error) {
	lm, dict = filepath.Join(dir, "radiology.lm"), filepath.Join(dir, "radiology.dict")
	if err := os.WriteFile(lm, ModelFile(LMFile), 0o644); err != nil {
		return "", "", fmt.Errorf("write the language model: %w", err)
	}
	if err := os.WriteFile(dict, ModelFile(DictFile), 0o644); err != nil {
		return "", "", fmt.Errorf("write the dictionary: %w", err)
	}
	return lm, dict, nil
}

// ModelDict is the embedded dictionary.
func ModelDict() Dict {
	d, err := ReadDict(bytes.NewReader(ModelFile(DictFile)), DictFile)
	if err != nil {
		panic(err) // checked by TestModelIsRebuilt
	}
	return d
}
