package reading

import (
	"fmt"
	"slices"
	"time"

	"sightline/reader/session"
	"sightline/tracker"
)

// health follows the tracker's stream for what the files cannot show by themselves: a tracker
// that went silent during a case, a device clock that stepped back, and how long a sync marker
// takes to come back in the records (the tracker's latency). Owned by the loop goroutine.
type health struct {
	last     time.Duration // host time of the last sample
	have     bool
	stalled  bool // gaze_stopped journalled, not yet resumed
	prevTime float64
	prevTick int64
	haveTime bool
	back     int // device time steps back

	pending   map[string]time.Duration // marker label → host time sent
	sent      int
	latencies []time.Duration
	absent    tracker.Fields
}

// StallAfter is how long a tracker may send nothing during a case before the journal says it
// stopped (gaze_stopped, then gaze_resumed with the gap).
const StallAfter = time.Second

// maxBackEvents bounds the device_time_backwards events of a session (a device whose clock
// runs backwards for good must not flood the journal); session.json counts them all.
const maxBackEvents = 100

// maxPending bounds the markers waiting for their echo: a device that echoes none would
// otherwise keep every label of the session.
const maxPending = 64

// watchSample is called for every sample, in every phase.
func (r *Run) watchSample(s tracker.Sample) {
	h := &r.health
	if h.stalled {
		h.stalled = false
		r.event("gaze_resumed", map[string]string{"gap_ms": fmt.Sprint((s.Host - h.last).Milliseconds())})
	}
	h.last, h.have = s.Host, true
	h.absent |= s.Absent
	if h.haveTime && (s.Time < h.prevTime || s.TickFreq > 0 && s.TimeTick < h.prevTick) {
		h.back++
		if h.back <= maxBackEvents {
			r.event("device_time_backwards", map[string]string{
				"cnt":       fmt.Sprint(s.CNT),
				"time_from": fmt.Sprint(h.prevTime), "time_to": fmt.Sprint(s.Time),
				"tick_from": fmt.Sprint(h.prevTick), "tick_to": fmt.Sprint(s.TimeTick)})
		}
	}
	h.prevTime, h.prevTick, h.haveTime = s.Time, s.TimeTick, true
	if s.User != "" {
		if t0, ok := h.pending[s.User]; ok {
			delete(h.pending, s.User)
			h.latencies = append(h.latencies, s.Host-t0)
		}
	}
}

// watchStall journals a tracker that has gone silent while a case is being read; called from
// the loop's ticker.
func (r *Run) watchStall() {
	h := &r.health
	now := r.cfg.Clock()
	if h.stalled || r.phase != phaseReading || r.paused || r.idx < 0 {
		return
	}
	since := r.start
	if h.have {
		since = max(h.last, r.start)
	}
	r.mu.Lock()
	since = max(since, r.stats.CaseStart)
	r.mu.Unlock()
	if now-since >= StallAfter {
		h.stalled = true
		r.event("gaze_stopped", map[string]string{"silent_ms": fmt.Sprint((now - since).Milliseconds())})
		r.cfg.Log.Warn("the tracker has sent nothing", "for", now-since)
	}
}

// sentMarker notes a sync marker sent at host time t0, to time its echo.
func (r *Run) sentMarker(label string, t0 time.Duration) {
	h := &r.health
	h.sent++
	if h.pending == nil {
		h.pending = map[string]time.Duration{}
	}
	if len(h.pending) >= maxPending {
		clear(h.pending) // none came back: the device does not echo, or lost them all
	}
	h.pending[label] = t0
}

// trackerTiming is what session.json keeps of the tracker's timing.
func (r *Run) trackerTiming() session.TrackerTiming {
	h := &r.health
	t := session.TrackerTiming{MarkersSent: h.sent, MarkersEchoed: len(h.latencies), TimeBackwards: h.back,
		AbsentFields: h.absent.Names()}
	switch {
	case len(h.latencies) > 0:
		l := slices.Clone(h.latencies)
		slices.Sort(l)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		t.LatencyMedianMS = ms(l[len(l)/2])
		t.LatencyP95MS = ms(l[min(len(l)-1, len(l)*95/100)])
		t.LatencyMaxMS = ms(l[len(l)-1])
	case h.sent == 0:
		t.Note = "no sync marker was sent: latency not measured"
	case !h.have:
		t.Note = "the tracker sent no records: latency not measured"
	default:
		t.Note = "the tracker does not echo USER_DATA markers in its records (USER field): latency not measured"
	}
	return t
}

// noteTracker hands the tracker's timing to a recorder that keeps it (session.json).
func (r *Run) noteTracker() {
	if n, ok := r.cfg.Recorder.(interface{ NoteTracker(session.TrackerTiming) }); ok {
		n.NoteTracker(r.trackerTiming())
	}
}
