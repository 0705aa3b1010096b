package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sightline/assets"
	"sightline/reader/audio"
	"sightline/reader/demo"
	"sightline/reader/display"
	studyprep "sightline/reader/prepare"
	"sightline/reader/reading"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
	"sightline/ui"
)

// prefAudio is the preference key of the microphone chosen in Settings.
const prefAudio = "audio_device"

// ensureDemo writes the demo study into dir unless it is there already.
func ensureDemo(dir string, log io.Writer) error {
	if _, err := os.Stat(filepath.Join(dir, "master_sheet.csv")); err == nil {
		return nil
	}
	fmt.Fprintf(log, "sightline: writing the demo study into %s\n", dir)
	if _, err := demo.Write(dir); err != nil {
		return fmt.Errorf("write demo study into %s: %w", dir, err)
	}
	return nil
}

// prepared is a session ready to read: its study, blinded plan and open recorder.
type prepared struct {
	study     *study.Study
	before    reading.Before // earlier sittings of a resumed or continued session
	plan      []session.Screen
	rec       *session.Recorder
	dir       string
	clock     func() time.Duration
	gaze      *gazeSource
	audio     *audioRig // nil: gaze only
	seed      int64
	sessionID string
}

// prepare loads a study and opens a new session folder under STUDY/sessions/. Everything that
// can fail before the reader starts fails here: an unreadable worklist, an unwritable folder.
func prepare(o *Options, dir string) (*prepared, error) {
	st, err := study.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("open study: %w", err)
	}
	if len(st.Cases) == 0 {
		return nil, fmt.Errorf("open study %s: master_sheet.csv lists no cases", dir)
	}
	seed := o.Seed
	if !o.SeedSet {
		seed = time.Now().UnixNano()
	}
	origin := time.Now()
	mono := monotonic()
	clock := sessionClock(mono)
	ids := make([]string, len(st.Cases))
	for i, c := range st.Cases {
		ids[i] = c.DicomID
	}
	spec := o.TrackerSpec
	if spec == "" {
		spec = "opengaze://127.0.0.1:4242"
	}
	gaze, err := openGaze(spec, o.Rate, seed, st, clock, logger(o.Err))
	if err != nil {
		return nil, err
	}
	rig, audioDesc, err := openAudio(o, clock)
	if err != nil {
		gaze.close()
		return nil, err
	}
	closeAll := func() {
		gaze.close()
		if rig != nil {
			rig.Close()
		}
	}
	// Session ids are the start time and the reader; a second session started within the same
	// second gets a suffix rather than failing.
	base := origin.Format("20060102-150405") + "-" + o.Reader
	var (
		id, sdir string
		plan     []session.Screen
		rec      *session.Recorder
	)
	planned, err := preparedPlan(o, dir)
	if err != nil {
		closeAll()
		return nil, err
	}
	calibEvery := o.CalibEvery
	if planned != nil { // the plan's own seed and frequency made the order read: record those
		seed, calibEvery = planned.seed, planned.calibEvery
	}
	if planned == nil && !o.NewSession {
		// The station plans this session itself: the cases this reader has not read yet.
		if ids, err = unread(dir, o.Reader, ids); err != nil {
			closeAll()
			return nil, err
		}
	}
	for n := 1; ; n++ {
		id = base
		if n > 1 {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		plan = session.NewPlan(id, ids, seed, o.CalibEvery)
		if planned != nil {
			plan = planned.screens
		}
		sdir = study.SessionDir(dir, id)
		rec, err = session.Create(sdir, session.Meta{
			SessionID:      id,
			Reader:         o.Reader,
			Seed:           seed,
			CalibEvery:     calibEvery,
			StudyDir:       dir,
			Tracker:        gaze.spec,
			TrackerRate:    o.Rate,
			FixationFilter: filterNames(o),
			Plan:           plan,
			StartedWall:    origin,
			ClockOriginNS:  int64(mono),
			BootID:         bootID(),
			Audio:          audioDesc,
		})
		if errors.Is(err, session.ErrExists) && n < 100 {
			continue
		}
		if err != nil {
			closeAll()
			return nil, err // it names the step and the folder
		}
		break
	}
	return &prepared{study: st, plan: plan, rec: rec, dir: sdir, clock: clock, gaze: gaze, audio: rig,
		seed: seed, sessionID: id}, nil
}

// close stops the session's devices (and waits for the last MP3s).
func (p *prepared) close() {
	p.gaze.close()
	if p.audio != nil {
		p.audio.Close()
	}
}

// readingAudio is the run's audio, or nil for a gaze-only session.
func (p *prepared) readingAudio() reading.Audio {
	if p.audio == nil {
		return nil
	}
	return p.audio
}

// audioFaults are the microphone's faults for the run's journal; nil for a gaze-only session.
func (p *prepared) audioFaults() <-chan reading.AudioFault {
	if p.audio == nil {
		return nil
	}
	return p.audio.faults
}

// monitorSourceError: the default capture source is a monitor (a loopback of an output); the
// station asks before recording from it.
type monitorSourceError struct{ device string }

func (e *monitorSourceError) Error() string {
	return fmt.Sprintf("the default sound input %q records what the computer plays, not a microphone", e.device)
}

// errNoMicrophone: the default microphone could not be opened; the station offers gaze only.
var errNoMicrophone = errors.New("no microphone")

// openAudio opens the microphone; "none" (or a refused default device, after the operator
// chose gaze only) gives a gaze-only session, recorded as such.
func openAudio(o *Options, clock func() time.Duration) (*audioRig, string, error) {
	if o.Audio == "none" {
		why := o.noAudioWhy
		if why == "" {
			why = "--audio none"
		}
		return nil, "none: " + why, nil
	}
	rig, err := startAudio(o, clock)
	if err != nil {
		if errors.Is(err, audio.ErrNoDevice) {
			return nil, "", fmt.Errorf("%w: %w", errNoMicrophone, err)
		}
		return nil, "", fmt.Errorf("open the microphone: %w", err)
	}
	if o.Audio == "" && rig.cap.Monitor() && !o.monitorOK {
		// The default source records the speakers, not the reader: never without a word.
		dev, backend := rig.cap.Device(), rig.cap.Backend()
		rig.Close()
		if o.demo && onlyMonitors(backend) {
			// The demo on a machine with no microphone at all (a test machine's null sink):
			// there is nothing to choose, so the question would only stop it. Said on the
			// console; the session records gaze only and says why.
			fmt.Fprintf(o.Err, "sightline: the only sound input, %q, records what this computer plays, not a microphone: the demo records gaze only (--audio %q records from it)\n", dev, dev)
			return nil, fmt.Sprintf("none: the only sound input %q is a monitor, not a microphone", dev), nil
		}
		return nil, "", &monitorSourceError{device: dev}
	}
	return rig, rig.describe(), nil
}

// onlyMonitors reports whether every capture source of backend (the one the default source
// was opened on: ALSA's own names would hide PulseAudio's monitors) records an output: no
// microphone to choose instead of the default monitor. A listing that fails says no.
func onlyMonitors(backend string) bool {
	devs, err := audio.Devices(backend)
	if err != nil || len(devs) == 0 {
		return false
	}
	for _, d := range devs {
		if !d.Monitor {
			return false
		}
	}
	return true
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// preparedPlan returns the session to read from a prepared study's plan for the reader
// (STUDY/plans/<reader>.json): --session N, or the first session without a complete recording.
// A study without plans (the demo, a hand-made folder) has none: the station shuffles itself.
func preparedPlan(o *Options, dir string) (*planned, error) {
	if !fileExists(studyprep.PlanPath(dir, o.Reader)) {
		if fileExists(filepath.Join(dir, "plans")) {
			return nil, fmt.Errorf("study %s has no plan for reader %q: add one with `sightline prepare --out %s --reader %s`",
				dir, o.Reader, dir, o.Reader)
		}
		return nil, nil
	}
	pl, err := studyprep.LoadPlan(dir, o.Reader)
	if err != nil {
		return nil, err
	}
	n := o.Session
	if n == 0 {
		done := map[string]bool{}
		states, _ := study.SessionStates(dir)
		for _, st := range states {
			if st.Status == session.StatusComplete {
				done[planKey(st.Plan)] = true
			}
		}
		for k := range pl.Sessions {
			if !done[planKey(pl.Session(k+1))] {
				n = k + 1
				break
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("every session of reader %q's plan is complete", o.Reader)
		}
	}
	screens := pl.Session(n)
	if screens == nil {
		return nil, fmt.Errorf("reader %q's plan has %d sessions, not %d", o.Reader, len(pl.Sessions), n)
	}
	fmt.Fprintf(o.Err, "sightline: session %d of %d of reader %s's plan\n", n, len(pl.Sessions), o.Reader)
	return &planned{screens: screens, seed: pl.Sessions[n-1].Seed, calibEvery: pl.CalibEvery}, nil
}

// planned is a session of a reader's plan: its screens, and the seed and calibration frequency
// that made them.
type planned struct {
	screens    []session.Screen
	seed       int64
	calibEvery int
}

// planKey identifies a session by its screens (a plan session read to the end).
func planKey(sc []session.Screen) string {
	var b strings.Builder
	for _, s := range sc {
		b.WriteString(s.DicomID)
		b.WriteByte(',')
	}
	return b.String()
}

// errAllRead: the reader has read every case of a study the station plans itself.
var errAllRead = errors.New("every case of the study is read")

// unread is ids less the cases reader has read to their end in the study's earlier sessions, in
// order; none left is errAllRead.
func unread(studyDir, reader string, ids []string) ([]string, error) {
	read := map[string]bool{}
	states, _ := study.SessionStates(studyDir)
	for _, st := range states {
		if st.Reader != reader {
			continue
		}
		for _, i := range st.Done {
			if i >= 0 && i < len(st.Plan) && st.Plan[i].Kind == session.KindCase {
				read[st.Plan[i].DicomID] = true
			}
		}
	}
	var out []string
	for _, id := range ids {
		if !read[id] {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reader %s: %w (--new-session reads them again)", reader, errAllRead)
	}
	return out, nil
}

// resume reopens an interrupted session of the study for recording, at the screen it was cut
// off on; with cont, a session that was ended, where its reader stopped.
func resume(o *Options, dir string, st session.State, cont bool) (*prepared, error) {
	stdy, err := study.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("open study: %w", err)
	}
	sdir := study.SessionDir(dir, st.SessionID)
	// Same boot: the session's clock goes on. After a reboot CLOCK_MONOTONIC restarted, so the
	// clock restarts too; the journal's session_resumed event (with wall time) marks the seam.
	origin := time.Duration(st.ClockOriginNS)
	if st.BootID == "" || st.BootID != bootID() || origin <= 0 || origin > monotonic() {
		origin = monotonic()
	}
	clock := sessionClock(origin)
	spec := o.TrackerSpec
	if spec == "" {
		spec = "opengaze://127.0.0.1:4242"
	}
	gaze, err := openGaze(spec, o.Rate, st.Seed, stdy, clock, logger(o.Err))
	if err != nil {
		return nil, err
	}
	rig, _, err := openAudio(o, clock)
	if err != nil {
		gaze.close()
		return nil, err
	}
	before := earlier(sdir) // read before the recorder changes the folder
	reopen := session.Resume
	if cont {
		reopen = session.Continue
	}
	rec, err := reopen(sdir, clock())
	if err != nil {
		gaze.close()
		if rig != nil {
			rig.Close()
		}
		return nil, fmt.Errorf("resume session: %w", err)
	}
	// The interrupted case's audio: header sizes as the file holds, and its MP3.
	cut, _ := filepath.Glob(filepath.Join(sdir, session.CasesDir, "*.interrupted-*"))
	for _, d := range cut {
		if _, err := os.Stat(filepath.Join(d, audio.WAVFile)); err == nil {
			if _, err := audio.RecoverCase(d); err != nil {
				fmt.Fprintf(o.Err, "sightline: recover the audio of %s: %v\n", d, err)
			}
		}
	}
	return &prepared{study: stdy, plan: st.Plan, before: before, rec: rec, dir: sdir, clock: clock, gaze: gaze, audio: rig,
		seed: st.Seed, sessionID: st.SessionID}, nil
}

// loader gives the reading loop each case's image as display draws it.
func loader(st *study.Study) reading.Loader {
	return func(_ context.Context, sc session.Screen) (reading.Frame, error) {
		img, l, err := display.Load(st, sc.DicomID)
		if err != nil {
			return reading.Frame{}, err
		}
		return reading.Frame{Image: img, Layout: l}, nil
	}
}

// runSession starts reading a prepared session; the GUI tests stop at the prepared session
// (a run's fyne.Do calls run in line on Fyne's test driver, racing the test's goroutine).
var runSession = startRun

// background runs long work (preparing a study) off the UI goroutine; the tests run it in line.
var background = func(f func()) { go f() }

// runGUI opens the station window: the start screen, or straight into reading a study.
func runGUI(o *Options, studyDir string) error {
	a, w, err := openWindow("org.sightline.station", "Sightline")
	if err != nil {
		return err
	}
	// SIGINT and SIGTERM quit the window; the session on show is then ended as the End session
	// button does, its reason the signal.
	o.live = &live{}
	why, stopSignals := handleSignals(func() { ui.Quitting(); fyne.Do(a.Quit) })
	defer stopSignals()
	if err := openStation(a, w, o, studyDir); err != nil {
		return err
	}
	w.ShowAndRun()
	// The window is gone: ending the session must draw nothing (it would be off the main
	// goroutine, Fyne's loop having ended).
	ui.Quitting()
	o.live.end(why(), o.Err)
	return nil
}

// openStation fills the station's window: the start screen, or straight into reading a study
// (studyDir). Split from runGUI for the tests, which drive it in Fyne's test app.
func openStation(a fyne.App, w fyne.Window, o *Options, studyDir string) error {
	if !o.audioSet {
		// The microphone chosen in Settings, unless --audio says otherwise.
		o.Audio = a.Preferences().StringWithFallback(prefAudio, o.Audio)
	}
	icon := fyne.NewStaticResource("icon.png", assets.Icon)
	a.SetIcon(icon)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(stage.Width, stage.Height))
	if o.Fullscreen {
		w.SetFullScreen(true)
	}
	var showStart func()
	// startReading opens a session of dir for reader ("": --reader).
	startReading := func(dir, defaultTracker, reader string) error {
		oo := *o
		oo.demo = o.demo || dir == DefaultDemoDir()
		if reader != "" {
			oo.Reader = reader
		}
		if oo.TrackerSpec == "" {
			oo.TrackerSpec = defaultTracker
		}
		// begin opens the session with open (a new one, or a resumed one) and starts reading.
		var begin func(open func(*Options) (*prepared, error)) error
		begin = func(open func(*Options) (*prepared, error)) error {
			p, err := open(&oo)
			if errors.Is(err, errNoMicrophone) {
				// No microphone at start: say so and offer a gaze-only session. "No" goes back
				// to the start screen: the window must never be left empty.
				ui.ShowNoMicrophone(w, oo.Audio, micDetails(err, oo.AudioBackend), func(yes bool) {
					if !yes {
						showStart()
						return
					}
					oo.Audio, oo.noAudioWhy = "none", "no microphone at start: "+strings.TrimPrefix(err.Error(), errNoMicrophone.Error()+": ")
					if err := begin(open); err != nil {
						showStart()
						dialog.ShowError(err, w)
					}
				})
				return nil
			}
			var mon *monitorSourceError
			if errors.As(err, &mon) {
				ui.ShowMonitorSource(w, mon.device, func(yes bool) {
					if !yes {
						showStart()
						return
					}
					oo.monitorOK = true
					if err := begin(open); err != nil {
						showStart()
						dialog.ShowError(err, w)
					}
				})
				return nil
			}
			if errors.Is(err, errAllRead) {
				msg := fmt.Sprintf("Reader %s has read every case of this study.\n\nRead them all again in a new session?", oo.Reader)
				dialog.ShowConfirm("Every case read", msg, func(yes bool) {
					if !yes {
						showStart()
						return
					}
					oo.NewSession = true
					if err := begin(open); err != nil {
						showStart()
						dialog.ShowError(err, w)
					}
				}, w)
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(o.Err, "sightline: recording session %s (seed %d) in %s\n", p.sessionID, p.seed, p.dir)
			return runSession(w, &oo, p)
		}
		fresh := func(oo *Options) (*prepared, error) { return prepare(oo, dir) }
		cut, _ := study.Interrupted(dir)
		states, err := study.SessionStates(dir)
		if err != nil && !oo.NewSession && oo.Session == 0 {
			return err
		}
		// What to do is reader/session's decision; here it is shown and carried out.
		choice := session.DecideStart(cut, states, session.StartOptions{Reader: oo.Reader, Resume: o.Resume,
			NewSession: oo.NewSession, Session: oo.Session})
		st := choice.Session
		switch choice.Action {
		case session.StartNew:
			return begin(fresh)
		case session.StartContinue:
			fmt.Fprintf(o.Err, "sightline: continuing session %s of reader %s: %d of %d screens left (--new-session starts a new one)\n",
				st.SessionID, st.Reader, len(st.Remaining()), len(st.Plan))
			return begin(func(oo *Options) (*prepared, error) { return resume(oo, dir, st, true) })
		}
		again := func(oo *Options) (*prepared, error) { return resume(oo, dir, st, false) }
		if choice.Action == session.StartResume {
			return begin(again)
		}
		msg := fmt.Sprintf("Session %s (reader %s, started %s) was interrupted after %d of %d screens.\n"+
			"Resume it at the interrupted case? The partial case is kept and read again.",
			st.SessionID, st.Reader, st.StartedWall.Local().Format("2006-01-02 15:04"), len(st.Done), len(st.Plan))
		d := dialog.NewCustomConfirm("Interrupted session", "Resume", "Start a new session", widget.NewLabel(msg), func(yes bool) {
			open := fresh
			if yes {
				open = again
			}
			if err := begin(open); err != nil {
				showStart() // not an empty window behind the error
				dialog.ShowError(err, w)
			}
		}, w)
		ui.EnterConfirms(d, w.Canvas())
		d.Show()
		return nil
	}
	// readStudy reads a study folder; with ask, a prepared study first asks who reads it,
	// among the readers with a plan.
	readStudy := func(dir, defaultTracker string, ask bool) error {
		readers, err := studyprep.Readers(dir)
		if err != nil {
			return err
		}
		if !ask || len(readers) == 0 {
			return startReading(dir, defaultTracker, "")
		}
		ui.ChooseReader(w, dir, readers, o.Reader, func(reader string) {
			if reader == "" {
				showStart() // not an empty window
				return
			}
			if err := startReading(dir, defaultTracker, reader); err != nil {
				showStart()
				dialog.ShowError(err, w)
			}
		})
		return nil
	}
	showStart = func() {
		w.SetContent(ui.NewStart(ui.StartActions{
			// Runs on its own goroutine: the demo study may need writing first.
			OpenDemo: func(done func()) {
				defer done()
				dir := DefaultDemoDir()
				if err := ensureDemo(dir, o.Err); err != nil {
					fyne.Do(func() { dialog.ShowError(err, w) })
					return
				}
				fyne.Do(func() {
					if err := startReading(dir, "sim", ""); err != nil {
						dialog.ShowError(err, w)
					}
				})
			},
			OpenStudy: func(dir string) {
				if err := readStudy(dir, "", true); err != nil {
					dialog.ShowError(err, w)
				}
			},
			Review: func(dir string) { askReviewer(a, w, dir, showStart) },
			CorrectBoxes: func(dir string) {
				if err := openBoxEditor(w, dir, "", "", showStart); err != nil {
					dialog.ShowError(err, w)
				}
			},
			Settings: func() {
				var names, monitors []string
				devs, err := audio.Devices(o.AudioBackend)
				for _, d := range devs {
					names = append(names, d.Name)
					if d.Monitor {
						monitors = append(monitors, d.Name)
					}
				}
				ui.ShowSettings(w, names, err, a.Preferences().StringWithFallback(prefAudio, ""), func(dev string) {
					a.Preferences().SetString(prefAudio, dev)
					if !o.audioSet {
						o.Audio = dev
					}
				}, monitors...)
			},
			NewStudy: func() {
				first := ui.NewStudyRequest{Readers: []string{o.Reader}, Seed: o.Seed, SeedSet: o.SeedSet,
					SessionSize: studyprep.DefaultSessionSize, CalibEvery: o.CalibEvery}
				ui.ShowNewStudy(w, first, func(req ui.NewStudyRequest, p *ui.NewStudyProgress) {
					seed := req.Seed
					if !req.SeedSet {
						seed = time.Now().UnixNano() // recorded in prepare.json and every plan
					}
					background(func() {
						res, err := studyprep.Run(context.Background(), studyprep.Options{
							Worklist: req.Worklist, DicomRoot: req.DicomRoot, Out: req.Out, Seed: seed,
							Readers: req.Readers, Split: req.Split, Overlap: req.Overlap, SessionSize: req.SessionSize, CalibEvery: req.CalibEvery,
							Progress: func(done, total int) { fyne.Do(func() { p.Set(done, total) }) },
						})
						fyne.Do(func() {
							if err != nil {
								p.Failed(w, err, res.Unreadable)
								return
							}
							p.Done()
							ui.ShowStudyReady(w, req.Out, res, func() {
								if err := readStudy(req.Out, "", true); err != nil {
									dialog.ShowError(err, w)
								}
							})
						})
					})
				})
			},
		}, icon, w))
	}
	if studyDir != "" {
		// --reader given: that reader reads; otherwise ask, when the study has plans.
		return readStudy(studyDir, o.TrackerSpec, !o.readerSet)
	}
	showStart()
	return nil
}

// micDetails is what the no-microphone dialog shows behind its Details control: the error
// chain and the capture devices the backend lists.
func micDetails(err error, backend string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n\nCapture devices:\n", err)
	devs, lerr := audio.Devices(backend)
	if lerr != nil {
		fmt.Fprintf(&b, "  none listed: %v\n", lerr)
	}
	for _, d := range devs {
		def := ""
		if d.Default {
			def = " (default)"
		}
		fmt.Fprintf(&b, "  %s: %s%s\n", d.Backend, d.Name, def)
	}
	return b.String()
}

// startRun wires a prepared session to the reading view and starts it; o.live is told of it,
// for ending it when the window's loop returns.
func startRun(w fyne.Window, o *Options, p *prepared) error {
	v := ui.NewReading()
	v.SessionDir = p.dir
	v.Stage.OnPointer = p.gaze.pointer
	run, err := reading.Start(context.Background(), reading.Config{
		Plan:        p.plan,
		Before:      p.before,
		Load:        loader(p.study),
		Recorder:    p.rec,
		Tracker:     p.gaze,
		Check:       check(o, p.gaze),
		Filters:     filters(o),
		Gate:        gate(o, p.gaze),
		Audio:       p.readingAudio(),
		AudioGate:   audioGate,
		AudioFaults: p.audioFaults(),
		Clock:       p.clock,
		View:        ui.Bridge{V: v},
		Log:         logger(o.Err),
	})
	if err != nil {
		p.close()
		return err
	}
	v.SetControls(run)
	v.OnClose = w.Close
	w.SetContent(v.Content())
	var console fyne.Window
	if o.Operator == "window" {
		// The operator's window: on a second monitor in a real station. The reader's window
		// stays clean.
		con := ui.NewOperator(run)
		con.Tracker = p.gaze.Status
		if p.audio != nil {
			con.Audio = p.audio.status
		}
		console = fyne.CurrentApp().NewWindow("Sightline — operator")
		console.SetContent(con.Content())
		console.Resize(fyne.NewSize(1120, 440))
		console.Show()
		ctx, cancel := context.WithCancel(context.Background())
		go con.Run(ctx)
		go func() { <-run.Done(); cancel() }()
		w.RequestFocus() // the reader's keys go to the reader's window
	}
	w.Canvas().SetOnTypedKey(v.TypedKey)
	w.SetCloseIntercept(func() {
		// Closing the window mid-session ends it cleanly: the run closes its files first.
		run.Stop("window closed")
		go func() {
			<-run.Done()
			fyne.Do(w.Close)
		}()
		w.SetCloseIntercept(nil)
	})
	if console != nil {
		w.SetOnClosed(console.Close)
	}
	closed := make(chan struct{})
	if o.live != nil {
		o.live.set(run, closed)
	}
	go func() {
		<-run.Done()
		defer close(closed)
		p.close()
		s := run.Summary()
		fmt.Fprintf(o.Err, "sightline: session %s %s: %d of %d screens, %d samples, %d fixations, %d skipped\n",
			p.sessionID, s.Status, s.Shown, s.Screens, s.Samples, s.Fixations, len(s.Skipped))
	}()
	return nil
}
