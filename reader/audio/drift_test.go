package audio

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// stamps synthesises the stamps of a capture: blocks of per frames from frame 0, the audio clock
// running ppm fast against the host clock (negative: slow), origin on the host clock, callbacks
// late by up to jitter (uniform), and the blocks in skip dropped.
func stamps(rate, per, blocks int, origin time.Duration, ppm float64, jitter time.Duration, skip map[int]bool) []BlockStamp {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []BlockStamp
	for i := range blocks {
		if skip[i] {
			continue
		}
		frame := int64(i * per)
		audio := float64(frame) / float64(rate)
		host := origin + seconds(audio/(1+ppm*1e-6))
		if jitter > 0 {
			host += time.Duration(rng.Int64N(int64(jitter)))
		}
		out = append(out, BlockStamp{Frame: frame, Host: host})
	}
	return out
}

// burst stamps the first n blocks as one backlog handed over at once, as PulseAudio does when a
// stream starts: the callbacks run back to back when the last block is complete, so each
// block carries that time minus one block's duration, late by the blocks queued behind it.
func burst(st []BlockStamp, n int) []BlockStamp {
	out := append([]BlockStamp(nil), st...)
	for i := range n {
		out[i].Host = st[n-1].Host
	}
	return out
}

// TestEnvelope: the lower-envelope fit ignores lateness that least squares averages in.
func TestEnvelope(t *testing.T) {
	const rate, per = 48000, 480
	cases := []struct {
		name          string
		st            []BlockStamp
		offset, drift time.Duration
		tol           time.Duration
	}{
		{"exact clocks", stamps(rate, per, 6000, 3*time.Second, 0, 0, nil), 3 * time.Second, 0, time.Microsecond},
		{"50 ppm slow, late by 0–4 ms", stamps(rate, per, 60000, 90*time.Second, -50, 4*time.Millisecond, nil), 90 * time.Second, 30 * time.Millisecond, 100 * time.Microsecond},
		{"start-up backlog of 1 s", burst(stamps(rate, per, 6000, 5*time.Second, 0, 0, nil), 100), 5 * time.Second, 0, 10 * time.Microsecond},
		{"one block", stamps(rate, per, 1, 7*time.Second, 0, 0, nil), 7 * time.Second, 0, 0},
		{"two blocks", stamps(rate, per, 2, 7*time.Second, 0, 0, nil), 7 * time.Second, 0, time.Microsecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := FitClock(c.st, rate)
			if d := f.EnvelopeOffset - c.offset; d < -c.tol || d > c.tol {
				t.Errorf("envelope offset %v, want %v ± %v", f.EnvelopeOffset, c.offset, c.tol)
			}
			if d := f.EnvelopeDrift - c.drift; d < -c.tol || d > c.tol {
				t.Errorf("envelope drift %v, want %v ± %v", f.EnvelopeDrift, c.drift, c.tol)
			}
		})
	}
	// The backlog drags least squares off by milliseconds over a minute.
	f := FitClock(burst(stamps(rate, per, 6000, 5*time.Second, 0, 0, nil), 100), rate)
	if f.Drift > -time.Millisecond {
		t.Errorf("least-squares drift %v under a 1 s backlog: the test no longer shows the bias", f.Drift)
	}
}

func TestDrift(t *testing.T) {
	const rate = 48000
	cases := []struct {
		name   string
		st     []BlockStamp
		offset time.Duration // want, ± tol
		drift  time.Duration
		tol    time.Duration
	}{
		{"exact clocks", stamps(rate, 480, 6000, 3*time.Second, 0, 0, nil), 3 * time.Second, 0, time.Microsecond},
		// A device 50 ppm slow over 10 minutes: the host sees 30 ms more than the frames say.
		{"50 ppm slow, 10 min", stamps(rate, 480, 60000, 90*time.Second, -50, 0, nil), 90 * time.Second, 30 * time.Millisecond, 10 * time.Microsecond},
		{"100 ppm fast, 10 min", stamps(rate, 480, 60000, time.Hour, 100, 0, nil), time.Hour, -60 * time.Millisecond, 10 * time.Microsecond},
		// Callbacks late by 0–4 ms (mean 2 ms): the offset carries the mean lateness, the drift
		// does not see it.
		{"jitter 4 ms", stamps(rate, 480, 30000, 10*time.Second, 30, 4*time.Millisecond, nil), 10*time.Second + 2*time.Millisecond, -9 * time.Millisecond, 200 * time.Microsecond},
		{"overruns leave gaps", stamps(rate, 480, 30000, 0, -20, time.Millisecond, map[int]bool{5: true, 6: true, 29000: true}), 500 * time.Microsecond, 6 * time.Millisecond, 100 * time.Microsecond},
		{"one block", stamps(rate, 480, 1, 7*time.Second, 0, 0, nil), 7 * time.Second, 0, 0},
		{"no blocks", nil, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			offset, drift := Drift(c.st, rate)
			if d := offset - c.offset; d < -c.tol || d > c.tol {
				t.Errorf("offset %v, want %v ± %v", offset, c.offset, c.tol)
			}
			if d := drift - c.drift; d < -c.tol || d > c.tol {
				t.Errorf("drift %v, want %v ± %v", drift, c.drift, c.tol)
			}
		})
	}
}

func TestFitClockJitter(t *testing.T) {
	fit := FitClock(stamps(48000, 480, 10000, 0, 0, 4*time.Millisecond, nil), 48000)
	// Uniform on [0, 4 ms): RMS about the mean is 4/√12 ≈ 1.15 ms; the worst just under 2 ms.
	if math.Abs(fit.Jitter.Seconds()-0.004/math.Sqrt(12)) > 50e-6 {
		t.Errorf("jitter %v, want ≈ 1.15 ms", fit.Jitter)
	}
	if fit.MaxResidual > 2*time.Millisecond+50*time.Microsecond || fit.MaxResidual < 1900*time.Microsecond {
		t.Errorf("max residual %v, want ≈ 2 ms", fit.MaxResidual)
	}
	if fit.Span != seconds(9999*480.0/48000) {
		t.Errorf("span %v", fit.Span)
	}
}

// TestDriftFlagged: the station's threshold catches a 40 ppm device over a 10-minute case, and
// not over a 5-minute one.
func TestDriftFlagged(t *testing.T) {
	for _, c := range []struct {
		minutes int
		flagged bool
	}{{10, true}, {5, false}} {
		_, d := Drift(stamps(48000, 480, c.minutes*6000, 0, -40, 2*time.Millisecond, nil), 48000)
		if got := d > DriftLimit || d < -DriftLimit; got != c.flagged {
			t.Errorf("%d min at 40 ppm: drift %v, flagged %v, want %v", c.minutes, d, got, c.flagged)
		}
	}
}
