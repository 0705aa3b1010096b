// Command genmodel rebuilds reader/transcribe's radiology language model and dictionary from
// model/corpus.txt, model/grammar.txt, model/lexicon.txt, the hand-written model/extra.dict
// and Debian's cmudict (run by `go generate` in reader/transcribe). Words that neither
// dictionary has are given espeak-ng's pronunciation, written to model/espeak.dict (review it:
// a wrong one belongs corrected in extra.dict, which wins).
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"sightline/reader/transcribe"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "genmodel:", err)
		os.Exit(1)
	}
}

func run() error {
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(name)
		if err != nil && name == transcribe.CMUDict {
			return nil, fmt.Errorf("%w (apt-get install pocketsphinx-en-us)", err)
		}
		return b, err
	}
	files := map[string][]byte{}
	for _, f := range []string{transcribe.CorpusFile, transcribe.GrammarFile, transcribe.LexiconFile,
		transcribe.ExtraFile, transcribe.CMUDict} {
		b, err := read(f)
		if err != nil {
			return err
		}
		files[f] = b
	}
	// espeak.dict is made afresh: only the words the other two lack, as espeak-ng says them today.
	files[transcribe.EspeakFile] = nil
	build := func() ([]byte, []byte, error) {
		return transcribe.BuildModel(transcribe.ModelSources{
			Corpus: bytes.NewReader(files[transcribe.CorpusFile]), Grammar: bytes.NewReader(files[transcribe.GrammarFile]),
			Lexicon: bytes.NewReader(files[transcribe.LexiconFile]), Extra: bytes.NewReader(files[transcribe.ExtraFile]),
			CMU: bytes.NewReader(files[transcribe.CMUDict]), Espeak: bytes.NewReader(files[transcribe.EspeakFile]),
		})
	}
	lm, dict, err := build()
	var miss *transcribe.MissingWordsError
	if errors.As(err, &miss) {
		// Ask espeak-ng for the rest, add them to espeak.dict, and build again.
		esp, rerr := transcribe.ReadDict(bytes.NewReader(files[transcribe.EspeakFile]), transcribe.EspeakFile)
		if rerr != nil {
			return rerr
		}
		var failed []string
		for _, w := range miss.Words {
			p, err := transcribe.Suggest(context.Background(), w)
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s (%v)", w, err))
				continue
			}
			esp[w] = [][]string{p}
			fmt.Fprintf(os.Stderr, "espeak-ng: %s %s\n", w, strings.Join(p, " "))
		}
		if len(failed) > 0 {
			slices.Sort(failed)
			return fmt.Errorf("no pronunciation for %s", strings.Join(failed, ", "))
		}
		files[transcribe.EspeakFile] = append([]byte("# Pronunciations offered by espeak-ng (genmodel) for words neither extra.dict nor cmudict has.\n"+
			"# Generated: correct a wrong one by adding the word to extra.dict, which wins.\n"), esp.Marshal()...)
		if err := os.WriteFile(transcribe.EspeakFile, files[transcribe.EspeakFile], 0o644); err != nil {
			return err
		}
		lm, dict, err = build()
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(transcribe.LMFile, lm, 0o644); err != nil {
		return err
	}
	return os.WriteFile(transcribe.DictFile, dict, 0o644)
}
