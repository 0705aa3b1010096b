package ui

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/boxedit"
	"sightline/reader/export/exporttest"
	"sightline/reader/review"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// boxRig is a box editor on a study written by exporttest (4 boxes an image, no DICOMs: the
// images are synthetic greys of the study's sizes) and a real SQLite review store.
type boxRig struct {
	t     *testing.T
	dir   string
	study *study.Study
	store review.Store
	ed    *BoxEditor
	w     fyne.Window
	pump  chan func()
	cases []exporttest.Case
	mu    sync.Mutex
	loads map[string]int // images loaded, by id (the prefetch runs on its own goroutine)
}

func newBoxRig(t *testing.T, scale float32, opts ...func(*BoxEditorConfig)) *boxRig {
	t.Helper()
	dir, cases := boxStudy(t)
	return openBoxRig(t, dir, cases, "ann", scale, opts...)
}

// boxStudy writes a study of three images with four boxes each, in a new test app.
func boxStudy(t *testing.T) (string, []exporttest.Case) {
	t.Helper()
	test.NewTempApp(t)
	dir := t.TempDir()
	cases, err := exporttest.WriteStudy(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Boxes of distinct places and sizes, as the anatomy has them.
	csv := "dicom_id,bbox_name,x1,x2,y1,y2\n"
	for _, c := range cases {
		csv += c.DicomID + ",right lung,300,1200,400,2400\n" + c.DicomID + ",left lung,1400,2300,400,2400\n" +
			c.DicomID + ",trachea,1200,1400,100,900\n" + c.DicomID + ",cardiac silhouette,900,1700,1400,2300\n"
	}
	if err := os.WriteFile(filepath.Join(dir, study.BoundingBoxes), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, cases
}

func openBoxRig(t *testing.T, dir string, cases []exporttest.Case, who string, scale float32, opts ...func(*BoxEditorConfig)) *boxRig {
	t.Helper()
	r := startBoxRig(t, dir, cases, who, scale, opts...)
	// The store is read off the UI goroutine; the image opens once its rows are in.
	r.waitFor("the store read and the first image open", func() bool { return r.ed.Editor() != nil })
	return r
}

// startBoxRig is openBoxRig up to asking for the first image, which opens once the store's
// rows are in.
func startBoxRig(t *testing.T, dir string, cases []exporttest.Case, who string, scale float32, opts ...func(*BoxEditorConfig)) *boxRig {
	t.Helper()
	s, err := study.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := review.Open(context.Background(), dir, review.Options{PollEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := &boxRig{t: t, dir: dir, study: s, store: st, pump: make(chan func(), 1024), cases: cases, loads: map[string]int{}}
	sizes := map[string]exporttest.Case{}
	for _, c := range cases {
		sizes[c.DicomID] = c
	}
	cfg := BoxEditorConfig{Study: s, Store: st, Who: who, AutosaveAfter: time.Hour,
		Load: func(id string) (boxedit.Image, error) {
			r.mu.Lock()
			r.loads[id]++
			r.mu.Unlock()
			c := sizes[id]
			g := image.NewGray(image.Rect(0, 0, c.W, c.H))
			for i := range g.Pix {
				g.Pix[i] = uint8(i % 251)
			}
			return boxedit.Image{Gray: g, Layout: stage.Fit(c.W, c.H), Source: "test"}, nil
		},
		Post: func(f func()) { r.pump <- f },
	}
	for _, o := range opts {
		o(&cfg)
	}
	r.w = test.NewTempWindow(t, widget.NewLabel(""))
	r.w.Canvas().(test.WindowlessCanvas).SetScale(scale)
	r.ed, err = NewBoxEditor(cfg, r.w)
	if err != nil {
		t.Fatal(err)
	}
	r.w.SetContent(r.ed.Content())
	r.w.SetPadded(false)
	// The window is 1600×1000 device pixels at every scale.
	r.w.Resize(fyne.NewSize(1600/scale, 1000/scale))
	t.Cleanup(func() {
		if err := r.ed.Close(); err != nil {
			t.Error(err)
		}
		st.Close()
	})
	if err := r.ed.Open(cases[0].DicomID); err != nil {
		t.Fatal(err)
	}
	return r
}

// waitFor runs the editor's posted work until cond holds, failing after a deadline.
func (r *boxRig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.After(2 * time.Minute) // generous: a loaded machine under -race is slow
	for !cond() {
		select {
		case f := <-r.pump:
			f()
		case <-deadline:
			r.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// settle runs the editor's posted work until no store call is in flight.
func (r *boxRig) settle() {
	r.t.Helper()
	r.waitFor("the store calls", func() bool { return !r.ed.Busy() })
}

func (r *boxRig) zone(name string) review.Box {
	return r.ed.Editor().Zones[boxedit.ZoneIndex(name)].Box
}

// canvasAt is where a DICOM point lies, in the window's canvas units.
func (r *boxRig) canvasAt(p boxedit.Pt) fyne.Position {
	c := r.ed.stage.DicomView().ToCanvas(p)
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(r.ed.cv).AddXY(float32(c.X), float32(c.Y))
}

// drag presses at a DICOM point and drags by (dx, dy) device pixels, as the mouse does.
func (r *boxRig) drag(at boxedit.Pt, dx, dy float32, mod fyne.KeyModifier) {
	pos := r.canvasAt(at)
	origin := fyne.CurrentApp().Driver().AbsolutePositionForObject(r.ed.cv)
	scale := r.w.Canvas().Scale()
	r.ed.cv.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: pos.Subtract(origin), AbsolutePosition: pos},
		Button: desktop.MouseButtonPrimary, Modifier: mod})
	test.Drag(r.w.Canvas(), pos, dx/scale, dy/scale)
}

func (r *boxRig) key(k fyne.KeyName) {
	r.w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: k})
}

func (r *boxRig) shortcut(s fyne.Shortcut) {
	r.w.Canvas().Focused().(fyne.Shortcutable).TypedShortcut(s)
}

func (r *boxRig) rows() []review.BoxEdit {
	log, err := r.store.BoxLog(context.Background(), "")
	if err != nil {
		r.t.Fatal(err)
	}
	return log
}

// TestBoxEditorDragHandle: at canvas scale 1 and 2, a click selects the zone under it and a
// drag of a handle by k device pixels moves its edge by k/(scale·K) DICOM pixels within 1 px.
func TestBoxEditorDragHandle(t *testing.T) {
	for _, scale := range []float32{1, 2} {
		for _, part := range []boxedit.Part{boxedit.E, boxedit.NW, boxedit.Body} {
			t.Run(fmt.Sprintf("scale %v part %d", scale, part), func(t *testing.T) {
				r := newBoxRig(t, scale)
				lung := r.zone("left lung")
				test.TapCanvas(r.w.Canvas(), r.canvasAt(boxedit.Pt{X: lung.X1 + 30, Y: (lung.Y1 + lung.Y2) / 2}))
				if sel := r.ed.Editor().Sel; sel != boxedit.ZoneIndex("left lung") {
					t.Fatalf("click selected %d, want the left lung", sel)
				}
				if r.w.Canvas().Focused() != r.ed.cv {
					t.Fatal("the canvas does not have the keyboard after a click")
				}
				at := boxedit.HandleAt(lung, part)
				if part == boxedit.Body {
					at = boxedit.Pt{X: (lung.X1 + lung.X2) / 2, Y: (lung.Y1 + lung.Y2) / 2}
				}
				const kx, ky = 40, -30 // device pixels
				r.drag(at, kx, ky, 0)
				got := r.zone("left lung")
				K := r.ed.stage.DicomView().K * float64(scale)
				dx, dy := kx/K, ky/K
				want := lung
				switch part {
				case boxedit.E:
					want.X2 += dx
				case boxedit.NW:
					want.X1 += dx
					want.Y1 += dy
				case boxedit.Body:
					want.X1, want.X2, want.Y1, want.Y2 = want.X1+dx, want.X2+dx, want.Y1+dy, want.Y2+dy
				}
				for _, c := range [][2]float64{{got.X1, want.X1}, {got.X2, want.X2}, {got.Y1, want.Y1}, {got.Y2, want.Y2}} {
					if math.Abs(c[0]-c[1]) > 1 {
						t.Fatalf("box %+v after the drag, want %+v ± 1 (drag %v, %v DICOM px)", got, want, dx, dy)
					}
				}
				if got.Status != review.Edited || !r.ed.Editor().CanUndo() {
					t.Fatalf("status %q, undo %v", got.Status, r.ed.Editor().CanUndo())
				}
			})
		}
	}
}

// TestBoxEditorKeys: every key of the editor, and Ctrl+S writing rows to the store.
func TestBoxEditorKeys(t *testing.T) {
	r := newBoxRig(t, 1)
	ed := r.ed.Editor()
	r.w.Canvas().Focus(r.ed.cv)
	r.key(fyne.KeyTab)
	if ed.Sel != 0 {
		t.Fatalf("Tab selected %d, want the first zone", ed.Sel)
	}
	r.ed.cv.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	r.key(fyne.KeyTab) // Shift+Tab: back to the last zone
	r.ed.cv.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	if ed.Sel != len(study.ZoneNames)-1 {
		t.Fatalf("Shift+Tab selected %d", ed.Sel)
	}
	lungI := boxedit.ZoneIndex("right lung")
	r.ed.zoneList.Select(lungI) // the zone list selects too
	if ed.Sel != lungI {
		t.Fatalf("the list selected %d", ed.Sel)
	}
	b0 := r.zone("right lung")
	r.key(fyne.KeyRight)
	r.ed.cv.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	r.key(fyne.KeyDown)
	r.ed.cv.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	if b := r.zone("right lung"); b.X1 != b0.X1+1 || b.Y1 != b0.Y1+10 {
		t.Fatalf("after → and Shift+↓: %+v from %+v", b, b0)
	}
	r.shortcut(&fyne.ShortcutUndo{})
	if b := r.zone("right lung"); b.Y1 != b0.Y1 || b.X1 != b0.X1+1 {
		t.Fatalf("Ctrl+Z left %+v", b)
	}
	r.shortcut(&desktop.CustomShortcut{KeyName: fyne.KeyZ, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift})
	if b := r.zone("right lung"); b.Y1 != b0.Y1+10 {
		t.Fatalf("Ctrl+Shift+Z left %+v", b)
	}
	r.key(fyne.KeyL)
	if !r.zone("right lung").Locked {
		t.Fatal("L did not lock")
	}
	r.key(fyne.KeyLeft)
	if b := r.zone("right lung"); b.X1 != b0.X1+1 {
		t.Fatal("a locked zone moved")
	}
	r.key(fyne.KeyH)
	if !ed.Solo || ed.Visible(boxedit.ZoneIndex("left lung")) {
		t.Fatal("H did not hide the others")
	}
	r.key(fyne.KeyH)
	trI := boxedit.ZoneIndex("trachea")
	ed.Select(trI)
	r.key(fyne.KeyDelete)
	if r.zone("trachea").Status != review.Absent {
		t.Fatal("Del did not mark absent")
	}
	ed.Select(boxedit.ZoneIndex("right clavicle")) // not in the study's boxes
	r.key(fyne.KeyN)
	if !r.zone("right clavicle").HasCoords() {
		t.Fatal("N did not add the missing zone")
	}
	if len(r.rows()) != 0 {
		t.Fatal("rows written before saving")
	}
	r.shortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierControl})
	r.settle()
	rows := r.rows()
	zones := map[string]review.BoxEdit{}
	for _, e := range rows {
		zones[e.Key.Zone] = e
		if e.Who != "ann" || e.Key.DicomID != r.cases[0].DicomID {
			t.Errorf("row %+v", e)
		}
	}
	if len(rows) != 3 || !zones["right lung"].After.Locked || zones["trachea"].After.Status != review.Absent ||
		zones["right clavicle"].Before.Status != review.NoBox {
		t.Fatalf("rows after Ctrl+S: %+v", rows)
	}
	if ed.HasChanges() || !strings.Contains(r.ed.status.Text, "saved") {
		t.Fatalf("unsaved changes after Ctrl+S; status %q", r.ed.status.Text)
	}
	// Enter confirms: the boxes left original become confirmed, the image is marked.
	r.key(fyne.KeyReturn)
	r.settle()
	if s := r.zone("left lung").Status; s != review.Confirmed {
		t.Fatalf("left lung %q after Enter", s)
	}
	marks, _ := r.store.ImageMarks(context.Background())
	if st := review.ImageStatuses(marks)[r.cases[0].DicomID]; st != review.Done {
		t.Fatalf("image status %q after Enter", st)
	}
	if got := r.ed.imageStatus(r.cases[0].DicomID); got != review.Done {
		t.Fatalf("the list says %q", got)
	}
}

// TestBoxEditorViewKeys: zoom and window/level keep DICOM coordinates exact.
func TestBoxEditorViewKeys(t *testing.T) {
	r := newBoxRig(t, 2)
	r.w.Canvas().Focus(r.ed.cv)
	// A drag on empty image pans.
	vb := r.ed.stage.DicomView()
	r.drag(boxedit.Pt{X: 100, Y: 2900}, 40, 0, 0)
	if va := r.ed.stage.DicomView(); math.Abs((va.OX-vb.OX)-20) > 0.01 {
		t.Fatalf("pan moved the image by %v canvas units, want 20", va.OX-vb.OX)
	}
	p := boxedit.Pt{X: 700, Y: 900}
	v0 := r.ed.stage.DicomView()
	r.ed.cv.TypedRune('+')
	v1 := r.ed.stage.DicomView()
	if math.Abs(v1.K/v0.K-1.5) > 1e-6 {
		t.Fatalf("+ zoomed by %v", v1.K/v0.K)
	}
	// A point maps to the canvas and back exactly at the new zoom.
	if q := v1.ToDICOM(v1.ToCanvas(p)); math.Abs(q.X-p.X) > 1e-9 || math.Abs(q.Y-p.Y) > 1e-9 {
		t.Fatalf("round trip %v → %v", p, q)
	}
	c0, w0 := r.ed.stage.Window()
	r.ed.cv.TypedRune('[')
	r.ed.cv.TypedRune('.')
	c1, w1 := r.ed.stage.Window()
	if w1 >= w0 || c1 <= c0 {
		t.Fatalf("window/level %v/%v from %v/%v", w1, c1, w0, c0)
	}
	// Ctrl+drag sets window/level, not a box: one grey level per canvas unit (60 device
	// pixels at scale 2).
	before := r.zone("left lung")
	// Pressed mid-box: its corner may lie under the tools at this zoom.
	r.drag(boxedit.Pt{X: before.X1 + 200, Y: (before.Y1 + before.Y2) / 2}, 60, 0, fyne.KeyModifierControl)
	if _, w := r.ed.stage.Window(); w != w1+30 || r.zone("left lung") != before {
		t.Fatalf("Ctrl+drag: width %v, box %+v", w, r.zone("left lung"))
	}
	r.ed.cv.TypedRune('0')
	if c, w := r.ed.stage.Window(); c != 127.5 || w != 255 {
		t.Fatalf("0 left the window at %v/%v", w, c)
	}
}

func TestBoxEditorAutosave(t *testing.T) {
	r := newBoxRig(t, 1)
	r.ed.cfg.AutosaveAfter = 20 * time.Millisecond
	r.w.Canvas().Focus(r.ed.cv)
	r.ed.Editor().Select(boxedit.ZoneIndex("left lung"))
	r.key(fyne.KeyUp)
	r.waitFor("the autosave", func() bool { return len(r.rows()) == 1 })
}

// TestBoxEditorSecondHandle: a change saved through another store handle appears in the
// editor (Watch); an unsaved edit of the same box, saved after it, is a conflict that the
// adjudication panel settles.
func TestBoxEditorSecondHandle(t *testing.T) {
	r := newBoxRig(t, 1)
	other, err := review.Open(context.Background(), r.dir, review.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	id := r.cases[0].DicomID
	lung := r.zone("left lung")
	moved := lung
	moved.Status, moved.X1 = review.Edited, lung.X1-25
	if _, err := other.EditBoxes(context.Background(), []review.BoxEdit{{Key: review.BoxKey{DicomID: id, Zone: "left lung"},
		Before: lung, After: moved, Who: "bob"}}); err != nil {
		t.Fatal(err)
	}
	r.waitFor("bob's change", func() bool { return r.zone("left lung") == moved })
	if !strings.Contains(r.ed.message.Text, "bob changed left lung") {
		t.Fatalf("message %q", r.ed.message.Text)
	}

	// Ann edits the trachea; bob saves his edit of it first.
	r.w.Canvas().Focus(r.ed.cv)
	r.ed.Editor().Select(boxedit.ZoneIndex("trachea"))
	r.key(fyne.KeyRight)
	tr := r.ed.Editor().Zones[boxedit.ZoneIndex("trachea")].Saved
	bobs := tr
	bobs.Status, bobs.Y2 = review.Edited, tr.Y2+40
	if _, err := other.EditBoxes(context.Background(), []review.BoxEdit{{Key: review.BoxKey{DicomID: id, Zone: "trachea"},
		Before: tr, After: bobs, Who: "bob"}}); err != nil {
		t.Fatal(err)
	}
	r.waitFor("bob's trachea", func() bool { return r.ed.Editor().Zones[boxedit.ZoneIndex("trachea")].Stale })
	r.shortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierControl})
	r.settle()
	z := r.ed.Editor().Zones[boxedit.ZoneIndex("trachea")]
	if z.Conflict == nil || !strings.Contains(r.ed.message.Text, "conflict") {
		t.Fatalf("no conflict shown: %q", r.ed.message.Text)
	}
	// The adjudication panel: the current (bob's) box and ann's rival, one button each.
	var buttons []*widget.Button
	for _, o := range r.ed.adjudicate.Objects {
		if b, ok := o.(*widget.Button); ok {
			buttons = append(buttons, b)
		}
	}
	if len(buttons) != 2 || !strings.Contains(buttons[1].Text, "ann") {
		t.Fatalf("adjudication buttons %v", buttons)
	}
	r.ed.filter()
	r.ed.conflicted.SetChecked(true)
	if len(r.ed.images) != 1 || r.ed.images[0] != id {
		t.Fatalf("the conflicts filter lists %v", r.ed.images)
	}
	test.Tap(buttons[1]) // keep ann's
	r.settle()
	log := r.rows()
	last := log[len(log)-1]
	if last.Kind != review.KindAdjudication || last.Who != "ann" || last.After != z.Conflict.Rivals[0].After {
		t.Fatalf("last row %+v", last)
	}
	if c := r.ed.Editor().Zones[boxedit.ZoneIndex("trachea")]; c.Conflict != nil || c.Box != last.After {
		t.Fatalf("after adjudication: conflict %v, box %+v", c.Conflict, c.Box)
	}
	if len(r.ed.images) != 0 {
		t.Fatalf("the conflicts filter still lists %v", r.ed.images)
	}
}

// TestBoxEditorTwoEditors: two editors on one SQLite store, two handles, editing one image
// at once: every edit is stored, each sees the other's, and nothing is lost.
func TestBoxEditorTwoEditors(t *testing.T) {
	a := newBoxRig(t, 1)
	b := openBoxRig(t, a.dir, a.cases, "bob", 1)
	names := []string{"right lung", "left lung", "cardiac silhouette", "trachea"}
	for round := range 3 {
		for i, r := range []*boxRig{a, b} {
			r.ed.Editor().Select(boxedit.ZoneIndex(names[2*i+round%2]))
			r.w.Canvas().Focus(r.ed.cv)
			r.key(fyne.KeyDown)
			r.shortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierControl})
			r.settle()
		}
	}
	want := review.Replay(a.study.Boxes, a.rows())[a.cases[0].DicomID]
	if n := len(a.rows()); n != 6 {
		t.Fatalf("%d rows, want 6", n)
	}
	for _, r := range []*boxRig{a, b} {
		r.waitFor(r.ed.cfg.Who+" seeing every edit", func() bool {
			for _, w := range want {
				if z := r.zone(w.Name); z.X1 != w.X1 || z.Y1 != w.Y1 || z.Y2 != w.Y2 {
					return false
				}
			}
			return true
		})
	}
}

// TestLabelsClearOfEachOther: labels at one corner stack without overlapping, and a label
// placed on another's edge at a large coordinate (where float32 rounds) ends (it looped).
func TestLabelsClearOfEachOther(t *testing.T) {
	ts := fyne.NewSize(80, 14.3)
	var taken []fyne.Position
	for range 5 {
		taken = append(taken, clearOf(fyne.NewPos(10, 10), ts, taken))
	}
	for i := 1; i < len(taken); i++ {
		if d := taken[i].Y - taken[i-1].Y; d < ts.Height-0.5 {
			t.Fatalf("labels %d and %d overlap: %v", i-1, i, taken)
		}
	}
	far := []fyne.Position{{X: 5000.3, Y: 16777.1}, {X: 5000.3, Y: 16777.1 + 14.3}}
	if p := clearOf(fyne.NewPos(5000.3, 16777.1), ts, far); p.Y < far[1].Y+ts.Height-0.5 {
		t.Fatalf("placed at %v", p)
	}
}

// TestEditStageRaster: the raster shows, under each output pixel, the image pixel the mapping
// puts there, through the window/level table, at zoom 1 and 4 and canvas scale 1 and 2, with
// a mask tinted where it is set.
func TestEditStageRaster(t *testing.T) {
	const W, H = 1000, 1200
	g := image.NewGray(image.Rect(0, 0, W, H))
	for y := range H {
		for x := range W {
			g.Pix[y*W+x] = uint8((x/16*3 + y/16*7) % 256) // 16×16 blocks: a sample ±2 px off lands in the same block
		}
	}
	mask := image.NewGray(image.Rect(0, 0, W/2, H/2)) // half size: stretched
	for y := 100; y < 200; y++ {
		for x := 100; x < 200; x++ {
			mask.Pix[y*mask.Stride+x] = 255
		}
	}
	for _, scale := range []float32{1, 2} {
		for _, zoom := range []float64{1, 4} {
			s := NewEditStage()
			s.SetImage(g, stage.Fit(W, H))
			s.SetMasks([]Mask{{Name: "m", Image: mask, Color: color.NRGBA{255, 0, 0, 255}}})
			s.Resize(fyne.NewSize(800, 600))
			s.SetZoom(zoom, 960, 540)
			s.SetWindow(100, 50)
			out := image.NewRGBA(image.Rect(0, 0, int(800*scale), int(600*scale)))
			renderView(out, s)
			v := s.DicomView()
			checked := 0
			for _, p := range []boxedit.Pt{{X: 504, Y: 600}, {X: 472, Y: 552}, {X: 296, Y: 296}, {X: 520, Y: 648}, {X: 488, Y: 616}} {
				c := v.ToCanvas(p)
				ox, oy := int(c.X*float64(scale)), int(c.Y*float64(scale))
				if !image.Pt(ox, oy).In(out.Rect) {
					continue
				}
				got := out.RGBAAt(ox, oy)
				checked++
				raw := float64(g.Pix[int(p.Y)*W+int(p.X)])
				want := uint8(math.Round(255 * math.Max(0, math.Min(1, (raw-75)/50))))
				inMask := p.X >= 200 && p.X < 400 && p.Y >= 200 && p.Y < 400
				if inMask {
					if got.R != 255 || got.G != 0 {
						t.Errorf("scale %v zoom %v: %v in the mask shows %v, want the mask's red", scale, zoom, p, got)
					}
					continue
				}
				if got.R != want || got.G != want || got.A != 255 {
					t.Errorf("scale %v zoom %v: %v (grey %v) shows %v, want %d", scale, zoom, p, raw, got, want)
				}
			}
			if checked < 4 {
				t.Errorf("scale %v zoom %v: only %d points on screen", scale, zoom, checked)
			}
		}
	}
}

// TestLabelStaysOnScreen: zoomed in on a box whose corner is off the widget, its label is
// drawn at the widget's edge inside the box, not off screen (found on the real window).
func TestLabelStaysOnScreen(t *testing.T) {
	test.NewTempApp(t)
	s := NewEditStage()
	s.SetImage(image.NewGray(image.Rect(0, 0, 1000, 1200)), stage.Fit(1000, 1200))
	w := test.NewTempWindow(t, s)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(800, 600))
	s.SetZoom(6, 960, 540)
	s.SetBoxes([]BoxShape{{X1: 100, X2: 900, Y1: 100, Y2: 1100, Label: "right lung", Color: zoneColors[0]}})
	r := test.WidgetRenderer(s).(*stageRenderer)
	r.Refresh()
	l := r.layers[LayerBoxes].(*boxLayer)
	if p := l.labels[0].Position(); p.X < 0 || p.Y < 0 || p.X > 10 || p.Y > 10 {
		t.Fatalf("label at %v, want at the widget's top left corner", p)
	}
	if c := s.DicomView().ToCanvas(boxedit.Pt{X: 100, Y: 100}); c.X >= 0 || c.Y >= 0 {
		t.Fatalf("the box's corner %v is on screen: the test is not zoomed in", c)
	}
}

// TestBoxEditorFilters: condition, missing zones and edited by narrow the image list, and the
// list's statuses follow the store.
func TestBoxEditorFilters(t *testing.T) {
	r := newBoxRig(t, 1)
	all := len(r.cases)
	if len(r.ed.images) != all {
		t.Fatalf("%d images listed, want %d", len(r.ed.images), all)
	}
	// Every image has 4 of the 17 zones: all are missing zones.
	r.ed.missing.SetChecked(true)
	if len(r.ed.images) != all {
		t.Fatalf("missing zones lists %d, want %d", len(r.ed.images), all)
	}
	r.ed.missing.SetChecked(false)
	cond := r.study.Cases[1].Condition
	r.ed.condition.SetSelected(cond)
	for _, id := range r.ed.images {
		if c, _ := r.study.Case(id); c.Condition != cond {
			t.Fatalf("condition %q lists %s (%q)", cond, id, c.Condition)
		}
	}
	if len(r.ed.images) == 0 || len(r.ed.images) == all {
		t.Fatalf("condition %q lists %d of %d", cond, len(r.ed.images), all)
	}
	r.ed.condition.SetSelectedIndex(0)
	if got := r.ed.imageStatus(r.cases[0].DicomID); got != review.Unreviewed {
		t.Fatalf("status %q before any edit", got)
	}
	r.w.Canvas().Focus(r.ed.cv)
	r.ed.Editor().Select(boxedit.ZoneIndex("trachea"))
	r.key(fyne.KeyUp)
	r.shortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierControl})
	r.settle()
	if got := r.ed.imageStatus(r.cases[0].DicomID); got != review.InProgress {
		t.Fatalf("status %q after a save", got)
	}
	r.ed.editedBy.SetSelected("ann")
	if len(r.ed.images) != 1 || r.ed.images[0] != r.cases[0].DicomID {
		t.Fatalf("edited by ann lists %v", r.ed.images)
	}
}

// TestBoxEditorPrefetch: while an image is edited the next one in the list loads; opening it
// takes the prefetched image, not a second load.
func TestBoxEditorPrefetch(t *testing.T) {
	r := newBoxRig(t, 1)
	next := r.ed.images[1]
	if r.ed.pre == nil || r.ed.pre.id != next {
		t.Fatalf("prefetching %v, want %s", r.ed.pre, next)
	}
	<-r.ed.pre.ready
	if err := r.ed.Open(next); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	n := r.loads[next]
	r.mu.Unlock()
	if n != 1 || r.ed.img.Layout.W != r.cases[1].W {
		t.Fatalf("%s loaded %d times, image %d wide", next, n, r.ed.img.Layout.W)
	}
}
