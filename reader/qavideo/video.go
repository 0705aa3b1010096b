package qavideo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sightline/reader/qa"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/wav"
)

// Defaults: 960 px wide (half the stage) at 30 frames per second keeps writing faster than
// real time on a loaded 2-core machine (BenchmarkWrite) while fixation numbers stay legible.
const (
	DefaultWidth = 960
	DefaultFPS   = 30
)

// MaxSpan is the longest case a video is made of: a reading takes minutes, and a span of hours
// is a broken clock, whose video would only fill the disk.
const MaxSpan = 2 * time.Hour

// Options tune a video.
type Options struct {
	Width  int    // frame width in pixels (even); 0: DefaultWidth
	FPS    int    // 0: DefaultFPS
	FFmpeg string // the ffmpeg binary; "": ffmpeg on PATH
	// Preset is x264's speed preset ("" : veryfast).
	Preset string
}

// Result says what a video holds.
type Result struct {
	Path     string
	Frames   int
	FPS      int
	W, H     int
	Duration time.Duration // the case's span on the session clock
	// Silent gives why the video has a silent sound track ("" when it carries the dictation).
	Silent string
	// AudioNote says how the audio was placed when not through audio.json's clock.
	AudioNote string
}

// Write writes replay r as the MP4 out: frames of r's case from its start to its end at 1×, over
// img as drawn at layout l (img nil: a black stage), with the case's audio.wav placed on the
// session clock through audio.json. A case without audio gets a silent track and says so on
// the picture. The file appears whole or not at all (written beside it, then renamed).
func Write(ctx context.Context, r *qa.Replay, img image.Image, l stage.Layout, out string, opt Options) (Result, error) {
	if opt.Width == 0 {
		opt.Width = DefaultWidth
	}
	if opt.FPS <= 0 {
		opt.FPS = DefaultFPS
	}
	if opt.FFmpeg == "" {
		opt.FFmpeg = "ffmpeg"
	}
	if opt.Preset == "" {
		opt.Preset = "veryfast"
	}
	p, err := NewPainter(r, img, l, opt.Width)
	if err != nil {
		return Result{}, err
	}
	span := max(r.End-r.Start, 0)
	if span > MaxSpan {
		return Result{}, fmt.Errorf("the case spans %v on the session clock (from its screen's start to the last thing recorded of it), more than the %v a review video is made for: its clock is broken", span.Round(time.Second), MaxSpan)
	}
	n := int(span*time.Duration(opt.FPS)/time.Second) + 1
	res := Result{Path: out, Frames: n, FPS: opt.FPS, W: p.W, H: p.H, Duration: span}

	tmpWAV := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".audio.wav")
	tmpMP4 := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".part")
	defer os.Remove(tmpWAV)
	defer os.Remove(tmpMP4)
	length := time.Duration(n) * time.Second / time.Duration(opt.FPS)
	res.Silent, res.AudioNote, err = writeAligned(tmpWAV, r, length)
	if err != nil {
		return res, fmt.Errorf("audio: %w", err)
	}
	switch {
	case res.Silent != "":
		p.Banner = "NO AUDIO: " + res.Silent
	case res.AudioNote != "":
		p.Banner = res.AudioNote
	}

	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, opt.FFmpeg, "-hide_banner", "-loglevel", "error", "-y",
		"-f", "rawvideo", "-pix_fmt", "rgba", "-video_size", fmt.Sprintf("%dx%d", p.W, p.H),
		"-framerate", strconv.Itoa(opt.FPS), "-i", "pipe:0",
		"-i", tmpWAV,
		"-map", "0:v:0", "-map", "1:a:0",
		"-c:v", "libx264", "-preset", opt.Preset, "-crf", "23", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", "-f", "mp4", tmpMP4)
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("start ffmpeg: %w", err)
	}
	werr := pump(ctx, p, r, n, opt.FPS, stdin)
	stdin.Close()
	cerr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return res, ctx.Err()
	case cerr != nil:
		return res, fmt.Errorf("ffmpeg: %w: %s", cerr, strings.TrimSpace(stderr.String()))
	case werr != nil:
		return res, fmt.Errorf("write frames to ffmpeg: %w", werr)
	}
	if err := os.Rename(tmpMP4, out); err != nil {
		return res, err
	}
	return res, nil
}

// pump draws n frames and writes them to w: drawing overlaps ffmpeg's reading (three buffers),
// since on two cores neither alone keeps the encoder busy. It stops at the first failed write
// (ffmpeg gone) or when ctx ends.
func pump(ctx context.Context, p *Painter, r *qa.Replay, n, fps int, w io.Writer) error {
	const bufs = 3
	free := make(chan *image.RGBA, bufs)
	full := make(chan *image.RGBA, bufs) // never blocks: there are only bufs buffers
	for range bufs {
		free <- image.NewRGBA(image.Rect(0, 0, p.W, p.H))
	}
	done := make(chan struct{}) // closed when the writer stops
	var werr error
	go func() {
		defer close(done)
		for img := range full {
			if _, err := w.Write(img.Pix); err != nil {
				werr = err
				return
			}
			free <- img
		}
	}()
	closed := false
	defer func() {
		if !closed {
			close(full)
		}
	}()
	for i := 0; i < n; i++ {
		var img *image.RGBA
		select {
		case img = <-free:
		case <-done:
			return werr
		case <-ctx.Done():
			return ctx.Err()
		}
		p.Paint(img, r.At(FrameTime(r, i, fps)))
		full <- img
	}
	close(full)
	closed = true
	<-done
	return werr
}

// FrameTime is the session-clock time that frame i of a video of r at fps shows.
func FrameTime(r *qa.Replay, i, fps int) time.Duration {
	return r.Start + time.Duration(i)*time.Second/time.Duration(fps)
}

// silentRate is the rate of a silent sound track.
const silentRate = 16000

// writeAligned writes path, a WAV of length on the video's clock (its start = the case's
// start), holding the case's audio.wav where audio.json places it, silence around it. It
// returns why the track is silent, or a note on how it was placed.
func writeAligned(path string, r *qa.Replay, length time.Duration) (silent, note string, err error) {
	c := r.Case
	switch {
	case c.Audio == nil || c.Audio.WAV == "":
		switch {
		case c.Screen.Kind == session.KindCalibration:
			silent = "a calibration screen (no dictation)"
		case strings.HasPrefix(r.Session.State.Audio, "none"):
			silent = "gaze-only session"
		default:
			silent = "the case has no " + session.AudioFile
		}
		return silent, "", writeSilence(path, length)
	}
	in, err := wav.Inspect(c.Audio.WAV)
	if err != nil {
		return "audio.wav unreadable (" + err.Error() + ")", "", writeSilence(path, length)
	}
	// Where the session clock places a frame of the source: audio.json's clock fit, or, without
	// one, the screen's start (and the video says so).
	frameAt := func(t time.Duration) int64 {
		if f, ok := r.AudioFrame(t); ok {
			return f
		}
		return int64((t - r.Start) * time.Duration(in.Rate) / time.Second)
	}
	if r.Audio == nil {
		note = "audio placed at the screen's start: no audio.json to place it on the session clock"
	}
	if in.Truncated() || in.Unsynced() {
		note = strings.TrimPrefix(note+"; ", "; ") + fmt.Sprintf("audio.wav cut off: %.1f s of it read", float64(in.OnDisk)/float64(in.Rate))
	}
	src, err := os.Open(c.Audio.WAV)
	if err != nil {
		return "", "", err
	}
	defer src.Close()
	fb := int64(2 * in.Channels)
	outFrames := int64(length * time.Duration(in.Rate) / time.Second)
	return "", note, writeWAV(path, in.Rate, in.Channels, outFrames, func(w *bufio.Writer) error {
		var br *bufio.Reader
		cur := int64(-1) // the source frame in frame
		end := in.OnDisk // a read past it fails: silence from there
		frame := make([]byte, fb)
		zero := make([]byte, fb)
		for i := range outFrames {
			t := r.Start + time.Duration(i)*time.Second/time.Duration(in.Rate)
			s := frameAt(t)
			if s < 0 || s >= end || r.PauseAt(t) >= 0 {
				// Silence while paused: the pause's sound is in paused-K, not this case's.
				w.Write(zero)
				continue
			}
			if br == nil || s < cur || s > cur+int64(in.Rate) {
				if _, err := src.Seek(in.DataOffset+s*fb, io.SeekStart); err != nil {
					return err
				}
				br, cur = bufio.NewReaderSize(src, 1<<16), s-1
			}
			for cur < s {
				if _, err := io.ReadFull(br, frame); err != nil {
					// Shorter than it looked (still being written): silence from here.
					copy(frame, zero)
					end = s
					break
				}
				cur++
			}
			w.Write(frame)
		}
		return nil
	})
}

func writeSilence(path string, length time.Duration) error {
	n := int64(length * silentRate / time.Second)
	return writeWAV(path, silentRate, 1, n, func(w *bufio.Writer) error {
		_, err := w.Write(make([]byte, 2*n))
		return err
	})
}

// writeWAV writes a 16-bit PCM WAV of frames frames, their bytes written by body.
func writeWAV(path string, rate, channels int, frames int64, body func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	data := frames * int64(2*channels)
	if data > 1<<32-64 {
		f.Close()
		return errors.New("audio too long for a WAV file")
	}
	w.Write(wav.Header(rate, channels, uint32(data)))
	err = body(w)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
