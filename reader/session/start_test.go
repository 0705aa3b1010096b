package session

import (
	"testing"
	"time"
)

func TestDecideStart(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	plan := []Screen{{0, KindCase, "a"}, {1, KindCase, "b"}}
	st := func(id, reader, status string, hours int, done ...int) State {
		return State{Meta: Meta{SessionID: id, Reader: reader, StartedWall: t0.Add(time.Duration(hours) * time.Hour), Plan: plan}, Status: status, Done: done}
	}
	cutOld, cutNew := st("cut-old", "alice", StatusRecording, 0, 0), st("cut-new", "alice", StatusRecording, 1, 0)
	cutBob := st("cut-bob", "bob", StatusRecording, 2)
	ended := st("ended", "alice", StatusEnded, 3, 0)
	endedDone := st("ended-done", "alice", StatusEnded, 4, 0, 1)
	complete := st("complete", "alice", StatusComplete, 5, 0, 1)
	endedBob := st("ended-bob", "bob", StatusEnded, 6, 0)
	for _, tc := range []struct {
		name        string
		interrupted []State
		states      []State
		o           StartOptions
		want        StartAction
		session     string
	}{
		{"an empty study", nil, nil, StartOptions{Reader: "alice"}, StartNew, ""},
		{"interrupted: ask about the latest", []State{cutOld, cutNew}, []State{cutOld, cutNew, ended}, StartOptions{Reader: "alice"}, AskResume, "cut-new"},
		{"interrupted, --resume yes", []State{cutOld, cutNew}, nil, StartOptions{Reader: "alice", Resume: "yes"}, StartResume, "cut-new"},
		{"interrupted, --resume no: continue", []State{cutNew}, []State{cutNew, ended}, StartOptions{Reader: "alice", Resume: "no"}, StartContinue, "ended"},
		{"interrupted beats --new-session", []State{cutNew}, []State{cutNew}, StartOptions{Reader: "alice", NewSession: true}, AskResume, "cut-new"},
		{"someone else's interruption is not ours", []State{cutBob}, []State{cutBob, ended}, StartOptions{Reader: "alice"}, StartContinue, "ended"},
		{"ended with screens left: continue", nil, []State{ended, endedBob}, StartOptions{Reader: "alice"}, StartContinue, "ended"},
		{"--new-session does not continue", nil, []State{ended}, StartOptions{Reader: "alice", NewSession: true}, StartNew, ""},
		{"a plan session number does not continue", nil, []State{ended}, StartOptions{Reader: "alice", Session: 2}, StartNew, ""},
		{"the latest is done: new", nil, []State{ended, endedDone}, StartOptions{Reader: "alice"}, StartNew, ""},
		{"the latest is complete: new", nil, []State{ended, complete}, StartOptions{Reader: "alice"}, StartNew, ""},
		{"another reader's ended session", nil, []State{endedBob}, StartOptions{Reader: "alice"}, StartNew, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DecideStart(tc.interrupted, tc.states, tc.o)
			if got.Action != tc.want || got.Session.SessionID != tc.session {
				t.Errorf("DecideStart = %s %q, want %s %q", got.Action, got.Session.SessionID, tc.want, tc.session)
			}
		})
	}
}
