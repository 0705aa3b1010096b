package app

import (
	"context"
	"fmt"
	"image"
	"sync"

	"fyne.io/fyne/v2"

	"sightline/reader/display"
	"sightline/reader/ownpass"
	"sightline/reader/review"
	"sightline/reader/stage"
	"sightline/reader/transcribe"
	"sightline/ui"
)

// The reader's own pass, wired: each case's draft made in the background while the session
// runs (ownpass.Session behind the microphone), and at the session's end the pass over them
// (ui.OwnPass) with the study's review store.

// startDrafts starts the drafts of a session that records dictation (nil for gaze only).
func startDrafts(o *Options, p *prepared) *ownpass.Session {
	if p.audio == nil {
		return nil
	}
	s := ownpass.NewSession(ownpass.SessionOptions{StudyDir: p.study.Dir, Reader: o.Reader, SessionID: p.sessionID, Dir: p.dir, Log: o.Err})
	atQuit(func() { s.Close(closeWait) })
	return s
}

// offerOwnPass wires the session summary to the pass (nil s: no dictation, no pass).
func offerOwnPass(w fyne.Window, o *Options, v *ui.Reading, s *ownpass.Session, p *prepared) {
	if s == nil {
		return
	}
	ui.OfferOwnPass(w, v, func() (ui.OwnPassOptions, error) {
		pass, err := s.Pass()
		if err != nil {
			return ui.OwnPassOptions{}, err
		}
		st, err := review.Open(context.Background(), p.study.Dir, storeOptions(o, false))
		if err != nil {
			return ui.OwnPassOptions{}, fmt.Errorf("open the review store: %w", err)
		}
		atQuit(func() { st.Close() })
		return ui.OwnPassOptions{
			Reader: o.Reader, Cases: pass.Cases, Earlier: pass.Earlier, Draft: s.Draft, Watch: s.Subscribe,
			LoadImage: func(id string) (image.Image, stage.Layout, error) { return display.Load(p.study, id) },
			Save: func(c ownpass.Case, ed *transcribe.Edit) (transcribe.Saved, error) {
				return pass.Save(context.Background(), st, c, ed)
			},
			Record: pass.Set, Sound: openSound,
		}, nil
	}, func() {
		if err := s.Decline(); err != nil {
			fmt.Fprintf(o.Err, "sightline: %v\n", err)
		}
	})
}

// Work the station does beside its window (drafts, an enrollment's recording, stores), stopped
// when the window's loop returns: atQuit registers, stationQuit runs them, last first.
var (
	quitMu  sync.Mutex
	quitFns []func()
)

func atQuit(f func()) {
	quitMu.Lock()
	quitFns = append(quitFns, f)
	quitMu.Unlock()
}

// stationQuit stops the station's background work (after the session on show has ended).
func stationQuit() {
	quitMu.Lock()
	fns := quitFns
	quitFns = nil
	quitMu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
