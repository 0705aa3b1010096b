// Package wav reads the header of a 16-bit PCM RIFF/WAVE file. It is free of cgo, so that the
// read side (reader/session) can check a case's audio.wav without the capture backend.
package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrNotWAV is returned for a file that is not 16-bit PCM RIFF/WAVE.
var ErrNotWAV = errors.New("not a 16-bit PCM WAV file")

// Format describes a WAV file's PCM data as found on disk.
type Format struct {
	Rate, Channels int
	DataOffset     int64 // where the PCM starts in the file
	DataSize       int64 // bytes of PCM the header declares
}

// Frames is the number of whole frames the header declares.
func (f Format) Frames() int64 { return f.DataSize / int64(2*f.Channels) }

// ParseHeader reads the chunks of a RIFF/WAVE file from r up to the start of the data chunk.
// It accepts any chunks before "data" (LIST, fact, ...) but only 16-bit PCM.
func ParseHeader(r io.Reader) (Format, error) {
	var fm Format
	var riff [12]byte
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return fm, fmt.Errorf("%w: short RIFF header", ErrNotWAV)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return fm, fmt.Errorf("%w: no RIFF/WAVE signature", ErrNotWAV)
	}
	off := int64(12)
	haveFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return fm, fmt.Errorf("%w: no data chunk", ErrNotWAV)
		}
		off += 8
		id, size := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:]))
		switch id {
		case "fmt ":
			if size < 16 || size > 1<<16 {
				return fm, fmt.Errorf("%w: fmt chunk of %d bytes", ErrNotWAV, size)
			}
			b := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, b); err != nil {
				return fm, fmt.Errorf("%w: short fmt chunk", ErrNotWAV)
			}
			off += int64(len(b))
			tag := binary.LittleEndian.Uint16(b[0:])
			fm.Channels = int(binary.LittleEndian.Uint16(b[2:]))
			fm.Rate = int(binary.LittleEndian.Uint32(b[4:]))
			align := int(binary.LittleEndian.Uint16(b[12:]))
			bits := binary.LittleEndian.Uint16(b[14:])
			// WAVE_FORMAT_EXTENSIBLE (0xFFFE) with 16-bit samples is PCM too.
			if (tag != 1 && tag != 0xFFFE) || bits != 16 || fm.Channels < 1 || fm.Rate < 1 ||
				align != 2*fm.Channels {
				return fm, fmt.Errorf("%w: format tag %#x, %d bits, %d channels, %d Hz",
					ErrNotWAV, tag, bits, fm.Channels, fm.Rate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return fm, fmt.Errorf("%w: data chunk before fmt", ErrNotWAV)
			}
			fm.DataOffset, fm.DataSize = off, size
			return fm, nil
		default:
			skip := size + size%2
			if _, err := io.CopyN(io.Discard, r, skip); err != nil {
				return fm, fmt.Errorf("%w: short %q chunk", ErrNotWAV, id)
			}
			off += skip
		}
	}
}

// Info is a WAV file's header and how much of it the file on disk holds.
type Info struct {
	Format
	FileSize int64
	// OnDisk is the number of whole frames the file holds after the header, whatever the
	// header says.
	OnDisk int64
}

// Truncated reports a file shorter than its header declares (cut off after it was written).
func (i Info) Truncated() bool { return i.DataOffset+i.DataSize > i.FileSize }

// Unsynced reports a file holding more frames than its header declares: a writer killed between
// header updates (audio.Recover fixes it).
func (i Info) Unsynced() bool { return i.OnDisk > i.Frames() }

// Inspect reads the header of the WAV file at path and sizes it against the file.
func Inspect(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	fm, err := ParseHeader(f)
	if err != nil {
		return Info{}, err
	}
	st, err := f.Stat()
	if err != nil {
		return Info{}, err
	}
	in := Info{Format: fm, FileSize: st.Size()}
	if d := st.Size() - fm.DataOffset; d > 0 {
		in.OnDisk = d / int64(2*fm.Channels)
	}
	return in, nil
}
