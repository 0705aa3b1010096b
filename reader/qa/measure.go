package qa

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/transcribe"
	"sightline/tracker/quality"
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
	Case    string       // the case folder's name
	Kind    session.Kind // session.KindCase or session.KindCalibration
	DicomID string
	Copy    int  // interrupted copy number; 0 for a read
	Reread  bool // read again later in the session: this read does not count
	// Gate is the station's quality gate verdict ("" without quality.json) and its reasons.
	Gate    quality.GateVerdict
	Reasons []string
	// DataLoss is the fraction of expected samples lost (NaN when unknown); LongestLoss the
	// longest track loss (−1 when unknown).
	DataLoss    float64
	LongestLoss time.Duration
	Audio       AudioMeasure
	// Offsets are the case's measured timing: how well its gaze and audio sit on the clock.
	Offsets Offsets
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

// Offsets are a case's measured clock figures (quality.json): the tracker's latency (the
// median round trip of the USER_DATA markers echoed during the case, HasLatency), the audio
// clock fit's RMS residual and the clock's rate against the host's (HasAudio), and the audio
// the device did not deliver (gaps and their length), and how long after the case's onset its
// image was on screen (HasSwap).
type Offsets struct {
	TrackerLatencyMS float64
	TrackerMarkers   int
	HasLatency       bool
	SwapDelayMS      float64
	HasSwap          bool
	AudioJitterMS    float64
	AudioPPM         float64
	AudioGaps        int64
	AudioGapMS       float64
	HasAudio         bool
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
	return v == quality.Good || v == quality.Acceptable
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
	m.Offsets = offsets(c.Quality)
	m.Check = nearestCheck(o, m.Start)
	if c.Transcript != "" {
		if raw, err := transcribe.ReadRaw(c.Dir); err == nil {
			st := raw.Stats()
			m.Draft = &st
		}
	}
	// The transcript is small: read now, a garbage one is a fault in the case table before
	// the case is opened (Add does not say it again).
	if _, err := c.ReadTranscript(); err != nil {
		m.Problems = append(slices.Clip(m.Problems), session.Problem{Kind: session.ProblemMalformed, Message: err.Error()})
	}
	return m
}

// Add takes in what loading the case's replay found: its problems (broken rows, an unreadable
// WAV or transcript) and the audio's peak when quality.json did not give it.
//
// A problem already known (the same kind on the same file, found by session.Open or Measure)
// is not added again: an unreadable WAV was listed twice. The file's own peak and length, as
// read now, replace quality.json's, measured when it was recorded.
func (m *Measures) Add(r *Replay) {
	m.Problems = slices.Clip(m.Problems)
	for _, p := range r.Problems {
		if !slices.ContainsFunc(m.Problems, func(q session.Problem) bool { return sameFault(p, q) }) {
			m.Problems = append(m.Problems, p)
		}
	}
	if r.Wave != nil {
		m.Audio.PeakDB, m.Audio.HasPeak = r.Wave.PeakDB(), true
		m.Audio.Seconds = r.Wave.Seconds()
	}
}

// sameFault reports whether two problems say the same fault: the same words, or the same kind
// on the same whole file.
func sameFault(a, b session.Problem) bool {
	if a.String() == b.String() {
		return true
	}
	return a.Kind == b.Kind && a.File != "" && a.File == b.File && a.Line == 0 && b.Line == 0
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

// ItemMark is what the measurements say of a checklist item.
type ItemMark uint8

const (
	// Unmeasured: nothing measured says (no audio on the screen, no quality gate): the box is
	// left for the reviewer, shown as not measured.
	Unmeasured ItemMark = iota
	Met
	Unmet
)

func (k ItemMark) String() string {
	switch k {
	case Met:
		return "met"
	case Unmet:
		return "unmet"
	}
	return "not measured"
}

// The checklist's items, in review.Checklist's order.
const (
	ItemFiles = iota
	ItemAudio
	ItemStop
	ItemGaze
	ItemCalibration
	NumItems
)

// Items name the checklist's items and say each one unmet, in the order above: the review
// view and the QA report word them alike.
var Items = [NumItems]struct{ Name, Unmet string }{
	{"Files whole", "a file is not whole"},
	{"Audio present and not silent", "audio missing, unreadable, cut or silent"},
	{"No abrupt stop", "stopped abruptly"},
	{"Gaze valid", "gaze not valid (data loss or track loss)"},
	{"Calibration good", "no good calibration check"},
}

// Prefill is the checklist as the measurements fill it: each item met or unmet from a
// measurement, or not measured.
type Prefill [NumItems]ItemMark

// Prefill fills the checklist from the measurements.
func (m Measures) Prefill() Prefill {
	var p Prefill
	p[ItemFiles] = markOf(!slices.ContainsFunc(m.Problems, func(p session.Problem) bool {
		switch p.Kind {
		case session.ProblemMissing, session.ProblemMalformed, session.ProblemRow:
			return true
		case session.ProblemAudio:
			return strings.HasSuffix(p.File, session.AudioFile) || strings.HasSuffix(p.File, session.AudioMetaFile)
		}
		return false
	}))
	p[ItemAudio] = m.audioMark()
	a := m.Audio
	cut := a.Expected && a.ScreenSeconds > 0 && a.ScreenSeconds-a.Seconds > max(1, 0.1*a.ScreenSeconds)
	p[ItemStop] = markOf(m.Ended && m.Copy == 0 && !cut && (!a.Present || a.Complete) &&
		!slices.ContainsFunc(m.Problems, func(p session.Problem) bool {
			return p.Kind == session.ProblemInterrupted || p.Kind == session.ProblemLive
		}))
	switch {
	case m.Kind == session.KindCalibration && math.IsNaN(m.DataLoss):
		// No gate runs on a calibration screen: its validation measured the gaze.
		p[ItemGaze] = markOf(m.Check.Good())
	case math.IsNaN(m.DataLoss) || m.LongestLoss < 0:
		p[ItemGaze] = Unmeasured
	default:
		p[ItemGaze] = markOf(m.DataLoss < MaxDataLoss && m.LongestLoss < MaxTrackLoss)
	}
	p[ItemCalibration] = markOf(m.Check.Good()) // no check in the session is a finding too
	return p
}

// audioMark says the dictation's item: met only when the file is there, reads whole and its
// peak (quality.json's, or the file's own once loaded) is above silence.
func (m Measures) audioMark() ItemMark {
	a := m.Audio
	damaged := slices.ContainsFunc(m.Problems, func(p session.Problem) bool {
		return strings.HasSuffix(p.File, session.AudioFile)
	})
	switch {
	case !a.Expected:
		return Unmeasured // a calibration screen or a gaze-only session: no audio to judge
	case !a.Present, damaged:
		return Unmet
	case !a.HasPeak:
		return Unmeasured
	}
	return markOf(a.PeakDB >= SilentDB)
}

func markOf(ok bool) ItemMark {
	if ok {
		return Met
	}
	return Unmet
}

// Checklist is the QA checklist pre-filled from the measurements: an item is ticked only when
// measured and met. The reviewer may change any item before deciding.
func (m Measures) Checklist() review.Checklist {
	p := m.Prefill()
	return review.Checklist{FilesWhole: p[ItemFiles] == Met, AudioOK: p[ItemAudio] == Met,
		NoAbruptStop: p[ItemStop] == Met, GazeValid: p[ItemGaze] == Met, CalibrationGood: p[ItemCalibration] == Met}
}

// Findings are the case's faults, one line each, as the review view and the QA report list
// them: its problems, the quality gate's fail or warn, and the checklist's unmet items.
func (m Measures) Findings() []string {
	var out []string
	for _, p := range m.Problems {
		if s := p.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if m.Gate == quality.Fail || m.Gate == quality.Warn {
		s := "quality gate " + string(m.Gate)
		if len(m.Reasons) > 0 {
			s += ": " + strings.Join(m.Reasons, "; ")
		}
		out = append(out, s)
	}
	for i, k := range m.Prefill() {
		if k == Unmet {
			out = append(out, "checklist: "+Items[i].Unmet)
		}
	}
	return out
}

// Faults counts the case's findings: the review lists cases with faults first, most first.
func (m Measures) Faults() int { return len(m.Findings()) }

// AudioDrifts reports a drift beyond the gate's limit on a case long enough to measure it.
func (a AudioMeasure) AudioDrifts() bool {
	return a.HasDrift && a.Seconds >= driftMinSecond && math.Abs(a.DriftMS) > MaxDriftMS
}

// offsets are the clock figures of a case's quality.json (none without one).
func offsets(q *session.Quality) Offsets {
	var f Offsets
	if q == nil {
		return f
	}
	if a := q.Audio; a != nil {
		f.AudioJitterMS, f.AudioPPM = a.JitterMS, a.DriftPPM
		f.AudioGaps, f.AudioGapMS, f.HasAudio = a.Gaps, a.GapMS, true
	}
	if q.SwapDelayMS != nil {
		f.SwapDelayMS, f.HasSwap = *q.SwapDelayMS, true
	}
	if q.TrackerMarkers > 0 {
		f.TrackerLatencyMS, f.TrackerMarkers, f.HasLatency = q.TrackerLatencyMS, q.TrackerMarkers, true
	}
	return f
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

// Failed reports whether a verdict sends the case back: fail or re-read.
func Failed(v review.Verdict) bool { return v.Decision == review.Fail || v.Decision == review.ReRead }

// Order is the order in which the review lists session name's cases (ms, measured in reading
// order, as Cases lists them): the failed first (the latest verdict fail or re-read, or the
// quality gate's fail), then the most faults first, reading order otherwise. The review view's
// table and the QA report's pages list them alike.
func Order(name string, ms []Measures, latest map[review.CaseKey]review.Verdict) []int {
	out := make([]int, len(ms))
	failed := make([]bool, len(ms))
	faults := make([]int, len(ms))
	for i, m := range ms {
		out[i] = i
		v, ok := latest[review.CaseKey{Session: name, Case: m.Case}]
		failed[i] = (ok && Failed(v)) || m.Gate == "fail"
		faults[i] = m.Faults()
	}
	slices.SortStableFunc(out, func(a, b int) int {
		if failed[a] != failed[b] {
			if failed[a] {
				return -1
			}
			return 1
		}
		return faults[b] - faults[a]
	})
	return out
}

// Progress is a session's QA progress over its case folders (every folder Cases lists, as the
// case table and the report do): how many, how many have a verdict, how many were sent back.
type Progress struct{ Cases, Decided, Failed int }

// SessionProgress counts session o's (named name) progress from the latest verdicts.
func SessionProgress(o *session.Opened, name string, latest map[review.CaseKey]review.Verdict) Progress {
	var p Progress
	for _, c := range Cases(o) {
		p.Cases++
		if v, ok := latest[review.CaseKey{Session: name, Case: c.Name}]; ok {
			p.Decided++
			if Failed(v) {
				p.Failed++
			}
		}
	}
	return p
}

// DraftNotes are what the reviewer should know about the draft transcript: the share of its
// words the recogniser was unsure of, and a dictation long enough to hold a negation where the
// draft has none (a missed "no" inverts a finding). Empty without a draft.
func (m Measures) DraftNotes() []string {
	d := m.Draft
	if d == nil {
		return nil
	}
	var out []string
	if !math.IsNaN(d.LowConfidence) && d.Words > 0 {
		out = append(out, fmt.Sprintf("draft transcript: %.0f%% of its %d words below confidence %.1f (marked in the editor)",
			100*d.LowConfidence, d.Words, transcribe.LowConfidence))
	}
	if d.NoNegation {
		out = append(out, fmt.Sprintf("draft transcript: no negation word (no, not, without…) in %.0f s of dictation: listen for a missed \"no\"", d.AudioSeconds))
	}
	return out
}
