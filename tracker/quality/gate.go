package quality

import (
	"fmt"
	"math"
	"time"

	"sightline/tracker"
)

// GateVerdict is CaseGate's verdict on a case. The constants below are the one place each is
// spelled; quality.json (reader/session.Quality) carries them as they are.
type GateVerdict string

// Verdicts of CaseGate, best first.
const (
	Pass GateVerdict = "pass"
	Warn GateVerdict = "warn"
	Fail GateVerdict = "fail"
)

// ValidationVerdict is Validate's verdict on a calibration check, spelled once here;
// calibrations.jsonl (reader/session.Validation) carries it as it is.
type ValidationVerdict string

// Verdicts of Validate, best first.
const (
	Good       ValidationVerdict = "good"
	Acceptable ValidationVerdict = "acceptable"
	Redo       ValidationVerdict = "redo"
	// Failed is a validation that measured nothing: not one valid sample on any target (the
	// tracker sent none, or never saw the eyes). There is no accuracy to accept.
	Failed ValidationVerdict = "failed"
)

// Thresholds are the limits behind the verdicts of Validate and CaseGate.
type Thresholds struct {
	// GoodAccuracyDeg and AcceptableAccuracyDeg bound a validation's mean accuracy: at most the
	// first is good, at most the second acceptable, above it the calibration must be redone.
	GoodAccuracyDeg, AcceptableAccuracyDeg float64
	// WarnDataLoss and FailDataLoss are data-loss fractions at or above which a case (or a
	// validation) warns and fails.
	WarnDataLoss, FailDataLoss float64
	// WarnLongestLoss and FailLongestLoss bound a case's longest blink or track loss.
	WarnLongestLoss, FailLongestLoss time.Duration
}

// DefaultThresholds are 1.0° good and 1.5° acceptable accuracy, and REFLACX's per-case gate
// (docs/FORMATS.md §5): data loss ≥ 10% warns and ≥ 15% fails; a loss ≥ 1.5 s warns and ≥ 3 s fails.
func DefaultThresholds() Thresholds {
	return Thresholds{
		GoodAccuracyDeg: 1.0, AcceptableAccuracyDeg: 1.5,
		WarnDataLoss: 0.10, FailDataLoss: 0.15,
		WarnLongestLoss: 1500 * time.Millisecond, FailLongestLoss: 3 * time.Second,
	}
}

// Gate is the quality verdict on one case's samples.
type Gate struct {
	Verdict GateVerdict // Pass, Warn or Fail
	Reasons []string    // one per warning or failure, worst first; empty on Pass
	// DataLoss is the lost fraction of Expected samples; Valid of them arrived valid.
	DataLoss        float64
	Expected, Valid int
	LongestLoss     time.Duration
}

// CaseGate is REFLACX's per-case quality gate over one case's samples (one image: the device
// clock does not restart within it) from a tracker at rate Hz. The expected count comes from the
// time the samples cover (TimeTick when its frequency is known, else Time) times the rate.
func CaseGate(samples []tracker.Sample, rate float64, th Thresholds) Gate {
	g := Gate{Verdict: Pass, Expected: Expected(span(samples, rate), rate)}
	for i := range samples {
		if usable(&samples[i]) {
			g.Valid++
		}
	}
	if g.Expected < len(samples) {
		// A slow clock or a rate set too low; the records held were expected at least.
		g.Expected = len(samples)
	}
	g.DataLoss = DataLoss(samples, g.Expected)
	g.LongestLoss = LongestLoss(samples, rate)
	return judge(g, len(samples), th)
}

// judge gives g its verdict and reasons from its figures.
func judge(g Gate, n int, th Thresholds) Gate {
	g.Verdict = Pass
	var fails, warns []string
	switch {
	case n == 0:
		fails = append(fails, "no samples")
	case g.DataLoss >= th.FailDataLoss:
		fails = append(fails, fmt.Sprintf("data loss %s ≥ %s", pct(g.DataLoss), pct(th.FailDataLoss)))
	case g.DataLoss >= th.WarnDataLoss:
		warns = append(warns, fmt.Sprintf("data loss %s ≥ %s", pct(g.DataLoss), pct(th.WarnDataLoss)))
	}
	switch {
	case g.LongestLoss >= th.FailLongestLoss:
		fails = append(fails, fmt.Sprintf("track loss of %s ≥ %s", secs(g.LongestLoss), secs(th.FailLongestLoss)))
	case g.LongestLoss >= th.WarnLongestLoss:
		warns = append(warns, fmt.Sprintf("track loss of %s ≥ %s", secs(g.LongestLoss), secs(th.WarnLongestLoss)))
	}
	switch {
	case len(fails) > 0:
		g.Verdict = Fail
	case len(warns) > 0:
		g.Verdict = Warn
	}
	g.Reasons = append(fails, warns...)
	return g
}

// CaseGateOnScreen is CaseGate for a case that was on screen for onScreen of reading time: the
// samples that never came count as lost, so that a tracker that stopped mid-case, or sent
// nothing at all, fails the case rather than passing it on the samples it did send. With no
// samples the whole time on screen is one track loss.
func CaseGateOnScreen(samples []tracker.Sample, rate float64, onScreen time.Duration, th Thresholds) Gate {
	g := CaseGate(samples, rate, th)
	exp := Expected(onScreen, rate)
	if exp <= g.Expected && len(samples) > 0 {
		return g
	}
	g.Expected = max(g.Expected, exp)
	g.DataLoss = DataLoss(samples, g.Expected)
	// The time on screen the samples do not cover is a loss at their ends: the head is a few
	// milliseconds when the tracker streams, so nearly all of it is a tracker that stopped.
	g.LongestLoss = max(g.LongestLoss, onScreen-span(samples, rate))
	if len(samples) == 0 {
		g.DataLoss = 1
	}
	return judge(g, len(samples), th)
}

// CaseGateSegments is CaseGateOnScreen for a case read in stretches (a pause, a recalibration
// between them): each segment holds the samples of one stretch of reading, and reading is the
// time they were on screen, pauses left out. Expected samples, data loss and the longest loss are
// taken within each stretch, never across the time between them.
func CaseGateSegments(segments [][]tracker.Sample, rate float64, reading time.Duration, th Thresholds) Gate {
	var (
		g       = Gate{Verdict: Pass}
		n       int
		covered time.Duration
	)
	for _, seg := range segments {
		if len(seg) == 0 {
			continue
		}
		one := CaseGate(seg, rate, th)
		g.Expected += one.Expected
		g.Valid += one.Valid
		g.LongestLoss = max(g.LongestLoss, one.LongestLoss)
		covered += span(seg, rate)
		n += len(seg)
	}
	g.Expected = max(g.Expected, Expected(reading, rate))
	if g.Expected > 0 {
		g.DataLoss = math.Min(1, math.Max(0, float64(g.Expected-g.Valid)/float64(g.Expected)))
	}
	if n == 0 {
		g.DataLoss = 1
	}
	// Reading time the samples do not cover is a loss at their ends (a tracker that stopped).
	g.LongestLoss = max(g.LongestLoss, reading-covered)
	return judge(g, n, th)
}

// pct formats a fraction as a percentage with one decimal ("12.5%").
func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// secs formats a duration in seconds with two decimals ("1.50 s").
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// degs formats an angle ("1.23°"); NaN reads "n/a".
func degs(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f°", x)
}
