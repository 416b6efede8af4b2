package openai

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/deskchat/deskchat/engine/llm"
)

// A data line longer than longLineBytes is not passed on whole: go-openai
// reads a line with bufio's ReadBytes, the adapter decodes it and the
// engine copies its text, so one 20 MB line cost over 300 MB. Such a line
// is read piece by piece through a lineSplitter, which passes its text on
// as ordinary chunks of at most pieceBytes each; the answer cap
// (llm.MaxAnswerBytes) then stops the stream after 8 MB, with at most a piece
// of it in memory at a time. Hand-written because encoding/json and its
// streaming decoders hold a whole string token in memory.
const (
	longLineBytes = 256 << 10
	pieceBytes    = 64 << 10
	smallValueMax = 4 << 10 // a model name, finish reason or error message is kept up to this
)

// splitState is where a lineSplitter is in the JSON of its line.
type splitState uint8

const (
	splitValue    splitState = iota // a value is expected
	splitKeyOrEnd                   // after '{': a key or '}'
	splitKey                        // after ',' in an object: a key
	splitColon                      // after a key
	splitAfter                      // after a value: ',' or the container's end
	splitString                     // inside a string (key or value)
	splitLiteral                    // inside a number, true, false or null
	splitEnd                        // after the top-level object: only white space
	splitBad                        // not a JSON object: the rest is ignored
)

// splitField is what a string value being read is, by its place in a
// chat.completion.chunk.
type splitField uint8

const (
	fieldNone splitField = iota
	fieldKey
	fieldText
	fieldReasoning
	fieldFinish
	fieldModel
	fieldError
	fieldToolIndex // a literal: a tool call's "index"
	fieldToolID
	fieldToolName
	fieldToolArgs
)

type splitFrame struct {
	array bool
	key   string // an object's current key (cut to smallValueMax)
}

// lineSplitter turns one long `data:` line holding a chat.completion.chunk
// into a sequence of data lines: the text and reasoning of its choices'
// deltas in pieces, each tool call as its object ends (its index, id and
// name, then its arguments in pieces; arguments sent as an object rather
// than a string are not read here), then (when the line had them) a chunk
// with its model and finish reason, and an error object with the error's
// message. Other fields (usage, the chunk's id) are dropped. Feed it the
// JSON after "data:" with feed, then call end.
type lineSplitter struct {
	state   splitState
	stack   []splitFrame
	field   splitField
	esc     int  // 0, or 1 after '\\', or 2..5 while reading \u's hex digits
	hex     rune // the \u escape's value so far
	high    rune // a high surrogate waiting for its low half, or 0
	small   []byte
	piece   []byte // decoded text of the current text or reasoning string
	model   string
	finish  string
	errMsg  string
	sawErr  bool
	drop    bool // the line is not a data line: nothing of it is passed on
	scratch bytes.Buffer
	// call is the tool call being read (see lineCall), callOpen whether
	// the line is inside one.
	call     lineCall
	callOpen bool
}

// lineCall is a tool call of a long line: its fields come in any order
// (Azure sorts them: arguments before index), so it is kept until its
// object ends and passed on then, as a delta naming it and its arguments
// in pieces. Its arguments are kept up to llm.MaxAnswerBytes and a byte:
// the adapter stops an answer over that, so no more is needed to say so.
type lineCall struct {
	index, id, name string
	hasID           bool
	args            []byte
}

// feed reads in (any part of the line) and appends the data lines it
// completes to dst.
func (s *lineSplitter) feed(dst, in []byte) []byte {
	if s.drop {
		return dst
	}
	for i := 0; i < len(in); i++ {
		c := in[i]
		if s.state == splitBad {
			return dst
		}
		if s.state == splitString {
			if n := s.plainRun(in[i:]); n > 0 {
				dst = s.addRun(dst, in[i:i+n])
				i += n - 1
				continue
			}
			dst = s.stringByte(dst, c)
			continue
		}
		if s.state == splitLiteral {
			if c == ',' || c == '}' || c == ']' || isSpace(c) {
				s.state = splitAfter
				if s.field == fieldToolIndex {
					s.call.index, s.field = string(s.small), fieldNone
				}
			} else {
				if s.field == fieldToolIndex && len(s.small) < 32 {
					s.small = append(s.small, c)
				}
				continue
			}
		}
		if isSpace(c) {
			continue
		}
		dst = s.structural(dst, c)
	}
	return dst
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// structural handles c outside strings and literals.
func (s *lineSplitter) structural(dst []byte, c byte) []byte {
	switch s.state {
	case splitValue:
		if len(s.stack) == 1 && s.top().key == "error" && (c == '{' || c == '"') {
			s.sawErr = true // "error": null is no error
		}
		switch {
		case len(s.stack) == 0 && c != '{':
			s.state = splitBad // a chunk is an object
		case c == '{':
			s.push(false)
			s.state = splitKeyOrEnd
			if len(s.stack) == 6 && s.inCall() {
				s.call, s.callOpen = lineCall{}, true
			}
		case c == '[':
			s.push(true)
			s.state = splitValue
		case c == ']' && s.top().array: // an empty array
			dst = s.pop(dst)
		case c == '"':
			s.startString(s.valueField())
		default:
			s.state, s.field = splitLiteral, fieldNone
			if len(s.stack) == 6 && s.inCall() && s.top().key == "index" {
				s.field, s.small = fieldToolIndex, append(s.small[:0], c)
			}
		}
	case splitKeyOrEnd, splitKey:
		switch {
		case c == '"':
			s.startString(fieldKey)
		case c == '}' && s.state == splitKeyOrEnd:
			dst = s.pop(dst)
		default:
			s.state = splitBad
		}
	case splitColon:
		if c != ':' {
			s.state = splitBad
			return dst
		}
		s.state = splitValue
	case splitAfter:
		switch {
		case len(s.stack) == 0:
			s.state = splitBad
		case c == ',' && s.top().array:
			s.state = splitValue
		case c == ',':
			s.state = splitKey
		case c == ']' && s.top().array, c == '}' && !s.top().array:
			dst = s.pop(dst)
		default:
			s.state = splitBad
		}
	case splitEnd:
		s.state = splitBad
	}
	return dst
}

func (s *lineSplitter) push(array bool) { s.stack = append(s.stack, splitFrame{array: array}) }

func (s *lineSplitter) top() *splitFrame { return &s.stack[len(s.stack)-1] }

// pop ends a container, and the line's object when it was the last; a
// tool call's object is passed on as it ends.
func (s *lineSplitter) pop(dst []byte) []byte {
	if len(s.stack) == 6 && s.inCall() {
		dst = s.emitCall(dst)
	}
	s.stack = s.stack[:len(s.stack)-1]
	s.state = splitAfter
	if len(s.stack) == 0 {
		s.state = splitEnd
	}
	return dst
}

func (s *lineSplitter) key(i int, k string) bool { return !s.stack[i].array && s.stack[i].key == k }

// inCall says whether the line is inside a tool call's object (at
// choices[i].delta.tool_calls[j], or .message. in a completion).
func (s *lineSplitter) inCall() bool {
	return len(s.stack) >= 6 && s.key(0, "choices") && s.stack[1].array && (s.key(2, "delta") || s.key(2, "message")) &&
		s.key(3, "tool_calls") && s.stack[4].array && !s.stack[5].array
}

// valueField says what a string value at the current place is.
func (s *lineSplitter) valueField() splitField {
	key := s.key
	choice := len(s.stack) >= 3 && key(0, "choices") && s.stack[1].array
	// A chunk's text is in a choice's "delta"; a whole completion's (a
	// server that does not stream, see jsonAsSSE) in its "message".
	delta := len(s.stack) == 4 && choice && (key(2, "delta") || key(2, "message"))
	call := s.inCall()
	switch {
	case len(s.stack) == 6 && call && key(5, "id"):
		return fieldToolID
	case len(s.stack) == 7 && call && key(5, "function") && key(6, "name"):
		return fieldToolName
	case len(s.stack) == 7 && call && key(5, "function") && key(6, "arguments"):
		return fieldToolArgs
	case delta && key(3, "content"):
		return fieldText
	case delta && (key(3, "reasoning_content") || key(3, "reasoning")):
		return fieldReasoning
	case len(s.stack) == 3 && choice && key(2, "finish_reason"):
		return fieldFinish
	case len(s.stack) == 1 && key(0, "model"):
		return fieldModel
	case len(s.stack) == 1 && key(0, "error"), len(s.stack) == 2 && key(0, "error") && key(1, "message"):
		return fieldError
	}
	return fieldNone
}

func (s *lineSplitter) startString(f splitField) {
	s.state, s.field, s.esc, s.high = splitString, f, 0, 0
	s.small = s.small[:0]
}

// stringByte reads one byte of a string, decoding escapes as encoding/json
// does (a lone surrogate becomes U+FFFD).
func (s *lineSplitter) stringByte(dst []byte, c byte) []byte {
	switch {
	case s.esc == 1:
		s.esc = 0
		switch c {
		case 'u':
			s.esc, s.hex = 2, 0
		case 'b':
			s.rune('\b')
		case 'f':
			s.rune('\f')
		case 'n':
			s.rune('\n')
		case 'r':
			s.rune('\r')
		case 't':
			s.rune('\t')
		case '"', '\\', '/':
			s.rune(rune(c))
		default:
			s.state = splitBad
		}
	case s.esc >= 2:
		d := hexDigit(c)
		if d < 0 {
			s.state = splitBad
			return dst
		}
		s.hex = s.hex<<4 | rune(d)
		if s.esc++; s.esc == 6 {
			s.esc = 0
			s.escapedRune(s.hex)
		}
	case c == '\\':
		s.esc = 1
	case c == '"':
		s.endHigh()
		return s.endString(dst)
	case c < 0x20:
		s.state = splitBad
	default:
		s.endHigh()
		s.add(c)
	}
	if len(s.piece) >= pieceBytes {
		dst = s.emitPiece(dst, false)
	}
	return dst
}

// plainRun is how many bytes at the start of in are plain string bytes (no
// quote, backslash or control byte) that can be taken in one go: a long
// line is mostly such runs, and a byte at a time cost seconds a line under
// the race detector.
func (s *lineSplitter) plainRun(in []byte) int {
	if s.esc != 0 || s.high != 0 {
		return 0
	}
	for i, c := range in {
		if c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return len(in)
}

// addRun adds plain string bytes, passing on each piece as it fills.
func (s *lineSplitter) addRun(dst, run []byte) []byte {
	switch s.field {
	case fieldText, fieldReasoning:
		for len(run) > 0 {
			n := min(len(run), pieceBytes-len(s.piece))
			s.piece = append(s.piece, run[:n]...)
			run = run[n:]
			if len(s.piece) >= pieceBytes {
				dst = s.emitPiece(dst, false)
			}
		}
	case fieldNone:
	case fieldToolArgs:
		s.call.args = append(s.call.args, run[:min(len(run), llm.MaxAnswerBytes+1-len(s.call.args))]...)
	default:
		s.small = append(s.small, run[:min(len(run), smallValueMax-len(s.small))]...)
	}
	return dst
}

func hexDigit(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// escapedRune adds the character of a \u escape, pairing surrogates.
func (s *lineSplitter) escapedRune(r rune) {
	if s.high != 0 {
		high := s.high
		s.high = 0
		if utf16.IsSurrogate(r) && r >= 0xDC00 {
			s.rune(utf16.DecodeRune(high, r))
			return
		}
		s.rune(utf8.RuneError)
	}
	if utf16.IsSurrogate(r) {
		if r < 0xDC00 {
			s.high = r
			return
		}
		r = utf8.RuneError
	}
	s.rune(r)
}

// endHigh adds U+FFFD for a high surrogate that no low half followed.
func (s *lineSplitter) endHigh() {
	if s.high != 0 {
		s.high = 0
		s.rune(utf8.RuneError)
	}
}

func (s *lineSplitter) rune(r rune) {
	var b [utf8.UTFMax]byte
	for _, c := range b[:utf8.EncodeRune(b[:], r)] {
		s.add(c)
	}
}

func (s *lineSplitter) add(c byte) {
	switch s.field {
	case fieldText, fieldReasoning:
		s.piece = append(s.piece, c)
	case fieldNone:
	case fieldToolArgs:
		if len(s.call.args) <= llm.MaxAnswerBytes {
			s.call.args = append(s.call.args, c)
		}
	default:
		if len(s.small) < smallValueMax {
			s.small = append(s.small, c)
		}
	}
}

func (s *lineSplitter) endString(dst []byte) []byte {
	s.state = splitAfter
	switch s.field {
	case fieldKey:
		s.top().key = string(s.small)
		s.state = splitColon
	case fieldText, fieldReasoning:
		dst = s.emitPiece(dst, true)
	case fieldModel:
		s.model = string(s.small)
	case fieldFinish:
		s.finish = string(s.small)
	case fieldError:
		s.errMsg = string(s.small)
	case fieldToolID:
		s.call.id, s.call.hasID = string(s.small), true
	case fieldToolName:
		s.call.name = string(s.small)
	}
	return dst
}

// emitCall passes on the tool call just read: a delta with its index, id
// and name, then its arguments in pieces of at most pieceBytes, cut on
// character boundaries, each a delta of the same call.
func (s *lineSplitter) emitCall(dst []byte) []byte {
	c := s.call
	s.call, s.callOpen = lineCall{}, false
	index := ""
	if n, err := strconv.Atoi(c.index); err == nil {
		index = `"index":` + strconv.Itoa(n) + `,`
	}
	dst = append(dst, `data: {"choices":[{"index":0,"delta":{"tool_calls":[{`+index...)
	if c.hasID {
		dst = append(dst, `"id":`...)
		dst = s.appendJSON(dst, c.id)
		dst = append(dst, ',')
	}
	dst = append(dst, `"function":{"name":`...)
	dst = s.appendJSON(dst, c.name)
	dst = append(dst, "}}]}}]}\n\n"...)
	for rest := c.args; len(rest) > 0; {
		n := min(len(rest), pieceBytes)
		for j := n; j < len(rest) && j > n-utf8.UTFMax && j > 0; j-- {
			if utf8.RuneStart(rest[j]) {
				n = j // rest[j:] starts a character: cut before it
				break
			}
		}
		dst = append(dst, `data: {"choices":[{"index":0,"delta":{"tool_calls":[{`+index+`"function":{"arguments":`...)
		dst = s.appendJSON(dst, string(rest[:n]))
		dst = append(dst, "}}]}}]}\n\n"...)
		rest = rest[n:]
	}
	return dst
}

// emitPiece appends the text read so far as chunk lines of at most
// pieceBytes, cut on character boundaries; unless all is set, text short of
// a piece waits for more.
func (s *lineSplitter) emitPiece(dst []byte, all bool) []byte {
	key := "content"
	if s.field == fieldReasoning {
		key = "reasoning_content"
	}
	done := 0
	for rest := s.piece; len(rest) >= pieceBytes || (all && len(rest) > 0); rest = s.piece[done:] {
		n := min(len(rest), pieceBytes)
		if n < len(rest) || !all {
			// A character that n would cut waits for the next piece.
			j := n - 1
			for j > 0 && j > n-utf8.UTFMax && !utf8.RuneStart(rest[j]) {
				j--
			}
			if j > 0 && !utf8.FullRune(rest[j:n]) {
				n = j
			}
		}
		dst = append(dst, `data: {"choices":[{"index":0,"delta":{"`+key+`":`...)
		dst = s.appendJSON(dst, string(rest[:n]))
		dst = append(dst, "}}]}\n\n"...)
		done += n
	}
	s.piece = append(s.piece[:0], s.piece[done:]...)
	return dst
}

func (s *lineSplitter) appendJSON(dst []byte, v any) []byte {
	s.scratch.Reset()
	enc := json.NewEncoder(&s.scratch)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // a string or a map of strings: cannot fail
	return append(dst, bytes.TrimRight(s.scratch.Bytes(), "\n")...)
}

// end is called when the line is over: it appends the text still waiting,
// the model and finish reason, and the error the line held. A line that was
// not a JSON object becomes one that the adapter reports as malformed.
func (s *lineSplitter) end(dst []byte) []byte {
	if s.drop {
		return dst
	}
	if s.state == splitString && (s.field == fieldText || s.field == fieldReasoning) {
		dst = s.emitPiece(dst, true) // the line was cut off inside the text
	}
	if s.callOpen {
		dst = s.emitCall(dst) // the line was cut off inside a tool call
	}
	if s.finish != "" || s.model != "" {
		dst = append(dst, `data: {"model":`...)
		dst = s.appendJSON(dst, s.model)
		dst = append(dst, `,"choices":[{"index":0,"delta":{}`...)
		if s.finish != "" {
			dst = append(dst, `,"finish_reason":`...)
			dst = s.appendJSON(dst, s.finish)
		}
		dst = append(dst, "}]}\n\n"...)
	}
	if s.sawErr {
		msg := s.errMsg
		if msg == "" {
			msg = "no details given"
		}
		dst = append(dst, `data: {"error":`...)
		dst = s.appendJSON(dst, map[string]string{"message": msg})
		dst = append(dst, "}\n\n"...)
	}
	if s.state == splitBad {
		dst = append(dst, "data: {\n\n"...) // not JSON: the adapter says the provider sent a malformed response
	}
	return dst
}

// longLine reads the rest of a line longer than the read buffer, head
// being its start as ReadSlice returned it. A line of up to longLineBytes is
// returned whole; a longer one is handed to a lineSplitter (n.split, fed by
// splitMore) and longLine returns nil and no error.
func (n *sseNormalizer) longLine(head []byte) ([]byte, error) {
	// head points into the reader's buffer, which the next read
	// overwrites: copy it first.
	line := append([]byte(nil), head...)
	for {
		more, err := n.r.ReadSlice('\n')
		line = append(line, more...)
		if err != bufio.ErrBufferFull {
			return line, err
		}
		if len(line) > longLineBytes {
			break
		}
	}
	n.split = &lineSplitter{}
	t := bytes.TrimLeft(line, " \t")
	if !keepSSELine(line) || !bytes.HasPrefix(t, []byte("data:")) {
		// A long comment or other field is dropped as a short one is; so
		// is a long blank line, which separates nothing more than a short
		// one would.
		n.split.drop = true
		return nil, nil
	}
	n.buf = n.split.feed(n.buf[:0], t[len("data:"):])
	return nil, nil
}

// splitMore feeds the next part of a long line to n.split, ending it at the
// line's end.
func (n *sseNormalizer) splitMore() {
	more, err := n.r.ReadSlice('\n')
	if n.info != nil {
		n.info.lastRead.Store(time.Now().UnixNano()) // a long line arriving slowly is not a stall
	}
	n.buf = n.split.feed(n.buf[:0], more)
	if err == bufio.ErrBufferFull {
		return
	}
	n.buf = n.split.end(n.buf)
	n.split, n.err = nil, err
}
