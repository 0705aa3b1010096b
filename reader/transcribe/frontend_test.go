package transcribe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// level is the RMS of x[from:to] in dB relative to amplitude 1.
func level(x []float64, from, to int) float64 {
	var e float64
	for _, v := range x[from:to] {
		e += v * v
	}
	return 10 * math.Log10(e/float64(to-from))
}

func sine(rate int, hz, amp, seconds float64) []float64 {
	x := make([]float64, int(seconds*float64(rate)))
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*hz*float64(i)/float64(rate))
	}
	return x
}

// TestResample: a tone in the band keeps its level at every rate the front end meets; a tone
// above the new Nyquist frequency is filtered out instead of folding back as a false sound.
func TestResample(t *testing.T) {
	for _, from := range []int{8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000} {
		x := Resample(sine(from, 1000, 1, 1), from, FrontRate)
		if n := len(x); n != FrontRate {
			t.Errorf("%d Hz: %d samples for a second at 16 kHz", from, n)
		}
		// Compare with the ideal tone, away from the edges.
		want := sine(FrontRate, 1000, 1, 1)
		var diff float64
		for i := 1000; i < 15000; i++ {
			diff = max(diff, math.Abs(x[i]-want[i]))
		}
		if diff > 0.01 {
			t.Errorf("%d Hz → 16 kHz: a 1 kHz tone is off by %.4f of full scale", from, diff)
		}
		if from > 2*FrontRate*10/9 {
			// 12 kHz would alias to 4 kHz.
			y := Resample(sine(from, 12000, 1, 1), from, FrontRate)
			if l := level(y, 1000, 15000); l > -60 {
				t.Errorf("%d Hz → 16 kHz: a 12 kHz tone leaks through at %.1f dB", from, l)
			}
		}
	}
}

// speechLike is a 2 s burst of a modulated tone (syllables) at rate: samples and the burst's span.
func speechLike(rate int) []float64 {
	x := sine(rate, 300, 8000, 2)
	for i := range x {
		x[i] *= 0.6 + 0.4*math.Sin(2*math.Pi*4*float64(i)/float64(rate))
	}
	return x
}

// keptLead is how much the front end keeps before speech that starts at once (a burst): the
// margin and the anchor's slack.
const keptLead = speechMargin + anchorSlack

// TestPrepareAudioFindsSpeech puts the same burst behind a second of what edited and
// converted files carry before and after the speech, at several rates and with a DC offset,
// and checks the front end keeps the burst with its margins and reports where it starts.
func TestPrepareAudioFindsSpeech(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	fills := map[string]func() float64{
		"zeros":            func() float64 { return 0 },
		"dither":           func() float64 { return float64(r.IntN(3) - 1) },
		"−50 dB noise":     func() float64 { return r.NormFloat64() * 32768 * math.Pow(10, -50.0/20) },
		"−40 dB noise":     func() float64 { return r.NormFloat64() * 32768 * math.Pow(10, -40.0/20) },
		"DC 3000 + dither": func() float64 { return 3000 + float64(r.IntN(3)-1) },
	}
	for name, fill := range fills {
		for _, rate := range []int{16000, 22050, 44100, 48000} {
			burst := speechLike(rate)
			var s []int16
			for range rate {
				s = append(s, int16(fill()))
			}
			for _, v := range burst {
				dc := 0.0
				if name == "DC 3000 + dither" {
					dc = 3000
				}
				s = append(s, int16(v+dc))
			}
			for range rate {
				s = append(s, int16(fill()))
			}
			src := filepath.Join(dir, "in.wav")
			writeWAV(t, src, rate, 1, s, -1)
			a, _, err := PrepareAudio(src, filepath.Join(dir, "out.wav"))
			if err != nil {
				t.Fatalf("%s at %d Hz: %v", name, rate, err)
			}
			if math.Abs(a.Offset-(1-keptLead)) > 0.03 {
				t.Errorf("%s at %d Hz: speech kept from %.3f s, want %.3f s", name, rate, a.Offset, 1-keptLead)
			}
			out, orate := readMono(t, filepath.Join(dir, "out.wav"))
			if orate != FrontRate {
				t.Errorf("%s at %d Hz: written at %d Hz", name, rate, orate)
			}
			kept := float64(len(out)) / FrontRate
			if want := 2 + 2*keptLead; math.Abs(kept-want) > 0.06 {
				t.Errorf("%s at %d Hz: kept %.3f s, want %.3f s", name, rate, kept, want)
			}
			var sum float64
			for _, v := range out {
				sum += float64(v)
			}
			if m := sum / float64(len(out)); math.Abs(m) > 50 {
				t.Errorf("%s at %d Hz: mean %.0f left after DC removal", name, rate, m)
			}
			if math.Abs(a.Seconds-4) > 1e-3 {
				t.Errorf("%s at %d Hz: %.3f s of original audio, want 4", name, rate, a.Seconds)
			}
		}
	}
}

// TestAudioShift: word times from the kept part are times in the original recording.
func TestAudioShift(t *testing.T) {
	ws := Audio{Offset: 0.6}.shift([]Word{{Word: "no", Begin: 0.1, End: 0.3}})
	if math.Abs(ws[0].Begin-0.7) > 1e-12 || math.Abs(ws[0].End-0.9) > 1e-12 {
		t.Errorf("%+v", ws)
	}
}

// TestNoiseFloor: the front end's noise floor lies at its level under digital silence, the
// same samples every time.
func TestNoiseFloor(t *testing.T) {
	dir := t.TempDir()
	rate := 16000
	s := make([]int16, 3*rate)
	for i := rate; i < 2*rate; i++ { // a second of tone between two of silence
		s[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
	}
	src := filepath.Join(dir, "in.wav")
	writeMono(t, src, s, rate)
	var outs [2][]int16
	for k := range outs {
		p := filepath.Join(dir, fmt.Sprintf("out%d.wav", k))
		if _, _, err := PrepareAudio(src, p); err != nil {
			t.Fatal(err)
		}
		outs[k], _ = readMono(t, p)
	}
	if !slices.Equal(outs[0], outs[1]) {
		t.Fatal("the same file gave different samples")
	}
	var e float64
	n := rate / 4 // the kept margin before the tone: silence plus the floor
	for _, v := range outs[0][:n] {
		e += float64(v) * float64(v)
	}
	if got := 10 * math.Log10(e/float64(n)/(32768*32768)); math.Abs(got-noiseFloorDBFS) > 1.5 {
		t.Errorf("floor at %.1f dBFS, want %.0f", got, noiseFloorDBFS)
	}
}

// TestFrontEndCanonical: the same speech reaches the recogniser as the same samples however
// it was padded, however loud, and with a DC offset: unpadded (a tenth of a second before it,
// less than the margin the front end keeps), after a second of zeros or of dither, at half the
// level. Word times still point into each file (Offset).
func TestFrontEndCanonical(t *testing.T) {
	dir := t.TempDir()
	rate := 22050
	burst := speechLike(rate)
	r := rand.New(rand.NewPCG(3, 4))
	file := func(lead int, fill func() float64, gain, dc float64) string {
		var s []int16
		for range lead {
			s = append(s, sat(fill()+dc))
		}
		for _, v := range burst {
			s = append(s, sat(gain*v+dc))
		}
		for range rate / 10 {
			s = append(s, sat(fill()+dc))
		}
		p := filepath.Join(dir, fmt.Sprintf("in%d.wav", len(s)+int(gain*1000)+int(dc)))
		writeMono(t, p, s, rate)
		return p
	}
	zero := func() float64 { return 0 }
	cases := []struct {
		name   string
		src    string
		offset float64
	}{
		{"unpadded", file(rate/10, zero, 1, 0), 0.1 - keptLead},
		{"1 s of zeros before", file(rate, zero, 1, 0), 1 - keptLead},
		{"1 s of dither before", file(rate, func() float64 { return float64(r.IntN(3) - 1) }, 1, 0), 1 - keptLead},
		{"half the level", file(rate/10, zero, 0.5, 0), 0.1 - keptLead},
		{"DC offset 2000", file(rate/10, zero, 1, 2000), 0.1 - keptLead},
	}
	var want []int16
	for _, c := range cases {
		a, _, err := PrepareAudio(c.src, filepath.Join(dir, "out.wav"))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if math.Abs(a.Offset-c.offset) > 0.03 {
			t.Errorf("%s: kept from %.3f s of the file, want %.3f", c.name, a.Offset, c.offset)
		}
		got, _ := readMono(t, filepath.Join(dir, "out.wav"))
		if want == nil {
			want = got
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d samples, the unpadded speech %d", c.name, len(got), len(want))
			continue
		}
		var worst float64
		for i := range got {
			worst = max(worst, math.Abs(float64(got[i])-float64(want[i])))
		}
		// Dither, rounding at half the level and the DC blocker's settling: a few steps.
		if worst > 8 {
			t.Errorf("%s: samples differ from the unpadded speech's by up to %.0f", c.name, worst)
		}
	}
}

// TestDeclip: a tone clipped at full scale is redrawn nearer the tone than the flat tops were,
// and a tone that never reached full scale is left exactly as it was.
func TestDeclip(t *testing.T) {
	rate := 22050
	tone := sine(rate, 300, 1.5*32767, 0.1)
	x := make([]float64, len(tone))
	for i, v := range tone {
		x[i] = max(-32768, min(32767, math.Round(v)))
	}
	errOf := func(y []float64) float64 {
		var e float64
		for i := range y {
			e += (y[i] - tone[i]) * (y[i] - tone[i])
		}
		return math.Sqrt(e / float64(len(y)))
	}
	before := errOf(x)
	declip(x)
	if after := errOf(x); after > before/3 {
		t.Errorf("clipped tone off by %.0f RMS, after declip %.0f: want a third or less", before, after)
	}
	quiet := sine(rate, 300, 20000, 0.1)
	q := slices.Clone(quiet)
	declip(q)
	if !slices.Equal(q, quiet) {
		t.Error("declip changed a tone below full scale")
	}
}
