package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sort"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sightline/reader/demo/demotest"
	"sightline/reader/display"
	"sightline/reader/reading"
	"sightline/reader/review/pgtest"
	"sightline/reader/stage"
	"sightline/ui"
)

// signalView is the reading view's bridge plus a signal once the frame is on the stage widget.
type signalView struct {
	ui.Bridge
	shown chan struct{}
}

func (s signalView) Show(f reading.Frame) {
	s.Bridge.Show(f)
	fyne.DoAndWait(func() {}) // the stage update queued above has run
	s.shown <- struct{}{}
}

func (s signalView) Finished(sum reading.Summary) {
	s.Bridge.Finished(sum)
	close(s.shown)
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	demotest.Remove()
	os.Exit(code)
}

// BenchmarkSpaceToImage measures the time from the space key to the next case's image being
// set on the stage widget, over the demo study, with the real loader, recorder, mouse tracker
// and reading view (Fyne's test driver: the GL paint that follows is not included). As in a
// real reading, the key is pressed once the next image has been decoded.
func BenchmarkSpaceToImage(b *testing.B) {
	dir := demotest.Dir(b)
	test.NewTempApp(b)
	var lat []time.Duration
	// The default microphone, a monitor on a test machine: taken without asking, as before.
	o := &Options{Reader: "bench", CalibEvery: 20, Rate: 60, Seed: 1, SeedSet: true, Err: io.Discard, TrackerSpec: "mouse", NewSession: true,
		monitorOK: true}
	b.ResetTimer()
	for len(lat) < b.N {
		b.StopTimer()
		p, err := prepare(o, dir)
		if err != nil {
			b.Fatal(err)
		}
		v := ui.NewReading()
		w := test.NewTempWindow(b, v.Content())
		w.Resize(fyne.NewSize(stage.Width, stage.Height))
		sv := signalView{Bridge: ui.Bridge{V: v}, shown: make(chan struct{}, 1)}
		run, err := reading.Start(context.Background(), reading.Config{
			Plan: p.plan, Load: display.Loader(p.study), Recorder: p.rec, Tracker: p.gaze,
			Clock: p.clock, View: sv, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			b.Fatal(err)
		}
		v.SetControls(run)
		w.Canvas().SetOnTypedKey(v.TypedKey)
		<-sv.shown
		for len(lat) < b.N {
			for !run.NextReady() {
				time.Sleep(time.Millisecond)
			}
			b.StartTimer()
			t0 := time.Now()
			w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeySpace})
			_, ok := <-sv.shown
			d := time.Since(t0)
			b.StopTimer()
			if !ok {
				break
			}
			lat = append(lat, d)
		}
		run.End()
		<-run.Done()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
}
