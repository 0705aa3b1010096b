package analysis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Transcript is a transcript.json of audio_segmentation_transcripts/<dicom_id>/ (FORMATS.md §1).
type Transcript struct {
	FullText string
	Phrases  []Phrase
}

// Phrase is one entry of time_stamped_text.
type Phrase struct {
	Phrase     string
	Begin, End float64 // seconds from the start of the case's audio; NaN when absent or null
	Line       int     // line of the file the entry starts on
}

// maxTranscript bounds what ReadTranscript reads: a dictation of a few minutes is a few kB.
const maxTranscript = 64 << 20

// ReadTranscript parses a transcript.json stream: an object with "full_text" (a string) and
// "time_stamped_text" (an array of objects, each with a "phrase" string and optional numeric
// "begin_time" and "end_time"; "begin_tim", as the paper's figure spells it, is accepted for
// "begin_time"). Other keys are ignored. Errors name the file and the line.
func ReadTranscript(r io.Reader, name string) (*Transcript, error) {
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
			t.FullText = s
		case "time_stamped_text":
			if seenText {
				return nil, errors.New("time_stamped_text appears twice")
			}
			seenText = true
			if t.Phrases, err = p.phrases(); err != nil {
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

func (p *transcriptParser) phrases() ([]Phrase, error) {
	p.at = p.valueStart()
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil // null: no phrases
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("time_stamped_text: want an array, found %s", describe(tok))
	}
	var out []Phrase
	for p.dec.More() {
		start := p.valueStart()
		p.at = start
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		if tok != json.Delim('{') {
			p.at = start
			return nil, fmt.Errorf("time_stamped_text entry %d: want an object, found %s", len(out)+1, describe(tok))
		}
		ph := Phrase{Begin: math.NaN(), End: math.NaN()}
		p.at = start
		ph.Line = p.line()
		havePhrase, haveBegin := false, false
		for p.dec.More() {
			k, err := p.key()
			if err != nil {
				return nil, err
			}
			switch k {
			case "phrase":
				p.at = p.valueStart()
				tok, err := p.token()
				if err != nil {
					return nil, err
				}
				s, ok := tok.(string)
				if !ok {
					return nil, fmt.Errorf("phrase: want a string, found %s", describe(tok))
				}
				ph.Phrase, havePhrase = s, true
			case "begin_time", "begin_tim", "end_time":
				v, err := p.number(k)
				if err != nil {
					return nil, err
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
					return nil, err
				}
			}
		}
		if _, err := p.token(); err != nil { // '}'
			return nil, err
		}
		if !havePhrase {
			p.at = start
			return nil, fmt.Errorf("time_stamped_text entry %d has no \"phrase\"", len(out)+1)
		}
		out = append(out, ph)
	}
	if _, err := p.token(); err != nil { // ']'
		return nil, err
	}
	return out, nil
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
	if err != nil || !finite(v) {
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

// SingleWord reports whether a phrase is one word as the reference counted it: splitting on
// the space character gives one piece (Python's len(phrase.split(' ')) == 1), so a phrase with
// any space in it, leading or trailing included, is not a single word.
func SingleWord(phrase string) bool { return !strings.Contains(phrase, " ") }

// TypeB is the transcripts' Type-B error (FORMATS.md §2): 1 − single-word entries ÷ entries.
type TypeB struct {
	Files, Phrases, SingleWord, MultiWord int
}

// Add counts the entries of t.
func (b *TypeB) Add(t *Transcript) {
	b.Files++
	for _, p := range t.Phrases {
		b.Phrases++
		if SingleWord(p.Phrase) {
			b.SingleWord++
		} else {
			b.MultiWord++
		}
	}
}

// Error is 1 − single-word entries ÷ all entries; NaN with no entries.
func (b TypeB) Error() float64 {
	if b.Phrases == 0 {
		return math.NaN()
	}
	return 1 - float64(b.SingleWord)/float64(b.Phrases)
}
