package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// prefReviewer is the preference key of the last reviewer's name.
const prefReviewer = "reviewer"

// AskReviewer asks on w who is reviewing, offering the name last given (def the first time),
// and opens the review as that reviewer. When open fails the screen goes back and the error
// is shown.
func AskReviewer(w fyne.Window, prefs fyne.Preferences, def string, open func(reviewer string) error, back func()) {
	name := widget.NewEntry()
	name.SetText(prefs.StringWithFallback(prefReviewer, def))
	dialog.ShowForm("Who is reviewing?", "Review", "Cancel", []*widget.FormItem{widget.NewFormItem("Reviewer", name)}, func(ok bool) {
		if !ok || name.Text == "" {
			return
		}
		prefs.SetString(prefReviewer, name.Text)
		if err := open(name.Text); err != nil {
			back()
			dialog.ShowError(err, w)
		}
	}, w)
}
