package transcribe

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sightline/reader/transcript"
)

var now = time.Date(2026, 12, 2, 10, 4, 5, 0, time.UTC)

func caseWithAudio(t *testing.T) string {
	dir := t.TempDir()
	writeWAV(t, filepath.Join(dir, "audio.wav"), 48000, 2, tone(48000, 2, 0.5), -1)
	return dir
}

func TestTranscribeCaseDraftsAndKeepsCorrections(t *testing.T) {
	dir := caseWithAudio(t)
	f := &fakeEngine{words: []Word{{"the", 0.1, 0.2, 0.9}, {"heart", 0.3, 0.6, 0.8}}}
	r := TranscribeCase(context.Background(), f, dir, now)
	if r.Status != StatusWritten || r.Words != 2 {
		t.Fatalf("%+v", r)
	}
	b, _ := os.ReadFile(filepath.Join(dir, TranscriptFile))
	if string(b) != `{"full_text":" the heart","time_stamped_text":[{"phrase":"the","begin_time":0.1,"end_time":0.2},{"phrase":"heart","begin_time":0.3,"end_time":0.6}]}` {
		t.Errorf("transcript.json %s", b)
	}
	raw, err := ReadRaw(dir)
	if err != nil || raw.Engine != "fake" || raw.Model != "fake-model" || raw.Created != "2026-12-02T10:04:05Z" || raw.AudioSeconds != 0.5 || len(raw.Words) != 2 || raw.Words[1].Confidence != 0.8 {
		t.Fatalf("raw %+v %v", raw, err)
	}
	// A draft is replaced by a new one.
	f.words = []Word{{"heart", 0.3, 0.6, 0.8}}
	if r := TranscribeCase(context.Background(), f, dir, now); r.Status != StatusWritten {
		t.Fatalf("redraft %+v", r)
	}
	// A crash after the record and before transcript.json: the old draft is still a draft.
	draft, _ := os.ReadFile(filepath.Join(dir, TranscriptFile))
	raw, _ = ReadRaw(dir)
	raw.PreviousDraftSHA256, raw.DraftSHA256 = digest(draft), "0000"
	writeRaw(dir, raw)
	if ok, why, err := Corrected(dir); ok || err != nil {
		t.Errorf("crash between the writes reads as corrected: %s %v", why, err)
	}
	// A correction is kept, byte for byte.
	os.WriteFile(filepath.Join(dir, TranscriptFile), []byte(`{"full_text":" hearts","time_stamped_text":[]}`), 0o644)
	if r := TranscribeCase(context.Background(), f, dir, now); r.Status != StatusKept || !strings.Contains(r.Notes[0], "corrected since its draft") {
		t.Errorf("corrected: %+v", r)
	}
	// So is a transcript from elsewhere (no record).
	os.Remove(filepath.Join(dir, RawFile))
	if r := TranscribeCase(context.Background(), f, dir, now); r.Status != StatusKept || !strings.Contains(r.Notes[0], "not written by transcribe") {
		t.Errorf("foreign: %+v", r)
	}
}

func TestTranscribeCaseBadInput(t *testing.T) {
	ctx := context.Background()
	f := &fakeEngine{err: ErrNoWords}
	if r := TranscribeCase(ctx, f, caseWithAudio(t), now); r.Status != StatusNoSpeech {
		t.Errorf("no words: %+v", r)
	}
	f = &fakeEngine{err: &RunError{Program: "p", Err: errors.New("signal: killed"), TimeOut: time.Second}}
	dir := caseWithAudio(t)
	if r := TranscribeCase(ctx, f, dir, now); r.Status != StatusFailed || !strings.Contains(r.Err.Error(), "hung") {
		t.Errorf("hang: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, TranscriptFile)); err == nil {
		t.Error("a failed run wrote a transcript")
	}
	if r := TranscribeCase(ctx, f, t.TempDir(), now); r.Status != StatusNoAudio {
		t.Errorf("no audio: %+v", r)
	}
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, "audio.wav"), []byte("RIFF0000WAVE"), 0o644)
	if r := TranscribeCase(ctx, f, dir, now); r.Status != StatusNotViable || !strings.Contains(r.Err.Error(), "audio.wav: not a 16-bit PCM WAV") {
		t.Errorf("garbage: %+v", r)
	}
}

func TestAlignCase(t *testing.T) {
	ctx := context.Background()
	dir := caseWithAudio(t)
	if r := AlignCase(ctx, &fakeEngine{}, dir, now); r.Status != StatusNoText {
		t.Errorf("no transcript: %+v", r)
	}
	f := &fakeEngine{words: []Word{{"the", 0.1, 0.2, 0.9}, {"heart", 0.3, 0.6, 0.8}}}
	TranscribeCase(ctx, f, dir, now)
	f.aligned = []Word{{"the", 0.12, 0.22, 1}, {"heart", 0.31, 0.59, 1}}
	r := AlignCase(ctx, f, dir, now)
	if r.Status != StatusWritten || r.Method != MethodForced || r.Approx != 0 {
		t.Fatalf("%+v", r)
	}
	b, _ := os.ReadFile(filepath.Join(dir, TranscriptFile))
	tr, _ := transcript.Read(bytes.NewReader(b), "t")
	if tr.Phrases[0].Begin != 0.12 || tr.Phrases[1].End != 0.59 {
		t.Errorf("times %+v", tr.Phrases)
	}
	if ok, _, _ := Corrected(dir); ok {
		t.Error("an aligned draft reads as corrected")
	}
	raw, _ := ReadRaw(dir)
	if raw.Alignment == nil || raw.Alignment.Engine != "fake" || raw.Alignment.At != "2026-12-02T10:04:05Z" || len(raw.Alignment.Words) != 2 {
		t.Errorf("alignment record %+v", raw.Alignment)
	}
	// Nothing heard: the times someone set are kept, and the record says so.
	f.alignErr, f.err = ErrNoWords, ErrNoWords
	before, _ := os.ReadFile(filepath.Join(dir, TranscriptFile))
	if r := AlignCase(ctx, f, dir, now); r.Status != StatusWritten || r.Method != MethodInterpolated {
		t.Fatalf("nothing heard: %+v", r)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, TranscriptFile)); string(after) != string(before) {
		t.Errorf("nothing heard changed the times: %s", after)
	}
	if raw, _ := ReadRaw(dir); !strings.Contains(strings.Join(raw.Alignment.Notes, " "), "kept as they were") {
		t.Errorf("notes %v", raw.Alignment.Notes)
	}
	// An unreadable transcript is named.
	os.WriteFile(filepath.Join(dir, TranscriptFile), []byte(`{"full_text": 3}`), 0o644)
	if r := AlignCase(ctx, f, dir, now); r.Status != StatusNotViable || !strings.Contains(r.Err.Error(), "transcript.json:1: full_text") {
		t.Errorf("bad transcript: %+v", r)
	}
}

// TestTranscribeCaseGarbageTranscript: a transcript.json that does not read as a transcript is
// neither a draft to replace nor a correction to keep for good: the case fails, naming the
// file, its line and what to do, and the file is left byte for byte; once it is removed the
// case is drafted again.
func TestTranscribeCaseGarbageTranscript(t *testing.T) {
	ctx := context.Background()
	f := &fakeEngine{words: []Word{{"the", 0.1, 0.2, 0.9}, {"heart", 0.3, 0.6, 0.8}}}
	for _, withRecord := range []bool{true, false} {
		dir := caseWithAudio(t)
		if r := TranscribeCase(ctx, f, dir, now); r.Status != StatusWritten {
			t.Fatalf("draft: %+v", r)
		}
		if !withRecord {
			os.Remove(filepath.Join(dir, RawFile))
		}
		path := filepath.Join(dir, TranscriptFile)
		garbage := []byte("{\"full_text\": \" the\",\n \"time_stamped_text\": 7}\n")
		os.WriteFile(path, garbage, 0o644)
		if ok, _, err := Corrected(dir); ok || err == nil || !strings.Contains(err.Error(), TranscriptFile+":2:") {
			t.Errorf("record %v: Corrected = %v, %v; want an error naming %s line 2", withRecord, ok, err, TranscriptFile)
		}
		r := TranscribeCase(ctx, f, dir, now)
		if r.Status != StatusFailed || r.Err == nil || !strings.Contains(r.Err.Error(), "fix or remove it") {
			t.Errorf("record %v: garbage transcript.json: %+v, want failed with what to do", withRecord, r)
		}
		if b, _ := os.ReadFile(path); !bytes.Equal(b, garbage) {
			t.Errorf("record %v: the garbage file was changed: %q", withRecord, b)
		}
		os.Remove(path)
		if r := TranscribeCase(ctx, f, dir, now); r.Status != StatusWritten {
			t.Errorf("record %v: after removing it: %+v", withRecord, r)
		}
	}
}
