package transfer

import (
	"bytes"
	"cmp"
	"io"
	"slices"
)

// compactReader is what the import's second pass decodes: the file without
// its whitespace outside strings (a run becomes one space), and with null
// in place of each value the first pass found too large (shape.blank).
// encoding/json's Decoder keeps the whitespace it skips in its buffer until
// the next token (a file of "[", 2 GB of spaces and "]" cost it 6 GB), and
// decodes a value whole even to skip it; behind this reader its buffer
// holds at most one conversation, without its padding. It relies on the
// first pass: the input is well-formed JSON, so dropping whitespace outside
// strings changes no value.
type compactReader struct {
	r      io.Reader
	off    int64  // file offset of in[0]
	blank  []span // values to replace, by start; the first may be under way
	in     []byte // read from r, not yet processed
	out    []byte // processed, not yet returned
	buf    []byte // backing array of in
	obuf   []byte // backing array of out
	inStr  bool   // inside a string
	esc    bool   // after a backslash inside a string
	space  bool   // whitespace was dropped since the last byte kept
	inside bool   // inside blank[0]
	err    error
}

// newCompactReader reads r, whose first byte is at offset off in the file.
func newCompactReader(r io.Reader, off int64, blank []span) *compactReader {
	b := slices.Clone(blank)
	slices.SortFunc(b, func(x, y span) int { return cmp.Compare(x.start, y.start) })
	return &compactReader{r: r, off: off, blank: b, buf: make([]byte, 64<<10), obuf: make([]byte, 0, 64<<10+8)}
}

// Offset is the file offset of the next byte to read from the file.
func (c *compactReader) Offset() int64 { return c.off + int64(len(c.in)) }

func (c *compactReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		n, err := c.r.Read(c.buf)
		c.in, c.err = c.buf[:n], err
		c.out = c.compact(c.obuf[:0])
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// compact moves c.in into out.
func (c *compactReader) compact(out []byte) []byte {
	for len(c.in) > 0 {
		// How far the bytes are ordinary: up to the next blank's start or end.
		n := len(c.in)
		if len(c.blank) > 0 {
			edge := c.blank[0].start
			if c.inside {
				edge = c.blank[0].end
			}
			n = int(min(int64(n), max(edge-c.off, 0)))
		}
		if n == 0 {
			c.edge(&out)
			continue
		}
		if !c.inside {
			out = c.text(out, c.in[:n])
		}
		c.in, c.off = c.in[n:], c.off+int64(n)
	}
	return out
}

// edge crosses the start or end of blank[0] (at c.off).
func (c *compactReader) edge(out *[]byte) {
	if !c.inside {
		if c.space {
			*out = append(*out, ' ')
			c.space = false
		}
		*out = append(*out, "null"...)
		c.inside = true
		return
	}
	end := c.blank[0].end
	c.inside = false
	c.blank = c.blank[1:]
	for len(c.blank) > 0 && c.blank[0].start < end { // a blank value inside the one just left out
		c.blank = c.blank[1:]
	}
}

// text appends b, without whitespace outside strings.
func (c *compactReader) text(out, b []byte) []byte {
	for i := 0; i < len(b); {
		if c.inStr { // copy up to the closing quote
			j := c.stringEnd(b, i)
			out = append(out, b[i:j]...)
			i = j
			continue
		}
		j := i
		for j < len(b) && (b[j] == ' ' || b[j] == '\n' || b[j] == '\t' || b[j] == '\r') {
			j++
		}
		if j > i {
			c.space = true
			i = j
			continue
		}
		if c.space {
			out = append(out, ' ')
			c.space = false
		}
		for j < len(b) && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' && b[j] != '"' {
			j++
		}
		if j < len(b) && b[j] == '"' {
			c.inStr = true
			j++
		}
		out = append(out, b[i:j]...)
		i = j
	}
	return out
}

// stringEnd returns where the string that b[i:] is inside of ends (after
// its closing quote), or len(b). Most of an export is strings: IndexByte
// finds their ends several times faster than a loop over each byte.
func (c *compactReader) stringEnd(b []byte, i int) int {
	j := i
	if c.esc { // the byte after a backslash, whatever it is
		c.esc = false
		j++
	}
	for j < len(b) {
		end := len(b)
		q := bytes.IndexByte(b[j:], '"')
		if q >= 0 {
			end = j + q
		}
		if k := bytes.IndexByte(b[j:end], '\\'); k >= 0 {
			j += k + 1
			if j == len(b) {
				c.esc = true
				return j
			}
			j++ // the escaped byte
			continue
		}
		if q < 0 {
			return len(b)
		}
		c.inStr = false
		return end + 1
	}
	return j
}
