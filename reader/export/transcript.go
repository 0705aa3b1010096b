package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// Transcript is a transcript.json of the dataset (FORMATS.md §1): the case's full text and its
// phrases with times in seconds from the start of the case's audio.
type Transcript struct {
	FullText string
	Phrases  []Phrase
}

// Phrase is one entry of time_stamped_text.
type Phrase struct {
	Phrase     string
	Begin, End float64
}

// ParseTranscript reads a transcript.json: an object with full_text (a string) and
// time_stamped_text (an array of objects with phrase, begin_time and end_time). The spelling
// begin_tim, printed in the paper's figure, is accepted for begin_time. Other members are
// allowed and ignored. Keys are matched exactly (case matters).
func ParseTranscript(b []byte) (Transcript, error) {
	var t Transcript
	var root map[string]json.RawMessage
	if err := json.Unmarshal(b, &root); err != nil {
		return t, err
	}
	if root == nil {
		return t, errors.New("null, want a JSON object")
	}
	ft, ok := root["full_text"]
	if !ok {
		return t, errors.New(`missing "full_text"`)
	}
	if err := json.Unmarshal(ft, &t.FullText); err != nil || bytes.Equal(bytes.TrimSpace(ft), []byte("null")) {
		return t, fmt.Errorf(`"full_text" is not a string: %s`, clip(ft))
	}
	ts, ok := root["time_stamped_text"]
	if !ok {
		return t, errors.New(`missing "time_stamped_text"`)
	}
	var entries []map[string]json.RawMessage
	if err := json.Unmarshal(ts, &entries); err != nil || entries == nil && !bytes.Equal(bytes.TrimSpace(ts), []byte("[]")) {
		return t, fmt.Errorf(`"time_stamped_text" is not an array of objects: %s`, clip(ts))
	}
	t.Phrases = make([]Phrase, len(entries))
	for i, e := range entries {
		p := &t.Phrases[i]
		if e == nil {
			return t, fmt.Errorf("time_stamped_text[%d] is not an object", i)
		}
		if err := json.Unmarshal(e["phrase"], &p.Phrase); err != nil || e["phrase"] == nil || bytes.Equal(e["phrase"], []byte("null")) {
			return t, fmt.Errorf(`time_stamped_text[%d]: "phrase" is missing or not a string`, i)
		}
		begin, key := e["begin_time"], "begin_time"
		if begin == nil && e["begin_tim"] != nil {
			begin, key = e["begin_tim"], "begin_tim"
		}
		var err error
		if p.Begin, err = number(begin); err != nil {
			return t, fmt.Errorf(`time_stamped_text[%d]: %q %w`, i, key, err)
		}
		if p.End, err = number(e["end_time"]); err != nil {
			return t, fmt.Errorf(`time_stamped_text[%d]: "end_time" %w`, i, err)
		}
	}
	return t, nil
}

func number(raw json.RawMessage) (float64, error) {
	var x *float64
	if raw == nil {
		return 0, errors.New("is missing")
	}
	if err := json.Unmarshal(raw, &x); err != nil || x == nil || math.IsInf(*x, 0) {
		return 0, fmt.Errorf("is not a number: %s", clip(raw))
	}
	return *x, nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// normalizeTranscript validates a transcript.json and returns it with the key begin_tim of a
// phrase renamed begin_time (when the phrase has no begin_time), every other byte as it was.
func normalizeTranscript(b []byte) ([]byte, error) {
	if _, err := ParseTranscript(b); err != nil {
		return nil, err
	}
	if !bytes.Contains(b, []byte("begin_tim")) && !bytes.Contains(b, []byte(`\u`)) {
		return b, nil
	}
	// Walk the tokens to find the begin_tim keys of time_stamped_text's entries; the raw key
	// spans from the first quote after the previous token to the end of the key token.
	type frame struct {
		obj, wantKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var (
		stack   []frame
		rootKey string
		spans   [][2]int64
		entries []map[string]json.RawMessage
	)
	var root map[string]json.RawMessage
	json.Unmarshal(b, &root) // validated above
	json.Unmarshal(root["time_stamped_text"], &entries)
	entry := -1
	for {
		prev := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		d, isDelim := tok.(json.Delim)
		if n := len(stack); n > 0 && stack[n-1].obj {
			top := &stack[n-1]
			switch {
			case isDelim && d == '}':
				stack = stack[:n-1]
				continue
			case top.wantKey:
				top.wantKey = false
				key := tok.(string)
				if n == 1 {
					rootKey = key
				}
				if n == 3 && rootKey == "time_stamped_text" && key == "begin_tim" && entry >= 0 && entry < len(entries) {
					if _, both := entries[entry]["begin_time"]; !both {
						end := dec.InputOffset()
						start := prev + int64(bytes.IndexByte(b[prev:end], '"'))
						spans = append(spans, [2]int64{start, end})
					}
				}
				continue
			default:
				top.wantKey = true
			}
		} else if n > 0 && isDelim && d == ']' {
			stack = stack[:n-1]
			continue
		}
		if isDelim && d == '{' {
			if len(stack) == 2 && rootKey == "time_stamped_text" {
				entry++
			}
			stack = append(stack, frame{obj: true, wantKey: true})
		} else if isDelim && d == '[' {
			stack = append(stack, frame{})
		}
	}
	if len(spans) == 0 {
		return b, nil
	}
	out := make([]byte, 0, len(b)+len(spans))
	last := int64(0)
	for _, s := range spans {
		out = append(out, b[last:s[0]]...)
		out = append(out, `"begin_time"`...)
		last = s[1]
	}
	return append(out, b[last:]...), nil
}
