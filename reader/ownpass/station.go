package ownpass

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"sightline/reader/audio"
	"sightline/reader/reading"
	"sightline/reader/session"
	"sightline/reader/transcribe"
)

// Session is the own pass of the session being read: each case's draft made in the background
// while it runs (a Drafter behind the microphone, Audio), and at its end what the pass needs
// (Pass) or, when the reader leaves without it, the record that says so (Decline).
type Session struct {
	d         *Drafter
	studyDir  string
	reader    string
	sessionID string
	dir       string // the session folder
}

// SessionOptions say whose session, where.
type SessionOptions struct {
	StudyDir, Reader, SessionID string
	Dir                         string // the session folder
	Log                         io.Writer
}

// NewSession starts the drafter of a session that records dictation. Its engine is the one
// `sightline transcribe` would use for the reader (Engine).
func NewSession(opt SessionOptions) *Session {
	s := &Session{studyDir: opt.StudyDir, reader: opt.Reader, sessionID: opt.SessionID, dir: opt.Dir}
	s.d = NewDrafter(DrafterOptions{Open: s.Engine, Log: opt.Log})
	return s
}

// Close stops the drafter (Drafter.Close).
func (s *Session) Close(wait time.Duration) { s.d.Close(wait) }

// Engine opens the recogniser `sightline transcribe` uses for the reader: their adapted model
// when they are enrolled, else the base one (transcribe.ForReader).
func (s *Session) Engine() (transcribe.Engine, error) {
	return transcribe.New(transcribe.ForReader(transcribe.Config{}, s.studyDir, s.reader))
}

// Audio is the session's microphone with the drafter behind it: each case, once its audio.wav
// is closed, is queued for its draft. A nil Session, or audio that is not the station's
// microphone, is a plain pass-through.
func (s *Session) Audio(a reading.Audio) reading.Audio {
	if s == nil || a == nil {
		return a
	}
	rig, ok := a.(*audio.SessionMic)
	if !ok {
		return a
	}
	return &draftingAudio{SessionMic: rig, d: s.d}
}

// draftingAudio is the rig, whose End queues the case just closed. It keeps the rig's Aside
// and Back (reading.AsideAudio) by embedding it.
type draftingAudio struct {
	*audio.SessionMic
	d   *Drafter
	dir string
}

// Begin is part of reading.Audio.
func (a *draftingAudio) Begin(dir string, host time.Duration) error {
	a.dir = ""
	if err := a.SessionMic.Begin(dir, host); err != nil {
		return err
	}
	a.dir = dir
	return nil
}

// End is part of reading.Audio: the case's audio.wav is closed when it returns.
func (a *draftingAudio) End(host time.Duration) (reading.AudioCheck, error) {
	c, err := a.SessionMic.End(host)
	if a.dir != "" && c.Seconds > 0 {
		a.d.Add(a.dir)
	}
	a.dir = ""
	return c, err
}

// Draft is where a case's draft stands: the drafter's word for a case it had; a case it never
// had (read in an earlier sitting of the session) is looked up on disk and queued when it has
// no transcript yet.
func (s *Session) Draft(c Case) Draft {
	if d, ok := s.d.Get(c.Dir); ok {
		return d
	}
	if _, err := os.Stat(filepath.Join(c.Dir, transcribe.TranscriptFile)); err == nil {
		return Draft{Dir: c.Dir, State: Done, Result: transcribe.Result{Status: transcribe.StatusWritten}}
	}
	s.d.Add(c.Dir)
	d, _ := s.d.Get(c.Dir)
	return d
}

// Subscribe is the drafter's (Drafter.Subscribe).
func (s *Session) Subscribe(f func(Draft)) (cancel func()) { return s.d.Subscribe(f) }

// Cases are the session's cases with a dictation.
func (s *Session) Cases() ([]Case, error) {
	op, err := session.Open(s.dir)
	if err != nil {
		return nil, err
	}
	return Cases(op), nil
}

// Decline records, when the reader closes the session without the pass, every case as not
// reviewed: only when the session has dictations and no own_pass.json yet.
func (s *Session) Decline() error {
	cases, err := s.Cases()
	if err != nil || len(cases) == 0 {
		return nil
	}
	if _, err := Read(s.dir); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return NewRecord(s.reader, cases, WhyDeclined, time.Now()).Write(s.dir)
}

// Pass is a pass under way: its cases, what an earlier pass over the session recorded (a
// session continued after its pass), and own_pass.json, written after each case (Set).
type Pass struct {
	Cases   []Case
	Earlier []CaseRecord

	s  *Session
	mu sync.Mutex
	r  *Record
}

// Pass gathers the session's cases and the record a pass starts from: an earlier pass's,
// taken up again (what was done stays; a case read since is added as not reviewed), else a
// new one.
func (s *Session) Pass() (*Pass, error) {
	cases, err := s.Cases()
	if err != nil {
		return nil, fmt.Errorf("open your dictations: %w", err)
	}
	if len(cases) == 0 {
		return nil, errors.New("this session recorded no dictation")
	}
	p := &Pass{Cases: cases, s: s, r: NewRecord(s.reader, cases, WhyEnded, time.Now())}
	if old, err := Read(s.dir); err == nil && old.Reader == s.reader {
		p.r, p.Earlier = old, old.Cases
		for _, c := range cases {
			if _, ok := old.Get(c.Name); !ok {
				p.r.Set(CaseRecord{Case: c.Name, Status: NotReviewed, Why: WhyEnded}, time.Now())
			}
		}
	}
	return p, nil
}

// Set records a case's outcome and writes own_pass.json.
func (p *Pass) Set(c CaseRecord) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.r.Set(c, time.Now())
	return p.r.Write(p.s.dir)
}

// Save stores the reader's transcript of c in st as theirs, re-timed with their own model
// (without re-timing when it cannot be opened: Saved.Align says why).
func (p *Pass) Save(ctx context.Context, st transcribe.TranscriptEditStore, c Case, ed *transcribe.Edit) (transcribe.Saved, error) {
	eng, err := p.s.Engine()
	if err != nil {
		eng = nil
	} else {
		defer transcribe.Close(eng)
	}
	return ed.Save(ctx, eng, st, p.s.sessionID, c.Name, p.s.reader, time.Now())
}
