package export

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

var transcriptCases = []struct {
	name, in string
	want     string // the normalized text; "" for an error
	err      string
}{
	{"published spelling", `{"full_text": " a b", "time_stamped_text": [{"phrase": "a", "begin_time": 1.0, "end_time": 1.5}]}`,
		`{"full_text": " a b", "time_stamped_text": [{"phrase": "a", "begin_time": 1.0, "end_time": 1.5}]}`, ""},
	{"paper's spelling", `{"full_text": "x", "time_stamped_text": [{"phrase": "a", "begin_tim": 1.0, "end_time": 1.5}, {"begin_tim":2,"phrase":"b","end_time":3}]}`,
		`{"full_text": "x", "time_stamped_text": [{"phrase": "a", "begin_time": 1.0, "end_time": 1.5}, {"begin_time":2,"phrase":"b","end_time":3}]}`, ""},
	{"escaped key", `{"full_text": "x", "time_stamped_text": [{"phrase": "a", "begin\u005ftim": 1, "end_time": 2}]}`,
		`{"full_text": "x", "time_stamped_text": [{"phrase": "a", "begin_time": 1, "end_time": 2}]}`, ""},
	{"both spellings: begin_time wins, nothing renamed", `{"full_text": "", "time_stamped_text": [{"phrase": "a", "begin_tim": 9, "begin_time": 1, "end_time": 2}]}`,
		`{"full_text": "", "time_stamped_text": [{"phrase": "a", "begin_tim": 9, "begin_time": 1, "end_time": 2}]}`, ""},
	{"begin_tim elsewhere is not ours to rename", `{"begin_tim": 1, "full_text": "begin_tim", "time_stamped_text": [], "x": {"begin_tim": 2}}`,
		`{"begin_tim": 1, "full_text": "begin_tim", "time_stamped_text": [], "x": {"begin_tim": 2}}`, ""},
	{"not an object", `[1]`, "", "cannot unmarshal"},
	{"no full_text", `{"time_stamped_text": []}`, "", "full_text"},
	{"full_text null", `{"full_text": null, "time_stamped_text": []}`, "", "full_text"},
	{"case matters", `{"Full_Text": "", "time_stamped_text": []}`, "", "full_text"},
	{"phrases not a list", `{"full_text": "", "time_stamped_text": {}}`, "", "time_stamped_text"},
	{"phrase missing", `{"full_text": "", "time_stamped_text": [{"begin_time": 1, "end_time": 2}]}`, "", "phrase"},
	{"time not a number", `{"full_text": "", "time_stamped_text": [{"phrase": "a", "begin_time": "1", "end_time": 2}]}`, "", "begin_time"},
	{"no begin", `{"full_text": "", "time_stamped_text": [{"phrase": "a", "end_time": 2}]}`, "", "begin_time"},
	{"entry null", `{"full_text": "", "time_stamped_text": [null]}`, "", "not an object"},
}

func TestTranscripts(t *testing.T) {
	for _, tc := range transcriptCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalizeTranscript([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one about %q", err, tc.err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %s (%v)\nwant %s", got, err, tc.want)
			}
		})
	}
	tr, err := ParseTranscript([]byte(transcriptCases[1].in))
	if err != nil || tr.FullText != "x" || len(tr.Phrases) != 2 || tr.Phrases[1] != (Phrase{"b", 2, 3}) {
		t.Errorf("ParseTranscript: %+v %v", tr, err)
	}
}

// FuzzTranscript: normalizing never panics, keeps the transcript's meaning, and is idempotent.
func FuzzTranscript(f *testing.F) {
	for _, tc := range transcriptCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := normalizeTranscript([]byte(in))
		if err != nil {
			return
		}
		a, _ := ParseTranscript([]byte(in))
		b, err := ParseTranscript(out)
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("normalized %q to %q: %v, %+v vs %+v", in, out, err, a, b)
		}
		again, err := normalizeTranscript(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q → %q → %q", in, out, again)
		}
	})
}
