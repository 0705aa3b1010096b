package session

import (
	"errors"
	"strings"
)

// StartAction is what the station does when a reader opens a study.
type StartAction string

// The station's choices on start.
const (
	// StartNew records a new session (the next of the reader's plan, or the unread cases).
	StartNew StartAction = "new"
	// StartContinue goes on with the reader's latest session, ended before its plan was done.
	StartContinue StartAction = "continue"
	// StartResume resumes the reader's latest interrupted session at the case it was cut on.
	StartResume StartAction = "resume"
	// AskResume asks the reader whether to resume the interrupted session or start a new one.
	AskResume StartAction = "ask-resume"
)

// StartOptions are the command line's say in the choice.
type StartOptions struct {
	Reader string
	// Resume is "yes" (resume without asking), "no" (never resume) or "" (ask).
	Resume string
	// NewSession or a plan session number asks for a new session instead of continuing.
	NewSession bool
	Session    int
}

// Start is the station's choice and the session it concerns (zero for StartNew).
type Start struct {
	Action  StartAction
	Session State
}

// DecideStart chooses what the station does on start, from the study's interrupted sessions
// (oldest first, as reader/study lists them), every session's state and the options. Only the
// reader's own sessions count. An interrupted session comes first: it is resumed, or the reader
// is asked, unless Resume is "no". Otherwise the reader continues their latest session if it was
// ended with screens left, unless a new session or a plan session was asked for.
func DecideStart(interrupted, states []State, o StartOptions) Start {
	var cut *State
	for i := range interrupted {
		if interrupted[i].Reader == o.Reader {
			cut = &interrupted[i] // the latest of the reader's
		}
	}
	if cut != nil && o.Resume != "no" {
		if o.Resume == "yes" {
			return Start{StartResume, *cut}
		}
		return Start{AskResume, *cut}
	}
	if o.NewSession || o.Session != 0 {
		return Start{Action: StartNew}
	}
	if st, ok := LatestOf(states, o.Reader); ok {
		return Start{StartContinue, st}
	}
	return Start{Action: StartNew}
}

// LatestOf is the newest of reader's sessions among states if it is Continuable: the one the
// reader continues.
func LatestOf(states []State, reader string) (State, bool) {
	var (
		best  State
		found bool
	)
	for _, st := range states {
		if st.Reader == reader && (!found || st.StartedWall.After(best.StartedWall)) {
			best, found = st, true
		}
	}
	if !found || !best.Continuable() {
		return State{}, false
	}
	return best, true
}

// ErrAllRead: the reader has read every case of a study the station plans itself (Unread found
// none left). The station asks whether to read them all again in a new session.
var ErrAllRead = errors.New("every case of the study is read")

// Unread is ids less the cases reader has read to their end in the study's sessions (states:
// every session's state, any reader's; only the reader's own count), in ids' order. Empty
// means the reader has read every case: ErrAllRead.
func Unread(states []State, reader string, ids []string) []string {
	read := map[string]bool{}
	for _, st := range states {
		if st.Reader != reader {
			continue
		}
		for _, i := range st.Done {
			if i >= 0 && i < len(st.Plan) && st.Plan[i].Kind == KindCase {
				read[st.Plan[i].DicomID] = true
			}
		}
	}
	var out []string
	for _, id := range ids {
		if !read[id] {
			out = append(out, id)
		}
	}
	return out
}

// NextPlanned is the number (from 1) of the first of a reader's planned sessions (each its
// screens, in the plan's order) that no complete session among states has read; 0 when every
// one is complete. A session is known by its screens: the same cases in the same order.
func NextPlanned(planned [][]Screen, states []State) int {
	done := map[string]bool{}
	for _, st := range states {
		if st.Status == StatusComplete {
			done[planKey(st.Plan)] = true
		}
	}
	for k, sc := range planned {
		if !done[planKey(sc)] {
			return k + 1
		}
	}
	return 0
}

// planKey identifies a session by its screens.
func planKey(sc []Screen) string {
	var b strings.Builder
	for _, s := range sc {
		b.WriteString(s.DicomID)
		b.WriteByte(',')
	}
	return b.String()
}
