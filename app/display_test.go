package app

import (
	"log"
	"os"
	"testing"
)

// Fyne's own complaints (a call off the UI goroutine, say) reach stderr again once Fyne is
// initialised, whatever the locale: earlylog only hides its init-time locale message.
func TestLoggerRestoredAfterInit(t *testing.T) {
	if log.Writer() != os.Stderr {
		t.Errorf("the standard logger writes to %T, not stderr", log.Writer())
	}
}
