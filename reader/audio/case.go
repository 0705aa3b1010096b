package audio

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"sightline/reader/session"
)

// Files of a case folder that audio writes.
const (
	WAVFile  = "audio.wav"
	MetaFile = "audio.json"
	MP3File  = "audio.mp3"
)

// SyncEvery is the longest stretch of audio (by block host times) a CaseAudio holds before it
// rewrites the WAV header and fsyncs. With the Router's HoldBack before it, a crash costs at
// most a second of audio.
const SyncEvery = time.Second - HoldBack

// ErrCaseClosed is returned by CaseAudio.Add after Close.
var ErrCaseClosed = errors.New("case audio is closed")

// Meta is the content of audio.json (one type with the read side, reader/session).
type Meta = session.AudioMeta

// Segment is a stretch of a case's audio after a pause (session.AudioSegment).
type Segment = session.AudioSegment

// CaseAudio records one case's dictation into its folder: audio.wav as blocks arrive (header
// rewritten and fsynced every SyncEvery), audio.json as soon as the first frame's host time is
// known and again at Close, and audio.mp3 encoded after Close, off the hot path.
//
// Add, Sync and Close are called from one goroutine (the capture's delivery goroutine, or one
// the station feeds); Wait from any.
type CaseAudio struct {
	dir      string
	w        *WAV
	meta     Meta
	stamps   []BlockStamp
	started  bool
	base     int64 // device frame index of the WAV's frame 0
	next     int64 // device frame index expected next
	lastSync time.Duration
	closed   bool
	encoding chan struct{} // closed when the MP3 goroutine ends; nil before Close
	mp3Err   error
	zeros    []int16
	skip     bool // the next gap is a pause: leave it out (Skip)
}

// NewCase creates audio.wav (and audio.json) in dir, an existing case folder, for blocks of
// rate Hz × channels from device (a name for the record) on backend.
func NewCase(dir string, rate, channels int, device, backend string) (*CaseAudio, error) {
	w, err := Create(filepath.Join(dir, WAVFile), rate, channels)
	if err != nil {
		return nil, fmt.Errorf("case audio: %w", err)
	}
	a := &CaseAudio{
		dir: dir,
		w:   w,
		meta: Meta{Rate: rate, Channels: channels, FirstFrameHostNS: -1,
			Device: device, Backend: backend},
	}
	if err := a.writeMeta(); err != nil {
		w.Close()
		return nil, err
	}
	return a, nil
}

// Dir is the case folder.
func (a *CaseAudio) Dir() string { return a.dir }

// Anchor places the recording's first frame at device frame f, stamped host (the onset of the
// case, through the capture's clock), before any block is added: a first block that starts
// later leaves a gap, filled with silence and counted (gap_frames), so that the WAV's frame 0
// stays at the onset.
func (a *CaseAudio) Anchor(f int64, host time.Duration) error {
	if a.closed {
		return ErrCaseClosed
	}
	if a.started {
		return fmt.Errorf("case audio: anchored at frame %d after audio was added", f)
	}
	a.started = true
	a.base, a.next, a.lastSync = f, f, host
	a.meta.FirstFrameHostNS, a.meta.StartHostNS, a.meta.Anchored = int64(host), int64(host), true
	return a.writeMeta()
}

// Lost counts frames of the recording's span that the device delivered too late to be
// written, or never (lost_frames): the WAV is that much short at its end.
func (a *CaseAudio) Lost(frames int64) {
	if frames > 0 {
		a.meta.LostFrames += frames
	}
}

// Next is the device frame after the last one written (the anchor before any).
func (a *CaseAudio) Next() int64 { return a.next }

// Add appends a block. A gap in the frame sequence (an overrun) is filled with silence; a block
// overlapping what was written is refused. Every SyncEvery of host time the WAV is synced.
func (a *CaseAudio) Add(b Block) error {
	if a.closed {
		return ErrCaseClosed
	}
	ch := a.meta.Channels
	if len(b.PCM)%ch != 0 {
		return fmt.Errorf("case audio: block at frame %d has %d samples, not whole %d-channel frames",
			b.Frame, len(b.PCM), ch)
	}
	if !a.started {
		a.started = true
		a.base, a.next = b.Frame, b.Frame
		a.lastSync = b.Host
		a.meta.FirstFrameHostNS = int64(b.Host)
		// The clock origin is the one thing the WAV cannot tell after a crash: record it now.
		if err := a.writeMeta(); err != nil {
			return err
		}
	}
	switch {
	case b.Frame < a.next:
		return fmt.Errorf("case audio: block at frame %d overlaps frames written up to %d", b.Frame, a.next)
	case b.Frame > a.next && a.skip:
		// A pause: its sound went to the pause's own recording; the case's goes on here.
		a.meta.Segments = append(a.meta.Segments, Segment{Frame: a.w.Frames(), HostNS: int64(b.Host), Skipped: b.Frame - a.next})
	case b.Frame > a.next:
		gap := b.Frame - a.next
		if err := a.silence(gap); err != nil {
			return err
		}
		a.meta.Overruns++
		a.meta.GapFrames += gap
		a.meta.UpstreamFrames += min(gap, b.Upstream)
	}
	a.skip = false
	if err := a.w.Write(b.PCM); err != nil {
		return fmt.Errorf("case audio: %w", err)
	}
	a.stamps = append(a.stamps, BlockStamp{Frame: b.Frame - a.base, Host: b.Host})
	a.next = b.Frame + int64(len(b.PCM)/ch)
	if b.Host-a.lastSync >= SyncEvery {
		return a.Sync(b.Host)
	}
	return nil
}

func (a *CaseAudio) silence(frames int64) error {
	ch := int64(a.meta.Channels)
	if a.zeros == nil {
		a.zeros = make([]int16, 4096*ch)
	}
	for left := frames * ch; left > 0; {
		n := min(left, int64(len(a.zeros)))
		if err := a.w.Write(a.zeros[:n]); err != nil {
			return fmt.Errorf("case audio: fill gap: %w", err)
		}
		left -= n
	}
	return nil
}

// Sync rewrites the WAV header and fsyncs it; host is the time it is done at (for the next
// automatic sync). The station may also call it from a ticker, should blocks stop arriving.
func (a *CaseAudio) Sync(host time.Duration) error {
	if a.closed {
		return ErrCaseClosed
	}
	a.lastSync = host
	if err := a.w.Sync(); err != nil {
		return fmt.Errorf("case audio: %w", err)
	}
	return nil
}

// Skip says that the frames up to the next block are not this case's (the reader paused; they
// went to the pause's recording): they are left out, not filled with silence, and the next
// block starts a new segment (Meta.Segments).
func (a *CaseAudio) Skip() { a.skip = true }

// Frames is the number of frames written, gap silence included.
func (a *CaseAudio) Frames() int64 { return a.w.Frames() }

// Stamps are the blocks' stamps so far (frames counted from the WAV's first frame).
func (a *CaseAudio) Stamps() []BlockStamp { return a.stamps }

// Meta is the record as it stands (final after Close).
func (a *CaseAudio) Meta() Meta { return a.meta }

// Close finishes audio.wav and audio.json, then starts encoding audio.mp3 on a goroutine the
// CaseAudio owns (Wait waits for it). A case without audio gets no MP3. Closing twice is a no-op.
func (a *CaseAudio) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	a.encoding = make(chan struct{})
	err := a.w.Close()
	if err != nil {
		err = fmt.Errorf("case audio: %w", err)
	}
	a.meta.Frames = a.w.Frames()
	if len(a.stamps) > 0 {
		fit := FitClock(a.stamps, a.meta.Rate)
		a.meta.FitOffsetNS = int64(fit.Offset)
		a.meta.DriftNS = int64(fit.Drift)
		a.meta.DriftPPM = fit.PPM
		a.meta.JitterNS = int64(fit.Jitter)
		a.meta.EnvelopeOffsetNS = int64(fit.EnvelopeOffset)
		a.meta.EnvelopeDriftNS = int64(fit.EnvelopeDrift)
		if fit.Span > 0 {
			a.meta.EnvelopePPM = math.Round(float64(fit.EnvelopeDrift)/float64(fit.Span)*1e6*10) / 10
		}
	}
	a.meta.Complete = err == nil
	if merr := a.writeMeta(); err == nil {
		err = merr
	}
	if err != nil || a.meta.Frames == 0 {
		close(a.encoding)
		return err
	}
	go func() {
		defer close(a.encoding)
		a.mp3Err = EncodeMP3(a.w.Path(), filepath.Join(a.dir, MP3File))
	}()
	return nil
}

// Wait waits for the MP3 started by Close and returns its error (nil before Close).
func (a *CaseAudio) Wait() error {
	if a.encoding == nil {
		return nil
	}
	<-a.encoding
	return a.mp3Err
}

// Drift is the audio clock's drift against the host clock over the case so far.
func (a *CaseAudio) Drift() time.Duration {
	_, d := Drift(a.stamps, a.meta.Rate)
	return d
}

func (a *CaseAudio) writeMeta() error {
	return writeMeta(a.dir, a.meta)
}

func writeMeta(dir string, m Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("case audio: %w", err)
	}
	b = append(b, '\n')
	path := filepath.Join(dir, MetaFile)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("case audio: write %s: %w", MetaFile, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("case audio: write %s: %w", MetaFile, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("case audio: sync %s: %w", MetaFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("case audio: close %s: %w", MetaFile, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("case audio: %w", err)
	}
	return syncDir(dir)
}

// ReadMeta reads a case folder's audio.json.
func ReadMeta(dir string) (Meta, error) {
	var m Meta
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return m, fmt.Errorf("read audio record: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("read audio record %s: %w", filepath.Join(dir, MetaFile), err)
	}
	return m, nil
}

// RecoverCase repairs a case folder whose recording was cut off by a crash: audio.wav's header
// is fixed to hold every whole frame on disk (Recover) and audio.json gets the frame count and
// recovered = true. The MP3 is left to the caller (EncodeMP3). A complete case is left alone.
func RecoverCase(dir string) (Meta, error) {
	m, err := ReadMeta(dir)
	if err != nil {
		return m, err
	}
	if m.Complete {
		return m, nil
	}
	wavPath := filepath.Join(dir, WAVFile)
	if err := Recover(wavPath); err != nil {
		return m, err
	}
	r, err := OpenWAV(wavPath)
	if err != nil {
		return m, err
	}
	m.Frames = r.Frames()
	r.Close()
	m.Recovered = true
	return m, writeMeta(dir, m)
}
