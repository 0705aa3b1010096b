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

// The project's radiology model: the corpus it is built from, the trigram model and the
// dictionary restricted to its vocabulary (cmudict plus the hand-written pronunciations of
// extra.dict). `go generate ./reader/transcribe` rebuilds radiology.lm and radiology.dict;
// TestModelIsRebuilt checks the checked-in files are what the corpus gives.
//
//go:embed model/corpus.txt model/extra.dict model/radiology.lm model/radiology.dict
var modelFS embed.FS

// Model file names under model/.
const (
	CorpusFile = "model/corpus.txt"
	ExtraFile  = "model/extra.dict"
	LMFile     = "model/radiology.lm"
	DictFile   = "model/radiology.dict"
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

// MissingWordsError lists the corpus words no dictionary has a pronunciation for.
type MissingWordsError struct{ Words []string }

func (e *MissingWordsError) Error() string {
	return fmt.Sprintf("%d word(s) have no pronunciation: %s (add them to reader/transcribe/%s)",
		len(e.Words), strings.Join(e.Words, ", "), ExtraFile)
}

// BuildModel builds the language model and the dictionary from the corpus, the hand-written
// pronunciations and cmudict. A word with no pronunciation is a *MissingWordsError.
func BuildModel(corpus, extra, cmudict io.Reader) (lm, dict []byte, err error) {
	sents, err := ReadCorpus(corpus, CorpusFile)
	if err != nil {
		return nil, nil, err
	}
	ex, err := ReadDict(extra, ExtraFile)
	if err != nil {
		return nil, nil, err
	}
	cmu, err := ReadDict(cmudict, CMUDict)
	if err != nil {
		return nil, nil, err
	}
	var vocab []string
	for _, s := range sents {
		vocab = append(vocab, s...)
	}
	slices.Sort(vocab)
	vocab = slices.Compact(vocab)
	d, missing := Restrict(vocab, ex, cmu)
	if len(missing) > 0 {
		return nil, nil, &MissingWordsError{Words: missing}
	}
	return BuildARPA(sents), d.Marshal(), nil
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
