package ui

import (
	"fmt"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/boxedit"
)

// boxCanvas is the box editor's canvas: the editing stage, taking the pointer (click to
// select, drag a box or a handle, drag elsewhere to pan, Ctrl+drag for window/level, the
// wheel to zoom) and the keys.
type boxCanvas struct {
	widget.BaseWidget
	b *BoxEditor

	pressed  bool
	press    fyne.Position
	pressMod fyne.KeyModifier
	mode     dragMode
	at       fyne.Position // the pointer during a drag, from the press and the deltas
	wl0      [2]float64    // window/level when a window/level drag began
	shift    bool
	// rightAt is where the pointer was at the last move with the right button held, which
	// pans (Fyne sends drag events for the other buttons only); rightDown while it is held.
	rightAt   fyne.Position
	rightDown bool
}

type dragMode int

const (
	dragNone dragMode = iota
	dragBox
	dragPan
	dragWindow
)

func newBoxCanvas(b *BoxEditor) *boxCanvas {
	c := &boxCanvas{b: b}
	c.ExtendBaseWidget(c)
	b.stage.OnPointer = func(fx, fy float64, inside bool) {
		if b.ed == nil {
			return
		}
		s := ""
		if x, y, ok := b.img.Layout.ToDICOM(fx, fy); ok && inside {
			s = fmt.Sprintf("pointer %d, %d", x, y)
		}
		b.updateStatus(s)
	}
	b.stage.OnMove = c.rightDrag
	return c
}

// rightDrag pans by the pointer's move while the right button is held.
func (c *boxCanvas) rightDrag(e *desktop.MouseEvent) {
	if !c.rightDown || e.Button&desktop.MouseButtonSecondary == 0 {
		c.rightDown = false // released outside the canvas: no MouseUp came
		return
	}
	d := e.Position.Subtract(c.rightAt)
	c.rightAt = e.Position
	if c.b.ed != nil && (d.X != 0 || d.Y != 0) {
		c.b.stage.PanBy(d.X, d.Y)
		c.b.updateStatus("")
	}
}

func (c *boxCanvas) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(c.b.stage)
}

func (c *boxCanvas) toDICOM(p fyne.Position) boxedit.Pt {
	return c.b.stage.DicomView().ToDICOM(boxedit.Pt{X: float64(p.X), Y: float64(p.Y)})
}

// MouseDown is part of desktop.Mouseable: the press point and modifiers decide what a drag does.
func (c *boxCanvas) MouseDown(e *desktop.MouseEvent) {
	c.pressed, c.press, c.pressMod = true, e.Position, e.Modifier
	if e.Button == desktop.MouseButtonSecondary {
		c.rightDown, c.rightAt = true, e.Position // the right button pans (rightDrag)
	}
}

// MouseUp is part of desktop.Mouseable.
func (c *boxCanvas) MouseUp(e *desktop.MouseEvent) {
	if e.Button == desktop.MouseButtonSecondary {
		c.rightDown = false
	}
}

// Tapped selects the zone under the pointer (none on empty image).
func (c *boxCanvas) Tapped(e *fyne.PointEvent) {
	c.pressed = false
	b := c.b
	b.focus()
	if b.ed == nil {
		return
	}
	i, _ := b.ed.HitTest(c.toDICOM(e.Position), b.stage.DicomView())
	if i != b.ed.Sel {
		b.ed.Select(i)
		b.redraw()
	}
}

// Dragged is part of fyne.Draggable.
func (c *boxCanvas) Dragged(e *fyne.DragEvent) {
	b := c.b
	if b.ed == nil {
		return
	}
	if c.mode == dragNone {
		start := c.press
		if !c.pressed {
			start = e.Position.Subtract(e.Dragged)
		}
		c.at = start
		switch {
		case c.pressMod&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0:
			c.mode = dragWindow
			c.wl0[0], c.wl0[1] = b.stage.Window()
		case c.pressMod&fyne.KeyModifierShift != 0:
			c.mode = dragPan
		default:
			i, part := b.ed.HitTest(c.toDICOM(start), b.stage.DicomView())
			c.mode = dragPan
			switch {
			case i >= 0 && b.ed.BeginDrag(i, part, c.toDICOM(start)):
				c.mode = dragBox
			case i >= 0 && b.ed.Zones[i].Box.Locked:
				b.message.SetText(fmt.Sprintf("%s is locked, so the drag pans the image: press L to unlock it", b.ed.Zones[i].Name))
			}
		}
	}
	c.at = c.at.Add(e.Dragged)
	switch c.mode {
	case dragBox:
		if b.ed.DragTo(c.toDICOM(c.at)) {
			// The panels follow at the drag's end; the status line says where the box is.
			b.drawBoxes()
			b.updateStatus("")
		}
	case dragPan:
		b.stage.PanBy(e.Dragged.DX, e.Dragged.DY)
		b.updateStatus("")
	case dragWindow:
		// Right widens the window, down raises the level (darker), one grey level per unit.
		d := c.at.Subtract(c.press)
		b.stage.SetWindow(c.wl0[0]+float64(d.Y), c.wl0[1]+float64(d.X))
		b.updateStatus("")
	}
}

// DragEnd is part of fyne.Draggable: a box drag becomes one undo step.
func (c *boxCanvas) DragEnd() {
	mode := c.mode
	c.mode, c.pressed = dragNone, false
	if mode == dragBox {
		_, _, was := c.b.ed.Dragging()
		c.b.ed.EndDrag()
		c.b.edit(was)
	}
}

// Scrolled zooms around the pointer.
func (c *boxCanvas) Scrolled(e *fyne.ScrollEvent) {
	// A wheel notch is ≈ 25 units under GLFW: about ×1.27 a notch.
	c.b.stage.ZoomAt(math.Pow(1.1, float64(e.Scrolled.DY)/10), e.Position)
	c.b.updateStatus("")
}

// FocusGained, FocusLost: part of fyne.Focusable.
func (c *boxCanvas) FocusGained() {}
func (c *boxCanvas) FocusLost()   { c.shift = false }

// AcceptsTab keeps Tab for selecting the next zone.
func (c *boxCanvas) AcceptsTab() bool { return true }

// KeyDown, KeyUp: part of desktop.Keyable, for Shift (Shift+arrows, Shift+Tab).
func (c *boxCanvas) KeyDown(e *fyne.KeyEvent) {
	if e.Name == desktop.KeyShiftLeft || e.Name == desktop.KeyShiftRight {
		c.shift = true
	}
}

func (c *boxCanvas) KeyUp(e *fyne.KeyEvent) {
	if e.Name == desktop.KeyShiftLeft || e.Name == desktop.KeyShiftRight {
		c.shift = false
	}
}

// TypedKey handles the editor's keys.
func (c *boxCanvas) TypedKey(e *fyne.KeyEvent) {
	b := c.b
	if b.ed == nil {
		return
	}
	step := 1.0
	if c.shift {
		step = 10
	}
	ed := b.ed
	switch e.Name {
	case fyne.KeyLeft:
		b.edit(ed.Nudge(-step, 0))
	case fyne.KeyRight:
		b.edit(ed.Nudge(step, 0))
	case fyne.KeyUp:
		b.edit(ed.Nudge(0, -step))
	case fyne.KeyDown:
		b.edit(ed.Nudge(0, step))
	case fyne.KeyTab:
		if c.shift {
			ed.SelectNext(-1)
		} else {
			ed.SelectNext(1)
		}
		b.redraw()
	case fyne.KeyN:
		b.addZone()
	case fyne.KeyDelete, fyne.KeyBackspace:
		b.edit(ed.MarkAbsent(ed.Sel))
	case fyne.KeyL:
		b.edit(ed.ToggleLock(ed.Sel))
	case fyne.KeyH:
		b.toggleSolo()
	case fyne.KeyReturn, fyne.KeyEnter:
		b.Confirm()
	case fyne.KeyPageDown:
		b.Next(1)
	case fyne.KeyPageUp:
		b.Next(-1)
	case fyne.KeyEscape:
		ed.Select(-1)
		b.redraw()
	}
}

// TypedRune handles the view's keys: + and − zoom, 0 resets the view and the window, [ and ]
// narrow and widen the window, , and . lower and raise the level.
func (c *boxCanvas) TypedRune(r rune) {
	b := c.b
	zoom, cx, cy := b.stage.Zoom()
	center, width := b.stage.Window()
	switch r {
	case '+', '=':
		b.stage.SetZoom(zoom*1.5, cx, cy)
	case '-':
		b.stage.SetZoom(zoom/1.5, cx, cy)
	case '0':
		b.resetView()
	case '[':
		b.stage.SetWindow(center, width*0.8)
	case ']':
		b.stage.SetWindow(center, width*1.25)
	case ',':
		b.stage.SetWindow(center-8, width)
	case '.':
		b.stage.SetWindow(center+8, width)
	default:
		return
	}
	b.updateStatus("")
}

// TypedShortcut: Ctrl+Z undo, Ctrl+Shift+Z and Ctrl+Y redo, Ctrl+S save.
func (c *boxCanvas) TypedShortcut(s fyne.Shortcut) {
	b := c.b
	if b.ed == nil {
		return
	}
	switch s := s.(type) {
	case *fyne.ShortcutUndo:
		b.edit(b.ed.Undo())
	case *fyne.ShortcutRedo:
		b.edit(b.ed.Redo())
	case *desktop.CustomShortcut:
		ctrl := s.Modifier&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0
		switch {
		case ctrl && s.KeyName == fyne.KeyZ && s.Modifier&fyne.KeyModifierShift != 0:
			b.edit(b.ed.Redo())
		case ctrl && s.KeyName == fyne.KeyZ:
			b.edit(b.ed.Undo())
		case ctrl && s.KeyName == fyne.KeyS:
			b.save()
		}
	}
}
