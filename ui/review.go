package ui

// The QA review view, in four files: this one (the view, the session's case table), the
// session list (review_sessions.go), the replay (review_player.go: the view of a qa.Player,
// which holds the clocks, seeking and speeds) and the verdict panel (review_verdict.go).

import (
	"fmt"
	"image"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/qa"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/stage"
)

// Sound is the review's audio output (reader/playback.Out).
type Sound = qa.Sound

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
	rp      *qa.Replay
	m       qa.Measures
	images  *reviewImages // decoded ahead around the case on show
	player  *qa.Player
	speaker *qa.Speaker // the sound output, opened by the first case played
	audio   qa.Audio    // the case's audio.wav
	fixes   []stage.Fix
	trail   [2][]Point // two buffers: the stage keeps the slice it was given
	flip    int
	phrase  int

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

// Content is the view's root object.
func (r *Review) Content() fyne.CanvasObject { return r.root }

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
	if r.speaker == nil {
		r.speaker = qa.NewSpeaker(r.opt.Sound)
	}
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

	replay := r.buildPlayer()
	side := r.buildVerdict()

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
		r.rp, r.player = nil, nil
		r.problems.SetText(err.Error())
		return
	}
	r.rp = rp
	r.m.Add(rp)
	r.meas[r.order[i]] = r.m // the table's ⚠ counts what loading found
	r.fixes = r.fixes[:0]
	for _, f := range rp.Fixations {
		r.fixes = append(r.fixes, stage.Fix{ID: int64(f.N), X: f.X, Y: f.Y, Duration: f.Duration().Seconds()})
	}
	r.audio = qa.Audio{}
	if c.Audio != nil && c.Audio.WAV != "" && rp.Audio != nil {
		r.audio.Rate, r.audio.Channels, r.audio.PCM, r.audio.Err = qa.ReadPCM(c.Audio.WAV)
	}
	r.player = qa.NewPlayer(rp, r.audio, r.speaker, r.opt.Now)
	r.player.SetSpeed(qa.ParseSpeed(r.speed.Selected))
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

// StepCase opens the next (+1) or previous (−1) case of the table.
func (r *Review) StepCase(d int) {
	if j := r.row + d; j >= 0 && j < len(r.order) {
		r.OpenCase(j)
	}
}

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
