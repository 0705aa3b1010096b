package session

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"sightline/reader/stage"
	"sightline/reader/wav"
	"sightline/tracker"
)

// wavBytes is a 16-bit mono PCM WAV of frames frames at 16 kHz, as reader/audio writes one.
func wavBytes(frames int) []byte {
	b := append(wav.Header(16000, 1, uint32(2*frames)), make([]byte, 2*frames)...)
	for i := range frames {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(i*37))
	}
	return b
}

// recorded is a session recorded through the Recorder as the station records one: a plan of
// three cases and a calibration screen, each case with its audio, quality and a transcript,
// a calibration report, and case "b" failed and read again at the end.
type recorded struct {
	dir     string
	rec     *Recorder
	plan    []Screen
	quality map[int]Quality // by screen index
	check   CheckReport
	samples int
}

const openSamples = 40

func record(t *testing.T, meta Meta, audio bool) *recorded {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "s1")
	plan := []Screen{{0, KindCase, "a"}, {1, KindCalibration, CalibrationID("s1", 1)}, {2, KindCase, "b"}, {3, KindCase, "c"}}
	meta.SessionID, meta.Plan = "s1", plan
	r, err := Create(dir, meta)
	if err != nil {
		t.Fatal(err)
	}
	rc := &recorded{dir: dir, rec: r, plan: plan, quality: map[int]Quality{}, samples: openSamples}
	var g gen
	read := func(sc Screen) {
		t.Helper()
		if err := r.BeginScreen(sc, layoutFor(sc), g.host()); err != nil {
			t.Fatal(err)
		}
		var fixes []tracker.Sample
		for i := 0; i < openSamples; i++ {
			s := g.next()
			if err := r.Gaze(s); err != nil {
				t.Fatal(err)
			}
			if g.lastOfFixation() {
				fixes = append(fixes, s)
				if err := r.Fixation(s); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := r.FilterFixations("idt", "I-DT 1° 100 ms", fixes); err != nil {
			t.Fatal(err)
		}
		if sc.Kind == KindCalibration {
			rc.check = CheckReport{Round: 1, Calibration: &CalSummary{AveErrorPx: 17.5, ValidPoints: 9,
				Points: []CalPoint{{X: 0.1, Y: 0.1, LX: 0.11, LY: 0.1, LValid: true}}},
				Validation: Validation{AccuracyDeg: 0.6, PrecisionDeg: 0.1, DataLoss: 0.02, Verdict: "good",
					Points: []PointQuality{{X: 0.5, Y: 0.5, AccuracyDeg: 0.6, N: 30}}}}
			if err := r.SaveCheck(rc.check); err != nil {
				t.Fatal(err)
			}
		} else {
			q := Quality{Verdict: "pass", DataLoss: 0.01, LongestLossMS: 120, Samples: openSamples, Expected: openSamples}
			if sc.DicomID == "b" && sc.Index == 2 {
				q = Quality{Verdict: "fail", Reasons: []string{"data loss 40%"}, DataLoss: 0.4, Samples: 24, Expected: openSamples}
			}
			if audio {
				q.Audio = &AudioCheck{Seconds: 1, PeakDB: -12, OffsetMS: 3}
				cd := r.ScreenDir()
				if err := os.WriteFile(filepath.Join(cd, AudioFile), wavBytes(16000), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := writeJSON(filepath.Join(cd, AudioMetaFile), AudioMeta{Rate: 16000, Channels: 1,
					FirstFrameHostNS: int64(g.host()), Frames: 16000, Device: "null", Complete: true}); err != nil {
					t.Fatal(err)
				}
				tr := `{"full_text": "clear lungs", "time_stamped_text": [{"phrase": "clear lungs", "begin_time": 0.1, "end_time": 0.9}]}`
				if err := os.WriteFile(filepath.Join(cd, TranscriptFile), []byte(tr), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.CaseQuality(q); err != nil {
				t.Fatal(err)
			}
			rc.quality[sc.Index] = q
		}
		if err := r.Event(g.host(), "key", map[string]string{"key": "space"}); err != nil {
			t.Fatal(err)
		}
		if err := r.EndScreen(g.host()); err != nil {
			t.Fatal(err)
		}
	}
	for _, sc := range plan {
		read(sc)
	}
	reread := Screen{Index: 4, Kind: KindCase, DicomID: "b"}
	if err := r.ExtendPlan([]Screen{reread}); err != nil {
		t.Fatal(err)
	}
	rc.plan = append(rc.plan, reread)
	read(reread)
	return rc
}

// host is the host time of the next sample, without taking it.
func (g *gen) host() time.Duration { return time.Duration(g.cnt) * time.Second / 60 }

func mustOpen(t *testing.T, dir string) *Opened {
	t.Helper()
	o, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func problems(ps []Problem) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprintf("[%s] %s", p.Kind, p))
	}
	return strings.Join(s, "\n")
}

func allProblems(o *Opened) []Problem {
	ps := slices.Clone(o.Problems)
	for _, c := range o.Cases {
		ps = append(ps, c.Problems...)
		for _, cp := range c.Interrupted {
			ps = append(ps, cp.Problems...)
		}
	}
	return ps
}

// A session recorded by the Recorder opens whole: every record as written, cases in reading
// order, the failed first read of "b" superseded by its re-read, no problems.
func TestOpenRecordedSession(t *testing.T) {
	rc := record(t, Meta{Audio: "null sink"}, true)
	if err := rc.rec.Close(StatusComplete); err != nil {
		t.Fatal(err)
	}
	o := mustOpen(t, rc.dir)
	if ps := allProblems(o); len(ps) > 0 {
		t.Fatalf("problems in a whole session:\n%s", problems(ps))
	}
	if o.Live || o.State.Status != StatusComplete || len(o.State.Plan) != 5 {
		t.Fatalf("state: live %v, %+v", o.Live, o.State)
	}
	var got []string
	for _, c := range o.Cases {
		got = append(got, fmt.Sprintf("%d-%s/%s final=%v", c.Screen.Index, c.Screen.DicomID, c.Screen.Kind, c.Final()))
	}
	want := []string{"0-a/case final=true", "1-calibration-s1-1/calibration final=true", "2-b/case final=false",
		"3-c/case final=true", "4-b/case final=true"}
	if !slices.Equal(got, want) {
		t.Fatalf("cases:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	first, final := o.Cases[2], o.Cases[4]
	if first.SupersededBy != final || len(final.Superseded) != 1 || final.Superseded[0] != first {
		t.Fatalf("superseded links: %v %v", first.SupersededBy, final.Superseded)
	}
	if len(o.Checks) != 1 || !reflect.DeepEqual(o.Checks[0], rc.check) {
		t.Fatalf("checks %+v, want %+v", o.Checks, rc.check)
	}
	kinds := map[string]int{}
	for _, e := range o.Events {
		kinds[e.Kind]++
	}
	if kinds[EventScreenShown] != 5 || kinds[EventScreenEnded] != 5 || kinds["key"] != 5 || kinds[EventClosed] != 1 {
		t.Fatalf("event kinds %v", kinds)
	}
	for _, c := range o.Cases {
		if !c.HasLayout || c.Layout.Layout != layoutFor(c.Screen) || c.Layout.StageWidth != stage.Width {
			t.Errorf("%s: layout %+v", c.Name, c.Layout)
		}
		if c.Filters["idt"] != "I-DT 1° 100 ms" || !slices.Equal(c.FilterNames(), []string{"idt"}) {
			t.Errorf("%s: filters %v, names %v", c.Name, c.Filters, c.FilterNames())
		}
		rows, ps, err := c.Rows(RowFile("gaze"))
		if err != nil || len(ps) > 0 || len(rows) != openSamples || rows[0].DicomID != c.Screen.DicomID || rows[0].MediaID != c.Screen.Index {
			t.Errorf("%s: %d gaze rows, problems %v, err %v", c.Name, len(rows), ps, err)
		}
		fix, _, err := c.Rows(RowFile("device"))
		if err != nil || len(fix) == 0 {
			t.Errorf("%s: %d fixations, err %v", c.Name, len(fix), err)
		}
		if c.Screen.Kind == KindCalibration {
			if c.Quality != nil || c.Audio != nil {
				t.Errorf("%s: calibration screen with quality %v audio %v", c.Name, c.Quality, c.Audio)
			}
			continue
		}
		if q := rc.quality[c.Screen.Index]; c.Quality == nil || !reflect.DeepEqual(*c.Quality, q) {
			t.Errorf("%s: quality %+v, want %+v", c.Name, c.Quality, q)
		}
		a := c.Audio
		if a == nil || a.Meta == nil || !a.HeaderOK || a.Header.Frames() != 16000 || a.Meta.Frames != 16000 || a.WAV == "" {
			t.Errorf("%s: audio %+v", c.Name, a)
		}
		if c.Transcript != filepath.Join(c.Dir, TranscriptFile) {
			t.Errorf("%s: transcript %q", c.Name, c.Transcript)
		}
		if tr, err := c.ReadTranscript(); err != nil || tr.FullText != "clear lungs" || len(tr.Phrases) != 1 || tr.Phrases[0].End != 0.9 {
			t.Errorf("%s: transcript %+v, %v", c.Name, tr, err)
		}
	}
}

// Bad input: each fault is named, as a problem of its case or of the session, and the rest of
// the session still reads.
func TestOpenBadInput(t *testing.T) {
	caseB := func(o *Opened) *Case { return o.Cases[4] } // the final read of "b"
	tests := []struct {
		name  string
		meta  Meta
		audio bool
		live  bool // leave the recorder open
		crash bool // drop the recorder's lock, as a killed process does
		spoil func(t *testing.T, rc *recorded)
		check func(t *testing.T, o *Opened)
		want  []string // "kind file[:line]" of the problems expected, in any order
	}{
		{
			name: "WAV truncated by a kill", audio: true,
			spoil: func(t *testing.T, rc *recorded) {
				dir := filepath.Join(rc.dir, CasesDir, "04-b")
				appendBytes(t, filepath.Join(dir, AudioFile), strings.Repeat("\x01\x00", 800))
				m := AudioMeta{Rate: 16000, Channels: 1, Frames: 0, Device: "null"}
				if err := writeJSON(filepath.Join(dir, AudioMetaFile), m); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"audio cases/04-b/audio.wav", "audio cases/04-b/audio.json"},
		},
		{
			name: "WAV shorter than its header", audio: true,
			spoil: func(t *testing.T, rc *recorded) {
				if err := os.Truncate(filepath.Join(rc.dir, CasesDir, "00-a", AudioFile), 1000); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"audio cases/00-a/audio.wav"},
		},
		{
			name: "not a WAV", audio: true,
			spoil: func(t *testing.T, rc *recorded) {
				writeFile(t, filepath.Join(rc.dir, CasesDir, "03-c", AudioFile), "RIFF\x24\x00\x00\x00WAVEfmt junk")
			},
			want: []string{"audio cases/03-c/audio.wav"},
		},
		{
			name: "missing audio.json", audio: true,
			spoil: func(t *testing.T, rc *recorded) {
				if err := os.Remove(filepath.Join(rc.dir, CasesDir, "03-c", AudioMetaFile)); err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, o *Opened) {
				if a := o.Cases[3].Audio; a == nil || a.Meta != nil || !a.HeaderOK {
					t.Errorf("audio without its record: %+v", a)
				}
			},
			want: []string{"missing cases/03-c/audio.json"},
		},
		{
			name: "gaze-only session", meta: Meta{Audio: "none: no microphone"},
			check: func(t *testing.T, o *Opened) {
				for _, c := range o.Cases {
					if c.Audio != nil {
						t.Errorf("%s: audio %+v in a gaze-only session", c.Name, c.Audio)
					}
				}
				if !strings.Contains(o.Cases[0].Problems[0].Message, "gaze-only session: no microphone") {
					t.Errorf("gaze-only not said: %v", o.Cases[0].Problems)
				}
			},
			want: []string{"audio cases/00-a", "audio cases/02-b", "audio cases/03-c", "audio cases/04-b"},
		},
		{
			name: "case without audio in a session with audio", audio: true,
			spoil: func(t *testing.T, rc *recorded) {
				for _, f := range []string{AudioFile, AudioMetaFile} {
					if err := os.Remove(filepath.Join(rc.dir, CasesDir, "00-a", f)); err != nil {
						t.Fatal(err)
					}
				}
			},
			want: []string{"audio cases/00-a"},
		},
		{
			name: "CSV with a broken row", audio: true,
			spoil: func(t *testing.T, rc *recorded) {
				p := filepath.Join(rc.dir, CasesDir, "03-c", GazeFile)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.SplitAfter(string(b), "\n")
				lines[3] = "s1,3,c,not,a,row\n"
				lines[5] = strings.Replace(lines[5], ",c,", ",c,x", 1) // CNT "x…": not an integer
				writeFile(t, p, strings.Join(lines, ""))
			},
			check: func(t *testing.T, o *Opened) {
				rows, ps, err := o.Cases[3].Rows(GazeFile)
				if err != nil || len(rows) != openSamples-2 {
					t.Fatalf("%d rows, err %v", len(rows), err)
				}
				if len(ps) != 2 || ps[0].Line != 4 || ps[1].Line != 6 || ps[0].File != "cases/03-c/eye_gaze.csv" ||
					!strings.Contains(ps[0].String(), "cases/03-c/eye_gaze.csv:4: row has 6 fields, want 37") {
					t.Fatalf("row problems:\n%s", problems(ps))
				}
			},
		},
		{
			name: "last row cut off", audio: true,
			spoil: func(t *testing.T, rc *recorded) {
				appendBytes(t, filepath.Join(rc.dir, CasesDir, "02-b", FixationFile), "s1,2,b,99,0.5")
			},
			check: func(t *testing.T, o *Opened) {
				_, ps, err := o.Cases[2].Rows(FixationFile)
				if err != nil || len(ps) != 1 || ps[0].Line == 0 {
					t.Fatalf("cut row: %v, %v", ps, err)
				}
			},
			want: []string{"row cases/02-b/fixations.csv"},
		},
		{
			name: "missing gaze file, broken records", audio: true,
			spoil: func(t *testing.T, rc *recorded) {
				c := filepath.Join(rc.dir, CasesDir, "00-a")
				if err := os.Remove(filepath.Join(c, GazeFile)); err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(c, QualityFile), `{"verdict": 3}`)
				writeFile(t, filepath.Join(c, LayoutFile), `{"index": 0, "kind": "poster"`)
				writeFile(t, filepath.Join(c, FiltersFile), `[]`)
			},
			check: func(t *testing.T, o *Opened) {
				c := o.Cases[0]
				if c.HasLayout || c.Quality != nil || c.Screen.Kind != KindCase {
					t.Errorf("broken records taken: layout %v quality %v kind %q", c.HasLayout, c.Quality, c.Screen.Kind)
				}
				if _, _, err := c.Rows(GazeFile); err == nil || !strings.Contains(err.Error(), "cases/00-a/eye_gaze.csv") {
					t.Errorf("missing rows: %v", err)
				}
			},
			want: []string{"missing cases/00-a/eye_gaze.csv", "malformed cases/00-a/quality.json",
				"malformed cases/00-a/layout.json", "malformed cases/00-a/filters.json"},
		},
		{
			name: "layout of another screen, stray folders", audio: true,
			spoil: func(t *testing.T, rc *recorded) {
				src, err := os.ReadFile(filepath.Join(rc.dir, CasesDir, "02-b", LayoutFile))
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(rc.dir, CasesDir, "03-c", LayoutFile), string(src))
				for _, d := range []string{"notes", "7-x.interrupted-0"} {
					if err := os.Mkdir(filepath.Join(rc.dir, CasesDir, d), 0o755); err != nil {
						t.Fatal(err)
					}
				}
			},
			check: func(t *testing.T, o *Opened) {
				if len(o.Cases) != 5 || o.Cases[3].Screen.Kind != KindCase {
					t.Errorf("cases %d, kind %q (from the plan)", len(o.Cases), o.Cases[3].Screen.Kind)
				}
			},
			want: []string{"malformed cases/03-c/layout.json", "malformed cases/notes", "malformed cases/7-x.interrupted-0"},
		},
		{
			name: "broken journal and check lines", audio: true,
			spoil: func(t *testing.T, rc *recorded) {
				appendBytes(t, filepath.Join(rc.dir, ChecksFile), "{\"round\": \"two\"}\n{\"round\":3,\"validation\":{\"verdict\":\"redo\"}}\n")
				appendBytes(t, filepath.Join(rc.dir, EventsFile), "not json\n{\"kind\":\"late\"}\n{\"host_ns\":5,\"ki")
			},
			check: func(t *testing.T, o *Opened) {
				if len(o.Checks) != 2 || o.Checks[1].Round != 3 {
					t.Errorf("checks after a bad line: %+v", o.Checks)
				}
				if o.Events[len(o.Events)-1].Kind != "late" {
					t.Errorf("events after a bad line: last %+v", o.Events[len(o.Events)-1])
				}
			},
			want: []string{"row calibrations.jsonl:2", "row events.jsonl:", "row events.jsonl:"},
		},
		{
			name: "still recording", live: true, audio: true,
			check: func(t *testing.T, o *Opened) {
				if !o.Live {
					t.Error("a live session opened as not live")
				}
			},
			want: []string{"recording ", "recording cases/05-c"},
		},
		{
			name: "interrupted session, not resumed", crash: true, audio: true,
			spoil: func(t *testing.T, rc *recorded) {
				appendBytes(t, filepath.Join(rc.dir, CasesDir, "05-c", GazeFile), "s1,5,c,1")
			},
			check: func(t *testing.T, o *Opened) {
				if o.Live || len(o.Cases) != 6 || !caseB(o).Final() || o.Cases[3].Final() {
					t.Errorf("live %v, %d cases, final b %v, first c final %v", o.Live, len(o.Cases), caseB(o).Final(), o.Cases[3].Final())
				}
			},
			want: []string{"interrupted ", "interrupted cases/05-c", "row cases/05-c/eye_gaze.csv"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := recordOpen(t, tc.meta, tc.audio, tc.live || tc.crash)
			if tc.crash {
				rc.rec.lock.Close()
			}
			if tc.spoil != nil {
				tc.spoil(t, rc)
			}
			o := mustOpen(t, rc.dir)
			var got []string
			for _, p := range allProblems(o) {
				got = append(got, string(p.Kind)+" "+p.File+lineOf(p))
			}
			want := slices.Clone(tc.want)
			for _, w := range want {
				i := slices.IndexFunc(got, func(g string) bool { return strings.HasPrefix(g, w) })
				if i < 0 {
					t.Errorf("no problem %q in:\n%s", w, problems(allProblems(o)))
					continue
				}
				got = slices.Delete(got, i, i+1)
			}
			if len(got) > 0 {
				t.Errorf("unexpected problems %q in:\n%s", got, problems(allProblems(o)))
			}
			if tc.check != nil {
				tc.check(t, o)
			}
			if tc.live {
				if err := rc.rec.Close(StatusComplete); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func lineOf(p Problem) string {
	if p.Line > 0 {
		return fmt.Sprintf(":%d", p.Line)
	}
	return ""
}

// recordOpen records the session and closes it, or with open, goes on to a sixth screen (c
// read again) and leaves it on screen, flushed.
func recordOpen(t *testing.T, meta Meta, audio, open bool) *recorded {
	t.Helper()
	rc := record(t, meta, audio)
	if !open {
		if err := rc.rec.Close(StatusComplete); err != nil {
			t.Fatal(err)
		}
		return rc
	}
	on := Screen{Index: 5, Kind: KindCase, DicomID: "c"}
	if err := rc.rec.ExtendPlan([]Screen{on}); err != nil {
		t.Fatal(err)
	}
	if err := rc.rec.BeginScreen(on, layoutFor(on), 0); err != nil {
		t.Fatal(err)
	}
	g := gen{cnt: 1000}
	for range 5 {
		if err := rc.rec.Gaze(g.next()); err != nil {
			t.Fatal(err)
		}
	}
	if err := rc.rec.Flush(); err != nil {
		t.Fatal(err)
	}
	return rc
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// An interrupted case: the copy kept by Resume hangs on the screen read again, named as such.
func TestOpenInterruptedCopy(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "s1")
	plan := []Screen{{0, KindCase, "a"}, {1, KindCase, "b"}}
	r, err := Create(dir, Meta{SessionID: "s1", Plan: plan, Audio: "none: test"})
	if err != nil {
		t.Fatal(err)
	}
	var g gen
	if err := r.BeginScreen(plan[0], layoutFor(plan[0]), 0); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := r.Gaze(g.next()); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	r.lock.Close() // the process dies with screen 0 on
	r2, err := Resume(dir, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range plan {
		if err := r2.BeginScreen(sc, layoutFor(sc), g.host()); err != nil {
			t.Fatal(err)
		}
		if err := r2.EndScreen(g.host()); err != nil {
			t.Fatal(err)
		}
	}
	if err := r2.Close(StatusComplete); err != nil {
		t.Fatal(err)
	}
	o := mustOpen(t, dir)
	if len(o.Cases) != 2 || len(o.Cases[0].Interrupted) != 1 {
		t.Fatalf("cases %d, copies of the first %d", len(o.Cases), len(o.Cases[0].Interrupted))
	}
	cp := o.Cases[0].Interrupted[0]
	if cp.Copy != 1 || cp.Final() || cp.Name != "00-a.interrupted-1" || len(cp.Problems) != 1 || cp.Problems[0].Kind != ProblemInterrupted {
		t.Fatalf("copy %+v, problems %s", cp, problems(cp.Problems))
	}
	rows, ps, err := cp.Rows(GazeFile)
	if err != nil || len(ps) > 0 || len(rows) != 10 {
		t.Fatalf("copy rows %d, %v, %v", len(rows), ps, err)
	}
}

// Open never writes: a read-only session folder opens, and its files are unchanged.
func TestOpenDoesNotWrite(t *testing.T) {
	rc := record(t, Meta{}, true)
	rc.rec.lock.Close() // crashed: Resume would repair files; Open must not
	appendBytes(t, filepath.Join(rc.dir, CasesDir, "04-b", GazeFile), "s1,4,b,1")
	before := snapshot(t, rc.dir)
	if _, err := Open(rc.dir); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, rc.dir); !reflect.DeepEqual(before, after) {
		t.Fatal("Open changed the session folder")
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = fmt.Sprint(info.ModTime().UnixNano(), info.Size(), string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOpenNotASession(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), StateFile) {
		t.Fatalf("empty folder: %v", err)
	}
	writeFile(t, filepath.Join(dir, StateFile), "{")
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), StateFile) {
		t.Fatalf("broken session.json: %v", err)
	}
}

var caseNames = []struct {
	name        string
	index, copy int
	id          string
	ok          bool
}{
	{"00-a", 0, 0, "a", true},
	{"12-1a3f39ce-ebe90275", 12, 0, "1a3f39ce-ebe90275", true},
	{"03-b.interrupted-2", 3, 2, "b", true},
	{"3-b.interrupted-0", 0, 0, "", false},
	{"3-b.interrupted-x", 0, 0, "", false},
	{"-b", 0, 0, "", false},
	{"+3-b", 0, 0, "", false},
	{"3-", 0, 0, "", false},
	{"notes", 0, 0, "", false},
}

func TestParseCaseName(t *testing.T) {
	for _, tc := range caseNames {
		i, id, k, err := ParseCaseName(tc.name)
		if (err == nil) != tc.ok || tc.ok && (i != tc.index || id != tc.id || k != tc.copy) {
			t.Errorf("%q: %d %q %d %v", tc.name, i, id, k, err)
		}
	}
}

func FuzzParseCaseName(f *testing.F) {
	for _, tc := range caseNames {
		f.Add(tc.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		i, id, k, err := ParseCaseName(name)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", name)) {
				t.Fatalf("error does not name the folder: %v", err)
			}
			return
		}
		back := fmt.Sprintf("%d-%s", i, id)
		if k > 0 {
			back += fmt.Sprintf("%s%d", InterruptedSep, k)
		}
		if i < 0 || k < 0 || id == "" || strings.TrimLeft(name, "0") != strings.TrimLeft(back, "0") && !strings.HasPrefix(name, "0") {
			t.Fatalf("%q → %d %q %d", name, i, id, k)
		}
	})
}

// The JSON records: typed parsers never panic, and what they accept they write back the same.
func FuzzParseRecords(f *testing.F) {
	seeds := []string{`{"verdict":"pass","data_loss":0.1,"longest_loss_ms":3,"samples":1,"expected":2,"audio":{"seconds":1}}`,
		`{"index":1,"kind":"case","dicom_id":"a","stage_width":1920,"stage_height":1080,"W":10,"H":20,"Top":1}`,
		`{"rate":16000,"channels":1,"first_frame_host_ns":-1,"frames":5,"complete":true}`,
		`{"round":1,"calibration":{"points":[{"X":1}],"ave_error_px":2},"validation":{"verdict":"good"}}`,
		`{"verdict": 3}`, `null`, `[]`, `{"W": -1, "kind": "case"}`}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if q, err := ParseQuality(b); err == nil {
			again, _ := json.Marshal(q)
			if q2, err := ParseQuality(again); err != nil || !reflect.DeepEqual(q, q2) {
				t.Fatalf("quality does not round-trip: %+v %v", q2, err)
			}
		}
		if l, err := ParseLayout(b); err == nil && (l.W < 0 || l.Kind == "") {
			t.Fatalf("accepted layout %+v", l)
		}
		if m, err := ParseAudioMeta(b); err == nil && (m.Rate < 0 || m.Frames < 0) {
			t.Fatalf("accepted audio record %+v", m)
		}
		ParseCheck(b)
	})
}

// FuzzOpen writes fuzzed records into a case folder of a real session: Open never fails on
// them nor panics, and reading the rows never panics.
func FuzzOpen(f *testing.F) {
	f.Add([]byte(`{"index":0,"kind":"case","dicom_id":"a"}`), []byte(`{"verdict":"pass"}`), []byte(`{"rate":1}`),
		wavBytes(3), []byte("SESSION_ID\ns1,0,a\n"), []byte("{}\n{"))
	f.Add([]byte{}, []byte("null"), []byte("[1]"), []byte("RIFF"), []byte{}, []byte("\n\n"))
	base := recordForFuzz(f)
	f.Fuzz(func(t *testing.T, layout, quality, audioMeta, wavData, gaze, events []byte) {
		dir := filepath.Join(t.TempDir(), "s")
		copyTree(t, base, dir)
		c := filepath.Join(dir, CasesDir, "00-a")
		for name, b := range map[string][]byte{LayoutFile: layout, QualityFile: quality, AudioMetaFile: audioMeta,
			AudioFile: wavData, GazeFile: gaze} {
			writeFile(t, filepath.Join(c, name), string(b))
		}
		writeFile(t, filepath.Join(dir, EventsFile), string(events))
		o, err := Open(dir)
		if err != nil {
			t.Fatalf("Open failed on a case's records: %v", err)
		}
		for _, cs := range o.Cases {
			cs.Rows(GazeFile)
		}
	})
}

// recordForFuzz records a small whole session once for the fuzz target.
func recordForFuzz(f *testing.F) string {
	dir := filepath.Join(f.TempDir(), "s")
	plan := []Screen{{0, KindCase, "a"}, {1, KindCase, "b"}}
	r, err := Create(dir, Meta{SessionID: "s", Plan: plan})
	if err != nil {
		f.Fatal(err)
	}
	var g gen
	for _, sc := range plan {
		if err := r.BeginScreen(sc, layoutFor(sc), 0); err != nil {
			f.Fatal(err)
		}
		for range 5 {
			if err := r.Gaze(g.next()); err != nil {
				f.Fatal(err)
			}
		}
		if err := r.EndScreen(0); err != nil {
			f.Fatal(err)
		}
	}
	if err := r.Close(StatusComplete); err != nil {
		f.Fatal(err)
	}
	return dir
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkOpen30 opens a session of 30 cases (and 6 calibration screens), each with 10 s of
// 150 Hz gaze, fixations, a filter's fixations, quality, audio and a transcript; rows are read
// on demand, so Open's cost is the folder's records. Target: < 1 s.
//
//	go test -run '^$' -bench Open30 ./reader/session
func BenchmarkOpen30(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "s")
	ids := make([]string, 30)
	for i := range ids {
		ids[i] = fmt.Sprintf("case%02d", i)
	}
	plan := NewPlan("s", ids, 1, 5)
	r, err := Create(dir, Meta{SessionID: "s", Plan: plan, Audio: "null"})
	if err != nil {
		b.Fatal(err)
	}
	var g gen
	for _, sc := range plan {
		if err := r.BeginScreen(sc, layoutFor(sc), g.host()); err != nil {
			b.Fatal(err)
		}
		var fixes []tracker.Sample
		for range 1500 {
			s := g.next()
			if err := r.Gaze(s); err != nil {
				b.Fatal(err)
			}
			if g.lastOfFixation() {
				fixes = append(fixes, s)
				if err := r.Fixation(s); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := r.FilterFixations("idt", "I-DT", fixes); err != nil {
			b.Fatal(err)
		}
		if sc.Kind == KindCase {
			cd := r.ScreenDir()
			if err := os.WriteFile(filepath.Join(cd, AudioFile), wavBytes(160000), 0o644); err != nil {
				b.Fatal(err)
			}
			if err := writeJSON(filepath.Join(cd, AudioMetaFile), AudioMeta{Rate: 16000, Channels: 1, Frames: 160000, Complete: true}); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(cd, TranscriptFile), []byte(`{"full_text":"","time_stamped_text":[]}`), 0o644); err != nil {
				b.Fatal(err)
			}
			if err := r.CaseQuality(Quality{Verdict: "pass", Samples: 1500, Expected: 1500}); err != nil {
				b.Fatal(err)
			}
		} else if err := r.SaveCheck(CheckReport{Round: sc.Index}); err != nil {
			b.Fatal(err)
		}
		if err := r.EndScreen(g.host()); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.Close(StatusComplete); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		o, err := Open(dir)
		if err != nil || len(o.Cases) != len(plan) || len(allProblems(o)) > 0 {
			b.Fatalf("%v, %d cases, problems %s", err, len(o.Cases), problems(allProblems(o)))
		}
	}
}

// HostAt and FrameAt place audio.wav's frames on the session clock: through the clock fit of a
// closed recording (its drift included), through the first frame's stamp otherwise.
func TestAudioClock(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name  string
		m     AudioMeta
		frame int64
		host  time.Duration
		ok    bool
	}{
		{"closed: the fit", AudioMeta{Rate: 16000, FirstFrameHostNS: int64(2 * s), FitOffsetNS: int64(2*s + 3*time.Millisecond), Complete: true}, 16000, 3*s + 3*time.Millisecond, true},
		{"closed: the fit's drift", AudioMeta{Rate: 16000, FitOffsetNS: int64(s), DriftPPM: 100, Complete: true}, 16000 * 100, 101*s + 10*time.Millisecond, true},
		{"cut off: the first stamp", AudioMeta{Rate: 48000, FirstFrameHostNS: int64(5 * s), FitOffsetNS: int64(9 * s)}, 24000, 5*s + s/2, true},
		{"frame 0", AudioMeta{Rate: 8000, FirstFrameHostNS: 7}, 0, 7, true},
		{"no audio arrived", AudioMeta{Rate: 16000, FirstFrameHostNS: -1}, 10, 0, false},
		{"no rate", AudioMeta{FirstFrameHostNS: 1}, 10, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			host, ok := tc.m.HostAt(tc.frame)
			if ok != tc.ok || ok && host != tc.host {
				t.Fatalf("HostAt(%d) = %v %v, want %v %v", tc.frame, host, ok, tc.host, tc.ok)
			}
			if !ok {
				if _, ok := tc.m.FrameAt(tc.host); ok {
					t.Fatal("FrameAt placed audio HostAt could not")
				}
				return
			}
			if f, ok := tc.m.FrameAt(host); !ok || f < tc.frame-1 || f > tc.frame {
				t.Fatalf("FrameAt(%v) = %d %v, want %d", host, f, ok, tc.frame)
			}
		})
	}
}
