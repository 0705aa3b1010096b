package ui

import (
	"errors"
	"fmt"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	studyprep "sightline/reader/prepare"
	"sightline/reader/session"
)

// Station is the station window's screen flow: the start screen, who reads a prepared study,
// resume or start anew, no microphone, a monitor as the microphone, every case read, and then
// the reading view. It shows the screens and asks through dialogs; what a screen does (open a
// session, write the demo, prepare a study) is a command app gives it, and what to do on
// start is reader/session's decision (session.DecideStart). Whatever a dialog's "no" or an
// error leaves, the window is never empty: the start screen comes back.
type Station struct {
	w    fyne.Window
	icon fyne.Resource
	cmd  StationCommands
	opt  StationOptions
}

// StationOptions are the command line's say in the flow.
type StationOptions struct {
	Reader    string // --reader, and the first reader of the New study form
	ReaderSet bool   // --reader was given: a prepared study does not ask who reads
	// Resume is --resume: "yes" (resume an interrupted session unasked), "no" or "" (ask).
	Resume     string
	NewSession bool // --new-session
	Session    int  // --session: a session of the reader's plan
	// The New study form's first values.
	Seed       int64
	SeedSet    bool
	CalibEvery int
	Log        io.Writer // the console: the station says there which session it continues
}

// ReadRequest is a session for the station to open: the study, who reads it, how it starts,
// and what the dialogs settled on the way.
type ReadRequest struct {
	Dir     string
	Tracker string // the tracker when the command line names none ("sim" for the demo)
	Reader  string
	Start   session.Start // new, continue or resume, and the session concerned
	// NewSession reads every case again (the reader said so when all were read).
	NewSession bool
	// GazeOnly, when set, records gaze only, for this reason (no microphone at start).
	GazeOnly string
	// MonitorOK records from a default sound input that is a monitor: the operator agreed.
	MonitorOK bool
}

// NoMicrophoneError is Read's answer when the microphone cannot be opened: the station offers
// a gaze-only session.
type NoMicrophoneError struct {
	Device  string // the microphone asked for ("": the default)
	Details string // the error chain and the capture devices, behind the dialog's Details
	Reason  string // why, for the session record of a gaze-only session
}

func (e *NoMicrophoneError) Error() string { return "no microphone: " + e.Reason }

// MonitorSourceError is Read's answer when the default sound input records what the computer
// plays: the station asks before recording from it.
type MonitorSourceError struct{ Device string }

func (e *MonitorSourceError) Error() string {
	return fmt.Sprintf("the default sound input %q records what the computer plays, not a microphone", e.Device)
}

// StationCommands are what the flow's screens do: app's devices, stores and commands. They are
// called on the UI goroutine unless they say otherwise.
type StationCommands struct {
	// Readers lists the readers with a plan in a study folder (none: the station plans).
	Readers func(dir string) ([]string, error)
	// Sessions are a study's interrupted sessions (oldest first) and every session's state.
	Sessions func(dir string) (interrupted, states []session.State, err error)
	// Read opens the session req asks for and shows the reading view. The station answers
	// *NoMicrophoneError, *MonitorSourceError and session.ErrAllRead with a question.
	Read func(req ReadRequest) error
	// Demo writes the demo study unless it is there, and gives its folder. It runs off the
	// UI goroutine (the first time takes seconds).
	Demo func() (string, error)
	// Review asks who reviews and opens the QA review of a study; back shows the start screen.
	Review func(dir string, back func())
	// CorrectBoxes opens the box editor on a study; back shows the start screen.
	CorrectBoxes func(dir string, back func()) error
	// Microphones lists the capture devices, and those that record an output.
	Microphones func() (names, monitors []string, err error)
	// Microphone is the one chosen in Settings ("": the default); SetMicrophone saves a choice.
	Microphone    func() string
	SetMicrophone func(device string)
	// PrepareStudy prepares a study from the New study form, telling its progress (from its
	// own goroutine). It runs off the UI goroutine, through Background.
	PrepareStudy func(req NewStudyRequest, progress func(done, total int)) (studyprep.Result, error)
	// Background runs long work off the UI goroutine.
	Background func(f func())
	// Enroll opens the microphone for recording reader's enrollment in study dir (ui/enroll.go);
	// back shows the start screen. nil: no enrollment in the station.
	Enroll func(dir, reader string, back func()) (EnrollCommands, error)
}

// NewStation makes the flow of the station's window w.
func NewStation(w fyne.Window, icon fyne.Resource, cmd StationCommands, opt StationOptions) *Station {
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	return &Station{w: w, icon: icon, cmd: cmd, opt: opt}
}

// ShowStart shows the start screen.
func (s *Station) ShowStart() {
	s.w.SetContent(NewStart(StartActions{
		OpenDemo: s.openDemo,
		OpenStudy: func(dir string) {
			if err := s.ReadStudy(dir, "", true); err != nil {
				dialog.ShowError(err, s.w)
			}
		},
		Review: func(dir string) { s.cmd.Review(dir, s.ShowStart) },
		CorrectBoxes: func(dir string) {
			if err := s.cmd.CorrectBoxes(dir, s.ShowStart); err != nil {
				dialog.ShowError(err, s.w)
			}
		},
		Settings: func() {
			names, monitors, err := s.cmd.Microphones()
			ShowSettings(s.w, names, err, s.cmd.Microphone(), s.cmd.SetMicrophone, monitors...)
		},
		NewStudy: s.newStudy,
		Enroll:   s.enrollAction(),
	}, s.icon, s.w))
}

// openDemo reads the demo study, writing it first when needed. It runs on its own goroutine.
func (s *Station) openDemo(done func()) {
	defer done()
	dir, err := s.cmd.Demo()
	if err != nil {
		Do(func() { dialog.ShowError(err, s.w) })
		return
	}
	Do(func() {
		if err := s.startReading(dir, "sim", ""); err != nil {
			dialog.ShowError(err, s.w)
		}
	})
}

// ReadStudy reads a study folder with tracker unless the command line names one; with ask, a
// prepared study first asks who reads it, among the readers with a plan.
func (s *Station) ReadStudy(dir, tracker string, ask bool) error {
	readers, err := s.cmd.Readers(dir)
	if err != nil {
		return err
	}
	if !ask || len(readers) == 0 {
		return s.startReading(dir, tracker, "")
	}
	ChooseReader(s.w, dir, readers, s.opt.Reader, func(reader string) {
		if reader == "" {
			s.ShowStart() // not an empty window
			return
		}
		s.readOrStart(func() error { return s.startReading(dir, tracker, reader) })
	})
	return nil
}

// startReading opens a session of dir for reader ("": --reader): resumed, continued or new as
// reader/session decides, asking about an interrupted session.
func (s *Station) startReading(dir, tracker, reader string) error {
	if reader == "" {
		reader = s.opt.Reader
	}
	interrupted, states, err := s.cmd.Sessions(dir)
	if err != nil && !s.opt.NewSession && s.opt.Session == 0 {
		return err
	}
	choice := session.DecideStart(interrupted, states, session.StartOptions{Reader: reader, Resume: s.opt.Resume,
		NewSession: s.opt.NewSession, Session: s.opt.Session})
	req := ReadRequest{Dir: dir, Tracker: tracker, Reader: reader, Start: choice}
	st := choice.Session
	if choice.Action == session.StartContinue {
		fmt.Fprintf(s.opt.Log, "sightline: continuing session %s of reader %s: %d of %d screens left (--new-session starts a new one)\n",
			st.SessionID, st.Reader, len(st.Remaining()), len(st.Plan))
	}
	if choice.Action != session.AskResume {
		return s.read(req)
	}
	msg := fmt.Sprintf("Session %s (reader %s, started %s) was interrupted after %d of %d screens.\n"+
		"Resume it at the interrupted case? The partial case is kept and read again.",
		st.SessionID, st.Reader, st.StartedWall.Local().Format("2006-01-02 15:04"), len(st.Done), len(st.Plan))
	d := dialog.NewCustomConfirm("Interrupted session", "Resume", "Start a new session", widget.NewLabel(msg), func(yes bool) {
		req.Start = session.Start{Action: session.StartNew}
		if yes {
			req.Start = session.Start{Action: session.StartResume, Session: st}
		}
		s.readOrStart(func() error { return s.read(req) })
	}, s.w)
	EnterConfirms(d, s.w.Canvas())
	d.Show()
	return nil
}

// read opens the session of req; a missing microphone, a monitor as the microphone and every
// case read are asked about, and a yes reads again with the answer.
func (s *Station) read(req ReadRequest) error {
	err := s.cmd.Read(req)
	var (
		mic *NoMicrophoneError
		mon *MonitorSourceError
	)
	switch {
	case errors.As(err, &mic):
		ShowNoMicrophone(s.w, mic.Device, mic.Details, s.again(req, func(r *ReadRequest) {
			r.GazeOnly = "no microphone at start: " + mic.Reason
		}))
	case errors.As(err, &mon):
		ShowMonitorSource(s.w, mon.Device, s.again(req, func(r *ReadRequest) { r.MonitorOK = true }))
	case errors.Is(err, session.ErrAllRead):
		msg := fmt.Sprintf("Reader %s has read every case of this study.\n\nRead them all again in a new session?", req.Reader)
		d := dialog.NewConfirm("Every case read", msg, s.again(req, func(r *ReadRequest) { r.NewSession = true }), s.w)
		EnterConfirms(d, s.w.Canvas())
		d.Show()
	default:
		return err
	}
	return nil
}

// again answers a question about req: no goes back to the start screen (the window must
// never be left empty), yes reads req again as change makes it.
func (s *Station) again(req ReadRequest, change func(*ReadRequest)) func(yes bool) {
	return func(yes bool) {
		if !yes {
			s.ShowStart()
			return
		}
		change(&req)
		s.readOrStart(func() error { return s.read(req) })
	}
}

// readOrStart runs a step begun from a dialog; when it fails, the start screen comes back
// behind the error.
func (s *Station) readOrStart(step func() error) {
	if err := step(); err != nil {
		s.ShowStart()
		dialog.ShowError(err, s.w)
	}
}

// newStudy is "New study…": the form, then the study prepared off the UI goroutine with its
// progress, then an offer to read it.
func (s *Station) newStudy() {
	first := NewStudyRequest{Readers: []string{s.opt.Reader}, Seed: s.opt.Seed, SeedSet: s.opt.SeedSet,
		SessionSize: studyprep.DefaultSessionSize, CalibEvery: s.opt.CalibEvery}
	ShowNewStudy(s.w, first, func(req NewStudyRequest, p *NewStudyProgress) {
		s.cmd.Background(func() {
			res, err := s.cmd.PrepareStudy(req, func(done, total int) { Do(func() { p.Set(done, total) }) })
			Do(func() {
				if err != nil {
					p.Failed(s.w, err, res.Unreadable)
					return
				}
				p.Done()
				ShowStudyReady(s.w, req.Out, res, func() {
					if err := s.ReadStudy(req.Out, "", true); err != nil {
						dialog.ShowError(err, s.w)
					}
				})
			})
		})
	})
}
