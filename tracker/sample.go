// Package tracker provides gaze devices and what is computed from their samples, without any UI:
// the sample model, the mouse-as-gaze tracker, fixation filters and viewing geometry.
package tracker

import (
	"context"
	"time"
)

// Sample is one gaze record in the full Gazepoint model: every device field that the EGD-CXR
// 37-column layout carries (docs/FORMATS.md §1), plus the host clock it arrived on. Positions are
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

	// Absent is the set of device fields this sample's record did not carry: older GP3
	// firmware sends no BKID, BKDUR, BKPMIN, LPMM or RPMM. Their values here are zero (NaN for
	// a float read back from an empty cell) and are written as empty cells, never as a 0 that
	// could not be told from a measured zero. The empty set means every field came.
	Absent Fields
}

// Fields is a set of a Sample's device fields, one bit each (the Field constants).
type Fields uint64

// The device fields a record may lack, in the order a Gazepoint sends them.
const (
	FieldFPOGX Fields = 1 << iota
	FieldFPOGY
	FieldFPOGS
	FieldFPOGD
	FieldFPOGID
	FieldFPOGV
	FieldLPOGX
	FieldLPOGY
	FieldLPOGV
	FieldRPOGX
	FieldRPOGY
	FieldRPOGV
	FieldBPOGX
	FieldBPOGY
	FieldBPOGV
	FieldLPCX
	FieldLPCY
	FieldLPD
	FieldLPS
	FieldLPV
	FieldRPCX
	FieldRPCY
	FieldRPD
	FieldRPS
	FieldRPV
	FieldBKID
	FieldBKDUR
	FieldBKPMIN
	FieldLPMM
	FieldLPMMV
	FieldRPMM
	FieldRPMMV
	FieldCX
	FieldCY
	FieldCS
	numFields = iota
)

// AllFields is the set of every device field.
const AllFields Fields = 1<<numFields - 1

// FieldsFPOG are the fixation fields, which a fixation filter sets itself.
const FieldsFPOG = FieldFPOGX | FieldFPOGY | FieldFPOGS | FieldFPOGD | FieldFPOGID | FieldFPOGV

var fieldNames = [numFields]string{"FPOGX", "FPOGY", "FPOGS", "FPOGD", "FPOGID", "FPOGV",
	"LPOGX", "LPOGY", "LPOGV", "RPOGX", "RPOGY", "RPOGV", "BPOGX", "BPOGY", "BPOGV",
	"LPCX", "LPCY", "LPD", "LPS", "LPV", "RPCX", "RPCY", "RPD", "RPS", "RPV",
	"BKID", "BKDUR", "BKPMIN", "LPMM", "LPMMV", "RPMM", "RPMMV", "CX", "CY", "CS"}

// Names lists the fields of the set by their Open Gaze names, in record order.
func (f Fields) Names() []string {
	var out []string
	for i, n := range fieldNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
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
