package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"fyne.io/fyne/v2"

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
	return demo.Ensure(dir, func() { fmt.Fprintf(log, "sightline: writing the demo study into %s\n", dir) })
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
	audio     *audio.SessionMic // nil: gaze only
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
	origin, mono := time.Now(), monotonic()
	p := &prepared{study: st, clock: sessionClock(mono)}
	var audioDesc string
	if p.gaze, p.audio, audioDesc, err = openDevices(o, st, seed, p.clock); err != nil {
		return nil, err
	}
	meta := session.Meta{Reader: o.Reader, Seed: seed, CalibEvery: o.CalibEvery, StudyDir: dir,
		Tracker: p.gaze.spec, TrackerRate: o.Rate, FixationFilter: reading.FilterNames(reading.StationFilters(o.viewing())), StartedWall: origin,
		ClockOriginNS: int64(mono), BootID: bootID(), Audio: audioDesc}
	plan, err := newSessionPlan(o, dir, st, &meta)
	if err == nil {
		err = p.create(dir, meta, plan)
	}
	if err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// openDevices opens a session's tracker and microphone (none with --audio none).
func openDevices(o *Options, st *study.Study, seed int64, clock func() time.Duration) (*gazeSource, *audio.SessionMic, string, error) {
	spec := o.TrackerSpec
	if spec == "" {
		spec = "opengaze://127.0.0.1:4242"
	}
	gaze, err := openGaze(spec, o.Rate, seed, st, clock, logger(o.Err))
	if err != nil {
		return nil, nil, "", err
	}
	rig, desc, err := openAudio(o, clock)
	if err != nil {
		gaze.close()
		return nil, nil, "", err
	}
	return gaze, rig, desc, nil
}

// newSessionPlan is what a new session reads (prepare.NewSessionPlan); meta takes its seed
// and calibration frequency.
func newSessionPlan(o *Options, dir string, st *study.Study, meta *session.Meta) (func(id string) []session.Screen, error) {
	states, _ := study.SessionStates(dir) // a session that cannot be read has read nothing
	sp, err := studyprep.NewSessionPlan(dir, st, states, o.Reader, o.Session, o.NewSession, meta.Seed, o.CalibEvery)
	if err != nil {
		return nil, err
	}
	if next := sp.Planned; next != nil {
		fmt.Fprintf(o.Err, "sightline: session %d of %d of reader %s's plan\n", next.N, next.Of, o.Reader)
	}
	meta.Seed, meta.CalibEvery = sp.Seed, sp.CalibEvery
	return sp.Screens, nil
}

// create makes the session's folder and its recorder (study.CreateSession).
func (p *prepared) create(dir string, meta session.Meta, plan func(id string) []session.Screen) error {
	rec, sdir, meta, err := study.CreateSession(dir, meta, plan)
	if err != nil {
		return err
	}
	p.rec, p.dir, p.plan, p.seed, p.sessionID = rec, sdir, meta.Plan, meta.Seed, meta.SessionID
	return nil
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
	return p.audio.Faults()
}

// openAudio opens the microphone; "none" (or a refused default device, after the operator
// chose gaze only) gives a gaze-only session, recorded as such. No microphone at all is a
// *ui.NoMicrophoneError, a monitor as the default source a *ui.MonitorSourceError: the
// station asks about either.
func openAudio(o *Options, clock func() time.Duration) (*audio.SessionMic, string, error) {
	if o.Audio == "none" {
		why := o.noAudioWhy
		if why == "" {
			why = "--audio none"
		}
		return nil, "none: " + why, nil
	}
	rig, err := audio.StartSession(o.Audio, o.AudioBackend, clock)
	if err != nil {
		if errors.Is(err, audio.ErrNoDevice) {
			e := &ui.NoMicrophoneError{Device: o.Audio, Reason: err.Error()}
			e.Details = fmt.Sprintf("%v\n\nCapture devices:\n%s", e, audio.DeviceList(o.AudioBackend))
			return nil, "", e
		}
		return nil, "", fmt.Errorf("open the microphone: %w", err)
	}
	if o.Audio == "" && rig.Capture().Monitor() && !o.monitorOK {
		// The default source records the speakers, not the reader: never without a word.
		dev, backend := rig.Capture().Device(), rig.Capture().Backend()
		rig.Close()
		if o.demo && audio.OnlyMonitors(backend) {
			// The demo on a machine with no microphone at all (a test machine's null sink):
			// there is nothing to choose, so the question would only stop it. Said on the
			// console; the session records gaze only and says why.
			fmt.Fprintf(o.Err, "sightline: the only sound input, %q, records what this computer plays, not a microphone: the demo records gaze only (--audio %q records from it)\n", dev, dev)
			return nil, fmt.Sprintf("none: the only sound input %q is a monitor, not a microphone", dev), nil
		}
		return nil, "", &ui.MonitorSourceError{Device: dev}
	}
	return rig, rig.Describe(), nil
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
	gaze, rig, _, err := openDevices(o, stdy, st.Seed, clock)
	if err != nil {
		return nil, err
	}
	// What the earlier sittings read, before the recorder changes the folder; a folder that
	// cannot be opened read nothing.
	var before reading.Before
	if so, err := session.Open(sdir); err == nil {
		before = reading.BeforeOf(so)
	}
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
	audio.RecoverInterrupted(sdir, func(d string, err error) {
		fmt.Fprintf(o.Err, "sightline: recover the audio of %s: %v\n", d, err)
	})
	return &prepared{study: stdy, plan: st.Plan, before: before, rec: rec, dir: sdir, clock: clock, gaze: gaze, audio: rig,
		seed: st.Seed, sessionID: st.SessionID}, nil
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
	why, stopSignals := handleSignals(func() { ui.Quit(a) })
	defer stopSignals()
	if err := openStation(a, w, o, studyDir); err != nil {
		return err
	}
	w.ShowAndRun()
	// The window is gone: ending the session must draw nothing (it would be off the main
	// goroutine, Fyne's loop having ended).
	ui.Quitting()
	o.live.leaveBoxes()
	o.live.end(why(), o.Err)
	stationQuit() // the drafts and the enrollment beside the window (atQuit)
	return nil
}

// openStation fills the station's window: the start screen, or straight into reading a study
// (studyDir). Split from runGUI for the tests, which drive it in Fyne's test app. The screen
// flow is ui.Station's; here it is given the commands behind its screens.
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
	st := ui.NewStation(w, icon, stationCommands(a, w, o), ui.StationOptions{
		Reader: o.Reader, ReaderSet: o.readerSet, Resume: o.Resume, NewSession: o.NewSession, Session: o.Session,
		Seed: o.Seed, SeedSet: o.SeedSet, CalibEvery: o.CalibEvery, Log: o.Err,
	})
	if studyDir != "" {
		// --reader given: that reader reads; otherwise ask, when the study has plans.
		return st.ReadStudy(studyDir, o.TrackerSpec, !o.readerSet)
	}
	st.ShowStart()
	return nil
}

// stationCommands are the devices, stores and commands behind the station's screens.
func stationCommands(a fyne.App, w fyne.Window, o *Options) ui.StationCommands {
	return ui.StationCommands{
		Readers: studyprep.Readers,
		Sessions: func(dir string) ([]session.State, []session.State, error) {
			cut, _ := study.Interrupted(dir)
			states, err := study.SessionStates(dir)
			return cut, states, err
		},
		Read: func(req ui.ReadRequest) error { return readSession(w, o, req) },
		Demo: func() (string, error) {
			dir := demo.DefaultDir()
			return dir, ensureDemo(dir, o.Err)
		},
		Review: func(dir string, back func()) {
			ui.AskReviewer(w, a.Preferences(), defaultReviewer(), func(reviewer string) error {
				_, err := openReview(w, dir, reviewer, "", "", back)
				return err
			}, back)
		},
		CorrectBoxes: func(dir string, back func()) error {
			openBoxEditorAsync(w, o, dir, back) // errors in a dialog: it opens off the UI goroutine
			return nil
		},
		Microphones: func() (names, monitors []string, err error) {
			devs, err := audio.Devices(o.AudioBackend)
			for _, d := range devs {
				names = append(names, d.Name)
				if d.Monitor {
					monitors = append(monitors, d.Name)
				}
			}
			return names, monitors, err
		},
		Microphone: func() string { return a.Preferences().StringWithFallback(prefAudio, "") },
		SetMicrophone: func(dev string) {
			a.Preferences().SetString(prefAudio, dev)
			if !o.audioSet {
				o.Audio = dev
			}
		},
		PrepareStudy: prepareStudy,
		Background:   background,
		Enroll: func(dir, reader string, back func()) (ui.EnrollCommands, error) {
			return enrollInStation(o, dir, reader, back) // reader/enroll
		},
	}
}

// prepareStudy prepares the study the New study form asks for.
func prepareStudy(req ui.NewStudyRequest, progress func(done, total int)) (studyprep.Result, error) {
	seed := req.Seed
	if !req.SeedSet {
		seed = time.Now().UnixNano() // recorded in prepare.json and every plan
	}
	return studyprep.Run(context.Background(), studyprep.Options{
		Worklist: req.Worklist, DicomRoot: req.DicomRoot, Out: req.Out, Seed: seed,
		Readers: req.Readers, Split: req.Split, Overlap: req.Overlap, SessionSize: req.SessionSize, CalibEvery: req.CalibEvery,
		Progress: progress,
	})
}

// readSession opens the session the station asks for (new, continued or resumed) and starts
// reading it. The microphone's refusals (openAudio) go back to the station, which asks.
func readSession(w fyne.Window, o *Options, req ui.ReadRequest) error {
	oo := *o
	oo.demo = o.demo || req.Dir == demo.DefaultDir()
	oo.Reader = req.Reader
	if oo.TrackerSpec == "" {
		oo.TrackerSpec = req.Tracker
	}
	oo.NewSession = o.NewSession || req.NewSession
	oo.monitorOK = o.monitorOK || req.MonitorOK
	if req.GazeOnly != "" {
		oo.Audio, oo.noAudioWhy = "none", req.GazeOnly
	}
	var (
		p   *prepared
		err error
	)
	switch req.Start.Action {
	case session.StartContinue:
		p, err = resume(&oo, req.Dir, req.Start.Session, true)
	case session.StartResume:
		p, err = resume(&oo, req.Dir, req.Start.Session, false)
	default:
		p, err = prepare(&oo, req.Dir)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Err, "sightline: recording session %s (seed %d) in %s\n", p.sessionID, p.seed, p.dir)
	return runSession(w, &oo, p)
}

// startRun wires a prepared session to the reading view and starts it; o.live is told of it,
// for ending it when the window's loop returns.
func startRun(w fyne.Window, o *Options, p *prepared) error {
	v := ui.NewReading()
	v.SessionDir = p.dir
	v.Stage.OnPointer = p.gaze.pointer
	drafts := startDrafts(o, p) // each case's draft, in the background (ownpass.Session)
	run, err := reading.Start(context.Background(), reading.Config{
		Plan:        p.plan,
		Before:      p.before,
		Load:        display.Loader(p.study),
		Recorder:    p.rec,
		Tracker:     p.gaze,
		Check:       reading.StationCheck(p.gaze.calibrator, o.RecalEvery, o.viewing(), o.Rate),
		Filters:     reading.StationFilters(o.viewing()),
		Gate:        reading.StationGate(p.gaze.Rate, o.Rate),
		Audio:       drafts.Audio(p.readingAudio()),
		AudioGate:   reading.AudioGate,
		AudioFaults: p.audioFaults(),
		Clock:       p.clock,
		View:        ui.Bridge{V: v},
		Log:         logger(o.Err),
	})
	if err != nil {
		p.close()
		return err
	}
	v.OnClose = w.Close
	offerOwnPass(w, o, v, drafts, p)
	windows := ui.SessionWindows{Operator: o.Operator == "window", Tracker: p.gaze.Status}
	if p.audio != nil {
		windows.Audio = p.audio.Status
	}
	ui.ShowSession(w, v, run, windows)
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
