package qa

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/transcribe"
)

// The checklist's thresholds: the station's quality gate (docs/FORMATS.md §5).
const (
	MaxDataLoss    = 0.15            // the gate fails a case at 15% data loss
	MaxTrackLoss   = 3 * time.Second // and at a track loss of 3 s
	SilentDB       = -50.0           // a dictating reader peaks far above this
	MaxDriftMS     = 20.0            // audio against gaze over a case
	driftMinSecond = 30.0            // a shorter case's drift says little (audio.FitClock)
)

// Measures are a case's figures for the reviewer, taken from what session.Open read (no rows
// are read: a session's list of cases opens at once).
type Measures struct {
	Case    string // the case folder's name
	Kind    string // session.KindCase or session.KindCalibration
	DicomID string
	Copy    int  // interrupted copy number; 0 for a read
	Reread  bool // read again later in the session: this read does not count
	// Gate is the station's quality gate verdict ("pass", "warn", "fail"; "" without
	// quality.json) and its reasons.
	Gate    string
	Reasons []string
	// DataLoss is the fraction of expected samples lost (NaN when unknown); LongestLoss the
	// longest track loss (−1 when unknown).
	DataLoss    float64
	LongestLoss time.Duration
	Audio       AudioMeasure
	// Check is the calibration check nearest the case (nil: none in the session).
	Check *NearestCheck
	// Start and Duration place the case on the session clock; Ended is false for a screen
	// without its screen_ended event.
	Start, Duration time.Duration
	Ended           bool
	Problems        []session.Problem
	// Draft is the draft transcript's figures (transcript_raw.json: its share of words the
	// recogniser was unsure of, and whether a dictation long enough to hold a negation has
	// none); nil without a draft of sightline transcribe.
	Draft *transcribe.DraftStats
}

// AudioMeasure is a case's dictation as the reviewer judges it.
type AudioMeasure struct {
	Expected bool // a case screen of a session that records audio
	Present  bool // audio.wav is there
	Seconds  float64
	// PeakDB is the loudest block in dBFS (HasPeak false when unknown); DriftMS the audio
	// clock against the session's over the case (HasDrift).
	PeakDB, DriftMS   float64
	HasPeak, HasDrift bool
	// ScreenSeconds is the time the case was on screen while recording (0 when unknown).
	ScreenSeconds float64
	Complete      bool // audio.json was closed
}

// NearestCheck is the calibration and validation round nearest a case: the latest before it,
// or the first after it when none came before.
type NearestCheck struct {
	Report session.CheckReport
	// At is when the round started (HasTime false when the journal does not say); Before
	// whether it came before the case.
	At      time.Duration
	HasTime bool
	Before  bool
}

// Good reports whether the round's validation may stand for the case's gaze.
func (n *NearestCheck) Good() bool {
	if n == nil {
		return false
	}
	v := n.Report.Validation.Verdict
	return v == "good" || v == "acceptable"
}

// Measure takes case c's figures from session o.
func Measure(o *session.Opened, c *session.Case) Measures {
	m := Measures{Case: c.Name, Kind: c.Screen.Kind, DicomID: c.Screen.DicomID, Copy: c.Copy,
		Reread: c.SupersededBy != nil, DataLoss: math.NaN(), LongestLoss: -1, Problems: c.Problems}
	var end time.Duration
	m.Start, end, m.Ended, _ = Span(o, c)
	m.Duration = max(0, end-m.Start)
	if q := c.Quality; q != nil {
		m.Gate, m.Reasons = q.Verdict, q.Reasons
		m.DataLoss, m.LongestLoss = q.DataLoss, time.Duration(q.LongestLossMS)*time.Millisecond
	}
	a := &m.Audio
	a.Expected = c.Screen.Kind == session.KindCase && !strings.HasPrefix(o.State.Audio, "none")
	if c.Audio != nil {
		a.Present = c.Audio.WAV != ""
		if c.Audio.HeaderOK {
			a.Seconds = float64(c.Audio.Header.Frames()) / float64(max(c.Audio.Header.Rate, 1))
		}
		if md := c.Audio.Meta; md != nil {
			a.Complete = md.Complete
			if md.Complete && md.Rate > 0 {
				a.DriftMS, a.HasDrift = float64(md.DriftNS)/1e6, true
			}
		}
		a.Expected = a.Expected || c.Screen.Kind == session.KindCase
	}
	if q := c.Quality; q != nil && q.Audio != nil {
		a.Seconds, a.ScreenSeconds = q.Audio.Seconds, q.Audio.ScreenSeconds
		a.PeakDB, a.HasPeak = q.Audio.PeakDB, true
		a.DriftMS, a.HasDrift = q.Audio.DriftMS, true
	}
	m.Check = nearestCheck(o, m.Start)
	if c.Transcript != "" {
		if raw, err := transcribe.ReadRaw(c.Dir); err == nil {
			st := raw.Stats()
			m.Draft = &st
		}
	}
	return m
}

// Add takes in what loading the case's replay found: its problems (broken rows, an unreadable
// WAV or transcript) and the audio's peak when quality.json did not give it.
func (m *Measures) Add(r *Replay) {
	m.Problems = append(slices.Clip(m.Problems), r.Problems...)
	if r.Wave != nil && !m.Audio.HasPeak {
		m.Audio.PeakDB, m.Audio.HasPeak = r.Wave.PeakDB(), true
		m.Audio.Seconds = max(m.Audio.Seconds, r.Wave.Seconds())
	}
}

// checkTimes is when each round of o's checks started, by round, from the journal.
func checkTimes(o *session.Opened) map[int]time.Duration {
	at := map[int]time.Duration{}
	for _, e := range o.Events {
		if e.Kind != "check_started" && e.Kind != "check_accepted" {
			continue
		}
		r, err := strconv.Atoi(e.Attrs["round"])
		if err != nil {
			continue
		}
		if _, ok := at[r]; !ok {
			at[r] = time.Duration(e.HostNS)
		}
	}
	return at
}

func nearestCheck(o *session.Opened, t time.Duration) *NearestCheck {
	if len(o.Checks) == 0 {
		return nil
	}
	at := checkTimes(o)
	var before, after *NearestCheck
	for _, c := range o.Checks {
		h, ok := at[c.Round]
		n := &NearestCheck{Report: c, At: h, HasTime: ok, Before: ok && h <= t}
		switch {
		case !ok:
			// Untimed (a journal line lost): it counts as before anything timed after it.
			if before == nil {
				before = n
			}
		case h <= t:
			if before == nil || !before.HasTime || h >= before.At {
				before = n
			}
		case after == nil || h < after.At:
			after = n
		}
	}
	if before != nil {
		return before
	}
	return after
}

// Checklist is the QA checklist pre-filled from the measurements; the reviewer may change any
// item before deciding.
func (m Measures) Checklist() review.Checklist {
	var cl review.Checklist
	cl.FilesWhole = !slices.ContainsFunc(m.Problems, func(p session.Problem) bool {
		switch p.Kind {
		case session.ProblemMissing, session.ProblemMalformed, session.ProblemRow:
			return true
		case session.ProblemAudio:
			return strings.HasSuffix(p.File, session.AudioFile) || strings.HasSuffix(p.File, session.AudioMetaFile)
		}
		return false
	})
	a := m.Audio
	cl.AudioOK = !a.Expected || (a.Present && a.HasPeak && a.PeakDB >= SilentDB)
	cut := a.Expected && a.ScreenSeconds > 0 && a.ScreenSeconds-a.Seconds > max(1, 0.1*a.ScreenSeconds)
	cl.NoAbruptStop = m.Ended && m.Copy == 0 && !cut && (!a.Present || a.Complete) &&
		!slices.ContainsFunc(m.Problems, func(p session.Problem) bool {
			return p.Kind == session.ProblemInterrupted || p.Kind == session.ProblemLive
		})
	cl.GazeValid = !math.IsNaN(m.DataLoss) && m.DataLoss < MaxDataLoss && m.LongestLoss >= 0 && m.LongestLoss < MaxTrackLoss
	cl.CalibrationGood = m.Check.Good()
	if m.Kind == session.KindCalibration && math.IsNaN(m.DataLoss) {
		// No gate runs on a calibration screen: its validation measured the gaze.
		cl.GazeValid = cl.CalibrationGood
	}
	return cl
}

// Faults counts the checklist's failed items and the case's problems: the review lists cases
// with faults first, most first.
func (m Measures) Faults() int {
	cl := m.Checklist()
	n := len(m.Problems)
	for _, ok := range []bool{cl.FilesWhole, cl.AudioOK, cl.NoAbruptStop, cl.GazeValid, cl.CalibrationGood} {
		if !ok {
			n++
		}
	}
	if m.Gate == "fail" || m.Gate == "warn" {
		n++
	}
	return n
}

// AudioDrifts reports a drift beyond the gate's limit on a case long enough to measure it.
func (a AudioMeasure) AudioDrifts() bool {
	return a.HasDrift && a.Seconds >= driftMinSecond && math.Abs(a.DriftMS) > MaxDriftMS
}

// MeasureSession measures every case of o in reading order, interrupted copies after the read
// they belong to.
func MeasureSession(o *session.Opened) []Measures {
	var out []Measures
	for _, c := range Cases(o) {
		out = append(out, Measure(o, c))
	}
	return out
}

// Cases lists o's case folders in reading order with each read's interrupted copies after it:
// calibration screens, re-reads and copies included.
func Cases(o *session.Opened) []*session.Case {
	var out []*session.Case
	for _, c := range o.Cases {
		out = append(out, c)
		out = append(out, c.Interrupted...)
	}
	return out
}
