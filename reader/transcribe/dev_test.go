package transcribe

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

// asrDev runs the development measurements (TestAdaptDev): what the front end's noise floor
// and the adaptation method were chosen on. Never the unseen set.
var asrDev = flag.String("asr.dev", "", "development measurement: \"method\" (adaptation methods), \"noise\" or \"noise-base\" (front-end noise floor levels, enrolled or base), \"robust\" (the robustness check), on testdata/heldout.txt")

// noiseLevels are the noise floor levels -asr.dev=noise compares (-asr.levels picks some).
var noiseLevels = []float64{math.Inf(-1), -60, -50, -40}

func init() {
	flag.Func("asr.levels", "noise floor levels for -asr.dev=noise, comma-separated dBFS (-Inf: none)", func(s string) error {
		noiseLevels = nil
		for _, f := range strings.Split(s, ",") {
			l, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return err
			}
			noiseLevels = append(noiseLevels, l)
		}
		return nil
	})
}

// TestAdaptDev measures, on the development set (testdata/heldout.txt, 20 sentences: close to
// the corpus, so it flatters every setting alike; not the unseen set), the word error rate in
// every voice and speed of the unseen bench, for each adaptation method or each noise floor
// level. It only runs when asked: go test -run TestAdaptDev -v -args -asr.dev=method|noise|noise-base.
func TestAdaptDev(t *testing.T) {
	if *asrDev == "" {
		t.Skip("a development measurement: -args -asr.dev=method, noise or noise-base")
	}
	sents := heldOut(t)
	dir := t.TempDir()
	type setting struct {
		name  string
		noise float64
		eng   func(v string, sp int) *PocketSphinx
	}
	var settings []setting
	switch *asrDev {
	case "method":
		settings = []setting{{"base", math.Inf(-1), func(string, int) *PocketSphinx { return sphinx(t) }}}
		for _, m := range []string{MethodMAP, MethodMLLR} {
			settings = append(settings, setting{m, math.Inf(-1), func(v string, sp int) *PocketSphinx { return enrolled(t, v, sp, m) }})
		}
	case "noise":
		// With the readers enrolled (MAP), as transcribe decodes them: each level's enrollment
		// goes through the same front end.
		for _, l := range noiseLevels {
			settings = append(settings, setting{fmt.Sprintf("floor %.0f dBFS", l), l, func(v string, sp int) *PocketSphinx { return enrolled(t, v, sp, MethodMAP) }})
		}
	case "noise-base":
		// The same levels for a reader who has not enrolled (the base model).
		for _, l := range noiseLevels {
			settings = append(settings, setting{fmt.Sprintf("base, floor %.0f dBFS", l), l, func(string, int) *PocketSphinx { return sphinx(t) }})
		}
	case "robust":
		// The robustness check of the goal table (robustness) on 8 development sentences a
		// voice, at each noise floor level: what the front end's floor was checked on.
		defer func(l float64) { noiseFloorDBFS = l }(noiseFloorDBFS)
		for _, l := range noiseLevels {
			noiseFloorDBFS = l
			t.Logf("dev robustness, floor %.0f dBFS: worst variant %+.1f points", l, robustness(t, sents, benchVoices(), 8))
		}
		return
	default:
		t.Fatalf("-asr.dev=%q: want method, noise, noise-base or robust", *asrDev)
	}
	defer func(l float64) { noiseFloorDBFS = l }(noiseFloorDBFS)
	for _, st := range settings {
		noiseFloorDBFS = st.noise
		var errs, words int
		var rows []string
		for _, v := range asrVoices {
			for _, sp := range asrSpeeds {
				eng := st.eng(v, sp)
				var e, n int
				for i, s := range sents {
					p := speak(t, dir, fmt.Sprintf("dev%d-%s-%d", i, v, sp), v, sp, strings.Join(s, " "))
					_, h := score(t, eng, p, s)
					e += wordErrors(s, h)
					n += len(s)
				}
				rows = append(rows, fmt.Sprintf("%s %d %s", v, sp, pct(e, n)))
				errs, words = errs+e, words+n
			}
		}
		t.Logf("dev %-18s WER %6s of %d words  (%s)", st.name, pct(errs, words), words, strings.Join(rows, ", "))
	}
}
