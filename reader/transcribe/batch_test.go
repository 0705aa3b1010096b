package transcribe_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sightline/internal/notrun"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/study"
	"sightline/reader/transcribe"
	"sightline/reader/transcribe/transcribetest"
	"sightline/reader/transcript"
)

// recordedStudy is transcribetest.Study, skipped without the recogniser.
func recordedStudy(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath(transcribe.SphinxBin); err != nil {
		notrun.Skip(t, transcribe.SphinxBin+" is not installed (scripts/deps.sh test installs it)")
	}
	return transcribetest.Study(t)
}

// runBatch opens a batch over the study, runs it over its cases (sessionID, caseID: those
// only) and returns each case's line as the console prints it, the tally and the run's error.
func runBatch(t *testing.T, ctx context.Context, studyDir, sessionID, caseID string, opt transcribe.BatchOptions) ([]string, transcribe.Tally, error) {
	t.Helper()
	cases, err := transcribe.Cases(studyDir, sessionID, caseID, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := transcribe.NewBatch(ctx, studyDir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var lines []string
	tally, err := b.Run(ctx, cases, func(r transcribe.CaseResult) {
		if r.Total != len(cases) || r.Case != cases[r.Index-1] {
			t.Errorf("case %d of %d: %+v, want %+v of %d", r.Index, r.Total, r.Case, cases[r.Index-1], len(cases))
		}
		lines = append(lines, r.Name()+": "+r.Line(opt.Align))
	})
	return lines, tally, err
}

func TestBatch(t *testing.T) {
	studyDir := recordedStudy(t)
	spoken := study.CaseDir(studyDir, transcribetest.Spoken, "00-spoken")
	ctx := context.Background()
	lines, tally, err := runBatch(t, ctx, studyDir, "", "", transcribe.BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 5 {
		t.Fatalf("%d cases, want 5 (the calibration screen left out):\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for i, want := range []string{
		"20261202-010000-r1/00-spoken: written (",
		"20261202-010000-r1/01-silent: silent: nothing above -50 dBFS",
		"20261202-010000-r1/02-cut: written (",
		"20261202-010000-r1/03-gazeonly: no audio: no audio.wav (a gaze-only session or case)",
		"20261202-020000-r2/00-spoken: no audio",
	} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("case %d: %q, want it to start %q", i+1, lines[i], want)
		}
	}
	if !strings.Contains(lines[2], "audio.wav is cut off") {
		t.Errorf("the cut case does not say so: %s", lines[2])
	}
	if tally.String() != "2 written, 2 no audio, 1 silent" || tally.Failed() != 0 {
		t.Errorf("tally %q, %d failed", tally, tally.Failed())
	}
	tb, err := os.ReadFile(filepath.Join(spoken, transcribe.TranscriptFile))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transcript.Read(bytes.NewReader(tb), "transcript.json")
	if err != nil || tr.Validate("transcript.json") != nil {
		t.Fatalf("draft: %v", err)
	}
	if !strings.Contains(tr.FullText, "pleural effusion") || len(tr.Phrases) < 8 {
		t.Errorf("draft %q, %d phrases", tr.FullText, len(tr.Phrases))
	}
	raw, err := transcribe.ReadRaw(spoken)
	if err != nil || raw.Engine != "pocketsphinx" || !strings.HasPrefix(raw.Model, "sightline-radiology-") || len(raw.Words) == 0 || raw.AudioSeconds < 3 {
		t.Fatalf("raw %+v %v", raw, err)
	}

	// A correction is never overwritten.
	fixed := *tr
	fixed.Phrases = append([]transcript.Phrase{}, tr.Phrases...)
	fixed.Phrases[0].Phrase = "Prominent"
	corrected, _ := transcript.Marshal(&fixed)
	os.WriteFile(filepath.Join(spoken, transcribe.TranscriptFile), corrected, 0o644)
	lines, _, err = runBatch(t, ctx, studyDir, transcribetest.Spoken, "spoken", transcribe.BatchOptions{})
	if err != nil || len(lines) != 1 || !strings.HasPrefix(lines[0], "20261202-010000-r1/00-spoken: kept; transcript.json has been corrected since its draft") {
		t.Errorf("corrected: %v %q", err, lines)
	}
	if b, _ := os.ReadFile(filepath.Join(spoken, transcribe.TranscriptFile)); !bytes.Equal(b, corrected) {
		t.Error("a corrected transcript was replaced")
	}

	// Forced alignment keeps the words, re-times them and records how.
	lines, _, err = runBatch(t, ctx, studyDir, "", "spoken", transcribe.BatchOptions{Align: true})
	if err != nil || len(lines) != 2 || !strings.HasPrefix(lines[0], "20261202-010000-r1/00-spoken: written (") {
		t.Fatalf("align: %v %q", err, lines)
	}
	ab, _ := os.ReadFile(filepath.Join(spoken, transcribe.TranscriptFile))
	at, _ := transcript.Read(bytes.NewReader(ab), "aligned")
	if len(at.Phrases) != len(fixed.Phrases) || at.FullText != fixed.FullText {
		t.Errorf("alignment changed the text: %q", at.FullText)
	}
	for i := range at.Phrases {
		if want := fixed.Phrases[i].Phrase; at.Phrases[i].Phrase != want {
			t.Errorf("phrase %d: %q, want %q", i, at.Phrases[i].Phrase, want)
		}
	}
	raw, _ = transcribe.ReadRaw(spoken)
	if raw.Alignment == nil || raw.Alignment.Method == "" || len(raw.Alignment.Words) != len(at.Phrases) {
		t.Errorf("raw alignment %+v", raw.Alignment)
	}
	if ok, _, _ := transcribe.Corrected(spoken); !ok {
		t.Error("aligning made a corrected transcript a draft again")
	}

	// Corrected in the review store: kept, with who and when.
	st, err := review.Open(ctx, studyDir, review.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.AddTranscriptEdit(ctx, review.TranscriptEdit{Session: transcribetest.Spoken, Case: "cut", Before: "a", After: "b", Who: "ann"})
	st.Close()
	lines, _, err = runBatch(t, ctx, studyDir, "", "cut", transcribe.BatchOptions{})
	if err != nil || len(lines) != 1 || !strings.HasPrefix(lines[0], "20261202-010000-r1/02-cut: kept; corrected in the review store by ann at ") {
		t.Errorf("store: %v %q", err, lines)
	}
}

// hangingRecogniser puts a pocketsphinx_continuous first on PATH that hangs the first time it
// runs (until killed) and runs the real one after; marker appears when it has started hanging.
func hangingRecogniser(t *testing.T) (bin, marker string) {
	t.Helper()
	real, _ := exec.LookPath(transcribe.SphinxBin)
	bin = t.TempDir()
	marker = filepath.Join(bin, "hung")
	script := "#!/bin/sh\n[ -e " + marker + " ] || { touch " + marker + "; sleep 600; }\nexec " + real + " \"$@\"\n"
	os.WriteFile(filepath.Join(bin, transcribe.SphinxBin), []byte(script), 0o755)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	return bin, marker
}

// started receives once the hanging recogniser has started (its marker is there), polled with
// a generous deadline: a loaded machine.
func started(marker string) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(marker); err == nil {
				break
			}
		}
		ch <- time.Now()
	}()
	return ch
}

// TestBatchHangAndCrash: a recogniser that hangs on one case is killed at the time-out and
// named; the case after it is transcribed; a crash is named with what it said.
func TestBatchHangAndCrash(t *testing.T) {
	studyDir := recordedStudy(t)
	bin, marker := hangingRecogniser(t)
	// The time-out bounds every run, the real recogniser's too: a generous one, which a loaded
	// machine meets with room to spare (a 3 s one was missed under -race at load 10). The hang
	// is not waited out (it cost the suite a minute): the first run's clock, the hanging one's,
	// expires as soon as it has started; the others' is the wall clock.
	var runs atomic.Int32
	expire := func(bound time.Duration) <-chan time.Time {
		if runs.Add(1) == 1 {
			return started(marker)
		}
		return time.After(bound)
	}
	opt := transcribe.BatchOptions{Config: transcribe.Config{Timeout: 5 * time.Minute, Expire: expire}}
	lines, tally, err := runBatch(t, context.Background(), studyDir, transcribetest.Spoken, "", opt)
	if err != nil || tally.Failed() != 1 || len(lines) != 4 {
		t.Fatalf("%v, %d failed, %q", err, tally.Failed(), lines)
	}
	if !strings.HasPrefix(lines[0], "20261202-010000-r1/00-spoken: failed: ") || !strings.Contains(lines[0], "hung: killed after 5m0s") {
		t.Errorf("the hang: %s", lines[0])
	}
	if !strings.HasPrefix(lines[2], "20261202-010000-r1/02-cut: written (") {
		t.Errorf("the case after the hang was not transcribed: %s", lines[2])
	}
	// A crash.
	os.WriteFile(filepath.Join(bin, transcribe.SphinxBin), []byte("#!/bin/sh\necho 'segfault in ngram_search' >&2\nkill -SEGV $$\n"), 0o755)
	lines, _, _ = runBatch(t, context.Background(), studyDir, transcribetest.Spoken, "spoken", transcribe.BatchOptions{})
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "20261202-010000-r1/00-spoken: failed: ") || !strings.Contains(lines[0], "segfault in ngram_search") {
		t.Errorf("crash: %q", lines)
	}
}

// TestBatchCancel: cancelling the run kills the recogniser running now, and no case after it
// is started.
func TestBatchCancel(t *testing.T) {
	studyDir := recordedStudy(t)
	_, marker := hangingRecogniser(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// The hang has started when its marker is there (a generous deadline: a loaded machine).
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(marker); err == nil || ctx.Err() != nil {
				break
			}
		}
		cancel()
	}()
	lines, tally, err := runBatch(t, ctx, studyDir, transcribetest.Spoken, "", transcribe.BatchOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "20261202-010000-r1/00-spoken: failed: ") || tally.Failed() != 1 {
		t.Errorf("cases run after the cancel, or the hung one not named: %q", lines)
	}
	if _, err := os.Stat(filepath.Join(study.CaseDir(studyDir, transcribetest.Spoken, "02-cut"), transcribe.TranscriptFile)); err == nil {
		t.Error("a case after the cancel was transcribed")
	}
}

// TestCases: the calibration screens are left out, a session or case named picks it, a
// named session that cannot be read is an error and one that is not named is told and left out.
func TestCases(t *testing.T) {
	studyDir := t.TempDir()
	transcribetest.Session(t, studyDir, "a", "r1", nil)
	os.MkdirAll(study.SessionDir(studyDir, "broken"), 0o755)
	os.WriteFile(filepath.Join(study.SessionDir(studyDir, "broken"), session.StateFile), []byte("{"), 0o644)
	var told []string
	cases, err := transcribe.Cases(studyDir, "", "", func(why string) { told = append(told, why) })
	if err != nil || len(cases) != 0 || len(told) != 1 || !strings.Contains(told[0], "broken: not a readable session (") {
		t.Errorf("%v %+v, told %q", err, cases, told)
	}
	if _, err := transcribe.Cases(studyDir, "broken", "", nil); err == nil {
		t.Error("a named session that cannot be read: no error")
	}
	if err := transcribe.NoCasesError(studyDir, "x"); !strings.HasPrefix(err.Error(), "no recorded case x under ") {
		t.Errorf("no cases: %v", err)
	}
}

// TestResultLine: a case's console line says its status, the words, how it was aligned, the
// error and the notes.
func TestResultLine(t *testing.T) {
	for _, c := range []struct {
		r     transcribe.Result
		align bool
		want  string
	}{
		{transcribe.Result{Status: transcribe.StatusWritten, Words: 12}, false, "written (12 words)"},
		{transcribe.Result{Status: transcribe.StatusWritten, Words: 12, Method: "forced", Approx: 2}, true, "written (12 words, forced, 2 approximate)"},
		{transcribe.Result{Status: transcribe.StatusWritten, Words: 3, Method: "forced"}, true, "written (3 words, forced)"},
		{transcribe.Result{Status: transcribe.StatusFailed, Err: errors.New("hung"), Notes: []string{"a", "b"}}, false, "failed: hung; a; b"},
		{transcribe.Result{Status: transcribe.StatusKept, Notes: []string{"corrected"}}, true, "kept; corrected"},
	} {
		if got := c.r.Line(c.align); got != c.want {
			t.Errorf("%+v align %v: %q, want %q", c.r, c.align, got, c.want)
		}
	}
	tally := transcribe.Tally{transcribe.StatusNotViable: 1, transcribe.StatusFailed: 2, transcribe.StatusWritten: 3}
	if tally.String() != "3 written, 2 failed, 1 unreadable" || tally.Failed() != 3 {
		t.Errorf("tally %q, %d failed", tally, tally.Failed())
	}
}
