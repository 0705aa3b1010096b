package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// The console's End session asks first: Keep the session leaves it running, End session ends it.
func TestOperatorEndAsks(t *testing.T) {
	test.NewTempApp(t)
	src := &fakeSource{}
	o := NewOperator(src)
	w := test.NewTempWindow(t, o.Content())
	w.Resize(fyne.NewSize(1120, 440))
	test.Tap(buttonsIn(o.Content())["End session"])
	if len(src.calls) != 0 || o.endAsk == nil || !o.endAsk.Visible() {
		t.Fatalf("End session: calls %v, question up %v; want a question, the session running", src.calls, o.endAsk != nil)
	}
	test.Tap(buttonsIn(o.endAsk.Content)["Keep the session"])
	if len(src.calls) != 0 || o.endAsk != nil {
		t.Fatalf("Keep the session: calls %v", src.calls)
	}
	test.Tap(buttonsIn(o.Content())["End session"])
	test.Tap(buttonsIn(o.endAsk.Content)["End session"])
	if strings.Join(src.calls, ",") != "end" {
		t.Fatalf("End session confirmed: calls %v", src.calls)
	}
}
