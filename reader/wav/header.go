package wav

import "encoding/binary"

// HeaderSize is the size of the canonical PCM header Header writes: RIFF, fmt and data chunks.
const HeaderSize = 44

// Header is the canonical 44-byte header of a 16-bit PCM WAV file of rate and channels whose
// data chunk declares dataBytes. Every WAV Sightline writes (capture, the QA video's audio, the
// recogniser's input, test files) starts with it.
func Header(rate, channels int, dataBytes uint32) []byte {
	h := make([]byte, HeaderSize)
	le := binary.LittleEndian
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], dataBytes+HeaderSize-8)
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], 1) // PCM
	le.PutUint16(h[22:], uint16(channels))
	le.PutUint32(h[24:], uint32(rate))
	le.PutUint32(h[28:], uint32(rate*channels*2))
	le.PutUint16(h[32:], uint16(channels*2))
	le.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	le.PutUint32(h[40:], dataBytes)
	return h
}
