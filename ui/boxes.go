package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/boxedit"
	"sightline/reader/review"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// BoxEditorConfig is what the box editor works on.
type BoxEditorConfig struct {
	Study *study.Study
	Store review.Store
	Who   string
	// Readings are the study's reads, for the fixation layer and the gaze aid (nil: none).
	Readings *boxedit.Readings
	// AutosaveAfter is how long after the last change unsaved edits are saved (default 2 s).
	AutosaveAfter time.Duration
	// Load and Masks load an image and its masks (default boxedit.LoadImage, LoadMasks).
	Load  func(dicomID string) (boxedit.Image, error)
	Masks func(dicomID string) ([]boxedit.MaskFile, error)
	// Back, when set, adds a button that leaves the editor (after saving).
	Back func()
	// Journal keeps edits on local disk until the store has them (nil: none). Every save
	// writes it first; edits the store did not take are retried, and a journal left by a
	// crash is replayed when the editor opens.
	Journal *review.Journal
	// StoreTimeout bounds every store call (default 15 s); RetryEvery is the pause before
	// unsaved edits are tried again (default 2 s).
	StoreTimeout, RetryEvery time.Duration

	// Post runs the results of store calls, the watch and the timers on the UI goroutine
	// (default fyne.Do). Tests give a queue they run themselves: Fyne's test driver runs
	// fyne.Do in line, on the goroutine that calls it.
	Post func(func())
}

// BoxEditor is the annotation team's view: the image list, the canvas with the 17 zones over
// the image (and the readers' fixations, and masks), the zone list with the gaze aid, and the
// adjudication of conflicting edits.
type BoxEditor struct {
	cfg   BoxEditorConfig
	win   fyne.Window
	stage *EditStage
	cv    *boxCanvas

	ed     *boxedit.Editor // nil before an image is open
	cur    string
	img    boxedit.Image
	fixes  []boxedit.Fixation
	gaze   []boxedit.ZoneGaze
	reader string // "" all readers

	log   []review.BoxEdit // every box row of the study, in revision order
	revs  map[int64]bool
	marks map[string]review.ImageStatus

	images     []string // the filtered image list
	imageList  *widget.List
	zoneList   *widget.List
	condition  *widget.Select
	editedBy   *widget.Select
	missing    *widget.Check
	conflicted *widget.Check
	readerSel  *widget.Select
	showFix    *widget.Check
	showMasks  *widget.Check
	status     *widget.Label
	message    *widget.Label
	aid        *widget.Label
	adjudicate *fyne.Container

	autosave *time.Timer
	ctx      context.Context // the editor's life: the store's watch ends with it
	stop     context.CancelFunc
	// storeRead is set once the store's rows are in (readStore); openLater is the image asked
	// for before.
	storeRead bool
	openLater string

	// Store calls run off the UI goroutine (call); these are touched on it only.
	busy    int          // store calls in flight
	waiting string       // what the slowest call in flight waits for, once it took over 1 s
	again   bool         // a save was asked for while one was in flight
	thens   []func(bool) // what waits on that save
	failed  int          // edits the store did not take at the last try (0: none)
	retry   *time.Timer  // the next try of failed edits
	closing bool
	// pre is the next image in the list, loading in the background while this one is edited.
	pre *prefetch
}

// prefetch is an image being loaded ahead; ready is closed when l is set.
type prefetch struct {
	id    string
	l     loaded
	ready chan struct{}
}

type loaded struct {
	img   boxedit.Image
	masks []boxedit.MaskFile
	err   error
}

// load reads an image and its masks, the two side by side.
func (b *BoxEditor) load(id string) loaded {
	var l loaded
	var merr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.masks, merr = b.cfg.Masks(id)
	}()
	l.img, l.err = b.cfg.Load(id)
	<-done
	if l.err == nil {
		l.err = merr
	}
	return l
}

// prefetchAfter starts loading the image after id in the list.
func (b *BoxEditor) prefetchAfter(id string) {
	i := slices.Index(b.images, id)
	if i < 0 || i+1 >= len(b.images) {
		return
	}
	p := &prefetch{id: b.images[i+1], ready: make(chan struct{})}
	b.pre = p
	go func() {
		p.l = b.load(p.id)
		close(p.ready)
	}()
}

// zoneColors are the 17 zones' colours, in study.ZoneNames order: the right side warm, the
// left side cool, the middle structures distinct from both.
var zoneColors = [...]color.NRGBA{
	{255, 99, 71, 255}, {255, 165, 0, 255}, {255, 215, 0, 255}, {240, 128, 128, 255},
	{30, 144, 255, 255}, {0, 206, 209, 255}, {135, 206, 250, 255}, {123, 104, 238, 255},
	{255, 105, 180, 255}, {186, 85, 211, 255}, {173, 255, 47, 255}, {255, 0, 255, 255},
	{0, 255, 127, 255}, {210, 105, 30, 255}, {70, 130, 180, 255}, {244, 164, 96, 255}, {64, 224, 208, 255},
}

var maskColors = []color.NRGBA{{0, 200, 255, 80}, {255, 80, 200, 80}, {120, 255, 80, 80}, {255, 200, 0, 80}}

var rivalColor = color.NRGBA{255, 40, 40, 255}

// NewBoxEditor reads the store's box rows and image statuses and starts watching it for the
// changes others make. Close stops it.
func NewBoxEditor(cfg BoxEditorConfig, w fyne.Window) (*BoxEditor, error) {
	if cfg.AutosaveAfter <= 0 {
		cfg.AutosaveAfter = 2 * time.Second
	}
	if cfg.Load == nil {
		cfg.Load = func(id string) (boxedit.Image, error) { return boxedit.LoadImage(cfg.Study, id) }
	}
	if cfg.Masks == nil {
		cfg.Masks = func(id string) ([]boxedit.MaskFile, error) { return boxedit.LoadMasks(cfg.Study.Dir, id) }
	}
	if cfg.Post == nil {
		cfg.Post = fyne.Do
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 15 * time.Second
	}
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = 2 * time.Second
	}
	b := &BoxEditor{cfg: cfg, win: w, revs: map[int64]bool{}, marks: map[string]review.ImageStatus{}}
	ctx, cancel := context.WithCancel(context.Background())
	b.ctx, b.stop = ctx, cancel
	b.build()
	b.readStore()
	return b, nil
}

// readStore reads the store's box rows and image statuses and starts watching it, off the UI
// goroutine with the store's deadline: the window shows at once, saying what it waits for.
// No image opens before the rows are in (one asked for meanwhile opens then); a store that
// cannot be read is tried again every RetryEvery. Then a journal left by a crash or a store
// that never came back is saved.
func (b *BoxEditor) readStore() {
	var (
		ch    <-chan review.Change
		log   []review.BoxEdit
		marks []review.ImageMark
	)
	watch, unwatch := context.WithCancel(b.ctx)
	b.call("read the review store", func(ctx context.Context) error {
		// Watch first, then read: a row written in between arrives twice and is taken once.
		var err error
		if ch, err = b.cfg.Store.Watch(watch); err != nil {
			return fmt.Errorf("watch the review store: %w", err)
		}
		if log, err = b.cfg.Store.BoxLog(ctx, ""); err != nil {
			return err
		}
		marks, err = b.cfg.Store.ImageMarks(ctx)
		return err
	}, func(err error) {
		if err != nil {
			unwatch()
			if b.closing {
				return
			}
			b.message.SetText(fmt.Sprintf("cannot read the review store yet: %v; trying again", err))
			time.AfterFunc(b.cfg.RetryEvery, func() { b.cfg.Post(b.readStore) })
			return
		}
		b.storeRead = true
		for _, r := range log {
			b.addRow(r)
		}
		b.marks = review.ImageStatuses(marks)
		go func() {
			for c := range ch {
				b.cfg.Post(func() { b.remote(c) })
			}
		}()
		b.filter()
		if id := b.openLater; id != "" {
			b.openLater = ""
			if err := b.Open(id); err != nil {
				b.message.SetText(err.Error())
			}
		}
		if b.cfg.Journal != nil {
			if p, err := b.cfg.Journal.Pending(); err != nil || len(p) > 0 {
				b.message.SetText(fmt.Sprintf("saving %d edit(s) kept from the last session (%s)", len(p), b.cfg.Journal.Path()))
				b.flush(nil)
			}
		}
	})
}

// Close saves what is unsaved, waiting for the store up to StoreTimeout, and stops watching
// it. When the store does not take the edits they stay in the journal, and the error says so
// (the next start saves them).
func (b *BoxEditor) Close() error {
	b.closing = true
	if b.autosave != nil {
		b.autosave.Stop()
	}
	if b.retry != nil {
		b.retry.Stop()
	}
	defer b.stop()
	var edits []review.BoxEdit
	if b.ed != nil {
		edits = b.ed.Edits()
	}
	if len(edits) == 0 && (b.cfg.Journal == nil || !b.journalPending()) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.StoreTimeout)
	defer cancel()
	_, err := b.store(ctx, edits)
	switch {
	case err == nil:
		return nil
	case b.cfg.Journal != nil && !errors.Is(err, errJournal):
		return fmt.Errorf("%d box edit(s) could not reach the review store (%w); they are kept in %s and saved when the editor next opens",
			len(edits), err, b.cfg.Journal.Path())
	}
	return fmt.Errorf("%d box edit(s) are NOT saved: %w", len(edits), err)
}

func (b *BoxEditor) journalPending() bool {
	p, err := b.cfg.Journal.Pending()
	return err != nil || len(p) > 0
}

// errJournal marks a failure to write the local journal (the disk, not the store).
var errJournal = errors.New("the local journal cannot be written")

// store writes edits: through the journal (on disk first, then every edit it holds, latest per
// box, in one transaction) when there is one, straight to the store otherwise. Off the UI
// goroutine, or at Close.
func (b *BoxEditor) store(ctx context.Context, edits []review.BoxEdit) ([]review.BoxEdit, error) {
	j := b.cfg.Journal
	if j == nil {
		if len(edits) == 0 {
			return nil, nil
		}
		return b.cfg.Store.EditBoxes(ctx, edits)
	}
	if err := j.Add(edits); err != nil {
		return nil, fmt.Errorf("%w: %w", errJournal, err)
	}
	return j.Replay(ctx, b.cfg.Store)
}

// call runs a store call off the UI goroutine with a deadline and gives its result to done on
// the UI goroutine. The status line says what is pending, and after a second what it waits for.
func (b *BoxEditor) call(what string, f func(ctx context.Context) error, done func(err error)) {
	b.busy++
	b.updateStatus("")
	finished := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), b.cfg.StoreTimeout)
		defer cancel()
		slow := time.AfterFunc(time.Second, func() {
			b.cfg.Post(func() {
				select {
				case <-finished:
				default:
					b.waiting = fmt.Sprintf("%s: waiting for the review store %s (locked by another program, or the server not answering)", what, b.cfg.Store.Location())
					b.updateStatus("")
				}
			})
		})
		err := f(ctx)
		slow.Stop()
		close(finished)
		b.cfg.Post(func() {
			b.busy--
			if b.busy == 0 {
				b.waiting = ""
			}
			done(err)
			b.updateStatus("")
		})
	}()
}

// Busy reports whether a store call is in flight.
func (b *BoxEditor) Busy() bool { return b.busy > 0 }

// Stage is the editor's canvas stage.
func (b *BoxEditor) Stage() *EditStage { return b.stage }

// Editor is the model of the image on show (nil before one is open).
func (b *BoxEditor) Editor() *boxedit.Editor { return b.ed }

// addRow keeps a box row once, in revision order.
func (b *BoxEditor) addRow(r review.BoxEdit) bool {
	if b.revs[r.Rev] {
		return false
	}
	b.revs[r.Rev] = true
	i, _ := slices.BinarySearchFunc(b.log, r.Rev, func(e review.BoxEdit, rev int64) int { return int(e.Rev - rev) })
	b.log = slices.Insert(b.log, i, r)
	return true
}

func (b *BoxEditor) imageLog(id string) []review.BoxEdit {
	var out []review.BoxEdit
	for _, r := range b.log {
		if r.Key.DicomID == id {
			out = append(out, r)
		}
	}
	return out
}

// remote applies a row from the store's watch: another editor's change appears.
func (b *BoxEditor) remote(c review.Change) {
	switch {
	case c.Box != nil:
		if !b.addRow(*c.Box) {
			return
		}
		if b.ed != nil && c.Box.Key.DicomID == b.cur {
			changed := b.ed.Reload(b.imageLog(b.cur))
			if c.Box.Who != b.cfg.Who || len(changed) > 0 {
				msg := fmt.Sprintf("%s changed %s", c.Box.Who, c.Box.Key.Zone)
				if c.Box.Kind == review.KindConflict {
					msg = fmt.Sprintf("%s's edit of %s conflicts with the box as it stands: adjudicate it", c.Box.Who, c.Box.Key.Zone)
				}
				b.message.SetText(msg)
			}
			b.redraw()
		}
		b.filter()
	case c.Image != nil:
		b.marks[c.Image.DicomID] = c.Image.Status
		b.imageList.Refresh()
	}
}

// build makes the widgets.
func (b *BoxEditor) build() {
	b.stage = NewEditStage()
	b.stage.SetOverlay(true)
	b.cv = newBoxCanvas(b)
	b.status = widget.NewLabel("")
	b.status.Truncation = fyne.TextTruncateEllipsis
	b.message = widget.NewLabel("")
	b.message.Wrapping = fyne.TextWrapWord
	b.aid = widget.NewLabel("")
	b.aid.Wrapping = fyne.TextWrapWord
	b.adjudicate = container.NewVBox()

	b.imageList = widget.NewList(func() int { return len(b.images) },
		func() fyne.CanvasObject { return widget.NewLabel("00000000-00000000 · in progress") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(b.images) {
				id := b.images[i]
				o.(*widget.Label).SetText(fmt.Sprintf("%s · %s", short(id), b.imageStatus(id)))
			}
		})
	b.imageList.OnSelected = func(i widget.ListItemID) {
		if i < len(b.images) && b.images[i] != b.cur {
			if err := b.Open(b.images[i]); err != nil {
				dialog.ShowError(err, b.win)
			}
		}
	}
	conds := []string{"all conditions"}
	for _, c := range b.cfg.Study.Cases {
		if c.Condition != "" && !slices.Contains(conds, c.Condition) {
			conds = append(conds, c.Condition)
		}
	}
	b.condition = widget.NewSelect(conds, func(string) { b.filter() })
	b.condition.SetSelectedIndex(0)
	b.editedBy = widget.NewSelect([]string{"edited by anyone"}, func(string) { b.filter() })
	b.editedBy.SetSelectedIndex(0)
	b.missing = widget.NewCheck("missing zones", func(bool) { b.filter() })
	b.conflicted = widget.NewCheck("disagreement (conflicts)", func(bool) { b.filter() })

	b.zoneList = widget.NewList(func() int { return len(study.ZoneNames) },
		func() fyne.CanvasObject { return widget.NewLabel("right costophrenic angle · confirmed · locked") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(b.zoneLine(i)) })
	b.zoneList.OnSelected = func(i widget.ListItemID) {
		if b.ed != nil && b.ed.Sel != i {
			b.ed.Select(i)
			b.redraw()
		}
		b.focus()
	}

	b.readerSel = widget.NewSelect([]string{"all readers"}, func(string) { b.loadFixations() })
	b.readerSel.SetSelectedIndex(0)
	b.showFix = widget.NewCheck("fixations", func(on bool) { b.stage.SetOverlay(on) })
	b.showFix.SetChecked(true)
	b.showMasks = widget.NewCheck("masks", func(on bool) { b.stage.ShowLayer(LayerMasks, on) })
	b.showMasks.SetChecked(true)
	b.filter()
}

// Content is the editor's view.
func (b *BoxEditor) Content() fyne.CanvasObject {
	left := container.NewBorder(container.NewVBox(widget.NewLabelWithStyle("Images", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		b.condition, b.editedBy, b.missing, b.conflicted), nil, nil, nil, b.imageList)
	btn := func(label string, f func()) *widget.Button {
		return widget.NewButton(label, func() { f(); b.focus() })
	}
	tools := container.NewGridWithColumns(4,
		btn("Add zone (N)", b.addZone), btn("Absent (Del)", func() { b.edit(b.ed.MarkAbsent(b.ed.Sel)) }),
		btn("Lock (L)", func() { b.edit(b.ed.ToggleLock(b.ed.Sel)) }), btn("Solo (H)", b.toggleSolo),
		btn("Undo (Ctrl+Z)", func() { b.edit(b.ed.Undo()) }), btn("Redo (Ctrl+Shift+Z)", func() { b.edit(b.ed.Redo()) }),
		btn("Save (Ctrl+S)", b.save), btn("Confirm image (Enter)", b.Confirm),
	)
	layers := container.NewVBox(container.NewHBox(b.showFix, b.readerSel), b.showMasks,
		btn("Reset view and window (0)", b.resetView))
	// The 17 zones stand at the top at their full height, and what comes and goes (the gaze
	// aid, an adjudication, a message) scrolls below them: it never moves a zone's row, and
	// every zone is in view at 1600×1000 and up. The tools sit above the image.
	zones := container.New(allRows{n: len(study.ZoneNames)}, b.zoneList)
	right := container.NewBorder(container.NewVBox(widget.NewLabelWithStyle("Zones", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), zones),
		layers, nil, nil, container.NewVScroll(container.NewVBox(b.aid, b.adjudicate, b.message)))
	var bottom fyne.CanvasObject = b.status
	if b.cfg.Back != nil {
		bottom = container.NewBorder(nil, nil, widget.NewButton("Back", func() { b.cfg.Back() }), nil, b.status)
	}
	split := container.NewHSplit(left, container.NewHSplit(container.NewBorder(tools, nil, nil, nil, b.cv), right))
	split.Offset = 0.16
	split.Trailing.(*container.Split).Offset = 0.78
	return container.NewBorder(nil, bottom, nil, nil, split)
}

// allRows lays out a list so that its n rows all show: its minimum height is theirs (rows of
// the list's template height, the theme's padding between them).
type allRows struct{ n int }

func (a allRows) MinSize(objs []fyne.CanvasObject) fyne.Size {
	l := objs[0].(*widget.List)
	row := l.CreateItem().MinSize()
	pad := l.Theme().Size(theme.SizeNamePadding)
	return fyne.NewSize(l.MinSize().Width, float32(a.n)*(row.Height+pad)-pad)
}

func (a allRows) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(size)
}

func short(id string) string {
	if len(id) > 17 {
		return id[:17] + "…"
	}
	return id
}

// imageStatus is an image's status in the list: confirmed when marked so, in progress when
// marked so or when any of its boxes was edited, else unreviewed.
func (b *BoxEditor) imageStatus(id string) review.ImageStatus {
	if s, ok := b.marks[id]; ok && s != review.Unreviewed {
		return s
	}
	if slices.ContainsFunc(b.log, func(r review.BoxEdit) bool { return r.Key.DicomID == id }) {
		return review.InProgress
	}
	return review.Unreviewed
}

// filter recomputes the image list from the filters.
func (b *BoxEditor) filter() {
	if b.imageList == nil || b.condition == nil || b.conflicted == nil {
		return
	}
	cur := review.CurrentBoxes(b.log)
	conflicts := map[string]bool{}
	for _, c := range review.Conflicts(b.log) {
		conflicts[c.Key.DicomID] = true
	}
	editors := map[string]map[string]bool{}
	var people []string
	for _, r := range b.log {
		if editors[r.Who] == nil {
			editors[r.Who] = map[string]bool{}
			people = append(people, r.Who)
		}
		editors[r.Who][r.Key.DicomID] = true
	}
	slices.Sort(people)
	if opts := append([]string{"edited by anyone"}, people...); !slices.Equal(opts, b.editedBy.Options) {
		sel := b.editedBy.Selected
		b.editedBy.Options = opts
		if !slices.Contains(opts, sel) {
			sel = opts[0]
		}
		b.editedBy.Selected = sel
		b.editedBy.Refresh()
	}
	b.images = b.images[:0]
	for _, c := range b.cfg.Study.Cases {
		if b.condition.SelectedIndex() > 0 && c.Condition != b.condition.Selected {
			continue
		}
		if b.editedBy.SelectedIndex() > 0 && !editors[b.editedBy.Selected][c.DicomID] {
			continue
		}
		if b.conflicted.Checked && !conflicts[c.DicomID] {
			continue
		}
		if b.missing.Checked && zonesPlaced(b.cfg.Study.Boxes[c.DicomID], cur, c.DicomID) == len(study.ZoneNames) {
			continue
		}
		b.images = append(b.images, c.DicomID)
	}
	b.imageList.Refresh()
	// The highlighted row is the image on show, or none when the filter hides it.
	if i := slices.Index(b.images, b.cur); i >= 0 {
		b.imageList.Select(i)
	} else {
		b.imageList.UnselectAll()
	}
}

// zonesPlaced counts an image's zones with a place, as they stand.
func zonesPlaced(original []study.Box, cur map[review.BoxKey]review.BoxEdit, id string) int {
	n := 0
	for _, name := range study.ZoneNames {
		if e, ok := cur[review.BoxKey{DicomID: id, Zone: name}]; ok {
			if e.After.HasCoords() {
				n++
			}
			continue
		}
		if slices.ContainsFunc(original, func(b study.Box) bool { return b.Name == name }) {
			n++
		}
	}
	return n
}

// Open shows an image: saves the one on show, loads the image, its masks and its readers'
// fixations, and folds the store's rows into its boxes.
func (b *BoxEditor) Open(id string) error {
	if !b.storeRead {
		b.openLater = id
		return nil
	}
	if b.ed != nil {
		b.save()
	}
	var l loaded
	if p := b.pre; p != nil && p.id == id {
		<-p.ready
		l = p.l
	} else {
		l = b.load(id)
	}
	b.pre = nil
	if l.err != nil {
		return l.err
	}
	img, masks := l.img, l.masks
	b.cur, b.img = id, img
	b.ed = boxedit.New(id, img.Layout.W, img.Layout.H, b.cfg.Who, b.cfg.Study.Boxes[id], b.imageLog(id))
	b.stage.SetImage(img.Gray, img.Layout)
	b.stage.FitImage()
	b.stage.SetWindow(127.5, 255) // each image starts at its own window, not the last one's
	var ms []Mask
	for i, m := range masks {
		ms = append(ms, Mask{Name: m.Name, Image: m.Image, Color: maskColors[i%len(maskColors)]})
	}
	b.stage.SetMasks(ms)
	b.fixes = nil
	readers := []string{"all readers"}
	if b.cfg.Readings != nil {
		readers = append(readers, b.cfg.Readings.Readers(id)...)
		fixes, err := b.cfg.Readings.Fixations(id)
		if err != nil {
			b.message.SetText(err.Error())
		}
		b.fixes = fixes
	}
	b.readerSel.Options = readers
	if !slices.Contains(readers, b.readerSel.Selected) {
		b.readerSel.Selected = readers[0]
	}
	b.readerSel.Refresh()
	b.message.SetText(fmt.Sprintf("%s from the %s", id, img.Source))
	b.loadFixations()
	if i := slices.Index(b.images, id); i >= 0 {
		b.imageList.Select(i)
	}
	b.focus()
	b.prefetchAfter(id)
	return nil
}

// loadFixations shows the chosen reader's fixations (or everyone's) and measures the aid.
func (b *BoxEditor) loadFixations() {
	if b.ed == nil {
		return
	}
	b.reader = ""
	if b.readerSel.SelectedIndex() > 0 {
		b.reader = b.readerSel.Selected
	}
	var fs []stage.Fix
	for _, f := range b.shownFixes() {
		x, y := b.img.Layout.ToStage(f.X, f.Y)
		fs = append(fs, stage.Fix{X: x, Y: y, Duration: f.Duration})
	}
	b.stage.SetFixations(fs)
	b.redraw()
}

func (b *BoxEditor) shownFixes() []boxedit.Fixation {
	if b.reader == "" {
		return b.fixes
	}
	var out []boxedit.Fixation
	for _, f := range b.fixes {
		if f.Reader == b.reader {
			out = append(out, f)
		}
	}
	return out
}

// redraw gives the stage the boxes as they stand and refreshes the panels.
func (b *BoxEditor) redraw() {
	if b.ed == nil {
		return
	}
	b.drawBoxes()
	b.panels()
}

// drawBoxes gives the stage the boxes (and the gaze aid's margins) as they stand: all a
// frame of a drag needs.
func (b *BoxEditor) drawBoxes() {
	margin := boxedit.Margin(b.img.Layout)
	b.gaze = boxedit.Gaze(b.ed.Zones, b.shownFixes(), margin)
	var shapes []BoxShape
	for i, z := range b.ed.Zones {
		if !b.ed.Visible(i) {
			continue
		}
		label := z.Name
		if z.Box.Locked {
			label += " (locked)"
		}
		s := BoxShape{X1: z.Box.X1, X2: z.Box.X2, Y1: z.Box.Y1, Y2: z.Box.Y2, Color: zoneColors[i], Label: label, Selected: i == b.ed.Sel}
		if b.gaze[i].Hint {
			s.Margin = margin
		}
		shapes = append(shapes, s)
	}
	// The selected zone's rival edits, in red, for the adjudication.
	if sel := b.ed.Sel; sel >= 0 && b.ed.Zones[sel].Conflict != nil {
		for _, r := range b.ed.Zones[sel].Conflict.Rivals {
			if r.After.HasCoords() {
				shapes = append(shapes, BoxShape{X1: r.After.X1, X2: r.After.X2, Y1: r.After.Y1, Y2: r.After.Y2,
					Color: rivalColor, Faint: true, Label: "rival: " + r.Who})
			}
		}
	}
	b.stage.SetBoxes(shapes)
}

// panels refreshes the zone list, the aid, the adjudication and the status line.
func (b *BoxEditor) panels() {
	b.zoneList.Refresh()
	if b.ed.Sel >= 0 {
		b.zoneList.Select(b.ed.Sel)
	} else {
		b.zoneList.UnselectAll()
	}
	b.aid.SetText(b.aidText())
	b.showAdjudication()
	b.updateStatus("")
}

func (b *BoxEditor) zoneLine(i int) string {
	if b.ed == nil || i >= len(b.ed.Zones) {
		return study.ZoneNames[i]
	}
	z := b.ed.Zones[i]
	st := string(z.Box.Status)
	if st == "" {
		st = "missing"
	}
	parts := []string{z.Name, st}
	if z.Box.Locked {
		parts = append(parts, "locked")
	}
	if z.Dirty() {
		parts = append(parts, "unsaved")
	}
	if z.Conflict != nil {
		parts = append(parts, "CONFLICT")
	} else if z.Stale {
		parts = append(parts, "changed by another")
	}
	if i < len(b.gaze) && z.Box.HasCoords() && len(b.fixes) > 0 {
		g := b.gaze[i]
		s := fmt.Sprintf("%.0f%% fix.", 100*g.Share)
		if g.Hint {
			s += " ⚠"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " · ")
}

func (b *BoxEditor) aidText() string {
	i := b.ed.Sel
	if i < 0 || len(b.shownFixes()) == 0 {
		return ""
	}
	z, g := b.ed.Zones[i], b.gaze[i]
	if !z.Box.HasCoords() {
		return ""
	}
	s := fmt.Sprintf("%s: %d of %d fixations inside (%.0f%%), %d just outside", z.Name, g.Inside, len(b.shownFixes()), 100*g.Share, g.Near)
	if g.Hint {
		s += " — may be too tight (a hint, not an edit)"
	}
	return s
}

// showAdjudication fills the adjudication panel for the selected zone's open conflict: the
// box as it stands and each rival, each with a button that keeps it.
func (b *BoxEditor) showAdjudication() {
	b.adjudicate.RemoveAll()
	if b.ed.Sel < 0 || b.ed.Zones[b.ed.Sel].Conflict == nil {
		return
	}
	c := *b.ed.Zones[b.ed.Sel].Conflict
	b.adjudicate.Add(widget.NewLabelWithStyle(fmt.Sprintf("Conflict on %s: pick one", c.Key.Zone), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for _, r := range append([]review.BoxEdit{c.Current}, c.Rivals...) {
		who := r.Who
		if who == "" {
			who = "the study"
		}
		label := fmt.Sprintf("Keep %s's: %s", who, describe(r.After))
		if r.Rev == c.Current.Rev {
			label = fmt.Sprintf("Keep the current (%s): %s", who, describe(r.After))
		}
		rev := r.Rev
		b.adjudicate.Add(widget.NewButton(label, func() { b.Adjudicate(c, rev) }))
	}
}

func describe(bx review.Box) string {
	if !bx.HasCoords() {
		return string(bx.Status)
	}
	return fmt.Sprintf("x %g–%g, y %g–%g", bx.X1, bx.X2, bx.Y1, bx.Y2)
}

// Adjudicate settles a conflict by keeping revision pick.
func (b *BoxEditor) Adjudicate(c review.Conflict, pick int64) {
	var row review.BoxEdit
	b.call("adjudicate", func(ctx context.Context) error {
		var err error
		row, err = b.cfg.Store.Adjudicate(ctx, c, pick, b.cfg.Who)
		return err
	}, func(err error) {
		if errors.Is(err, review.ErrStale) {
			b.message.SetText("the box changed meanwhile: look again and pick")
			b.reload()
			return
		}
		if err != nil {
			b.message.SetText("not adjudicated: " + err.Error())
			return
		}
		b.addRow(row)
		b.reload()
		b.message.SetText(fmt.Sprintf("%s: kept %s", c.Key.Zone, describe(row.After)))
	})
}

// reload folds the image's rows in again.
func (b *BoxEditor) reload() {
	if b.ed == nil {
		return
	}
	b.ed.Reload(b.imageLog(b.cur))
	b.redraw()
	b.filter()
}

func (b *BoxEditor) updateStatus(pointer string) {
	if !b.storeRead {
		b.status.SetText(strings.Join(slices.DeleteFunc([]string{"reading the review store " + b.cfg.Store.Location() + "…", b.waiting},
			func(s string) bool { return s == "" }), " · "))
		return
	}
	if b.ed == nil {
		b.status.SetText("choose an image")
		return
	}
	parts := []string{b.cfg.Who + " on " + short(b.cur)}
	if i := b.ed.Sel; i >= 0 {
		z := b.ed.Zones[i].Box
		if z.HasCoords() {
			parts = append(parts, fmt.Sprintf("%s x %g–%g y %g–%g (%g×%g px)", b.ed.Zones[i].Name, z.X1, z.X2, z.Y1, z.Y2, z.X2-z.X1, z.Y2-z.Y1))
		} else {
			parts = append(parts, b.ed.Zones[i].Name+" has no box: N adds it")
		}
	}
	if pointer != "" {
		parts = append(parts, pointer)
	}
	zoom, _, _ := b.stage.Zoom()
	c, w := b.stage.Window()
	parts = append(parts, fmt.Sprintf("zoom %.2g× · W/L %.0f/%.0f", zoom, w, c))
	n := len(b.ed.Edits())
	switch {
	case b.failed > 0:
		parts = append(parts, fmt.Sprintf("%d unsaved, retrying", max(n, b.failed)))
	case b.busy > 0:
		parts = append(parts, "saving…")
	case n > 0:
		parts = append(parts, fmt.Sprintf("%d unsaved", n))
	default:
		parts = append(parts, "saved")
	}
	if b.waiting != "" {
		parts = append(parts, b.waiting)
	}
	b.status.SetText(strings.Join(parts, " · "))
}

// edit follows a change of the model: redraw and schedule the autosave.
func (b *BoxEditor) edit(changed bool) {
	if !changed {
		return
	}
	b.redraw()
	if b.autosave != nil {
		b.autosave.Stop()
	}
	b.autosave = time.AfterFunc(b.cfg.AutosaveAfter, func() { b.cfg.Post(b.save) })
}

func (b *BoxEditor) addZone() {
	if b.ed == nil {
		return
	}
	i := b.ed.Sel
	if i < 0 || b.ed.Zones[i].Box.HasCoords() {
		// The first zone without a box.
		i = slices.IndexFunc(b.ed.Zones, func(z boxedit.Zone) bool { return !z.Box.HasCoords() })
	}
	b.edit(b.ed.AddMissing(i))
}

func (b *BoxEditor) toggleSolo() {
	if b.ed == nil {
		return
	}
	b.ed.Solo = !b.ed.Solo
	b.redraw()
}

func (b *BoxEditor) resetView() {
	b.stage.FitImage()
	b.stage.SetWindow(127.5, 255)
	b.updateStatus("")
}

// save appends the unsaved edits to the store (Ctrl+S, the autosave, leaving the image), off
// the UI goroutine. Edits that met a box someone changed meanwhile are stored as conflicts and
// shown.
func (b *BoxEditor) save() { b.flush(nil) }

// flush saves the image's unsaved edits (and whatever the journal holds) and calls then (nil:
// nothing) on the UI goroutine with whether the store took them. A flush asked for while one
// is in flight runs after it.
func (b *BoxEditor) flush(then func(ok bool)) {
	if b.busy > 0 {
		b.again = true
		if then != nil {
			b.thens = append(b.thens, then)
		}
		return
	}
	var edits []review.BoxEdit
	ed, id := b.ed, b.cur
	if ed != nil {
		edits = ed.Edits()
	}
	if len(edits) == 0 && b.failed == 0 && (b.cfg.Journal == nil || !b.journalPending()) {
		if then != nil {
			then(true)
		}
		return
	}
	st, marked := b.marks[id]
	if st == review.Done {
		marked = false // an edit of a confirmed image puts it back in progress
	}
	var rows []review.BoxEdit
	var mark review.ImageMark
	b.call(fmt.Sprintf("saving %d change(s)", len(edits)), func(ctx context.Context) error {
		var err error
		if rows, err = b.store(ctx, edits); err != nil {
			return err
		}
		if !marked && ed != nil && slices.ContainsFunc(rows, func(r review.BoxEdit) bool { return r.Key.DicomID == id && r.Rev > 0 }) {
			// The first save on an image puts it in progress for everyone's list.
			mark, _ = b.cfg.Store.MarkImage(ctx, review.ImageMark{DicomID: id, Status: review.InProgress, Who: b.cfg.Who})
		}
		return nil
	}, func(err error) {
		ok := b.saved(ed, edits, rows, mark, err)
		if then != nil {
			then(ok)
		}
		if b.again && !b.closing {
			thens := b.thens
			b.again, b.thens = false, nil
			b.flush(func(ok bool) {
				for _, f := range thens {
					f(ok)
				}
			})
		}
	})
}

// saved takes a flush's result on the UI goroutine.
func (b *BoxEditor) saved(ed *boxedit.Editor, edits, rows []review.BoxEdit, mark review.ImageMark, err error) bool {
	if err != nil {
		b.failed = max(len(edits), 1)
		if b.cfg.Journal != nil && !errors.Is(err, errJournal) {
			b.message.SetText(fmt.Sprintf("not saved yet: %v; kept in %s, retrying", err, b.cfg.Journal.Path()))
		} else {
			b.message.SetText("not saved: " + err.Error() + "; retrying")
		}
		b.scheduleRetry()
		return false
	}
	b.failed = 0
	for _, r := range rows {
		if r.Rev > 0 {
			b.addRow(r)
		}
	}
	if mark.ID > 0 {
		b.marks[mark.DicomID] = mark.Status
	}
	if ed == nil {
		b.reload()
		return true
	}
	n := ed.Stored(rows)
	if ed != b.ed {
		return true // the image was left meanwhile: its rows are in the log
	}
	b.reload()
	msg := fmt.Sprintf("saved %d change(s)", len(rows))
	if n > 0 {
		msg = fmt.Sprintf("saved; %d box(es) had been changed by someone else meanwhile: conflict, adjudicate it", n)
		if i := slices.IndexFunc(b.ed.Zones, func(z boxedit.Zone) bool { return z.Conflict != nil }); i >= 0 {
			b.ed.Select(i)
			b.redraw()
		}
	}
	b.message.SetText(msg)
	return true
}

// scheduleRetry tries the unsaved edits again after RetryEvery.
func (b *BoxEditor) scheduleRetry() {
	if b.closing {
		return
	}
	if b.retry != nil {
		b.retry.Stop()
	}
	b.retry = time.AfterFunc(b.cfg.RetryEvery, func() {
		b.cfg.Post(func() {
			if !b.closing && b.failed > 0 {
				b.flush(nil)
			}
		})
	})
}

// Confirm confirms the image (Enter): the boxes still as the study gave them are confirmed,
// everything is saved and the image is marked confirmed.
func (b *BoxEditor) Confirm() {
	if b.ed == nil {
		return
	}
	id := b.cur
	if b.marks[id] == review.Done && !b.ed.HasChanges() {
		b.Next(1) // confirmed and nothing changed since: Enter goes on to the next image
		return
	}
	b.ed.ConfirmAll()
	b.flush(func(ok bool) {
		if !ok || b.ed == nil || b.cur != id || b.ed.HasChanges() {
			return
		}
		var m review.ImageMark
		b.call("confirming the image", func(ctx context.Context) error {
			var err error
			m, err = b.cfg.Store.MarkImage(ctx, review.ImageMark{DicomID: id, Status: review.Done, Who: b.cfg.Who})
			return err
		}, func(err error) {
			if err != nil {
				b.message.SetText("not confirmed: " + err.Error())
				return
			}
			b.marks[id] = m.Status
			b.imageList.Refresh()
			b.redraw()
			b.message.SetText(short(id) + " confirmed")
		})
	})
}

// Next opens the image delta places on in the list (Page Down +1, Page Up −1).
func (b *BoxEditor) Next(delta int) {
	i := slices.Index(b.images, b.cur)
	j := i + delta
	if i < 0 {
		j = 0
	}
	if j < 0 || j >= len(b.images) || b.images[j] == b.cur {
		return
	}
	if err := b.Open(b.images[j]); err != nil {
		b.message.SetText(err.Error())
	}
}

func (b *BoxEditor) focus() {
	if b.win != nil {
		b.win.Canvas().Focus(b.cv)
	}
}
