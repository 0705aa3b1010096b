package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
)

// OfferOwnPass wires the session summary of v in w to the reader's own pass: "Review my
// dictations" opens the pass with the options open gathers (off the UI goroutine; a failure
// is said over the summary); Close, when the reader leaves without it, runs decline off the
// UI goroutine, then closes as before.
func OfferOwnPass(w fyne.Window, v *Reading, open func() (OwnPassOptions, error), decline func()) {
	closeWindow := v.OnClose
	v.OnClose = func() {
		go func() {
			decline()
			Do(closeWindow)
		}()
	}
	v.OwnPass = func() {
		go func() {
			pass, err := open()
			Do(func() {
				if err != nil {
					dialog.ShowError(err, w)
					return
				}
				pass.Close = func() { v.OnClose() }
				view := NewOwnPass(w, pass)
				w.SetContent(view.Content())
				w.Canvas().SetOnTypedKey(view.TypedKey)
			})
		}()
	}
}
