package ownpass

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sightline/internal/notrun"
	"sightline/reader/transcribe"
)

// spokenCase writes a case folder whose audio.wav is text spoken by espeak-ng.
func spokenCase(t *testing.T, text string) string {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		notrun.Skip(t, "espeak-ng is not installed (scripts/deps.sh test installs it)")
	}
	dir := filepath.Join(t.TempDir(), "01-case")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "160", "-w", filepath.Join(dir, "audio.wav"), text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	return dir
}

// waitDone subscribes to d and returns a function that waits until dir's draft leaves the
// queue (done or stopped), with a generous deadline for a loaded machine.
func waitDone(t *testing.T, d *Drafter) func(dir string) Draft {
	var mu sync.Mutex
	changed := make(chan struct{}, 1)
	stop := d.Subscribe(func(Draft) {
		mu.Lock()
		defer mu.Unlock()
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	t.Cleanup(stop)
	return func(dir string) Draft {
		t.Helper()
		deadline := time.After(5 * time.Minute)
		for {
			if dr, _ := d.Get(dir); dr.State == Done || dr.State == Stopped {
				return dr
			}
			select {
			case <-changed:
			case <-deadline:
				t.Fatalf("the draft of %s did not end within 5 minutes", dir)
			}
		}
	}
}

// TestDrafterWritesAsTranscribe: the background draft is the batch command's, byte for byte
// (transcript.json and transcript_raw.json), with the real recogniser.
func TestDrafterWritesAsTranscribe(t *testing.T) {
	if _, err := exec.LookPath(transcribe.SphinxBin); err != nil {
		notrun.Skip(t, transcribe.SphinxBin+" is not installed ("+transcribe.SphinxInstall+")")
	}
	dir := spokenCase(t, "there is a small left pleural effusion. the heart is normal in size.")
	twin := filepath.Join(t.TempDir(), "01-case")
	os.MkdirAll(twin, 0o755)
	b, _ := os.ReadFile(filepath.Join(dir, "audio.wav"))
	os.WriteFile(filepath.Join(twin, "audio.wav"), b, 0o644)
	now := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)

	d := NewDrafter(DrafterOptions{Open: func() (transcribe.Engine, error) { return transcribe.New(transcribe.Config{}) },
		Now: func() time.Time { return now }})
	defer d.Close(time.Minute)
	wait := waitDone(t, d)
	d.Add(dir)
	dr := wait(dir)
	if !dr.Ready() || dr.Result.Words == 0 {
		t.Fatalf("draft: %+v (%v)", dr, dr.Result.Err)
	}

	eng, err := transcribe.New(transcribe.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer transcribe.Close(eng)
	if r := transcribe.TranscribeCase(context.Background(), eng, twin, now); r.Status != transcribe.StatusWritten {
		t.Fatalf("the batch's draft: %+v", r)
	}
	for _, f := range []string{transcribe.TranscriptFile, transcribe.RawFile} {
		got, err1 := os.ReadFile(filepath.Join(dir, f))
		want, err2 := os.ReadFile(filepath.Join(twin, f))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", f, err1, err2)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the batch command's:\n%s\nwant\n%s", f, got, want)
		}
	}
}

// niceEngine is a recogniser that notes the priority it runs at (its own thread's, and a child
// process's as the real recognisers are), then hears one word, or waits for its context when
// block is set.
type niceEngine struct {
	thread, child int
	block         bool
	started       chan struct{}
}

func (e *niceEngine) Name() string  { return "nice" }
func (e *niceEngine) Model() string { return "none" }
func (e *niceEngine) Recognize(ctx context.Context, a transcribe.Audio) ([]transcribe.Word, error) {
	if e.started != nil {
		close(e.started)
	}
	if e.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	// Linux's getpriority returns 20 − nice.
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		return nil, err
	}
	e.thread = 20 - p
	out, err := exec.CommandContext(ctx, "nice").Output() // with no argument: its own niceness
	if err != nil {
		return nil, err
	}
	if e.child, err = strconv.Atoi(strings.TrimSpace(string(out))); err != nil {
		return nil, err
	}
	return []transcribe.Word{{Word: "clear", Begin: 0.1, End: 0.5, Confidence: 0.9}}, nil
}

// TestDrafterLowPriority: drafts run at nice 19, and so do the programs they start.
func TestDrafterLowPriority(t *testing.T) {
	dir := spokenCase(t, "the lungs are clear.")
	eng := &niceEngine{}
	d := NewDrafter(DrafterOptions{Open: func() (transcribe.Engine, error) { return eng, nil }})
	defer d.Close(time.Minute)
	wait := waitDone(t, d)
	d.Add(dir)
	if dr := wait(dir); !dr.Ready() {
		t.Fatalf("draft: %+v (%v)", dr, dr.Result.Err)
	}
	if eng.thread != draftNice || eng.child != draftNice {
		t.Errorf("the draft ran at nice %d and its child at %d, want %d", eng.thread, eng.child, draftNice)
	}
	// The test's own thread kept its priority.
	if p, _ := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid()); 20-p == draftNice {
		t.Errorf("the caller's thread was lowered too")
	}
}

// TestDrafterCloseMidDraft: closing the drafter mid-draft writes nothing of that case and
// leaves the queued ones for the batch command, each said to be stopped.
func TestDrafterCloseMidDraft(t *testing.T) {
	first := spokenCase(t, "the lungs are clear.")
	second := spokenCase(t, "no pleural effusion.")
	eng := &niceEngine{block: true, started: make(chan struct{})}
	d := NewDrafter(DrafterOptions{Open: func() (transcribe.Engine, error) { return eng, nil }})
	var mu sync.Mutex
	var seen []Draft
	d.Subscribe(func(dr Draft) {
		mu.Lock()
		seen = append(seen, dr)
		mu.Unlock()
	})
	d.Add(first)
	d.Add(second)
	select {
	case <-eng.started:
	case <-time.After(5 * time.Minute):
		t.Fatal("the draft did not start")
	}
	if dr, _ := d.Get(first); dr.State != Drafting {
		t.Fatalf("first case: %+v, want drafting", dr)
	}
	d.Close(time.Minute)
	for _, dir := range []string{first, second} {
		if dr, _ := d.Get(dir); dr.State != Stopped {
			t.Errorf("%s: state %v, want stopped", dir, dr.State)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 || ents[0].Name() != "audio.wav" {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("%s holds %v after the close, want audio.wav only", dir, names)
		}
	}
	d.Add(first) // after Close: ignored
	if dr, _ := d.Get(first); dr.State != Stopped {
		t.Errorf("a case added after Close: %+v", dr)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := len(seen); n < 4 || seen[n-1].State != Stopped {
		t.Errorf("subscriber saw %+v, want queued, drafting and stopped", seen)
	}
}

// TestDrafterEngineMissing: an engine that cannot be opened is every case's failure, said, and
// nothing is written.
func TestDrafterEngineMissing(t *testing.T) {
	dir := spokenCase(t, "the lungs are clear.")
	d := NewDrafter(DrafterOptions{Open: func() (transcribe.Engine, error) {
		return nil, &transcribe.NotInstalledError{Engine: "pocketsphinx", Install: "apt-get install pocketsphinx"}
	}})
	defer d.Close(time.Minute)
	wait := waitDone(t, d)
	d.Add(dir)
	dr := wait(dir)
	if dr.State != Done || dr.Ready() || dr.Result.Status != transcribe.StatusFailed || !strings.Contains(dr.Result.Err.Error(), "not installed") {
		t.Errorf("draft with no recogniser: %+v", dr)
	}
	if _, err := os.Stat(filepath.Join(dir, transcribe.TranscriptFile)); err == nil {
		t.Error("a transcript.json was written without a recogniser")
	}
}
