package tracker

import (
	"math"
	"strings"
	"testing"
)

func TestPaperViewingGeometry(t *testing.T) {
	v := PaperViewing()
	// Independent figures: a 27" 16:9 panel is 27·2.54·16/√337 = 59.77 cm by 33.62 cm, so the
	// pixel pitch is 59.77/1920 cm; 1° at 71 cm spans 71·tan(1°) cm on the screen.
	const widthCM, heightCM = 59.77, 33.62
	wantPPD := 71 * math.Tan(math.Pi/180) / (widthCM / 1920) // ≈ 39.8 px per degree
	tests := []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"width cm", v.WidthCM(), widthCM, 0.005},
		{"height cm", v.HeightCM(), heightCM, 0.005},
		{"pixels per degree", v.PixelsPerDegree(), wantPPD, 0.01},
		{"pixels per degree, rough", v.PixelsPerDegree(), 39.8, 0.1},
		// The whole screen width seen from 71 cm: 2·atan(29.885/71).
		{"screen width in degrees", v.AngleDeg(1, 0), 2 * math.Atan(widthCM/2/71) * 180 / math.Pi, 0.01},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > tc.tol {
				t.Errorf("got %.4f, want %.4f ± %g", tc.got, tc.want, tc.tol)
			}
		})
	}
}

func TestViewingDegreesRoundTrip(t *testing.T) {
	views := map[string]Viewing{
		"paper":        PaperViewing(),
		"24in 4:3":     {DistanceCM: 60, DiagonalInch: 24, WidthPx: 1600, HeightPx: 1200},
		"laptop 16:10": {DistanceCM: 50, DiagonalInch: 14, WidthPx: 2560, HeightPx: 1600},
	}
	for name, v := range views {
		for _, deg := range []float64{0.1, 0.5, 1, 5, 20} {
			fx, fy := v.DegreesToFraction(deg)
			if got := v.AngleDeg(fx, 0); math.Abs(got-deg) > 1e-9 {
				t.Errorf("%s: AngleDeg(%g, 0) = %g, want %g", name, fx, got, deg)
			}
			if got := v.AngleDeg(0, -fy); math.Abs(got-deg) > 1e-9 {
				t.Errorf("%s: AngleDeg(0, %g) = %g, want %g", name, -fy, got, deg)
			}
			// Square pixels: the same angle is the same number of pixels on both axes.
			if px, py := fx*float64(v.WidthPx), fy*float64(v.HeightPx); math.Abs(px-py) > 1e-9 {
				t.Errorf("%s: %g° is %g px wide but %g px high", name, deg, px, py)
			}
		}
		if fx, _ := v.DegreesToFraction(1); math.Abs(fx*float64(v.WidthPx)-v.PixelsPerDegree()) > 1e-9 {
			t.Errorf("%s: DegreesToFraction(1) disagrees with PixelsPerDegree", name)
		}
	}
}

func TestViewingValidate(t *testing.T) {
	tests := []struct {
		name    string
		v       Viewing
		wantErr string
	}{
		{"paper", PaperViewing(), ""},
		{"zero", Viewing{}, "distance"},
		{"no diagonal", Viewing{DistanceCM: 71, WidthPx: 1920, HeightPx: 1080}, "diagonal"},
		{"NaN distance", Viewing{DistanceCM: math.NaN(), DiagonalInch: 27, WidthPx: 1920, HeightPx: 1080}, "distance"},
		{"no pixels", Viewing{DistanceCM: 71, DiagonalInch: 27, WidthPx: 1920}, "px"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.v.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Validate() = %v, want an error about %q", err, tc.wantErr)
			}
		})
	}
}

func TestSaccadeVectorPublishedRows(t *testing.T) {
	// Consecutive fixation rows 2→3 and 3→4 of the published EGD-CXR rows (docs/FORMATS.md §1).
	tests := []struct {
		name           string
		x0, y0, x1, y1 float64
		mag, dir       float64
	}{
		{"fixation 2 to 3", 0.45224, 0.33879000000000004, 0.44419, 0.28933000000000003, 55.60791, 106.13765},
		{"fixation 3 to 4", 0.44419, 0.28933000000000003, 0.39018, 0.28168000000000004, 104.02783000000001, 175.4447},
		{"no move", 0.5, 0.5, 0.5, 0.5, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mag, dir := SaccadeVector(tc.x0, tc.y0, tc.x1, tc.y1)
			// The published values come from 5-decimal positions: allow their rounding.
			if math.Abs(mag-tc.mag) > 0.01 || math.Abs(dir-tc.dir) > 0.01 {
				t.Errorf("SaccadeVector = (%.5f, %.5f), want (%.5f, %.5f)", mag, dir, tc.mag, tc.dir)
			}
		})
	}
}
