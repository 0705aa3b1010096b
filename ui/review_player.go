package ui

import (
	"fmt"
	"math"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/qa"
	"sightline/reader/session"
)

// The replay's view: the stage, the timeline, the controls, the clock line and the words. What
// plays, at which speed and on which clock is the qa.Player's; this draws it.

// buildPlayer makes the replay's widgets and lays them out.
func (r *Review) buildPlayer() fyne.CanvasObject {
	r.stage = NewStage()
	r.stage.ShowLayer(LayerGaze, false)
	r.stage.ShowLayer(LayerFixations, true)
	r.stage.ShowLayer(LayerScanpath, true)
	r.timeline = NewTimeline()
	r.timeline.OnSeek = r.Seek
	r.clock = widget.NewLabel("")
	r.clock.Truncation = fyne.TextTruncateEllipsis // whatever it says, the layout stays
	r.play = widget.NewButtonWithIcon("", theme.MediaPlayIcon(), r.Toggle)
	var names []string
	for _, v := range qa.Speeds {
		names = append(names, qa.SpeedName(v))
	}
	r.speed = widget.NewSelect(names, func(s string) { r.SetSpeed(qa.ParseSpeed(s)) })
	r.speed.SetSelected(qa.SpeedName(1))
	r.rawGaze = widget.NewCheck("Raw gaze and trail", func(on bool) {
		r.stage.ShowLayer(LayerGaze, on)
		r.show(true)
	})
	prev := widget.NewButtonWithIcon("", theme.MediaSkipPreviousIcon(), func() { r.StepCase(-1) })
	next := widget.NewButtonWithIcon("", theme.MediaSkipNextIcon(), func() { r.StepCase(1) })
	controls := container.NewHBox(prev, r.play, next, r.speed, r.rawGaze)
	help := widget.NewLabel("Space play/pause · ←/→ 1 s · J slower, K pause, L play/faster · N/P next/previous case")
	help.Importance = widget.LowImportance
	r.words = container.New(layout.NewRowWrapLayout())
	words := container.NewVScroll(r.words)
	words.SetMinSize(fyne.NewSize(200, 70))
	r.wordsScroll = words
	edit := widget.NewButtonWithIcon("Edit transcript…", theme.DocumentCreateIcon(), func() {
		if _, _, err := r.EditTranscript(); err != nil {
			dialog.ShowError(dialogError("open the transcript editor", err), r.w)
		}
	})
	// The clock line has a row of its own, as wide as the replay: its text is cut there, the
	// layout never widened by it.
	bottom := container.NewVBox(r.timeline, controls, r.clock, words, container.NewHBox(edit), help)
	return container.NewBorder(nil, bottom, nil, nil, r.stage)
}

// loadImage draws the case's image as the reader saw it: at once when it was decoded ahead,
// else when its decoding (off the UI goroutine) ends. The images of the cases before and after
// it in the table are decoded meanwhile.
func (r *Review) loadImage(c *session.Case) {
	if r.opt.LoadImage == nil {
		return
	}
	if r.images == nil || r.images.load == nil {
		r.images = &reviewImages{load: r.opt.LoadImage}
	}
	e := r.images.get(c.Screen.DicomID)
	select {
	case <-e.done:
		r.showImage(c, e)
	default:
		rp := r.rp
		post := fyne.Do
		if r.post != nil {
			post = r.post
		}
		go func() {
			<-e.done
			post(func() {
				if r.rp == rp { // else another case since
					r.showImage(c, e)
				}
			})
		}()
	}
	ids := []string{c.Screen.DicomID}
	for _, d := range []int{1, -1, 2} {
		if j := r.row + d; j >= 0 && j < len(r.order) {
			if n := r.cases[r.order[j]]; n.Screen.Kind == session.KindCase {
				ids = append(ids, n.Screen.DicomID)
				r.images.get(n.Screen.DicomID)
			}
		}
	}
	r.images.keep(ids)
}

// showImage puts a decoded image on the stage (the case on show is c).
func (r *Review) showImage(c *session.Case, e *caseImage) {
	if e.err != nil {
		r.problems.SetText(r.problems.Text + "\nimage: " + e.err.Error())
		return
	}
	l := e.l
	if c.HasLayout {
		l = c.Layout.Layout
	}
	r.stage.SetImage(e.img, l)
	r.show(true)
}

// refreshWords lays the words out again in the size their scroll gives them.
func (r *Review) refreshWords() {
	if r.wordsScroll == nil {
		r.words.Refresh()
		return
	}
	// A row-wrap layout knows how tall its rows are only once it has laid them out at a width,
	// and the scroll sizes its content only when it is itself laid out (a resize, or a hover
	// that shows its bar): lay the words out, give them the height their rows now need, and
	// let the scroll update its bar.
	r.words.Refresh()
	r.words.Resize(r.words.MinSize().Max(r.wordsScroll.Size()))
	r.wordsScroll.Refresh()
}

func (r *Review) buildWords() {
	r.wordBtns = r.wordBtns[:0]
	r.words.Objects = r.words.Objects[:0]
	if r.rp == nil || len(r.rp.Phrases) == 0 {
		l := widget.NewLabel("No transcript.")
		if r.rp != nil && r.rp.Case.Transcript != "" {
			l.SetText("The transcript has no timed phrases.")
		}
		r.words.Objects = append(r.words.Objects, l)
		r.refreshWords()
		return
	}
	for _, p := range r.rp.Phrases {
		at := p.Begin
		b := widget.NewButton(p.Text, func() { r.Seek(at) })
		b.Importance = widget.LowImportance
		r.wordBtns = append(r.wordBtns, b)
		r.words.Objects = append(r.words.Objects, b)
	}
	r.refreshWords()
}

// Replay is the case on show (nil before one is).
func (r *Review) Replay() *qa.Replay { return r.rp }

// Position is the play head's time.
func (r *Review) Position() time.Duration {
	if r.player == nil {
		return 0
	}
	return r.player.Position()
}

// Playing reports whether the replay plays.
func (r *Review) Playing() bool { return r.player != nil && r.player.Playing() }

// Speed is the replay's speed.
func (r *Review) Speed() float64 {
	if r.player == nil {
		return qa.ParseSpeed(r.speed.Selected)
	}
	return r.player.Speed()
}

// ClockText is the clock line (time, speed and what drives it).
func (r *Review) ClockText() string { return r.clock.Text }

// TypedKey handles the replay's keys; the app routes the window's typed keys here.
func (r *Review) TypedKey(e *fyne.KeyEvent) {
	if r.player == nil {
		return
	}
	switch e.Name {
	case fyne.KeySpace:
		r.Toggle()
	case fyne.KeyLeft:
		r.Seek(r.player.Position() - time.Second)
	case fyne.KeyRight:
		r.Seek(r.player.Position() + time.Second)
	case fyne.KeyJ:
		r.setSpeedSelect(qa.Slower(r.player.Speed()))
	case fyne.KeyK:
		r.Pause()
	case fyne.KeyL:
		if r.player.Playing() {
			r.setSpeedSelect(qa.Faster(r.player.Speed()))
		} else {
			r.Play()
		}
	case fyne.KeyN:
		r.StepCase(1)
	case fyne.KeyP:
		r.StepCase(-1)
	}
}

func (r *Review) setSpeedSelect(v float64) {
	if name := qa.SpeedName(v); slices.Contains(r.speed.Options, name) {
		r.speed.SetSelected(name) // its OnChanged sets the speed (once: the audio restarts at it)
		return
	}
	r.SetSpeed(v)
}

// SetSpeed sets the replay's speed; the audio plays at it.
func (r *Review) SetSpeed(v float64) {
	if r.player == nil {
		return
	}
	r.player.SetSpeed(v)
	r.show(false)
}

// Seek moves the replay to t.
func (r *Review) Seek(t time.Duration) {
	if r.player == nil {
		return
	}
	r.player.Seek(t)
	r.show(true)
}

// Toggle plays or pauses.
func (r *Review) Toggle() {
	if r.Playing() {
		r.Pause()
	} else {
		r.Play()
	}
}

// Play plays from the play head.
func (r *Review) Play() {
	if r.player == nil || r.player.Playing() {
		return
	}
	r.player.Play()
	if err := r.player.SoundErr(); err != nil && r.audio.Err == nil {
		fyne.LogError("review: no sound", err) // the clock line says it short
	}
	r.play.SetIcon(theme.MediaPauseIcon())
	r.startTicker()
	r.show(false)
}

// Pause stops the replay where it is.
func (r *Review) Pause() {
	if r.player == nil {
		return
	}
	r.player.Pause()
	r.stopTicker()
	r.play.SetIcon(theme.MediaPlayIcon())
	r.show(false)
}

// stop ends the replay of the case on show (leaving it or the view).
func (r *Review) stop() {
	if r.player != nil {
		r.player.Stop()
	}
	r.stopTicker()
	if r.play != nil {
		r.play.SetIcon(theme.MediaPlayIcon())
	}
}

func (r *Review) startTicker() {
	r.stopTicker()
	if r.noTicker {
		return
	}
	stop := make(chan struct{})
	r.mu.Lock()
	r.ticker = stop
	r.mu.Unlock()
	go func() {
		t := time.NewTicker(time.Second / 60)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fyne.Do(func() {
					select {
					case <-stop:
					default:
						r.Frame()
					}
				})
			}
		}
	}()
}

func (r *Review) stopTicker() {
	r.mu.Lock()
	if r.ticker != nil {
		close(r.ticker)
		r.ticker = nil
	}
	r.mu.Unlock()
}

// Frame draws the replay at the play head, which the audio clock drives while audio plays.
func (r *Review) Frame() {
	if r.player == nil {
		return
	}
	if !r.player.Tick() {
		r.Pause()
		return
	}
	r.show(false)
}

// show draws the frame at the play head; all redraws the fixations even when the same.
func (r *Review) show(all bool) {
	if r.rp == nil {
		return
	}
	t := r.player.Position()
	f := r.rp.At(t)
	r.stage.SetFixations(r.fixes[:len(f.Fixations)])
	if r.stage.LayerShown(LayerGaze) {
		buf := r.trail[r.flip][:0]
		for _, g := range f.Trail {
			if g.Valid {
				buf = append(buf, Point{g.X, g.Y})
			}
		}
		r.trail[r.flip], r.flip = buf, 1-r.flip
		r.stage.SetTrail(buf)
		r.stage.SetGaze(f.Gaze.X, f.Gaze.Y, f.HasGaze && f.Gaze.Valid)
	}
	r.timeline.SetPosition(t)
	if f.Phrase != r.phrase {
		for i, b := range r.wordBtns {
			imp := widget.LowImportance
			if i == f.Phrase {
				imp = widget.HighImportance
			}
			if b.Importance != imp {
				b.Importance = imp
				b.Refresh()
			}
		}
		r.phrase = f.Phrase
	}
	text := fmt.Sprintf("%s / %s · %g× · %s", clockText(t-r.rp.Start), clockText(r.rp.End-r.rp.Start), r.player.Speed(), r.player.ClockSource())
	if all || text != r.clock.Text {
		r.clock.SetText(text)
	}
}

func clockText(d time.Duration) string {
	d = max(d, 0)
	return fmt.Sprintf("%d:%04.1f", int(d.Minutes()), math.Mod(d.Seconds(), 60))
}

// Phrase is the index of the transcript phrase highlighted, or −1.
func (r *Review) Phrase() int { return r.phrase }

// Words are the transcript's phrase buttons (clicking one seeks to it).
func (r *Review) Words() []*widget.Button { return r.wordBtns }

// Stage is the replay's stage.
func (r *Review) Stage() *Stage { return r.stage }

// Timeline is the replay's timeline.
func (r *Review) Timeline() *Timeline { return r.timeline }
