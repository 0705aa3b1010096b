package app

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sightline/reader/reading"
	"sightline/reader/session"
	"sightline/tracker/quality"
)

// earlier is what the earlier sittings of a session recorded, for the run that goes on with
// it: the screens done (not shown again), rows, reading time, and the cases to offer for
// re-reading at the end. It reads the folder as it stands; what it cannot read counts as none.
func earlier(dir string) reading.Before {
	o, err := session.Open(dir)
	if err != nil {
		return reading.Before{}
	}
	st := o.State
	b := reading.Before{Done: slices.Clone(st.Done)}
	done := map[int]bool{}
	for _, i := range st.Done {
		done[i] = true
	}
	for _, c := range o.Cases {
		if c.Copy != 0 || !done[c.Screen.Index] {
			continue
		}
		b.Samples += dataRows(filepath.Join(c.Dir, session.GazeFile))
		b.Fixations += dataRows(filepath.Join(c.Dir, session.FixationFile))
		if q := c.Quality; q != nil && c.Screen.Kind == session.KindCase {
			why := reading.Skip{DicomID: c.Screen.DicomID, Reason: strings.Join(q.Reasons, "; ")}
			switch {
			case q.Verdict == quality.Fail:
				why.Kind = reading.RereadFailed
				b.Failed = append(b.Failed, why)
			case q.Audio != nil && q.Audio.Silent:
				why.Kind = reading.RereadSilent
				b.Silent = append(b.Silent, why)
			}
		}
	}
	for _, c := range o.Checks {
		b.Rounds = max(b.Rounds, c.Round)
	}
	// Cases the plan already holds twice were offered and read again.
	seen := map[string]bool{}
	for _, sc := range st.Plan {
		if sc.Kind == session.KindCase && seen[sc.DicomID] && !slices.Contains(b.Reread, sc.DicomID) {
			b.Reread = append(b.Reread, sc.DicomID)
		}
		seen[sc.DicomID] = true
	}
	// Reading time: each sitting from its first event to its last (session_resumed starts a
	// sitting; the clock may restart there after a reboot).
	var first, last time.Duration
	sitting := false
	for _, e := range o.Events {
		h := time.Duration(e.HostNS)
		if e.Kind == session.EventResumed && sitting {
			b.Elapsed += last - first
			sitting = false
		}
		if !sitting {
			first, sitting = h, true
		}
		last = h
		if e.Kind == "marked_for_reread" {
			if id := e.Attrs["dicom_id"]; id != "" && !slices.Contains(b.Marked, id) {
				b.Marked = append(b.Marked, id)
			}
		}
	}
	if sitting {
		b.Elapsed += last - first
	}
	return b
}

// dataRows counts a CSV's data rows (its lines after the header); 0 when it cannot be read.
func dataRows(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 256<<10)
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF || (err != nil && k == 0) {
			break
		}
	}
	return max(0, n-1)
}
