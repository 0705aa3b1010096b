package ui

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/ownpass"
	"sightline/reader/qa"
	"sightline/reader/stage"
	"sightline/reader/transcribe"
)

// OwnPassOptions connect the reader's own pass to the session's cases, drafts, store and sound.
// The functions marked "off the UI goroutine" are called from goroutines of the view's own.
type OwnPassOptions struct {
	Reader string
	Cases  []ownpass.Case
	// Draft is where the case's draft stands now (a case the drafter never had is looked
	// up on disk, and queued when it has none).
	Draft func(c ownpass.Case) ownpass.Draft
	// Watch calls f, from any goroutine, at each change of a draft, until stop is called.
	Watch func(f func(ownpass.Draft)) (stop func())
	// LoadImage is the case's image as the reader saw it; off the UI goroutine.
	LoadImage func(dicomID string) (image.Image, stage.Layout, error)
	// Save stores the reader's transcript of c (as corrected, or the draft as it stands) as
	// theirs in the review store; off the UI goroutine.
	Save func(c ownpass.Case, ed *transcribe.Edit) (transcribe.Saved, error)
	// Record records a case's outcome (own_pass.json); off the UI goroutine.
	Record func(r ownpass.CaseRecord) error
	// Sound opens the sound output; nil: the dictations cannot be played.
	Sound func() (Sound, error)
	// Close ends the pass (the reader is done): the station's window closes.
	Close func()
	// Earlier is what an earlier pass over the session recorded (a session continued after
	// its pass): the cases reviewed then are not shown first again.
	Earlier []ownpass.CaseRecord

	background func(func()) // runs off-UI work (nil: a goroutine); the tests run it in line
	afterSave  func()       // told when a save's outcome is shown (tests)
}

// OwnPass is the reader's pass over their own dictations at the session's end, one case at a
// time: the image they read, the draft transcript with the words the recogniser was unsure
// of marked, their dictation to play, and the transcript editor. Approve (or save, when they
// changed it) stores the transcript as theirs and goes to the next case; Skip leaves it not
// reviewed. Keys: Enter = the highlighted button, Space = play/pause (outside a text field).
type OwnPass struct {
	w   fyne.Window
	opt OwnPassOptions
	rec map[string]ownpass.CaseRecord // what the reader did, by case

	root    *fyne.Container
	title   *widget.Label
	stage   *Stage
	side    *fyne.Container // the editor, or what the draft waits for
	waiting *widget.Label
	status  *widget.Label
	play    *widget.Button
	prev    *widget.Button
	skip    *widget.Button
	primary *widget.Button
	finish  *widget.Button

	i       int               // the case on show
	editor  *TranscriptEditor // nil: no draft on show
	opening bool              // the draft is being opened
	stop    func()            // stops Watch

	sound   *soundPlayer
	endCard fyne.CanvasObject
	earlier map[string]bool // cases an earlier pass recorded: left as it said unless acted on now
}

// NewOwnPass makes the pass over opt.Cases, on its first case.
func NewOwnPass(w fyne.Window, opt OwnPassOptions) *OwnPass {
	if opt.background == nil {
		opt.background = func(f func()) { go f() }
	}
	p := &OwnPass{w: w, opt: opt, rec: map[string]ownpass.CaseRecord{}, sound: &soundPlayer{open: opt.Sound, background: opt.background}}
	p.sound.ended = func() { Do(func() { p.playLabel(false) }) }
	p.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.stage = NewStage()
	p.waiting = widget.NewLabel("")
	p.waiting.Wrapping = fyne.TextWrapWord
	p.side = container.NewStack(p.waiting)
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.play = widget.NewButtonWithIcon("Play dictation", theme.MediaPlayIcon(), p.TogglePlay)
	p.prev = widget.NewButtonWithIcon("Previous", theme.NavigateBackIcon(), func() { p.Open(p.i - 1) })
	p.skip = widget.NewButtonWithIcon("Skip", theme.MediaSkipNextIcon(), p.Skip)
	p.primary = widget.NewButtonWithIcon("Approve and next", theme.ConfirmIcon(), p.Approve)
	p.primary.Importance = widget.HighImportance
	p.finish = widget.NewButtonWithIcon("End the pass", theme.LogoutIcon(), p.Finish)
	help := widget.NewLabel("Enter: the highlighted button · Space: play or pause your dictation (outside a text field) · " +
		"\"?\" and a number marks a word the recogniser was unsure of: worth a listen")
	help.Wrapping = fyne.TextWrapWord
	help.Importance = widget.LowImportance
	bar := container.NewHBox(p.prev, p.play, p.skip, p.finish, p.primary)
	bottom := container.NewVBox(p.status, container.NewCenter(bar), help)
	split := container.NewHSplit(p.stage, container.NewPadded(p.side))
	split.Offset = 0.55
	p.root = container.NewBorder(container.NewPadded(p.title), bottom, nil, nil, split)
	if opt.Watch != nil {
		p.stop = opt.Watch(func(d ownpass.Draft) { Do(func() { p.drafted(d) }) })
	}
	first := 0
	p.earlier = map[string]bool{}
	for _, r := range opt.Earlier {
		p.earlier[r.Case] = true
		if r.Status == ownpass.Reviewed {
			p.rec[r.Case] = r
		}
	}
	for first < len(opt.Cases)-1 && p.rec[opt.Cases[first].Name].Status == ownpass.Reviewed {
		first++
	}
	p.Open(first)
	return p
}

// Content is the view's root object.
func (p *OwnPass) Content() fyne.CanvasObject { return p.root }

// Case is the index of the case on show.
func (p *OwnPass) Case() int { return p.i }

// Editor is the transcript editor on show; nil while the case has no draft.
func (p *OwnPass) Editor() *TranscriptEditor { return p.editor }

// WaitingText is what the side says while there is no editor ("" with one).
func (p *OwnPass) WaitingText() string {
	if p.editor != nil {
		return ""
	}
	return p.waiting.Text
}

// Primary is the highlighted button: Approve and next, Save and next, or Next.
func (p *OwnPass) Primary() *widget.Button { return p.primary }

// Status is the status line's text.
func (p *OwnPass) Status() string { return p.status.Text }

// TypedKey handles the pass's keys; install it with Canvas().SetOnTypedKey.
func (p *OwnPass) TypedKey(e *fyne.KeyEvent) {
	switch e.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		top := fyne.CanvasObject(p.root)
		if p.endCard != nil {
			top = p.endCard
		}
		if b := highlighted(top); b != nil && b.OnTapped != nil {
			b.OnTapped()
		}
	case fyne.KeySpace:
		if p.endCard == nil {
			p.TogglePlay()
		}
	}
}

// Open shows case i (its image, its draft or what the draft waits for).
func (p *OwnPass) Open(i int) {
	if i < 0 || i >= len(p.opt.Cases) {
		return
	}
	p.sound.stop()
	p.playLabel(false)
	p.i, p.editor, p.opening = i, nil, false
	c := p.opt.Cases[i]
	p.title.SetText(fmt.Sprintf("Your dictations · case %d of %d", i+1, len(p.opt.Cases)))
	p.status.SetText(p.caseNote(c))
	p.stage.SetImage(nil, stage.Layout{})
	if p.opt.LoadImage != nil {
		p.opt.background(func() {
			img, l, err := p.opt.LoadImage(c.DicomID)
			Do(func() {
				if p.i != i {
					return
				}
				if err != nil {
					p.status.SetText("The image cannot be shown: " + err.Error())
					return
				}
				p.stage.SetImage(img, l)
			})
		})
	}
	p.sound.load(c.WAV)
	p.showDraft(p.opt.Draft(c))
	p.buttons()
}

// caseNote is what the status line says of a case already gone through.
func (p *OwnPass) caseNote(c ownpass.Case) string {
	r, ok := p.rec[c.Name]
	switch {
	case !ok:
		return ""
	case r.Status == ownpass.Reviewed:
		return "You have reviewed this case; saving again stores your transcript again."
	default:
		return "Not reviewed: " + r.Why + "."
	}
}

// drafted is a draft's change: the case on show gets its editor when its draft is ready.
func (p *OwnPass) drafted(d ownpass.Draft) {
	if p.endCard != nil || p.i >= len(p.opt.Cases) || p.opt.Cases[p.i].Dir != d.Dir || p.editor != nil {
		return
	}
	p.showDraft(d)
	p.buttons()
}

// showDraft shows the case's draft in the editor once it is opened (off the UI goroutine), or
// says what it waits for.
func (p *OwnPass) showDraft(d ownpass.Draft) {
	if !d.Ready() {
		p.side.Objects = []fyne.CanvasObject{p.waiting}
		p.waiting.SetText(draftWaitText(d))
		p.side.Refresh()
		return
	}
	if p.opening {
		return
	}
	p.opening = true
	p.waiting.SetText("Opening the draft…")
	i, c := p.i, p.opt.Cases[p.i]
	p.opt.background(func() {
		ed, err := transcribe.OpenEdit(c.Dir)
		var env *qa.Envelope
		if err == nil {
			env, _ = qa.ReadEnvelope(c.WAV) // no waveform: the phrases still list
		}
		Do(func() {
			if p.i != i || p.endCard != nil {
				return
			}
			p.opening = false
			if err != nil {
				p.waiting.SetText("The draft cannot be opened: " + err.Error())
				p.buttons()
				return
			}
			p.showEditor(c, ed, env)
		})
	})
}

// draftWaitText says why a case has no draft on show.
func draftWaitText(d ownpass.Draft) string {
	switch d.State {
	case ownpass.Queued:
		return "The draft of this dictation is waiting its turn: it appears here as soon as it is made. Play your dictation meanwhile, or skip the case."
	case ownpass.Drafting:
		return "The draft of this dictation is being made: it appears here as soon as it is ready."
	case ownpass.Stopped:
		return "The draft of this dictation was not made (the station was stopping). `sightline transcribe` makes it later."
	}
	why := "nothing was recognised"
	if d.Result.Err != nil {
		why = d.Result.Err.Error()
	}
	return fmt.Sprintf("No draft for this dictation (%s): %s. Skip it; it can be transcribed by hand in the QA review.", d.Result.Status, why)
}

func (p *OwnPass) showEditor(c ownpass.Case, ed *transcribe.Edit, env *qa.Envelope) {
	opt := TranscriptEditorOptions{
		Save:     func(ed *transcribe.Edit) (transcribe.Saved, error) { return p.opt.Save(c, ed) },
		Envelope: env,
	}
	if p.opt.Sound != nil {
		opt.Play = p.sound.clip
	}
	e := NewTranscriptEditor(ed, opt)
	e.OnError = func(err error) { p.status.SetText(err.Error()) }
	e.save.Hide() // the pass's own button saves, and goes on
	e.onChange = func() {
		if p.editor == e {
			p.buttons() // Approve becomes Save once the reader changed the draft
		}
	}
	p.editor = e
	if len(ed.Phrases) > 0 && ed.Phrases[0].Begin > 0 {
		p.sound.startAt(ed.Phrases[0].Begin)
	}
	e.Shortcuts(p.w.Canvas())
	p.side.Objects = []fyne.CanvasObject{e.Content()}
	p.side.Refresh()
	p.buttons()
}

// buttons sets the bar for the case on show: the highlighted button is what most readers
// want next (approve the draft and go on; save it when they changed it; next when there is
// no draft to review).
func (p *OwnPass) buttons() {
	last := p.i == len(p.opt.Cases)-1
	next := " and next"
	if last {
		next = " and finish"
	}
	switch {
	case p.editor != nil && p.editor.saving:
		// The save has the edit now (off the UI goroutine): nothing of it is read here.
		p.primary.SetText("Saving…")
		p.primary.Disable()
	case p.editor != nil && p.editor.ed.Changed():
		p.primary.SetText("Save" + next)
		p.primary.Enable()
	case p.editor != nil:
		p.primary.SetText("Approve" + next)
		p.primary.Enable()
	case p.noDraft():
		p.primary.SetText(map[bool]string{true: "Finish", false: "Next case"}[last])
		p.primary.Enable()
	default:
		p.primary.SetText("Waiting for the draft…")
		p.primary.Disable()
	}
	if p.i == 0 {
		p.prev.Disable()
	} else {
		p.prev.Enable()
	}
	if p.opt.Sound == nil {
		p.play.Disable()
	}
}

// noDraft reports whether the case on show will have no draft (done without one).
func (p *OwnPass) noDraft() bool {
	d := p.opt.Draft(p.opt.Cases[p.i])
	return !p.opening && (d.State == ownpass.Done || d.State == ownpass.Stopped) && !d.Ready()
}

// Approve saves the transcript on show as the reader's (with their changes, if any) and goes
// to the next case once it is stored; with no draft to review, it goes on and records why.
func (p *OwnPass) Approve() {
	c := p.opt.Cases[p.i]
	if p.editor == nil {
		if p.noDraft() {
			p.record(ownpass.CaseRecord{Case: c.Name, Status: ownpass.NotReviewed, Why: ownpass.WhyNoDraft})
			p.advance()
		}
		return
	}
	e, i := p.editor, p.i
	changed := e.ed.Changed() || e.commitPending()
	p.sound.stop()
	p.status.SetText("Saving your transcript…")
	e.SaveThen(func(s transcribe.Saved, err error) {
		if err != nil {
			p.status.SetText("Not saved: " + err.Error())
			p.buttons()
			if p.opt.afterSave != nil {
				p.opt.afterSave()
			}
			return
		}
		p.record(ownpass.CaseRecord{Case: c.Name, Status: ownpass.Reviewed, Changed: changed, StoreID: s.Row.ID})
		if p.i == i {
			p.advance()
		}
		if p.opt.afterSave != nil {
			p.opt.afterSave()
		}
	}) // its buttons() tells onChange, which sets the bar while it saves
}

// commitPending reports whether the rows hold typed text not yet applied to the edit.
func (e *TranscriptEditor) commitPending() bool {
	for i, t := range e.texts {
		if i < len(e.ed.Phrases) && strings.Join(strings.Fields(t.Text), " ") != e.ed.Phrases[i].Phrase {
			return true
		}
	}
	return false
}

// Skip leaves the case not reviewed and goes on.
func (p *OwnPass) Skip() {
	c := p.opt.Cases[p.i]
	p.record(ownpass.CaseRecord{Case: c.Name, Status: ownpass.NotReviewed, Why: ownpass.WhySkipped})
	p.advance()
}

// advance goes to the next case, or ends the pass after the last.
func (p *OwnPass) advance() {
	if p.i+1 < len(p.opt.Cases) {
		p.Open(p.i + 1)
		return
	}
	p.Finish()
}

// Finish ends the pass: the cases not gone through are recorded as not reviewed, and the
// end card says how many were reviewed.
func (p *OwnPass) Finish() {
	p.sound.stop()
	for _, c := range p.opt.Cases {
		if _, ok := p.rec[c.Name]; !ok && !p.earlier[c.Name] {
			p.record(ownpass.CaseRecord{Case: c.Name, Status: ownpass.NotReviewed, Why: ownpass.WhyEnded})
		}
	}
	if p.stop != nil {
		p.stop()
		p.stop = nil
	}
	n := 0
	for _, r := range p.rec {
		if r.Status == ownpass.Reviewed {
			n++
		}
	}
	text := widget.NewLabel(fmt.Sprintf("You reviewed %d of your %d dictations. Your transcripts are stored as yours; "+
		"the cases you did not review keep their drafts for the QA review.", n, len(p.opt.Cases)))
	text.Wrapping = fyne.TextWrapWord
	closeBtn := widget.NewButtonWithIcon("Close", theme.ConfirmIcon(), func() {
		if p.opt.Close != nil {
			p.opt.Close()
		}
	})
	closeBtn.Importance = widget.HighImportance
	back := widget.NewButtonWithIcon("Back to the dictations", theme.NavigateBackIcon(), func() {
		p.endCard = nil
		p.w.SetContent(p.root)
		if p.opt.Watch != nil {
			p.stop = p.opt.Watch(func(d ownpass.Draft) { Do(func() { p.drafted(d) }) })
		}
		p.Open(p.i)
	})
	card := widget.NewCard("Your dictations", "", container.NewVBox(text, container.NewGridWithColumns(2, back, closeBtn)))
	p.endCard = container.New(fitCard{width: 640}, card)
	p.w.SetContent(p.endCard)
}

// Ended reports whether the end card is on show.
func (p *OwnPass) Ended() bool { return p.endCard != nil }

// record notes a case's outcome and hands it to Record off the UI goroutine; a failure is
// said in the status line.
func (p *OwnPass) record(r ownpass.CaseRecord) {
	p.rec[r.Case] = r
	if p.opt.Record == nil {
		return
	}
	p.opt.background(func() {
		if err := p.opt.Record(r); err != nil {
			Do(func() { p.status.SetText("The pass's record was not written: " + err.Error()) })
		}
	})
}

// TogglePlay plays the case's dictation from where it was paused, or pauses it.
func (p *OwnPass) TogglePlay() {
	playing, err := p.sound.toggle()
	p.playLabel(playing)
	if err != nil {
		p.status.SetText("The dictation cannot be played: " + err.Error())
	}
}

func (p *OwnPass) playLabel(playing bool) {
	if playing {
		p.play.SetText("Pause")
		p.play.SetIcon(theme.MediaPauseIcon())
	} else {
		p.play.SetText("Play dictation")
		p.play.SetIcon(theme.MediaPlayIcon())
	}
}

// soundPlayer plays a case's audio.wav through the sound output: the whole dictation from
// where it was paused, or a phrase. Its methods run on the UI goroutine; the WAV is read and
// the output opened off it.
type soundPlayer struct {
	open       func() (Sound, error)
	background func(func())
	// ended is told (from a timer's goroutine) when a dictation played to its end.
	ended func()

	mu    sync.Mutex // guards what the loading goroutines set
	out   Sound
	err   error
	pcm   []int16
	rate  int
	ch    int
	wav   string
	from  int64   // the frame a paused dictation goes on from
	lead  float64 // seconds of silence before the first word: a play from the top starts there
	token int     // the play under way (a newer one cancels an older one's end)
}

// load reads the case's audio.wav (and opens the output the first time) off the UI goroutine.
func (s *soundPlayer) load(wav string) {
	s.mu.Lock()
	s.wav, s.pcm, s.from, s.err, s.lead = wav, nil, 0, nil, 0
	s.token++
	needOut := s.out == nil && s.open != nil
	s.mu.Unlock()
	s.background(func() {
		rate, ch, pcm, err := qa.ReadPCM(wav)
		var out Sound
		var oerr error
		if needOut {
			out, oerr = s.open()
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if needOut && s.out == nil {
			s.out, s.err = out, oerr
		}
		if s.wav == wav {
			if err != nil {
				s.err = fmt.Errorf("audio.wav: %w", err)
			}
			s.pcm, s.rate, s.ch = pcm, rate, ch
		}
	})
}

// toggle pauses a playing dictation (true: it now plays).
func (s *soundPlayer) toggle() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil || s.pcm == nil {
		if s.err != nil {
			return false, s.err
		}
		return false, errors.New("still loading: press again in a moment")
	}
	if frame, playing, _ := s.out.Heard(); playing {
		s.out.Stop()
		s.from = frame
		s.token++
		return false, nil
	}
	if s.from >= int64(len(s.pcm)/max(s.ch, 1)) {
		s.from = 0
	}
	if s.from == 0 && s.lead > 0.5 {
		// A case shown long before the reader spoke: the top of the dictation is its first word.
		s.from = int64((s.lead - 0.5) * float64(s.rate))
	}
	return s.playLocked(s.from, -1)
}

// startAt makes a play from the top start half a second before t (the draft's first word).
func (s *soundPlayer) startAt(t float64) {
	s.mu.Lock()
	s.lead = t
	s.mu.Unlock()
}

// clip plays the dictation from begin to end seconds (a phrase of the editor).
func (s *soundPlayer) clip(begin, end float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil || s.pcm == nil {
		return
	}
	s.out.Stop()
	_, _ = s.playLocked(int64(begin*float64(s.rate)), end-begin)
}

// playLocked plays from frame for secs (−1: to the end); s.mu held.
func (s *soundPlayer) playLocked(frame int64, secs float64) (bool, error) {
	if err := s.out.Play(s.pcm, s.rate, s.ch, frame, 1); err != nil {
		return false, err
	}
	s.token++
	whole := secs < 0
	if whole {
		secs = float64(int64(len(s.pcm)/max(s.ch, 1))-frame) / float64(max(s.rate, 1))
	}
	tok := s.token
	time.AfterFunc(time.Duration(secs*float64(time.Second)), func() {
		s.mu.Lock()
		mine := s.token == tok
		if mine && !whole {
			s.out.Stop()
		}
		if mine && whole {
			s.from = 0
		}
		s.mu.Unlock()
		if mine && s.ended != nil {
			s.ended()
		}
	})
	return true, nil
}

// stop stops what plays.
func (s *soundPlayer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token++
	if s.out != nil {
		s.out.Stop()
	}
}

// ownPassButtons are the session summary's buttons when the reader has dictations to go
// through: "Review my dictations" highlighted (what a reader who signs their transcripts does
// before leaving), and Close.
func ownPassButtons(open func(), closeBtn *widget.Button) *fyne.Container {
	review := widget.NewButtonWithIcon("Review my dictations", theme.DocumentCreateIcon(), open)
	review.Importance = widget.HighImportance
	note := widget.NewLabel("Go through the drafts of your dictations now: play, correct and approve each; they are stored as yours.")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	return container.NewVBox(note, container.NewCenter(container.NewHBox(closeBtn, review)))
}
