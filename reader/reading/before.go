package reading

import (
	"slices"
	"strings"
	"time"

	"sightline/reader/session"
	"sightline/tracker/quality"
)

// BeforeOf is what the earlier sittings of a session recorded, for the run that goes on with
// it: the screens done (not shown again), their rows, the reading time, the calibration rounds,
// and the cases to offer for re-reading at the end (failed, silent, marked) or already read
// again. o is the session as it stands (session.Open); rows it cannot count count as none.
func BeforeOf(o *session.Opened) Before {
	st := o.State
	b := Before{Done: slices.Clone(st.Done)}
	done := map[int]bool{}
	for _, i := range st.Done {
		done[i] = true
	}
	for _, c := range o.Cases {
		if c.Copy != 0 || !done[c.Screen.Index] {
			continue
		}
		b.Samples += c.RowCount(session.GazeFile)
		b.Fixations += c.RowCount(session.FixationFile)
		b.addReread(c)
	}
	for _, c := range o.Checks {
		b.Rounds = max(b.Rounds, c.Round)
	}
	b.Reread = rereadIn(st.Plan)
	b.Elapsed, b.Marked = sittings(o.Events)
	return b
}

// addReread offers a case read before for re-reading when it failed the gate or its
// dictation was silent.
func (b *Before) addReread(c *session.Case) {
	if c.Quality == nil || c.Screen.Kind != session.KindCase {
		return
	}
	switch why := rereadWhy(c.Screen.DicomID, *c.Quality); why.Kind {
	case RereadFailed:
		b.Failed = append(b.Failed, why)
	case RereadSilent:
		b.Silent = append(b.Silent, why)
	}
}

// rereadWhy is why a case of quality q is offered for re-reading at the end: it failed the
// gate, or it passed with a silent dictation (a warning only, but the dictation is missing:
// offered like a failure). Kind is empty when it is not offered.
func rereadWhy(dicomID string, q session.Quality) Skip {
	why := Skip{DicomID: dicomID, Reason: strings.Join(q.Reasons, "; ")}
	switch {
	case q.Verdict == quality.Fail:
		why.Kind = RereadFailed
	case q.Audio != nil && q.Audio.Silent:
		why.Kind = RereadSilent
	}
	return why
}

// rereadIn is the cases a plan holds twice: they were offered and read again.
func rereadIn(plan []session.Screen) []string {
	var out []string
	seen := map[string]bool{}
	for _, sc := range plan {
		if sc.Kind == session.KindCase && seen[sc.DicomID] && !slices.Contains(out, sc.DicomID) {
			out = append(out, sc.DicomID)
		}
		seen[sc.DicomID] = true
	}
	return out
}

// sittings is the reading time of a journal, each sitting from its first event to its last
// (session_resumed starts a sitting; the clock may restart there after a reboot), and the
// cases the operator marked for re-reading.
func sittings(events []session.Event) (elapsed time.Duration, marked []string) {
	var first, last time.Duration
	sitting := false
	for _, e := range events {
		h := time.Duration(e.HostNS)
		if e.Kind == session.EventResumed && sitting {
			elapsed += last - first
			sitting = false
		}
		if !sitting {
			first, sitting = h, true
		}
		last = h
		if e.Kind == EventMarkedForReread {
			if id := e.Attrs["dicom_id"]; id != "" && !slices.Contains(marked, id) {
				marked = append(marked, id)
			}
		}
	}
	if sitting {
		elapsed += last - first
	}
	return elapsed, marked
}
