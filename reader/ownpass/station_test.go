package ownpass

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"sightline/reader/study"
	"sightline/reader/transcribe"
	"sightline/reader/transcribe/transcribetest"
)

// TestSession: a session's cases with a dictation, a draft found on disk, a pass recorded and
// taken up again (what was done stays), and the record of a pass declined, written only when
// there is none.
func TestSession(t *testing.T) {
	studyDir := transcribetest.Study(t)
	dir := study.SessionDir(studyDir, transcribetest.Spoken)
	s := NewSession(SessionOptions{StudyDir: studyDir, Reader: "r1", SessionID: transcribetest.Spoken, Dir: dir})
	defer s.Close(10 * time.Second)
	cases, err := s.Cases()
	if err != nil || len(cases) == 0 || cases[0].Name != "00-spoken" {
		t.Fatalf("cases %+v, %v; want 00-spoken first", cases, err)
	}
	if err := os.WriteFile(filepath.Join(cases[0].Dir, transcribe.TranscriptFile), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := s.Draft(cases[0]); d.State != Done {
		t.Errorf("a case with its transcript on disk: draft %+v, want done", d)
	}

	p, err := s.Pass()
	if err != nil || len(p.Cases) != len(cases) || p.Earlier != nil {
		t.Fatalf("a new pass: %+v, %v", p, err)
	}
	if err := p.Set(CaseRecord{Case: cases[0].Name, Status: Reviewed}); err != nil {
		t.Fatal(err)
	}
	if err := s.Decline(); err != nil {
		t.Fatal(err)
	}
	again, err := s.Pass()
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := again.r.Get(cases[0].Name); !ok || c.Status != Reviewed || len(again.Earlier) != len(cases) {
		t.Errorf("the pass taken up again: %+v (earlier %d cases), want %s reviewed (a Decline after a pass changes nothing)", c, len(again.Earlier), cases[0].Name)
	}

	if err := os.Remove(filepath.Join(dir, File)); err != nil {
		t.Fatal(err)
	}
	if err := s.Decline(); err != nil {
		t.Fatal(err)
	}
	rec, err := Read(dir)
	if err != nil || len(rec.Cases) != len(cases) || rec.Reviewed() != 0 || rec.Cases[0].Why != WhyDeclined {
		t.Errorf("declined: %+v, %v; want every case not reviewed, %q", rec, err, WhyDeclined)
	}
	var none *Session
	if a := none.Audio(nil); a != nil {
		t.Errorf("a session without dictation wraps the audio: %v", a)
	}
}
