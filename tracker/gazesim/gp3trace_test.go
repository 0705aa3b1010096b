package gazesim

import (
	"os"
	"strings"
	"testing"

	"sightline/tracker/opengaze"
)

// TestCalibrationBytesAsGP3: the simulator's calibration messages are byte for byte a real
// GP3's (opengaze's testdata/gp3_cal_2017.txt, from PyOpenGaze's 2017 debug trace): CALIB_START_PT and
// CALIB_RESULT_PT give CALX/CALY with 4 decimals, CALIB_RESULT with 5. A client that reads a
// fixed byte count depends on it. The estimates differ (they are the reader's); their
// attribute names and number formats must not.
func TestCalibrationBytesAsGP3(t *testing.T) {
	raw, err := os.ReadFile("../opengaze/testdata/gp3_cal_2017.txt") // CR LF ended, as sent
	if err != nil {
		t.Fatal(err)
	}
	trace := strings.Split(strings.TrimSuffix(string(raw), "\r\n"), "\r\n")
	c := dial(t, startServer(t, fastCal(Config{Seed: 12})))
	c.cmd(`<SET ID="CALIBRATE_CLEAR" />`)
	c.reply()
	for _, p := range []string{`X="0.5" Y="0.5"`, `X="0.85" Y="0.15"`, `X="0.85" Y="0.85"`, `X="0.15" Y="0.85"`, `X="0.15" Y="0.15"`} {
		c.cmd(`<SET ID="CALIBRATE_ADDPOINT" ` + p + ` />`)
		c.reply()
	}
	c.cmd(`<SET ID="CALIBRATE_START" STATE="1" />`)
	var got []string
	var result opengaze.Message
	for len(got) < len(trace) {
		m, l := c.msg()
		got = append(got, l)
		if id, _ := m.Get("ID"); id == "CALIB_RESULT" {
			result = m
			break
		}
	}
	if len(got) != len(trace) {
		t.Fatalf("%d lines, the device sent %d:\n%s", len(got), len(trace), strings.Join(got, "\n"))
	}
	for i := range trace[:len(trace)-1] {
		if got[i] != trace[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, got[i], trace[i])
		}
	}
	dev, err := opengaze.Parse([]byte(trace[len(trace)-1]))
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Attrs) != len(dev.Attrs) {
		t.Fatalf("CALIB_RESULT: %d attributes, the device's %d", len(result.Attrs), len(dev.Attrs))
	}
	for i, a := range dev.Attrs {
		g := result.Attrs[i]
		if g.Name != a.Name || shape(g.Value) != shape(a.Value) {
			t.Errorf("CALIB_RESULT attribute %d: %s=%q, the device's %s=%q", i+1, g.Name, g.Value, a.Name, a.Value)
		}
		if strings.HasPrefix(a.Name, "CAL") && g.Value != a.Value {
			t.Errorf("CALIB_RESULT %s=%q, the device's %q", g.Name, g.Value, a.Value)
		}
	}
}

// shape is a number's format: its digits replaced by 9 ("0.49807" → "9.99999").
func shape(v string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '9'
		}
		return r
	}, v)
}

// TestNoCalibration: a device configured never to calibrate acknowledges CALIBRATE_START and
// then sends no CAL message (a GP3 whose calibration window never opens); data goes on.
func TestNoCalibration(t *testing.T) {
	c := dial(t, startServer(t, fastCal(Config{Seed: 13, Rate: 1000, NoCalibration: true})))
	c.enable("ENABLE_SEND_COUNTER")
	c.cmd(`<SET ID="ENABLE_SEND_DATA" STATE="1" />`)
	c.cmd(`<SET ID="CALIBRATE_START" STATE="1" />`)
	acked := false
	// fastCal's 9 points take 63 ms: 300 records at 1000 Hz are well past the calibration's end.
	for n := 0; n < 300; {
		m, l := c.msg()
		switch {
		case m.Tag == "CAL":
			t.Fatalf("a device that does not calibrate sent %s", l)
		case m.Tag == "REC":
			n++
		case l == `<ACK ID="CALIBRATE_START" STATE="1" />`:
			acked = true
		}
	}
	if !acked {
		t.Error("CALIBRATE_START was not acknowledged")
	}
}
