package transcribe

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"sightline/internal/notrun"
)

// The readers of the recognition tests are synthetic voices. espeak-ng's (formant synthesis,
// no human recording behind it) are the make test subset's; make bench-asr adds voices made
// from recordings of real people, as Debian ships them: flite's slt (US female), rms (US male)
// and awb (Scottish male), statistical voices trained on the CMU ARCTIC recordings, flite's
// kal16 (US male) and Festival's ked (US male), diphone voices that join short pieces of one
// person's recorded speech. They are still synthetic: every word is said the same way each
// time, and a real radiologist was not measured. A voice is "NAME" (espeak-ng) or
// "flite:NAME", "festival:NAME".
var otherVoices = []string{"flite:slt", "flite:rms", "flite:awb", "flite:kal16", "festival:ked_diphone"}

var asrVoiceList = flag.String("asr.voices", "", "comma-separated voices for the WER and robustness tests (espeak-ng names, flite:NAME, festival:NAME); default: espeak-ng's three, and with -asr.full the flite and Festival ones too")

func init() {
	flag.Func("asr.speeds", "comma-separated speeds for the WER tests, words a minute (default 150,185; flite and Festival: 150 is their natural pace)", func(v string) error {
		var sp []int
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 80 || n > 300 {
				return fmt.Errorf("speed %q: want words a minute, 80 to 300", f)
			}
			sp = append(sp, n)
		}
		asrSpeeds = sp
		return nil
	})
}

// benchVoices are the voices TestUnseenWER speaks the set in.
func benchVoices() []string {
	if *asrVoiceList != "" {
		return strings.Split(*asrVoiceList, ",")
	}
	if *asrFull {
		return append(append([]string{}, asrVoices...), otherVoices...)
	}
	return asrVoices
}

// synthOf splits a voice into its synthesizer and the synthesizer's name for it.
func synthOf(voice string) (synth, name string) {
	if s, n, ok := strings.Cut(voice, ":"); ok {
		return s, n
	}
	return "espeak-ng", voice
}

// speedName is a row's speed: espeak-ng takes words a minute; flite and Festival speak at their
// recordings' own pace, stretched by 150/wpm (185 is 1.23 times as fast as natural).
func speedName(voice string, wpm int) string {
	if s, _ := synthOf(voice); s == "espeak-ng" {
		return fmt.Sprintf("%d wpm", wpm)
	}
	if wpm == 150 {
		return "natural pace"
	}
	return fmt.Sprintf("×%.2f pace", float64(wpm)/150)
}

// haveVoice says whether voice's synthesizer is installed (espeak-ng always is where the tests
// run: needTools).
func haveVoice(voice string) bool {
	s, _ := synthOf(voice)
	bin := map[string]string{"espeak-ng": "espeak-ng", "flite": "flite", "festival": "text2wave"}[s]
	_, err := exec.LookPath(bin)
	return bin != "" && err == nil
}

// say writes text in voice at wpm to path with the synthesizer's program (espeak-ng at its
// 22050 Hz, flite and Festival's diphone voices at 16 kHz).
func say(t testing.TB, voice string, wpm int, text, path string) {
	t.Helper()
	s, name := synthOf(voice)
	stretch := fmt.Sprintf("%.4f", 150/float64(wpm))
	var cmd *exec.Cmd
	switch s {
	case "espeak-ng":
		cmd = exec.Command("espeak-ng", "-v", name, "-s", fmt.Sprint(wpm), "-w", path, text)
	case "flite":
		cmd = exec.Command("flite", "-voice", name, "--setf", "duration_stretch="+stretch, "-o", path, "-f", "/dev/stdin")
		cmd.Stdin = strings.NewReader(text)
	case "festival":
		txt := path + ".txt"
		if err := os.WriteFile(txt, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(txt)
		cmd = exec.Command("text2wave", "-o", path, "-eval", "(voice_"+name+")",
			"-eval", "(Parameter.set 'Duration_Stretch "+stretch+")", txt)
	default:
		t.Fatalf("voice %q: unknown synthesizer %q", voice, s)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s %d: %v %s", s, name, wpm, err, lastLines(string(out), 2))
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() <= 44 {
		t.Fatalf("%s %s: no audio written to %s", s, name, path)
	}
}

// skipVoice marks a voice whose synthesizer is missing as not run.
func skipVoice(t *testing.T, voice string) bool {
	t.Helper()
	if haveVoice(voice) {
		return false
	}
	s, _ := synthOf(voice)
	t.Run(voice, func(t *testing.T) {
		notrun.Skip(t, s+" is not installed (apt-get install flite festival festvox-kdlpc16k)")
	})
	return true
}
