package audio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/braheezy/shine-mp3/pkg/mp3"
)

// MP3Kbps is the constant bit rate of the MP3s written at case close, per channel: 64 kbit/s
// keeps dictation clear at 48 kHz (shine has no psychoacoustic model, so it needs more bits
// than LAME for the same quality) at 8 KB per second.
const MP3Kbps = 64

// ErrMP3Format is returned by EncodeMP3 for a rate or bit rate MPEG audio cannot carry.
var ErrMP3Format = errors.New("format not encodable as MP3")

// bitrate tables of MPEG audio layer III (index 1–14), from the standard.
var (
	mpeg1Kbps = [...]int{32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}
	mpeg2Kbps = [...]int{8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}
)

// newMP3Encoder is shine's encoder at kbps. shine's NewEncoder fixes 128 kbit/s; the frame
// sizing it derives from the bit rate is redone here the way it does it.
func newMP3Encoder(rate, channels, kbps int) (*mp3.Encoder, error) {
	if channels < 1 || channels > 2 {
		return nil, fmt.Errorf("%w: %d channels", ErrMP3Format, channels)
	}
	if _, err := mp3.CheckConfig(rate, kbps); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMP3Format, err)
	}
	enc := mp3.NewEncoder(rate, channels)
	table := mpeg2Kbps[:]
	if enc.Mpeg.Version == mp3.MPEG_I {
		table = mpeg1Kbps[:]
	}
	idx := -1
	for i, k := range table {
		if k == kbps {
			idx = i + 1
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("%w: %d kbit/s at %d Hz", ErrMP3Format, kbps, rate)
	}
	m := &enc.Mpeg
	m.Bitrate = int64(kbps)
	m.BitrateIndex = int64(idx)
	slots := float64(m.GranulesPerFrame) * mp3.GRANULE_SIZE / float64(rate) *
		float64(kbps) * 1000 / float64(m.BitsPerSlot)
	m.WholeSlotsPerFrame = int64(slots)
	m.FracSlotsPerFrame = slots - float64(m.WholeSlotsPerFrame)
	m.SlotLag = -m.FracSlotsPerFrame
	if m.FracSlotsPerFrame == 0 {
		m.Padding = 0
	}
	if m.Version == mp3.MPEG_I && channels == 1 {
		// shine-mp3 v0.2.0 counts 9 bytes of side information for MPEG-1 mono where it writes
		// (and the standard has) 17, so each frame overran its header's length by 8 bytes and
		// decoders lost sync. Its main-data budget derives from the frame size minus the side
		// information: taking the 8 bytes off the frame size puts the budget right.
		m.WholeSlotsPerFrame -= 17 - 9
	}
	return enc, nil
}

// EncodeMP3 encodes a 16-bit mono or stereo WAV file to a constant-bit-rate MP3 at MP3Kbps per
// channel, with shine (pure Go, fixed point). The MP3 is written beside its final name and
// renamed into place when complete. Rates: 32, 44.1 and 48 kHz (MPEG-1) and their halves and
// quarters.
func EncodeMP3(wavPath, mp3Path string) error {
	r, err := OpenWAV(wavPath)
	if err != nil {
		return fmt.Errorf("encode MP3: %w", err)
	}
	defer r.Close()
	enc, err := newMP3Encoder(r.Rate, r.Channels, MP3Kbps*r.Channels)
	if err != nil {
		return fmt.Errorf("encode MP3 %s: %w", wavPath, err)
	}
	tmp := mp3Path + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("encode MP3: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	out := bufio.NewWriterSize(f, 64<<10)
	if err := encodeStream(enc, r, out); err != nil {
		return fmt.Errorf("encode MP3 %s: %w", wavPath, err)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("encode MP3: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("encode MP3: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("encode MP3: close %s: %w", tmp, err)
	}
	ok = true
	if err := os.Rename(tmp, mp3Path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("encode MP3: %w", err)
	}
	return syncDir(filepath.Dir(mp3Path))
}

// pcmSource is what encodeStream reads: WAVReader, or a slice in tests and benchmarks.
type pcmSource interface {
	Read(pcm []int16) (int, error)
}

// encodeStream feeds whole MP3 frames of samples to enc, the last one padded with silence,
// then one frame of silence so that the encoder's delay (filter bank and MDCT overlap, under
// one frame) does not swallow the end.
func encodeStream(enc *mp3.Encoder, src pcmSource, out io.Writer) error {
	ch := int(enc.Wave.Channels)
	buf := make([]int16, int(enc.Mpeg.GranulesPerFrame)*mp3.GRANULE_SIZE*ch)
	flush := false
	for {
		got := 0
		for !flush && got < len(buf) {
			n, err := src.Read(buf[got:])
			got += n
			if err == io.EOF {
				flush = true
				break
			}
			if err != nil {
				return err
			}
		}
		clear(buf[got:])
		// shine's Encoder.Write splits stereo input wrongly (half a frame per call), so frames
		// go through EncodeBufferInterleaved, one whole frame each.
		data, n := enc.EncodeBufferInterleaved(buf)
		if _, err := out.Write(data[:n]); err != nil {
			return err
		}
		if flush && got == 0 {
			return nil
		}
	}
}

// sliceSource reads a slice of samples.
type sliceSource struct{ pcm []int16 }

func (s *sliceSource) Read(p []int16) (int, error) {
	if len(s.pcm) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.pcm)
	s.pcm = s.pcm[n:]
	return n, nil
}

// syncDir fsyncs a directory so that a rename in it survives a power cut.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
