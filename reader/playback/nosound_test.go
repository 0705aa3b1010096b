package playback

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const childEnv = "SIGHTLINE_PLAYBACK_NOSOUND_CHILD"

// TestNoSoundOutput runs in a child process (oto allows one output per process) with no sound
// server and no sound card: opening fails with an error or playing reports one, within the
// deadlines, never a player that "plays" for ever.
func TestNoSoundOutput(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		out, err := Open(16000, 1, 3*time.Second)
		if err != nil {
			os.Stdout.WriteString("OPEN FAILED: " + err.Error() + "\n")
			return
		}
		if err := out.Play(make([]int16, 16000), 16000, 1, 0, 1); err != nil {
			os.Stdout.WriteString("PLAY FAILED: " + err.Error() + "\n")
			return
		}
		deadline := time.Now().Add(2 * time.Minute) // the failure comes in ms; a loaded machine may be slow
		for time.Now().Before(deadline) {
			_, playing, err := out.Heard()
			if err != nil {
				os.Stdout.WriteString("HEARD FAILED: " + err.Error() + "\n")
				return
			}
			if !playing {
				os.Stdout.WriteString("PLAYED\n")
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		os.Stdout.WriteString("STILL PLAYING\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestNoSoundOutput$", "-test.v")
	dir := t.TempDir()
	cmd.Env = append(os.Environ(), childEnv+"=1", "PULSE_SERVER=unix:"+dir+"/none", "ALSA_CONFIG_PATH="+dir+"/none.conf")
	out, _ := cmd.CombinedOutput()
	s := string(out)
	t.Log(strings.TrimSpace(s))
	if !strings.Contains(s, "FAILED: ") {
		t.Fatalf("without a sound output, the child says:\n%s", s)
	}
}
