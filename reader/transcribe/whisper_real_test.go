package transcribe

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"sightline/internal/notrun"
)

// TestWhisperReal runs the real whisper.cpp, where a site has one, on unseen sentences spoken
// by espeak-ng through the front end, and checks it hears them (WER ≤ 50%: a working engine,
// not a goal) with times inside the audio. Without whisper-cli (or whisper-cpp) on PATH and a
// model named by $SIGHTLINE_WHISPER_MODEL it is NOT RUN, and make test says so.
func TestWhisperReal(t *testing.T) {
	e, err := NewWhisper(Config{})
	var ni *NotInstalledError
	if errors.As(err, &ni) {
		// whisper.cpp and its model are a site's own (no Debian package; scripts/deps.sh does
		// not install them): a machine may lack them for good.
		notrun.Allow(t, ni.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := exec.LookPath("python3"); err != nil {
		notrun.Skip(t, "python3 is not installed (espeak_words.py speaks the test sentences)")
	}
	sents, _ := unseenSet(t)
	dir := t.TempDir()
	var errs, words int
	for i := 0; i < len(sents); i += 15 {
		s := sents[i]
		a, _ := synth(t, dir, fmt.Sprintf("w%d", i), "en-us", 150, strings.Join(s, " "))
		hyp, err := e.Recognize(context.Background(), a)
		if err != nil {
			t.Fatalf("%s on %q: %v", e.Bin, strings.Join(s, " "), err)
		}
		for _, w := range hyp {
			if w.Begin < 0 || w.End < w.Begin || w.End > a.Seconds+0.5 {
				t.Errorf("word %+v outside the %.2f s of audio", w, a.Seconds)
			}
		}
		errs += wordErrors(s, wordsOf(hyp))
		words += len(s)
		t.Logf("ref: %s\nhyp: %s", strings.Join(s, " "), strings.Join(wordsOf(hyp), " "))
	}
	wer := float64(errs) / float64(words)
	t.Logf("whisper.cpp (%s, model %s): WER %.1f%% over %d words", e.Bin, e.Model(), 100*wer, words)
	if wer > 0.5 {
		t.Errorf("whisper.cpp WER %.1f%%: the engine does not hear the speech", 100*wer)
	}
}
