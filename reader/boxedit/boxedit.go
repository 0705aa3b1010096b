// Package boxedit is the box editor's model, without any toolkit: one image's 17 anatomical
// boxes in DICOM pixels with their status and locks, hit-testing and dragging through a view
// (DICOM pixels to canvas units), nudges, undo and redo, the rows a save appends to the review
// store, the store's changes and conflicts folded back in, and the gaze aid.
package boxedit

import (
	"math"
	"slices"

	"sightline/reader/review"
	"sightline/reader/study"
)

// Pt is a point in DICOM pixels (or in canvas units, for View.ToCanvas's result).
type Pt struct{ X, Y float64 }

// View places DICOM pixels on the canvas uniformly: canvas = O + dicom·K, in canvas units.
// The UI derives it from the stage's letterbox, the image's layout, the zoom and the pan.
type View struct{ K, OX, OY float64 }

// ToCanvas maps DICOM pixels to canvas units.
func (v View) ToCanvas(p Pt) Pt { return Pt{v.OX + p.X*v.K, v.OY + p.Y*v.K} }

// ToDICOM maps canvas units to DICOM pixels.
func (v View) ToDICOM(c Pt) Pt {
	if v.K == 0 {
		return Pt{}
	}
	return Pt{(c.X - v.OX) / v.K, (c.Y - v.OY) / v.K}
}

// HandleGrab is how far from a handle, in canvas units, a press still takes it: a handle is
// as easy to hit at every zoom.
const HandleGrab = 7

// Part is the part of a box under the pointer.
type Part int

// The parts of a box: its body and its 8 handles (edges and corners, by compass point).
const (
	None Part = iota
	Body
	N
	S
	E
	W
	NE
	NW
	SE
	SW
)

// Handles are the 8 handles in drawing order.
var Handles = [8]Part{NW, N, NE, E, SE, S, SW, W}

// moves reports which edges a part moves: left (x1), right (x2), top (y1), bottom (y2).
func (p Part) moves() (x1, x2, y1, y2 bool) {
	switch p {
	case Body:
		return true, true, true, true
	case N:
		return false, false, true, false
	case S:
		return false, false, false, true
	case E:
		return false, true, false, false
	case W:
		return true, false, false, false
	case NE:
		return false, true, true, false
	case NW:
		return true, false, true, false
	case SE:
		return false, true, false, true
	case SW:
		return true, false, false, true
	}
	return
}

// HandleAt is where a handle of b sits, in DICOM pixels.
func HandleAt(b review.Box, p Part) Pt {
	mx, my := (b.X1+b.X2)/2, (b.Y1+b.Y2)/2
	x, y := mx, my
	x1, x2, y1, y2 := p.moves()
	switch {
	case x1:
		x = b.X1
	case x2:
		x = b.X2
	}
	switch {
	case y1:
		y = b.Y1
	case y2:
		y = b.Y2
	}
	return Pt{x, y}
}

// Zone is one of the image's 17 zones as the editor holds it.
type Zone struct {
	Name string
	Box  review.Box // as it stands in the editor
	// Base is the store revision Box was started from (0: the study's original box) and
	// Saved the box at that revision: Box differs from Saved while the edit is not saved.
	Base  int64
	Saved review.Box
	// Stale is set when someone else saved this box after Base while it had unsaved edits
	// here: saving it will store a conflict.
	Stale bool
	// Conflict is the box's open conflict in the store, nil when there is none.
	Conflict *review.Conflict
	// By is who last saved the box in the store ("" for the study's original).
	By string

	// orig is the study's original box (the box at revision 0).
	orig review.Box
	// reverting is set when an undo or redo met a box someone else changed since the step:
	// the edit is then based on against, the revision the step was made on, so the store
	// keeps it as a conflict instead of overwriting the other person's box.
	reverting bool
	against   int64
}

// Dirty reports whether the zone has unsaved edits.
func (z *Zone) Dirty() bool { return z.Box != z.Saved }

// Editor is one image's boxes being edited by one person.
type Editor struct {
	DicomID string
	W, H    int // the image in DICOM pixels
	Who     string
	Zones   []Zone // in study.ZoneNames order
	// Sel is the selected zone, −1 for none. Solo hides every zone but the selected one.
	Sel  int
	Solo bool

	undo, redo []step
	drag       *drag
}

// change is one zone's box before and after an edit, and the revision it was made on.
type change struct {
	zone          int
	before, after review.Box
	base          int64
}

// step is what one undo takes back: one or several zones changed by one action.
type step []change

type drag struct {
	zone  int
	part  Part
	from  Pt
	start review.Box
}

// New opens an image for editing: its original boxes from the study (zones it lacks have no
// box) with the store's log of that image folded in.
func New(dicomID string, w, h int, who string, original []study.Box, log []review.BoxEdit) *Editor {
	e := &Editor{DicomID: dicomID, W: w, H: h, Who: who, Sel: -1, Zones: make([]Zone, len(study.ZoneNames))}
	for i, name := range study.ZoneNames {
		z := &e.Zones[i]
		z.Name = name
		for _, b := range original {
			if b.Name == name {
				z.Box = review.Box{Status: review.Original, X1: b.X1, X2: b.X2, Y1: b.Y1, Y2: b.Y2}
			}
		}
		z.Saved, z.orig = z.Box, z.Box
	}
	e.Reload(log)
	return e
}

// ZoneIndex returns the index of a zone by name, −1 when it is not one of the 17.
func ZoneIndex(name string) int { return slices.Index(study.ZoneNames[:], name) }

// Reload folds the store's log of this image (every row, in revision order) into the zones.
// A zone without unsaved edits takes the store's box; one with unsaved edits keeps them and
// turns Stale when the store moved past its Base. Open conflicts are attached. It reports the
// zones whose box changed.
func (e *Editor) Reload(log []review.BoxEdit) []int {
	cur := review.CurrentBoxes(log)
	conflicts := map[string]review.Conflict{}
	for _, c := range review.Conflicts(log) {
		if c.Key.DicomID == e.DicomID {
			conflicts[c.Key.Zone] = c
		}
	}
	var changed []int
	for i := range e.Zones {
		z := &e.Zones[i]
		z.Conflict = nil
		if c, ok := conflicts[z.Name]; ok {
			z.Conflict = &c
		}
		row, ok := cur[review.BoxKey{DicomID: e.DicomID, Zone: z.Name}]
		if !ok || row.Rev == z.Base {
			continue
		}
		if z.Dirty() {
			z.Stale = true
			continue
		}
		if z.Box != row.After {
			changed = append(changed, i)
		}
		z.Box, z.Saved, z.Base, z.By, z.Stale, z.reverting = row.After, row.After, row.Rev, row.Who, false, false
	}
	return changed
}

// Edits are the rows a save appends: one per zone with unsaved edits, based on the revision
// the editor started from.
func (e *Editor) Edits() []review.BoxEdit {
	var out []review.BoxEdit
	for _, z := range e.Zones {
		if !z.Dirty() {
			continue
		}
		r := review.BoxEdit{Key: review.BoxKey{DicomID: e.DicomID, Zone: z.Name}, Base: z.Base, Before: z.Saved, After: z.Box, Who: e.Who}
		if z.reverting {
			// An undo of a step someone has since overruled: based on the step's revision,
			// so that it is a conflict, not a silent overwrite.
			r.Base, r.Before = z.against, z.orig
		}
		out = append(out, r)
	}
	return out
}

// Stored takes the rows the store returned for Edits. An accepted edit becomes the zone's
// base. A conflict leaves the zone as it is (the store kept the other person's box): the
// caller reloads the log, which shows the conflict and, once the zone is clean, the box as it
// stands. It returns how many rows were stored as conflicts.
func (e *Editor) Stored(rows []review.BoxEdit) (conflicts int) {
	for _, r := range rows {
		i := ZoneIndex(r.Key.Zone)
		if i < 0 || r.Key.DicomID != e.DicomID {
			continue
		}
		z := &e.Zones[i]
		if r.Kind == review.KindConflict {
			conflicts++
			// Our edit is in the store as a rival: nothing left unsaved; the zone shows the
			// box as it stands once reloaded.
			z.Box, z.Stale, z.reverting = z.Saved, false, false
			continue
		}
		z.Base, z.Saved, z.By, z.Stale, z.reverting = r.Rev, r.After, r.Who, false, false
	}
	return conflicts
}

// HasChanges reports whether any zone has unsaved edits.
func (e *Editor) HasChanges() bool {
	return slices.ContainsFunc(e.Zones, func(z Zone) bool { return z.Dirty() })
}

// Visible reports whether zone i is drawn and can be picked: it has a place, and Solo does
// not hide it.
func (e *Editor) Visible(i int) bool {
	if i < 0 || i >= len(e.Zones) || !e.Zones[i].Box.HasCoords() {
		return false
	}
	return !e.Solo || i == e.Sel
}

// HitTest finds what lies under p (DICOM pixels) in view v: first the selected zone's
// handles (the nearest within HandleGrab canvas units), then the body of the smallest
// visible zone that contains p (nested zones stay reachable), the selected one first.
func (e *Editor) HitTest(p Pt, v View) (int, Part) {
	if e.Visible(e.Sel) && v.K > 0 {
		b := e.Zones[e.Sel].Box
		tol := HandleGrab / v.K
		best, bestD := None, math.Inf(1)
		for _, h := range Handles {
			a := HandleAt(b, h)
			d := math.Max(math.Abs(a.X-p.X), math.Abs(a.Y-p.Y))
			if d <= tol && d < bestD {
				best, bestD = h, d
			}
		}
		if best != None {
			return e.Sel, best
		}
	}
	hit, area := -1, math.Inf(1)
	for i, z := range e.Zones {
		if !e.Visible(i) || p.X < z.Box.X1 || p.X > z.Box.X2 || p.Y < z.Box.Y1 || p.Y > z.Box.Y2 {
			continue
		}
		a := (z.Box.X2 - z.Box.X1) * (z.Box.Y2 - z.Box.Y1)
		if i == e.Sel {
			a = -1
		}
		if a < area {
			hit, area = i, a
		}
	}
	if hit < 0 {
		return -1, None
	}
	return hit, Body
}

// Select selects zone i (−1: none).
func (e *Editor) Select(i int) {
	if i < -1 || i >= len(e.Zones) {
		i = -1
	}
	e.Sel = i
}

// SelectNext moves the selection by delta (Tab +1, Shift+Tab −1) through all 17 zones,
// wrapping, so that a zone without a box can be reached to add it.
func (e *Editor) SelectNext(delta int) {
	n := len(e.Zones)
	if e.Sel < 0 {
		if delta >= 0 {
			e.Sel = 0
		} else {
			e.Sel = n - 1
		}
		return
	}
	e.Sel = ((e.Sel+delta)%n + n) % n
}

// editable reports whether zone i can be moved: it exists, has a place and is not locked.
func (e *Editor) editable(i int) bool {
	return i >= 0 && i < len(e.Zones) && e.Zones[i].Box.HasCoords() && !e.Zones[i].Box.Locked
}

// BeginDrag starts dragging part of zone i from p (DICOM pixels) and selects it. It refuses
// a locked zone or one without a box.
func (e *Editor) BeginDrag(i int, part Part, p Pt) bool {
	if part == None || !e.editable(i) {
		return false
	}
	e.Sel = i
	e.drag = &drag{zone: i, part: part, from: p, start: e.Zones[i].Box}
	return true
}

// Dragging reports whether a drag is under way, and of which zone and part.
func (e *Editor) Dragging() (int, Part, bool) {
	if e.drag == nil {
		return -1, None, false
	}
	return e.drag.zone, e.drag.part, true
}

// DragTo moves the dragged part so that it follows the pointer from where the drag began:
// edges land on whole DICOM pixels, stay inside the image, and a box keeps at least 1 px.
// It reports whether the box changed.
func (e *Editor) DragTo(p Pt) bool {
	d := e.drag
	if d == nil {
		return false
	}
	z := &e.Zones[d.zone]
	nb := z.unmoved(e.moved(d.start, d.part, p.X-d.from.X, p.Y-d.from.Y))
	if nb == z.Box {
		return false
	}
	z.Box = nb
	return true
}

// EndDrag ends the drag; a drag that changed the box is one undo step.
func (e *Editor) EndDrag() {
	d := e.drag
	e.drag = nil
	if d == nil {
		return
	}
	if after := e.Zones[d.zone].Box; after != d.start {
		e.push(step{{d.zone, d.start, after, e.Zones[d.zone].Base}})
	}
}

// moved is b with part moved by (dx, dy) DICOM pixels, snapped and kept inside the image.
func (e *Editor) moved(b review.Box, part Part, dx, dy float64) review.Box {
	W, H := float64(e.W), float64(e.H)
	if part == Body {
		dx, dy = math.Round(dx), math.Round(dy)
		// The body keeps its size and stops at the image's edges.
		dx = clamp(dx, -b.X1, W-b.X2)
		dy = clamp(dy, -b.Y1, H-b.Y2)
		b.X1, b.X2, b.Y1, b.Y2 = b.X1+dx, b.X2+dx, b.Y1+dy, b.Y2+dy
		return e.status(b)
	}
	x1, x2, y1, y2 := part.moves()
	if x1 {
		b.X1 = clamp(math.Round(b.X1+dx), 0, b.X2-1)
	}
	if x2 {
		b.X2 = clamp(math.Round(b.X2+dx), b.X1+1, W)
	}
	if y1 {
		b.Y1 = clamp(math.Round(b.Y1+dy), 0, b.Y2-1)
	}
	if y2 {
		b.Y2 = clamp(math.Round(b.Y2+dy), b.Y1+1, H)
	}
	return e.status(b)
}

// status marks a moved box edited.
func (e *Editor) status(b review.Box) review.Box {
	b.Status = review.Edited
	return b
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// Nudge moves the selected box by (dx, dy) DICOM pixels (arrows: 1, Shift+arrows: 10).
func (e *Editor) Nudge(dx, dy float64) bool {
	if !e.editable(e.Sel) {
		return false
	}
	z := &e.Zones[e.Sel]
	return e.set(e.Sel, z.unmoved(e.moved(z.Box, Body, dx, dy)))
}

// unmoved gives a box moved back to where it is saved its saved status again: a nudge that
// comes back leaves nothing to save.
func (z *Zone) unmoved(b review.Box) review.Box {
	s := z.Saved
	if s.HasCoords() && b.X1 == s.X1 && b.X2 == s.X2 && b.Y1 == s.Y1 && b.Y2 == s.Y2 && b.Locked == s.Locked {
		return s
	}
	return b
}

// set changes zone i's box as one undo step; no step when nothing changes.
func (e *Editor) set(i int, b review.Box) bool {
	z := &e.Zones[i]
	if z.Box == b {
		return false
	}
	e.push(step{{i, z.Box, b, z.Base}})
	z.Box = b
	return true
}

func (e *Editor) push(s step) {
	e.undo = append(e.undo, s)
	e.redo = e.redo[:0]
}

// AddMissing gives zone i (one without a box, or marked absent) a box: where it last had one
// when it had one, else a box a quarter of the image's size in its middle.
func (e *Editor) AddMissing(i int) bool {
	if i < 0 || i >= len(e.Zones) || e.Zones[i].Box.HasCoords() || e.Zones[i].Box.Locked {
		return false
	}
	b := e.lastPlace(i)
	b.Status, b.Locked = review.Edited, false
	e.Sel = i
	return e.set(i, b)
}

// lastPlace is the most recent box of zone i that had a place, or a default one.
func (e *Editor) lastPlace(i int) review.Box {
	for k := len(e.undo) - 1; k >= 0; k-- {
		for _, c := range e.undo[k] {
			if c.zone == i && c.before.HasCoords() {
				return c.before
			}
		}
	}
	if s := e.Zones[i].Saved; s.HasCoords() {
		return s
	}
	if c := e.Zones[i].Conflict; c != nil && c.Current.Before.HasCoords() {
		return c.Current.Before
	}
	W, H := float64(e.W), float64(e.H)
	return review.Box{X1: math.Round(W * 3 / 8), X2: math.Round(W * 5 / 8), Y1: math.Round(H * 3 / 8), Y2: math.Round(H * 5 / 8)}
}

// MarkAbsent marks zone i absent: the anatomy is not in the image.
func (e *Editor) MarkAbsent(i int) bool {
	if i < 0 || i >= len(e.Zones) || e.Zones[i].Box.Locked || e.Zones[i].Box.Status == review.Absent {
		return false
	}
	return e.set(i, review.Box{Status: review.Absent})
}

// ToggleLock locks zone i against changes, or unlocks it.
func (e *Editor) ToggleLock(i int) bool {
	if i < 0 || i >= len(e.Zones) || e.Zones[i].Box.Status == review.NoBox {
		return false
	}
	b := e.Zones[i].Box
	b.Locked = !b.Locked
	return e.set(i, b)
}

// ConfirmAll confirms every box still as the study gave it (original → confirmed), as one
// undo step: the image has been checked and those boxes kept.
func (e *Editor) ConfirmAll() bool {
	var s step
	for i := range e.Zones {
		z := &e.Zones[i]
		if z.Box.Status == review.Original {
			b := z.Box
			b.Status = review.Confirmed
			s = append(s, change{i, z.Box, b, z.Base})
			z.Box = b
		}
	}
	if len(s) == 0 {
		return false
	}
	e.push(s)
	return true
}

// CanUndo and CanRedo report whether there is a step to take back or to take again.
func (e *Editor) CanUndo() bool { return len(e.undo) > 0 }
func (e *Editor) CanRedo() bool { return len(e.redo) > 0 }

// Undo takes back the latest step; the zone it touched is selected.
func (e *Editor) Undo() bool {
	if e.drag != nil || len(e.undo) == 0 {
		return false
	}
	s := e.undo[len(e.undo)-1]
	e.undo = e.undo[:len(e.undo)-1]
	for k := len(s) - 1; k >= 0; k-- {
		e.revert(s[k], s[k].after, s[k].before)
	}
	e.redo = append(e.redo, s)
	e.selectStep(s)
	return true
}

// Redo takes the latest undone step again.
func (e *Editor) Redo() bool {
	if e.drag != nil || len(e.redo) == 0 {
		return false
	}
	s := e.redo[len(e.redo)-1]
	e.redo = e.redo[:len(e.redo)-1]
	for _, c := range s {
		e.revert(c, c.before, c.after)
	}
	e.undo = append(e.undo, s)
	e.selectStep(s)
	return true
}

// revert sets a step's zone from want to to. When the zone no longer holds want, someone else
// changed the box since the step (it was reloaded from the store): undoing or redoing the
// step then reverts only what this person did, as an edit based on the step's revision,
// which the store keeps as a conflict beside the other person's box.
func (e *Editor) revert(c change, want, to review.Box) {
	z := &e.Zones[c.zone]
	if z.Box != want && !z.reverting {
		z.reverting, z.against = true, c.base
	}
	z.Box = to
	if !z.Dirty() {
		z.reverting = false
	}
}

func (e *Editor) selectStep(s step) {
	if len(s) == 1 {
		e.Sel = s[0].zone
	}
}
