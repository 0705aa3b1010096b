package reading

import (
	"strings"
	"testing"

	"sightline/tracker"
)

// TestStationFilterNames: session.json names the device's fixations and our filters with
// their parameters in the reader's viewing geometry.
func TestStationFilterNames(t *testing.T) {
	v := tracker.PaperViewing()
	v.DistanceCM, v.DiagonalInch = 60, 24
	got := FilterNames(StationFilters(v))
	for _, want := range []string{"device (fixations.csv)", "idt: I-DT dispersion=1.00deg", "distance=60cm screen=24in", "ivt: I-VT velocity=30deg/s"} {
		if !strings.Contains(got, want) {
			t.Errorf("filters %q lack %q", got, want)
		}
	}
}
