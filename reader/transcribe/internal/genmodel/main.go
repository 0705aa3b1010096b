// Command genmodel rebuilds reader/transcribe's radiology language model and dictionary from
// model/corpus.txt, model/extra.dict and Debian's cmudict (run by `go generate` in
// reader/transcribe). A corpus word with no pronunciation is listed with one offered from
// espeak-ng's phonemes, to be checked and added to model/extra.dict.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	open := func(name string) (*os.File, error) {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	corpus, err := open(transcribe.CorpusFile)
	if err != nil {
		return err
	}
	defer corpus.Close()
	extra, err := open(transcribe.ExtraFile)
	if err != nil {
		return err
	}
	defer extra.Close()
	cmu, err := open(transcribe.CMUDict)
	if err != nil {
		return fmt.Errorf("%w (apt-get install pocketsphinx-en-us)", err)
	}
	defer cmu.Close()
	lm, dict, err := transcribe.BuildModel(corpus, extra, cmu)
	var miss *transcribe.MissingWordsError
	if errors.As(err, &miss) {
		for _, w := range miss.Words {
			if p, err := transcribe.Suggest(context.Background(), w); err == nil {
				fmt.Fprintf(os.Stderr, "%s %s   (offered by espeak-ng: check it)\n", w, strings.Join(p, " "))
			} else {
				fmt.Fprintf(os.Stderr, "%s: %v\n", w, err)
			}
		}
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(transcribe.LMFile, lm, 0o644); err != nil {
		return err
	}
	return os.WriteFile(transcribe.DictFile, dict, 0o644)
}
