package qavideo

import (
	"image"
	"testing"
	"time"

	"sightline/reader/qa"
	"sightline/reader/qa/qatest"
)

// TestPauseCard: while the case was set aside (paused), its video shows the pause card with
// the time paused, not the gaze held at its last sample; before and after, the stage.
func TestPauseCard(t *testing.T) {
	c := qatest.Case{DicomID: "paused", Samples: 240, JumpAt: 60, Events: []qatest.Event{
		{At: 1500 * ms, Kind: "case_set_aside", Attrs: map[string]string{"why": "paused"}},
		{At: 2500 * ms, Kind: "case_taken_back"},
	}}
	r := record(t, qatest.Session{Cases: []qatest.Case{c}}, 0, nil)
	if len(r.Pauses) != 1 || r.Pauses[0].To-r.Pauses[0].From != time.Second {
		t.Fatalf("pauses %+v, want one of 1 s", r.Pauses)
	}
	p, err := NewPainter(r, nil, r.Case.Layout.Layout, DefaultWidth)
	if err != nil {
		t.Fatal(err)
	}
	card := func(at time.Duration) bool {
		img := image.NewRGBA(image.Rect(0, 0, p.W, p.H))
		p.Paint(img, r.At(r.Start+at))
		// The gaze stands at (0.75, 0.5) from 1 s on: the card hides it.
		x, y := int(0.75*float64(p.W)), int(0.5*float64(p.StageH))
		corner := img.Pix[img.PixOffset(3, 3):]
		isCard := corner[0] == 20 && corner[1] == 20 && corner[2] == 28
		if isCard == near(img.Pix[img.PixOffset(x, y):], qa.GazeColor) {
			t.Errorf("at %v: card %v, gaze shown %v: want one or the other", at, isCard, !isCard)
		}
		return isCard
	}
	for _, k := range []struct {
		at   time.Duration
		card bool
	}{{1200 * ms, false}, {1600 * ms, true}, {2400 * ms, true}, {2600 * ms, false}} {
		if got := card(k.at); got != k.card {
			t.Errorf("at %v: pause card %v, want %v", k.at, got, k.card)
		}
	}
}
