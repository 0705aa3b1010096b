package reading

import (
	"image"
	"time"

	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/tracker"
)

// Stats is what the operator console shows: where the session stands and how the data looks,
// as of the last sample. Read it with Run.Stats at the console's pace (a few times a second).
type Stats struct {
	Phase        string // "reading", "paused", "calibrating", "validating", "review", "prompt", "finished"
	Index, Total int    // position of the screen on show in the run's plan, from 0
	Screen       session.Screen
	Image        image.Image // the image on the reader's stage (nil for calibration screens)
	Layout       stage.Layout
	CaseStart    time.Duration // host time the screen was shown
	Now          time.Duration
	Gaze         tracker.Sample // the latest sample
	Samples      int64          // samples recorded in the session
	Lost         int64          // device records lost (CNT gaps) in the session
	RecentRate   float64        // samples per second over the last StatsWindow
	RecentLoss   float64        // invalid or missing samples over the last StatsWindow, 0..1
	LastCheck    *CheckReport
	Marked       []string // dicom ids marked for re-reading
	Reread       []string // dicom ids already shown again by the re-read offer (failed or marked)
	// SinceSample is how long ago the last sample arrived (since the run started when none has):
	// a tracker that has stopped shows here before any average moves.
	SinceSample time.Duration
	// Waiting says what the station waits for from the tracker ("" when nothing): connecting,
	// the calibration's result.
	Waiting string
}

// Silent is how long the tracker may send nothing before the console says it has stopped.
// A Gazepoint streams records even when it sees no eyes; 0.5 s is 30 records at 60 Hz.
const Silent = 500 * time.Millisecond

// Stalled reports whether the tracker has sent nothing for Silent or longer.
func (s Stats) Stalled() bool { return s.SinceSample >= Silent }

// StatsWindow is the span of the console's rolling rate and data-loss figures.
const StatsWindow = 2 * time.Second

// recent is a ring of the last samples' host times and validity, for rolling figures.
type recent struct {
	host  []time.Duration
	valid []bool
	next  int
	n     int
}

func (q *recent) add(h time.Duration, ok bool) {
	if len(q.host) == 0 {
		q.host, q.valid = make([]time.Duration, 8192), make([]bool, 8192)
	}
	q.host[q.next], q.valid[q.next] = h, ok
	q.next = (q.next + 1) % len(q.host)
	q.n = min(q.n+1, len(q.host))
}

// figures returns the rate and loss over the window ending at now, given the nominal rate.
// Nothing received is all lost, whether or not the rate is known yet (a tracker that never
// connected has told no rate); with samples but no nominal rate, the invalid ones are the loss.
func (q *recent) figures(now time.Duration, nominal float64) (rate, loss float64) {
	var got, valid int
	for i := 1; i <= q.n; i++ {
		k := (q.next - i + len(q.host)) % len(q.host)
		if now-q.host[k] > StatsWindow {
			break
		}
		got++
		if q.valid[k] {
			valid++
		}
	}
	rate = float64(got) / StatsWindow.Seconds()
	switch {
	case got == 0:
		loss = 1
	case nominal > 0:
		expected := nominal * StatsWindow.Seconds()
		loss = max(0, min(1, 1-float64(valid)/expected))
	default:
		loss = 1 - float64(valid)/float64(got)
	}
	return rate, loss
}

// Stats returns a snapshot for the operator console.
func (r *Run) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Now = r.cfg.Clock()
	s.RecentRate, s.RecentLoss = r.recent.figures(s.Now, r.cfg.Tracker.Rate())
	s.SinceSample = s.Now - r.start
	if r.recent.n > 0 {
		s.SinceSample = s.Now - r.recent.host[(r.recent.next-1+len(r.recent.host))%len(r.recent.host)]
	}
	s.Marked = append([]string(nil), r.stats.Marked...)
	s.Reread = append([]string(nil), r.stats.Reread...)
	return s
}

// noteSample updates the console's figures; called by the loop for every sample.
func (r *Run) noteSample(s tracker.Sample) {
	r.mu.Lock()
	r.stats.Gaze = s
	r.stats.Lost += s.Lost
	if r.phase == phaseReading && r.idx >= 0 {
		r.stats.Samples++
	}
	r.recent.add(s.Host, s.BPOGV)
	r.mu.Unlock()
}

// notePhase records the phase and the screen on show for the console.
func (r *Run) notePhase() {
	names := map[phase]string{phaseReading: "reading", phaseCalibrating: "calibrating",
		phaseValidating: "validating", phaseReview: "review", phasePrompt: "prompt", phaseOffer: "offer"}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := names[r.phase]
	if r.paused && r.phase == phaseReading {
		p = "paused"
	}
	if r.finished {
		p = "finished"
	}
	r.stats.Phase = p
	if r.idx >= 0 {
		f := r.frame
		r.stats.Index, r.stats.Total, r.stats.Screen = f.Index, f.Total, f.Screen
		r.stats.Image, r.stats.Layout = f.Image, f.Layout
	}
	if r.phase == phaseReview {
		c := r.lastCheck
		r.stats.LastCheck = &c
	}
}
