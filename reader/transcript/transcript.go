// Package transcript reads and writes the dictation transcripts of the EGD-CXR dataset,
// transcript.json: {"full_text": "…", "time_stamped_text": [{"phrase": "…", "begin_time": s,
// "end_time": s}, …]}, times in seconds from the start of the case's audio. Every reader of the
// format (analysis, export, import, review) goes through this package.
package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Transcript is a transcript.json: the case's full text and its phrases, timed in seconds from
// the start of the case's audio.
type Transcript struct {
	FullText string
	Phrases  []Phrase
	// HasFullText and HasPhrases say whether the file had "full_text" and a
	// "time_stamped_text" array (not null): the dataset's files always have both (Validate).
	HasFullText, HasPhrases bool
}

// Phrase is one entry of time_stamped_text.
type Phrase struct {
	Phrase     string
	Begin, End float64 // seconds from the start of the case's audio; NaN when absent or null
	Line       int     // line of the file the entry starts on
}

// maxTranscript bounds what Read reads: a dictation of a few minutes is a few kB.
const maxTranscript = 64 << 20

// Read parses a transcript.json stream: an object with "full_text" (a string) and
// "time_stamped_text" (an array of objects, each with a "phrase" string and optional numeric
// "begin_time" and "end_time"; "begin_tim", as the paper's figure spells it, is accepted for
// "begin_time"). Other keys are ignored; keys match exactly, case included, as Python's json
// reads them. What is missing reads as absent (Validate asks for the dataset's whole form).
// Errors name the file and the line.
func Read(r io.Reader, name string) (*Transcript, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxTranscript+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxTranscript {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, maxTranscript>>20)
	}
	p := &transcriptParser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	t, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, p.line(), err)
	}
	return t, nil
}

type transcriptParser struct {
	data []byte
	dec  *json.Decoder
	at   int64 // offset errors are reported at, when the decoder cannot tell
}

// line is the line of the offset the parse stopped at.
func (p *transcriptParser) line() int {
	off := min(max(p.at, 0), int64(len(p.data)))
	return 1 + bytes.Count(p.data[:off], []byte{'\n'})
}

// token reads the next token, remembering where the failure is.
func (p *transcriptParser) token() (json.Token, error) {
	p.at = p.dec.InputOffset()
	tok, err := p.dec.Token()
	if err != nil {
		p.syntaxAt(err)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return tok, nil
}

// valueStart is the offset of the next value: past white space and separators.
func (p *transcriptParser) valueStart() int64 {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) && strings.IndexByte(" \t\r\n:,", p.data[off]) >= 0 {
		off++
	}
	return off
}

func (p *transcriptParser) parse() (*Transcript, error) {
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("want a JSON object, found %s", describe(tok))
	}
	t := &Transcript{}
	seenText := false
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		switch key {
		case "full_text":
			p.at = p.valueStart()
			tok, err := p.token()
			if err != nil {
				return nil, err
			}
			s, ok := tok.(string)
			if !ok {
				return nil, fmt.Errorf("full_text: want a string, found %s", describe(tok))
			}
			t.FullText, t.HasFullText = s, true
		case "time_stamped_text":
			if seenText {
				return nil, errors.New("time_stamped_text appears twice")
			}
			seenText = true
			if t.Phrases, t.HasPhrases, err = p.phrases(); err != nil {
				return nil, err
			}
		default:
			if err := p.skip(); err != nil {
				return nil, err
			}
		}
	}
	if _, err := p.token(); err != nil { // the closing brace
		return nil, err
	}
	p.at = p.valueStart()
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return t, nil
}

// key reads an object key.
func (p *transcriptParser) key() (string, error) {
	tok, err := p.token()
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want a key, found %s", describe(tok))
	}
	return k, nil
}

// skip reads past one value of any kind.
func (p *transcriptParser) skip() error {
	p.at = p.valueStart()
	var raw json.RawMessage
	if err := p.dec.Decode(&raw); err != nil {
		p.syntaxAt(err)
		return err
	}
	return nil
}

// syntaxAt points p.at at a syntax error. The decoder's offsets are relative to where its last
// value began, so the document is checked whole: its first syntax error is this one.
func (p *transcriptParser) syntaxAt(err error) {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return
	}
	var v json.RawMessage
	if errors.As(json.Unmarshal(p.data, &v), &se) {
		p.at = max(se.Offset-1, 0) // the offending byte
	}
}

func (p *transcriptParser) phrases() ([]Phrase, bool, error) {
	p.at = p.valueStart()
	tok, err := p.token()
	if err != nil {
		return nil, false, err
	}
	if tok == nil {
		return nil, false, nil // null: no phrases
	}
	if tok != json.Delim('[') {
		return nil, false, fmt.Errorf("time_stamped_text: want an array, found %s", describe(tok))
	}
	var out []Phrase
	for p.dec.More() {
		start := p.valueStart()
		p.at = start
		tok, err := p.token()
		if err != nil {
			return nil, false, err
		}
		if tok != json.Delim('{') {
			p.at = start
			return nil, false, fmt.Errorf("time_stamped_text entry %d: want an object, found %s", len(out)+1, describe(tok))
		}
		ph := Phrase{Begin: math.NaN(), End: math.NaN()}
		p.at = start
		ph.Line = p.line()
		havePhrase, haveBegin := false, false
		for p.dec.More() {
			k, err := p.key()
			if err != nil {
				return nil, false, err
			}
			switch k {
			case "phrase":
				p.at = p.valueStart()
				tok, err := p.token()
				if err != nil {
					return nil, false, err
				}
				s, ok := tok.(string)
				if !ok {
					return nil, false, fmt.Errorf("phrase: want a string, found %s", describe(tok))
				}
				ph.Phrase, havePhrase = s, true
			case "begin_time", "begin_tim", "end_time":
				v, err := p.number(k)
				if err != nil {
					return nil, false, err
				}
				switch {
				case k == "end_time":
					ph.End = v
				case k == "begin_time" || !haveBegin: // begin_time wins over begin_tim
					ph.Begin = v
					haveBegin = haveBegin || k == "begin_time"
				}
			default:
				if err := p.skip(); err != nil {
					return nil, false, err
				}
			}
		}
		if _, err := p.token(); err != nil { // '}'
			return nil, false, err
		}
		if !havePhrase {
			p.at = start
			return nil, false, fmt.Errorf("time_stamped_text entry %d has no \"phrase\"", len(out)+1)
		}
		out = append(out, ph)
	}
	if _, err := p.token(); err != nil { // ']'
		return nil, false, err
	}
	return out, true, nil
}

// number reads a time: a finite JSON number, or null (NaN).
func (p *transcriptParser) number(key string) (float64, error) {
	p.at = p.valueStart()
	tok, err := p.token()
	if err != nil {
		return 0, err
	}
	if tok == nil {
		return math.NaN(), nil
	}
	n, ok := tok.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s: want a number, found %s", key, describe(tok))
	}
	v, err := n.Float64()
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%s: %s is not a finite number", key, n)
	}
	return v, nil
}

func describe(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return fmt.Sprintf("the string %q", t)
	case json.Number:
		return "the number " + string(t)
	case bool:
		return fmt.Sprintf("%v", t)
	}
	return fmt.Sprintf("%v", tok)
}

// Validate checks the dataset's whole form, as export and import require it: "full_text" is
// there, "time_stamped_text" is an array, and every phrase has both times. Errors name the file
// (name) and the phrase's line.
func (t *Transcript) Validate(name string) error {
	switch {
	case !t.HasFullText:
		return fmt.Errorf("%s: missing \"full_text\"", name)
	case !t.HasPhrases:
		return fmt.Errorf("%s: missing \"time_stamped_text\" (want an array)", name)
	}
	for i, p := range t.Phrases {
		if math.IsNaN(p.Begin) {
			return fmt.Errorf("%s:%d: time_stamped_text entry %d: missing \"begin_time\"", name, p.Line, i+1)
		}
		if math.IsNaN(p.End) {
			return fmt.Errorf("%s:%d: time_stamped_text entry %d: missing \"end_time\"", name, p.Line, i+1)
		}
	}
	return nil
}

// Marshal writes t in the dataset's form, as the station writes a new transcript: the two keys,
// begin_time spelt in full. Times that are not numbers are written null.
func Marshal(t *Transcript) ([]byte, error) {
	type phrase struct {
		Phrase string   `json:"phrase"`
		Begin  *float64 `json:"begin_time"`
		End    *float64 `json:"end_time"`
	}
	num := func(x float64) *float64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return &x
	}
	out := struct {
		FullText string   `json:"full_text"`
		Phrases  []phrase `json:"time_stamped_text"`
	}{FullText: t.FullText, Phrases: make([]phrase, len(t.Phrases))}
	for i, p := range t.Phrases {
		out.Phrases[i] = phrase{p.Phrase, num(p.Begin), num(p.End)}
	}
	return json.Marshal(out)
}

// Normalize validates a transcript.json in the dataset's whole form (Validate) and returns it
// with the key begin_tim of a phrase renamed begin_time (when the phrase has no begin_time),
// every other byte as it was. Errors name the file and line.
func Normalize(b []byte, name string) ([]byte, error) {
	t, err := Read(bytes.NewReader(b), name)
	if err != nil {
		return nil, err
	}
	if err := t.Validate(name); err != nil {
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
