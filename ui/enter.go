package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
)

// EnterConfirms makes Enter press a confirm dialog's highlighted button while it is up, as
// Enter does on the reading cards: Fyne's dialogs take no keys, so a reader who answered the
// resume offer with Enter waited on it for good. Call it before d.Show. The canvas's own key
// handler gets the keys back once the dialog has closed, however it was closed (a callback
// that installs a handler of its own keeps it).
func EnterConfirms(d *dialog.ConfirmDialog, c fyne.Canvas) {
	prev := c.OnTypedKey()
	closed := false
	d.SetOnClosed(func() { closed = true })
	c.SetOnTypedKey(func(e *fyne.KeyEvent) {
		if closed {
			if prev != nil {
				prev(e)
			}
			return
		}
		if e.Name == fyne.KeyReturn || e.Name == fyne.KeyEnter {
			c.SetOnTypedKey(prev) // before the answer, which may install a handler of its own
			d.Confirm()
		}
	})
}
