package session

import (
	"reflect"
	"testing"
)

// TestTrackerTimingInSessionJSON: the tracker's timing noted during the session is in
// session.json once the session closes.
func TestTrackerTimingInSessionJSON(t *testing.T) {
	dir := t.TempDir()
	r, _ := newRecorder(t, dir, nil)
	want := TrackerTiming{MarkersSent: 12, MarkersEchoed: 0, TimeBackwards: 1,
		Note:         "the tracker does not echo USER_DATA markers in its records (USER field): latency not measured",
		AbsentFields: []string{"BKID", "BKDUR", "BKPMIN", "LPMM", "LPMMV", "RPMM", "RPMMV"}}
	r.NoteTracker(want)
	if err := r.Close(StatusComplete); err != nil {
		t.Fatal(err)
	}
	st := readState(t, dir)
	if st.TrackerTiming == nil || !reflect.DeepEqual(*st.TrackerTiming, want) {
		t.Fatalf("session.json tracker_timing %+v, want %+v", st.TrackerTiming, want)
	}
}
