package ui

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/boxedit"
	"sightline/reader/demo"
	"sightline/reader/export/exporttest"
	"sightline/reader/review"
	"sightline/reader/study"
)

// benchEditor opens the box editor on the demo study (real DICOMs), with two readers'
// sessions and a mask for the first image, in a 1600×1000 test window.
func benchEditor(b *testing.B) (*BoxEditor, fyne.Window, []demo.Case) {
	b.Helper()
	test.NewTempApp(b)
	dir := b.TempDir()
	cases, err := demo.Write(dir)
	if err != nil {
		b.Fatal(err)
	}
	var ec []exporttest.Case
	for _, c := range cases {
		ec = append(ec, exporttest.Case{DicomID: c.DicomID, W: c.Cols, H: c.Rows})
	}
	for _, r := range []string{"r1", "r2"} {
		rec, err := exporttest.Start(dir, exporttest.Spec{ID: "s-" + r, Reader: r, Seed: 5, Started: time.Unix(1.7e9, 0), Cases: ec, Samples: 1200})
		if err != nil {
			b.Fatal(err)
		}
		if err := rec.Screens(len(ec)); err != nil {
			b.Fatal(err)
		}
		rec.Close("complete")
	}
	m := image.NewGray(image.Rect(0, 0, cases[0].Cols, cases[0].Rows))
	for i := range m.Pix {
		if i%7 < 3 {
			m.Pix[i] = 255
		}
	}
	os.MkdirAll(filepath.Join(dir, boxedit.MasksDir, cases[0].DicomID), 0o755)
	f, _ := os.Create(filepath.Join(dir, boxedit.MasksDir, cases[0].DicomID, "lung.png"))
	png.Encode(f, m)
	f.Close()
	s, err := study.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	st, err := review.Open(context.Background(), dir, review.Options{})
	if err != nil {
		b.Fatal(err)
	}
	readings, err := boxedit.OpenReadings(dir)
	if err != nil {
		b.Fatal(err)
	}
	w := test.NewTempWindow(b, widget.NewLabel(""))
	pump := make(chan func(), 64)
	ed, err := NewBoxEditor(BoxEditorConfig{Study: s, Store: st, Who: "bench", Readings: readings, AutosaveAfter: time.Hour,
		Post: func(f func()) {
			select {
			case pump <- f:
			default: // once the store is read, what is posted (the watch) is not the benchmark's
			}
		}}, w)
	if err != nil {
		b.Fatal(err)
	}
	for !ed.storeRead { // the store's rows, read off the UI goroutine
		(<-pump)()
	}
	w.SetContent(ed.Content())
	w.Resize(fyne.NewSize(1600, 1000))
	b.Cleanup(func() { _ = ed.Close(); st.Close() })
	return ed, w, cases
}

// BenchmarkBoxEditorOpen: opening an image with its layers, cold (not prefetched): the DICOM at full resolution,
// its mask, both readers' fixations, the store's rows, the gaze aid, the boxes drawn.
func BenchmarkBoxEditorOpen(b *testing.B) {
	ed, _, cases := benchEditor(b)
	b.ResetTimer()
	for i := range b.N {
		// Images 0 and 2 in turn: neither is the one prefetched after the other, and the
		// prefetch is let finish outside the timer, so each open loads from the files alone.
		b.StopTimer()
		if ed.pre != nil {
			<-ed.pre.ready
		}
		b.StartTimer()
		if err := ed.Open(cases[2*(i%2)].DicomID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBoxEditorOpenNext: opening the next image in the list, which loaded while the
// previous one was on screen (the wait for the background load is outside the timer).
func BenchmarkBoxEditorOpenNext(b *testing.B) {
	ed, _, cases := benchEditor(b)
	if err := ed.Open(cases[0].DicomID); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if ed.pre == nil { // the end of the list: back to the top
			if err := ed.Open(ed.images[0]); err != nil {
				b.Fatal(err)
			}
		}
		<-ed.pre.ready
		b.StartTimer()
		if err := ed.Open(ed.pre.id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBoxEditorDragFrame: one frame of a handle drag: the pointer event, the model's
// move, the box layer's update and placing, the panels.
func BenchmarkBoxEditorDragFrame(b *testing.B) {
	ed, _, cases := benchEditor(b)
	if err := ed.Open(cases[0].DicomID); err != nil {
		b.Fatal(err)
	}
	i := boxedit.ZoneIndex("left lung")
	ed.ed.Select(i)
	ed.redraw()
	v := ed.stage.DicomView()
	h := v.ToCanvas(boxedit.HandleAt(ed.ed.Zones[i].Box, boxedit.E))
	ed.cv.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(float32(h.X), float32(h.Y))}, Button: desktop.MouseButtonPrimary})
	r := test.WidgetRenderer(ed.stage).(*stageRenderer)
	b.ResetTimer()
	for n := range b.N {
		d := float32(1)
		if n%40 >= 20 {
			d = -1
		}
		ed.cv.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DX: d}})
		r.Refresh()
	}
	b.StopTimer()
	ed.cv.DragEnd()
}

// BenchmarkEditStageRaster: one repaint of the zoomed image (pan, zoom, window/level): every
// pixel of a 1600×1000 view sampled from the full-resolution DICOM with the mask tinted.
func BenchmarkEditStageRaster(b *testing.B) {
	ed, _, cases := benchEditor(b)
	if err := ed.Open(cases[0].DicomID); err != nil {
		b.Fatal(err)
	}
	ed.stage.SetZoom(4, 960, 540)
	out := image.NewRGBA(image.Rect(0, 0, 1600, 1000))
	b.ResetTimer()
	for range b.N {
		renderView(out, ed.stage)
	}
}
