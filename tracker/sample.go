// Package tracker provides gaze devices and what is computed from their samples, without any UI:
// the sample model, the mouse-as-gaze tracker, fixation filters and viewing geometry.
package tracker

import (
	"context"
	"time"
)

// Sample is one gaze record in the full Gazepoint model: every device field that the EGD-CXR
// 37-column layout carries (FORMATS.md §1), plus the host clock it arrived on. Positions are
// fractions of the 1920×1080 stage; pupil sizes are in the device's units.
type Sample struct {
	// Host is the host monotonic time since the session's clock origin (one clock for gaze,
	// audio and UI events).
	Host time.Duration

	CNT      int64   // device record counter
	Time     float64 // device time in seconds
	TimeTick int64   // device high-resolution tick
	TickFreq int64   // ticks per second of TimeTick (never assumed: queried or declared)

	// Fixation point of gaze: a growing record, same FPOGID while the fixation lasts.
	FPOGX, FPOGY float64
	FPOGS, FPOGD float64 // fixation start (device seconds) and duration so far
	FPOGID       int64
	FPOGV        bool

	// Left, right and best point of gaze.
	LPOGX, LPOGY float64
	LPOGV        bool
	RPOGX, RPOGY float64
	RPOGV        bool
	BPOGX, BPOGY float64
	BPOGV        bool

	// Pupils in the camera image: centre, diameter, scale, validity.
	LPCX, LPCY, LPD, LPS float64
	LPV                  bool
	RPCX, RPCY, RPD, RPS float64
	RPV                  bool

	// Blinks: id of the current/last blink, its duration, blinks per minute.
	BKID   int64
	BKDUR  float64
	BKPMIN float64

	// Pupil diameters in millimetres.
	LPMM  float64
	LPMMV bool
	RPMM  float64
	RPMMV bool

	// Cursor position as the device reports it (fractions), and its button state.
	CX, CY float64
	CS     int

	SaccadeMag, SaccadeDir float64
	VidFrame               int64

	// User carries the USER_DATA sync marker string, when one was set on this record.
	User string

	// Lost counts the device records missing just before this one (a CNT gap); 0 normally.
	Lost int64
	// Resumed is set on the first record after the device connection was lost and restored.
	Resumed bool
}

// Valid reports whether the sample has a usable best point of gaze.
func (s Sample) Valid() bool { return s.BPOGV }

// Tracker is a gaze source. Stream delivers samples to emit, in order, from the calling
// goroutine's owner (one goroutine per stream), until ctx is cancelled or the device fails.
// emit must not block for long: it is called at the device rate.
type Tracker interface {
	// Name says what the device is, for the session record ("mouse", "GP3 60 Hz", ...).
	Name() string
	// Rate is the nominal sampling rate in Hz.
	Rate() float64
	// Stream runs until ctx is done (returning nil) or the device fails (returning the error).
	Stream(ctx context.Context, emit func(Sample)) error
	// Mark puts a sync marker into the device stream (USER_DATA on a Gazepoint); it appears on
	// the next sample's User field.
	Mark(label string) error
}
