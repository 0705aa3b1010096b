package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/qa"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/study"
)

// The session list: the study's sessions with their QA progress.

// SessionRow is one line of the session list.
type SessionRow struct {
	Dir, Name, Reader string
	Started           time.Time
	// Status is complete, ended, interrupted or recording.
	Status string
	// Cases counts the cases read (final reads); Decided those with a verdict, Failed those
	// whose latest verdict is fail or re-read.
	Cases, Decided, Failed int
	Err                    string // the session.json that does not read
}

// SessionStatus names a session's state for the reviewer.
func SessionStatus(o *session.Opened) string {
	switch {
	case o.Live:
		return "recording"
	case o.State.Status == session.StatusComplete:
		return "complete"
	case o.State.Finished():
		// "ended" today, "ended early" in sessions recorded before the reason was kept.
		return "ended"
	}
	return "interrupted"
}

// SessionRows reads the study's sessions (study.SessionIDs) with their QA progress from the
// verdicts, newest first.
func SessionRows(studyDir string, verdicts []review.Verdict) ([]SessionRow, error) {
	ids, err := study.SessionIDs(studyDir)
	if err != nil {
		return nil, err
	}
	latest := review.LatestVerdicts(verdicts)
	var rows []SessionRow
	for _, id := range ids {
		dir := study.SessionDir(studyDir, id)
		row := SessionRow{Dir: dir, Name: id}
		o, err := session.Open(dir)
		if err != nil {
			row.Status, row.Err = "unreadable", err.Error()
			rows = append(rows, row)
			continue
		}
		row.Reader, row.Started, row.Status = o.State.Reader, o.State.StartedWall, SessionStatus(o)
		// Counted as the case table lists them and the QA report counts them.
		p := qa.SessionProgress(o, id, latest)
		row.Cases, row.Decided, row.Failed = p.Cases, p.Decided, p.Failed
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b SessionRow) int { return b.Started.Compare(a.Started) })
	return rows, nil
}

// sessionCell is the text of the session list's column col for row.
func sessionCell(row SessionRow, col int) string {
	switch col {
	case 0:
		return row.Name
	case 1:
		return row.Reader
	case 2:
		if row.Started.IsZero() {
			return ""
		}
		return row.Started.Local().Format("2006-01-02 15:04")
	case 3:
		if row.Err != "" {
			return row.Status + ": click for why" // the reason is long: a dialog shows it
		}
		return row.Status
	case 4:
		return fmt.Sprint(row.Cases)
	}
	s := fmt.Sprintf("%d of %d reviewed", row.Decided, row.Cases)
	if row.Failed > 0 {
		s += fmt.Sprintf(", %d failed", row.Failed)
	}
	return s
}

// storeLine says who reviews into which store, or why nothing can be saved.
func (r *Review) storeLine() string {
	if r.opt.Store == nil {
		return "READ-ONLY, verdicts cannot be saved (" + r.opt.NoStore + ") · click a session to view its cases"
	}
	if why := r.opt.Store.ReadOnly(); why != "" {
		return "READ-ONLY, verdicts cannot be saved (" + why + ") · store: " + r.opt.Store.Location() + " · click a session to view its cases"
	}
	return "Reviewer: " + r.opt.Reviewer + " · store: " + r.opt.Store.Location() + " · click a session to review its cases"
}

func (r *Review) loadVerdicts() error {
	if r.opt.Store == nil {
		return nil
	}
	v, err := r.opt.Store.Verdicts(context.Background(), "")
	if err != nil {
		return fmt.Errorf("read the verdicts: %w", err)
	}
	r.verdicts = v
	return nil
}

// Sessions are the rows of the session list.
func (r *Review) Sessions() []SessionRow { return r.sessions }

// ShowSessions shows the session list.
func (r *Review) ShowSessions() error {
	r.stop()
	if err := r.loadVerdicts(); err != nil {
		return err
	}
	rows, err := SessionRows(r.opt.StudyDir, r.verdicts)
	if err != nil {
		return err
	}
	r.sessions = rows
	heads := []string{"Session", "Reader", "Started", "Status", "Cases", "QA"}
	t := widget.NewTable(func() (int, int) { return len(rows), len(heads) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis // no text runs into the next column
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(sessionCell(rows[id.Row], id.Col))
		})
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(heads[id.Col])
		}
	}
	for i, wd := range []float32{260, 120, 150, 200, 70, 220} {
		t.SetColumnWidth(i, wd)
	}
	t.OnSelected = func(id widget.TableCellID) {
		t.UnselectAll()
		if id.Row < 0 || id.Row >= len(rows) {
			return
		}
		row := rows[id.Row]
		// After the tap is done with the table: it focuses itself once OnSelected returns, and
		// a table the session view had already replaced logged "Failed to focus object which
		// is not part of the canvas' content" on every session opened.
		Do(func() {
			// The table has taken the keyboard by now: give it back to the window, whose
			// keys (Space, J/K/L) drive the replay.
			r.w.Canvas().Unfocus()
			if row.Err != "" {
				dialog.ShowError(dialogError("open session "+row.Name, errors.New(row.Err)), r.w)
			} else if err := r.OpenSession(row.Dir); err != nil {
				dialog.ShowError(dialogError("open session "+row.Name, err), r.w)
			}
		})
	}
	title := widget.NewLabelWithStyle("QA review — "+r.opt.StudyDir, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	who := widget.NewLabel(r.storeLine())
	top := container.NewVBox(container.NewHBox(r.backButton(), title), who)
	var body fyne.CanvasObject = t
	if len(rows) == 0 {
		body = widget.NewLabel("No sessions recorded in " + study.SessionsRoot(r.opt.StudyDir) + " yet.")
	}
	r.root.Objects = []fyne.CanvasObject{container.NewBorder(top, nil, nil, nil, body)}
	r.root.Refresh()
	r.sess = nil
	return nil
}

func (r *Review) backButton() fyne.CanvasObject {
	if r.opt.Back == nil {
		return container.NewWithoutLayout() // nothing: the title stays at the left
	}
	return widget.NewButtonWithIcon("Start screen", theme.NavigateBackIcon(), func() {
		r.stop()
		r.opt.Back()
	})
}
