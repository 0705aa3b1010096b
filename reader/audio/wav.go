// Package audio captures dictation through a real audio backend (miniaudio), stamps every block
// with the host monotonic clock, streams it to a crash-safe WAV and encodes an MP3 at case close.
package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"sightline/reader/wav"
)

// headerSize is the size of the canonical PCM header this package writes (wav.Header).
const headerSize = wav.HeaderSize

// maxData is the largest data chunk a RIFF size field can describe.
const maxData = 1<<32 - 1 - (headerSize - 8)

// Errors callers branch on.
var (
	// ErrNotWAV is returned by Recover and OpenWAV for a file that is not 16-bit PCM RIFF/WAVE.
	ErrNotWAV = wav.ErrNotWAV
	// ErrTooLong is returned by Write when the data would outgrow the 4 GiB RIFF limit.
	ErrTooLong = errors.New("WAV data would exceed 4 GiB")
)

// WAV is a 16-bit PCM WAV file written as a stream. Write appends samples straight to the file
// (so a killed process loses nothing the OS has); Sync rewrites the header's sizes and fsyncs, so
// the file on disk is a valid WAV that holds every frame written before the last Sync. Between
// Syncs the header describes fewer frames than the file holds; Recover fixes that after a crash.
//
// A WAV is not safe for concurrent use.
type WAV struct {
	f        *os.File
	path     string
	rate     int
	channels int
	data     int64 // bytes of PCM written
	buf      []byte
	closed   bool
}

// Create creates (or truncates) path and writes a header for rate Hz and channels channels of
// 16-bit PCM. The header is fsynced, so the empty file is already a valid WAV.
func Create(path string, rate, channels int) (*WAV, error) {
	if rate <= 0 || channels <= 0 || channels > 16 {
		return nil, fmt.Errorf("create WAV %s: bad format %d Hz × %d channels", path, rate, channels)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create WAV: %w", err)
	}
	w := &WAV{f: f, path: path, rate: rate, channels: channels}
	if _, err := f.Write(header(rate, channels, 0)); err != nil {
		f.Close()
		return nil, fmt.Errorf("write WAV header %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("sync WAV %s: %w", path, err)
	}
	return w, nil
}

// header returns the 44-byte canonical header for data bytes of 16-bit PCM.
func header(rate, channels int, data uint32) []byte { return wav.Header(rate, channels, data) }

// Path is the file's path.
func (w *WAV) Path() string { return w.path }

// Rate is the sample rate in Hz.
func (w *WAV) Rate() int { return w.rate }

// Channels is the number of interleaved channels.
func (w *WAV) Channels() int { return w.channels }

// Frames is the number of whole frames written so far.
func (w *WAV) Frames() int64 { return w.data / int64(2*w.channels) }

// Write appends interleaved samples. A trailing partial frame is written as given; callers
// pass whole frames.
func (w *WAV) Write(pcm []int16) error {
	if w.closed {
		return fmt.Errorf("write WAV %s: %w", w.path, os.ErrClosed)
	}
	n := int64(2 * len(pcm))
	if w.data+n > maxData {
		return fmt.Errorf("write WAV %s: %w", w.path, ErrTooLong)
	}
	if cap(w.buf) < int(n) {
		w.buf = make([]byte, n)
	}
	b := w.buf[:n]
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	m, err := w.f.Write(b)
	w.data += int64(m)
	if err != nil {
		return fmt.Errorf("write WAV %s: %w", w.path, err)
	}
	return nil
}

// Sync rewrites the RIFF and data sizes for everything written so far, then fsyncs the file.
func (w *WAV) Sync() error {
	if w.closed {
		return fmt.Errorf("sync WAV %s: %w", w.path, os.ErrClosed)
	}
	if err := w.writeSizes(); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync WAV %s: %w", w.path, err)
	}
	return nil
}

func (w *WAV) writeSizes() error {
	// Whole frames only: a short write must not leave a header that ends mid-frame.
	data := w.data - w.data%int64(2*w.channels)
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(data+headerSize-8))
	if _, err := w.f.WriteAt(b[:], 4); err != nil {
		return fmt.Errorf("write WAV sizes %s: %w", w.path, err)
	}
	binary.LittleEndian.PutUint32(b[:], uint32(data))
	if _, err := w.f.WriteAt(b[:], 40); err != nil {
		return fmt.Errorf("write WAV sizes %s: %w", w.path, err)
	}
	return nil
}

// Close writes the final sizes, fsyncs and closes the file. Closing twice is a no-op.
func (w *WAV) Close() error {
	if w.closed {
		return nil
	}
	err := w.Sync()
	w.closed = true
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close WAV %s: %w", w.path, cerr)
	}
	return err
}

// Format describes a WAV file's PCM data as found on disk.
type Format = wav.Format

// Recover fixes the header of a WAV whose writer was killed before Close: the data chunk is taken
// to run to the end of the file, cut to whole frames (a trailing partial frame is truncated
// away), and the RIFF and data sizes are rewritten and fsynced. The data chunk must be the
// file's last chunk, as it is in files this package writes. A file already consistent is left
// as it is.
func Recover(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("recover WAV: %w", err)
	}
	defer f.Close()
	fm, err := wav.ParseHeader(f)
	if err != nil {
		return fmt.Errorf("recover WAV %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("recover WAV %s: %w", path, err)
	}
	data := st.Size() - fm.DataOffset
	data -= data % int64(2*fm.Channels)
	if data > maxData {
		data = maxData - maxData%int64(2*fm.Channels)
	}
	end := fm.DataOffset + data
	if end == st.Size() && data == fm.DataSize && riffSize(f) == end-8 {
		return nil
	}
	if end < st.Size() {
		if err := f.Truncate(end); err != nil {
			return fmt.Errorf("recover WAV %s: drop partial frame: %w", path, err)
		}
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(end-8))
	if _, err := f.WriteAt(b[:], 4); err != nil {
		return fmt.Errorf("recover WAV %s: %w", path, err)
	}
	binary.LittleEndian.PutUint32(b[:], uint32(data))
	if _, err := f.WriteAt(b[:], fm.DataOffset-4); err != nil {
		return fmt.Errorf("recover WAV %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("recover WAV %s: %w", path, err)
	}
	return nil
}

func riffSize(f *os.File) int64 {
	var b [4]byte
	if _, err := f.ReadAt(b[:], 4); err != nil {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(b[:]))
}

// WAVReader reads the PCM of a 16-bit WAV file in chunks.
type WAVReader struct {
	Format
	f    *os.File
	left int64 // bytes of data not yet read
	buf  []byte
}

// OpenWAV opens a 16-bit PCM WAV file for reading. Only the frames its header declares are
// read (run Recover first on a file whose writer was killed).
func OpenWAV(path string) (*WAVReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open WAV: %w", err)
	}
	fm, err := wav.ParseHeader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open WAV %s: %w", path, err)
	}
	if st, err := f.Stat(); err == nil && fm.DataOffset+fm.DataSize > st.Size() {
		fm.DataSize = st.Size() - fm.DataOffset
	}
	fm.DataSize -= fm.DataSize % int64(2*fm.Channels)
	return &WAVReader{Format: fm, f: f, left: fm.DataSize}, nil
}

// Read fills pcm with whole frames of interleaved samples and returns how many samples it
// read; io.EOF after the last frame.
func (r *WAVReader) Read(pcm []int16) (int, error) {
	n := int64(len(pcm) - len(pcm)%r.Channels)
	if n > r.left/2 {
		n = r.left / 2
	}
	if n == 0 {
		if r.left == 0 {
			return 0, io.EOF
		}
		return 0, nil
	}
	if cap(r.buf) < int(2*n) {
		r.buf = make([]byte, 2*n)
	}
	b := r.buf[:2*n]
	if _, err := io.ReadFull(r.f, b); err != nil {
		return 0, fmt.Errorf("read WAV %s: %w", r.f.Name(), err)
	}
	r.left -= 2 * n
	for i := range n {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return int(n), nil
}

// Close closes the file.
func (r *WAVReader) Close() error { return r.f.Close() }

// ReadWAV reads a whole 16-bit PCM WAV file.
func ReadWAV(path string) (Format, []int16, error) {
	r, err := OpenWAV(path)
	if err != nil {
		return Format{}, nil, err
	}
	defer r.Close()
	pcm := make([]int16, r.DataSize/2)
	got := 0
	for got < len(pcm) {
		n, err := r.Read(pcm[got:])
		got += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return r.Format, nil, err
		}
	}
	return r.Format, pcm[:got], nil
}
