package gazesim

import (
	"math"
	"math/rand/v2"
	"strings"
)

// Behaviour model parameters. Durations are in seconds, angles in degrees.
const (
	fixMedian, fixSigma = 0.26, 0.35 // log-normal fixation durations …
	fixMin, fixMax      = 0.15, 0.60 // … clipped to the reading range
	sacMin, sacMax      = 0.020, 0.060
	sacBase, sacSlope   = 0.021, 0.0022 // main sequence: 21 ms + 2.2 ms/deg
	sacMinAmpDeg        = 0.5           // a smaller step is a refixation without a saccade
	blinkGapMin         = 1.5           // blinks at least this far apart …
	blinkGapMean        = 2.5           // … plus an exponential wait of this mean: ~15/min
	blinkMin, blinkMax  = 0.10, 0.30
	reactMin, reactMax  = 0.12, 0.25 // from a new screen or calibration target to the saccade
	driftMaxDegS        = 0.3        // slow drift within a fixation
	refixProb           = 0.3        // next fixation close to the current one
	refixDeg            = 1.2
	freeLookProb        = 0.1 // with a scene: a look anywhere in the central area
	scanStepDeg         = 5   // generic scan: typical step between fixations
	scanJumpProb        = 0.2
	centreScatterDeg    = 0.3 // fixations on a calibration disc
	driftFixations      = 8   // fixations into a case until the condition's pull is full
	timeUnit            = 100_000
	tickFreq            = 10_000_000
	pxPerMM             = 5.5 // camera pixels per mm of pupil at calibration depth
	aacDefault          = 15  // AAC_FILTER's moving-window length
)

// The central stage area a generic reader scans, in stage fractions.
var central = Target{X1: 0.25, Y1: 0.12, X2: 0.75, Y2: 0.88}

type phase int

const (
	fixating phase = iota
	saccading
	blinking
)

type point struct{ x, y float64 }

// rec is one device record with every field the simulator can send.
type rec struct {
	cnt      int64
	timeU    int64 // TIME in units of 10 µs, so that TIME = FPOGS + FPOGD holds to the digit
	tick     int64
	fx, fy   float64
	fsU, fdU int64
	fid      int64
	fv       bool
	lx, ly   float64
	lv       bool
	rx, ry   float64
	rv       bool
	bx, by   float64
	bv       bool
	ax, ay   float64
	av       bool

	lpcx, lpcy, lpd, lps float64
	rpcx, rpcy, rpd, rps float64
	leye, reye           [3]float64
	lpupil, rpupil       float64 // metres
	lmm, rmm             float64
	eyesV                bool

	bkid, bkpmin int64
	bkdurU       int64
}

// model is the simulated reader and device: a deterministic function of the seed, the record
// count and the screens and calibration targets it is told about.
type model struct {
	st  *settings
	rng *rand.Rand
	cnt int64

	ph      phase
	phStart int64 // count of the phase's first record
	phEnd   int64 // count of the record after the phase
	target  point // true gaze of the current (or next) fixation
	from    point // where the saccade started
	drift   point // fractions per second during this fixation
	box     *Target

	// The device's fixation record.
	fixID      int64
	fixStartU  int64
	fixSumX    float64
	fixSumY    float64
	fixN       int
	fixX, fixY float64
	fixDurU    int64 // the ended fixation's duration, frozen until the next one starts

	// Blinks.
	blinkID     int64
	nextBlinkU  int64
	blinkEnds   []int64
	reportBlink bool
	blinkDurU   int64

	// What is on screen.
	scene      Scene
	hasScene   bool
	calScreen  bool
	caseFix    int // fixations since the case appeared
	calTarget  point
	stimulus   bool // a validation target is on screen (TARGET marker): look at calTarget
	calibrated bool // a device calibration point is being shown

	phases   [5]float64
	aac      []point
	aacLen   int
	tickBase int64
}

func newModel(st *settings) *model {
	seed := uint64(st.seed)
	m := &model{st: st, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), aacLen: aacDefault}
	for i := range m.phases {
		m.phases[i] = m.rng.Float64() * 2 * math.Pi
	}
	m.tickBase = 600_000_000_000 + m.rng.Int64N(400_000_000_000)
	m.nextBlinkU = m.secU(blinkGapMin + m.rng.ExpFloat64()*blinkGapMean)
	m.target = m.pick()
	m.startFixation(0)
	return m
}

// timeU is the device time of record c in units of 10 µs.
func (m *model) timeU(c int64) int64 {
	return int64(math.Round(float64(c) * timeUnit / m.st.rate))
}

func (m *model) secU(s float64) int64 { return int64(math.Round(s * timeUnit)) }

// samples is a duration in records, at least one.
func (m *model) samples(sec float64) int64 {
	return max(1, int64(math.Round(sec*m.st.rate)))
}

// setScreen tells the model which case the station shows: the reader leaves the current
// fixation after a reaction time and reads the new scene.
func (m *model) setScreen(dicomID string) {
	m.calScreen = strings.HasPrefix(dicomID, "calibration-")
	m.stimulus = false
	m.scene, m.hasScene = Scene{}, false
	if m.st.scenes != nil && !m.calScreen {
		m.scene, m.hasScene = m.st.scenes(dicomID)
	}
	m.caseFix = 0
	m.box = nil
	m.react()
}

// setCalTarget shows a device calibration point (or hides it, on !on).
func (m *model) setCalTarget(p point, on bool) {
	m.calTarget, m.calibrated = p, on
	if on {
		m.react()
	}
}

// setStimulus shows a validation target: the station's own point, announced by a TARGET
// marker. The reader looks at it until the next screen.
func (m *model) setStimulus(p point) {
	m.calTarget, m.stimulus = p, true
	m.react()
}

// react shortens the current fixation to a reaction time, so that the eyes go to what
// has just appeared.
func (m *model) react() {
	if m.ph != fixating {
		return
	}
	end := m.cnt + m.samples(reactMin+m.rng.Float64()*(reactMax-reactMin))
	if end < m.phEnd {
		m.phEnd = end
	}
}

// next produces the record at the current count and advances.
func (m *model) next() rec {
	c := m.cnt
	for c >= m.phEnd {
		m.advance(c)
	}
	t := float64(c) / m.st.rate
	r := rec{cnt: c, timeU: m.timeU(c), tick: m.tickBase + int64(math.Round(float64(c)*tickFreq/m.st.rate))}

	var eye point
	switch m.ph {
	case fixating:
		dt := float64(c-m.phStart) / m.st.rate
		eye = point{m.target.x + m.drift.x*dt, m.target.y + m.drift.y*dt}
	case saccading:
		n := float64(m.phEnd - m.phStart)
		s := minJerk(float64(c-m.phStart+1) / (n + 1))
		eye = point{m.from.x + (m.target.x-m.from.x)*s, m.from.y + (m.target.y-m.from.y)*s}
	}

	if m.ph != blinking {
		// Each eye carries half the best POG's variance twice over: B = (L+R)/2 has Noise.
		sx, sy := m.st.noiseX*math.Sqrt2, m.st.noiseY*math.Sqrt2
		ox, oy := m.st.calOffset[0], m.st.calOffset[1]
		r.lx = eye.x + ox - 0.002 + m.rng.NormFloat64()*sx
		r.ly = eye.y + oy + 0.001 + m.rng.NormFloat64()*sy
		r.rx = eye.x + ox + 0.002 + m.rng.NormFloat64()*sx
		r.ry = eye.y + oy - 0.001 + m.rng.NormFloat64()*sy
		r.bx, r.by = (r.lx+r.rx)/2, (r.ly+r.ry)/2
		r.lv, r.rv, r.bv, r.eyesV = true, true, true, true
		m.physiology(&r, t, eye)
	}

	if m.ph == fixating {
		m.fixSumX += r.bx
		m.fixSumY += r.by
		m.fixN++
		m.fixX, m.fixY = m.fixSumX/float64(m.fixN), m.fixSumY/float64(m.fixN)
		r.fdU = r.timeU - m.fixStartU
		r.fv = true
	} else {
		r.fdU = m.fixDurU
	}
	r.fx, r.fy, r.fsU, r.fid = m.fixX, m.fixY, m.fixStartU, m.fixID

	// AAC: a moving average of the valid fixation POG.
	if r.fv {
		m.aac = append(m.aac, point{r.fx, r.fy})
		if len(m.aac) > m.aacLen {
			m.aac = m.aac[len(m.aac)-m.aacLen:]
		}
		for _, p := range m.aac {
			r.ax += p.x
			r.ay += p.y
		}
		r.ax /= float64(len(m.aac))
		r.ay /= float64(len(m.aac))
		r.av = true
	}

	// Blinks: reported on the first record after the eyes reopen, when the detector knows it
	// was a blink and how long it lasted; BKID is 0 on every other record (API §5.15).
	for len(m.blinkEnds) > 0 && r.timeU-m.blinkEnds[0] >= 60*timeUnit {
		m.blinkEnds = m.blinkEnds[1:]
	}
	r.bkpmin = int64(len(m.blinkEnds))
	if m.reportBlink && m.ph != blinking {
		r.bkid, r.bkdurU = m.blinkID, m.blinkDurU
		m.reportBlink = false
	}

	m.cnt++
	return r
}

// physiology fills the pupil and eye-position fields of a record with open eyes: pupils of
// about 3.5 mm varying slowly, the head swaying a little about 65 cm from the camera.
func (m *model) physiology(r *rec, t float64, gaze point) {
	ph := m.phases
	sin := func(period float64, i int) float64 { return math.Sin(2*math.Pi*t/period + ph[i]) }
	mm := 3.5 + 0.25*sin(23, 0) + 0.08*sin(6.7, 1) + 0.01*m.rng.NormFloat64()
	r.lmm, r.rmm = mm, mm+0.06+0.01*m.rng.NormFloat64()

	z := 0.65 + 0.012*sin(31, 2)
	hx := 0.004 * sin(41, 3)
	hy := 0.003 * sin(37, 4)
	r.leye = [3]float64{-0.032 + hx, 0.005 + hy, z}
	r.reye = [3]float64{0.032 + hx, 0.004 + hy, z + 0.003}
	r.lpupil, r.rpupil = r.lmm/1000, r.rmm/1000

	scale := z / 0.62 // 1 at calibration depth, above 1 farther away (API §5.9)
	r.lps, r.rps = scale, scale*1.005
	r.lpd, r.rpd = r.lmm*pxPerMM/scale, r.rmm*pxPerMM/scale
	// Pupil centres in the camera image: where the head is, shifted a little by the gaze.
	r.lpcx = 0.378 - 2*hx - 0.01*(gaze.x-0.5)
	r.lpcy = 0.594 + 2*hy + 0.01*(gaze.y-0.5)
	r.rpcx = 0.637 - 2*hx - 0.01*(gaze.x-0.5)
	r.rpcy = 0.598 + 2*hy + 0.01*(gaze.y-0.5)
}

// advance ends the phase that ends at record c and starts the next.
func (m *model) advance(c int64) {
	switch m.ph {
	case fixating:
		m.fixDurU = m.timeU(c-1) - m.fixStartU
		m.target = m.pick()
		if m.timeU(c) >= m.nextBlinkU {
			m.ph, m.phStart = blinking, c
			m.phEnd = c + m.samples(blinkMin+m.rng.Float64()*(blinkMax-blinkMin))
			return
		}
		m.startSaccade(c)
	case saccading:
		m.startFixation(c)
	case blinking:
		m.blinkID++
		m.blinkDurU = m.timeU(c - m.phStart) // from the count, not a difference of rounded times
		m.reportBlink = true
		m.blinkEnds = append(m.blinkEnds, m.timeU(c))
		m.nextBlinkU = m.timeU(c) + m.secU(blinkGapMin+m.rng.ExpFloat64()*blinkGapMean)
		m.startSaccade(c)
	}
}

// startSaccade moves the eyes from the last fixation to m.target, along a minimum-jerk path
// whose duration follows the main sequence.
func (m *model) startSaccade(c int64) {
	// From the last fixation's centroid, in true gaze (there always is one: newModel starts one).
	m.from = point{m.fixX - m.st.calOffset[0], m.fixY - m.st.calOffset[1]}
	amp := m.st.viewing.AngleDeg(m.target.x-m.from.x, m.target.y-m.from.y)
	if amp < sacMinAmpDeg {
		m.startFixation(c)
		return
	}
	dur := math.Min(sacMax, math.Max(sacMin, sacBase+sacSlope*amp))
	m.ph, m.phStart, m.phEnd = saccading, c, c+m.samples(dur)
}

// startFixation begins fixation m.fixID+1 at record c on m.target.
func (m *model) startFixation(c int64) {
	m.fixID++
	m.fixStartU = m.timeU(c)
	m.fixSumX, m.fixSumY, m.fixN = 0, 0, 0
	dur := math.Exp(math.Log(fixMedian) + fixSigma*m.rng.NormFloat64())
	dur = math.Min(fixMax, math.Max(fixMin, dur))
	m.ph, m.phStart, m.phEnd = fixating, c, c+m.samples(dur)
	dx, dy := m.st.viewing.DegreesToFraction(m.rng.Float64() * driftMaxDegS)
	a := m.rng.Float64() * 2 * math.Pi
	m.drift = point{dx * math.Cos(a), dy * math.Sin(a)}
	m.caseFix++
}

// pick chooses where the next fixation lands (true gaze, before the calibration offset).
func (m *model) pick() point {
	deg := func(d float64) (float64, float64) { return m.st.viewing.DegreesToFraction(d) }
	switch {
	case m.calibrated, m.stimulus:
		sx, sy := deg(centreScatterDeg)
		return point{m.calTarget.x + sx*m.rng.NormFloat64(), m.calTarget.y + sy*m.rng.NormFloat64()}
	case m.calScreen:
		sx, sy := deg(centreScatterDeg)
		return point{0.5 + sx*m.rng.NormFloat64(), 0.5 + sy*m.rng.NormFloat64()}
	}
	if m.rng.Float64() < refixProb && m.fixID > 0 {
		sx, sy := deg(refixDeg)
		p := point{m.target.x + sx*m.rng.NormFloat64(), m.target.y + sy*m.rng.NormFloat64()}
		b := central
		if m.box != nil {
			b = *m.box
		}
		return clampTo(p, b)
	}
	if m.hasScene && len(m.scene.Targets) > 0 && m.rng.Float64() >= freeLookProb {
		if t, ok := m.pickTarget(); ok {
			m.box = t
			return inside(m.rng, *t)
		}
	}
	m.box = nil
	if !m.hasScene && m.fixID > 0 && m.rng.Float64() >= scanJumpProb {
		// Generic reading: a step of a few degrees from where the eyes are.
		sx, sy := deg(scanStepDeg)
		return clampTo(point{m.target.x + sx*m.rng.NormFloat64(), m.target.y + sy*m.rng.NormFloat64()}, central)
	}
	return inside(m.rng, central)
}

// pickTarget draws one of the scene's targets by weight, the weights of the condition's
// relevant anatomy growing over the first fixations of the case (a global survey first,
// then the findings).
func (m *model) pickTarget() (*Target, bool) {
	ts := m.scene.Targets
	allZero := true
	for _, t := range ts {
		if t.Weight > 0 {
			allZero = false
		}
	}
	pull := math.Min(1, float64(m.caseFix)/driftFixations)
	w := make([]float64, len(ts))
	var sum float64
	for i, t := range ts {
		wi := t.Weight
		if allZero {
			wi = 1
		}
		if !(wi > 0) || !finite(wi) || !(t.X2 > t.X1) || !(t.Y2 > t.Y1) {
			continue
		}
		wi *= 1 + (relevance(m.scene.Condition, t.Name)-1)*pull
		w[i] = wi
		sum += wi
	}
	if !(sum > 0) || !finite(sum) {
		return nil, false
	}
	u := m.rng.Float64() * sum
	for i := range ts {
		if w[i] == 0 {
			continue
		}
		if u < w[i] {
			return &ts[i], true
		}
		u -= w[i]
	}
	for i := len(ts) - 1; i >= 0; i-- {
		if w[i] > 0 {
			return &ts[i], true
		}
	}
	return nil, false
}

// relevance is how much more a reader looks at anatomy named name in a case of condition:
// the heart and hila in heart failure, the opacity in pneumonia, the lungs in a normal film.
func relevance(condition, name string) float64 {
	n := strings.ToLower(name)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(n, w) {
				return true
			}
		}
		return false
	}
	switch strings.ToLower(condition) {
	case "chf":
		if has("cardiac", "heart", "hilar", "hila") {
			return 4
		}
	case "pneumonia":
		if has("opacity", "consolidation") {
			return 6
		}
		if has("lung") {
			return 1.5
		}
	case "normal":
		if has("lung") {
			return 2
		}
	}
	return 1
}

// inside is a point drawn uniformly from the middle 80% of t.
func inside(rng *rand.Rand, t Target) point {
	mx, my := (t.X2-t.X1)*0.1, (t.Y2-t.Y1)*0.1
	return point{t.X1 + mx + rng.Float64()*(t.X2-t.X1-2*mx), t.Y1 + my + rng.Float64()*(t.Y2-t.Y1-2*my)}
}

func clampTo(p point, t Target) point {
	return point{math.Min(t.X2, math.Max(t.X1, p.x)), math.Min(t.Y2, math.Max(t.Y1, p.y))}
}

// minJerk is the minimum-jerk profile: 0 at 0, 1 at 1, bell-shaped velocity.
func minJerk(s float64) float64 {
	s = math.Min(1, math.Max(0, s))
	return s * s * s * (10 - 15*s + 6*s*s)
}
