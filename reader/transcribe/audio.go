package transcribe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"

	"sightline/reader/atomicfile"
	"sightline/reader/wav"
)

// SilentDBFS is the level below which a dictation is silence (quality.json's "silent").
const SilentDBFS = -50.0

// ErrSilent is a dictation with nothing above SilentDBFS: there is nothing to transcribe.
var ErrSilent = fmt.Errorf("nothing above %.0f dBFS", SilentDBFS)

// FrontRate is the rate of the audio a recogniser is given: the acoustic model's (16 kHz).
const FrontRate = 16000

// Speech margins: how much of what surrounds the speech the front end keeps, so that a soft
// first or last sound (an "s", a breath before "no") is not cut: speechMargin and anchorSlack
// before and after the loud speech, and always 0.1 s before and after any frame of speech.
const speechMargin = 0.4

// PrepareAudio is the recogniser's front end. It reads a case's audio.wav (16-bit PCM at any
// rate and channel count), mixes it to mono, removes any DC offset, resamples it to 16 kHz
// with a windowed-sinc filter, and gives the recogniser the same samples for the same speech
// whatever surrounds it (digital silence, dither, a noise floor) and however loud it is
// (canonical): pocketsphinx's silence detector and cepstral mean adapt to what comes first,
// and a second of near-silence before the speech made it lose most words. It writes dst
// (mono, 16-bit, 16 kHz); the Audio it returns says where the kept part starts in the original
// (Offset), so that word times stay those of audio.wav. A file cut off after its header was
// written (a killed station) gives what it holds, with a note saying so.
func PrepareAudio(src, dst string) (Audio, []string, error) {
	info, err := wav.Inspect(src)
	if err != nil {
		return Audio{}, nil, err
	}
	var notes []string
	frames := info.Frames()
	switch {
	case info.Truncated():
		notes = append(notes, fmt.Sprintf("audio.wav is cut off: its header declares %.1f s, the file holds %.1f s (transcribed what is there)",
			float64(frames)/float64(info.Rate), float64(info.OnDisk)/float64(info.Rate)))
		frames = info.OnDisk
	case info.Unsynced():
		notes = append(notes, fmt.Sprintf("audio.wav holds %.1f s more than its header declares (a station killed while recording; transcribed all of it)",
			float64(info.OnDisk-frames)/float64(info.Rate)))
		frames = info.OnDisk
	}
	if frames <= 0 {
		return Audio{}, notes, errors.New("audio.wav holds no audio")
	}
	f, err := os.Open(src)
	if err != nil {
		return Audio{}, notes, err
	}
	defer f.Close()
	ch := info.Channels
	pcm := make([]byte, frames*int64(2*ch))
	if _, err := f.ReadAt(pcm, info.DataOffset); err != nil && err != io.EOF {
		return Audio{}, notes, fmt.Errorf("read audio.wav: %w", err)
	}
	// The DC blocker runs at 16 kHz, after the resampling, so that its phase at the voice's
	// lowest notes is the same whatever the file's rate.
	band := lowPass(toMono(pcm, ch), info.Rate, FrontRate)
	removeDC(band)
	peak := 0.0
	for _, x := range band {
		peak = max(peak, math.Abs(x))
	}
	if 20*math.Log10(max(peak, 1)/32768) < SilentDBFS {
		return Audio{}, notes, ErrSilent
	}
	x, offset := canonical(band, FrontRate)
	out := make([]byte, 44+2*len(x))
	putWAVHeader(out, FrontRate, int64(len(x)))
	for i, v := range x {
		binary.LittleEndian.PutUint16(out[44+2*i:], uint16(int16(max(-32768, min(32767, math.Round(v))))))
	}
	if err := atomicfile.WriteBytes(dst, out); err != nil {
		return Audio{}, notes, fmt.Errorf("write the recogniser's audio: %w", err)
	}
	return Audio{Path: dst, Rate: FrontRate, Seconds: float64(frames) / float64(info.Rate),
		Offset: offset}, notes, nil
}

// speechLevelDBFS is the level the front end brings speech to: the 95th percentile of its 25 ms
// frames' RMS (about espeak-ng's own level, so the development measurements of the noise floor
// below hold). pocketsphinx's cepstral mean starts from the model's and follows the audio, so a
// recording 4 dB louder began differently; at one level the start is the same.
const speechLevelDBFS = -16.0

// noiseFloorDBFS is the level (RMS, dB full scale, after the speech is at speechLevelDBFS) of a
// faint Gaussian noise floor laid under the audio the front end keeps. Digital silence and ±1
// LSB dither (what converters and editors leave in pauses) give pocketsphinx frames of wildly
// different energy for the same nothing; under a floor they are the same. The noise is the same
// sequence from the kept part's first sample in every file, so the same speech gets the same
// floor however it was padded. −50 dBFS was measured on the development set
// (testdata/heldout.txt; README): the base model 43.5% → 18.8% WER, enrolled readers 5.4% →
// 5.6%; the development measurement varies it (-asr.levels).
var noiseFloorDBFS = defaultNoiseFloorDBFS

const defaultNoiseFloorDBFS = -50.0

// noiseSeed seeds the floor: a constant, so every file gets the same samples.
const noiseSeed = 0x51647

// addNoiseFloor adds Gaussian noise of RMS level dBFS to x (none at −Inf), the same samples
// for every x from its first.
func addNoiseFloor(x []float64, dBFS float64) {
	if math.IsInf(dBFS, -1) {
		return
	}
	r := rand.New(rand.NewPCG(noiseSeed, noiseSeed))
	sigma := 32768 * math.Pow(10, dBFS/20)
	for i := range x {
		x[i] += sigma * r.NormFloat64()
	}
}

// toMono is the mean of the channels of 16-bit PCM, each declipped first.
func toMono(pcm []byte, ch int) []float64 {
	frames := len(pcm) / (2 * ch)
	mono := make([]float64, frames)
	one := make([]float64, frames)
	for c := 0; c < ch; c++ {
		for i := range one {
			one[i] = float64(int16(binary.LittleEndian.Uint16(pcm[(i*ch+c)*2:])))
		}
		declip(one)
		for i, v := range one {
			mono[i] += v / float64(ch)
		}
	}
	return mono
}

// declip redraws the runs of samples at 16-bit full scale (a recording that clipped) as the
// smooth curve the samples either side point to (a cubic Hermite through the last sample
// before the run and the first after it, with their slopes), so a clipped peak rises above
// full scale again instead of staying a flat top, whose corners add harmonics the recogniser
// hears as other sounds. Samples below full scale are never changed.
func declip(x []float64) {
	clipped := func(v float64) bool { return v >= 32767 || v <= -32768 }
	for i := 0; i < len(x); i++ {
		if !clipped(x[i]) {
			continue
		}
		a := i
		for i < len(x) && clipped(x[i]) && (x[i] > 0) == (x[a] > 0) {
			i++
		}
		b := i // the run is x[a:b]
		i = b - 1
		if a < 2 || b+1 >= len(x) {
			continue // at the file's edge: nothing to lean on
		}
		p0, p1 := x[a-1], x[b]
		n := float64(b - a + 1) // the steps from x[a-1] to x[b]
		m0, m1 := (x[a-1]-x[a-2])*n, (x[b+1]-x[b])*n
		for k := a; k < b; k++ {
			t := float64(k-a+1) / n
			t2, t3 := t*t, t*t*t
			v := (2*t3-3*t2+1)*p0 + (t3-2*t2+t)*m0 + (-2*t3+3*t2)*p1 + (t3-t2)*m1
			// The true peak was beyond full scale, on the clipped side.
			if x[a] > 0 {
				x[k] = max(v, 32767)
			} else {
				x[k] = min(v, -32768)
			}
		}
	}
}

// removeDC takes x's DC offset away: first its median (speech swings either side of its DC, and
// the median does not move when the file is padded with zeros or starts mid-word, as a mean or
// the first samples do), then a DC blocker follows any drift (a one-pole high-pass at about
// 5 Hz at 16 kHz: below speech).
func removeDC(x []float64) {
	dc := median16(x)
	var px, py float64
	for i, v := range x {
		v -= dc
		y := v - px + 0.998*py
		px, py = v, y
		x[i] = y
	}
}

// median16 is the median of x, samples of 16-bit audio, to the nearest step (a histogram: the
// file is not sorted).
func median16(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var hist [65536]int
	for _, v := range x {
		hist[int(max(-32768, min(32767, math.Round(v))))+32768]++
	}
	half := (len(x) + 1) / 2
	for i, n := range hist {
		if half -= n; half <= 0 {
			return float64(i - 32768)
		}
	}
	return 0
}

// canonical is the part of x (mono at rate) the recogniser is given, and where it starts in x
// in seconds (negative when the file had too little before the speech). The same speech comes
// out the same whatever surrounds it: the speech (speechFrames) with at least speechMargin of
// the file either side, cut at a fixed distance from anchors that no padding moves, zeros where
// the file has less (an unpadded file and the same speech after a second of silence give the
// same samples), brought to speechLevelDBFS, with the noise floor laid over all of it. With no
// clear speech everything is kept as it is, under the floor.
func canonical(file []float64, rate int) ([]float64, float64) {
	win, hop := rate/40, rate/100
	lead := int((speechMargin+anchorSlack)*100) * hop
	// The file is looked at with zeros either side, so that speech at its very first sample has
	// the frames before it that the same speech after a pause has: the frames fall at the same
	// places around the speech.
	pad := lead + 20*hop
	x := make([]float64, len(file)+2*pad)
	copy(x[pad:], file)
	lv := frameLevels(x, win, hop)
	first, last, ok := speechFrames(lv, lv[pad/hop:max(pad/hop, len(lv)-pad/hop)])
	if !ok {
		out := slices.Clone(file)
		addNoiseFloor(out, noiseFloorDBFS)
		return out, 0
	}
	// Where the cut falls is measured from the first and last frames within anchorDB of the
	// loudest, which no padding, floor or dither moves (speechFrames's threshold follows the
	// file's floor, so a noisier file starts its speech a frame or two later): the same speech
	// is cut at the same sample. The margin still covers every frame speechFrames calls speech.
	a, z := anchors(lv, first, last)
	edge := int(0.1 * float64(rate)) // at least this before any speech frame
	from := min(a*hop-lead, first*hop-edge)
	to := max(z*hop+win+lead, last*hop+win+edge)
	out := make([]float64, to-from)
	for i := range out {
		if j := from + i; j >= 0 && j < len(x) {
			out[i] = x[j]
		}
	}
	gate(out, lv, from, hop, win)
	level := percentile(lv[a:z+1], 95) - 20*math.Log10(32768)
	g := math.Pow(10, (speechLevelDBFS-level)/20)
	peak := 1.0
	for _, v := range out {
		peak = max(peak, math.Abs(v))
	}
	g = min(g, 32000/peak) // never clip what was not clipped
	for i := range out {
		out[i] *= g
	}
	addNoiseFloor(out, noiseFloorDBFS)
	return out, float64(from-pad) / float64(rate)
}

// gateDB: what comes before the first frame within gateDB of the loudest, and after the last,
// is not the speech's: the front end silences it (fading over gateFade), so that a file's own
// leading or trailing noise, dither or hum becomes the same floor as anyone else's silence.
// Speech's softest first sounds ("f", "th") sit about 30 dB under its loudest vowels, and
// what is under gateDB after them is kept (only the edges are gated, never a pause).
const (
	gateDB   = 35.0
	gateFade = 0.05
)

// gate silences out (the part of the analysed signal from sample from, whose frames of win
// every hop have levels lv) before the first frame within gateDB of the loudest and after the
// last, fading in and out over gateFade.
func gate(out, lv []float64, from, hop, win int) {
	top := slices.Max(lv)
	g0, g1 := -1, -1
	for i, l := range lv {
		if l >= top-gateDB {
			if g0 < 0 {
				g0 = i
			}
			g1 = i
		}
	}
	fade := int(gateFade * float64(hop*100))
	start, end := g0*hop-from, g1*hop+win-from // in out
	for i := range out {
		var w float64
		switch {
		case i < start-fade || i >= end+fade:
			w = 0
		case i < start:
			w = float64(i-(start-fade)) / float64(fade)
		case i >= end:
			w = float64(end+fade-i) / float64(fade)
		default:
			continue
		}
		out[i] *= w
	}
}

// anchorDB and anchorSlack: see canonical. Speech rises from its first sound to within 25 dB of
// its loudest in well under half a second.
const (
	anchorDB    = 25.0
	anchorSlack = 0.2
)

// anchors are the first and last frames of lv[first:last+1] within anchorDB of the loudest.
func anchors(lv []float64, first, last int) (a, z int) {
	top := slices.Max(lv[first : last+1])
	a, z = last, first
	for i := first; i <= last; i++ {
		if lv[i] >= top-anchorDB {
			a, z = min(a, i), max(z, i)
		}
	}
	return a, z
}

// frameLevels are the levels of x's frames of win samples every hop, in dB (of the samples'
// mean square, 1e-3 added so digital silence has a level).
func frameLevels(x []float64, win, hop int) []float64 {
	var lv []float64
	for s := 0; s+win <= len(x); s += hop {
		var e float64
		for _, v := range x[s : s+win] {
			e += v * v
		}
		lv = append(lv, 10*math.Log10(e/float64(win)+1e-3))
	}
	return lv
}

func percentile(x []float64, p int) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

// speechFrames are the first and last frames of lv that hold speech. Frame levels are compared
// with the file's own floor (the 2nd percentile of own, the levels of the file's own frames: a
// sentence cut close may have only a tenth of a second of quiet in two) and its loud speech
// (their 99th): a frame is speech above max(floor + 12 dB, loud − 35 dB), so digital silence,
// dither and a steady noise floor are all below it. ok is false with no clear speech (a flat
// level, or under 10 frames).
func speechFrames(lv, own []float64) (first, last int, ok bool) {
	if len(own) < 10 {
		return 0, 0, false
	}
	sorted := slices.Clone(own)
	slices.Sort(sorted)
	floor, loud := sorted[len(sorted)/50], sorted[len(sorted)*99/100]
	if loud-floor < 20 {
		return 0, 0, false
	}
	th := max(floor+12, loud-35)
	first, last = -1, -1
	for i, l := range lv {
		if l > th {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return first, last, first >= 0
}

// Resample converts x from rate from to rate to with a Blackman-windowed sinc low-pass at
// 90% of the lower Nyquist frequency, 12 zero crossings a side, its phases tabulated at
// 1/256 of a sample.
func Resample(x []float64, from, to int) []float64 {
	if from == to || len(x) == 0 {
		return slices.Clone(x)
	}
	return lowPass(x, from, to)
}

// lowPass is Resample's filter and conversion, also when the rates are the same: the front end
// gives the recogniser the same band whatever the file's rate (a file another program had
// already brought to 16 kHz kept its 7.2–8 kHz, where the model's top filter listens, and the
// same speech decoded two words differently).
func lowPass(x []float64, from, to int) []float64 {
	if len(x) == 0 {
		return nil
	}
	const zeros, phases = 12, 256
	fc := 0.45 * float64(min(from, to)) / float64(from) // cycles per input sample
	half := int(math.Ceil(zeros / (2 * fc)))
	taps := 2 * half
	table := make([]float64, (phases+1)*taps)
	for p := 0; p <= phases; p++ {
		frac := float64(p) / phases
		for k := 0; k < taps; k++ {
			d := float64(k-half+1) - frac // input index offset from the output position
			w := 0.0
			if r := d / float64(half); math.Abs(r) < 1 {
				w = 0.42 + 0.5*math.Cos(math.Pi*r) + 0.08*math.Cos(2*math.Pi*r)
			}
			s := 2 * fc
			if d != 0 {
				s = math.Sin(2*math.Pi*fc*d) / (math.Pi * d)
			}
			table[p*taps+k] = s * w
		}
	}
	n := int(int64(len(x)) * int64(to) / int64(from))
	out := make([]float64, n)
	step := float64(from) / float64(to)
	for i := range out {
		t := float64(i) * step
		c := int(t)
		p := int(math.Round((t - float64(c)) * phases))
		h := table[p*taps : (p+1)*taps]
		var acc float64
		for k, hk := range h {
			j := c + k - half + 1
			if j >= 0 && j < len(x) {
				acc += x[j] * hk
			}
		}
		out[i] = acc
	}
	return out
}

// putWAVHeader fills b's first 44 bytes: mono 16-bit PCM.
func putWAVHeader(b []byte, rate int, frames int64) { copy(b, wav.Header(rate, 1, uint32(2*frames))) }
