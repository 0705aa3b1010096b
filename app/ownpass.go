package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"sightline/reader/audio"
	"sightline/reader/display"
	"sightline/reader/ownpass"
	"sightline/reader/reading"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
	"sightline/reader/transcribe"
	"sightline/ui"
)

// The reader's own pass, wired: each case's draft made in the background while the session
// runs (ownpass.Drafter behind the microphone), and at the session's end the pass over them
// (ui.OwnPass) with the study's review store.

// sessionDrafts are the drafts of the session being read.
type sessionDrafts struct {
	d         *ownpass.Drafter
	study     *study.Study
	studyDir  string
	reader    string
	sessionID string
	dir       string // the session folder
}

// startDrafts starts the drafter of a session that records dictation (nil for gaze only). Its
// engine is the one `sightline transcribe` would use for the reader: their adapted model when
// they are enrolled, else the base one.
func startDrafts(o *Options, p *prepared) *sessionDrafts {
	if p.audio == nil {
		return nil
	}
	s := &sessionDrafts{study: p.study, studyDir: p.study.Dir, reader: o.Reader, sessionID: p.sessionID, dir: p.dir}
	s.d = ownpass.NewDrafter(ownpass.DrafterOptions{
		Open: func() (transcribe.Engine, error) { return s.engine() },
		Log:  o.Err,
	})
	atQuit(func() { s.d.Close(closeWait) })
	return s
}

// engine opens the recogniser `sightline transcribe` uses for the reader: their adapted model
// when they are enrolled, else the base one (transcribe.ForReader).
func (s *sessionDrafts) engine() (transcribe.Engine, error) {
	return transcribe.New(transcribe.ForReader(transcribe.Config{}, s.studyDir, s.reader))
}

// audio is the session's microphone with the drafter behind it: each case, once its audio.wav
// is closed, is queued for its draft.
func (s *sessionDrafts) audio(a reading.Audio) reading.Audio {
	if s == nil || a == nil {
		return a
	}
	rig, ok := a.(*audio.SessionMic)
	if !ok {
		return a
	}
	return &draftingAudio{SessionMic: rig, d: s.d}
}

// draftingAudio is the rig, whose End queues the case just closed. It keeps the rig's Aside
// and Back (reading.AsideAudio) by embedding it.
type draftingAudio struct {
	*audio.SessionMic
	d   *ownpass.Drafter
	dir string
}

// Begin is part of reading.Audio.
func (a *draftingAudio) Begin(dir string, host time.Duration) error {
	a.dir = ""
	if err := a.SessionMic.Begin(dir, host); err != nil {
		return err
	}
	a.dir = dir
	return nil
}

// End is part of reading.Audio: the case's audio.wav is closed when it returns.
func (a *draftingAudio) End(host time.Duration) (reading.AudioCheck, error) {
	c, err := a.SessionMic.End(host)
	if a.dir != "" && c.Seconds > 0 {
		a.d.Add(a.dir)
	}
	a.dir = ""
	return c, err
}

// draft is where a case's draft stands: the drafter's word for a case it had; a case it never
// had (read in an earlier sitting of the session) is looked up on disk and queued when it has
// no transcript yet.
func (s *sessionDrafts) draft(c ownpass.Case) ownpass.Draft {
	if d, ok := s.d.Get(c.Dir); ok {
		return d
	}
	if _, err := os.Stat(filepath.Join(c.Dir, transcribe.TranscriptFile)); err == nil {
		return ownpass.Draft{Dir: c.Dir, State: ownpass.Done, Result: transcribe.Result{Status: transcribe.StatusWritten}}
	}
	s.d.Add(c.Dir)
	d, _ := s.d.Get(c.Dir)
	return d
}

// summary wires the session summary: "Review my dictations" opens the pass; Close, when the
// reader leaves without it, records every case as not reviewed.
func (s *sessionDrafts) summary(w fyne.Window, o *Options, v *ui.Reading) {
	if s == nil {
		return
	}
	closeWindow := v.OnClose
	v.OwnPass = func() { s.openPass(w, o, v) }
	v.OnClose = func() {
		go func() {
			if cases, err := s.cases(); err == nil && len(cases) > 0 {
				if _, err := ownpass.Read(s.dir); errors.Is(err, os.ErrNotExist) {
					rec := ownpass.NewRecord(s.reader, cases, ownpass.WhyDeclined, time.Now())
					if err := rec.Write(s.dir); err != nil {
						fmt.Fprintf(o.Err, "sightline: %v\n", err)
					}
				}
			}
			ui.Do(closeWindow)
		}()
	}
}

// cases are the session's cases with a dictation.
func (s *sessionDrafts) cases() ([]ownpass.Case, error) {
	op, err := session.Open(s.dir)
	if err != nil {
		return nil, err
	}
	return ownpass.Cases(op), nil
}

// openPass opens the pass off the UI goroutine (the session's files, the review store), then
// shows it; a failure is said over the summary.
func (s *sessionDrafts) openPass(w fyne.Window, o *Options, v *ui.Reading) {
	go func() {
		pass, err := s.preparePass(o)
		ui.Do(func() {
			if err != nil {
				dialog.ShowError(err, w)
				return
			}
			pass.Close = func() { v.OnClose() }
			view := ui.NewOwnPass(w, pass)
			w.SetContent(view.Content())
			w.Canvas().SetOnTypedKey(view.TypedKey)
		})
	}()
}

// preparePass gathers what the pass needs: the cases, the review store, the record.
func (s *sessionDrafts) preparePass(o *Options) (ui.OwnPassOptions, error) {
	cases, err := s.cases()
	if err != nil {
		return ui.OwnPassOptions{}, fmt.Errorf("open your dictations: %w", err)
	}
	if len(cases) == 0 {
		return ui.OwnPassOptions{}, errors.New("this session recorded no dictation")
	}
	st, err := review.Open(context.Background(), s.studyDir, storeOptions(o, false))
	if err != nil {
		return ui.OwnPassOptions{}, fmt.Errorf("open the review store: %w", err)
	}
	atQuit(func() { st.Close() })
	rec := &passRecord{dir: s.dir, r: ownpass.NewRecord(s.reader, cases, ownpass.WhyEnded, time.Now())}
	var earlier []ownpass.CaseRecord
	if old, err := ownpass.Read(s.dir); err == nil && old.Reader == s.reader {
		rec.r, earlier = old, old.Cases // a pass taken up again: what was done stays
		for _, c := range cases {
			if _, ok := old.Get(c.Name); !ok { // a case read since
				rec.r.Set(ownpass.CaseRecord{Case: c.Name, Status: ownpass.NotReviewed, Why: ownpass.WhyEnded}, time.Now())
			}
		}
	}
	return ui.OwnPassOptions{
		Reader:    s.reader,
		Cases:     cases,
		Draft:     s.draft,
		Watch:     s.d.Subscribe,
		LoadImage: func(id string) (image.Image, stage.Layout, error) { return display.Load(s.study, id) },
		Save: func(c ownpass.Case, ed *transcribe.Edit) (transcribe.Saved, error) {
			eng, err := s.engine() // re-timed with the reader's own model
			if err != nil {
				eng = nil // saved without re-timing; Saved.Align says why
			} else {
				defer transcribe.Close(eng)
			}
			return ed.Save(context.Background(), eng, st, s.sessionID, c.Name, s.reader, time.Now())
		},
		Record:  rec.set,
		Sound:   openSound,
		Earlier: earlier,
	}, nil
}

// passRecord is own_pass.json, written after each case.
type passRecord struct {
	mu  sync.Mutex
	dir string
	r   *ownpass.Record
}

func (p *passRecord) set(c ownpass.CaseRecord) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.r.Set(c, time.Now())
	return p.r.Write(p.dir)
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
