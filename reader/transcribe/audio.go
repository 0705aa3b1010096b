package transcribe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"sightline/reader/atomicfile"
	"sightline/reader/wav"
)

// SilentDBFS is the level below which a dictation is silence (quality.json's "silent").
const SilentDBFS = -50.0

// ErrSilent is a dictation with nothing above SilentDBFS: there is nothing to transcribe.
var ErrSilent = fmt.Errorf("nothing above %.0f dBFS", SilentDBFS)

// PrepareAudio reads a case's audio.wav (any rate and channel count, 16-bit PCM) and writes it
// to dst as mono 16-bit PCM at the same rate, for a recogniser. A file cut off after its
// header was written (a killed station) gives what it holds, with a note saying so.
func PrepareAudio(src, dst string) (Audio, []string, error) {
	info, err := wav.Inspect(src)
	if err != nil {
		return Audio{}, nil, err
	}
	var notes []string
	frames := info.Frames()
	switch {
	case info.Truncated():
		notes = append(notes, fmt.Sprintf("audio.wav is cut off: its header declares %.1f s, the file holds %.1f s (transcribed what is there)",
			float64(frames)/float64(info.Rate), float64(info.OnDisk)/float64(info.Rate)))
		frames = info.OnDisk
	case info.Unsynced():
		notes = append(notes, fmt.Sprintf("audio.wav holds %.1f s more than its header declares (a station killed while recording; transcribed all of it)",
			float64(info.OnDisk-frames)/float64(info.Rate)))
		frames = info.OnDisk
	}
	if frames <= 0 {
		return Audio{}, notes, errors.New("audio.wav holds no audio")
	}
	f, err := os.Open(src)
	if err != nil {
		return Audio{}, notes, err
	}
	defer f.Close()
	ch := info.Channels
	pcm := make([]byte, frames*int64(2*ch))
	if _, err := f.ReadAt(pcm, info.DataOffset); err != nil && err != io.EOF {
		return Audio{}, notes, fmt.Errorf("read audio.wav: %w", err)
	}
	mono := make([]byte, 44+2*frames)
	peak := 0
	for i := int64(0); i < frames; i++ {
		sum := 0
		for c := 0; c < ch; c++ {
			sum += int(int16(binary.LittleEndian.Uint16(pcm[(i*int64(ch)+int64(c))*2:])))
		}
		s := sum / ch
		peak = max(peak, s, -s)
		binary.LittleEndian.PutUint16(mono[44+2*i:], uint16(int16(s)))
	}
	if 20*math.Log10(float64(max(peak, 1))/32768) < SilentDBFS {
		return Audio{}, notes, ErrSilent
	}
	putWAVHeader(mono, info.Rate, frames)
	if err := atomicfile.WriteBytes(dst, mono); err != nil {
		return Audio{}, notes, fmt.Errorf("write the recogniser's audio: %w", err)
	}
	return Audio{Path: dst, Rate: info.Rate, Seconds: float64(frames) / float64(info.Rate)}, notes, nil
}

// putWAVHeader fills b's first 44 bytes: mono 16-bit PCM.
func putWAVHeader(b []byte, rate int, frames int64) {
	le := binary.LittleEndian
	copy(b[0:], "RIFF")
	le.PutUint32(b[4:], uint32(36+2*frames))
	copy(b[8:], "WAVEfmt ")
	le.PutUint32(b[16:], 16)
	le.PutUint16(b[20:], 1)
	le.PutUint16(b[22:], 1)
	le.PutUint32(b[24:], uint32(rate))
	le.PutUint32(b[28:], uint32(2*rate))
	le.PutUint16(b[32:], 2)
	le.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	le.PutUint32(b[40:], uint32(2*frames))
}
