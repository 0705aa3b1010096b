package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestSettingsNamesMonitors: the microphone list says which devices record what the computer
// plays rather than the reader.
func TestSettingsNamesMonitors(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(900, 600))
	ShowSettings(w, []string{"Monitor of Sightline_test", "USB headset"}, nil, "", func(string) {}, "Monitor of Sightline_test")
	if txt := overlayText(w); !strings.Contains(txt, `Not microphones (they record what this computer plays): "Monitor of Sightline_test".`) {
		t.Errorf("Settings does not name the monitor:\n%s", txt)
	}
}
