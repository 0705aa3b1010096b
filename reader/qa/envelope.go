package qa

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"sightline/reader/wav"
)

// EnvelopeStep is the waveform's resolution: one peak per 5 ms of audio (a 5-minute case is
// 60,000 peaks, 240 kB), fine enough for any timeline a screen can show.
const EnvelopeStep = 5 * time.Millisecond

// maxRate bounds the rates read: a header claiming more is damaged (and would size buffers).
const maxRate = 384000

// Envelope is audio.wav's waveform, downsampled once at Load: the peak level of each
// EnvelopeStep of audio, all channels together.
type Envelope struct {
	Rate, Channels int
	// Frames is how many frames the file holds: all it holds on disk, also past the header's
	// count when the writer was killed before updating it.
	Frames int64
	// PerPeak is frames per entry of Peaks.
	PerPeak int
	// Peaks are the largest |sample| / 32768 of each PerPeak frames.
	Peaks []float32
	// Peak is the loudest sample of the file, 0…1.
	Peak float32
}

// PeakDB is the loudest sample in dBFS (−120 for a silent file).
func (e *Envelope) PeakDB() float64 {
	if e.Peak <= 0 {
		return -120
	}
	return 20 * math.Log10(float64(e.Peak))
}

// Seconds is the audio's length.
func (e *Envelope) Seconds() float64 { return float64(e.Frames) / float64(max(e.Rate, 1)) }

// ReadEnvelope reads a 16-bit PCM WAV file's envelope. A file cut short (or longer than its
// header says, its writer killed) is read as far as it goes: the caller names the fault from
// session.Open's problems.
func ReadEnvelope(path string) (*Envelope, error) {
	in, err := wav.Inspect(path)
	if err != nil {
		return nil, err
	}
	if in.Channels <= 0 || in.Rate <= 0 || in.Rate > maxRate {
		return nil, fmt.Errorf("%d Hz, %d channels: not a dictation's format", in.Rate, in.Channels)
	}
	frames := min(max(in.Frames(), in.OnDisk), in.OnDisk)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(in.DataOffset, io.SeekStart); err != nil {
		return nil, err
	}
	e := &Envelope{Rate: in.Rate, Channels: in.Channels, Frames: frames,
		PerPeak: max(1, int(int64(in.Rate)*int64(EnvelopeStep)/int64(time.Second)))}
	e.Peaks = make([]float32, 0, frames/int64(e.PerPeak)+1)
	frameBytes := 2 * in.Channels
	buf := make([]byte, min(64*e.PerPeak, 1<<16)*frameBytes)
	left := frames * int64(frameBytes)
	var peak int32
	inPeak := 0
	for left > 0 {
		n := int(min(int64(len(buf)), left))
		n, err := io.ReadFull(f, buf[:n])
		n -= n % frameBytes
		for i := 0; i < n; i += frameBytes {
			for c := 0; c < frameBytes; c += 2 {
				v := int32(int16(binary.LittleEndian.Uint16(buf[i+c:])))
				if v < 0 {
					v = -v
				}
				peak = max(peak, v)
			}
			if inPeak++; inPeak == e.PerPeak {
				e.Peaks = append(e.Peaks, float32(peak)/32768)
				peak, inPeak = 0, 0
			}
		}
		left -= int64(n)
		if err != nil {
			e.Frames = frames - left/int64(frameBytes)
			break
		}
	}
	if inPeak > 0 {
		e.Peaks = append(e.Peaks, float32(peak)/32768)
	}
	for _, p := range e.Peaks {
		e.Peak = max(e.Peak, p)
	}
	return e, nil
}

// Waveform fills dst (resized to n) with the envelope's peak over each of n equal columns
// from from to to on the session clock: 0 where no audio was recorded. Its cost is the number
// of peaks in the range, not the number of frames.
func (r *Replay) Waveform(from, to time.Duration, n int, dst []float32) []float32 {
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:max(n, 0)]
	clear(dst)
	e := r.Wave
	if e == nil || n <= 0 || to <= from {
		return dst
	}
	frameAt := func(t time.Duration) int64 {
		if f, ok := r.AudioFrame(t); ok {
			return f
		}
		return int64((t - r.Start).Seconds() * float64(e.Rate))
	}
	step := (to - from) / time.Duration(n)
	next := frameAt(from)
	for i := range n {
		a := next
		next = frameAt(from + time.Duration(i+1)*step)
		pa, pb := a/int64(e.PerPeak), (next+int64(e.PerPeak)-1)/int64(e.PerPeak)
		pa, pb = max(pa, 0), min(pb, int64(len(e.Peaks)))
		var m float32
		for p := pa; p < pb; p++ {
			m = max(m, e.Peaks[p])
		}
		dst[i] = m
	}
	return dst
}

// ReadPCM reads a 16-bit PCM WAV file's samples (interleaved), as far as the file goes, also
// past the header's count when its writer was killed before updating it.
func ReadPCM(path string) (rate, channels int, pcm []int16, err error) {
	in, err := wav.Inspect(path)
	if err != nil {
		return 0, 0, nil, err
	}
	if in.Channels <= 0 || in.Rate <= 0 || in.Rate > maxRate {
		return 0, 0, nil, fmt.Errorf("%d Hz, %d channels: not a dictation's format", in.Rate, in.Channels)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, nil, err
	}
	defer f.Close()
	b := make([]byte, in.OnDisk*int64(2*in.Channels))
	n, err := f.ReadAt(b, in.DataOffset)
	if err != nil && err != io.EOF {
		return 0, 0, nil, err
	}
	b = b[:n-n%(2*in.Channels)]
	pcm = make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return in.Rate, in.Channels, pcm, nil
}
