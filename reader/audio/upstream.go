package audio

import (
	"math"
	"time"
)

// Frames a sound server drops before the capture sees them (PulseAudio's record buffer full
// while the capture's thread was held: the server pushes on, the client reads what is left)
// leave no hole in the frame count: the stream goes on as if they had never been. They show on
// the host clock only: every block after them is stamped later, against its frame, by what was
// lost, and stays so. A callback is only ever late, never early, so the earliest-stamped block
// of a stretch (its stamp less its frame's nominal time) gives the clock's origin; a lasting
// step up in it, larger than the device's drift and its scheduling could make, is a loss.

// stepWindow is how long a step must last before it is taken for a loss: PulseAudio hands over
// fragments of up to ~100 ms, and a starved thread may be late for a while (under -race at load
// 10 a whole second of blocks came 9 ms late, and was taken for a loss with a 1 s window), but
// within two seconds some block comes on time. The loss is counted stepWindow after it
// happened, so its silence is written there, up to stepWindow after the sound it replaces.
const stepWindow = 2 * time.Second

// stepMin is the smallest step taken for a loss: the quality gate's own threshold (a case that
// lost more than 20 ms fails), far above the drift over clockSpan (tens of ppm: under 1 ms).
// Smaller losses are not counted. PulseAudio's buffers between the server and the callback held
// about 470 ms here, so what it loses comes in far larger pieces.
const stepMin = 20 * time.Millisecond

// upstream finds the frames lost before the capture and numbers the blocks after them on the
// time line they were recorded on (the lost frames counted, as a gap in the sequence).
type upstream struct {
	rate  int
	pts   []stampPoint // the last clockSpan of blocks
	shift int64        // frames lost so far: added to every block's frame from the loss on
}

type stampPoint struct{ host, off time.Duration }

// place renumbers b past the frames lost so far and returns the frames found lost just before
// it (0 mostly): b.Frame then leaves a gap of that many frames after the block before it.
func (u *upstream) place(b *Block) int64 {
	b.Frame += u.shift
	u.pts = append(u.pts, stampPoint{b.Host, b.Host - u.dur(b.Frame)})
	i := 0
	for i < len(u.pts)-1 && u.pts[i].host < b.Host-clockSpan {
		i++
	}
	u.pts = u.pts[i:]
	cut := b.Host - stepWindow
	before, recent, from := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64), b.Host
	for _, p := range u.pts {
		if p.host < cut {
			before = min(before, p.off)
		} else {
			recent, from = min(recent, p.off), min(from, p.host)
		}
	}
	// A stretch must span half the window: right after a long stall, the blocks that make up
	// the backlog all come at once, each later than the last (the earliest frames first).
	if before == math.MaxInt64 || b.Host-from < stepWindow/2 || recent-before < stepMin {
		return 0
	}
	n := int64(math.Round((recent - before).Seconds() * float64(u.rate)))
	u.shift += n
	b.Frame += n
	for k := range u.pts {
		if u.pts[k].host >= cut {
			u.pts[k].off -= u.dur(n)
		}
	}
	return n
}

func (u *upstream) dur(frames int64) time.Duration {
	return time.Duration(math.Round(float64(frames) * 1e9 / float64(u.rate)))
}
