package audio

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"sightline/reader/reading"
	"sightline/reader/session"
)

// SessionMic is a reading session's microphone: one capture for the whole session, whose blocks go to
// the case being read (reading.Audio). Between cases (calibration, validation, prompts) the
// blocks are not kept: the dictation of a case is what the dataset holds.
type SessionMic struct {
	cap *Capture

	mu sync.Mutex
	// route splits the capture's frames between the case, its pauses and nothing, at the
	// instants the run gives (onset, pause, resume, end); delivered is broadcast on each
	// block, for End waiting on the case's last frames.
	route     *Router
	delivered *sync.Cond
	first     chan struct{} // closed at the first block (firstOnce)
	firstOnce sync.Once
	gapSeen   int64  // the open case's gap frames already journalled
	clockNote string // the last case's audio clock out of bounds, for the console
	cur       *CaseAudio
	caseStart time.Duration // host time the case was shown
	// aside is the recording of the case's paused stretch (reading.AsideAudio), asideFrom its
	// start, asideTotal the case's paused time so far: the case's own WAV holds reading only.
	aside      *CaseAudio
	asideFrom  time.Duration
	asideTotal time.Duration
	// lastPause is the device frames of the case's latest pause, [from, to): frames routed to
	// the pause's recording, which the case skips at its next block. A case that ends before
	// that block (ended on the pause card) must not count them as its own lost frames.
	lastPause struct {
		from, to int64
		ok       bool
	}
	peak     float64       // loudest sample of the case, linear full scale
	lastLoud time.Duration // host time of the case's last block above silentDB (its start if none)
	err      error         // the device's latest fault; once capture is over, the one that ended it
	overErr  bool          // err is the fault that ended capture
	caseErr  error         // the first fault during the open case: it fails the case's audio
	writeErr error         // the case's file failed
	clock    func() time.Duration
	pending  []*CaseAudio // closed cases whose MP3 may still be encoding
	// faults carries each fault to the run's journal as it happens (reading.Config.AudioFaults).
	faults chan reading.AudioFault
}

// StartSession opens the session's microphone: device ("" the default) on backend ("" pulse,
// then alsa). A missing device wraps ErrNoDevice, for the station to offer a gaze-only session.
func StartSession(device, backend string, clock func() time.Duration) (*SessionMic, error) {
	r := &SessionMic{clock: clock, faults: make(chan reading.AudioFault, 16), first: make(chan struct{})}
	r.delivered = sync.NewCond(&r.mu)
	r.route = NewRouter(DefaultRate, DefaultChannels)
	cfg := Config{Device: device, Backend: backend, OnError: r.fault}
	c, err := Start(context.Background(), cfg, clock, r.onBlock)
	if err != nil {
		return nil, err
	}
	r.mu.Lock() // fault may already be running on the capture's goroutines
	r.cap = c
	r.mu.Unlock()
	// The first case must not open before the microphone delivers (PulseAudio takes up to
	// ~2 s): its audio from the onset on is then held, not lost.
	select {
	case <-r.first:
	case <-time.After(firstBlockWait):
	}
	return r, nil
}

// firstBlockWait bounds how long the station waits for the microphone's first audio before
// going on; a first case that opens before it counts its missing start (gap_frames).
const firstBlockWait = 5 * time.Second

// endWait bounds how long a case's end waits for the device to deliver the case's last frames
// (PulseAudio hands them over in fragments of up to ~100 ms); what has not come by then is
// counted lost (lost_frames).
const endWait = time.Second

// errAudioGap is a fault of frames the device never delivered (journalled as audio_gap); the
// gate judges how much the case lost.
var errAudioGap = errors.New("audio gap")

// fault runs on the capture's goroutines when the microphone is lost or the default source
// changes: the open case's audio fails, and the journal hears of it now. An audio gap (r.mu
// held, from onBlock) is only journalled.
func (r *SessionMic) fault(err error) {
	if errors.Is(err, errAudioGap) {
		select {
		case r.faults <- reading.AudioFault{Kind: "audio_gap", Err: err.Error()}:
		default:
		}
		return
	}
	r.mu.Lock()
	if !r.overErr {
		r.err, r.overErr = err, r.cap != nil && r.cap.Over()
	}
	if r.cur != nil && r.caseErr == nil {
		r.caseErr = err
	}
	r.mu.Unlock()
	kind := "audio_lost"
	if errors.Is(err, ErrDeviceChanged) {
		kind = "audio_source_changed"
	}
	select {
	case r.faults <- reading.AudioFault{Kind: kind, Err: err.Error()}:
	default: // the run is not listening (yet, or any more): the case's verdict still says it
	}
}

// Capture is the microphone's capture (its device, backend, level).
func (r *SessionMic) Capture() *Capture { return r.cap }

// Faults carries each fault to the run's journal as it happens (reading.Config.AudioFaults).
func (r *SessionMic) Faults() <-chan reading.AudioFault { return r.faults }

// Describe names the device for the session record.
func (r *SessionMic) Describe() string {
	mon := ""
	if r.cap.Monitor() {
		mon = " (a monitor: records an output, not a microphone)"
	}
	return fmt.Sprintf("%s: %s%s, %d Hz, %d channel(s)", r.cap.Backend(), r.cap.Device(), mon, r.cap.Rate(), r.cap.Channels())
}

// onBlock runs on the capture's delivery goroutine: the only writer of the case's file.
func (r *SessionMic) onBlock(b Block) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.firstOnce.Do(func() { close(r.first) })
	defer r.delivered.Broadcast()
	if err := r.route.Add(b); err != nil && r.writeErr == nil && r.cur != nil {
		r.writeErr = err
	}
	if r.cur == nil {
		return
	}
	if m := r.cur.Meta(); m.GapFrames > r.gapSeen {
		r.gapSeen = m.GapFrames
		upstream := ""
		if m.UpstreamFrames > 0 {
			upstream = fmt.Sprintf(" (%d of them lost by the sound server before the capture saw them)", m.UpstreamFrames)
		}
		r.fault(fmt.Errorf("%w: %d frames (%.1f ms) of the case were not delivered%s; silence written in their place", errAudioGap, m.GapFrames, float64(m.GapFrames)*1000/float64(r.cap.Rate()), upstream))
	}
	if r.aside != nil {
		return // the pause's sound is kept, but judges nothing
	}
	loud := false
	for _, v := range b.PCM {
		a := math.Abs(float64(v)) / 32768
		r.peak = math.Max(r.peak, a)
		loud = loud || a > silentLinear
	}
	if loud {
		r.lastLoud = b.Host
	}
}

// Begin is part of reading.Audio.
func (r *SessionMic) Begin(dir string, host time.Duration) error {
	c, err := NewCase(dir, r.cap.Rate(), r.cap.Channels(), r.cap.Device(), r.cap.Backend())
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cap.Over() {
		_ = c.Close()
		return fmt.Errorf("microphone: %w", r.err)
	}
	r.cur, r.caseStart, r.peak, r.writeErr, r.caseErr, r.lastLoud = c, host, 0, nil, nil, host
	r.asideTotal, r.gapSeen = 0, 0
	r.lastPause.ok = false
	// Its frames from the onset on: those already delivered are still held (HoldBack).
	r.route.SwitchAt(host, Switch{To: c})
	return nil
}

// Aside is part of reading.AsideAudio: the sound goes to a recording of its own in dir (the
// paused stretch's folder) until Back.
func (r *SessionMic) Aside(dir string, host time.Duration) error {
	c, err := NewCase(dir, r.cap.Rate(), r.cap.Channels(), r.cap.Device(), r.cap.Backend())
	if err != nil {
		return fmt.Errorf("record the pause: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.aside != nil || r.cur == nil {
		_ = c.Close()
		return nil
	}
	r.aside, r.asideFrom = c, host
	r.route.SwitchAt(host, Switch{To: c})
	return nil
}

// Back is part of reading.AsideAudio: the pause's recording is closed and the case's goes on,
// the pause left out of it.
func (r *SessionMic) Back(host time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.aside
	r.aside = nil
	if a == nil {
		return nil
	}
	r.asideTotal += host - r.asideFrom
	from, okFrom := r.route.FrameAt(r.asideFrom)
	to, okTo := r.route.FrameAt(host)
	r.lastPause.from, r.lastPause.to, r.lastPause.ok = from, to, okFrom && okTo
	// Silence is judged on reading time: the pause's quiet does not count.
	r.lastLoud = max(r.lastLoud, host)
	// The pause's recording closes once its last frame is written (the router passes the
	// switch back, on the delivery goroutine or at the case's end), r.mu held either way.
	r.route.SwitchAt(host, Switch{To: r.cur, Resume: true, Passed: func() {
		if err := a.Close(); err != nil && r.writeErr == nil {
			r.writeErr = fmt.Errorf("close the pause's audio: %w", err)
		}
		r.pending = append(r.pending, a)
	}})
	return nil
}

// caseLost is how many of the case's frames up to end (the device frame at its end) were never
// written, next being the frame after the last written. The frames of a pause the case has
// not yet skipped past (no block since it resumed) are the pause's, not lost. r.mu is held.
func (r *SessionMic) caseLost(next, end int64) int64 {
	p := r.lastPause
	if p.ok && next <= p.from {
		return (p.from - next) + max(0, end-p.to)
	}
	return end - next
}

// End is part of reading.Audio. The MP3 is encoded in the background; Close waits for it.
func (r *SessionMic) End(host time.Duration) (reading.AudioCheck, error) {
	_ = r.Back(host) // a pause still open ends with the case
	r.mu.Lock()
	c := r.cur
	if c == nil {
		r.mu.Unlock()
		return reading.AudioCheck{}, errors.New("no case audio open")
	}
	r.route.SwitchAt(host, Switch{})
	end, known := r.waitDelivered(host)
	if !known {
		end = -1 // no audio ever came: nothing to wait for
	}
	ferr := r.route.Flush(end)
	if known {
		c.Lost(r.caseLost(c.Next(), end))
	}
	r.cur = nil
	peak, werr, derr, start, paused := r.peak, r.writeErr, r.caseErr, r.caseStart, r.asideTotal
	r.mu.Unlock()
	cerr := c.Close()
	m := c.Meta()
	chk := reading.AudioCheck{
		Seconds:  float64(m.Frames) / float64(max(m.Rate, 1)),
		PeakDB:   -120,
		DriftMS:  float64(m.DriftNS) / 1e6,
		DriftPPM: m.EnvelopePPM,
		GapMS:    m.GapMS(),
		Gaps:     m.Overruns,
		JitterMS: float64(m.JitterNS) / 1e6,
		// Measured here, not from the frames: a device that stops leaves the WAV short.
		// Reading time: the pauses' sound is in their own folders.
		ScreenSeconds: (host - start - paused).Seconds(),
	}
	if peak > 0 {
		chk.PeakDB = 20 * math.Log10(peak)
	}
	chk.Silent = chk.Seconds > 0 && chk.PeakDB < silentDB
	var note []string
	if math.Abs(chk.DriftPPM) > reading.AudioPPMLimit {
		note = append(note, fmt.Sprintf("audio clock %+.0f ppm", chk.DriftPPM))
	}
	if chk.GapMS > 0 {
		note = append(note, fmt.Sprintf("%.1f ms of audio lost", chk.GapMS))
	}
	r.mu.Lock()
	r.clockNote = ""
	if len(note) > 0 {
		r.clockNote = "last case: " + strings.Join(note, ", ")
	}
	r.mu.Unlock()
	if m.FirstFrameHostNS >= 0 {
		chk.OffsetMS = float64(time.Duration(m.FirstFrameHostNS)-start) / 1e6
	}
	r.mu.Lock()
	r.pending = append(r.pending, c)
	r.mu.Unlock()
	return chk, errors.Join(werr, derr, ferr, cerr)
}

// waitDelivered waits, within endWait, for the device to deliver the frames up to host, and
// returns the frame there (known false: no audio ever came). r.mu is held.
func (r *SessionMic) waitDelivered(host time.Duration) (end int64, known bool) {
	end, known = r.route.FrameAt(host)
	timer := time.AfterFunc(endWait, func() {
		r.mu.Lock()
		r.delivered.Broadcast()
		r.mu.Unlock()
	})
	defer timer.Stop()
	deadline := time.Now().Add(endWait)
	for known && r.route.Delivered() < end && !r.cap.Over() && time.Now().Before(deadline) {
		r.delivered.Wait()
	}
	return end, known
}

// Close stops the microphone and waits for the MP3s still being encoded.
func (r *SessionMic) Close() {
	_ = r.cap.Stop()
	r.mu.Lock()
	pending := r.pending
	r.mu.Unlock()
	for _, c := range pending {
		_ = c.Wait()
	}
}

// Status is the microphone's line on the operator's console.
func (r *SessionMic) Status() reading.MicStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := reading.MicStatus{Enabled: true, Device: r.cap.Device(), LevelDB: r.cap.Level().RMS, Clock: r.clockNote}
	if r.cur != nil {
		now := r.clock()
		s.Recording = true
		s.Elapsed = now - r.caseStart
		s.Silent = now - r.lastLoud
	}
	switch {
	case r.cap.Over():
		s.Err = r.err.Error()
	case r.cur != nil && r.caseErr != nil:
		s.Err = r.caseErr.Error()
	}
	return s
}

// silentLinear is silentDB as a linear amplitude.
var silentLinear = math.Pow(10, silentDB/20)

// silentDB is the peak under which a case's audio is silent: a dictating reader peaks far above.
const silentDB = -50.0

// OnlyMonitors reports whether every capture source of backend (the one the default source
// was opened on: ALSA's own names would hide PulseAudio's monitors) records an output: no
// microphone to choose instead of the default monitor. A listing that fails says no.
func OnlyMonitors(backend string) bool {
	devs, err := Devices(backend)
	if err != nil || len(devs) == 0 {
		return false
	}
	for _, d := range devs {
		if !d.Monitor {
			return false
		}
	}
	return true
}

// DeviceList lists the capture devices of backend ("" every one), a line each, the default
// marked (for a dialog's details); a listing that fails says why.
func DeviceList(backend string) string {
	var b strings.Builder
	devs, lerr := Devices(backend)
	if lerr != nil {
		fmt.Fprintf(&b, "  none listed: %v\n", lerr)
	}
	for _, d := range devs {
		def := ""
		if d.Default {
			def = " (default)"
		}
		fmt.Fprintf(&b, "  %s: %s%s\n", d.Backend, d.Name, def)
	}
	return b.String()
}

// RecoverInterrupted repairs the audio of a session's cases cut off by a crash (the
// "<case>.interrupted-K" folders in sessionDir): each WAV header sized as the file holds, and
// its MP3. A case that cannot be repaired is told to failed (nil: not told); the others go on.
func RecoverInterrupted(sessionDir string, failed func(caseDir string, err error)) {
	cut, _ := filepath.Glob(filepath.Join(sessionDir, session.CasesDir, "*.interrupted-*"))
	for _, d := range cut {
		if _, err := os.Stat(filepath.Join(d, WAVFile)); err == nil {
			if _, err := RecoverCase(d); err != nil && failed != nil {
				failed(d, err)
			}
		}
	}
}
