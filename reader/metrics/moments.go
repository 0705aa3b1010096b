package metrics

import (
	"math"
	"strconv"
	"strings"

	"sightline/reader/export"
)

// MomentsHeader is moments.csv's header (docs/FORMATS.md §12).
var MomentsHeader = []string{"dicom_id", "SESSION_ID", "reader", "phrase_index", "phrase", "begin_s", "end_s",
	"audio_offset_s", "window_start_s", "window_end_s", "fixations", "dwell_s", "zones", "fixation_lines"}

// momentRows gives, for each phrase of a read's transcript, its reporting moment: the
// fixations that overlap the cfg.WindowS seconds before the phrase begins. Phrase times count
// from the start of the case's audio; on the screen's clock (the fixations' Time) they are
// shifted by the audio's offset from the screen's onset where an export records it (0 in the
// published dataset, whose audio starts with the image). dwell_s sums the parts of the
// fixations inside the window; zones lists the zones they fell in, fixation_lines their lines
// in fixations.csv.
func (in *input) momentRows(cfg Config, dicomID string, sc screen, zs []zone, h hits) ([][]string, error) {
	t, err := in.transcriptOf(sc)
	if err != nil || t == nil {
		return nil, err
	}
	off := in.offsets[export.ScreenKey{SessionID: sc.SessionID, MediaID: sc.Fixations[0].MediaID}]
	out := make([][]string, 0, len(t.Phrases))
	for i, p := range t.Phrases {
		row := []string{dicomID, sc.SessionID, sc.Reader, strconv.Itoa(i + 1), p.Phrase, sec(p.Begin), sec(p.End), sec(off)}
		if math.IsNaN(p.Begin) {
			out = append(out, append(row, "", "", "", "", "", ""))
			continue
		}
		end := p.Begin + off
		start := end - cfg.WindowS
		n := 0
		var dwell float64
		var lines []string
		seen := make([]bool, len(zs))
		for k, f := range sc.Fixations {
			o := math.Min(f.Time, end) - math.Max(f.Time-f.FPOGD, start)
			if !(o > 0) {
				continue
			}
			n++
			dwell += o
			lines = append(lines, strconv.Itoa(f.Line))
			for z, hit := range h[k] {
				seen[z] = seen[z] || hit
			}
		}
		var names []string
		for z, s := range seen {
			if s {
				names = append(names, zs[z].name)
			}
		}
		out = append(out, append(row, sec(start), sec(end), strconv.Itoa(n), sec(dwell), strings.Join(names, ";"), strings.Join(lines, ";")))
	}
	return out, nil
}
