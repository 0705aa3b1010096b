package audio

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// HoldBack is how long a Router keeps delivered audio before writing it: a case's end or a
// pause is decided on the session clock a little after it happened (the space press is
// stamped, the new image handed to the window, then the case's audio ended), and the frames after that instant must go
// to the new recording, not to the old one nor to nothing.
const HoldBack = 250 * time.Millisecond

// clockSpan is how far back the Router's audio clock looks for the earliest-stamped block:
// long enough to meet a block delivered without queueing, short enough that the device's
// drift against the host (tens of ppm) stays far below a millisecond.
const clockSpan = 10 * time.Second

// Switch is a point of a capture's frame sequence where its frames start going to another
// recording.
type Switch struct {
	// To receives the frames from the switch on; nil: they belong to no recording (between
	// cases) and are only counted (Router.Unrouted).
	To *CaseAudio
	// Resume: To goes on after a pause; the frames it did not get are left out of it as a
	// segment (CaseAudio.Skip), not filled with silence.
	Resume bool
	// Passed, if set, runs once the frames before the switch are all written (the Router's
	// caller closes the recording it ended there).
	Passed func()

	host  time.Duration
	frame int64
	known bool // frame is placed (the audio clock was known, or a block came)
}

// Router routes a capture's blocks, by frame, to the recording each frame belongs to: the case
// being read, its pause's recording, or none. Switches are given on the session clock and
// placed on the frame sequence through the audio clock (the earliest-stamped block of the last
// clockSpan: a callback is only ever late). Delivered blocks are held HoldBack before they are
// written, so a switch decided up to HoldBack after its instant still splits the frames
// exactly: no frame goes to two recordings, none is lost between them.
//
// A Router is not safe for concurrent use: its owner serialises Add, SwitchAt and Flush.
type Router struct {
	rate, channels int
	clock          clockWindow
	held           []Block
	switches       []*Switch
	sink           *CaseAudio
	next           int64 // next device frame to route
	started        bool
	delivered      int64 // frames delivered so far (the frame after the last block)
	unrouted       int64
}

// NewRouter routes blocks of rate Hz × channels.
func NewRouter(rate, channels int) *Router {
	return &Router{rate: rate, channels: channels}
}

// SwitchAt makes the frames from session-clock time host on go to sw.To. Switches are kept in
// the order given; one placed before frames already written takes effect at the next frame
// (Add reports it).
func (r *Router) SwitchAt(host time.Duration, sw Switch) {
	sw.host = host
	if f, ok := r.FrameAt(host); ok {
		sw.frame, sw.known = f, true
	}
	r.switches = append(r.switches, &sw)
}

// FrameAt is the device frame captured at session-clock time host, and false before any block
// came.
func (r *Router) FrameAt(host time.Duration) (int64, bool) {
	off, ok := r.clock.min()
	if !ok {
		return 0, false
	}
	return int64(math.Floor((host - off).Seconds() * float64(r.rate))), true
}

// HostAt is FrameAt's inverse: the session-clock time of device frame f.
func (r *Router) HostAt(f int64) time.Duration {
	off, _ := r.clock.min()
	return off + time.Duration(math.Round(float64(f)*1e9/float64(r.rate)))
}

// Delivered is the device frame after the last block delivered.
func (r *Router) Delivered() int64 { return r.delivered }

// Unrouted counts the frames that belonged to no recording (between cases).
func (r *Router) Unrouted() int64 { return r.unrouted }

// Add takes a delivered block and writes what is older than HoldBack.
func (r *Router) Add(b Block) error {
	n := int64(len(b.PCM) / r.channels)
	r.clock.add(b.Host-time.Duration(math.Round(float64(b.Frame)*1e9/float64(r.rate))), b.Host)
	for _, sw := range r.switches {
		if !sw.known {
			// Placed on this block's clock: the first block came after the switch was given.
			sw.frame, sw.known = b.Frame+int64(math.Floor((sw.host-b.Host).Seconds()*float64(r.rate))), true
		}
	}
	r.held = append(r.held, b)
	r.delivered = max(r.delivered, b.Frame+n)
	var errs []error
	for len(r.held) > 0 && b.Host-r.held[0].Host >= HoldBack {
		errs = append(errs, r.write(r.held[0]))
		r.held = r.held[1:]
	}
	return errors.Join(errs...)
}

// Flush writes the held frames before device frame through (all of them when through < 0)
// and passes the switches at or before it.
func (r *Router) Flush(through int64) error {
	var errs []error
	for len(r.held) > 0 {
		b := r.held[0]
		n := int64(len(b.PCM) / r.channels)
		if through >= 0 && b.Frame >= through {
			break
		}
		if through >= 0 && b.Frame+n > through {
			k := (through - b.Frame) * int64(r.channels)
			head := Block{Host: b.Host, Frame: b.Frame, PCM: b.PCM[:k], Upstream: b.Upstream}
			r.held[0] = Block{Host: r.blockHost(b, through), Frame: through, PCM: b.PCM[k:]}
			errs = append(errs, r.write(head))
			break
		}
		errs = append(errs, r.write(b))
		r.held = r.held[1:]
	}
	if through >= 0 {
		errs = append(errs, r.pass(through))
	}
	return errors.Join(errs...)
}

// blockHost is the stamp of the part of b that starts at frame f.
func (r *Router) blockHost(b Block, f int64) time.Duration {
	return b.Host + time.Duration(math.Round(float64(f-b.Frame)*1e9/float64(r.rate)))
}

// pass applies the placed switches at or before frame f.
func (r *Router) pass(f int64) error {
	var errs []error
	for len(r.switches) > 0 && r.switches[0].known && r.switches[0].frame <= f {
		sw := r.switches[0]
		r.switches = r.switches[1:]
		at := sw.frame
		if r.started && at < r.next {
			at = r.next // placed before frames already written: from the next one
		}
		r.sink = sw.To
		if to := sw.To; to != nil {
			if sw.Resume {
				to.Skip()
			} else if !to.started {
				errs = append(errs, to.Anchor(at, r.HostAt(at)))
			}
		}
		if sw.Passed != nil {
			sw.Passed()
		}
	}
	return errors.Join(errs...)
}

// write routes one block, split at the switches within it.
func (r *Router) write(b Block) error {
	n := int64(len(b.PCM) / r.channels)
	a, e := b.Frame, b.Frame+n
	if r.started && a < r.next {
		return fmt.Errorf("route audio: block at frame %d overlaps frames routed up to %d", a, r.next)
	}
	r.started = true
	var errs []error
	for a < e {
		errs = append(errs, r.pass(a))
		end := e
		if len(r.switches) > 0 && r.switches[0].known && r.switches[0].frame < e {
			end = max(r.switches[0].frame, a+1)
		}
		part := Block{Host: r.blockHost(b, a), Frame: a,
			PCM: b.PCM[(a-b.Frame)*int64(r.channels) : (end-b.Frame)*int64(r.channels)]}
		if a == b.Frame {
			part.Upstream = b.Upstream // the gap before the block, not before its parts
		}
		if r.sink != nil && !r.sink.closed {
			errs = append(errs, r.sink.Add(part))
		} else {
			r.unrouted += end - a
		}
		a = end
	}
	r.next = e
	return errors.Join(errs...)
}

// clockWindow is the sliding minimum, over the last clockSpan, of a block's stamp minus its
// frame's nominal time: the host time of device frame 0 as the least delayed block puts it.
type clockWindow struct {
	q []clockPoint // increasing off, increasing host
}

type clockPoint struct{ off, host time.Duration }

func (w *clockWindow) add(off, host time.Duration) {
	for len(w.q) > 0 && w.q[len(w.q)-1].off >= off {
		w.q = w.q[:len(w.q)-1]
	}
	w.q = append(w.q, clockPoint{off, host})
	for len(w.q) > 1 && w.q[0].host < host-clockSpan {
		w.q = w.q[1:]
	}
}

func (w *clockWindow) min() (time.Duration, bool) {
	if len(w.q) == 0 {
		return 0, false
	}
	return w.q[0].off, true
}
