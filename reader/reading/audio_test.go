package reading

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"sightline/tracker"
)

// deadAudio is a microphone that cannot start.
type deadAudio struct{}

func (deadAudio) Begin(string, time.Duration) error { return errors.New("microphone: device gone") }
func (deadAudio) End(time.Duration) (AudioCheck, error) {
	return AudioCheck{}, errors.New("End without Begin")
}

// TestAudioFaultJournalled: a microphone fault is in the journal as it happens, not only in
// the case's verdict at its end.
func TestAudioFaultJournalled(t *testing.T) {
	tr, rec, view := newFakeTracker(), &fakeRecorder{}, newFakeView()
	faults := make(chan AudioFault, 1)
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock: func() time.Duration { return 0 },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Audio: &fakeAudio{}, AudioFaults: faults,
	})
	if err != nil {
		t.Fatal(err)
	}
	view.waitShown(t, 1)
	faults <- AudioFault{Kind: "audio_lost", Err: "pulse device \"Monitor of Doomed\" was removed"}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(rec.lines(), "event audio_lost") {
		if time.Now().After(deadline) {
			t.Fatalf("the fault is not in the journal within 10 s:\n%s", rec.lines())
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.End()
	waitSummary(t, view)
}

// TestAudioNotStartedFailsCase: a case whose audio could not be started is judged with that
// error, so that the audio gate fails it, rather than passing as if no microphone were in use.
func TestAudioNotStartedFailsCase(t *testing.T) {
	tr, rec, view := newFakeTracker(), &fakeRecorder{}, newFakeView()
	var gated []AudioCheck
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock:     func() time.Duration { return 0 },
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Gate:      func([][]tracker.Sample, time.Duration) Quality { return Quality{Verdict: "pass"} },
		Audio:     deadAudio{},
		AudioGate: func(q *Quality, a AudioCheck) { gated = append(gated, a) },
	})
	if err != nil {
		t.Fatal(err)
	}
	view.waitShown(t, 1)
	r.End()
	waitSummary(t, view)
	if len(gated) != 1 || !strings.Contains(gated[0].Err, "not recorded: microphone: device gone") {
		t.Errorf("the audio gate saw %+v, want the case's audio failed as not recorded", gated)
	}
}

// silentAudio records every case, and every case is silent.
type silentAudio struct{}

func (silentAudio) Begin(string, time.Duration) error { return nil }
func (silentAudio) End(time.Duration) (AudioCheck, error) {
	return AudioCheck{Seconds: 3, ScreenSeconds: 3, PeakDB: -70, Silent: true}, nil
}

// offerView keeps what the re-read offer proposed.
type offerView struct {
	*fakeView
	offers chan []Skip
}

func (v offerView) Offer(k []Skip) {
	v.fakeView.Offer(k)
	v.offers <- k
}

// TestSilentCasesOffered: cases whose dictation was silent pass the gaze gate with a warning,
// but their dictation is missing: they are offered for re-reading, as silent, and the summary
// lists them. Before, only quality.json said so.
func TestSilentCasesOffered(t *testing.T) {
	tr, rec, fv := newFakeTracker(), &fakeRecorder{}, newFakeView()
	view := offerView{fakeView: fv, offers: make(chan []Skip, 1)}
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock: func() time.Duration { return 0 },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Gate:  func([][]tracker.Sample, time.Duration) Quality { return Quality{Verdict: "pass"} },
		Audio: silentAudio{},
		AudioGate: func(q *Quality, a AudioCheck) {
			if a.Silent {
				q.Verdict = "warn"
				q.Reasons = append(q.Reasons, "audio silent (peak -70 dBFS)")
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	fv.waitShown(t, 1)
	r.Next() // a → calibration screen
	fv.waitShown(t, 2)
	r.Next() // → c (bad cannot be decoded)
	fv.waitShown(t, 3)
	r.Next() // the end of the plan: the offer
	var offer []Skip
	select {
	case offer = <-view.offers:
	case <-time.After(10 * time.Second):
		t.Fatal("no re-read offer for two silent cases")
	}
	if len(offer) != 2 || offer[0].DicomID != "a" || offer[1].DicomID != "c" ||
		offer[0].Kind != RereadSilent || !strings.Contains(offer[0].Reason, "audio silent") {
		t.Errorf("offered %+v, want a and c, as silent", offer)
	}
	r.End() // decline
	s := waitSummary(t, fv)
	if len(s.Silent) != 2 || len(s.Failed) != 0 {
		t.Errorf("summary: silent %+v, failed %+v; want a and c silent, none failed", s.Silent, s.Failed)
	}
}
