package gazesim

import (
	"math"
	"time"

	"sightline/tracker"
)

// Defaults of a Config's zero fields. The calibration timings are the real device's
// (Open Gaze API §3.5, §3.6).
const (
	DefaultRate = 60
	MaxRate     = 2000
	// DefaultNoiseDeg gives a sample-to-sample RMS of about 0.25°: a plausible 60 Hz video
	// tracker, and quiet enough that a 1° I-DT window holds a fixation's samples (at 0.3° the
	// 100 ms dispersion alone exceeded 1° and I-DT found almost nothing).
	DefaultNoiseDeg   = 0.12
	DefaultCalDelay   = 500 * time.Millisecond
	DefaultCalTimeout = 1250 * time.Millisecond
	DefaultAddr       = "127.0.0.1:4242"
)

// DefaultCalOffset is the systematic gaze offset, in stage fractions, of a Config whose
// CalOffset is zero: about a quarter of a degree either way, a good calibration.
var DefaultCalOffset = [2]float64{0.005, 0.010}

// Config describes the simulated device and the reader in front of it.
type Config struct {
	// Rate is the sampling rate in Hz: 60 (GP3) or 150 (GP3 HD); up to MaxRate for stress.
	// Zero means DefaultRate.
	Rate float64
	// Seed makes the behaviour deterministic: the same Seed and the same commands give the
	// same REC stream on every connection.
	Seed int64
	// Product is PRODUCT_ID's VALUE; empty means "GP3" at 60 Hz or below, "GP3HD" above
	// (the spelling of the API document, §3.16).
	Product string
	// CalOffset is the systematic gaze offset (calibration error) in stage fractions, added to
	// all gaze. Zero means DefaultCalOffset; for a near-perfect calibration give a tiny value.
	CalOffset [2]float64
	// Noise is the sample jitter's standard deviation in degrees of visual angle. Zero means
	// DefaultNoiseDeg; a negative value means none.
	Noise float64
	// Scenes says what the case with a given DICOM id looks like; nil (or an unknown id) means
	// a generic scan of the central stage area. The simulator learns the id only from the
	// station's "SCREEN <n> <dicom_id> HOST=<ns>" USER_DATA markers. Connections call it
	// concurrently; the Scenes it returns are only read.
	Scenes func(dicomID string) (Scene, bool)
	// Viewing converts degrees to stage fractions; an invalid one (the zero value) means
	// tracker.PaperViewing().
	Viewing tracker.Viewing

	// CalDelay and CalTimeout are the calibration animation and dwell times per point until a
	// client sets CALIBRATE_DELAY or CALIBRATE_TIMEOUT. Zero means the device defaults
	// (0.5 s, 1.25 s); a negative CalDelay means no animation.
	CalDelay, CalTimeout time.Duration
	// NoCalibration makes a device that never calibrates: CALIBRATE_START is acknowledged and
	// no CAL message follows (a GP3 whose calibration does not start). For the station's
	// handling of it.
	NoCalibration bool
	// Speed is simulated time per wall-clock time; zero means 1 (real time). Above 1 the
	// records come faster than their TIME says, for tests that need many fixations quickly.
	Speed float64
}

// Scene is what the case on screen looks like to the simulated reader.
type Scene struct {
	// Condition is "normal", "CHF" or "pneumonia"; it steers the gaze toward the anatomy
	// that matters for it.
	Condition string
	Targets   []Target
}

// Target is a region the reader may look at, in stage fractions.
type Target struct {
	// Name is the anatomy, as bounding_boxes.csv names it ("cardiac silhouette", "left lung",
	// ...) or "opacity" for a pneumonia's focus.
	Name           string
	X1, Y1, X2, Y2 float64
	// Weight is the target's share of attention before the condition's drift; zero or less
	// counts as 1 when every weight is, else as never looked at.
	Weight float64
}

// settings are a Config with the defaults applied.
type settings struct {
	rate, speed float64
	seed        int64
	product     string
	calOffset   [2]float64
	noiseDeg    float64
	noiseX      float64 // noiseDeg as a fraction of the stage width
	noiseY      float64 // and of its height
	scenes      func(string) (Scene, bool)
	viewing     tracker.Viewing
	calDelay    time.Duration
	calTimeout  time.Duration
	noCal       bool
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func newSettings(c Config) *settings {
	s := &settings{rate: c.Rate, speed: c.Speed, seed: c.Seed, product: c.Product, calOffset: c.CalOffset,
		noiseDeg: c.Noise, scenes: c.Scenes, viewing: c.Viewing, calDelay: c.CalDelay, calTimeout: c.CalTimeout, noCal: c.NoCalibration}
	if !(s.rate > 0) || !finite(s.rate) {
		s.rate = DefaultRate
	}
	s.rate = math.Min(s.rate, MaxRate)
	if !(s.speed > 0) || !finite(s.speed) {
		s.speed = 1
	}
	if s.product == "" {
		s.product = "GP3"
		if s.rate > 60 {
			s.product = "GP3HD"
		}
	}
	if !finite(s.calOffset[0]) || !finite(s.calOffset[1]) || s.calOffset == ([2]float64{}) {
		s.calOffset = DefaultCalOffset
	}
	switch {
	case !finite(s.noiseDeg) || s.noiseDeg == 0:
		s.noiseDeg = DefaultNoiseDeg
	case s.noiseDeg < 0:
		s.noiseDeg = 0
	}
	if s.viewing.Validate() != nil {
		s.viewing = tracker.PaperViewing()
	}
	s.noiseX, s.noiseY = s.viewing.DegreesToFraction(s.noiseDeg)
	switch {
	case s.calDelay == 0:
		s.calDelay = DefaultCalDelay
	case s.calDelay < 0:
		s.calDelay = 0
	}
	if s.calTimeout <= 0 {
		s.calTimeout = DefaultCalTimeout
	}
	return s
}

// rateString is PRODUCT_ID's RATE: "60", "150", ...
func (s *settings) rateString() string {
	return formatNum(s.rate)
}
