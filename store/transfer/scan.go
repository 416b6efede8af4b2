package transfer

import (
	"errors"
	"fmt"
	"io"
)

// The import's first pass. It reads the whole file once, at several hundred
// MB/s and in a fixed 64 KB of memory, to check that it is well-formed JSON
// before anything is stored (a truncated download imports nothing), and to
// learn its shape: which format, how many conversations, which of them are
// too large to decode in memory. encoding/json's Decoder would buffer each
// conversation whole just to skip it, and its Token API is several times
// slower, so this is a small scanner of its own; a fuzz test holds it to
// json.Valid.

// maxDepth bounds nesting. Real exports nest about ten levels; a file
// nested deeper is refused as damaged, before the decoder (whose own limit
// is 10,000) ever sees it.
const maxDepth = 512

// maxKeys bounds the keys remembered for detection.
const maxKeys = 64

// maxCapture bounds the bytes of a string or number kept by the scanner.
const maxCapture = 64

// Token kinds.
const (
	tokEOF    byte = 0
	tokString byte = '"'
	tokNumber byte = '0'
	tokWord   byte = 't' // true, false, null
)

// shape is what the first pass learns about a file.
type shape struct {
	top       byte     // kind of the top-level value: '[', '{', or another token kind
	keys      []string // keys of a top-level object, in order
	format    string   // a top-level "format" string
	version   string   // a top-level "version" number, as written
	listKind  byte     // kind of a top-level "conversations" value
	first     []string // keys of the list's first element
	firstKind byte     // kind of the list's first element
	elems     int      // elements in the list of conversations
	// big holds the index and size of the elements larger than the limit.
	big map[int]int64
	// blank holds where the values too large to decode are in the file:
	// the big elements and the big values of a top-level object. The
	// second pass reads null in their place (see compactReader).
	blank []span
	whole span  // where the top-level value is
	size  int64 // bytes read
}

// span is a value's place in the file: bytes [start, end), of which size
// count (whitespace outside strings does not: the second pass drops it).
type span struct {
	start, end, size int64
}

// syntaxError is a place where the file stops being JSON.
type syntaxError struct {
	Line int   // 1-based
	Off  int64 // byte offset
	Msg  string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("line %d (byte %d): %s", e.Line, e.Off, e.Msg)
}

type scanner struct {
	r        io.Reader
	buf      []byte
	pos, end int
	off      int64 // offset of buf[0] in the stream
	line     int
	eof      bool
	rerr     error
	progress func(read int64)
	val      []byte // the current string's or number's first bytes
	spaces   int64  // whitespace bytes outside strings skipped so far
}

func (s *scanner) offset() int64 { return s.off + int64(s.pos) }

func (s *scanner) errorf(format string, a ...any) error {
	return &syntaxError{Line: s.line + 1, Off: s.offset(), Msg: fmt.Sprintf(format, a...)}
}

// fill reads the next chunk; false at the end of the input or on an error.
func (s *scanner) fill() bool {
	if s.eof || s.rerr != nil {
		return false
	}
	s.off += int64(s.end)
	s.pos, s.end = 0, 0
	for tries := 0; s.end == 0; tries++ {
		n, err := s.r.Read(s.buf)
		s.end = n
		if err == io.EOF {
			s.eof = true
			break
		}
		if err != nil {
			s.rerr = err
			break
		}
		if tries > 100 {
			s.rerr = io.ErrNoProgress
			break
		}
	}
	if s.off == 0 && s.end >= 3 && s.buf[0] == 0xEF && s.buf[1] == 0xBB && s.buf[2] == 0xBF {
		s.pos = 3 // a UTF-8 byte order mark, as some Windows tools write
	}
	if s.progress != nil {
		s.progress(s.off + int64(s.end))
	}
	return s.end > s.pos
}

// ended is the error for input that stops where more is needed.
func (s *scanner) ended(what string) error {
	if s.rerr != nil {
		return s.rerr
	}
	return s.errorf("the file ends in the middle of %s", what)
}

func (s *scanner) keep(b []byte) {
	if room := maxCapture + 1 - len(s.val); room > 0 {
		s.val = append(s.val, b[:min(room, len(b))]...)
	}
}

// next returns the next token's kind and starting offset; tokEOF at the
// end of the input.
func (s *scanner) next() (byte, int64, error) {
	for {
		if s.pos == s.end && !s.fill() {
			if s.rerr != nil {
				return 0, 0, s.rerr
			}
			return tokEOF, s.offset(), nil
		}
		c := s.buf[s.pos]
		if c == '\n' {
			s.line++
		} else if c != ' ' && c != '\t' && c != '\r' {
			break
		}
		s.pos++
		s.spaces++
	}
	start := s.offset()
	c := s.buf[s.pos]
	switch {
	case c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',':
		s.pos++
		return c, start, nil
	case c == '"':
		s.pos++
		return tokString, start, s.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return tokNumber, start, s.number()
	case c == 't':
		return tokWord, start, s.word("true")
	case c == 'f':
		return tokWord, start, s.word("false")
	case c == 'n':
		return tokWord, start, s.word("null")
	}
	if c < 0x20 || c >= 0x7f {
		return 0, start, s.errorf("unexpected byte 0x%02x", c)
	}
	return 0, start, s.errorf("unexpected character %q", c)
}

func (s *scanner) str() error {
	s.val = s.val[:0]
	for {
		if s.pos == s.end && !s.fill() {
			return s.ended("a string")
		}
		chunk := s.buf[s.pos:s.end]
		i := 0
		for i < len(chunk) && chunk[i] != '"' && chunk[i] != '\\' && chunk[i] >= 0x20 {
			i++
		}
		s.keep(chunk[:i])
		s.pos += i
		if i == len(chunk) {
			continue
		}
		c := chunk[i]
		if c < 0x20 {
			return s.errorf("a control character (0x%02x) inside a string", c)
		}
		s.pos++
		if c == '"' {
			return nil
		}
		e, ok := s.byte()
		if !ok {
			return s.ended("a string")
		}
		switch e {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			s.keep([]byte{'\\', e})
		case 'u':
			for range 4 {
				h, ok := s.byte()
				if !ok {
					return s.ended("a string")
				}
				if !isHex(h) {
					return s.errorf("a bad \\u escape inside a string")
				}
			}
			s.keep([]byte(`\u`))
		default:
			return s.errorf("a bad escape \\%c inside a string", e)
		}
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// byte reads one byte.
func (s *scanner) byte() (byte, bool) {
	if s.pos == s.end && !s.fill() {
		return 0, false
	}
	c := s.buf[s.pos]
	s.pos++
	return c, true
}

// peek returns the next byte without reading it; false at the end.
func (s *scanner) peek() (byte, bool) {
	if s.pos == s.end && !s.fill() {
		return 0, false
	}
	return s.buf[s.pos], true
}

func (s *scanner) digits() int {
	n := 0
	for {
		c, ok := s.peek()
		if !ok || c < '0' || c > '9' {
			return n
		}
		s.keep([]byte{c})
		s.pos++
		n++
	}
}

func (s *scanner) number() error {
	s.val = s.val[:0]
	if c, _ := s.peek(); c == '-' {
		s.keep([]byte{c})
		s.pos++
	}
	c, ok := s.peek()
	switch {
	case !ok && s.rerr != nil:
		return s.rerr
	case !ok || c < '0' || c > '9':
		return s.errorf("a number without digits")
	case c == '0':
		s.keep([]byte{c})
		s.pos++
	default:
		s.digits()
	}
	if c, ok := s.peek(); ok && c == '.' {
		s.keep([]byte{c})
		s.pos++
		if s.digits() == 0 {
			return s.errorf("a number without digits after its decimal point")
		}
	}
	if c, ok := s.peek(); ok && (c == 'e' || c == 'E') {
		s.keep([]byte{c})
		s.pos++
		if c, ok := s.peek(); ok && (c == '+' || c == '-') {
			s.keep([]byte{c})
			s.pos++
		}
		if s.digits() == 0 {
			return s.errorf("a number without digits in its exponent")
		}
	}
	if s.rerr != nil {
		return s.rerr
	}
	return nil
}

func (s *scanner) word(w string) error {
	for i := 0; i < len(w); i++ {
		c, ok := s.byte()
		if !ok {
			return s.ended("a value")
		}
		if c != w[i] {
			return s.errorf("unexpected characters (expected %q)", w)
		}
	}
	return nil
}

// Parser states.
const (
	stValue      = iota // a value must come
	stValueOrEnd        // after '[': a value or ']'
	stKeyOrEnd          // after '{': a key or '}'
	stKey               // after ',' in an object
	stColon
	stCommaOrEnd
	stDone // the top-level value is complete
)

var (
	errTooDeep = errors.New("nested too deeply")
	errEmpty   = errors.New("the file is empty")
)

// scanShape reads r to its end and returns its shape, or the first reason
// it is not well-formed JSON (a *syntaxError) or a read error. Elements of
// the list of conversations larger than limit bytes are noted in big.
// progress, when set, is called after each chunk read with the bytes read
// so far.
func scanShape(r io.Reader, limit int64, progress func(int64)) (shape, error) {
	p := &shapeScan{
		s:         &scanner{r: r, buf: make([]byte, 64<<10), progress: progress, val: make([]byte, 0, maxCapture+8)},
		sh:        shape{big: map[int]int64{}},
		limit:     limit,
		st:        stValue,
		stack:     make([]byte, 0, 16),
		elemDepth: -1,
	}
	for {
		tok, start, err := p.s.next()
		if err != nil {
			return p.sh, err
		}
		if p.st == stDone {
			if tok != tokEOF {
				return p.sh, p.syntax(start, "more data after the end of the export")
			}
			p.sh.size = p.s.offset()
			return p.sh, nil
		}
		if tok == tokEOF {
			if p.st == stValue && len(p.stack) == 0 {
				return p.sh, errEmpty
			}
			return p.sh, p.s.ended("the export")
		}
		if err := p.step(tok, start); err != nil {
			return p.sh, err
		}
	}
}

// shapeScan is scanShape's state between tokens: a state machine over the
// scanner's tokens, one method for each kind of state.
type shapeScan struct {
	s     *scanner
	sh    shape
	limit int64

	st        int
	stack     []byte // '{' or '['
	elemDepth int    // depth of the list of conversations
	elemStart span   // where the current element started (start, and spaces before it in size)
	member    span   // where the current value of the top-level object started, likewise
	lastKey   string // the last key of the top-level object
	dataKey   bool   // the last key, at any depth, was "data": an attachment's bytes may follow
	elemData  int64  // bytes of the current element's "data" strings (attachments, base64)
}

func (p *shapeScan) syntax(start int64, msg string) error {
	return &syntaxError{Line: p.s.line + 1, Off: start, Msg: msg}
}

// step takes one token (not the end of the input) in the current state.
func (p *shapeScan) step(tok byte, start int64) error {
	switch p.st {
	case stKeyOrEnd, stKey:
		return p.key(tok, start)
	case stColon:
		if tok != ':' {
			return p.syntax(start, "expected ':' after a name")
		}
		p.st = stValue
	case stCommaOrEnd:
		return p.commaOrEnd(tok, start)
	case stValue, stValueOrEnd:
		return p.value(tok, start)
	}
	return nil
}

// ended is the span from a value's start to here.
func (p *shapeScan) ended(from span) span {
	return span{start: from.start, end: p.s.offset(), size: p.s.offset() - from.start - (p.s.spaces - from.size)}
}

// done notes that a value just ended at depth len(stack).
func (p *shapeScan) done() {
	sh := &p.sh
	if len(p.stack) == p.elemDepth {
		// The limit is on a conversation's text; its attachments have
		// their own (see maxConversationFileBytes).
		if v := p.ended(p.elemStart); v.size-p.elemData > p.limit || v.size > maxConversationFileBytes {
			sh.big[sh.elems] = v.size
			sh.blank = append(sh.blank, v)
		}
		sh.elems++
	} else if len(p.stack) == 1 && sh.top == '{' {
		// A value of the top-level object: the list of conversations
		// (whose elements were weighed one by one), or another.
		if p.lastKey == "conversations" && p.elemDepth == 2 {
			p.elemDepth = -1 // what follows the list is no conversation
		} else if v := p.ended(p.member); v.size > p.limit {
			sh.blank = append(sh.blank, v)
		}
	}
	if len(p.stack) == 0 {
		sh.whole = p.ended(sh.whole)
		p.st = stDone
	} else {
		p.st = stCommaOrEnd
	}
}

// pop closes the innermost object or list.
func (p *shapeScan) pop() {
	p.stack = p.stack[:len(p.stack)-1]
	p.done()
}

// key takes a token where an object's key (or, after '{', its end) must come.
func (p *shapeScan) key(tok byte, start int64) error {
	if tok == '}' && p.st == stKeyOrEnd {
		p.pop()
		return nil
	}
	if tok != tokString {
		return p.syntax(start, "expected a name in quotes")
	}
	key := string(p.s.val)
	if len(p.s.val) > maxCapture {
		key = ""
	}
	p.dataKey = key == "data"
	sh := &p.sh
	if len(p.stack) == 1 {
		p.lastKey = key
		if len(sh.keys) < maxKeys {
			sh.keys = append(sh.keys, key)
		}
	} else if len(p.stack) == p.elemDepth+1 && sh.elems == 0 && len(sh.first) < maxKeys {
		sh.first = append(sh.first, key)
	}
	p.st = stColon
	return nil
}

// commaOrEnd takes a token after a value inside an object or a list.
func (p *shapeScan) commaOrEnd(tok byte, start int64) error {
	top := p.stack[len(p.stack)-1]
	switch {
	case tok == ',' && top == '{':
		p.st = stKey
	case tok == ',':
		p.st = stValue
	case tok == '}' && top == '{', tok == ']' && top == '[':
		p.pop()
	default:
		want := "]"
		if top == '{' {
			want = "}"
		}
		return p.syntax(start, "expected ',' or '"+want+"'")
	}
	return nil
}

// value takes a token where a value (or, after '[', the list's end) must
// come.
func (p *shapeScan) value(tok byte, start int64) error {
	if tok == ']' && p.st == stValueOrEnd {
		p.pop()
		return nil
	}
	depth := len(p.stack)
	p.mark(tok, start, depth)
	if tok == tokString && p.dataKey && p.elemDepth >= 0 && depth > p.elemDepth {
		p.elemData += p.s.offset() - start
	}
	p.dataKey = false
	switch tok {
	case '{', '[':
		if depth >= maxDepth {
			return p.syntax(start, fmt.Sprintf("%v (more than %d levels)", errTooDeep, maxDepth))
		}
		if depth == 0 && tok == '[' {
			p.elemDepth = 1
		}
		p.stack = append(p.stack, tok)
		if tok == '{' {
			p.st = stKeyOrEnd
		} else {
			p.st = stValueOrEnd
		}
	case tokString, tokNumber, tokWord:
		p.done()
	default:
		return p.syntax(start, fmt.Sprintf("unexpected '%c'", tok))
	}
	return nil
}

// mark notes where a value starting at depth begins (an element of the
// list of conversations, the whole export, a member of the top-level
// object) and what the top-level object's format, version and
// conversations say.
func (p *shapeScan) mark(tok byte, start int64, depth int) {
	sh := &p.sh
	if depth == p.elemDepth {
		p.elemStart = span{start: start, size: p.s.spaces}
		p.elemData = 0
		if sh.elems == 0 {
			sh.firstKind = tok
		}
	}
	if depth == 0 {
		sh.top = tok
		sh.whole = span{start: start, size: p.s.spaces}
	}
	if depth == 1 {
		p.member = span{start: start, size: p.s.spaces}
	}
	if depth != 1 || sh.top != '{' {
		return
	}
	switch p.lastKey {
	case "format":
		if tok == tokString {
			sh.format = string(p.s.val)
		}
	case "version":
		if tok == tokNumber {
			sh.version = string(p.s.val)
		}
	case "conversations":
		sh.listKind = tok
		if tok == '[' {
			p.elemDepth = 2
		}
	}
}
