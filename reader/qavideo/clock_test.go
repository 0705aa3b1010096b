package qavideo

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sightline/reader/audio"
	"sightline/reader/qa"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
	"sightline/tracker"
)

// The clock test records a session as the station does (session.Recorder for the gaze, the
// audio path's Router and CaseAudio for the dictation) from a synthetic reader whose gaze jumps
// and whose microphone clicks at the same instants, then finds both in the replay model and in
// the decoded MP4 (ffmpeg, an independent witness). Nothing is placed by the test: the
// recording places everything, the test only knows when things happened.

const (
	clkFPS       = DefaultFPS
	clkRate      = 48000
	clkBlock     = 480 // frames per capture callback (10 ms)
	clkGazeHz    = 60
	clkPhase     = 3700 * time.Microsecond // the tracker's first sample, on the session clock
	clkAudioZero = 300 * time.Millisecond  // session-clock time of the microphone's frame 0
	clkDevZero   = 500.0                   // the tracker's device seconds at session time 0
	clkEnd       = 10 * time.Second
)

// clkCase is one screen of the clock test: its onset, the instant the gaze jumps and the click
// sounds (a tracker sample time: the first sample showing the jump is taken then), and an
// optional pause.
type clkCase struct {
	id                 string
	onset, jump        time.Duration
	pauseFrom, pauseTo time.Duration // 0: none
	decideLate         time.Duration // how long after each instant the station acted on it
	wantFrame          int           // the first video frame at or after the jump
}

func sampleTime(n int) time.Duration {
	return clkPhase + time.Duration(n)*time.Second/clkGazeHz
}

// clkPlan lays out three cases, the second paused before its jump. Each jump is a tracker
// sample; each onset is chosen so that the jump falls phase after a frame of its video:
// 4 ms after one (a gaze placed 10 ms early shows it a frame early), 4 ms before the next (10 ms
// late shows it a frame late), and mid-frame.
func clkPlan() []clkCase {
	frame := time.Second / clkFPS
	jumps := []int{181, 332, 483} // samples ≈ 3.0 s, 5.5 s and 8.0 s in
	phase := []time.Duration{4 * time.Millisecond, frame - 4*time.Millisecond, frame / 2}
	frames := []int{50, 25, 40} // frames of each video before its jump
	var cs []clkCase
	for i, n := range jumps {
		j := sampleTime(n)
		c := clkCase{id: fmt.Sprintf("c%d", i+1), jump: j,
			onset: j - phase[i] - time.Duration(frames[i])*frame, decideLate: time.Duration(40+25*i) * time.Millisecond}
		if i == 1 {
			c.pauseFrom, c.pauseTo = c.onset+200*time.Millisecond, c.onset+530*time.Millisecond
		}
		c.wantFrame = frames[i] + 1
		cs = append(cs, c)
	}
	return cs
}

// clkEvent is one thing happening in the recording, in the order the station sees them.
type clkEvent struct {
	at   time.Duration
	kind int // 0 gaze sample arrives, 1 audio fragment delivered, 2 the station acts, 3 the audio rig ends a case
	n    int
	act  func()
}

// recordClocked records the plan into a session folder as the station would.
func recordClocked(t *testing.T, plan []clkCase) string {
	t.Helper()
	dir := study.SessionDir(filepath.Join(t.TempDir(), "study"), "clock")
	screens := make([]session.Screen, len(plan))
	for i, c := range plan {
		screens[i] = session.Screen{Index: i, Kind: session.KindCase, DicomID: c.id}
	}
	rec, err := session.Create(dir, session.Meta{SessionID: "clock", Reader: "r", Plan: screens,
		Tracker: "synthetic", TrackerRate: clkGazeHz, FixationFilter: "device", Audio: "synthetic"})
	if err != nil {
		t.Fatal(err)
	}
	route := audio.NewRouter(clkRate, 1)
	// The case folder the audio goes to: the newest, as the rig's Begin is given it.
	caseDir := func() string {
		m, _ := filepath.Glob(filepath.Join(dir, session.CasesDir, "*"))
		slices.Sort(m)
		return m[len(m)-1]
	}
	var closing []*audio.CaseAudio
	var evs []clkEvent
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	open := func(sub string) *audio.CaseAudio {
		d := filepath.Join(caseDir(), sub)
		must(os.MkdirAll(d, 0o755))
		c, err := audio.NewCase(d, clkRate, 1, "synthetic", audio.BackendNull)
		must(err)
		closing = append(closing, c)
		return c
	}
	// The station's acts. The gaze goes to the new case from the press on (the run queues the
	// samples that arrive while it opens the files); the audio's switches are given decideLate
	// after their instants, and a case's end waits for the device to deliver its last frames,
	// as the station's audio rig does.
	delivered := func(f int64) time.Duration {
		k := f / (5 * clkBlock)
		return clkAudioZero + time.Duration((k+1)*5*clkBlock)*time.Second/clkRate + time.Duration(k%10)*time.Millisecond
	}
	layout := stage.Layout{W: 1080, H: 1080, Left: 420, Right: 420}
	cases := make([]*audio.CaseAudio, len(plan))
	for i, c := range plan {
		end := clkEnd
		if i+1 < len(plan) {
			end = plan[i+1].onset
		}
		if i == 0 {
			evs = append(evs, clkEvent{at: c.onset, kind: 2, act: func() { must(rec.BeginScreen(screens[0], layout, c.onset)) }},
				clkEvent{at: c.onset + c.decideLate, kind: 2, act: func() {
					cases[0] = open("")
					route.SwitchAt(c.onset, audio.Switch{To: cases[0]})
				}})
		}
		if c.pauseFrom > 0 {
			var aside *audio.CaseAudio
			evs = append(evs, clkEvent{at: c.pauseFrom, kind: 2, act: func() {
				d, err := rec.BeginAside(c.pauseFrom)
				must(err)
				aside = open(filepath.Base(d))
			}}, clkEvent{at: c.pauseFrom + c.decideLate, kind: 2, act: func() {
				route.SwitchAt(c.pauseFrom, audio.Switch{To: aside})
			}}, clkEvent{at: c.pauseTo, kind: 2, act: func() { must(rec.EndAside(c.pauseTo)) }},
				clkEvent{at: c.pauseTo + c.decideLate, kind: 2, act: func() {
					route.SwitchAt(c.pauseTo, audio.Switch{To: cases[i], Resume: true})
				}})
		}
		evs = append(evs, clkEvent{at: end, kind: 2, act: func() {
			must(rec.EndScreen(end))
			if i+1 < len(plan) {
				must(rec.BeginScreen(screens[i+1], layout, end))
			}
		}})
		decide := end + plan[min(i+1, len(plan)-1)].decideLate
		last := int64(math.Ceil((end - clkAudioZero).Seconds() * clkRate))
		evs = append(evs, clkEvent{at: max(decide, delivered(last)), kind: 3, act: func() {
			route.SwitchAt(end, audio.Switch{})
			f, _ := route.FrameAt(end)
			must(route.Flush(f))
			if i+1 < len(plan) {
				cases[i+1] = open("")
				route.SwitchAt(end, audio.Switch{To: cases[i+1]})
			}
		}})
	}
	// The tracker: 60 Hz, each sample arriving 0, 2 or 5 ms after it was taken.
	for n := 0; sampleTime(n) < clkEnd+time.Second; n++ {
		evs = append(evs, clkEvent{at: sampleTime(n) + time.Duration([]int{0, 2, 5}[n%3])*time.Millisecond, kind: 0, n: n})
	}
	// The microphone: fragments of five 10 ms blocks handed over 0–9 ms after their last frame.
	for k := 0; ; k++ {
		last := int64((k+1)*5*clkBlock) - 1
		at := clkAudioZero + time.Duration(last+1)*time.Second/clkRate + time.Duration(k%10)*time.Millisecond
		if at > clkEnd+time.Second {
			break
		}
		evs = append(evs, clkEvent{at: at, kind: 1, n: k})
	}
	slices.SortStableFunc(evs, func(a, b clkEvent) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.kind - b.kind
	})
	jumpAt := func(h time.Duration) bool {
		for _, c := range plan {
			if h >= c.jump && h < c.jump+600*time.Millisecond {
				return true
			}
		}
		return false
	}
	clicks := map[int64]bool{}
	for _, c := range plan {
		clicks[int64(math.Ceil((c.jump-clkAudioZero).Seconds()*clkRate))] = true
	}
	onScreen := false
	for _, e := range evs {
		switch e.kind {
		case 0:
			taken := sampleTime(e.n)
			x := 0.25
			if jumpAt(taken) {
				x = 0.75
			}
			s := tracker.Sample{Host: e.at, CNT: int64(e.n), Time: clkDevZero + taken.Seconds(),
				TimeTick: int64((clkDevZero + taken.Seconds()) * 1e7), TickFreq: 10_000_000,
				FPOGX: x, FPOGY: 0.5, FPOGV: true, BPOGX: x, BPOGY: 0.5, BPOGV: true, LPV: true, RPV: true}
			if onScreen {
				must(rec.Gaze(s))
			}
		case 1:
			for b := range 5 {
				f := int64((e.n*5 + b) * clkBlock)
				pcm := make([]int16, clkBlock)
				for i := range pcm {
					pcm[i] = int16(300 * math.Sin(float64(f+int64(i))*2*math.Pi*220/clkRate))
				}
				for c := range clicks {
					for i := max(c, f); i < min(c+32, f+clkBlock); i++ {
						pcm[i-f] = 30000
					}
				}
				host := e.at - time.Duration(clkBlock)*time.Second/clkRate
				must(route.Add(audio.Block{Host: host, Frame: f, PCM: pcm}))
			}
		case 2, 3:
			e.act()
			onScreen = rec.ScreenDir() != ""
		}
	}
	must(route.Flush(-1))
	for _, c := range closing {
		must(c.Close())
		must(c.Wait())
	}
	must(rec.Close(session.StatusComplete))
	return dir
}

// clickHost is the session-clock time of the click at c's jump: the first audio frame at or
// after it.
func clickHost(c clkCase) time.Duration {
	f := int64(math.Ceil((c.jump - clkAudioZero).Seconds() * clkRate))
	return clkAudioZero + time.Duration(math.Round(float64(f)*1e9/clkRate))
}

// syncFaults checks one case's replay model, its placed times moved by gazeShift and
// audioShift: the first frame showing the jump must be the first frame at or after it, and the
// click must be heard within a millisecond of when it sounded.
func syncFaults(r *qa.Replay, c clkCase, gazeShift, audioShift time.Duration) []string {
	var out []string
	if r.OnsetFrom != qa.OnsetLayout || r.Start != c.onset {
		out = append(out, fmt.Sprintf("%s: replay starts at %v (%s), want the onset %v", c.id, r.Start, r.OnsetFrom, c.onset))
	}
	first := -1
	for k := 0; ; k++ {
		t := FrameTime(r, k, clkFPS)
		if t > r.End {
			break
		}
		if f := r.At(t - gazeShift); f.HasGaze && f.Gaze.X > 0.5 {
			first = k
			break
		}
	}
	if first != c.wantFrame {
		out = append(out, fmt.Sprintf("%s: the jump shows first in frame %d, want %d (the first at or after %v)", c.id, first, c.wantFrame, c.jump))
	}
	// The click in audio.wav, placed by audio.json.
	samples := readWAV(r.Case.Audio.WAV)
	at := -1
	for i, v := range samples {
		if v > 15000 {
			at = i
			break
		}
	}
	placed, ok := r.AudioTime(int64(at))
	placed += audioShift
	if d := placed - clickHost(c); at < 0 || !ok || d < -time.Millisecond || d > time.Millisecond {
		out = append(out, fmt.Sprintf("%s: click placed at %v, it sounded at %v (%v off; frame %d)", c.id, placed, clickHost(c), placed-clickHost(c), at))
	}
	return out
}

func readWAV(path string) []int16 {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 44 {
		return nil
	}
	out := make([]int16, (len(b)-44)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[44+2*i:]))
	}
	return out
}

// clockShift reads a deliberate shift for a by-hand run that shows the MP4 check fails:
// SIGHTLINE_SYNC_SHIFT="audio=10ms" or "gaze=-10ms".
func clockShift(t *testing.T) (gaze, aud time.Duration) {
	v := os.Getenv("SIGHTLINE_SYNC_SHIFT")
	if v == "" {
		return 0, 0
	}
	k, d, _ := strings.Cut(v, "=")
	dur, err := time.ParseDuration(d)
	if err != nil {
		t.Fatalf("SIGHTLINE_SYNC_SHIFT %q: %v", v, err)
	}
	t.Logf("deliberately shifted: %s by %v", k, dur)
	if k == "gaze" {
		return dur, 0
	}
	return 0, dur
}

// TestOneClock: three cases, the second paused before its jump; in the replay model and in the
// decoded MP4, each click is heard within 1 ms of when it sounded and each gaze jump shows in
// exactly the first frame at or after it. Shifting the audio or the gaze by ±10 ms in the model
// fails the check (asserted here); for the MP4, set SIGHTLINE_SYNC_SHIFT (docs: README).
func TestOneClock(t *testing.T) {
	plan := clkPlan()
	dir := recordClocked(t, plan)
	o, err := session.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Cases) != len(plan) {
		t.Fatalf("%d cases recorded, want %d", len(o.Cases), len(plan))
	}
	gShift, aShift := clockShift(t)
	for i, c := range plan {
		r, err := qa.Load(o, o.Cases[i], qa.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if m := r.Audio; m == nil || !m.Anchored || m.GapFrames != 0 {
			t.Fatalf("%s: audio.json %+v: want anchored at the onset, no gap", c.id, m)
		}
		if h, _ := r.AudioTime(0); h < c.onset-time.Second/clkRate || h > c.onset+time.Second/clkRate {
			t.Errorf("%s: audio.wav's first frame at %v, want the onset %v", c.id, h, c.onset)
		}
		for _, f := range syncFaults(r, c, gShift, aShift) {
			t.Error("model: " + f)
		}
		// The check can fail: a 10 ms shift either way of the audio, and of the gaze where the
		// jump sits within 10 ms of a frame, is caught.
		for _, s := range []time.Duration{-10 * time.Millisecond, 10 * time.Millisecond} {
			if len(syncFaults(r, c, 0, s)) == 0 {
				t.Errorf("%s: audio shifted %v passes the check", c.id, s)
			}
		}
		if i == 0 && len(syncFaults(r, c, -10*time.Millisecond, 0)) == 0 {
			t.Errorf("%s: gaze 10 ms early passes the check", c.id)
		}
		if i == 1 && len(syncFaults(r, c, 10*time.Millisecond, 0)) == 0 {
			t.Errorf("%s: gaze 10 ms late passes the check", c.id)
		}
		t.Run("mp4 "+c.id, func(t *testing.T) {
			needFFmpeg(t)
			mp4Sync(t, r, c, gShift, aShift)
		})
	}
}

// mp4Sync writes the case's review video and finds the click and the jump in it, from the
// decoded file alone.
func mp4Sync(t *testing.T, r *qa.Replay, c clkCase, gShift, aShift time.Duration) {
	if m := *r.Audio; aShift != 0 {
		m.StartHostNS += int64(aShift) // the audio placed late by aShift
		r.Audio = &m
	}
	if gShift != 0 {
		for i := range r.Gaze {
			r.Gaze[i].T += gShift
		}
	}
	res, out := writeVideo(t, r)
	pcm := decode(t, "-i", out, "-map", "0:a:0", "-ac", "1", "-ar", strconv.Itoa(clkRate), "-f", "s16le", "-")
	at := -1
	for i := 0; i+1 < len(pcm); i += 2 {
		if int16(binary.LittleEndian.Uint16(pcm[i:])) > 15000 {
			at = i / 2
			break
		}
	}
	aStart := seconds(t, probe(t, out, "a:0", "stream=start_time"))
	heard := aStart + time.Duration(math.Round(float64(at)*1e9/clkRate))
	want := clickHost(c) - r.Start
	if d := heard - want; at < 0 || d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("click heard at %v in the video, it sounded at %v (%v off)", heard, want, d)
	}
	pts := strings.Fields(probe(t, out, "v:0", "frame=pts_time"))
	raw := decode(t, "-i", out, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-fps_mode", "passthrough", "-")
	size := res.W * res.H * 3
	x, y := int(0.75*float64(res.W)), int(0.5*float64(res.H-StripHeight))
	shown := -1
	for k := range min(len(pts), len(raw)/size) {
		if near(raw[k*size+(y*res.W+x)*3:], qa.GazeColor) {
			shown = k
			break
		}
	}
	if shown != c.wantFrame {
		t.Errorf("the jump at %v shows first in frame %d of the video, want %d", c.jump-r.Start, shown, c.wantFrame)
	} else {
		t.Logf("click at %v heard at %v (%v off); jump at %v in frame %d at %v", want, heard, heard-want, c.jump-r.Start, shown, pts[shown])
	}
}
