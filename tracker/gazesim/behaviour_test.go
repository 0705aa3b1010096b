package gazesim

import (
	"math"
	"strconv"
	"testing"

	"sightline/tracker"
)

// chest is a portrait chest film centred on the stage, its anatomy in stage fractions.
var chest = []Target{
	{Name: "right lung", X1: 0.31, Y1: 0.15, X2: 0.48, Y2: 0.80, Weight: 1},
	{Name: "left lung", X1: 0.52, Y1: 0.15, X2: 0.69, Y2: 0.80, Weight: 1},
	{Name: "cardiac silhouette", X1: 0.44, Y1: 0.48, X2: 0.62, Y2: 0.78, Weight: 1},
	{Name: "right hilar structures", X1: 0.40, Y1: 0.38, X2: 0.47, Y2: 0.52, Weight: 1},
	{Name: "left hilar structures", X1: 0.53, Y1: 0.38, X2: 0.60, Y2: 0.52, Weight: 1},
	{Name: "trachea", X1: 0.48, Y1: 0.08, X2: 0.52, Y2: 0.35, Weight: 1},
}

var opacity = Target{Name: "opacity", X1: 0.34, Y1: 0.55, X2: 0.44, Y2: 0.70, Weight: 1}

func scenes(id string) (Scene, bool) {
	switch id {
	case "chf-case":
		return Scene{Condition: "CHF", Targets: chest}, true
	case "pneumonia-case":
		return Scene{Condition: "pneumonia", Targets: append([]Target{opacity}, chest...)}, true
	case "normal-case":
		return Scene{Condition: "normal", Targets: chest}, true
	}
	return Scene{}, false
}

// fixations reads n records after the station's SCREEN marker for id and returns the device's
// fixation centroids (each fixation's last valid FPOG), with the calibration offset removed.
func fixations(t *testing.T, addr, id string, n int) []point {
	t.Helper()
	marker := ""
	if id != "" {
		marker = "SCREEN 1 " + id + " HOST=1700000000000000000"
	}
	return fixationsAfter(t, addr, marker, n)
}

// fixationsAfter is fixations after an arbitrary USER_DATA marker.
func fixationsAfter(t *testing.T, addr, marker string, n int) []point {
	t.Helper()
	c := dial(t, addr)
	c.enable("ENABLE_SEND_COUNTER", "ENABLE_SEND_TIME", "ENABLE_SEND_POG_FIX", "ENABLE_SEND_USER_DATA")
	if marker != "" {
		// Sent before the stream starts, so the switch falls on record 0 and the run is
		// reproducible.
		c.cmd(`<SET ID="USER_DATA" VALUE="` + marker + `" DUR="1" />`)
		c.reply()
	}
	c.cmd(`<SET ID="ENABLE_SEND_DATA" STATE="1" />`)
	ss, _ := c.samples(n)
	last := map[int64]tracker.Sample{}
	var order []int64
	for _, s := range ss {
		if !s.FPOGV {
			continue
		}
		if _, ok := last[s.FPOGID]; !ok {
			order = append(order, s.FPOGID)
		}
		last[s.FPOGID] = s
	}
	var out []point
	for _, id := range order {
		s := last[id]
		out = append(out, point{s.FPOGX - DefaultCalOffset[0], s.FPOGY - DefaultCalOffset[1]})
	}
	return out
}

func in(p point, ts ...Target) bool {
	for _, t := range ts {
		if p.x >= t.X1 && p.x <= t.X2 && p.y >= t.Y1 && p.y <= t.Y2 {
			return true
		}
	}
	return false
}

// area is the share of the stage the targets cover, counting overlaps twice (an upper bound
// of the chance of a uniformly random fixation landing in one).
func area(ts ...Target) float64 {
	var a float64
	for _, t := range ts {
		a += (t.X2 - t.X1) * (t.Y2 - t.Y1)
	}
	return a
}

func TestSceneSwitch(t *testing.T) {
	heart, lungs := chest[2], chest[:2]
	cases := []struct {
		name, id string
		focus    []Target
		minRatio float64 // hits ÷ (fixations × chance)
	}{
		{"CHF reads the heart", "chf-case", []Target{heart}, 4},
		{"pneumonia reads the opacity", "pneumonia-case", []Target{opacity}, 6},
		{"normal reads the lungs", "normal-case", lungs, 2},
	}
	// 60 Hz at 30× real time: 2400 records are 40 s of reading, about 120 fixations.
	addr := startServer(t, Config{Seed: 5, Rate: 60, Speed: 30, Scenes: scenes})
	const n = 2400
	generic := fixations(t, addr, "", n)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := fixations(t, addr, tc.id, n)
			if len(fs) < 60 {
				t.Fatalf("only %d fixations in %d records", len(fs), n)
			}
			hits, ghits := 0, 0
			for _, p := range fs {
				if in(p, tc.focus...) {
					hits++
				}
			}
			for _, p := range generic {
				if in(p, tc.focus...) {
					ghits++
				}
			}
			chance := area(tc.focus...)
			ratio := float64(hits) / (float64(len(fs)) * chance)
			gfrac := float64(ghits) / float64(len(generic))
			t.Logf("%d of %d fixations in the focus (%.2f× chance %.3f); generic reading %.2f", hits, len(fs), ratio, chance, gfrac)
			if ratio < tc.minRatio {
				t.Errorf("%d of %d fixations in the focus: %.2f× chance, want ≥ %g×", hits, len(fs), ratio, tc.minRatio)
			}
			if frac := float64(hits) / float64(len(fs)); frac <= gfrac {
				t.Errorf("focus share %.2f is no higher than generic reading's %.2f", frac, gfrac)
			}
		})
	}
	t.Run("validation target", func(t *testing.T) {
		fs := fixationsAfter(t, addr, "TARGET 2 X=0.7000 Y=0.3000 HOST=1700000000000000000", 600)
		if len(fs) < 3 {
			t.Fatalf("only %d fixations", len(fs))
		}
		for i, p := range fs[1:] { // the first began before the target appeared
			if d := tracker.PaperViewing().AngleDeg(p.x-0.7, p.y-0.3); d > 1.5 {
				t.Errorf("fixation %d at (%.3f, %.3f), %.1f° from the target", i+1, p.x, p.y, d)
			}
		}
	})
	t.Run("calibration screen", func(t *testing.T) {
		fs := fixations(t, addr, "calibration-s1-3", 600)
		for i, p := range fs[1:] { // the first began before the disc appeared
			if d := tracker.PaperViewing().AngleDeg(p.x-0.5, p.y-0.5); d > 1.5 {
				t.Errorf("fixation %d at (%.3f, %.3f), %.1f° from the disc", i+1, p.x, p.y, d)
			}
		}
	})
}

// TestModel checks the behaviour model's statistics straight off the model, over ten minutes of
// simulated reading.
func TestModel(t *testing.T) {
	for _, rate := range []float64{60, 150, 2000} {
		t.Run(strconv.FormatFloat(rate, 'f', -1, 64), func(t *testing.T) {
			st := newSettings(Config{Seed: 6, Rate: rate})
			m := newModel(st)
			n := int(600 * rate)
			if rate > 500 {
				n = int(60 * rate)
			}
			minutes := float64(n) / rate / 60
			var (
				fixDur              []float64
				blinks              int
				prev                rec
				gapStart            = -1.0
				sacDur              []float64
				inBlink             bool
				minMM, maxMM        = math.Inf(1), math.Inf(-1)
				blinkRun, maxBlinkN int
			)
			step := 1 / rate
			for i := range n {
				r := m.next()
				tm := float64(r.timeU) / timeUnit
				if i > 0 && prev.fv && (!r.fv || r.fid != prev.fid) {
					fixDur = append(fixDur, float64(prev.fdU)/timeUnit+step)
				}
				if !r.bv {
					if !(r.fx == prev.fx || i == 0) || r.lv || r.rv || r.fv || r.eyesV {
						t.Fatalf("record %d: a blink record has valid fields: %+v", i, r)
					}
					inBlink = true
					blinkRun++
					maxBlinkN = max(maxBlinkN, blinkRun)
				} else {
					blinkRun = 0
					minMM, maxMM = min(minMM, r.lmm, r.rmm), max(maxMM, r.lmm, r.rmm)
					if r.lpd < 10 || r.lpd > 30 || r.lps < 0.9 || r.lps > 1.2 || r.lpcx < 0.2 || r.rpcx > 0.8 {
						t.Fatalf("record %d: implausible pupil %+v", i, r)
					}
				}
				if r.bkid != 0 {
					blinks++
					if r.bkid != int64(blinks) || !inBlink {
						t.Fatalf("record %d: BKID %d, blink %d", i, r.bkid, blinks)
					}
					if d := float64(r.bkdurU) / timeUnit; d < blinkMin-step || d > blinkMax+step {
						t.Fatalf("record %d: blink of %.3f s", i, d)
					}
					inBlink = false
				}
				// A saccade: eyes valid, no fixation.
				switch {
				case r.bv && !r.fv && gapStart < 0 && !inBlink:
					gapStart = tm
				case r.fv && gapStart >= 0:
					sacDur = append(sacDur, tm-gapStart)
					gapStart = -1
				case !r.bv:
					gapStart = -1
				}
				prev = r
			}
			if len(fixDur) < 10 {
				t.Fatalf("%d fixations", len(fixDur))
			}
			var sum float64
			for _, d := range fixDur {
				sum += d
				if d < fixMin-step || d > fixMax+step {
					// A new screen may cut a fixation short, but none is shown here.
					t.Fatalf("fixation of %.3f s", d)
				}
			}
			if mean := sum / float64(len(fixDur)); mean < 0.2 || mean > 0.4 {
				t.Errorf("mean fixation %.3f s", mean)
			}
			for _, d := range sacDur {
				if d < sacMin-step || d > sacMax+step {
					t.Fatalf("saccade of %.3f s", d)
				}
			}
			if bpm := float64(blinks) / minutes; bpm < 8 || bpm > 25 {
				t.Errorf("%.1f blinks per minute", bpm)
			}
			if prev.bkpmin < 5 || prev.bkpmin > 30 {
				t.Errorf("BKPMIN %d at the end", prev.bkpmin)
			}
			if float64(maxBlinkN) > blinkMax*rate+1 {
				t.Errorf("a blink of %d records", maxBlinkN)
			}
			if minMM < 3 || maxMM > 4.1 {
				t.Errorf("pupils from %.2f to %.2f mm", minMM, maxMM)
			}
		})
	}
}

func TestRelevance(t *testing.T) {
	for _, tc := range []struct {
		cond, name string
		more       bool
	}{
		{"CHF", "cardiac silhouette", true},
		{"CHF", "left hilar structures", true},
		{"CHF", "left lung", false},
		{"pneumonia", "opacity", true},
		{"pneumonia", "trachea", false},
		{"normal", "right lung", true},
		{"normal", "cardiac silhouette", false},
		{"", "opacity", false},
	} {
		if got := relevance(tc.cond, tc.name) > 1; got != tc.more {
			t.Errorf("relevance(%q, %q) > 1 = %v", tc.cond, tc.name, got)
		}
	}
}
