package boxedit

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sightline/reader/export/exporttest"
	"sightline/reader/review"
	"sightline/reader/review/pgtest"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// original is a 2544×3056 image's boxes: right lung with its upper zone nested inside it,
// the trachea, and no cardiac silhouette (a zone to add).
var original = []study.Box{
	{Name: "right lung", X1: 300, X2: 1200, Y1: 400, Y2: 2400},
	{Name: "right upper lung zone", X1: 300, X2: 1200, Y1: 400, Y2: 1000},
	{Name: "trachea", X1: 1200, X2: 1400, Y1: 100, Y2: 900},
	{Name: "left lung", X1: 1400, X2: 2300, Y1: 400, Y2: 2400},
}

const imgW, imgH = 2544, 3056

func newEditor() *Editor { return New("img", imgW, imgH, "ann", original, nil) }

var (
	rightLung  = ZoneIndex("right lung")
	rightUpper = ZoneIndex("right upper lung zone")
	trachea    = ZoneIndex("trachea")
	leftLung   = ZoneIndex("left lung")
	cardiac    = ZoneIndex("cardiac silhouette")
)

// viewFor is the view the stage gives a 2544×3056 image in a 960×540 canvas (half the stage)
// at zoom z, centred on the image's middle.
func viewFor(z float64) View {
	l := stage.Fit(imgW, imgH)
	k := 0.5 * z // canvas units per stage pixel
	perDicom := float64(l.Rect().Dx()) / imgW * k
	// The image's centre at the canvas's centre.
	return View{K: perDicom, OX: 480 - imgW/2*perDicom, OY: 270 - imgH/2*perDicom}
}

// TestHitAndDragHandles: at canvas scale 1 and 2 and zoom 1× and 4×, a press a few screen
// pixels off any of the 8 handles takes that handle, and a drag of k screen pixels moves its
// edges by k/(scale·K) DICOM pixels (K canvas units per DICOM pixel) within 1 px, the others
// not at all.
func TestHitAndDragHandles(t *testing.T) {
	for _, scale := range []float64{1, 2} {
		for _, zoom := range []float64{1, 4} {
			v := viewFor(zoom)
			for _, part := range append([]Part{Body}, Handles[:]...) {
				t.Run(fmt.Sprintf("scale %v zoom %v part %d", scale, zoom, part), func(t *testing.T) {
					e := newEditor()
					e.Select(leftLung)
					start := e.Zones[leftLung].Box
					at := HandleAt(start, part)
					if part == Body {
						at = Pt{2000, 1000}
					}
					// Screen pixels are canvas units times the canvas scale; press 3 screen
					// pixels off the handle.
					c := v.ToCanvas(at)
					screen := Pt{c.X*scale + 3, c.Y*scale - 3}
					toDICOM := func(s Pt) Pt { return v.ToDICOM(Pt{s.X / scale, s.Y / scale}) }
					i, got := e.HitTest(toDICOM(screen), v)
					if i != leftLung || got != part {
						t.Fatalf("hit zone %d part %d, want zone %d part %d", i, got, leftLung, part)
					}
					if !e.BeginDrag(i, got, toDICOM(screen)) {
						t.Fatal("drag refused")
					}
					const kx, ky = 37, -23 // screen pixels
					// Several motion events, as the pointer sends them.
					for f := 1.0; f <= 4; f++ {
						e.DragTo(toDICOM(Pt{screen.X + kx*f/4, screen.Y + ky*f/4}))
					}
					e.EndDrag()
					b := e.Zones[leftLung].Box
					dx, dy := kx/(scale*v.K), ky/(scale*v.K)
					x1, x2, y1, y2 := part.moves()
					check := func(name string, got, from float64, moves bool, d float64) {
						want := from
						if moves {
							want += d
						}
						if math.Abs(got-want) > 1 {
							t.Errorf("%s = %v, want %v ± 1 (moved %v, drag %v DICOM px)", name, got, want, moves, d)
						}
					}
					check("x1", b.X1, start.X1, x1, dx)
					check("x2", b.X2, start.X2, x2, dx)
					check("y1", b.Y1, start.Y1, y1, dy)
					check("y2", b.Y2, start.Y2, y2, dy)
					if b.Status != review.Edited {
						t.Errorf("status %q after a drag, want edited", b.Status)
					}
					if !e.CanUndo() {
						t.Error("the drag is not an undo step")
					}
				})
			}
		}
	}
}

func TestHitTest(t *testing.T) {
	v := viewFor(1)
	cases := []struct {
		name string
		sel  int
		solo bool
		at   Pt
		zone int
		part Part
	}{
		{"nested: the smaller box", -1, false, Pt{700, 700}, rightUpper, Body},
		{"outer only", -1, false, Pt{700, 2000}, rightLung, Body},
		{"nothing", -1, false, Pt{50, 3000}, -1, None},
		{"selected box first even when larger", rightLung, false, Pt{700, 700}, rightLung, Body},
		{"handle of the selected box only", -1, false, Pt{300, 400}, rightUpper, Body},
		{"corner handle", rightLung, false, Pt{301, 2399}, rightLung, SW},
		{"solo hides the others", trachea, true, Pt{700, 2000}, -1, None},
		{"a box without a place is not hit", -1, false, Pt{1300, 1500}, -1, None},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEditor()
			e.Select(c.sel)
			e.Solo = c.solo
			i, p := e.HitTest(c.at, v)
			if i != c.zone || p != c.part {
				t.Fatalf("HitTest = zone %d part %d, want %d %d", i, p, c.zone, c.part)
			}
		})
	}
}

func TestDragLimits(t *testing.T) {
	e := newEditor()
	// A left edge dragged past the right one stops 1 px short of it.
	e.BeginDrag(trachea, W, Pt{1200, 500})
	e.DragTo(Pt{5000, 500})
	e.EndDrag()
	if b := e.Zones[trachea].Box; b.X1 != 1399 || b.X2 != 1400 {
		t.Fatalf("x1 %v x2 %v, want 1399 1400", b.X1, b.X2)
	}
	// A body dragged off the image stops at its edge with its size kept.
	e.BeginDrag(leftLung, Body, Pt{2000, 1000})
	e.DragTo(Pt{9000, -9000})
	e.EndDrag()
	if b := e.Zones[leftLung].Box; b.X2 != imgW || b.X1 != imgW-900 || b.Y1 != 0 || b.Y2 != 2000 {
		t.Fatalf("left lung %+v, want against the top right corner, 900×2000", b)
	}
	// A locked box does not move.
	e.ToggleLock(rightLung)
	if e.BeginDrag(rightLung, Body, Pt{700, 2000}) {
		t.Fatal("a locked box was dragged")
	}
	e.Select(rightLung)
	if e.Nudge(1, 0) || e.MarkAbsent(rightLung) {
		t.Fatal("a locked box was nudged or marked absent")
	}
}

// TestUndoRedo plays sequences of actions and checks the boxes after each undo and redo.
func TestUndoRedo(t *testing.T) {
	type action func(e *Editor) bool
	nudge := func(dx, dy float64) action {
		return func(e *Editor) bool { e.Select(trachea); return e.Nudge(dx, dy) }
	}
	drag := func(dx float64) action {
		return func(e *Editor) bool {
			e.BeginDrag(trachea, E, Pt{1400, 500})
			e.DragTo(Pt{1400 + dx, 500})
			e.EndDrag()
			return true
		}
	}
	undo := func(e *Editor) bool { return e.Undo() }
	redo := func(e *Editor) bool { return e.Redo() }
	absent := func(e *Editor) bool { return e.MarkAbsent(trachea) }
	add := func(e *Editor) bool { return e.AddMissing(trachea) }
	tr := func(x1, x2 float64, st review.BoxStatus) review.Box {
		if st == review.Absent {
			return review.Box{Status: st}
		}
		return review.Box{Status: st, X1: x1, X2: x2, Y1: 100, Y2: 900}
	}
	orig := tr(1200, 1400, review.Original)
	cases := []struct {
		name    string
		actions []action
		want    []review.Box // trachea after each action
	}{
		{"nudge, undo, redo", []action{nudge(1, 0), undo, redo},
			[]review.Box{tr(1201, 1401, review.Edited), orig, tr(1201, 1401, review.Edited)}},
		{"two nudges undone in order", []action{nudge(1, 0), nudge(10, 0), undo, undo, undo},
			[]review.Box{tr(1201, 1401, review.Edited), tr(1211, 1411, review.Edited), tr(1201, 1401, review.Edited), orig, orig}},
		{"a new edit clears redo", []action{nudge(-10, 0), undo, drag(50), redo},
			[]review.Box{tr(1190, 1390, review.Edited), orig, tr(1200, 1450, review.Edited), tr(1200, 1450, review.Edited)}},
		{"absent, add back where it was, undo both", []action{drag(20), absent, add, undo, undo},
			[]review.Box{tr(1200, 1420, review.Edited), tr(0, 0, review.Absent), tr(1200, 1420, review.Edited), tr(0, 0, review.Absent), tr(1200, 1420, review.Edited)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEditor()
			for i, a := range c.actions {
				a(e)
				if got := e.Zones[trachea].Box; got != c.want[i] {
					t.Fatalf("after action %d: %+v, want %+v", i+1, got, c.want[i])
				}
			}
		})
	}
}

func TestAddMissingAndConfirm(t *testing.T) {
	e := newEditor()
	if !e.AddMissing(cardiac) {
		t.Fatal("could not add the cardiac silhouette")
	}
	b := e.Zones[cardiac].Box
	if b.Status != review.Edited || b.X1 >= b.X2 || b.X2 > imgW || b.Y2 > imgH || e.Sel != cardiac {
		t.Fatalf("added %+v (selected %d)", b, e.Sel)
	}
	if e.AddMissing(cardiac) {
		t.Fatal("added a zone that has a box")
	}
	e.ConfirmAll()
	for _, i := range []int{rightLung, rightUpper, trachea, leftLung} {
		if s := e.Zones[i].Box.Status; s != review.Confirmed {
			t.Errorf("%s: %q after confirming, want confirmed", e.Zones[i].Name, s)
		}
	}
	if s := e.Zones[cardiac].Box.Status; s != review.Edited {
		t.Errorf("an edited box confirmed as %q, want it left edited", s)
	}
	e.Undo()
	if s := e.Zones[trachea].Box.Status; s != review.Original {
		t.Errorf("undoing the confirmation left %q", s)
	}
}

// openStore opens the review store of dir, made a study folder (an empty worklist) if it is
// not one yet.
func openStore(t *testing.T, dir string) review.Store {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, study.MasterSheet)); err != nil {
		if err := os.WriteFile(filepath.Join(dir, study.MasterSheet), []byte("dicom_id,path\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := review.Open(context.Background(), dir, review.Options{PollEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func save(t *testing.T, st review.Store, e *Editor) int {
	t.Helper()
	rows, err := st.EditBoxes(context.Background(), e.Edits())
	if err != nil {
		t.Fatal(err)
	}
	n := e.Stored(rows)
	log, err := st.BoxLog(context.Background(), e.DicomID)
	if err != nil {
		t.Fatal(err)
	}
	e.Reload(log)
	return n
}

// boxesOf is the editor's boxes as the study's writer lists them, sorted by name.
func boxesOf(e *Editor) []study.Box {
	var out []study.Box
	for _, z := range e.Zones {
		if z.Box.HasCoords() {
			out = append(out, study.Box{Name: z.Name, X1: z.Box.X1, X2: z.Box.X2, Y1: z.Box.Y1, Y2: z.Box.Y2})
		}
	}
	slices.SortFunc(out, func(a, b study.Box) int { return cmpString(a.Name, b.Name) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestSaveAndReplay: the rows saved carry who, before, after and the base revision; replaying
// the audit from the study's boxes gives the editor's boxes, after several saves with undo.
func TestSaveAndReplay(t *testing.T) {
	st := openStore(t, t.TempDir())
	e := newEditor()
	e.Select(trachea)
	e.Nudge(10, 0)
	e.MarkAbsent(rightUpper)
	e.AddMissing(cardiac)
	if n := save(t, st, e); n != 0 {
		t.Fatalf("%d conflicts on a first save", n)
	}
	if e.HasChanges() {
		t.Fatal("changes left after saving")
	}
	log, _ := st.BoxLog(context.Background(), "img")
	if len(log) != 3 {
		t.Fatalf("%d rows, want 3", len(log))
	}
	for _, r := range log {
		if r.Who != "ann" || r.Kind != review.KindEdit || r.At.IsZero() {
			t.Errorf("row %+v: want who ann, kind edit, a time", r)
		}
		if r.Key.Zone == "trachea" && (r.Before.X1 != 1200 || r.After.X1 != 1210 || r.Base != 0) {
			t.Errorf("trachea row before %+v after %+v base %d", r.Before, r.After, r.Base)
		}
	}
	// A second round on the same boxes, with an undo in it.
	e.Select(trachea)
	e.Nudge(0, 10)
	e.Nudge(0, 10)
	e.Undo()
	e.ToggleLock(leftLung)
	save(t, st, e)
	log, _ = st.BoxLog(context.Background(), "img")
	for _, r := range log[3:] {
		if r.Key.Zone == "trachea" && (r.Base != log[0].Rev && r.Base == 0) {
			t.Errorf("second trachea edit based on %d", r.Base)
		}
	}
	got := review.Replay(map[string][]study.Box{"img": original}, log)["img"]
	slices.SortFunc(got, func(a, b study.Box) int { return cmpString(a.Name, b.Name) })
	if want := boxesOf(e); !slices.Equal(got, want) {
		t.Fatalf("replay gives\n%v\nthe editor has\n%v", got, want)
	}
	// A fresh editor on the store shows the same.
	e2 := New("img", imgW, imgH, "bob", original, log)
	for i := range e.Zones {
		if e2.Zones[i].Box != e.Zones[i].Box {
			t.Errorf("%s: reopened %+v, editor %+v", e.Zones[i].Name, e2.Zones[i].Box, e.Zones[i].Box)
		}
	}
	if !e2.Zones[leftLung].Box.Locked || e2.Zones[trachea].By != "ann" {
		t.Errorf("reopened: lock %v, by %q", e2.Zones[leftLung].Box.Locked, e2.Zones[trachea].By)
	}
}

// TestTwoEditorsConflict: two people on one image. A change saved by one appears in the
// other's editor where it has no unsaved edit; an edit made meanwhile on the same box is
// stored as a conflict, surfaced, and settled by adjudication.
func TestTwoEditorsConflict(t *testing.T) {
	dir := t.TempDir()
	sa, sb := openStore(t, dir), openStore(t, dir)
	a := New("img", imgW, imgH, "ann", original, nil)
	b := New("img", imgW, imgH, "bob", original, nil)
	a.Select(trachea)
	a.Nudge(10, 0)
	a.Select(leftLung)
	a.Nudge(0, -10)
	b.Select(trachea)
	b.Nudge(-10, 0) // bob edits the trachea too, before seeing ann's
	save(t, sa, a)

	log, _ := sb.BoxLog(context.Background(), "img")
	changed := b.Reload(log)
	if !slices.Equal(changed, []int{leftLung}) || b.Zones[leftLung].Box != a.Zones[leftLung].Box {
		t.Fatalf("bob's editor changed %v (left lung %+v), want ann's left lung", changed, b.Zones[leftLung].Box)
	}
	if !b.Zones[trachea].Stale || b.Zones[trachea].Box.X1 != 1190 {
		t.Fatalf("bob's unsaved trachea %+v stale %v: want kept and marked stale", b.Zones[trachea].Box, b.Zones[trachea].Stale)
	}
	if n := save(t, sb, b); n != 1 {
		t.Fatalf("%d conflicts, want 1", n)
	}
	c := b.Zones[trachea].Conflict
	if c == nil || len(c.Rivals) != 1 || c.Rivals[0].After.X1 != 1190 || c.Current.After.X1 != 1210 {
		t.Fatalf("conflict %+v, want ann's 1210 current and bob's 1190 rival", c)
	}
	if b.Zones[trachea].Box.X1 != 1210 || b.HasChanges() {
		t.Fatalf("bob's trachea %+v after the conflict, want the stored box and nothing unsaved", b.Zones[trachea].Box)
	}
	if _, err := sa.Adjudicate(context.Background(), *c, c.Rivals[0].Rev, "ann"); err != nil {
		t.Fatal(err)
	}
	log, _ = sa.BoxLog(context.Background(), "img")
	a.Reload(log)
	if a.Zones[trachea].Conflict != nil || a.Zones[trachea].Box.X1 != 1190 {
		t.Fatalf("after adjudication: conflict %v, trachea %+v", a.Zones[trachea].Conflict, a.Zones[trachea].Box)
	}
}

func TestGazeAid(t *testing.T) {
	l := stage.Fit(imgW, imgH)
	m := Margin(l)
	if want := 40 * float64(imgW) / float64(l.Rect().Dx()); math.Abs(m-want) > 1e-9 || m < 100 || m > 120 {
		t.Fatalf("margin %v DICOM px, want %v", m, want)
	}
	e := newEditor()
	var fixes []Fixation
	for range 10 {
		fixes = append(fixes, Fixation{X: 1250, Y: 500}) // in the trachea, beyond the left lung's margin
	}
	for k := range 4 {
		fixes = append(fixes, Fixation{X: 1400 + m/2, Y: 300 + float64(k)}) // just right of it
	}
	fixes = append(fixes, Fixation{X: 1250, Y: 900 + 2*m}) // well below: near nothing
	g := Gaze(e.Zones, fixes, m)
	tg := g[trachea]
	if tg.Inside != 10 || tg.Near != 4 || !tg.Hint || math.Abs(tg.Share-10.0/15) > 1e-9 {
		t.Fatalf("trachea %+v, want 10 inside (share 10/15), 4 near, hinted", tg)
	}
	// The 4 just right of the trachea lie above the left lung by less than the margin: near
	// it as well.
	if ll := g[leftLung]; ll.Inside != 0 || ll.Near != 4 {
		t.Fatalf("left lung %+v", ll)
	}
	if g[cardiac] != (ZoneGaze{}) {
		t.Fatalf("a zone without a box measured %+v", g[cardiac])
	}
	// A box with many fixations inside and a few along its edge gets no hint.
	for range 40 {
		fixes = append(fixes, Fixation{X: 1250, Y: 600})
	}
	if g := Gaze(e.Zones, fixes, m); g[trachea].Hint {
		t.Fatalf("hinted with %d inside and %d near", g[trachea].Inside, g[trachea].Near)
	}
}

func TestReadings(t *testing.T) {
	dir := t.TempDir()
	cases, err := exporttest.WriteStudy(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, reader := range []string{"r1", "r2"} {
		rec, err := exporttest.Start(dir, exporttest.Spec{ID: "s-" + reader, Reader: reader, Seed: 7, Started: time.Unix(1.7e9, 0),
			Cases: cases, Samples: 120})
		if err != nil {
			t.Fatal(err)
		}
		if err := rec.Screens(len(cases)); err != nil {
			t.Fatal(err)
		}
		if err := rec.Close("complete"); err != nil {
			t.Fatal(err)
		}
	}
	r, err := OpenReadings(dir)
	if err != nil {
		t.Fatal(err)
	}
	id := cases[1].DicomID
	if got := r.Readers(id); !slices.Equal(got, []string{"r1", "r2"}) {
		t.Fatalf("readers %v", got)
	}
	fixes, err := r.Fixations(id)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, f := range fixes {
		per[f.Reader]++
		if f.X < 0 || f.X > float64(cases[1].W) || f.Y < 0 || f.Y > float64(cases[1].H) {
			t.Fatalf("fixation off the image: %+v", f)
		}
	}
	if per["r1"] == 0 || per["r2"] == 0 {
		t.Fatalf("fixations per reader %v, want some from both", per)
	}
	if r2, _ := OpenReadings(t.TempDir()); len(r2.Readers(id)) != 0 {
		t.Fatal("a study without sessions has readers")
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

// stores runs f once per backend with two handles on one new store, as two editors have.
func stores(t *testing.T, f func(t *testing.T, sa, sb review.Store)) {
	open := func(t *testing.T, loc string) review.Store {
		st, err := review.Open(context.Background(), loc, review.Options{PollEvery: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		sa := openStore(t, dir)
		f(t, sa, open(t, dir))
	})
	t.Run("postgres", func(t *testing.T) {
		loc := pgtest.Database(t)
		f(t, open(t, loc), open(t, loc))
	})
}

func reload(t *testing.T, st review.Store, e *Editor) {
	t.Helper()
	log, err := st.BoxLog(context.Background(), e.DicomID)
	if err != nil {
		t.Fatal(err)
	}
	e.Reload(log)
}

// TestUndoRevertsOnlyYourOwnStep: ann moves the trachea and saves, bob moves it and saves,
// ann's editor shows bob's box, ann undoes. Her undo must not silently put her old box over
// bob's: it is stored as a conflict, and bob's box stands until someone adjudicates. Redo
// likewise. With nobody in between, undo and redo are plain edits.
func TestUndoRevertsOnlyYourOwnStep(t *testing.T) {
	stores(t, func(t *testing.T, sa, sb review.Store) {
		ctx := context.Background()
		a := New("img", imgW, imgH, "ann", original, nil)
		b := New("img", imgW, imgH, "bob", original, nil)
		a.Select(trachea)
		a.Nudge(10, 0)
		save(t, sa, a)
		reload(t, sb, b)
		b.Select(trachea)
		b.Nudge(50, 0)
		save(t, sb, b)
		bobs := b.Zones[trachea].Box
		reload(t, sa, a)
		if a.Zones[trachea].Box != bobs {
			t.Fatalf("ann sees %+v, want bob's %+v", a.Zones[trachea].Box, bobs)
		}
		if !a.Undo() {
			t.Fatal("nothing to undo")
		}
		if n := save(t, sa, a); n != 1 {
			t.Fatalf("ann's undo over bob's box stored %d conflicts, want 1", n)
		}
		log, _ := sa.BoxLog(ctx, "img")
		cur := review.CurrentBoxes(log)[review.BoxKey{DicomID: "img", Zone: "trachea"}]
		if cur.After != bobs || cur.Who != "bob" {
			t.Errorf("the trachea as it stands: %+v by %s, want bob's", cur.After, cur.Who)
		}
		c := a.Zones[trachea].Conflict
		if c == nil || len(c.Rivals) != 1 || c.Rivals[0].Who != "ann" || c.Rivals[0].After.X1 != 1200 {
			t.Fatalf("conflict %+v, want ann's undo (x1 1200) as the rival", c)
		}
		if a.HasChanges() || a.Zones[trachea].Box != bobs {
			t.Errorf("after the conflict ann's editor shows %+v, unsaved %v", a.Zones[trachea].Box, a.HasChanges())
		}

		// Redo of a step someone has since overruled: a conflict too.
		if _, err := sa.Adjudicate(ctx, *c, c.Current.Rev, "ann"); err != nil {
			t.Fatal(err)
		}
		a2 := New("img2", imgW, imgH, "ann", original, nil)
		a2.Select(trachea)
		a2.Nudge(10, 0)
		save(t, sa, a2)
		a2.Undo()
		if n := save(t, sa, a2); n != 0 || a2.Zones[trachea].Box.X1 != 1200 {
			t.Fatalf("a plain undo: %d conflicts, box %+v", n, a2.Zones[trachea].Box)
		}
		b2 := New("img2", imgW, imgH, "bob", original, nil)
		reload(t, sb, b2)
		b2.Select(trachea)
		b2.Nudge(0, 30)
		save(t, sb, b2)
		reload(t, sa, a2)
		if !a2.Redo() {
			t.Fatal("nothing to redo")
		}
		if n := save(t, sa, a2); n != 1 {
			t.Errorf("ann's redo over bob's box stored %d conflicts, want 1", n)
		}
		// And a plain redo, nobody in between, is an edit.
		a3 := New("img3", imgW, imgH, "ann", original, nil)
		a3.Select(trachea)
		a3.Nudge(10, 0)
		a3.Undo()
		a3.Redo()
		if n := save(t, sa, a3); n != 0 || a3.Zones[trachea].Box.X1 != 1210 {
			t.Errorf("a plain redo: %d conflicts, box %+v", n, a3.Zones[trachea].Box)
		}
	})
}

// TestNudgeBackLeavesNothingToSave: a box nudged away and back is as saved: no edit.
func TestNudgeBackLeavesNothingToSave(t *testing.T) {
	e := newEditor()
	e.Select(trachea)
	e.Nudge(1, 0)
	if !e.HasChanges() {
		t.Fatal("a nudge left nothing to save")
	}
	e.Nudge(-1, 0)
	if e.HasChanges() || len(e.Edits()) != 0 || e.Zones[trachea].Box.Status != review.Original {
		t.Errorf("nudged back: changes %v, status %q; want nothing to save", e.HasChanges(), e.Zones[trachea].Box.Status)
	}
}
