package audio

import (
	"encoding/binary"
	"sync/atomic"
	"time"
)

// stamp describes one device callback's worth of samples held in the ring.
type stamp struct {
	frame int64         // index of its first frame since the capture started
	host  time.Duration // host time of its first frame
	n     int           // frames
	pos   uint64        // position of its first sample in the sample ring (a running total)
}

// ring carries samples from the audio callback (the one producer) to the delivery goroutine
// (the one consumer) without locks: the producer never waits, and when the consumer falls
// behind the callback's samples are dropped and counted.
type ring struct {
	channels int
	samples  []int16
	smask    uint64
	stamps   []stamp
	tmask    uint64
	sw, sr   atomic.Uint64 // samples written, released (running totals)
	tw, tr   atomic.Uint64 // stamps written, released
	overruns atomic.Int64  // callbacks dropped
	dropped  atomic.Int64  // frames dropped
}

// newRing holds at least frames frames and maxStamps callbacks.
func newRing(frames, channels, maxStamps int) *ring {
	ns := pow2(frames * channels)
	nt := pow2(maxStamps)
	return &ring{
		channels: channels,
		samples:  make([]int16, ns),
		smask:    uint64(ns - 1),
		stamps:   make([]stamp, nt),
		tmask:    uint64(nt - 1),
	}
}

func pow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// push copies one callback's little-endian 16-bit samples into the ring. It reports false,
// and counts an overrun, when the ring has no room: those frames are lost.
func (r *ring) push(frame int64, host time.Duration, le []byte) bool {
	n := len(le) / 2
	frames := n / r.channels
	sw, tw := r.sw.Load(), r.tw.Load()
	if uint64(len(r.samples))-(sw-r.sr.Load()) < uint64(n) ||
		uint64(len(r.stamps))-(tw-r.tr.Load()) < 1 {
		r.overruns.Add(1)
		r.dropped.Add(int64(frames))
		return false
	}
	for i := range n {
		r.samples[(sw+uint64(i))&r.smask] = int16(binary.LittleEndian.Uint16(le[2*i:]))
	}
	r.stamps[tw&r.tmask] = stamp{frame: frame, host: host, n: frames, pos: sw}
	r.sw.Store(sw + uint64(n))
	r.tw.Store(tw + 1)
	return true
}

// pop takes the oldest callback's samples out of the ring, into a new slice.
func (r *ring) pop() (Block, bool) {
	tr := r.tr.Load()
	if tr == r.tw.Load() {
		return Block{}, false
	}
	st := r.stamps[tr&r.tmask]
	pcm := make([]int16, st.n*r.channels)
	start := int(st.pos & r.smask)
	k := copy(pcm, r.samples[start:])
	copy(pcm[k:], r.samples)
	r.sr.Store(st.pos + uint64(len(pcm)))
	r.tr.Store(tr + 1)
	return Block{Host: st.host, Frame: st.frame, PCM: pcm}, true
}
