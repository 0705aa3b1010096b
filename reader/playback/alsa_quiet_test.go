package playback

import (
	"os"
	"testing"
	"time"

	"sightline/internal/testkit"
)

// A machine without a sound server or a usable ALSA device: opening the output fails with
// libasound's own reason in the error, and libasound prints nothing to stderr (it printed some
// 35 "ALSA lib …" lines under a working review window).
func TestNoSoundCardSaysWhyQuietly(t *testing.T) {
	if testkit.ALSAChild() {
		if _, err := Open(48000, 2, 20*time.Second); err != nil {
			os.Stdout.WriteString("ERR " + err.Error() + "\n")
		} else {
			os.Stdout.WriteString("OPENED\n")
		}
		return
	}
	testkit.QuietALSAFailure(t, "TestNoSoundCardSaysWhyQuietly", "sound output:")
}
