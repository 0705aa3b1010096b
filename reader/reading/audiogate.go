package reading

import (
	"fmt"
	"math"

	"sightline/tracker/quality"
)

// AudioGate adds the audio's part of the case quality gate: audio present, not silent, its clock
// in step with the gaze's.
func AudioGate(q *Quality, a AudioCheck) {
	worse := func(v quality.GateVerdict) {
		if v == quality.Fail || (v == quality.Warn && q.Verdict == quality.Pass) {
			q.Verdict = v
		}
	}
	switch {
	case a.Err != "":
		worse(quality.Fail)
		q.Reasons = append(q.Reasons, "audio: "+a.Err)
	case a.Seconds == 0:
		worse(quality.Fail)
		q.Reasons = append(q.Reasons, "no audio recorded")
	case a.ScreenSeconds-a.Seconds > shortLimit(a.ScreenSeconds):
		worse(quality.Fail)
		q.Reasons = append(q.Reasons, fmt.Sprintf("audio covers %.1f s of the case's %.1f s on screen", a.Seconds, a.ScreenSeconds))
	case a.Silent:
		worse(quality.Warn)
		q.Reasons = append(q.Reasons, fmt.Sprintf("audio silent (peak %.0f dBFS)", a.PeakDB))
	}
	if a.GapMS > gapLimitMS {
		worse(quality.Fail)
		q.Reasons = append(q.Reasons, fmt.Sprintf("audio lost %.1f ms (frames the device did not deliver)", a.GapMS))
	}
	if math.Abs(a.DriftPPM) > AudioPPMLimit {
		worse(quality.Warn)
		q.Reasons = append(q.Reasons, fmt.Sprintf("audio clock runs %+.0f ppm against the host's", a.DriftPPM))
	}
	// Audio delivery is bursty: the drift of a short case says little (see audio.FitClock).
	if a.Seconds >= driftMinSeconds && math.Abs(a.DriftMS) > driftLimitMS {
		worse(quality.Warn)
		q.Reasons = append(q.Reasons, fmt.Sprintf("audio–gaze clock drift %.0f ms over the case", a.DriftMS))
	}
}

// shortLimit is how much shorter than the case's time on screen its audio may be: the
// delivery latency at the case's end (blocks still on their way when it closes) and PulseAudio's
// bursts, a second, plus 2% of the case.
func shortLimit(screen float64) float64 { return 1 + 0.02*screen }

const (
	driftLimitMS    = 20.0 // docs/FORMATS.md §5 wants audio and gaze clocks within tens of ms
	driftMinSeconds = 30.0
	gapLimitMS      = 20.0 // a case that lost more audio than this fails
	// AudioPPMLimit is how far the audio clock may run from the host's: a sound card's clock
	// is within ±100 ppm; beyond ±500 something is wrong.
	AudioPPMLimit = 500.0
)
