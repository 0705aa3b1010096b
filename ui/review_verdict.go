package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/qa"
	"sightline/reader/review"
	"sightline/reader/session"
)

// The verdict panel: the checklist, the decision, the note, saving them, and the case's
// problems.

// buildVerdict makes the verdict panel's widgets and lays them out.
func (r *Review) buildVerdict() fyne.CanvasObject {
	var items []fyne.CanvasObject
	for i, it := range qa.Items {
		r.checks[i] = widget.NewCheck(it.Name, nil)
		items = append(items, r.checks[i])
	}
	r.decision = widget.NewRadioGroup([]string{string(review.Pass), string(review.Fail), string(review.ReRead)}, nil)
	r.decision.Horizontal = true
	r.note = widget.NewMultiLineEntry()
	r.note.SetPlaceHolder("Note")
	r.note.SetMinRowsVisible(3)
	r.save = widget.NewButtonWithIcon("Save verdict", theme.DocumentSaveIcon(), func() {
		r.SaveVerdict(func(_ review.Verdict, err error) {
			if err != nil {
				dialog.ShowError(dialogError("save the verdict", err), r.w)
			}
		})
	})
	r.save.Importance = widget.HighImportance
	r.history = widget.NewLabel("")
	r.history.Wrapping = fyne.TextWrapWord
	r.problems = widget.NewLabel("")
	r.problems.Wrapping = fyne.TextWrapWord
	verdict := container.NewVBox(widget.NewLabelWithStyle("Verdict", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	verdict.Objects = append(verdict.Objects, items...)
	verdict.Objects = append(verdict.Objects, r.decision, r.note, r.save, r.history,
		widget.NewLabelWithStyle("Problems", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), r.problems)
	side := container.NewVScroll(verdict)
	side.SetMinSize(fyne.NewSize(320, 200))
	return side
}

func (r *Review) fillVerdict(c *session.Case) {
	cl := r.m.Checklist()
	v, n, ok := r.latest(c)
	if ok {
		cl = v.Checklist
	}
	pre := r.m.Prefill()
	for i, on := range []bool{cl.FilesWhole, cl.AudioOK, cl.NoAbruptStop, cl.GazeValid, cl.CalibrationGood} {
		text := qa.Items[i].Name
		if !ok && pre[i] == qa.Unmeasured {
			text += " (not measured)" // left unticked for the reviewer, not claimed
		}
		if r.checks[i].Text != text {
			r.checks[i].Text = text
			r.checks[i].Refresh() // SetChecked redraws only a change of the tick
		}
		r.checks[i].SetChecked(on)
	}
	if ok {
		r.decision.SetSelected(string(v.Decision))
		r.note.SetText(v.Note)
		r.history.SetText(fmt.Sprintf("Latest: %s by %s, %s (%s)", v.Decision, v.Reviewer, v.At.Local().Format("2006-01-02 15:04:05"), plural(n, "verdict row")))
	} else {
		r.decision.SetSelected("")
		r.note.SetText("")
		r.history.SetText("Not reviewed yet: the checklist is pre-filled from the measurements.")
	}
}

// SaveVerdict stores the verdict panel's checklist, decision and note for the case on show, as
// a new row (a change never overwrites the earlier verdict). The store's write runs on a
// goroutine of its own, never the UI goroutine (a store on a network share, or a PostgreSQL
// server, may take seconds): the Save button is disabled meanwhile. When it is done, the panel
// and the table show it and done (nil: none) gets the row saved or the error, on the UI
// goroutine.
func (r *Review) SaveVerdict(done func(review.Verdict, error)) {
	if done == nil {
		done = func(review.Verdict, error) {}
	}
	v, err := r.panelVerdict()
	if err != nil {
		done(review.Verdict{}, err)
		return
	}
	st, c := r.opt.Store, r.rp.Case
	r.save.Disable()
	r.history.SetText("Saving…")
	go func() {
		saved, err := st.AddVerdict(context.Background(), v)
		r.postUI(func() {
			r.save.Enable()
			if err != nil {
				if r.rp != nil && r.rp.Case == c {
					r.fillVerdict(c) // the history line back
				}
				done(review.Verdict{}, fmt.Errorf("save the verdict: %w", err))
				return
			}
			if !slices.ContainsFunc(r.verdicts, func(x review.Verdict) bool { return x.ID == saved.ID }) {
				r.verdicts = append(r.verdicts, saved) // unless a reload since has it
			}
			if r.rp != nil && r.rp.Case == c {
				r.fillVerdict(c)
			}
			r.table.Refresh()
			done(saved, nil)
		})
	}()
}

// panelVerdict is the verdict the panel holds for the case on show, or why none can be saved.
func (r *Review) panelVerdict() (review.Verdict, error) {
	if r.rp == nil {
		return review.Verdict{}, errors.New("no case on show")
	}
	if r.decision.Selected == "" {
		return review.Verdict{}, errors.New("choose pass, fail or re-read first")
	}
	if r.opt.Store == nil {
		return review.Verdict{}, errors.New("verdicts cannot be saved: " + r.opt.NoStore)
	}
	return review.Verdict{Session: r.name, Case: r.rp.Case.Name, Decision: review.Decision(r.decision.Selected),
		Note: r.note.Text, Reviewer: r.opt.Reviewer, Checklist: r.Checklist()}, nil
}

// postUI runs f on the UI goroutine (the tests may queue it instead).
func (r *Review) postUI(f func()) {
	if r.post != nil {
		r.post(f)
		return
	}
	Do(f)
}

// Verdict panel access for tests and the app.
func (r *Review) SetDecision(d review.Decision, note string) {
	r.decision.SetSelected(string(d))
	r.note.SetText(note)
}

// Checklist is the verdict panel's checklist as it stands.
func (r *Review) Checklist() review.Checklist {
	return review.Checklist{FilesWhole: r.checks[0].Checked, AudioOK: r.checks[1].Checked,
		NoAbruptStop: r.checks[2].Checked, GazeValid: r.checks[3].Checked, CalibrationGood: r.checks[4].Checked}
}
