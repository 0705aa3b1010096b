package app

import (
	"fmt"

	"fyne.io/fyne/v2"

	"sightline/ui"
)

// errNoDisplay is why the station's window cannot open; the command-line commands need none.
var errNoDisplay = ui.ErrNoDisplay

// headlessHint is what the user can still do without a display.
const headlessHint = "prepare, export, import-egd, analyze, heatmap and gazesim work without one"

// checkDisplay says, before Fyne is started, whether a display is there (ui.CheckDisplay), and
// what works without one.
func checkDisplay() error {
	if err := ui.CheckDisplay(); err != nil {
		return fmt.Errorf("%w; %s", err, headlessHint)
	}
	return nil
}

// openWindow starts Fyne and opens a window (ui.OpenWindow); without a display it says what
// works without one.
func openWindow(id, title string) (fyne.App, fyne.Window, error) {
	a, w, err := ui.OpenWindow(id, title)
	if err != nil {
		return nil, nil, fmt.Errorf("%w; %s", err, headlessHint)
	}
	return a, w, nil
}
