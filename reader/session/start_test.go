package session

import (
	"slices"
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

func TestUnread(t *testing.T) {
	plan := []Screen{{0, KindCalibration, ""}, {1, KindCase, "a"}, {2, KindCase, "b"}, {3, KindCase, "c"}}
	st := func(reader string, done ...int) State {
		return State{Meta: Meta{Reader: reader, Plan: plan}, Status: StatusEnded, Done: done}
	}
	ids := []string{"a", "b", "c", "d"}
	for _, tc := range []struct {
		name   string
		states []State
		want   []string
	}{
		{"no sessions: every case", nil, ids},
		{"the calibration screen reads no case", []State{st("alice", 0)}, ids},
		{"read cases are left out, order kept", []State{st("alice", 0, 2)}, []string{"a", "c", "d"}},
		{"another reader's reads do not count", []State{st("bob", 1, 2, 3)}, ids},
		{"reads add up across sessions", []State{st("alice", 1), st("alice", 3)}, []string{"b", "d"}},
		{"a done index past the plan is ignored", []State{st("alice", 9, -1)}, ids},
		{"every case read: none", []State{st("alice", 1, 2, 3), {Meta: Meta{Reader: "alice", Plan: []Screen{{0, KindCase, "d"}}}, Done: []int{0}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unread(tc.states, "alice", ids); !slices.Equal(got, tc.want) {
				t.Errorf("Unread = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNextPlanned(t *testing.T) {
	s1 := []Screen{{0, KindCase, "a"}, {1, KindCase, "b"}}
	s2 := []Screen{{0, KindCase, "c"}, {1, KindCase, "d"}}
	s2swapped := []Screen{{0, KindCase, "d"}, {1, KindCase, "c"}}
	st := func(status string, plan []Screen) State {
		return State{Meta: Meta{Reader: "alice", Plan: plan}, Status: status}
	}
	for _, tc := range []struct {
		name   string
		states []State
		want   int
	}{
		{"nothing read: the first", nil, 1},
		{"the first complete: the second", []State{st(StatusComplete, s1)}, 2},
		{"an ended session is not complete", []State{st(StatusEnded, s1)}, 1},
		{"an interrupted one neither", []State{st(StatusRecording, s1)}, 1},
		{"only the second complete: the first", []State{st(StatusComplete, s2)}, 1},
		{"the same cases in another order are another session", []State{st(StatusComplete, s1), st(StatusComplete, s2swapped)}, 2},
		{"both complete: none", []State{st(StatusComplete, s2), st(StatusComplete, s1)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NextPlanned([][]Screen{s1, s2}, tc.states); got != tc.want {
				t.Errorf("NextPlanned = %d, want %d", got, tc.want)
			}
		})
	}
}
