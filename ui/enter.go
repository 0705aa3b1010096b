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
	enterDoes(c, d.SetOnClosed, d.Confirm)
}

// EnterDismisses is EnterConfirms for a dialog with one button (its dismiss button, the
// highlighted one): Enter presses it. d's own on-closed callback, if any, must be set before.
func EnterDismisses(d *dialog.CustomDialog, c fyne.Canvas, onClosed func()) {
	enterDoes(c, func(f func()) {
		d.SetOnClosed(func() {
			f()
			if onClosed != nil {
				onClosed()
			}
		})
	}, d.Hide)
}

// enterDoes routes Enter on c to act until the dialog closes (setOnClosed tells it when).
func enterDoes(c fyne.Canvas, setOnClosed func(func()), act func()) {
	prev := c.OnTypedKey()
	closed := false
	setOnClosed(func() { closed = true })
	c.SetOnTypedKey(func(e *fyne.KeyEvent) {
		if closed {
			if prev != nil {
				prev(e)
			}
			return
		}
		if e.Name == fyne.KeyReturn || e.Name == fyne.KeyEnter {
			c.SetOnTypedKey(prev) // before the answer, which may install a handler of its own
			act()
		}
	})
}
