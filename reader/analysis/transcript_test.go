package analysis

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
)

// transcriptTests are the reader's table; FuzzTranscript is seeded from it.
var transcriptTests = []struct {
	name    string
	in      string
	phrases []Phrase // Line checked too
	full    string
	err     string // substring of the error, "" when it parses
}{
	{name: "the FORMATS.md example",
		in: `{"full_text": " prominent heart. cardiomegaly in fact.",
 "time_stamped_text": [{"phrase": "prominent", "begin_time": 1.0, "end_time": 1.7},
                       {"phrase": "heart.", "begin_time": 1.7, "end_time": 2.0}]}`,
		full:    " prominent heart. cardiomegaly in fact.",
		phrases: []Phrase{{"prominent", 1, 1.7, 2}, {"heart.", 1.7, 2, 3}}},
	{name: "begin_tim, as the paper's figure spells it",
		in:      `{"time_stamped_text":[{"phrase":"a","begin_tim":0.5,"end_time":0.75}]}`,
		phrases: []Phrase{{"a", 0.5, 0.75, 1}}},
	{name: "begin_time wins over begin_tim, in either order",
		in:      `{"time_stamped_text":[{"begin_time":1,"phrase":"a","begin_tim":9},{"begin_tim":9,"phrase":"b","begin_time":2}]}`,
		phrases: []Phrase{{"a", 1, math.NaN(), 1}, {"b", 2, math.NaN(), 1}}},
	{name: "null and missing times are NaN",
		in:      "{\"time_stamped_text\": [\n{\"phrase\": \"x y\", \"begin_time\": null}\n]}",
		phrases: []Phrase{{"x y", math.NaN(), math.NaN(), 2}}},
	{name: "unknown keys skipped, nested",
		in:      `{"speaker": {"id": [1, {"a": null}]}, "time_stamped_text": [{"phrase": "ok", "confidence": 0.9, "words": ["o", "k"]}], "full_text": "ok", "v": 2}`,
		full:    "ok",
		phrases: []Phrase{{"ok", math.NaN(), math.NaN(), 1}}},
	{name: "no entries", in: `{"full_text": ""}`},
	{name: "keys are case-sensitive, as in Python (a fuzz find)", in: `{"time_stAmped_teXt":[{"phrase":"a"}], "Full_Text": "b"}`},
	{name: "null entries", in: `{"time_stamped_text": null}`},
	{name: "empty array", in: " \n {\"time_stamped_text\": []} \n"},
	{name: "not an object", in: "[1, 2]", err: "want a JSON object"},
	{name: "empty file", in: "", err: "unexpected EOF"},
	{name: "phrase not a string", in: "{\n\"time_stamped_text\": [\n  {\"phrase\": 3}]}", err: ":3: phrase: want a string, found the number 3"},
	{name: "entry without a phrase", in: "{\"time_stamped_text\": [\n{\"phrase\": \"a\"},\n{\"begin_time\": 1}]}", err: ":3: time_stamped_text entry 2 has no \"phrase\""},
	{name: "entry not an object", in: "{\"time_stamped_text\": [\"a\"]}", err: "entry 1: want an object"},
	{name: "time as a string", in: `{"time_stamped_text": [{"phrase": "a", "end_time": "2.0"}]}`, err: "end_time: want a number"},
	{name: "time too large", in: `{"time_stamped_text": [{"phrase": "a", "end_time": 1e999}]}`, err: "not a finite number"},
	{name: "full_text not a string", in: `{"full_text": []}`, err: "full_text: want a string"},
	{name: "time_stamped_text not an array", in: `{"time_stamped_text": {}}`, err: "want an array"},
	{name: "time_stamped_text twice", in: `{"time_stamped_text": [], "time_stamped_text": []}`, err: "appears twice"},
	{name: "truncated", in: "{\"time_stamped_text\": [{\"phrase\": \"a\"}", err: "unexpected EOF"},
	{name: "syntax error on line 4", in: "{\n\"full_text\": \"a\",\n\"x\": 1,\n\"y\": tru}", err: ":4:"},
	{name: "data after the object", in: "{}\n{}", err: ":2: data after the JSON object"},
}

func samePhrases(a, b []Phrase) bool {
	if len(a) != len(b) {
		return false
	}
	eq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	for i := range a {
		if a[i].Phrase != b[i].Phrase || !eq(a[i].Begin, b[i].Begin) || !eq(a[i].End, b[i].End) || a[i].Line != b[i].Line {
			return false
		}
	}
	return true
}

func TestReadTranscript(t *testing.T) {
	for _, tc := range transcriptTests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := ReadTranscript(strings.NewReader(tc.in), "t.json")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "t.json:") {
					t.Fatalf("error %v, want one naming t.json and saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tr.FullText != tc.full || !samePhrases(tr.Phrases, tc.phrases) {
				t.Errorf("got %q %+v, want %q %+v", tr.FullText, tr.Phrases, tc.full, tc.phrases)
			}
		})
	}
}

func TestTypeB(t *testing.T) {
	tests := []struct {
		phrase string
		single bool
	}{
		{"prominent", true}, {"heart.", true}, {"", true}, {"cardiomegaly in fact.", false},
		{" lungs", false}, {"lungs ", false}, {"tab\tseparated", true}, // the reference split on ' ' only
	}
	var b TypeB
	tr := &Transcript{}
	single := 0
	for _, tc := range tests {
		if got := SingleWord(tc.phrase); got != tc.single {
			t.Errorf("SingleWord(%q) = %v", tc.phrase, got)
		}
		tr.Phrases = append(tr.Phrases, Phrase{Phrase: tc.phrase})
		if tc.single {
			single++
		}
	}
	b.Add(tr)
	b.Add(&Transcript{})
	if b.Files != 2 || b.Phrases != 7 || b.SingleWord != single || b.MultiWord != 7-single || b.Error() != 1-float64(single)/7 {
		t.Errorf("%+v error %v", b, b.Error())
	}
	// The paper's counts give its 5.46%.
	p := TypeB{Phrases: 19499, SingleWord: 18434, MultiWord: 1065}
	if e := p.Error(); math.Abs(e-0.0546) > 5e-5 {
		t.Errorf("paper's Type-B %v", e)
	}
	if !math.IsNaN((TypeB{}).Error()) {
		t.Error("no phrases: want NaN")
	}
}

var errLine = regexp.MustCompile(`^f\.json:[0-9]+: `)

func FuzzTranscript(f *testing.F) {
	for _, tc := range transcriptTests {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := ReadTranscript(strings.NewReader(in), "f.json")
		if err != nil {
			if !errLine.MatchString(err.Error()) {
				t.Fatalf("error %q does not name the file and line", err)
			}
			if tr != nil {
				t.Fatal("a transcript with an error")
			}
			return
		}
		// What parses is valid JSON that encoding/json reads the same way.
		if !json.Valid([]byte(in)) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		// Exact keys, as Python's json and the reference read them (encoding/json's struct
		// fields would match any case).
		var top map[string]json.RawMessage
		if err := json.Unmarshal([]byte(in), &top); err != nil {
			t.Fatalf("accepted %q, which is not a JSON object: %v", in, err)
		}
		var entries []map[string]json.RawMessage
		if raw, ok := top["time_stamped_text"]; ok {
			if err := json.Unmarshal(raw, &entries); err != nil {
				t.Fatalf("accepted time_stamped_text %s: %v", raw, err)
			}
		}
		if len(entries) != len(tr.Phrases) {
			t.Fatalf("%d phrases, encoding/json sees %d", len(tr.Phrases), len(entries))
		}
		for i, e := range entries {
			var p string
			if err := json.Unmarshal(e["phrase"], &p); err != nil || p != tr.Phrases[i].Phrase {
				t.Fatalf("phrase %d: %q, encoding/json %q (%v)", i, tr.Phrases[i].Phrase, p, err)
			}
		}
		for _, p := range tr.Phrases {
			if p.Line < 1 || p.Line > 1+strings.Count(in, "\n") {
				t.Fatalf("line %d", p.Line)
			}
		}
	})
}
