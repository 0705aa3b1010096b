// Package opengaze speaks Gazepoint's Open Gaze API: a tolerant codec for its one-element-per-line
// XML messages, and a reconnecting client that is a tracker.Tracker.
package opengaze

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Attr is one attribute of a Message, its value with XML entities already decoded.
type Attr struct{ Name, Value string }

// Message is one Open Gaze API element, <TAG ATTR="v" ... />, attributes in wire order.
type Message struct {
	Tag   string
	Attrs []Attr
}

// Get returns the value of the first attribute called name.
func (m Message) Get(name string) (string, bool) {
	for _, a := range m.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// Float returns the attribute called name as a finite number; ok is false when it is missing or
// is not one. Spaces around the number are allowed.
func (m Message) Float(name string) (float64, bool) {
	v, ok := m.Get(name)
	if !ok {
		return 0, false
	}
	return parseFloat(v)
}

// Int returns the attribute called name as a base-10 integer; ok is false when it is missing or
// is not one. Spaces around the number are allowed.
func (m Message) Int(name string) (int64, bool) {
	v, ok := m.Get(name)
	if !ok {
		return 0, false
	}
	return parseInt(v)
}

// SyntaxError is a line that is not one well-formed element. Offset is the byte in the line
// where the problem was found.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("opengaze: syntax error at byte %d: %s", e.Offset, e.Msg)
}

func syntaxErr(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Parse parses one line, without its line terminator, into a Message. It accepts what Gazepoint
// servers and their clones send: spaces around the element and around '=', single or double
// quotes, values holding spaces, the entities &quot; &amp; &lt; &gt; &apos; &#NN; &#xNN;, an
// element closed by "/>" or ">" (and stray '>' after it, as in the vendor's own examples), tags
// and attributes it does not know. An '&' that starts no known entity is kept as it is. The
// Message does not alias line.
func Parse(line []byte) (Message, error) {
	lx := lexer{line: line}
	ts, te, err := lx.open()
	if err != nil {
		return Message{}, err
	}
	// One copy of the line backs every name and every value that needs no decoding.
	s := string(line)
	m := Message{Tag: internTag(line[ts:te], s[ts:te])}
	if n := bytes.Count(line[te:], []byte{'='}); n > 0 {
		m.Attrs = make([]Attr, 0, n)
	}
	var a span
	for {
		done, err := lx.next(&a)
		if err != nil {
			return Message{}, err
		}
		if done {
			return m, nil
		}
		v := s[a.vs:a.ve]
		if a.amp {
			v = unescape(line[a.vs:a.ve])
		}
		m.Attrs = append(m.Attrs, Attr{Name: s[a.ns:a.ne], Value: v})
	}
}

// internTag avoids a separate string for the tags the protocol uses.
func internTag(b []byte, fallback string) string {
	switch string(b) {
	case "REC":
		return "REC"
	case "ACK":
		return "ACK"
	case "NACK":
		return "NACK"
	case "NAC":
		return "NAC"
	case "CAL":
		return "CAL"
	case "SET":
		return "SET"
	case "GET":
		return "GET"
	case "UPDATE":
		return "UPDATE"
	}
	return fallback
}

// lexer walks one element. Parse and DecodeRecord share it, so both accept the same lines.
type lexer struct {
	line []byte
	i    int
}

// span locates one attribute in the line: name [ns, ne), raw value [vs, ve); amp says the raw
// value holds an '&' and may need decoding.
type span struct {
	ns, ne, vs, ve int
	amp            bool
}

func isSpace(c byte) bool { return spaceTab[c] }

// isNameByte accepts what can be in a tag or attribute name: anything but white space, control
// characters and the XML punctuation that ends a name.
func isNameByte(c byte) bool { return nameTab[c] }

// Byte classes by table: the lexer's inner loops run over every byte of 2000 records a second.
var spaceTab, nameTab [256]bool

func init() {
	for _, c := range []byte(" \t\r\n\f\v") {
		spaceTab[c] = true
	}
	for c := 0; c < 256; c++ {
		nameTab[c] = c > ' ' && c != 0x7f && !strings.ContainsRune(`=/><"'&`, rune(c))
	}
}

func (lx *lexer) skipSpace() {
	for lx.i < len(lx.line) && spaceTab[lx.line[lx.i]] {
		lx.i++
	}
}

// open reads up to the end of the tag name and returns where it is.
func (lx *lexer) open() (start, end int, err error) {
	lx.skipSpace()
	if lx.i == len(lx.line) {
		return 0, 0, syntaxErr(lx.i, "empty line")
	}
	if c := lx.line[lx.i]; c != '<' {
		return 0, 0, syntaxErr(lx.i, "expected '<' to open an element, found %q", c)
	}
	lx.i++
	start = lx.i
	for lx.i < len(lx.line) && isNameByte(lx.line[lx.i]) {
		lx.i++
	}
	if lx.i == start {
		if lx.i == len(lx.line) {
			return 0, 0, syntaxErr(lx.i, "missing tag name")
		}
		return 0, 0, syntaxErr(lx.i, "missing tag name before %q", lx.line[lx.i])
	}
	return start, lx.i, nil
}

// next reads one attribute into a, or the end of the element (done).
func (lx *lexer) next(a *span) (done bool, err error) {
	line, i := lx.line, lx.i
	for i < len(line) && spaceTab[line[i]] {
		i++
	}
	if i == len(line) {
		return false, syntaxErr(i, "unterminated element: missing '/>' or '>'")
	}
	if c := line[i]; c == '/' || c == '>' {
		return true, lx.end(i)
	}
	a.ns = i
	for i < len(line) && nameTab[line[i]] {
		i++
	}
	a.ne = i
	for i < len(line) && spaceTab[line[i]] {
		i++
	}
	if i == len(line) || line[i] != '=' || a.ne == a.ns {
		return false, lx.badAttr(a, i)
	}
	i++
	for i < len(line) && spaceTab[line[i]] {
		i++
	}
	if i == len(line) || (line[i] != '"' && line[i] != '\'') {
		return false, syntaxErr(i, "attribute %s: value must be in quotes", clip(line[a.ns:a.ne]))
	}
	q := line[i]
	a.vs = i + 1
	a.amp = false
	// Values are short numbers: a plain loop beats bytes.IndexByte's call and setup here.
	j := a.vs
	for j < len(line) && line[j] != q {
		if line[j] == '&' {
			a.amp = true
		}
		j++
	}
	if j == len(line) {
		return false, syntaxErr(i, "attribute %s: unterminated value", clip(line[a.ns:a.ne]))
	}
	a.ve = j
	lx.i = j + 1
	return false, nil
}

// end reads the "/>" or ">" at i that closes the element.
func (lx *lexer) end(i int) error {
	line := lx.line
	if line[i] == '/' {
		i++
		if i == len(line) || line[i] != '>' {
			return syntaxErr(i, "expected '>' after '/'")
		}
	}
	lx.i = i + 1
	return lx.close()
}

// badAttr says what is wrong with an attribute that has no name or no '=' at i.
func (lx *lexer) badAttr(a *span, i int) error {
	if a.ne == a.ns {
		return syntaxErr(a.ns, "expected an attribute name, found %q", lx.line[a.ns])
	}
	return syntaxErr(i, "attribute %s: expected '='", clip(lx.line[a.ns:a.ne]))
}

// close checks that nothing but white space (or the stray '>' of the vendor's examples)
// follows the element.
func (lx *lexer) close() error {
	for lx.i < len(lx.line) && lx.line[lx.i] == '>' {
		lx.i++
	}
	lx.skipSpace()
	if lx.i != len(lx.line) {
		return syntaxErr(lx.i, "unexpected %q after the end of the element", lx.line[lx.i])
	}
	return nil
}

// clip quotes a piece of input for an error message, shortened when long.
func clip(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}

// unescape decodes the XML entities in raw. An '&' that starts no entity it knows, or a
// character reference to no Unicode character (a surrogate, beyond U+10FFFF), is kept literally.
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for len(raw) > 0 {
		amp := bytes.IndexByte(raw, '&')
		if amp < 0 {
			out = append(out, raw...)
			break
		}
		out = append(out, raw[:amp]...)
		raw = raw[amp:]
		if r, n := entity(raw); n > 0 {
			out = utf8.AppendRune(out, r)
			raw = raw[n:]
			continue
		}
		out = append(out, '&')
		raw = raw[1:]
	}
	return string(out)
}

// entity decodes the entity at the start of b ("&...;"), returning the character and the
// entity's length, or n = 0 when b does not start with one.
func entity(b []byte) (r rune, n int) {
	const longest = len("&#x10FFFF;") + 8 // leading zeros are allowed, within reason
	end := bytes.IndexByte(b[:min(len(b), longest)], ';')
	if end < 2 {
		return 0, 0
	}
	name := b[1:end]
	switch string(name) {
	case "quot":
		return '"', end + 1
	case "amp":
		return '&', end + 1
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "apos":
		return '\'', end + 1
	}
	if name[0] != '#' || len(name) < 2 {
		return 0, 0
	}
	digits, base := name[1:], 10
	if digits[0] == 'x' || digits[0] == 'X' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 {
		return 0, 0
	}
	var v rune
	for _, c := range digits {
		d := rune(36)
		switch {
		case c >= '0' && c <= '9':
			d = rune(c - '0')
		case c >= 'a' && c <= 'f':
			d = rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = rune(c-'A') + 10
		}
		if d >= rune(base) {
			return 0, 0
		}
		v = v*rune(base) + d
		if v > utf8.MaxRune {
			return 0, 0
		}
	}
	// NUL is no XML character, but AppendMessage writes it as &#0; and must read it back.
	if !utf8.ValidRune(v) {
		return 0, 0
	}
	return v, end + 1
}

// AppendMessage appends the wire form of m, <TAG A="v" ... />, and the CR LF that ends it. Values
// are escaped so that any string survives the trip, line breaks included; Tag and attribute
// names are written as they are and must be names (the protocol's are).
func AppendMessage(dst []byte, m Message) []byte {
	dst = append(dst, '<')
	dst = append(dst, m.Tag...)
	for _, a := range m.Attrs {
		dst = append(dst, ' ')
		dst = append(dst, a.Name...)
		dst = append(dst, '=', '"')
		dst = appendEscaped(dst, a.Value)
		dst = append(dst, '"')
	}
	return append(dst, " />\r\n"...)
}

// appendEscaped escapes what would end the value or the line, and what XML requires.
func appendEscaped(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '&':
			dst = append(dst, "&amp;"...)
		case c == '"':
			dst = append(dst, "&quot;"...)
		case c == '<':
			dst = append(dst, "&lt;"...)
		case c == '>':
			dst = append(dst, "&gt;"...)
		case c < ' ' && c != '\t', c == 0x7f:
			dst = append(dst, "&#"...)
			dst = strconv.AppendInt(dst, int64(c), 10)
			dst = append(dst, ';')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// MaxLineLength is the longest line a Scanner accepts, without its terminator. A real REC with
// every field enabled is under 2 KiB.
const MaxLineLength = 64 << 10

// ErrLineTooLong is returned by Scanner.Next when a line exceeds MaxLineLength: the peer is not
// speaking the protocol. The Scanner stops there.
var ErrLineTooLong = errors.New("opengaze: line too long")

// Scanner splits a byte stream into lines ended by LF or CR LF, whatever the reads' sizes. It
// holds at most MaxLineLength (plus the terminator) of unread input.
type Scanner struct {
	r          io.Reader
	max        int
	buf        []byte
	start, end int // unread input is buf[start:end]
	searched   int // bytes after start known to hold no LF
	err        error
	tooLong    bool
}

// NewScanner returns a Scanner reading r.
func NewScanner(r io.Reader) *Scanner { return newScannerMax(r, MaxLineLength) }

// scannerStart is the buffer a Scanner starts with: a few dozen records, so that a burst is read
// in few system calls; it grows only for longer lines.
const scannerStart = 32 << 10

func newScannerMax(r io.Reader, max int) *Scanner {
	return &Scanner{r: r, max: max, buf: make([]byte, min(scannerStart, max+2))}
}

// Next returns the next line without its terminator. The line is valid until the following
// call. At the end of the stream it returns io.EOF, or io.ErrUnexpectedEOF when the stream
// stops in the middle of a line; read errors are returned as they are, after the lines read
// before them.
func (s *Scanner) Next() ([]byte, error) {
	if s.tooLong {
		return nil, ErrLineTooLong
	}
	empty := 0
	for {
		if n := bytes.IndexByte(s.buf[s.start+s.searched:s.end], '\n'); n >= 0 {
			lf := s.start + s.searched + n
			line := s.buf[s.start:lf]
			s.start, s.searched = lf+1, 0
			if k := len(line); k > 0 && line[k-1] == '\r' {
				line = line[:k-1]
			}
			if len(line) > s.max {
				s.tooLong = true
				return nil, ErrLineTooLong
			}
			return line, nil
		}
		s.searched = s.end - s.start
		if s.searched > s.max+1 { // room for the CR of a line of max bytes
			s.tooLong = true
			return nil, ErrLineTooLong
		}
		if s.err != nil {
			if s.err == io.EOF && s.end > s.start {
				s.start = s.end
				s.err = io.ErrUnexpectedEOF
			}
			return nil, s.err
		}
		s.fill()
		if s.end-s.start == s.searched && s.err == nil {
			if empty++; empty >= 100 {
				s.err = io.ErrNoProgress
			}
		}
	}
}

// fill reads once into the free end of the buffer, first making room.
func (s *Scanner) fill() {
	if s.start > 0 && s.end == len(s.buf) {
		copy(s.buf, s.buf[s.start:s.end])
		s.end -= s.start
		s.start = 0
	}
	if s.end == len(s.buf) {
		size := 2 * len(s.buf)
		if size >= s.max {
			size = s.max + 2 // straight to the cap, not one step short of it
		}
		grown := make([]byte, size)
		copy(grown, s.buf[:s.end])
		s.buf = grown
	}
	n, err := s.r.Read(s.buf[s.end:])
	if n < 0 || n > len(s.buf)-s.end {
		n, err = 0, errors.New("opengaze: reader returned an invalid count")
	}
	s.end += n
	if err != nil {
		s.err = err
	}
}
