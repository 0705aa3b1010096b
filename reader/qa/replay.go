// Package qa is the QA reviewer's model of a recorded case, without a window: the case's
// timeline on the session clock (gaze, fixations, events, the dictation's waveform and
// transcript), what is visible at any instant of it, a play head, and the per-case measurements
// and pre-filled checklist that the review view, the QA report and the review videos share.
//
// Every time here is a time.Duration of the session clock (host nanoseconds since the session's
// clock origin, docs/FORMATS.md §7), the clock events.jsonl and audio.json are stamped with.
// eye_gaze.csv carries device seconds from the case's onset instead (layout.json's
// onset_host_ns): a row at Time t is placed at onset + t. Sessions recorded before onsets were
// written count Time from the case's first sample, which arrived just after the space press
// that ended the screen before: their rows are placed from that screen's screen_ended (the
// press), or, for a screen that followed none, from its screen_shown (Replay.OnsetFrom says
// which).
package qa

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"sightline/reader/egd"
	"sightline/reader/session"
	"sightline/tracker"
)

// TrailLen is how many of the latest gaze samples a Frame's trail holds (one second at 60 Hz).
const TrailLen = 60

// Options choose what Load reads.
type Options struct {
	// Filter names the fixation rows: "device" (fixations.csv, the default) or one of the
	// case's own filters (session.Case.FilterNames).
	Filter string
	// NoAudio skips audio.wav's waveform (the report's thumbnails do not need it).
	NoAudio bool
}

// Replay is one case's timeline on the session clock. Its slices are sorted by time and never
// change after Load, so that a Frame can share them.
type Replay struct {
	Session *session.Opened
	Case    *session.Case
	// Start is when the screen was shown; End when it ended, or, for a screen cut off, the
	// last thing recorded of it. Ended is false for a screen without its screen_ended event.
	Start, End time.Duration
	Ended      bool
	// OnsetFrom says where Start, the zero of the rows' Time, came from: OnsetLayout, or for
	// an older session OnsetPress or OnsetShown.
	OnsetFrom string
	Gaze      []Gaze
	Fixations []Fixation
	Marks     []Mark
	// Phrases are the transcript's timed phrases on the session clock, by Begin.
	Phrases []Phrase
	// Pauses are the stretches the case was set aside (the pause card, a recalibration):
	// its gaze and audio of then are in paused-K, not here.
	Pauses []Pause
	// Wave is audio.wav's envelope; nil without audio (or with Options.NoAudio).
	Wave *Envelope
	// Audio is the case's audio.json when it places the audio on the session clock.
	Audio *session.AudioMeta
	// Problems are those found while reading the rows, the audio and the transcript (the
	// case's own, from Open, are in Case.Problems).
	Problems []session.Problem
}

// Gaze is one gaze sample: the best point of gaze in stage fractions.
type Gaze struct {
	T     time.Duration
	X, Y  float64
	Valid bool
}

// Fixation is one fixation: N numbers it from 1 in the case, X and Y are stage fractions.
type Fixation struct {
	N          int
	Start, End time.Duration
	X, Y       float64
}

// Duration is the fixation's length.
func (f Fixation) Duration() time.Duration { return f.End - f.Start }

// Pause is a stretch the case was set aside, from the journal's case_set_aside to its
// case_taken_back (to the case's end when it never came back).
type Pause struct {
	From, To time.Duration
}

// PauseAt is the index of the pause t falls in, or −1.
func (r *Replay) PauseAt(t time.Duration) int {
	for i, p := range r.Pauses {
		if t >= p.From && t < p.To {
			return i
		}
	}
	return -1
}

// Phrase is one timed phrase of the transcript on the session clock.
type Phrase struct {
	Text       string
	Begin, End time.Duration
}

// Load reads case c of session o into a replay: its rows, its events, its audio's envelope
// and its transcript. A broken row, a truncated WAV or a bad transcript is a problem of the
// replay, and what is left still replays; the error is for a case that has nothing to replay
// (its rows cannot be read at all).
func Load(o *session.Opened, c *session.Case, opt Options) (*Replay, error) {
	r := &Replay{Session: o, Case: c}
	var evs []session.Event
	r.Start, r.End, r.Ended, evs = Span(o, c)
	r.Start, r.OnsetFrom = Onset(o, c, r.Start)
	r.End = max(r.End, r.Start)
	if err := r.readGaze(); err != nil {
		return nil, err
	}
	r.readFixations(opt.Filter)
	r.marksFromEvents(evs)
	r.pausesFromEvents(evs)
	r.marksFromGaze()
	if c.Audio != nil && c.Audio.Meta != nil {
		if _, ok := c.Audio.Meta.HostAt(0); ok {
			m := *c.Audio.Meta
			r.Audio = &m
		}
	}
	if !opt.NoAudio && c.Audio != nil && c.Audio.WAV != "" {
		env, err := ReadEnvelope(c.Audio.WAV)
		if err != nil {
			r.problem(session.ProblemAudio, session.AudioFile, "%v", err)
		} else {
			r.Wave = env
		}
	}
	r.readTranscript()
	// A screen cut off has no end but what was recorded of it.
	last := r.Start
	if n := len(r.Gaze); n > 0 {
		last = max(last, r.Gaze[n-1].T)
	}
	if n := len(r.Fixations); n > 0 {
		last = max(last, r.Fixations[n-1].End)
	}
	if r.Wave != nil && r.Audio != nil {
		if t, ok := r.Audio.HostAt(r.Wave.Frames); ok {
			last = max(last, t)
		}
	}
	if !r.Ended || r.End < r.Start {
		r.End = max(r.End, last)
	}
	slices.SortStableFunc(r.Marks, func(a, b Mark) int { return cmpDur(a.T, b.T) })
	return r, nil
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (r *Replay) problem(k session.ProblemKind, file, format string, a ...any) {
	rel := session.CasesDir + "/" + r.Case.Name
	if file != "" {
		rel += "/" + file
	}
	r.Problems = append(r.Problems, session.Problem{Kind: k, File: rel, Message: fmt.Sprintf(format, a...)})
}

// Span finds case c's screen in the journal: when it was shown and ended (ended false when it
// never did, cut off by a crash or still on screen) and the events journalled while it was on.
// An interrupted copy K is the K-th showing of its screen; the case as read is the last one.
func Span(o *session.Opened, c *session.Case) (start, end time.Duration, ended bool, evs []session.Event) {
	var shows []int
	for i, e := range o.Events {
		if e.Kind == session.EventScreenShown && e.Screen == c.Screen.Index && e.DicomID == c.Screen.DicomID {
			shows = append(shows, i)
		}
	}
	if len(shows) == 0 {
		return 0, 0, false, nil
	}
	at := shows[len(shows)-1]
	if c.Copy > 0 && c.Copy <= len(shows) {
		at = shows[c.Copy-1]
	}
	start = time.Duration(o.Events[at].HostNS)
	end = start
	for _, e := range o.Events[at+1:] {
		if e.Kind == session.EventScreenShown || e.Kind == session.EventResumed || e.Screen != c.Screen.Index {
			break
		}
		if e.Kind == session.EventScreenEnded {
			return start, time.Duration(e.HostNS), true, evs
		}
		end = max(end, time.Duration(e.HostNS))
		evs = append(evs, e)
	}
	return start, end, false, evs
}

// Where a replay's onset came from (Replay.OnsetFrom).
const (
	OnsetLayout = "layout.json onset_host_ns"
	OnsetPress  = "the press that ended the screen before (recorded before onsets were written)"
	OnsetShown  = "screen_shown (recorded before onsets were written: gaze up to ~100 ms late)"
)

// Onset is case c's onset on the session clock, the zero of its rows' Time, and where it came
// from: layout.json's onset_host_ns; for an older session the press that ended the screen
// before (the journal's screen_ended just before the case's screen_shown), else shown, its
// screen_shown time.
func Onset(o *session.Opened, c *session.Case, shown time.Duration) (time.Duration, string) {
	if c.HasLayout {
		if t, ok := c.Layout.Onset(); ok {
			return t, OnsetLayout
		}
	}
	for i, e := range o.Events {
		if e.Kind != session.EventScreenShown || e.Screen != c.Screen.Index || e.DicomID != c.Screen.DicomID || time.Duration(e.HostNS) != shown {
			continue
		}
		if i > 0 {
			if p := o.Events[i-1]; p.Kind == session.EventScreenEnded && time.Duration(p.HostNS) <= shown && shown-time.Duration(p.HostNS) < time.Second {
				return time.Duration(p.HostNS), OnsetPress
			}
		}
		break
	}
	return shown, OnsetShown
}

func (r *Replay) pausesFromEvents(evs []session.Event) {
	for _, e := range evs {
		switch t := time.Duration(e.HostNS); e.Kind {
		case "case_set_aside":
			r.Pauses = append(r.Pauses, Pause{From: t, To: -1})
		case "case_taken_back":
			if n := len(r.Pauses); n > 0 && r.Pauses[n-1].To < 0 {
				r.Pauses[n-1].To = t
			}
		}
	}
	for i := range r.Pauses {
		if r.Pauses[i].To < 0 {
			r.Pauses[i].To = r.End
		}
	}
}

// readGaze reads eye_gaze.csv; a broken row is a problem and the others read.
func (r *Replay) readGaze() error {
	var blinks blinkRun
	probs, err := r.Case.ReadRows(session.GazeFile, func(_ int, g egd.GazeRecord) error {
		s := &g.Sample
		blinks.add(r, s.BKID, s.Absent, r.at(g.Time))
		x, y, valid := s.BPOGX, s.BPOGY, s.BPOGV
		if s.Absent&tracker.FieldBPOGV != 0 {
			x, y, valid = s.FPOGX, s.FPOGY, s.FPOGV
		}
		r.Gaze = append(r.Gaze, Gaze{T: r.at(g.Time), X: x, Y: y, Valid: valid && finite(x, y)})
		return nil
	})
	blinks.flush(r)
	r.Problems = append(r.Problems, probs...)
	if err != nil {
		// The case's own problems already say the file is missing or empty: nothing to add,
		// and the rest of the case (audio, events) still replays.
		r.Problems = append(r.Problems, session.Problem{Kind: session.ProblemMalformed, Message: err.Error()})
	}
	slices.SortStableFunc(r.Gaze, func(a, b Gaze) int { return cmpDur(a.T, b.T) })
	return nil
}

func finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// at places a row's device time (seconds from the screen's first sample) on the session clock.
func (r *Replay) at(sec float64) time.Duration {
	if !finite(sec) {
		return r.Start
	}
	return r.Start + time.Duration(math.Round(sec*1e9))
}

// readFixations reads the chosen fixation rows: each row is a fixation's last sample, so it
// started at FPOGS and ended at Time (docs/FORMATS.md §1).
func (r *Replay) readFixations(filter string) {
	if filter == "" {
		filter = "device"
	}
	file := session.RowFile(filter)
	var fs []Fixation
	probs, err := r.Case.ReadRows(file, func(_ int, g egd.GazeRecord) error {
		s := &g.Sample
		if !finite(s.FPOGX, s.FPOGY, s.FPOGS, g.Time) {
			return nil
		}
		fs = append(fs, Fixation{Start: r.at(s.FPOGS), End: r.at(g.Time), X: s.FPOGX, Y: s.FPOGY})
		return nil
	})
	r.Problems = append(r.Problems, probs...)
	if err != nil && filter != "device" {
		r.Problems = append(r.Problems, session.Problem{Kind: session.ProblemMissing, Message: err.Error()})
	}
	slices.SortStableFunc(fs, func(a, b Fixation) int { return cmpDur(a.Start, b.Start) })
	for i := range fs {
		fs[i].N = i + 1
		fs[i].End = max(fs[i].End, fs[i].Start)
	}
	r.Fixations = fs
}

// readTranscript places the transcript's phrases, timed from the start of the case's audio,
// on the session clock through audio.json (or from the screen's start without it).
func (r *Replay) readTranscript() {
	t, err := r.Case.ReadTranscript()
	if err != nil {
		r.Problems = append(r.Problems, session.Problem{Kind: session.ProblemMalformed, Message: err.Error()})
		return
	}
	if t == nil {
		return
	}
	for _, p := range t.Phrases {
		if math.IsNaN(p.Begin) {
			continue
		}
		end := p.End
		if math.IsNaN(end) || end < p.Begin {
			end = p.Begin
		}
		r.Phrases = append(r.Phrases, Phrase{Text: strings.TrimSpace(p.Phrase), Begin: r.AudioSeconds(p.Begin), End: r.AudioSeconds(end)})
	}
	slices.SortStableFunc(r.Phrases, func(a, b Phrase) int { return cmpDur(a.Begin, b.Begin) })
}

// AudioSeconds places a time in seconds from the start of audio.wav on the session clock: the
// audio clock mapped through audio.json's clock fit, or the screen's start without one.
func (r *Replay) AudioSeconds(sec float64) time.Duration {
	if r.Audio != nil {
		if t, ok := r.Audio.HostAt(int64(math.Round(sec * float64(r.Audio.Rate)))); ok {
			return t
		}
	}
	return r.Start + time.Duration(sec*1e9)
}

// AudioTime is the session-clock time of audio.wav's frame (from 0), and false when the case
// has no audio clock (no audio.json, or a gaze-only case).
func (r *Replay) AudioTime(frame int64) (time.Duration, bool) {
	if r.Audio == nil {
		return 0, false
	}
	return r.Audio.HostAt(frame)
}

// AudioFrame is the frame of audio.wav heard at session-clock time t (AudioTime's inverse).
func (r *Replay) AudioFrame(t time.Duration) (int64, bool) {
	if r.Audio == nil {
		return 0, false
	}
	return r.Audio.FrameAt(t)
}

// Clamp keeps t within the case.
func (r *Replay) Clamp(t time.Duration) time.Duration { return min(max(t, r.Start), r.End) }

// Frame is what the replay shows at time T. Its slices share the Replay's arrays: read them,
// never change them.
type Frame struct {
	T time.Duration
	// Fixations are those begun at or before T, in order (Fixations[len-1] is the latest).
	Fixations []Fixation
	// Current is the index in Fixations of the fixation in progress at T, or −1.
	Current int
	// Gaze is the latest sample at or before T (HasGaze false before the first); Trail the
	// TrailLen latest, oldest first, Gaze included.
	Gaze    Gaze
	HasGaze bool
	Trail   []Gaze
	// Phrase is the index in Replay.Phrases of the phrase spoken at T, or −1.
	Phrase int
	// Pause is the index in Replay.Pauses of the pause T falls in, or −1.
	Pause int
}

// At is what is visible at time t (clamped to the case): O(log n) in the case's rows and
// without allocation.
func (r *Replay) At(t time.Duration) Frame {
	t = r.Clamp(t)
	f := Frame{T: t, Current: -1, Phrase: -1, Pause: r.PauseAt(t)}
	n := sort.Search(len(r.Fixations), func(i int) bool { return r.Fixations[i].Start > t })
	f.Fixations = r.Fixations[:n]
	if n > 0 && r.Fixations[n-1].End >= t {
		f.Current = n - 1
	}
	g := sort.Search(len(r.Gaze), func(i int) bool { return r.Gaze[i].T > t })
	if g > 0 {
		f.Gaze, f.HasGaze = r.Gaze[g-1], true
		f.Trail = r.Gaze[max(0, g-TrailLen):g]
	}
	f.Phrase = r.PhraseAt(t)
	return f
}

// PhraseAt is the index of the phrase spoken at t (the latest begun, until its end), or −1.
func (r *Replay) PhraseAt(t time.Duration) int {
	p := sort.Search(len(r.Phrases), func(i int) bool { return r.Phrases[i].Begin > t })
	if p > 0 && r.Phrases[p-1].End >= t {
		return p - 1
	}
	return -1
}
