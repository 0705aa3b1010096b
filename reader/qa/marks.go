package qa

import (
	"fmt"
	"time"

	"sightline/reader/session"
	"sightline/tracker"
)

// MarkKind sorts the timeline's marks.
type MarkKind string

// Mark kinds.
const (
	MarkKey           MarkKind = "key"           // a key the reading loop acted on
	MarkPause         MarkKind = "pause"         // Esc pause: a span
	MarkRecalibration MarkKind = "recalibration" // a calibration round or its prompt
	MarkTrackLoss     MarkKind = "track loss"    // no valid gaze: a span
	MarkBlink         MarkKind = "blink"         // a span
	MarkOperator      MarkKind = "operator"      // the operator's marks (marked for re-read)
	MarkTracker       MarkKind = "tracker"       // the tracker's stream: records lost, stopped, resumed
	MarkAudio         MarkKind = "audio"         // the microphone failed or changed
	MarkOther         MarkKind = "event"         // any other event of the screen
	minTrackLoss               = 100 * time.Millisecond
)

// Mark is one mark on the timeline: an instant (End == T) or a span.
type Mark struct {
	Kind   MarkKind
	T, End time.Duration
	Label  string
}

// markKinds maps journal event kinds (docs/FORMATS.md §7) to marks; kinds not named are
// MarkOther, and the screen's own bookkeeping is left out.
var markKinds = map[string]MarkKind{
	"key":                    MarkKey,
	"check_started":          MarkRecalibration,
	"calibrated":             MarkRecalibration,
	"calibration_failed":     MarkRecalibration,
	"check_accepted":         MarkRecalibration,
	"recalibration_prompted": MarkRecalibration,
	"recalibration_declined": MarkRecalibration,
	"marked_for_reread":      MarkOperator,
	"records_lost":           MarkTracker,
	"tracker_stopped":        MarkTracker,
	"tracker_resumed":        MarkTracker,
	"gaze_stopped":           MarkTracker,
	"gaze_resumed":           MarkTracker,
	"device_time_backwards":  MarkTracker,
	"audio_failed":           MarkAudio,
	"audio_lost":             MarkAudio,
	"audio_source_changed":   MarkAudio,
	session.EventUserData:    "",
	session.EventScreenShown: "",
	session.EventScreenEnded: "",
	"quality":                "",
}

func (r *Replay) marksFromEvents(evs []session.Event) {
	pause := time.Duration(-1)
	for _, e := range evs {
		t := time.Duration(e.HostNS)
		switch e.Kind {
		case "paused":
			pause = t
			continue
		case "resumed":
			if pause >= 0 {
				r.Marks = append(r.Marks, Mark{Kind: MarkPause, T: pause, End: t, Label: "paused"})
				pause = -1
			}
			continue
		}
		k, ok := markKinds[e.Kind]
		if ok && k == "" {
			continue
		}
		if !ok {
			k = MarkOther
		}
		label := e.Kind
		switch {
		case e.Key != "":
			label = e.Key
		case e.Message != "":
			label += ": " + e.Message
		}
		r.Marks = append(r.Marks, Mark{Kind: k, T: t, End: t, Label: label})
	}
	if pause >= 0 {
		r.Marks = append(r.Marks, Mark{Kind: MarkPause, T: pause, End: max(pause, r.End), Label: "paused"})
	}
}

// marksFromGaze marks track loss (runs of invalid samples, and gaps between samples, of at
// least minTrackLoss) and blinks (runs of the device's BKID, 0 meaning no blink).
func (r *Replay) marksFromGaze() {
	var lossFrom time.Duration = -1
	var prev time.Duration = r.Start
	flush := func(to time.Duration) {
		if lossFrom >= 0 && to-lossFrom >= minTrackLoss {
			r.Marks = append(r.Marks, Mark{Kind: MarkTrackLoss, T: lossFrom, End: to,
				Label: fmt.Sprintf("track loss %d ms", (to - lossFrom).Milliseconds())})
		}
		lossFrom = -1
	}
	for i, g := range r.Gaze {
		if i > 0 && g.T-prev >= minTrackLoss && lossFrom < 0 {
			lossFrom = prev // a gap in the stream: samples that never came
		}
		if g.Valid {
			flush(g.T)
		} else if lossFrom < 0 {
			lossFrom = g.T
		}
		prev = g.T
	}
	if lossFrom >= 0 {
		flush(prev)
	}
}

// blinkMarks are read with the rows (they need BKID, which Gaze does not keep).
type blinkRun struct {
	id       int64
	from, to time.Duration
}

func (b *blinkRun) add(r *Replay, id int64, absent tracker.Fields, t time.Duration) {
	if absent&tracker.FieldBKID != 0 {
		return
	}
	if id != b.id {
		b.flush(r)
		if id != 0 {
			b.id, b.from = id, t
		}
	}
	b.to = t
}

func (b *blinkRun) flush(r *Replay) {
	if b.id != 0 {
		r.Marks = append(r.Marks, Mark{Kind: MarkBlink, T: b.from, End: b.to, Label: "blink"})
	}
	b.id = 0
}
