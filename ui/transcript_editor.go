package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/qa"
	"sightline/reader/transcribe"
	"sightline/reader/transcript"
)

// TranscriptEditorOptions connect the transcript editor to its case.
type TranscriptEditorOptions struct {
	// Save writes the edit (transcribe.Edit.Save with the case's engine, store, session, case
	// and reviewer). It runs off the UI goroutine: forced alignment takes a few seconds.
	Save func(*transcribe.Edit) (transcribe.Saved, error)
	// Play plays the audio from begin to end (seconds of audio.wav); nil: no sound.
	Play func(begin, end float64)
	// Saved is called on the UI goroutine after a save, to show the new transcript.
	Saved func()
	// Envelope is the dictation's waveform, drawn with the phrases over it (their bounds
	// dragged there); nil: no waveform.
	Envelope *qa.Envelope
}

// TranscriptEditor corrects a case's transcript: each phrase's words and times, split and
// merge, play a phrase, undo and redo, save (which re-times the words by forced alignment and
// records who and when in the review store).
type TranscriptEditor struct {
	ed   *transcribe.Edit
	opt  TranscriptEditorOptions
	root *fyne.Container
	list *fyne.Container
	// Strip is the waveform with the phrases (nil without an envelope).
	Strip *PhraseStrip

	texts   []*widget.Entry
	bounds  [][2]*widget.Entry
	undo    *widget.Button
	redo    *widget.Button
	save    *widget.Button
	status  *widget.Label
	saving  bool
	OnError func(error) // shown to the user; nil: in the status line only
	// onChange is told when the edit or the save state changes (the own pass's button).
	onChange func()
}

// NewTranscriptEditor makes the editor of ed.
func NewTranscriptEditor(ed *transcribe.Edit, opt TranscriptEditorOptions) *TranscriptEditor {
	e := &TranscriptEditor{ed: ed, opt: opt}
	e.list = container.NewVBox()
	e.undo = widget.NewButtonWithIcon("Undo", theme.ContentUndoIcon(), func() { e.Undo() })
	e.redo = widget.NewButtonWithIcon("Redo", theme.ContentRedoIcon(), func() { e.Redo() })
	e.save = widget.NewButtonWithIcon("Save and re-time", theme.DocumentSaveIcon(), func() { e.Save() })
	e.save.Importance = widget.HighImportance
	e.status = widget.NewLabel("")
	e.status.Wrapping = fyne.TextWrapWord
	help := widget.NewLabel("Drag a phrase's edge on the waveform, tap a phrase to hear it · Edit a phrase and press Enter · Split: before the word at the cursor · Merge: with the next phrase · " +
		"times in seconds of the dictation · \"?\" and a number: a word the recogniser was unsure of (its confidence), worth a listen · Ctrl+Z undo, Ctrl+Shift+Z redo · saving re-times the words against the audio")
	help.Wrapping = fyne.TextWrapWord
	help.Importance = widget.LowImportance
	top := container.NewVBox(container.NewHBox(e.undo, e.redo, e.save), help)
	if opt.Envelope != nil {
		e.Strip = NewPhraseStrip(opt.Envelope, func() []transcript.Phrase { return e.ed.Phrases })
		e.Strip.OnEdge = func(i int, end bool, t float64) {
			e.do(func() error { return e.ed.MoveEdge(i, end, t) })
		}
		e.Strip.OnPlay = func(begin, end float64) {
			if e.opt.Play != nil {
				e.opt.Play(begin, end)
			}
		}
		top.Add(e.Strip)
	}
	e.root = container.NewBorder(top, e.status, nil, nil, container.NewVScroll(e.list))
	e.rebuild()
	return e
}

// Content is the editor's root object.
func (e *TranscriptEditor) Content() fyne.CanvasObject { return e.root }

// Status is the status line's text.
func (e *TranscriptEditor) Status() string { return e.status.Text }

// Shortcuts registers Ctrl+Z and Ctrl+Shift+Z on c.
func (e *TranscriptEditor) Shortcuts(c fyne.Canvas) {
	c.AddShortcut(&fyne.ShortcutUndo{}, func(fyne.Shortcut) { e.Undo() })
	c.AddShortcut(&fyne.ShortcutRedo{}, func(fyne.Shortcut) { e.Redo() })
	// Fyne's redo is Ctrl+Y; the driver sends Ctrl+Shift+Z as a shortcut of its own.
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyZ, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift},
		func(fyne.Shortcut) { e.Redo() })
}

// rebuild redraws the phrase rows from the edit.
func (e *TranscriptEditor) rebuild() {
	// The entry that had the focus is about to go: the canvas must not keep it.
	if app := fyne.CurrentApp(); app != nil {
		if c := app.Driver().CanvasForObject(e.root); c != nil {
			c.Unfocus()
		}
	}
	e.texts, e.bounds = e.texts[:0], e.bounds[:0]
	e.list.Objects = e.list.Objects[:0]
	for i, p := range e.ed.Phrases {
		text := widget.NewEntry()
		text.SetText(p.Phrase)
		text.OnSubmitted = func(s string) { e.do(func() error { return e.ed.SetText(i, s) }) }
		b, en := widget.NewEntry(), widget.NewEntry()
		b.SetText(fmtSec(p.Begin))
		en.SetText(fmtSec(p.End))
		setBounds := func(string) { e.do(func() error { return e.setBounds(i) }) }
		b.OnSubmitted, en.OnSubmitted = setBounds, setBounds
		play := widget.NewButtonWithIcon("", theme.MediaPlayIcon(), func() {
			if e.opt.Play != nil {
				p := e.ed.Phrases[i]
				e.opt.Play(p.Begin, p.End)
			}
		})
		if e.opt.Play == nil {
			play.Disable()
		}
		split := widget.NewButton("Split", func() { e.Split(i, text.CursorColumn) })
		merge := widget.NewButton("Merge ↓", func() { e.do(func() error { return e.ed.Merge(i) }) })
		if i+1 == len(e.ed.Phrases) {
			merge.Disable()
		}
		e.texts = append(e.texts, text)
		e.bounds = append(e.bounds, [2]*widget.Entry{b, en})
		sz := fyne.NewSize(80, b.MinSize().Height)
		times := container.NewHBox(container.NewGridWrap(sz, b), container.NewGridWrap(sz, en))
		num := widget.NewLabel(fmt.Sprintf("%d", i+1))
		if c := e.ed.PhraseConfidence(i); c >= 0 && c < transcribe.LowConfidence {
			// A word the recogniser was unsure of: worth a listen before signing.
			num.SetText(fmt.Sprintf("%d  ? %.2f", i+1, c))
			num.Importance = widget.WarningImportance
			num.TextStyle.Bold = true
		}
		row := container.NewBorder(nil, nil, num, container.NewHBox(times, play, split, merge), text)
		e.list.Objects = append(e.list.Objects, row)
	}
	if len(e.ed.Phrases) == 0 {
		e.list.Objects = append(e.list.Objects, widget.NewLabel("The transcript has no phrases."))
	}
	e.list.Refresh()
	if e.Strip != nil {
		e.Strip.Refresh()
	}
	e.buttons()
}

func (e *TranscriptEditor) buttons() {
	for _, b := range []struct {
		w  *widget.Button
		on bool
	}{{e.undo, e.ed.CanUndo()}, {e.redo, e.ed.CanRedo()}, {e.save, !e.saving}} {
		if b.on {
			b.w.Enable()
		} else {
			b.w.Disable()
		}
	}
	if e.onChange != nil {
		e.onChange()
	}
}

func fmtSec(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }

// do runs an edit unless a save is under way (the save reads the edit off the UI goroutine).
func (e *TranscriptEditor) do(f func() error) {
	if e.saving {
		e.status.SetText("Saving: wait for it to finish.")
		return
	}
	e.apply(f())
}

// apply shows an edit's outcome: the rows redrawn, or the reason it was refused.
func (e *TranscriptEditor) apply(err error) {
	if err != nil {
		e.fail(err)
		return
	}
	e.status.SetText("")
	e.rebuild()
}

func (e *TranscriptEditor) fail(err error) {
	e.status.SetText(err.Error())
	if e.OnError != nil {
		e.OnError(err)
	}
}

func (e *TranscriptEditor) setBounds(i int) error {
	b, err1 := strconv.ParseFloat(strings.TrimSpace(e.bounds[i][0].Text), 64)
	en, err2 := strconv.ParseFloat(strings.TrimSpace(e.bounds[i][1].Text), 64)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("phrase %d: times are seconds, like 1.250", i+1)
	}
	return e.ed.SetBounds(i, b, en)
}

// commit applies what was typed in the rows and not yet submitted (a save must not lose it).
func (e *TranscriptEditor) commit() error {
	for i := len(e.texts) - 1; i >= 0; i-- { // from the end: an emptied phrase removes its row
		if i < len(e.ed.Phrases) && strings.Join(strings.Fields(e.texts[i].Text), " ") != e.ed.Phrases[i].Phrase {
			if err := e.ed.SetText(i, e.texts[i].Text); err != nil {
				return err
			}
		}
	}
	return nil
}

// Split splits phrase i before the word at column col of its text.
func (e *TranscriptEditor) Split(i, col int) {
	e.do(func() error {
		if err := e.commit(); err != nil || i >= len(e.ed.Phrases) {
			return err
		}
		text := e.ed.Phrases[i].Phrase
		col = min(max(col, 0), len(text))
		k := len(strings.Fields(text[:col]))
		if col > 0 && col < len(text) && text[col-1] != ' ' && text[col] != ' ' {
			k-- // inside a word: split before it
		}
		return e.ed.Split(i, k)
	})
}

// Undo undoes the last change.
func (e *TranscriptEditor) Undo() {
	e.do(func() error {
		e.ed.Undo()
		return nil
	})
}

// Redo re-applies the last change undone.
func (e *TranscriptEditor) Redo() {
	e.do(func() error {
		e.ed.Redo()
		return nil
	})
}

// Doubtful lists the rows marked as holding a word the recogniser was unsure of.
func (e *TranscriptEditor) Doubtful() []int {
	var out []int
	for i := range e.ed.Phrases {
		if c := e.ed.PhraseConfidence(i); c >= 0 && c < transcribe.LowConfidence {
			out = append(out, i)
		}
	}
	return out
}

// Texts are the phrase entries, for tests.
func (e *TranscriptEditor) Texts() []*widget.Entry { return e.texts }

// Save saves the edit in the background; done (may be nil) is called on the UI goroutine
// when it has finished.
func (e *TranscriptEditor) Save() {
	e.SaveThen(nil)
}

// SaveThen is Save, calling done on the UI goroutine with the outcome.
func (e *TranscriptEditor) SaveThen(done func(transcribe.Saved, error)) {
	if e.saving || e.opt.Save == nil {
		return
	}
	if err := e.commit(); err != nil {
		e.fail(err)
		return
	}
	e.saving = true
	e.buttons()
	e.status.SetText("Saving and re-timing the words against the audio…")
	ed := e.ed
	go func() {
		s, err := e.opt.Save(ed)
		fyne.Do(func() {
			e.saving = false
			if err != nil {
				e.fail(err)
				e.buttons()
			} else {
				msg := "Saved."
				switch {
				case s.Align.Err != nil:
					msg += " " + s.Align.Err.Error()
				case s.Align.Method == transcribe.MethodInterpolated:
					msg += " The recogniser heard no words in the audio: the times were kept as they were."
				case s.Align.Approx > 0:
					msg += fmt.Sprintf(" Re-timed (%s); %d word(s) have approximate times.", s.Align.Method, s.Align.Approx)
				default:
					msg += fmt.Sprintf(" Re-timed (%s).", s.Align.Method)
				}
				e.apply(nil)
				e.status.SetText(msg)
				if e.opt.Saved != nil {
					e.opt.Saved()
				}
			}
			if done != nil {
				done(s, err)
			}
		})
	}()
}

// EditTranscript opens the transcript editor of the case on show in a window of its own,
// beside the replay: phrases played from the case's audio, saved with the reviewer's name.
func (r *Review) EditTranscript() (*TranscriptEditor, fyne.Window, error) {
	if r.rp == nil || r.row < 0 || r.row >= len(r.order) {
		return nil, nil, errors.New("no case on show")
	}
	c := r.cases[r.order[r.row]]
	ed, err := transcribe.OpenEdit(c.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("case %s has no transcript.json yet: run sightline transcribe first", c.Name)
	}
	if err != nil {
		return nil, nil, err
	}
	sessionName, row, reader := r.name, r.row, r.sess.State.Reader
	opt := TranscriptEditorOptions{
		Save: func(ed *transcribe.Edit) (transcribe.Saved, error) {
			return r.saveCorrection(ed, sessionName, c.Name, reader)
		},
		Saved: func() {
			if r.name == sessionName && r.row == row {
				r.OpenCase(row) // the new phrases under the timeline
			}
		},
	}
	if r.audio.PCM != nil && r.opt.Sound != nil && r.player != nil {
		p := r.player
		opt.Play = func(begin, end float64) {
			r.Pause()
			p.PlayClip(begin, end)
		}
	}
	if c.Audio != nil && c.Audio.WAV != "" {
		if env, err := qa.ReadEnvelope(c.Audio.WAV); err == nil {
			opt.Envelope = env
		}
	}
	e := NewTranscriptEditor(ed, opt)
	w := fyne.CurrentApp().NewWindow("Transcript · " + sessionName + " · " + c.Name)
	e.OnError = func(err error) { dialog.ShowError(err, w) }
	w.SetContent(e.Content())
	e.Shortcuts(w.Canvas())
	w.Resize(fyne.NewSize(900, 600))
	w.Show()
	return e, w, nil
}

// saveCorrection stores a corrected transcript of case caseName as the reviewer's, re-timed
// when the recogniser is at hand, with the session reader's adapted acoustic model when they
// have one.
func (r *Review) saveCorrection(ed *transcribe.Edit, sessionName, caseName, reader string) (transcribe.Saved, error) {
	if r.opt.Store == nil {
		return transcribe.Saved{}, errors.New("corrections cannot be saved: " + r.opt.NoStore)
	}
	// The reader's own adapted model when they have enrolled: it hears them better, so the
	// words land where they were said (transcribe decodes their sessions with it too).
	eng, err := transcribe.New(transcribe.ForReader(transcribe.Config{}, r.opt.StudyDir, reader))
	if err != nil {
		eng = nil // saved without re-timing; Saved.Align says why
	} else {
		defer transcribe.Close(eng)
	}
	return ed.Save(context.Background(), eng, r.opt.Store, sessionName, caseName, r.opt.Reviewer, r.opt.Now())
}
