package export

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var offsetCases = []struct {
	name, events, audio string
	want                map[ScreenKey]float64
	err                 string
}{
	{name: "export", events: "SESSION_ID,host_ns,kind,screen\n1,1000000000,screen_shown,1\n1,3000000000,screen_shown,1\n1,5000000000,screen_shown,2\n",
		audio: "SESSION_ID,MEDIA_ID,DICOM_ID,folder,first_frame_host_ns\n1,1,a,x,1250000000\n1,2,b,x,-1\n1,3,c,x,7\n",
		want:  map[ScreenKey]float64{{"1", 1}: 0.25}}, // screen 2 before audio arrived; screen 3 never shown
	{name: "bad host time", events: "SESSION_ID,host_ns,kind,screen\n1,x,screen_shown,1\n",
		audio: "SESSION_ID,MEDIA_ID,first_frame_host_ns\n", err: `events.csv:2: column host_ns: "x" is not an integer`},
	{name: "bad audio start", events: "SESSION_ID,host_ns,kind,screen\n1,1,screen_shown,1\n",
		audio: "SESSION_ID,MEDIA_ID,first_frame_host_ns\n1,1,soon\n", err: `audio.csv:2: column first_frame_host_ns: "soon" is not an integer`},
}

func writeOffsets(t testing.TB, events, audio string) string {
	dir := t.TempDir()
	for name, body := range map[string]string{EventsFile: events, AudioFile: audio} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAudioOffsets(t *testing.T) {
	for _, tc := range offsetCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AudioOffsets(writeOffsets(t, tc.events, tc.audio))
			if tc.err != "" {
				if err == nil || !strings.HasSuffix(err.Error(), tc.err) {
					t.Fatalf("err %v, want …%s", err, tc.err)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("%v %v, want %v", got, err, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%v: %v, want %v", k, got[k], v)
				}
			}
		})
	}
	if got, err := AudioOffsets(t.TempDir()); err != nil || len(got) != 0 {
		t.Errorf("a published folder: %v %v", got, err)
	}
}

func FuzzAudioOffsets(f *testing.F) {
	for _, tc := range offsetCases {
		f.Add(tc.events, tc.audio)
	}
	f.Fuzz(func(t *testing.T, events, audio string) {
		_, _ = AudioOffsets(writeOffsets(t, events, audio))
	})
}

func TestRowsAndReaders(t *testing.T) {
	dir := t.TempDir()
	body := "SESSION_ID,session,reader\n1,s1,alice\n2,s2,bob\n"
	if err := os.WriteFile(filepath.Join(dir, SessionsFile), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := Rows(dir, SessionsFile)
	if err != nil || len(rows) != 2 || rows[1]["reader"] != "bob" {
		t.Fatalf("%v %v", rows, err)
	}
	readers, ok, err := SessionReaders(dir)
	if err != nil || !ok || readers["1"] != "alice" {
		t.Fatalf("%v %v %v", readers, ok, err)
	}
	if err := os.WriteFile(filepath.Join(dir, SessionsFile), []byte("SESSION_ID,reader\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Rows(dir, SessionsFile); err == nil || !strings.Contains(err.Error(), "sessions.csv") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("short row: %v", err)
	}
	if rows, err := Rows(t.TempDir(), SessionsFile); rows != nil || err != nil {
		t.Errorf("absent: %v %v", rows, err)
	}
}
