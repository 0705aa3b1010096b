package qavideo

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sightline/internal/notrun"
	"sightline/reader/qa"
	"sightline/reader/qa/qatest"
	"sightline/reader/session"
	"sightline/reader/study"
)

const ms = time.Millisecond

func needFFmpeg(t testing.TB) {
	t.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			notrun.Skip(t, b+" not installed (scripts/deps.sh test installs it)")
		}
	}
}

// record records s and opens its case i as a replay.
func record(t testing.TB, s qatest.Session, i int, edit func(c *session.Case)) *qa.Replay {
	t.Helper()
	dir := qatest.Record(t, study.SessionDir(filepath.Join(t.TempDir(), "study"), "s1"), s)
	if edit != nil {
		o, err := session.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		edit(o.Cases[i])
	}
	o, err := session.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := qa.Load(o, o.Cases[i], qa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func writeVideo(t *testing.T, r *qa.Replay) (Result, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), r.Case.Name+".mp4")
	res, err := Write(context.Background(), r, nil, r.Case.Layout.Layout, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res, out
}

// probe returns ffprobe's value of entry (e.g. "stream=codec_name") for the stream sel.
func probe(t *testing.T, file, sel, entry string) string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", sel, "-show_entries", entry,
		"-of", "default=noprint_wrappers=1:nokey=1", file).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", entry, err)
	}
	return strings.TrimSpace(string(out))
}

func decode(t *testing.T, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error"}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v: %s", args, err, stderr.String())
	}
	return out
}

// TestSync is the end-to-end sync test: the synthetic reader's gaze jumps to the right of the
// stage at the very instant a click sounds in the dictation (the audio starts 250 ms before
// the screen and its clock runs 80 ppm fast, so only audio.json's clock fit places it). In the
// MP4, measured from the file alone — the decoded audio samples and the decoded frames with
// their timestamps — the click and the first frame that shows the jump lie within one frame.
func TestSync(t *testing.T) {
	needFFmpeg(t)
	jump := 150 // samples at 60 Hz: 2.5 s
	c := qatest.Case{DicomID: "sync", Samples: 240, JumpAt: jump, Audio: true,
		AudioLead: 250 * ms, DriftPPM: 80, Click: time.Duration(jump) * time.Second / qatest.Rate}
	r := record(t, qatest.Session{Cases: []qatest.Case{c}}, 0, nil)
	res, out := writeVideo(t, r)
	if res.Silent != "" || res.AudioNote != "" {
		t.Fatalf("silent %q, note %q: want the dictation placed by audio.json", res.Silent, res.AudioNote)
	}
	if got := probe(t, out, "v:0", "stream=codec_name"); got != "h264" {
		t.Errorf("video codec %q, want h264", got)
	}
	if got := probe(t, out, "a:0", "stream=codec_name"); got != "aac" {
		t.Errorf("audio codec %q, want aac", got)
	}
	frame := time.Second / time.Duration(res.FPS)

	// The click: the first decoded sample above half the loudest (the tone under it is 1% of
	// full scale), at the audio stream's start time.
	rate := 48000
	pcm := decode(t, "-i", out, "-map", "0:a:0", "-ac", "1", "-ar", strconv.Itoa(rate), "-f", "s16le", "-")
	peak, at := 0, -1
	for i := 0; i+1 < len(pcm); i += 2 {
		peak = max(peak, abs(int(int16(binary.LittleEndian.Uint16(pcm[i:])))))
	}
	for i := 0; i+1 < len(pcm); i += 2 {
		if abs(int(int16(binary.LittleEndian.Uint16(pcm[i:])))) > peak/2 {
			at = i / 2
			break
		}
	}
	if peak < 8000 || at < 0 {
		t.Fatalf("no click in the MP4's audio (peak %d)", peak)
	}
	aStart := seconds(t, probe(t, out, "a:0", "stream=start_time"))
	click := aStart + time.Duration(at)*time.Second/time.Duration(rate)

	// The jump: the first decoded frame whose pixel at the gaze's new place (0.75, 0.5 of the
	// stage) shows the gaze dot's colour, at that frame's own timestamp.
	pts := strings.Fields(probe(t, out, "v:0", "frame=pts_time"))
	raw := decode(t, "-i", out, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-fps_mode", "passthrough", "-")
	size := res.W * res.H * 3
	if len(raw) != len(pts)*size || len(pts) != res.Frames {
		t.Fatalf("decoded %d bytes, %d timestamps, %d frames written: want %d frames of %d bytes", len(raw), len(pts), res.Frames, res.Frames, size)
	}
	x, y := int(0.75*float64(res.W)), int(0.5*float64(res.H-StripHeight))
	shown := -1
	for k := range pts {
		p := raw[k*size+(y*res.W+x)*3:]
		if near(p, qa.GazeColor) {
			shown = k
			break
		}
	}
	if shown <= 0 {
		t.Fatalf("the jump shows in frame %d of %d: want a frame after the first", shown, len(pts))
	}
	seen := seconds(t, pts[shown])
	t.Logf("click at %v in the audio, jump first shown in frame %d at %v (frame %v)", click, shown, seen, frame)
	// The click within a millisecond of where audio.json puts it; the jump in exactly the first
	// frame at or after it (TestOneClock does the same at sub-frame offsets, through the
	// recorder).
	want := c.Click
	if d := click - want; d < -ms || d > ms {
		t.Errorf("click heard at %v in the video, want %v (the screen's start is the video's start)", click, want)
	}
	if k := int((want*time.Duration(res.FPS) + time.Second - 1) / time.Second); shown != k {
		t.Errorf("jump shown first in frame %d, want %d (the first at or after %v)", shown, k, want)
	}
}

// near reports whether an RGB pixel over black is the colour c (its alpha blended), within
// what H.264 and yuv420p change.
func near(p []byte, c color.NRGBA) bool {
	for i, v := range []uint8{c.R, c.G, c.B} {
		want := int(v) * int(c.A) / 255
		if abs(int(p[i])-want) > 40 {
			return false
		}
	}
	return true
}

func seconds(t *testing.T, s string) time.Duration {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("timestamp %q: %v", s, err)
	}
	return time.Duration(math.Round(f * 1e9))
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// banner reports whether the frame's top band holds the warning colour (the "NO AUDIO" text).
func banner(img *image.RGBA) bool {
	for y := range 24 {
		for x := range img.Rect.Dx() {
			p := img.Pix[img.PixOffset(x, y):]
			if p[0] > 200 && p[1] < 120 && p[2] < 100 {
				return true
			}
		}
	}
	return false
}

// TestBadAudio: a case without usable audio still makes a video; it is silent and says why,
// on the picture and in the result.
func TestBadAudio(t *testing.T) {
	needFFmpeg(t)
	base := qatest.Case{DicomID: "a", Samples: 90, Audio: true, Click: 500 * ms}
	for _, tc := range []struct {
		name           string
		s              qatest.Session
		edit           func(c *session.Case)
		silent, note   string
		wantAudioPeak  bool
		wantBannerText bool
	}{
		{name: "gaze-only", s: qatest.Session{GazeOnly: true, Cases: []qatest.Case{{DicomID: "a", Samples: 90}}},
			silent: "gaze-only session", wantBannerText: true},
		{name: "no audio.wav", s: qatest.Session{Cases: []qatest.Case{base}},
			edit:   func(c *session.Case) { must(t, os.Remove(filepath.Join(c.Dir, session.AudioFile))) },
			silent: "the case has no audio.wav", wantBannerText: true},
		{name: "no audio.json", s: qatest.Session{Cases: []qatest.Case{base}},
			edit: func(c *session.Case) { must(t, os.Remove(filepath.Join(c.Dir, session.AudioMetaFile))) },
			note: "no audio.json", wantAudioPeak: true, wantBannerText: true},
		{name: "truncated by a kill", s: qatest.Session{Cases: []qatest.Case{base}},
			edit: func(c *session.Case) {
				// The writer died before its header's sizes caught up: they say 0 frames.
				p := filepath.Join(c.Dir, session.AudioFile)
				b, err := os.ReadFile(p)
				must(t, err)
				binary.LittleEndian.PutUint32(b[4:], 36)
				binary.LittleEndian.PutUint32(b[40:], 0)
				must(t, os.WriteFile(p, b, 0o644))
			},
			note: "audio.wav cut off", wantAudioPeak: true, wantBannerText: true},
		{name: "not a WAV", s: qatest.Session{Cases: []qatest.Case{base}},
			edit: func(c *session.Case) {
				must(t, os.WriteFile(filepath.Join(c.Dir, session.AudioFile), []byte("garbage"), 0o644))
			},
			silent: "audio.wav unreadable", wantBannerText: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := record(t, tc.s, 0, tc.edit)
			res, out := writeVideo(t, r)
			if !strings.Contains(res.Silent, tc.silent) || (tc.silent == "") != (res.Silent == "") {
				t.Errorf("silent %q, want %q", res.Silent, tc.silent)
			}
			if !strings.Contains(res.AudioNote, tc.note) || (tc.note == "") != (res.AudioNote == "") {
				t.Errorf("note %q, want %q", res.AudioNote, tc.note)
			}
			if got := probe(t, out, "a:0", "stream=codec_name"); got != "aac" {
				t.Errorf("audio codec %q, want an aac track even when silent", got)
			}
			pcm := decode(t, "-i", out, "-map", "0:a:0", "-ac", "1", "-f", "s16le", "-")
			peak := 0
			for i := 0; i+1 < len(pcm); i += 2 {
				peak = max(peak, abs(int(int16(binary.LittleEndian.Uint16(pcm[i:])))))
			}
			if tc.wantAudioPeak != (peak > 8000) {
				t.Errorf("audio peak %d: want the click heard = %v", peak, tc.wantAudioPeak)
			}
			// The first frame, decoded from the file, says so in its top band.
			raw := decode(t, "-i", out, "-map", "0:v:0", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgba", "-")
			img := &image.RGBA{Pix: raw, Stride: 4 * res.W, Rect: image.Rect(0, 0, res.W, res.H)}
			if len(raw) != 4*res.W*res.H {
				t.Fatalf("first frame: %d bytes, want %d", len(raw), 4*res.W*res.H)
			}
			if banner(img) != tc.wantBannerText {
				t.Errorf("warning band shown %v, want %v", banner(img), tc.wantBannerText)
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestBadCases: a case cut off by a crash, one with a broken gaze row and one still being
// recorded each make a whole video of what was recorded.
func TestBadCases(t *testing.T) {
	needFFmpeg(t)
	for _, tc := range []struct {
		name string
		s    qatest.Session
		edit func(c *session.Case)
	}{
		{name: "cut off, still recording", s: qatest.Session{Cases: []qatest.Case{{DicomID: "a", Samples: 90, Audio: true, Open: true}}}},
		{name: "broken row", s: qatest.Session{Cases: []qatest.Case{{DicomID: "a", Samples: 90, Audio: true}}},
			edit: func(c *session.Case) {
				p := filepath.Join(c.Dir, session.GazeFile)
				b, err := os.ReadFile(p)
				must(t, err)
				lines := strings.SplitAfter(string(b), "\n")
				lines[10] = "x,y\n"
				must(t, os.WriteFile(p, []byte(strings.Join(lines, "")), 0o644))
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := record(t, tc.s, 0, tc.edit)
			res, out := writeVideo(t, r)
			if res.Frames < 2 || res.Silent != "" {
				t.Errorf("%d frames, silent %q: want the recorded 1.5 s with its audio", res.Frames, res.Silent)
			}
			if n := len(strings.Fields(probe(t, out, "v:0", "frame=pts_time"))); n != res.Frames {
				t.Errorf("the MP4 holds %d frames, %d written", n, res.Frames)
			}
		})
	}
}

// TestBrokenClock: a gaze row stamped hours after its screen (a device clock gone wrong) makes
// no video of hours: the case is refused with why.
func TestBrokenClock(t *testing.T) {
	r := record(t, qatest.Session{Cases: []qatest.Case{{DicomID: "a", Samples: 30, Open: true}}}, 0, nil)
	r.End = r.Start + 3*time.Hour
	_, err := Write(context.Background(), r, nil, r.Case.Layout.Layout, filepath.Join(t.TempDir(), "a.mp4"), Options{FFmpeg: "/nonexistent"})
	if err == nil || !strings.Contains(err.Error(), "spans 3h0m0s") {
		t.Fatalf("err %v, want the span named", err)
	}
}

// TestEncoderFails: an encoder that dies at once fails the video with its exit named and leaves
// no file behind, neither the MP4 nor its parts.
func TestEncoderFails(t *testing.T) {
	r := record(t, qatest.Session{Cases: []qatest.Case{{DicomID: "a", Samples: 600, Audio: true}}}, 0, nil)
	dir := t.TempDir()
	_, err := Write(context.Background(), r, nil, r.Case.Layout.Layout, filepath.Join(dir, "a.mp4"), Options{FFmpeg: "false"})
	if err == nil || !strings.Contains(err.Error(), "ffmpeg: exit status 1") {
		t.Fatalf("err %v, want ffmpeg's exit named", err)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
