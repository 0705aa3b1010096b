package session

import (
	"math"
	"sightline/tracker/quality"
	"time"
)

// The typed records of a session folder that other packages write through the Recorder and
// read back through Open: one type each, so that the writer and every reader agree on the
// JSON. Field names and tags are the files' format (docs/FORMATS.md); changing one changes
// every recorded session's meaning.

// AudioFile, AudioMetaFile, AudioMP3File and TranscriptFile are the case folder's audio and
// transcript files, written by reader/audio and the transcription step.
const (
	AudioFile      = "audio.wav"
	AudioMetaFile  = "audio.json"
	AudioMP3File   = "audio.mp3"
	TranscriptFile = "transcript.json"
)

// Quality is a case's quality gate verdict, quality.json (data loss, track loss; audio and
// clock alignment when recorded).
type Quality struct {
	Verdict       quality.GateVerdict `json:"verdict"`
	Reasons       []string            `json:"reasons,omitempty"`
	DataLoss      float64             `json:"data_loss"`
	LongestLossMS int64               `json:"longest_loss_ms"`
	Samples       int                 `json:"samples"`
	Expected      int                 `json:"expected"`
	// TrackerLatencyMS is the median round trip of the USER_DATA sync markers whose echo came
	// back while the case was on screen (TrackerMarkers of them): sent → seen in a record.
	TrackerLatencyMS float64 `json:"tracker_latency_ms,omitempty"`
	TrackerMarkers   int     `json:"tracker_markers,omitempty"`
	// SwapDelayMS is how long after the case's onset (the space press) its image was on the
	// reader's screen, as the view said once it had swapped it in; absent: not measured.
	SwapDelayMS *float64    `json:"swap_delay_ms,omitempty"`
	Audio       *AudioCheck `json:"audio,omitempty"`
}

// AudioCheck is a case's audio as the quality gate sees it (quality.json's "audio").
type AudioCheck struct {
	Seconds  float64 `json:"seconds"`   // recorded
	PeakDB   float64 `json:"peak_dbfs"` // loudest block
	OffsetMS float64 `json:"offset_ms"` // first audio frame's host time minus the case's onset
	DriftMS  float64 `json:"drift_ms"`  // audio clock against the host clock over the case
	// DriftPPM is the audio clock against the host's (audio.json's envelope_ppm); beyond ±500
	// the case warns. GapMS is the audio the device lost in the case (gap_frames and
	// lost_frames); beyond 20 ms the case fails. JitterMS is the clock fit's RMS residual.
	DriftPPM float64 `json:"drift_ppm,omitempty"`
	GapMS    float64 `json:"gap_ms"`
	Gaps     int64   `json:"gaps,omitempty"` // stretches the device did not deliver (audio.json's overruns)
	JitterMS float64 `json:"jitter_ms,omitempty"`
	// ScreenSeconds is the case's time on screen while its audio was recorded: a WAV much
	// shorter than it lost the microphone on the way.
	ScreenSeconds float64 `json:"screen_seconds,omitempty"`
	// Silent: nothing louder than the station's silence threshold (−50 dBFS peak) was heard.
	// The case is offered for re-reading: its dictation is missing.
	Silent bool   `json:"silent,omitempty"`
	Err    string `json:"error,omitempty"`
}

// CheckReport is one calibration and validation round, a line of calibrations.jsonl: what
// the reader and operator saw after it.
type CheckReport struct {
	Round       int         `json:"round"`
	Calibration *CalSummary `json:"calibration,omitempty"`
	CalError    string      `json:"calibration_error,omitempty"`
	Validation  Validation  `json:"validation"`
}

// CalPoint is one calibration point's outcome: the target and the left and right eye's
// estimates, all in stage fractions.
type CalPoint struct {
	X, Y           float64
	LX, LY, RX, RY float64
	LValid, RValid bool
}

// CalSummary is a device calibration's result.
type CalSummary struct {
	Points      []CalPoint `json:"points"`
	AveErrorPx  float64    `json:"ave_error_px"`
	ValidPoints int        `json:"valid_points"`
}

// Validation is the outcome of the validation targets.
type Validation struct {
	AccuracyDeg  float64                   `json:"accuracy_deg"`
	PrecisionDeg float64                   `json:"precision_deg"`
	DataLoss     float64                   `json:"data_loss"`
	Verdict      quality.ValidationVerdict `json:"verdict"`
	Reasons      []string                  `json:"reasons,omitempty"`
	Points       []PointQuality            `json:"points"`
}

// VerdictFailed is a validation that measured nothing (no valid sample on any target): its
// accuracy is -1 in the file, meaning none, and the reader is never offered to accept it.
const VerdictFailed = quality.Failed

// Acceptable reports whether the reader may accept the validation and go on reading.
func (v Validation) Acceptable() bool { return v.Verdict != VerdictFailed }

// PointQuality is one validation target's figures.
type PointQuality struct {
	X, Y         float64
	AccuracyDeg  float64 `json:"accuracy_deg"`
	PrecisionDeg float64 `json:"precision_deg"`
	DataLoss     float64 `json:"data_loss"`
	GazeX, GazeY float64 // mean gaze on the target, for drawing the offset
	N            int
}

// AudioMeta is a case's audio.json: the recording's format and where its first frame sits on
// the host clock, so the WAV aligns with the gaze and the events. reader/audio writes it.
type AudioMeta struct {
	Rate     int `json:"rate"`
	Channels int `json:"channels"`
	// FirstFrameHostNS is the host time (session clock, ns) of the WAV's first frame as stamped
	// at its block's callback; −1 until audio arrives.
	FirstFrameHostNS int64 `json:"first_frame_host_ns"`
	// Anchored: the WAV's frame 0 is the case's onset (the pause's start, for a paused-K
	// recording), placed through the capture's clock at StartHostNS; a first block that came
	// later left a gap of silence, counted in GapFrames. Recordings made before had their
	// frame 0 at their first block.
	Anchored    bool  `json:"anchored,omitempty"`
	StartHostNS int64 `json:"start_host_ns,omitempty"`
	// LostFrames are frames of the case's span the device delivered too late to be written,
	// or never: the WAV is that much short at its end.
	LostFrames int64 `json:"lost_frames,omitempty"`
	// Frames in audio.wav, gap silence included.
	Frames int64 `json:"frames"`
	// Overruns counts the gaps in the device's frame sequence (one or more device callbacks
	// dropped because delivery fell behind); GapFrames the silence written in their place, which
	// keeps the WAV's time line true.
	Overruns  int64 `json:"overruns"`
	GapFrames int64 `json:"gap_frames"`
	// UpstreamFrames are the part of GapFrames the sound server lost before the capture saw
	// them (found from a lasting step in the blocks' stamps against their frames; its silence
	// is written up to 2 s after the sound it replaces).
	UpstreamFrames int64  `json:"upstream_frames,omitempty"`
	Device         string `json:"device"`
	Backend        string `json:"backend,omitempty"`
	// Clock fits of host time against frame index over the case (see audio.ClockFit), when
	// closed. Least squares: FitOffsetNS is the fitted host time of frame 0, DriftNS the drift
	// over the case, JitterNS the RMS residual. Lower envelope (robust to bursty delivery):
	// EnvelopeOffsetNS and EnvelopeDriftNS.
	FitOffsetNS      int64   `json:"fit_offset_ns,omitempty"`
	DriftNS          int64   `json:"drift_ns"`
	DriftPPM         float64 `json:"drift_ppm"`
	JitterNS         int64   `json:"jitter_ns"`
	EnvelopeOffsetNS int64   `json:"envelope_offset_ns,omitempty"`
	EnvelopeDriftNS  int64   `json:"envelope_drift_ns"`
	// EnvelopePPM is the lower envelope's slope − 1, in ppm: the device clock against the
	// host's, robust to bursty delivery (the least-squares DriftPPM is not).
	EnvelopePPM float64 `json:"envelope_ppm,omitempty"`
	// Complete is set at Close; a file left with false was cut off by a crash (see
	// audio.RecoverCase).
	Complete  bool `json:"complete"`
	Recovered bool `json:"recovered,omitempty"`
	// Segments are the stretches of reading after the first, when the case was paused: the
	// sound of a pause is in the pause's own folder (paused-K/audio.wav), not here. The fit
	// above counts device frames, pauses included; HostAt and FrameAt map through Segments.
	Segments []AudioSegment `json:"segments,omitempty"`
}

// AudioSegment is a stretch of a case's audio.wav after a pause: it starts at WAV frame Frame,
// whose block was stamped HostNS, and Skipped device frames (the pause) were left out before it.
type AudioSegment struct {
	Frame   int64 `json:"frame"`
	HostNS  int64 `json:"host_ns"`
	Skipped int64 `json:"skipped_frames"`
}

// device is the device frame (counted from the WAV's first, pauses included) of WAV frame f.
func (m AudioMeta) device(f int64) int64 {
	d := f
	for _, s := range m.Segments {
		if f >= s.Frame {
			d += s.Skipped
		}
	}
	return d
}

// wavFrame is device's inverse; a device frame inside a pause gives the frame where the sound
// goes on after it.
func (m AudioMeta) wavFrame(d int64) int64 {
	var cum int64
	for _, s := range m.Segments {
		gap := s.Frame + cum // device frame where the pause begins
		if d < gap {
			break
		}
		if d < gap+s.Skipped {
			return s.Frame
		}
		cum += s.Skipped
	}
	return d - cum
}

// maxPlacePPM bounds the drift used to place an anchored recording: beyond it the case is too
// short or too bursty for its slope to be a clock's, and the nominal rate places it better.
const maxPlacePPM = 1000

// GapMS is the audio the device lost in the recording, in ms: gaps filled with silence and
// frames never written.
func (m AudioMeta) GapMS() float64 {
	if m.Rate <= 0 {
		return 0
	}
	return float64(m.GapFrames+m.LostFrames) * 1000 / float64(m.Rate)
}

// slope is host seconds per audio second, and origin the host time of frame 0, from the clock
// fit of a closed recording, else from the first frame's stamp at the nominal rate. ok is false
// when the record cannot place the audio: no rate, or no audio arrived.
func (m AudioMeta) clock() (origin time.Duration, slope float64, ok bool) {
	if m.Rate <= 0 {
		return 0, 0, false
	}
	if m.Anchored {
		slope = 1
		if m.Complete && math.Abs(m.EnvelopePPM) < maxPlacePPM {
			slope += m.EnvelopePPM * 1e-6
		}
		return time.Duration(m.StartHostNS), slope, true
	}
	if m.Complete && m.FitOffsetNS != 0 {
		return time.Duration(m.FitOffsetNS), 1 + m.DriftPPM*1e-6, true
	}
	if m.FirstFrameHostNS < 0 {
		return 0, 0, false
	}
	return time.Duration(m.FirstFrameHostNS), 1, true
}

// HostAt is the session-clock time at which frame (of audio.wav, from 0) was captured: the
// audio clock mapped to the session's, so that the dictation plays in step with the gaze.
func (m AudioMeta) HostAt(frame int64) (time.Duration, bool) {
	origin, slope, ok := m.clock()
	if !ok {
		return 0, false
	}
	return origin + time.Duration(math.Round(slope*float64(m.device(frame))/float64(m.Rate)*1e9)), true
}

// FrameAt is HostAt's inverse: the frame of audio.wav captured at session-clock time host
// (before 0 or past the end when host lies outside the recording).
func (m AudioMeta) FrameAt(host time.Duration) (int64, bool) {
	origin, slope, ok := m.clock()
	if !ok || slope <= 0 {
		return 0, false
	}
	return m.wavFrame(int64(math.Floor((host - origin).Seconds() / slope * float64(m.Rate)))), true
}
