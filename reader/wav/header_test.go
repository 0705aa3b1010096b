package wav

import (
	"bytes"
	"testing"
)

// A header Header writes is read back by ParseHeader as the same format.
func TestHeaderRoundTrip(t *testing.T) {
	for _, tc := range []struct{ rate, channels, frames int }{{16000, 1, 0}, {48000, 2, 4800}, {8000, 1, 1}} {
		h := Header(tc.rate, tc.channels, uint32(2*tc.channels*tc.frames))
		f, err := ParseHeader(bytes.NewReader(h))
		if err != nil || f.Rate != tc.rate || f.Channels != tc.channels || f.Frames() != int64(tc.frames) || f.DataOffset != HeaderSize {
			t.Errorf("%+v: read back %+v, %v", tc, f, err)
		}
	}
}
