package ui

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/test"

	"sightline/reader/stage"
)

// fullStage is a stage with something on every layer: an image, two vectors, three
// fixations (overlay on), a gaze point and a trail of four points.
func fullStage(t *testing.T) *Stage {
	t.Helper()
	test.NewTempApp(t)
	st := NewStage()
	l := stage.Fit(2544, 3056)
	r := l.Rect()
	st.SetImage(image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy())), l)
	st.SetVectors([]Vector{{0.1, 0.1, 0.2, 0.2, color.White}, {0.5, 0.5, 0.6, 0.5, color.White}})
	st.SetFixations([]stage.Fix{{ID: 1, X: 0.4, Y: 0.4, Duration: 0.2}, {ID: 2, X: 0.5, Y: 0.5, Duration: 0.4}, {ID: 3, X: 0.6, Y: 0.4, Duration: 0.1}})
	st.SetOverlay(true)
	st.SetGaze(0.3, 0.6, true)
	st.SetTrail([]Point{{0.1, 0.5}, {0.2, 0.55}, {0.25, 0.6}, {0.3, 0.6}})
	w := test.NewTempWindow(t, st)
	w.Resize(fyne.NewSize(960, 540))
	return st
}

// kinds counts the stage's objects by kind, the black background aside.
func kinds(st *Stage) map[string]int {
	m := map[string]int{}
	for i, o := range test.WidgetRenderer(st).Objects() {
		if i == 0 {
			continue // the background
		}
		m[fmt.Sprintf("%T", o)]++
	}
	return m
}

// Each layer can be shown alone and then draws only its own objects; all together they draw
// the union.
func TestStageLayersAlone(t *testing.T) {
	want := map[Layer]map[string]int{
		LayerImage:     {"*canvas.Image": 1},
		LayerTargets:   {"*canvas.Line": 2},
		LayerGaze:      {"*canvas.Line": 3, "*canvas.Circle": 1},
		LayerFixations: {"*canvas.Circle": 3, "*canvas.Text": 3},
		LayerScanpath:  {"*canvas.Line": 2},
	}
	st := fullStage(t)
	all := map[string]int{}
	for l := range numLayers {
		t.Run(fmt.Sprint("layer ", l), func(t *testing.T) {
			for o := range numLayers {
				st.ShowLayer(o, o == l)
			}
			if got := kinds(st); fmt.Sprint(got) != fmt.Sprint(want[l]) {
				t.Fatalf("layer %d alone draws %v, want %v", l, got, want[l])
			}
			for k, n := range want[l] {
				all[k] += n
			}
		})
	}
	for l := range numLayers {
		st.ShowLayer(l, true)
	}
	if got := kinds(st); fmt.Sprint(got) != fmt.Sprint(all) {
		t.Fatalf("all layers draw %v, want %v", got, all)
	}
	st.ShowLayer(LayerFixations, false)
	if st.Overlay() || st.LayerShown(LayerFixations) || !st.LayerShown(LayerGaze) {
		t.Fatal("ShowLayer and Overlay disagree")
	}
}

// A change to one layer updates that layer alone, and the objects of the others are the same
// objects, not rebuilt.
func TestStageRedrawsOnlyTheLayerThatChanged(t *testing.T) {
	st := fullStage(t)
	r := test.WidgetRenderer(st).(*stageRenderer)
	before := r.updates
	ring := r.layers[LayerFixations].(*fixationLayer).rings[0]
	for i := range 10 {
		st.SetGaze(0.3+0.01*float64(i+1), 0.6, true)
	}
	if r.updates[LayerGaze]-before[LayerGaze] != 10 {
		t.Errorf("gaze layer updated %d times for 10 gaze points", r.updates[LayerGaze]-before[LayerGaze])
	}
	for _, l := range []Layer{LayerImage, LayerTargets, LayerFixations} {
		if r.updates[l] != before[l] {
			t.Errorf("layer %d updated by a gaze point", l)
		}
	}
	st.SetFixations(append(st.fixes, stage.Fix{ID: 4, X: 0.7, Y: 0.7, Duration: 0.3}))
	fl := r.layers[LayerFixations].(*fixationLayer)
	if fl.rings[0] != ring || fl.n != 4 || r.updates[LayerImage] != before[LayerImage] {
		t.Errorf("a new fixation rebuilt the rings or redrew the image (%d rings shown)", fl.n)
	}
	// A hidden layer is not drawn when its data changes, and is brought up to date when shown.
	st.ShowLayer(LayerGaze, false)
	n := r.updates[LayerGaze]
	st.SetGaze(0.9, 0.9, true)
	if r.updates[LayerGaze] != n {
		t.Error("a hidden layer was updated")
	}
	st.ShowLayer(LayerGaze, true)
	want := st.StageToCanvas(0.9*stage.Width, 0.9*stage.Height)
	dot := r.layers[LayerGaze].(*gazeLayer).dot
	if c := dot.Position().Add(fyne.NewPos(dot.Size().Width/2, dot.Size().Height/2)); math.Abs(float64(c.X-want.X)) > 0.01 || math.Abs(float64(c.Y-want.Y)) > 0.01 {
		t.Errorf("gaze dot at %v once shown, want %v", c, want)
	}
}

// Every layer draws through the one mapping: rendered at canvas scale 1 and 2, in a window that
// fits the stage and in a square one that letterboxes it, each layer's mark is found at the
// device pixel the mapping gives for its stage point.
func TestStageLayerCoordinates(t *testing.T) {
	p := Point{0.25, 0.7}
	marks := []struct {
		layer Layer
		set   func(st *Stage)
		isOn  func(r, g, b uint32) bool
	}{
		{LayerGaze, func(st *Stage) { st.SetGaze(p.X, p.Y, true) }, func(r, g, b uint32) bool { return g > 150 && r < 100 }},
		{LayerTargets, func(st *Stage) { st.SetTargets([]Point{p}) }, func(r, g, b uint32) bool { return r > 150 && g > 150 && b > 150 }},
		{LayerFixations, func(st *Stage) {
			st.SetFixations([]stage.Fix{{ID: 1, X: p.X, Y: p.Y, Duration: 1}})
			st.SetOverlay(true)
		}, func(r, g, b uint32) bool { return r > 150 && b < 100 }},
	}
	for _, scale := range []float32{1, 2} {
		for _, win := range [][2]float32{{stage.Width, stage.Height}, {1000, 1000}} {
			for _, mk := range marks {
				t.Run(fmt.Sprintf("layer %d scale %v window %vx%v", mk.layer, scale, win[0], win[1]), func(t *testing.T) {
					test.NewTempApp(t)
					st := NewStage()
					mk.set(st)
					for l := range numLayers {
						st.ShowLayer(l, l == mk.layer)
					}
					c := software.NewCanvas()
					c.SetScale(scale)
					c.SetPadded(false)
					c.SetContent(st)
					c.Resize(fyne.NewSize(win[0]/scale, win[1]/scale))
					shot := c.Capture()
					var sx, sy, n float64
					b := shot.Bounds()
					for y := b.Min.Y; y < b.Max.Y; y++ {
						for x := b.Min.X; x < b.Max.X; x++ {
							r, g, bl, _ := shot.At(x, y).RGBA()
							if mk.isOn(r>>8, g>>8, bl>>8) {
								sx, sy, n = sx+float64(x)+0.5, sy+float64(y)+0.5, n+1
							}
						}
					}
					if n == 0 {
						t.Fatal("mark not drawn")
					}
					wx, wy := c.PixelCoordinateForPosition(st.StageToCanvas(p.X*stage.Width, p.Y*stage.Height))
					if math.Abs(sx/n-float64(wx)) > 2 || math.Abs(sy/n-float64(wy)) > 2 {
						t.Fatalf("mark centred at (%.1f, %.1f) device px, the mapping says (%d, %d)", sx/n, sy/n, wx, wy)
					}
				})
			}
		}
	}
}

// BenchmarkStageGaze is one live gaze point on a stage that also shows an image and 50
// fixations: what the operator console pays per point.
//
//	go test -tags migrated_fynedo -run '^$' -bench StageGaze ./ui
func BenchmarkStageGaze(b *testing.B) {
	test.NewTempApp(b)
	st := NewStage()
	l := stage.Fit(2544, 3056)
	r := l.Rect()
	st.SetImage(image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy())), l)
	var fixes []stage.Fix
	for i := range MaxOverlayFixations {
		fixes = append(fixes, stage.Fix{ID: int64(i + 1), X: 0.3 + 0.005*float64(i), Y: 0.5, Duration: 0.2})
	}
	st.SetFixations(fixes)
	st.SetOverlay(true)
	w := test.NewTempWindow(b, st)
	w.Resize(fyne.NewSize(960, 540))
	i := 0
	for b.Loop() {
		i++
		st.SetGaze(0.3+float64(i%100)*0.001, 0.5, true)
	}
}

// The scanpath joins the overlay's fixations in order through the stage's mapping, the newest
// line the most opaque.
func TestStageScanpath(t *testing.T) {
	st := fullStage(t)
	st.ShowLayer(LayerScanpath, true)
	r := test.WidgetRenderer(st).(*stageRenderer)
	sl := r.layers[LayerScanpath].(*scanpathLayer)
	if sl.n != len(st.fixes)-1 {
		t.Fatalf("%d lines for %d fixations", sl.n, len(st.fixes))
	}
	for i := range sl.n {
		a, b := st.fixes[i], st.fixes[i+1]
		l := sl.lines[i]
		if l.Position1 != st.StageToCanvas(a.X*stage.Width, a.Y*stage.Height) || l.Position2 != st.StageToCanvas(b.X*stage.Width, b.Y*stage.Height) {
			t.Errorf("line %d from %v to %v, want fixation %d to %d", i, l.Position1, l.Position2, i+1, i+2)
		}
		if i > 0 && l.StrokeColor.(color.NRGBA).A <= sl.lines[i-1].StrokeColor.(color.NRGBA).A {
			t.Errorf("line %d is not more opaque than the older line before it", i)
		}
	}
}
