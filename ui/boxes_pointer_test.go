package ui

import (
	"math"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/boxedit"
)

// TestBoxEditorRightDragPans: Fyne sends no drag events for the right button; the editor pans
// by the pointer's moves while it is held, and stops when it is released.
func TestBoxEditorRightDragPans(t *testing.T) {
	r := newBoxRig(t, 1)
	at := func(x, y float32) *desktop.MouseEvent {
		return &desktop.MouseEvent{Button: desktop.MouseButtonSecondary, PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, y)}}
	}
	v0 := r.ed.stage.DicomView()
	r.ed.cv.MouseDown(at(500, 500))
	r.ed.stage.MouseMoved(at(520, 505))
	r.ed.stage.MouseMoved(at(530, 510))
	v1 := r.ed.stage.DicomView()
	if math.Abs(v1.OX-v0.OX-30) > 0.01 || math.Abs(v1.OY-v0.OY-10) > 0.01 {
		t.Fatalf("a right drag of 30, 10 moved the image by %v, %v", v1.OX-v0.OX, v1.OY-v0.OY)
	}
	r.ed.cv.MouseUp(at(530, 510))
	moved := at(600, 600)
	moved.Button = 0
	r.ed.stage.MouseMoved(moved)
	if v2 := r.ed.stage.DicomView(); v2.OX != v1.OX || v2.OY != v1.OY {
		t.Fatalf("the pointer moved with no button pans: %v → %v", v1, v2)
	}
}

// TestBoxEditorLockedBoxDragSays: dragging a locked box leaves it where it is and says why
// the image pans instead (before, it panned without a word).
func TestBoxEditorLockedBoxDragSays(t *testing.T) {
	r := newBoxRig(t, 1)
	r.w.Canvas().Focus(r.ed.cv)
	r.ed.Editor().Select(boxedit.ZoneIndex("trachea"))
	r.key(fyne.KeyL)
	before := r.zone("trachea")
	if !before.Locked {
		t.Fatal("L did not lock the trachea")
	}
	r.drag(boxedit.Pt{X: 1300, Y: 500}, 40, 20, 0)
	if got := r.zone("trachea"); got != before {
		t.Fatalf("a drag moved the locked box: %+v → %+v", before, got)
	}
	if msg := r.ed.message.Text; !strings.Contains(msg, "trachea is locked, so the drag pans the image: press L to unlock it") {
		t.Errorf("message %q", msg)
	}
}

// TestBoxEditorShowsEveryZone: in a 1600×1000 window all 17 zone rows are in view, and an
// adjudication panel and a long message appearing below them move none (before, 13 showed,
// and the panel moved the rows under the pointer).
func TestBoxEditorShowsEveryZone(t *testing.T) {
	r := newBoxRig(t, 1)
	d := fyne.CurrentApp().Driver()
	where := func() (fyne.Position, fyne.Size) {
		return d.AbsolutePositionForObject(r.ed.zoneList), r.ed.zoneList.Size()
	}
	pos, size := where()
	need := allRows{n: 17}.MinSize([]fyne.CanvasObject{r.ed.zoneList}).Height
	if size.Height < need || pos.Y+size.Height > r.w.Canvas().Size().Height {
		t.Fatalf("the zone list is %v high at y %v in a %v window; its 17 rows need %v", size.Height, pos.Y, r.w.Canvas().Size(), need)
	}
	for range 4 {
		r.ed.adjudicate.Add(widget.NewButton("keep ann's box: x 100–200 y 300–400 (2026-12-07 20:00)", func() {}))
	}
	r.ed.message.SetText(strings.Repeat("a message that wraps over several lines ", 20))
	r.ed.aid.SetText(strings.Repeat("the readers' gaze on this zone ", 10))
	if p2, s2 := where(); p2 != pos || s2 != size {
		t.Fatalf("the adjudication panel moved the zone rows: %v %v → %v %v", pos, size, p2, s2)
	}
}
