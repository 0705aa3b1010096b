package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/qa"
	"sightline/reader/reading"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// Sound is the review's audio output (reader/playback.Out): it plays a case's samples from a
// frame and says which frame is being heard.
type Sound interface {
	Play(pcm []int16, rate, channels int, from int64) error
	Heard() (frame int64, playing bool, err error)
	Stop()
}

// ReviewOptions configure the QA review view.
type ReviewOptions struct {
	StudyDir string
	// Store holds the verdicts; nil when there is none and none can be made (NoStore says
	// why): the cases are shown, nothing is decided, and no verdict can be saved.
	Store    review.Store
	NoStore  string
	Reviewer string
	// LoadImage gives a case's image as drawn (reader/display.Load); nil leaves the stage black.
	LoadImage func(dicomID string) (image.Image, stage.Layout, error)
	// Sound opens the sound output on first use; nil, or an error, and a wall clock drives the
	// replay (the view says so).
	Sound func() (Sound, error)
	// Back returns to the start screen; nil: no Back button.
	Back func()
	// Now stamps nothing (the store does) but drives the wall clock; time.Now when nil.
	Now func() time.Time
}

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

// Review is the QA reviewer's view: the study's sessions, a session's cases problems first,
// and the replay of a case with its verdict.
type Review struct {
	opt  ReviewOptions
	w    fyne.Window
	root *fyne.Container

	sessions []SessionRow
	verdicts []review.Verdict

	// The session open.
	sess  *session.Opened
	name  string
	meas  []qa.Measures
	cases []*session.Case
	order []int // rows of the case table: indexes of cases, problems first
	table *keyTable
	row   int // the table row on show

	// The case on show.
	rp       *qa.Replay
	m        qa.Measures
	images   *reviewImages // decoded ahead around the case on show
	head     *qa.Playhead
	fixes    []reading.Fix
	trail    [2][]Point // two buffers: the stage keeps the slice it was given
	flip     int
	pcm      []int16
	pcmRate  int
	pcmCh    int
	sound    Sound
	soundErr error
	soundOn  bool // the sound plays the case now
	phrase   int

	stage    *Stage
	timeline *Timeline
	clock    *widget.Label
	banner   *widget.Label
	problems *widget.Label
	words    *fyne.Container
	// wordsScroll holds the words: it sizes them, so it is refreshed when they change (a
	// refresh of the words alone lays them out in the old size, clipping the rows past it).
	wordsScroll *container.Scroll
	wordBtns    []*widget.Button
	speed       *widget.Select
	rawGaze     *widget.Check
	play        *widget.Button

	checks   [5]*widget.Check
	decision *widget.RadioGroup
	note     *widget.Entry
	save     *widget.Button
	history  *widget.Label

	mu     sync.Mutex
	ticker chan struct{} // closed to stop the frame ticker
	// noTicker: the tests call Frame themselves (Fyne's test driver runs fyne.Do on the
	// calling goroutine, so a ticker would race with them).
	noTicker bool
	// post runs a function on the UI goroutine (fyne.Do when nil); the tests queue them, for
	// the same reason.
	post func(func())
}

// NewReview makes the review view of a study, showing its session list.
func NewReview(w fyne.Window, opt ReviewOptions) (*Review, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	r := &Review{opt: opt, w: w, root: container.NewStack(), phrase: -1}
	if err := r.ShowSessions(); err != nil {
		return nil, err
	}
	return r, nil
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

// Content is the view's root object.
func (r *Review) Content() fyne.CanvasObject { return r.root }

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
		if row := rows[id.Row]; row.Err != "" {
			dialog.ShowError(dialogError("open session "+row.Name, errors.New(row.Err)), r.w)
		} else if err := r.OpenSession(row.Dir); err != nil {
			dialog.ShowError(dialogError("open session "+row.Name, err), r.w)
		}
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

// OpenSession opens a session folder: its cases, problems first, and the first of them.
func (r *Review) OpenSession(dir string) error {
	o, err := session.Open(dir)
	if err != nil {
		return err
	}
	r.stop()
	if err := r.loadVerdicts(); err != nil {
		return err
	}
	r.sess, r.name = o, filepath.Base(dir)
	r.images = nil // another session: its own images
	r.cases = qa.Cases(o)
	r.meas = make([]qa.Measures, len(r.cases))
	for i, c := range r.cases {
		r.meas[i] = qa.Measure(o, c)
	}
	r.sortCases()
	r.build()
	if len(r.order) > 0 {
		r.OpenCase(0)
	}
	return nil
}

// sortCases orders the case table as the QA report orders a session's page (qa.Order): the
// failed first, then the most faults, reading order otherwise.
func (r *Review) sortCases() {
	r.order = qa.Order(r.name, r.meas, review.LatestVerdicts(r.verdicts))
}

// CaseOrder names the case table's rows, top to bottom.
func (r *Review) CaseOrder() []string {
	var out []string
	for _, i := range r.order {
		out = append(out, r.cases[i].Name)
	}
	return out
}

func (r *Review) latest(c *session.Case) (review.Verdict, int, bool) {
	var v review.Verdict
	n := 0
	for _, x := range r.verdicts {
		if x.Session == r.name && x.Case == c.Name {
			v = x
			n++
		}
	}
	return v, n, n > 0
}

func fmtLoss(m qa.Measures) string {
	if math.IsNaN(m.DataLoss) {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*m.DataLoss)
}

func fmtLongest(m qa.Measures) string {
	if m.LongestLoss < 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f s", m.LongestLoss.Seconds())
}

func fmtAudio(a qa.AudioMeasure) string {
	switch {
	case !a.Present && !a.Expected:
		return "–"
	case !a.Present:
		return "missing"
	}
	s := fmt.Sprintf("%.1f s", a.Seconds)
	if a.HasPeak {
		s += fmt.Sprintf(", %.0f dB", a.PeakDB)
	}
	if a.AudioDrifts() { // the column stays narrow: a drift is said only when beyond the limit
		s += fmt.Sprintf(", drift %.0f ms", a.DriftMS)
	}
	return s
}

func fmtCheck(n *qa.NearestCheck) string {
	if n == nil {
		return "none"
	}
	v := n.Report.Validation
	s := fmt.Sprintf("#%d %s", n.Report.Round, v.Verdict)
	if v.AccuracyDeg >= 0 {
		s += fmt.Sprintf(" %.2f°", v.AccuracyDeg)
	}
	if !n.Before {
		s += " (after)"
	}
	return s
}

func (r *Review) qaStatus(c *session.Case) string {
	v, n, ok := r.latest(c)
	if !ok {
		return "to review"
	}
	s := string(v.Decision) + " by " + v.Reviewer
	if n > 1 {
		s += " (" + plural(n, "row") + ")"
	}
	return s
}

func caseLabel(c *session.Case, m qa.Measures) string {
	s := c.Name
	if c.Screen.Kind == session.KindCalibration {
		s += " (calibration)"
	}
	if m.Reread {
		s += " (read again later)"
	}
	if c.Copy > 0 {
		s += " (interrupted)"
	}
	if f := m.Faults(); f > 0 {
		s = fmt.Sprintf("⚠ %d  %s", f, s)
	}
	return s
}

// caseColumnWidths are the case table's column widths: Case, Data loss, Longest loss, Audio,
// Calibration, QA.
var caseColumnWidths = []float32{300, 80, 100, 150, 130, 170}

// build lays out the session's view.
func (r *Review) build() {
	heads := []string{"Case", "Data loss", "Longest loss", "Audio", "Calibration", "QA"}
	r.table = newKeyTable(func() (int, int) { return len(r.order), len(heads) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis // a long dicom_id must not run into the next column
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			i := r.order[id.Row]
			c, m := r.cases[i], r.meas[i]
			var s string
			switch id.Col {
			case 0:
				s = caseLabel(c, m)
			case 1:
				s = fmtLoss(m)
			case 2:
				s = fmtLongest(m)
			case 3:
				s = fmtAudio(m.Audio)
			case 4:
				s = fmtCheck(m.Check)
			case 5:
				s = r.qaStatus(c)
			}
			o.(*widget.Label).SetText(s)
		})
	r.table.ShowHeaderRow = true
	r.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	r.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(heads[id.Col])
		}
	}
	for i, wd := range caseColumnWidths {
		r.table.SetColumnWidth(i, wd)
	}
	r.table.OnSelected = func(id widget.TableCellID) {
		if id.Row != r.row {
			r.OpenCase(id.Row)
		}
	}

	r.stage = NewStage()
	r.stage.ShowLayer(LayerGaze, false)
	r.stage.ShowLayer(LayerFixations, true)
	r.stage.ShowLayer(LayerScanpath, true)
	r.timeline = NewTimeline()
	r.timeline.OnSeek = r.Seek
	r.clock = widget.NewLabel("")
	r.clock.Truncation = fyne.TextTruncateEllipsis // whatever it says, the layout stays
	r.play = widget.NewButtonWithIcon("", theme.MediaPlayIcon(), r.Toggle)
	r.speed = widget.NewSelect([]string{"0.5×", "1×", "1.5×", "2×", "3×", "4×"}, func(s string) {
		var v float64
		fmt.Sscanf(s, "%g", &v)
		r.SetSpeed(v)
	})
	r.speed.SetSelected("1×")
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
	replay := container.NewBorder(nil, bottom, nil, nil, r.stage)

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
		if _, err := r.SaveVerdict(); err != nil {
			dialog.ShowError(dialogError("save the verdict", err), r.w)
		}
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

	r.banner = widget.NewLabel("")
	r.banner.Wrapping = fyne.TextWrapWord
	st := r.sess.State
	title := widget.NewLabelWithStyle(fmt.Sprintf("Session %s · reader %s · %s · %s", r.name, st.Reader,
		st.StartedWall.Local().Format("2006-01-02 15:04"), SessionStatus(r.sess)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	back := widget.NewButtonWithIcon("Sessions", theme.NavigateBackIcon(), func() {
		if err := r.ShowSessions(); err != nil {
			dialog.ShowError(dialogError("list the sessions", err), r.w)
		}
	})
	var notes []string
	for _, p := range r.sess.Problems {
		notes = append(notes, p.String())
	}
	if r.sess.Live {
		notes = append([]string{"Being recorded now: opened read-only; what is shown may already be behind."}, notes...)
	}
	r.banner.SetText(strings.Join(notes, "\n"))
	if len(notes) == 0 {
		r.banner.Hide()
	}
	top := container.NewVBox(container.NewHBox(back, title), r.banner)
	var cols float32
	for _, wd := range caseColumnWidths {
		cols += wd + theme.SeparatorThicknessSize()
	}
	// The table is as wide as its columns (none hidden behind a scroll that takes the case
	// names away); the replay takes the rest, and the divider can still widen the table.
	tableBox := container.New(minWidth{cols + theme.ScrollBarSize()}, r.table)
	split := container.NewHSplit(tableBox, container.NewBorder(nil, nil, nil, side, replay))
	split.Offset = 0
	r.root.Objects = []fyne.CanvasObject{container.NewBorder(top, nil, nil, nil, split)}
	r.root.Refresh()
}

// Banner is the session's banner text (read-only, session problems).
func (r *Review) Banner() string {
	if r.banner == nil || !r.banner.Visible() {
		return ""
	}
	return r.banner.Text
}

// OpenCase shows the case of the table's row i.
func (r *Review) OpenCase(i int) {
	if i < 0 || i >= len(r.order) {
		return
	}
	r.stop()
	r.row = i
	c := r.cases[r.order[i]]
	rp, err := qa.Load(r.sess, c, qa.Options{})
	r.m = r.meas[r.order[i]]
	if err != nil {
		r.rp = nil
		r.problems.SetText(err.Error())
		return
	}
	r.rp = rp
	r.m.Add(rp)
	r.meas[r.order[i]] = r.m // the table's ⚠ counts what loading found
	r.head = qa.NewPlayhead(rp.Start, rp.End, r.opt.Now)
	r.head.SetSpeed(r.speedValue())
	r.fixes = r.fixes[:0]
	for _, f := range rp.Fixations {
		r.fixes = append(r.fixes, reading.Fix{ID: int64(f.N), X: f.X, Y: f.Y, Duration: f.Duration().Seconds()})
	}
	r.pcm, r.soundErr = nil, nil
	if c.Audio != nil && c.Audio.WAV != "" && rp.Audio != nil {
		r.pcmRate, r.pcmCh, r.pcm, r.soundErr = qa.ReadPCM(c.Audio.WAV)
	}
	r.stage.SetCalibration()
	if c.Screen.Kind == session.KindCase {
		r.stage.SetImage(nil, c.Layout.Layout)
		r.loadImage(c)
	}
	r.timeline.SetReplay(rp)
	r.buildWords()
	r.fillVerdict(c)
	// The findings the table's ⚠ counts and the QA report lists (qa.Measures.Findings).
	probs := r.m.Findings()
	probs = append(probs, r.m.DraftNotes()...) // the draft transcript: worth a listen, not a fault
	if len(probs) == 0 {
		probs = []string{"none"}
	}
	r.problems.SetText(strings.Join(probs, "\n"))
	if r.table.OnSelected != nil {
		sel := r.table.OnSelected
		r.table.OnSelected = nil // selecting the row is not opening it again
		r.table.Select(widget.TableCellID{Row: i, Col: 0})
		r.table.OnSelected = sel
	}
	r.phrase = -2
	r.show(true)
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

// SaveVerdict stores the verdict panel's checklist, decision and note for the case on show,
// as a new row (a change never overwrites the earlier verdict).
func (r *Review) SaveVerdict() (review.Verdict, error) {
	if r.rp == nil {
		return review.Verdict{}, errors.New("no case on show")
	}
	if r.decision.Selected == "" {
		return review.Verdict{}, errors.New("choose pass, fail or re-read first")
	}
	c := r.rp.Case
	v := review.Verdict{Session: r.name, Case: c.Name, Decision: review.Decision(r.decision.Selected),
		Note: r.note.Text, Reviewer: r.opt.Reviewer, Checklist: review.Checklist{
			FilesWhole: r.checks[0].Checked, AudioOK: r.checks[1].Checked, NoAbruptStop: r.checks[2].Checked,
			GazeValid: r.checks[3].Checked, CalibrationGood: r.checks[4].Checked}}
	if r.opt.Store == nil {
		return review.Verdict{}, errors.New("verdicts cannot be saved: " + r.opt.NoStore)
	}
	saved, err := r.opt.Store.AddVerdict(context.Background(), v)
	if err != nil {
		return review.Verdict{}, fmt.Errorf("save the verdict: %w", err)
	}
	r.verdicts = append(r.verdicts, saved)
	r.fillVerdict(c)
	r.table.Refresh()
	return saved, nil
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

// Replay is the case on show (nil before one is).
func (r *Review) Replay() *qa.Replay { return r.rp }

// Position is the play head's time.
func (r *Review) Position() time.Duration {
	if r.head == nil {
		return 0
	}
	return r.head.Position()
}

// Playing reports whether the replay plays.
func (r *Review) Playing() bool { return r.head != nil && r.head.Playing() }

// ClockText is the clock line (time, speed and what drives it).
func (r *Review) ClockText() string { return r.clock.Text }

// TypedKey handles the replay's keys; the app routes the window's typed keys here.
func (r *Review) TypedKey(e *fyne.KeyEvent) {
	if r.head == nil {
		return
	}
	switch e.Name {
	case fyne.KeySpace:
		r.Toggle()
	case fyne.KeyLeft:
		r.Seek(r.head.Position() - time.Second)
	case fyne.KeyRight:
		r.Seek(r.head.Position() + time.Second)
	case fyne.KeyJ:
		r.setSpeedSelect(r.head.Speed() / 2)
	case fyne.KeyK:
		r.Pause()
	case fyne.KeyL:
		if r.head.Playing() {
			r.setSpeedSelect(r.head.Speed() * 2)
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
	v = min(max(v, qa.MinSpeed), qa.MaxSpeed)
	r.speed.SetSelected(fmt.Sprintf("%g×", v))
	r.SetSpeed(v) // a speed the list does not hold is still set
}

func (r *Review) speedValue() float64 {
	var v float64
	if _, err := fmt.Sscanf(r.speed.Selected, "%g", &v); err != nil || v <= 0 {
		return 1
	}
	return v
}

// StepCase opens the next (+1) or previous (−1) case of the table.
func (r *Review) StepCase(d int) {
	if j := r.row + d; j >= 0 && j < len(r.order) {
		r.OpenCase(j)
	}
}

// SetSpeed sets the replay's speed; the audio is heard at 1× only.
func (r *Review) SetSpeed(v float64) {
	if r.head == nil {
		return
	}
	r.head.SetSpeed(v)
	if r.head.Playing() {
		r.syncSound()
	}
	r.show(false)
}

// Seek moves the replay to t.
func (r *Review) Seek(t time.Duration) {
	if r.head == nil {
		return
	}
	r.head.Seek(t)
	if r.head.Playing() {
		r.syncSound()
	}
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
	if r.head == nil || r.head.Playing() {
		return
	}
	r.head.Play()
	r.syncSound()
	r.play.SetIcon(theme.MediaPauseIcon())
	r.startTicker()
	r.show(false)
}

// Pause stops the replay where it is.
func (r *Review) Pause() {
	if r.head == nil {
		return
	}
	r.head.Pause()
	r.stopSound()
	r.stopTicker()
	r.play.SetIcon(theme.MediaPlayIcon())
	r.show(false)
}

// stop ends the replay of the case on show (leaving it or the view).
func (r *Review) stop() {
	if r.head != nil {
		r.head.Pause()
	}
	r.stopSound()
	r.stopTicker()
	if r.play != nil {
		r.play.SetIcon(theme.MediaPlayIcon())
	}
}

// syncSound starts the audio at the play head when it plays at 1×, and mutes it otherwise.
func (r *Review) syncSound() {
	r.stopSound()
	if r.pcm == nil || r.head.Speed() != 1 || r.opt.Sound == nil {
		return
	}
	if r.sound == nil && r.soundErr == nil {
		r.sound, r.soundErr = r.opt.Sound()
		if r.soundErr != nil {
			fyne.LogError("review: no sound output", r.soundErr) // the clock line says it short
		}
	}
	if r.sound == nil {
		return
	}
	from, ok := r.rp.AudioFrame(r.head.Position())
	if !ok || from >= int64(len(r.pcm)/r.pcmCh) {
		return
	}
	if err := r.sound.Play(r.pcm, r.pcmRate, r.pcmCh, max(from, 0)); err != nil {
		r.soundErr = err
		return
	}
	r.soundOn = true
}

func (r *Review) stopSound() {
	if r.soundOn && r.sound != nil {
		r.sound.Stop()
	}
	r.soundOn = false
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

// Frame draws the replay at the play head: the audio clock drives it while the audio plays.
func (r *Review) Frame() {
	if r.head == nil {
		return
	}
	if r.soundOn {
		frame, playing, err := r.sound.Heard()
		switch {
		case err != nil:
			r.soundErr, r.soundOn = err, false
		case playing:
			if t, ok := r.rp.AudioTime(frame); ok {
				r.head.Follow(t)
			}
		default:
			r.soundOn = false // the audio ended before the case: the wall clock goes on
		}
	}
	if !r.head.Playing() {
		r.Pause()
		return
	}
	r.show(false)
}

// clockSource says what drives the picture.
func (r *Review) clockSource() string {
	switch {
	case r.soundOn:
		return "audio clock"
	case r.rp.Audio == nil && r.rp.Case.Audio == nil:
		return "wall clock: no audio"
	case r.rp.Audio == nil:
		return "wall clock: the audio has no clock record (audio.json)"
	case r.soundErr != nil:
		// The reason (a sound server's whole error text, or the WAV's fault, which Problems
		// names) is no line for the clock: it widened the window to thousands of pixels.
		return "no sound: playing silently"
	case r.opt.Sound == nil:
		return "wall clock: no sound output"
	case r.head.Speed() != 1:
		return "wall clock: audio muted away from 1×"
	}
	return "wall clock"
}

// show draws the frame at the play head; all redraws the fixations even when the same.
func (r *Review) show(all bool) {
	if r.rp == nil {
		return
	}
	t := r.head.Position()
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
	text := fmt.Sprintf("%s / %s · %g× · %s", clockText(t-r.rp.Start), clockText(r.rp.End-r.rp.Start), r.head.Speed(), r.clockSource())
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

// dialogError is err as a dialog shows it: Fyne capitalises a dialog's first letter, which
// would turn a path (bad/sessions/…) into another one.
func dialogError(step string, err error) error { return fmt.Errorf("cannot %s: %w", step, err) }

// plural is "1 row", "2 rows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// keyTable is a table that leaves the keyboard to the window's handler after a click: Fyne's
// table takes the focus when tapped, and Space, the arrows, N and P then went to it.
type keyTable struct {
	widget.Table
}

func newKeyTable(length func() (int, int), create func() fyne.CanvasObject, update func(widget.TableCellID, fyne.CanvasObject)) *keyTable {
	t := &keyTable{}
	t.Length, t.CreateCell, t.UpdateCell = length, create, update
	t.ExtendBaseWidget(t)
	return t
}

// Tapped selects the row tapped and gives the keys back to the replay.
func (t *keyTable) Tapped(e *fyne.PointEvent) {
	t.Table.Tapped(e)
	if c := fyne.CurrentApp().Driver().CanvasForObject(t); c != nil {
		c.Unfocus()
	}
}

// minWidth lays out one object over the whole space and asks for at least w of width.
type minWidth struct{ w float32 }

func (l minWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m := objs[0].MinSize()
	return fyne.NewSize(max(m.Width, l.w), m.Height)
}

func (l minWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.Position{})
		o.Resize(size)
	}
}
