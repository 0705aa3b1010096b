package qa_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sightline/reader/qa"
	"sightline/reader/qa/qatest"
	"sightline/reader/session"
	"sightline/reader/study"
	"sightline/reader/wav"
)

const ms = time.Millisecond

// threeCases: a calibration screen, a case with audio, a click, a jump, track loss, a blink, a
// pause and a transcript, and a gaze-poor case without audio.
func threeCases() qatest.Session {
	return qatest.Session{ID: "s1", Reader: "R1", Cases: []qatest.Case{
		{DicomID: session.CalibrationID("s1", 1), Kind: session.KindCalibration, Samples: 60},
		{DicomID: "a", Samples: 600, JumpAt: 300, InvalidFrom: 100, InvalidTo: 130, BlinkFrom: 400, BlinkTo: 409,
			Audio: true, AudioLead: 250 * ms, DriftPPM: 80, Click: 5 * time.Second,
			Phrases: []qatest.Phrase{{Text: "heart", Begin: 1.0, End: 1.5}, {Text: "normal size", Begin: 2.0, End: 3.0}, {Text: "no effusion", Begin: 6.0, End: 7.25}},
			Events: []qatest.Event{{At: 2 * time.Second, Kind: "paused"}, {At: 3 * time.Second, Kind: "resumed"},
				{At: 4 * time.Second, Kind: "marked_for_reread", Attrs: map[string]string{"dicom_id": "a"}}}},
		{DicomID: "b", Samples: 120, InvalidFrom: 10, InvalidTo: 60},
	}}
}

func load(t testing.TB, s qatest.Session, i int) (*session.Opened, *qa.Replay) {
	t.Helper()
	dir := qatest.Record(t, study.SessionDir(t.TempDir(), s.ID), s)
	o, err := session.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := qa.Load(o, o.Cases[i], qa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return o, r
}

func TestSpanAndRows(t *testing.T) {
	s := threeCases()
	_, r := load(t, s, 1)
	start := s.Screen(1)
	if r.Start != start || r.End != start+10*time.Second || !r.Ended {
		t.Fatalf("span %v…%v ended %v, want %v…%v ended", r.Start, r.End, r.Ended, start, start+10*time.Second)
	}
	if len(r.Gaze) != 600 || r.Gaze[0].T != start || absDur(r.Gaze[599].T-start-599*time.Second/60) > time.Microsecond {
		t.Fatalf("%d gaze samples from %v to %v", len(r.Gaze), r.Gaze[0].T, r.Gaze[len(r.Gaze)-1].T)
	}
	if len(r.Problems) != 0 {
		t.Fatalf("problems: %v", r.Problems)
	}
}

// TestVisibleAt is the timeline maths against the recorded clock: at each t, the fixations
// begun, the one in progress, the gaze sample and the trail, the phrase.
func TestVisibleAt(t *testing.T) {
	s := threeCases()
	_, r := load(t, s, 1)
	start := s.Screen(1)
	// Rows keep device times to 100 ns (docs/FORMATS.md §1).
	at := func(n int) time.Duration { return start + (time.Duration(n) * time.Second / 60).Round(100) }
	for _, tc := range []struct {
		name      string
		at        time.Duration
		fixations int // begun at or before at
		current   bool
		gazeN     int // index of the latest sample
		trail     int
		phrase    int
	}{
		{"before the case clamps to its start", start - time.Second, 1, true, 0, 1, -1},
		{"the start", start, 1, true, 0, 1, -1},
		{"within the first fixation", at(5), 1, true, 5, 6, -1},
		{"the second fixation's first sample", at(12), 2, true, 12, 13, -1},
		{"half a sample later", at(12) + time.Second/120, 2, true, 12, 13, -1},
		{"in a phrase", start + 1250*ms, 7, true, 75, qa.TrailLen, 0},
		{"between phrases", start + 1750*ms, 9, true, 105, qa.TrailLen, -1},
		{"the jump", start + 5*time.Second, 26, true, 300, qa.TrailLen, -1},
		{"the last sample", at(599), 50, true, 599, qa.TrailLen, -1},
		{"the end, after the last fixation", start + 10*time.Second, 50, false, 599, qa.TrailLen, -1},
		{"past the end clamps", start + time.Hour, 50, false, 599, qa.TrailLen, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := r.At(tc.at)
			want := r.Clamp(tc.at)
			if f.T != want {
				t.Errorf("T %v, want %v", f.T, want)
			}
			if len(f.Fixations) != tc.fixations {
				t.Errorf("%d fixations visible, want %d", len(f.Fixations), tc.fixations)
			}
			for i, x := range f.Fixations {
				if x.Start > f.T || x.N != i+1 {
					t.Errorf("fixation %d (N %d) starts at %v, after %v", i, x.N, x.Start, f.T)
				}
			}
			if n := len(r.Fixations); len(f.Fixations) < n && r.Fixations[len(f.Fixations)].Start <= f.T {
				t.Errorf("fixation %d began at %v but is not visible at %v", len(f.Fixations)+1, r.Fixations[len(f.Fixations)].Start, f.T)
			}
			if (f.Current >= 0) != tc.current {
				t.Errorf("current %d, want one: %v", f.Current, tc.current)
			}
			if !f.HasGaze || f.Gaze != r.Gaze[tc.gazeN] {
				t.Errorf("gaze %+v, want sample %d %+v", f.Gaze, tc.gazeN, r.Gaze[tc.gazeN])
			}
			if len(f.Trail) != tc.trail || f.Trail[len(f.Trail)-1] != f.Gaze {
				t.Errorf("trail of %d ending %+v, want %d ending at the gaze", len(f.Trail), f.Trail[len(f.Trail)-1], tc.trail)
			}
			if f.Phrase != tc.phrase {
				t.Errorf("phrase %d, want %d", f.Phrase, tc.phrase)
			}
		})
	}
}

func TestMarks(t *testing.T) {
	s := threeCases()
	_, r := load(t, s, 1)
	start := s.Screen(1)
	sample := time.Second / 60
	want := map[qa.MarkKind][2]time.Duration{
		qa.MarkPause:     {start + 2*time.Second, start + 3*time.Second},
		qa.MarkOperator:  {start + 4*time.Second, start + 4*time.Second},
		qa.MarkTrackLoss: {start + 100*sample, start + 130*sample},
		qa.MarkBlink:     {start + 400*sample, start + 408*sample},
		qa.MarkKey:       {start + 10*time.Second, start + 10*time.Second},
	}
	got := map[qa.MarkKind][2]time.Duration{}
	for i, m := range r.Marks {
		if i > 0 && m.T < r.Marks[i-1].T {
			t.Errorf("marks out of order: %v before %v", r.Marks[i-1], m)
		}
		if _, dup := got[m.Kind]; dup {
			t.Errorf("two %s marks: %v", m.Kind, r.Marks)
		}
		got[m.Kind] = [2]time.Duration{m.T, m.End}
	}
	for k, w := range want {
		if g := got[k]; absDur(g[0]-w[0]) > time.Microsecond || absDur(g[1]-w[1]) > time.Microsecond {
			t.Errorf("%s mark %v…%v, want %v…%v", k, g[0], g[1], w[0], w[1])
		}
	}
	if len(got) != len(want) {
		t.Errorf("marks %v, want kinds %v", r.Marks, want)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// TestSync: the audio's click and the gaze's jump happened at the same instant; in the model
// they coincide within 1 ms, the audio placed through audio.json's clock fit (which runs
// 80 ppm fast and starts 250 ms before the screen).
func TestSync(t *testing.T) {
	for _, c := range []struct {
		name  string
		drift float64
		lead  time.Duration
	}{{"drift and lead", 80, 250 * ms}, {"no drift", 0, 0}, {"slow clock", -120, 40 * ms}} {
		t.Run(c.name, func(t *testing.T) {
			s := threeCases()
			s.Cases[1].DriftPPM, s.Cases[1].AudioLead = c.drift, c.lead
			o, r := load(t, s, 1)
			_, pcm, err := readPCM(o.Cases[1].Audio.WAV)
			if err != nil {
				t.Fatal(err)
			}
			click := -1
			for i, v := range pcm {
				if v > 20000 {
					click = i
					break
				}
			}
			if click < 0 {
				t.Fatal("no click in audio.wav")
			}
			heard, ok := r.AudioTime(int64(click))
			if !ok {
				t.Fatal("no audio clock")
			}
			// The jump as the replay shows it: the first frame time at which the gaze is right.
			lo, hi := r.Start, r.End
			for hi-lo > 10*time.Microsecond {
				mid := lo + (hi-lo)/2
				if f := r.At(mid); f.HasGaze && f.Gaze.X > 0.5 {
					hi = mid
				} else {
					lo = mid
				}
			}
			if d := absDur(hi - heard); d > time.Millisecond {
				t.Fatalf("click heard at %v, jump seen at %v: %v apart", heard, hi, d)
			}
			// And the waveform shows the click in the column of that instant.
			cols := r.Waveform(hi-50*ms, hi+50*ms, 10, nil)
			if cols[5] < 0.9 || cols[3] > 0.1 {
				t.Fatalf("waveform around the jump %v: the click should be in column 5", cols)
			}
		})
	}
}

func readPCM(path string) (wav.Format, []int16, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return wav.Format{}, nil, err
	}
	f, err := wav.ParseHeader(strings.NewReader(string(b)))
	if err != nil {
		return f, nil, err
	}
	d := b[f.DataOffset:]
	pcm := make([]int16, len(d)/2)
	for i := range pcm {
		pcm[i] = int16(uint16(d[2*i]) | uint16(d[2*i+1])<<8)
	}
	return f, pcm, nil
}

func TestTranscriptOnAudioClock(t *testing.T) {
	s := threeCases()
	_, r := load(t, s, 1)
	if len(r.Phrases) != 3 || r.Phrases[1].Text != "normal size" {
		t.Fatalf("phrases %+v", r.Phrases)
	}
	// 2.0 s into the audio, which started 250 ms before the screen and runs 80 ppm fast.
	want := s.Screen(1) - 250*ms + time.Duration(2.0*(1+80e-6)*1e9)
	if d := absDur(r.Phrases[1].Begin - want); d > time.Microsecond {
		t.Fatalf("phrase at %v, want %v", r.Phrases[1].Begin, want)
	}
	if p := r.PhraseAt(want + 500*ms); p != 1 {
		t.Fatalf("phrase at %v: %d, want 1", want+500*ms, p)
	}
}

func TestPlayhead(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	p := qa.NewPlayhead(10*time.Second, 20*time.Second, clock)
	type step struct {
		name    string
		do      func()
		pos     time.Duration
		playing bool
	}
	for _, s := range []step{
		{"paused at the start", func() {}, 10 * time.Second, false},
		{"paused does not move", func() { now = now.Add(time.Second) }, 10 * time.Second, false},
		{"play", func() { p.Play(); now = now.Add(time.Second) }, 11 * time.Second, true},
		{"seek while playing", func() { p.Seek(15 * time.Second); now = now.Add(500 * ms) }, 15500 * ms, true},
		{"double speed", func() { p.SetSpeed(2); now = now.Add(time.Second) }, 17500 * ms, true},
		{"speed is bounded", func() { p.SetSpeed(10); now = now.Add(500 * ms) }, 19500 * ms, true},
		{"stops at the end", func() { now = now.Add(time.Second) }, 20 * time.Second, false},
		{"play again restarts", func() { p.SetSpeed(1); p.Play(); now = now.Add(time.Second) }, 11 * time.Second, true},
		{"step back clamps", func() { p.Step(-5 * time.Second) }, 10 * time.Second, true},
		{"follow the audio", func() { p.Follow(12 * time.Second); now = now.Add(100 * ms) }, 12100 * ms, true},
		{"pause", func() { p.Pause(); now = now.Add(time.Second) }, 12100 * ms, false},
		{"seek before the start", func() { p.Seek(0) }, 10 * time.Second, false},
	} {
		s.do()
		if got := p.Position(); got != s.pos || p.Playing() != s.playing {
			t.Fatalf("%s: at %v playing %v, want %v playing %v", s.name, got, p.Playing(), s.pos, s.playing)
		}
	}
	if p.Speed() != 1 {
		t.Fatalf("speed %v", p.Speed())
	}
}

func TestMeasureAndChecklist(t *testing.T) {
	s := threeCases()
	s.Cases = append(s.Cases, qatest.Case{DicomID: "c", Samples: 60, Audio: true, Silent: true},
		qatest.Case{DicomID: "d", Samples: 60, Audio: true, Open: true})
	dir := qatest.Record(t, study.SessionDir(t.TempDir(), "s1"), s)
	o, err := session.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	meas := qa.MeasureSession(o)
	if len(meas) != 5 {
		t.Fatalf("%d cases measured", len(meas))
	}
	type cl struct{ files, audio, stop, gaze, calib bool }
	for _, tc := range []struct {
		i    int
		want cl
	}{
		{0, cl{true, false, true, true, true}}, // a calibration screen: its validation judges the gaze; no audio to judge (not measured)
		{1, cl{true, true, true, true, true}},
		{2, cl{true, false, true, false, true}}, // 50 of 120 samples lost; no audio in a session that records it
		{3, cl{true, false, true, true, true}},  // silent
		{4, cl{true, true, false, true, true}},  // cut off on screen
	} {
		m := meas[tc.i]
		c := m.Checklist()
		got := cl{c.FilesWhole, c.AudioOK, c.NoAbruptStop, c.GazeValid, c.CalibrationGood}
		if got != tc.want {
			t.Errorf("case %s: checklist %+v, want %+v (problems %v)", m.Case, got, tc.want, m.Problems)
		}
	}
	a := meas[1]
	if a.Check == nil || !a.Check.Before || a.Check.Report.Round != 1 {
		t.Errorf("nearest check %+v", a.Check)
	}
	if !a.Audio.Present || a.Audio.PeakDB != -6 || !a.Audio.HasDrift || math.Abs(a.Audio.DriftMS-0.8) > 1e-9 {
		t.Errorf("audio %+v", a.Audio)
	}
	if meas[2].DataLoss < 0.41 || meas[2].LongestLoss != 833*ms {
		t.Errorf("b: data loss %v, longest %v", meas[2].DataLoss, meas[2].LongestLoss)
	}
	if meas[1].Faults() != 0 || meas[2].Faults() == 0 || meas[4].Faults() == 0 {
		t.Errorf("faults: a %d, b %d, d %d", meas[1].Faults(), meas[2].Faults(), meas[4].Faults())
	}
}

// TestBadInput: each of the bad inputs loads, with its problem named.
func TestBadInput(t *testing.T) {
	s := threeCases()
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, caseDir string)
		want  string // in a problem of the case or the replay
	}{
		{"a WAV truncated by a kill", func(t *testing.T, d string) {
			p := filepath.Join(d, session.AudioFile)
			st, _ := os.Stat(p)
			if err := os.Truncate(p, st.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
		{"a missing audio.json", func(t *testing.T, d string) {
			os.Remove(filepath.Join(d, session.AudioMetaFile))
		}, "audio.json: missing"},
		{"a broken CSV row", func(t *testing.T, d string) {
			p := filepath.Join(d, session.GazeFile)
			b, _ := os.ReadFile(p)
			lines := strings.SplitAfter(string(b), "\n")
			lines[5] = "1,2,three\n"
			os.WriteFile(p, []byte(strings.Join(lines, "")), 0o644)
		}, "eye_gaze.csv:6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := qatest.Record(t, study.SessionDir(t.TempDir(), "s1"), s)
			o0, _ := session.Open(dir)
			tc.spoil(t, o0.Cases[1].Dir)
			o, err := session.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			r, err := qa.Load(o, o.Cases[1], qa.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var all []string
			for _, p := range append(append([]session.Problem{}, o.Cases[1].Problems...), r.Problems...) {
				all = append(all, p.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.want) {
				t.Fatalf("problems %q, want one naming %q", all, tc.want)
			}
			if len(r.Gaze) < 590 {
				t.Fatalf("only %d samples replay", len(r.Gaze))
			}
			m := qa.Measure(o, o.Cases[1])
			m.Add(r)
			if m.Checklist().FilesWhole {
				t.Fatal("the checklist says the files are whole")
			}
		})
	}
	t.Run("gaze-only session", func(t *testing.T) {
		g := threeCases()
		g.GazeOnly = true
		g.Cases[1].Audio = false
		_, r := load(t, g, 1)
		if r.Wave != nil || r.Audio != nil {
			t.Fatal("audio in a gaze-only case")
		}
		if _, ok := r.AudioTime(0); ok {
			t.Fatal("an audio clock without audio")
		}
		if f := r.At(r.Start + time.Second); !f.HasGaze {
			t.Fatal("no gaze")
		}
	})
	t.Run("a case still being recorded", func(t *testing.T) {
		g := threeCases()
		g.Cases[1].Open = true
		o, r := load(t, g, 1)
		if !o.Live {
			t.Fatal("not live")
		}
		if r.Ended || r.End != r.Gaze[len(r.Gaze)-1].T && r.End < r.Gaze[len(r.Gaze)-1].T {
			t.Fatalf("cut-off case ended %v at %v", r.Ended, r.End)
		}
		found := false
		for _, p := range o.Cases[1].Problems {
			found = found || p.Kind == session.ProblemLive
		}
		if !found {
			t.Fatalf("problems %v", o.Cases[1].Problems)
		}
	})
}

func openSession(t testing.TB, dir string) (*session.Opened, error) {
	t.Helper()
	o, err := session.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return o, nil
}
