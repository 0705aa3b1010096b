package transcript

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
)

// transcriptTests are the reader's table; FuzzRead is seeded from it.
var transcriptTests = []struct {
	name    string
	in      string
	phrases []Phrase // Line checked too
	full    string
	err     string // substring of the error, "" when it parses
}{
	{name: "the docs/FORMATS.md example",
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

func TestRead(t *testing.T) {
	for _, tc := range transcriptTests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := Read(strings.NewReader(tc.in), "t.json")
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

var errLine = regexp.MustCompile(`^f\.json:[0-9]+: `)

func FuzzRead(f *testing.F) {
	for _, tc := range transcriptTests {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := Read(strings.NewReader(in), "f.json")
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
	{"not an object", `[1]`, "", "t.json:1: want a JSON object"},
	{"no full_text", `{"time_stamped_text": []}`, "", "full_text"},
	{"full_text null", `{"full_text": null, "time_stamped_text": []}`, "", "full_text"},
	{"case matters", `{"Full_Text": "", "time_stamped_text": []}`, "", "full_text"},
	{"phrases not a list", `{"full_text": "", "time_stamped_text": {}}`, "", "time_stamped_text"},
	{"phrase missing", `{"full_text": "", "time_stamped_text": [{"begin_time": 1, "end_time": 2}]}`, "", "phrase"},
	{"time not a number", `{"full_text": "", "time_stamped_text": [{"phrase": "a", "begin_time": "1", "end_time": 2}]}`, "", "begin_time"},
	{"no begin", `{"full_text": "", "time_stamped_text": [{"phrase": "a", "end_time": 2}]}`, "", "begin_time"},
	{"no end, on line 2", "{\"full_text\": \"\", \"time_stamped_text\": [\n{\"phrase\": \"a\", \"begin_time\": 1}]}", "", "t.json:2: time_stamped_text entry 1: missing \"end_time\""},
	{"phrases null", `{"full_text": "", "time_stamped_text": null}`, "", `t.json: missing "time_stamped_text"`},
	{"entry null", `{"full_text": "", "time_stamped_text": [null]}`, "", "entry 1: want an object, found null"},
}

func TestNormalize(t *testing.T) {
	for _, tc := range transcriptCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize([]byte(tc.in), "t.json")
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
	tr, err := Read(strings.NewReader(transcriptCases[1].in), "t.json")
	if err != nil || tr.FullText != "x" || len(tr.Phrases) != 2 || tr.Phrases[1] != (Phrase{"b", 2, 3, 1}) {
		t.Errorf("Read: %+v %v", tr, err)
	}
}

// FuzzNormalize: normalizing never panics, keeps the transcript's meaning, and is idempotent.
func FuzzNormalize(f *testing.F) {
	for _, tc := range transcriptCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize([]byte(in), "f.json")
		if err != nil {
			return
		}
		a, _ := Read(strings.NewReader(in), "f.json")
		b, err := Read(bytes.NewReader(out), "f.json")
		if err != nil || !samePhrases(a.Phrases, b.Phrases) || a.FullText != b.FullText {
			t.Fatalf("normalized %q to %q: %v, %+v vs %+v", in, out, err, a, b)
		}
		again, err := Normalize(out, "f.json")
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q → %q → %q", in, out, again)
		}
	})
}

// Marshal writes what Read reads back the same, in the dataset's whole form.
func TestMarshal(t *testing.T) {
	for _, tc := range transcriptTests {
		if tc.err != "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			tr, err := Read(strings.NewReader(tc.in), "t.json")
			if err != nil {
				t.Fatal(err)
			}
			b, err := Marshal(tr)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Read(bytes.NewReader(b), "m.json")
			if err != nil || back.FullText != tr.FullText || !back.HasFullText || !back.HasPhrases || len(back.Phrases) != len(tr.Phrases) {
				t.Fatalf("%s read back as %+v, %v", b, back, err)
			}
			for i, p := range back.Phrases {
				q := tr.Phrases[i]
				if p.Phrase != q.Phrase || !sameTime(p.Begin, q.Begin) || !sameTime(p.End, q.End) {
					t.Errorf("phrase %d: %+v, want %+v", i, p, q)
				}
			}
			if bytes.Contains(b, []byte("begin_tim\"")) {
				t.Errorf("wrote the paper's spelling: %s", b)
			}
		})
	}
}

func sameTime(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
