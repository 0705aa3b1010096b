// Package qatest records synthetic sessions through reader/session's Recorder, as the station
// records them, for the tests of the QA review, its report and its videos: gaze at 60 Hz with
// fixations, audio with a click at a known instant, transcripts, events and calibration checks.
package qatest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/wav"
	"sightline/tracker"
	"sightline/tracker/quality"
)

// Rate is the synthetic tracker's rate and AudioRate the synthetic microphone's.
const (
	Rate      = 60
	AudioRate = 16000
)

// Case describes one screen to record.
type Case struct {
	DicomID string
	Kind    session.Kind // session.KindCase (default) or session.KindCalibration
	Samples int          // gaze samples at Rate
	// JumpAt is the sample at which the gaze jumps from the left half of the stage (0.25) to
	// the right (0.75); 0: no jump (the gaze wanders on the left).
	JumpAt int
	// Invalid marks samples [from, to) as track loss.
	InvalidFrom, InvalidTo int
	// Blink marks samples [from, to) with a blink id.
	BlinkFrom, BlinkTo int
	// Audio records audio.wav and audio.json: the audio starts AudioLead before the screen,
	// its clock runs DriftPPM fast, and a click sounds at Click after the screen's start
	// (none when 0).
	Audio     bool
	AudioLead time.Duration
	DriftPPM  float64
	Click     time.Duration
	Silent    bool // the audio is all zeros
	// Phrases become transcript.json, timed from the audio's start.
	Phrases []Phrase
	// Events are journalled at their offset from the screen's start.
	Events []Event
	// Quality is written as quality.json (nil: a pass measured from the samples).
	Quality *session.Quality
	// Layout places the image (nil: a square image in the middle of the stage).
	Layout *stage.Layout
	// Open leaves the screen on at the end and the recorder recording (its lock held) until
	// the test ends: a session being recorded now.
	Open bool
}

// Phrase is one transcript phrase, in seconds from the audio's start.
type Phrase struct {
	Text       string
	Begin, End float64
}

// Event is one journal line at At after the screen's start.
type Event struct {
	At    time.Duration
	Kind  string
	Attrs map[string]string
}

// Session describes a session to record.
type Session struct {
	ID, Reader string
	Cases      []Case
	// GazeOnly records "none: no microphone" as the session's audio.
	GazeOnly bool
	// Status closes the session with it (session.StatusComplete by default) unless a case is
	// left Open.
	Status string
}

// Gap is the time between two screens.
const Gap = 500 * time.Millisecond

// Start is the session-clock time of the first screen.
const Start = 2 * time.Second

// Screen is the session-clock time at which screen i of s is shown.
func (s Session) Screen(i int) time.Duration {
	t := Start
	for _, c := range s.Cases[:i] {
		t += time.Duration(c.Samples)*time.Second/Rate + Gap
	}
	return t
}

// Record records s into dir (a new folder, e.g. STUDY/sessions/<id>) and returns dir.
func Record(tb testing.TB, dir string, s Session) string {
	tb.Helper()
	if s.ID == "" {
		s.ID = filepath.Base(dir)
	}
	plan := make([]session.Screen, len(s.Cases))
	for i, c := range s.Cases {
		k := c.Kind
		if k == "" {
			k = session.KindCase
		}
		plan[i] = session.Screen{Index: i, Kind: k, DicomID: c.DicomID}
	}
	meta := session.Meta{SessionID: s.ID, Reader: s.Reader, Seed: 1, StudyDir: filepath.Dir(filepath.Dir(dir)),
		Tracker: "synthetic", TrackerRate: Rate, FixationFilter: "device", Plan: plan,
		StartedWall: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), Audio: "null"}
	if s.GazeOnly {
		meta.Audio = "none: no microphone"
	}
	r, err := session.Create(dir, meta)
	if err != nil {
		tb.Fatal(err)
	}
	round := 0
	for i, c := range s.Cases {
		sc := plan[i]
		start := s.Screen(i)
		l := stage.Layout{W: 1080, H: 1080, Left: 420, Right: 420}
		if sc.Kind == session.KindCalibration {
			l = stage.Fit(stage.Width, stage.Height)
		} else if c.Layout != nil {
			l = *c.Layout
		}
		if err := r.BeginScreen(sc, l, start); err != nil {
			tb.Fatal(err)
		}
		if sc.Kind == session.KindCalibration {
			round++
			must(tb, r.Event(start, "check_started", map[string]string{"round": fmt.Sprint(round)}))
			must(tb, r.SaveCheck(session.CheckReport{Round: round, Validation: session.Validation{
				AccuracyDeg: 0.6, PrecisionDeg: 0.1, DataLoss: 0.01, Verdict: quality.Good}}))
		}
		evs := c.Events
		var fixFrom float64
		var fixID int64
		valid := 0
		for n := 0; n < c.Samples; n++ {
			host := start + time.Duration(n)*time.Second/Rate
			for len(evs) > 0 && start+evs[0].At <= host {
				must(tb, r.Event(start+evs[0].At, evs[0].Kind, evs[0].Attrs))
				evs = evs[1:]
			}
			dev := 700 + host.Seconds()
			if n == 0 {
				fixID, fixFrom = 1, dev
			}
			x, y := 0.2+0.01*float64(fixID%5), 0.3+0.02*float64(fixID%7)
			if c.JumpAt > 0 && n >= c.JumpAt {
				x, y = 0.75, 0.5
			}
			ok := n < c.InvalidFrom || n >= c.InvalidTo
			var bk int64
			if n >= c.BlinkFrom && n < c.BlinkTo {
				bk = 7
			}
			if ok {
				valid++
			}
			smp := tracker.Sample{Host: host, CNT: int64(n), Time: dev, TimeTick: int64(dev * 1e7), TickFreq: 10_000_000,
				FPOGX: x, FPOGY: y, FPOGS: fixFrom, FPOGD: dev - fixFrom, FPOGID: fixID, FPOGV: ok,
				BPOGX: x, BPOGY: y, BPOGV: ok, LPV: ok, RPV: ok, BKID: bk}
			must(tb, r.Gaze(smp))
			if n%12 == 11 || n == c.Samples-1 || (c.JumpAt > 0 && n == c.JumpAt-1) {
				must(tb, r.Fixation(smp))
				fixID++
				fixFrom = 700 + (host + time.Second/Rate).Seconds()
			}
		}
		end := start + time.Duration(c.Samples)*time.Second/Rate
		for _, e := range evs {
			must(tb, r.Event(start+e.At, e.Kind, e.Attrs))
		}
		if c.Audio {
			writeAudio(tb, r.ScreenDir(), c, start, end)
		}
		if sc.Kind == session.KindCase {
			q := session.Quality{Verdict: quality.Pass, Samples: valid, Expected: c.Samples,
				DataLoss:      1 - float64(valid)/float64(max(c.Samples, 1)),
				LongestLossMS: int64(c.InvalidTo-c.InvalidFrom) * 1000 / Rate}
			if c.Audio {
				peak := -6.0
				if c.Silent {
					peak = -120
				}
				q.Audio = &session.AudioCheck{Seconds: (end - start + c.AudioLead).Seconds(), PeakDB: peak,
					ScreenSeconds: (end - start).Seconds(), DriftMS: c.DriftPPM * (end - start).Seconds() / 1e3}
			}
			if c.Quality != nil {
				q = *c.Quality
			}
			must(tb, r.CaseQuality(q))
		}
		if c.Open {
			must(tb, r.Flush())
			// Still recording: the recorder holds the session's lock until the test ends (kept
			// from the collector, whose finalizer would close the lock file and free it).
			tb.Cleanup(func() { runtime.KeepAlive(r) })
			return dir
		}
		must(tb, r.Event(end, "key", map[string]string{"key": "space"}))
		must(tb, r.EndScreen(end))
	}
	st := s.Status
	if st == "" {
		st = session.StatusComplete
	}
	must(tb, r.Close(st))
	return dir
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// ClickFrame is the frame of the case's audio.wav at which its click starts: the frame
// captured at the screen's start + c.Click on the audio clock of audio.json.
func ClickFrame(c Case, screenStart time.Duration) int64 {
	m := audioMeta(c, screenStart, 0)
	f, _ := m.FrameAt(screenStart + c.Click)
	return f
}

func audioMeta(c Case, start time.Duration, frames int64) session.AudioMeta {
	origin := start - c.AudioLead
	return session.AudioMeta{Rate: AudioRate, Channels: 1, FirstFrameHostNS: int64(origin), Frames: frames,
		Device: "synthetic", Backend: "test", FitOffsetNS: int64(origin), DriftPPM: c.DriftPPM,
		DriftNS: int64(c.DriftPPM * float64(frames) / AudioRate * 1e3), Complete: true}
}

// writeAudio writes audio.wav (low noise, a click) and audio.json covering the screen.
func writeAudio(tb testing.TB, dir string, c Case, start, end time.Duration) {
	tb.Helper()
	frames := int64((end - start + c.AudioLead).Seconds() * AudioRate)
	pcm := make([]int16, frames)
	if !c.Silent {
		for i := range pcm {
			pcm[i] = int16(300 * math.Sin(float64(i)*2*math.Pi*220/AudioRate))
		}
		if c.Click > 0 {
			at := ClickFrame(c, start)
			for i := at; i < min(at+32, frames); i++ {
				if i >= 0 {
					pcm[i] = 30000
				}
			}
		}
	}
	must(tb, os.WriteFile(filepath.Join(dir, session.AudioFile), WAV(AudioRate, 1, pcm), 0o644))
	b, err := json.Marshal(audioMeta(c, start, frames))
	must(tb, err)
	must(tb, os.WriteFile(filepath.Join(dir, session.AudioMetaFile), b, 0o644))
	if len(c.Phrases) > 0 {
		type ph struct {
			Phrase string  `json:"phrase"`
			Begin  float64 `json:"begin_time"`
			End    float64 `json:"end_time"`
		}
		t := struct {
			Full string `json:"full_text"`
			TS   []ph   `json:"time_stamped_text"`
		}{}
		for _, p := range c.Phrases {
			t.Full += p.Text + " "
			t.TS = append(t.TS, ph{p.Text, p.Begin, p.End})
		}
		b, err := json.Marshal(t)
		must(tb, err)
		must(tb, os.WriteFile(filepath.Join(dir, session.TranscriptFile), b, 0o644))
	}
}

// WAV is a canonical 16-bit PCM WAV file of pcm (interleaved).
func WAV(rate, channels int, pcm []int16) []byte {
	b := append(wav.Header(rate, channels, uint32(2*len(pcm))), make([]byte, 2*len(pcm))...)
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[wav.HeaderSize+2*i:], uint16(v))
	}
	return b
}

// Sound is a sound output (qa.Sound) whose heard frame the test sets: Play records where and
// how fast it was asked to play, Heard says Frame, Err the failure.
type Sound struct {
	Playing bool
	From    int64
	Frame   int64
	Speed   float64
	Plays   int
	Err     error
}

// Play starts "playing" at from: Frame is from until the test moves it.
func (s *Sound) Play(pcm []int16, rate, channels int, from int64, speed float64) error {
	s.Playing, s.From, s.Frame, s.Speed = true, from, from, speed
	s.Plays++
	return nil
}

// Heard is the frame the test set.
func (s *Sound) Heard() (int64, bool, error) { return s.Frame, s.Playing, s.Err }

// Stop stops it.
func (s *Sound) Stop() { s.Playing = false }
