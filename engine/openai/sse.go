package openai

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
)

// transport is the RoundTripper behind every provider's http.Client. It
// normalises server-sent event streams before go-openai reads them (see
// sseNormalizer).
type transport struct {
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	info, _ := req.Context().Value(streamInfoKey{}).(*streamInfo)
	if info != nil && len(info.edits) > 0 && req.Body != nil {
		edited, err := editBody(req, info.edits)
		if err != nil {
			return nil, err
		}
		req = edited
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if info != nil {
		info.header = resp.Header.Clone()
		if resp.StatusCode >= 400 {
			// Keep the error body for the user's sentence: go-openai keeps
			// only error.message, not details such as OpenRouter's
			// metadata.raw. Bounded: an error page may be huge.
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			info.errBody = body
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{rerr}))
		}
	}
	switch {
	case resp.StatusCode != http.StatusOK:
	case strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream"):
		n := newSSENormalizer(resp.Body)
		n.info = info
		resp.Body = n
	case info != nil && isJSONType(resp.Header.Get("Content-Type")):
		// A server that ignored "stream": true (some proxies and local
		// servers) answers with one chat.completion object.
		info.json = true
		n := newSSENormalizer(&jsonAsSSE{body: resp.Body})
		n.info = info
		resp.Body = n
	}
	return resp, nil
}

// editBody returns a copy of req whose body has edits made (see
// toolMessageEdits): go-openai writes the request, and cannot be told to
// keep an empty "content".
func editBody(req *http.Request, edits []bodyEdit) (*http.Request, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	body = applyEdits(body, edits)
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return out, nil
}

// isJSONType says whether a Content-Type is JSON: application/json, or a
// +json type such as application/vnd.api+json.
func isJSONType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// maxJSONBody bounds how much of a JSON answer (see jsonAsSSE) is read. The
// answer in it is capped at llm.MaxAnswerBytes as a stream's is; this bounds the
// rest: 8x the cap leaves room for the longest escaping of a full answer
// (\u0041 is six bytes for one), so only a body mostly of other things
// reaches it.
const maxJSONBody = 8 * llm.MaxAnswerBytes

// errJSONTooBig ends a JSON answer longer than maxJSONBody.
var errJSONTooBig = errors.New("JSON answer over the size limit")

// jsonAsSSE presents a chat.completion JSON body as the event stream the
// adapter reads: "data: " and the body as one line, then "data: [DONE]".
// A line break in valid JSON can only stand between tokens, so making each
// one a space changes nothing it says. As one data line the body goes the
// way of a stream's lines: read whole up to longLineBytes, and beyond that
// through a lineSplitter (it knows a completion's "message" as it knows a
// chunk's "delta"), so a huge body is never held in memory and its answer
// is capped at llm.MaxAnswerBytes like a stream's.
type jsonAsSSE struct {
	body    io.ReadCloser
	stage   uint8 // 0: before the body, 1: in it, 2: after it, 3: done
	pending []byte
	read    int64
	opened  bool // the body's first character was passed on
}

func (j *jsonAsSSE) Read(p []byte) (int, error) {
	for {
		if len(j.pending) > 0 {
			n := copy(p, j.pending)
			j.pending = j.pending[n:]
			return n, nil
		}
		switch j.stage {
		case 0:
			j.pending, j.stage = []byte("data: "), 1
		case 1:
			if j.read >= maxJSONBody {
				return 0, errJSONTooBig
			}
			if int64(len(p)) > maxJSONBody-j.read {
				p = p[:maxJSONBody-j.read]
			}
			n, err := j.body.Read(p)
			j.read += int64(n)
			for i, c := range p[:n] {
				if c == '\n' || c == '\r' {
					p[i] = ' '
				}
			}
			if err == io.EOF {
				j.stage, err = 2, nil
			}
			if i := bytes.IndexFunc(p[:n], func(r rune) bool { return r != ' ' && r != '\t' }); !j.opened && i >= 0 {
				// go-openai takes a line starting `{"error":` aside and
				// reads only some shapes of error from it ({"error":"text"}
				// came back as nothing): after "{ " the line reaches the
				// adapter, which reads them all.
				j.opened = true
				if p[i] == '{' {
					j.pending = append([]byte{' '}, p[i+1:n]...)
					return i + 1, err
				}
			}
			if n > 0 || err != nil {
				return n, err
			}
		case 2:
			j.pending, j.stage = []byte("\n\ndata: [DONE]\n\n"), 3
		default:
			return 0, io.EOF
		}
	}
}

func (j *jsonAsSSE) Close() error { return j.body.Close() }

// streamInfo collects what go-openai does not expose about one request: the
// response headers and whether the stream ended with "data: [DONE]". The
// adapter puts it in the request's context; the transport fills it in. Its
// fields are written by the goroutine reading the stream and read by the same
// goroutine after the read returns.
type streamInfo struct {
	// edits are made to the request's body before it is sent; set before
	// the request starts, only read after.
	edits   []bodyEdit
	header  http.Header
	errBody []byte // the body of an error response (status 400 and up), bounded
	sawDone bool
	// json is set when the server answered with one JSON body instead of
	// a stream (see jsonAsSSE).
	json bool
	// lastRead is when the last line arrived (unix nanoseconds), comment
	// lines included: a provider that sends keep-alives is not stalled.
	lastRead atomic.Int64
}

type streamInfoKey struct{}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// errReader returns err, or io.EOF when err is nil.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	return 0, io.EOF
}

// sseNormalizer passes data lines and blank lines of an SSE stream through
// and drops comment lines (": OPENROUTER PROCESSING") and field lines other
// than data ("event: error", "id:", "retry:").
//
// go-openai counts every non-data line as an "empty message", gives up after a
// limit, and mixes non-data lines into the error it builds from a
// `data: {"error": ...}` line, so a Groq-style `event: error` stream would lose
// the provider's message. Dropping those lines keeps the error intact.
type sseNormalizer struct {
	body io.ReadCloser
	r    *bufio.Reader // nil once released
	buf  []byte        // pending output
	err  error
	info *streamInfo // may be nil
	// split reads a data line too long to pass on whole (see sseline.go).
	split *lineSplitter

	// r goes back to sseReaders when the stream is done with: when a Read
	// meets the body's end, or at Close, but never while a Read (which
	// Close may interrupt from another goroutine) uses it.
	mu      sync.Mutex
	reading bool
	closed  bool
}

// sseBufferSize is the normalizer's read buffer: room for many ordinary
// lines; a longer line is passed through whole up to longLineBytes, and in
// pieces beyond.
const sseBufferSize = 16 << 10

// sseReaders holds the read buffers of finished streams: a request would
// otherwise allocate sseBufferSize, mostly to throw it away.
var sseReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, sseBufferSize) }}

func newSSENormalizer(body io.ReadCloser) *sseNormalizer {
	r := sseReaders.Get().(*bufio.Reader)
	r.Reset(body)
	return &sseNormalizer{body: body, r: r}
}

// release gives the read buffer back; with mu held, no Read running.
func (n *sseNormalizer) release() {
	if n.r == nil {
		return
	}
	n.r.Reset(nil)
	sseReaders.Put(n.r)
	n.r = nil
}

var errReadAfterClose = errors.New("read on a closed event stream")

// Read fills p with as many kept lines as are already buffered, so that a
// fast stream costs one Read per buffer rather than one per line; it never
// waits for more once it has something to return.
func (n *sseNormalizer) Read(p []byte) (int, error) {
	n.mu.Lock()
	if n.closed && n.err == nil {
		n.err = errReadAfterClose
	}
	n.reading = true
	n.mu.Unlock()
	written, err := n.read(p)
	n.mu.Lock()
	n.reading = false
	if n.err != nil || n.closed {
		n.release() // nothing in it is needed any more
	}
	n.mu.Unlock()
	return written, err
}

func (n *sseNormalizer) read(p []byte) (int, error) {
	written := 0
	for {
		if len(n.buf) > 0 {
			c := copy(p[written:], n.buf)
			n.buf, written = n.buf[c:], written+c
			if len(n.buf) > 0 {
				return written, nil // p is full
			}
		}
		if n.err != nil {
			if written > 0 {
				return written, nil
			}
			return 0, n.err
		}
		if written > 0 && (written == len(p) || !n.lineBuffered()) {
			return written, nil
		}
		if n.split != nil {
			n.splitMore()
			continue
		}
		line, err := n.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer (see longLine).
			if line, err = n.longLine(line); line == nil && err == nil {
				continue
			}
		}
		n.err = err
		if n.info != nil && written == 0 {
			// The lines after the first of a Read were buffered already:
			// they arrived with it.
			n.info.lastRead.Store(time.Now().UnixNano())
		}
		if keepSSELine(line) {
			if n.info != nil && isDoneLine(line) {
				n.info.sawDone = true
			}
			c := copy(p[written:], line)
			written += c
			if c < len(line) {
				n.buf = append(n.buf[:0], line[c:]...)
			}
		}
	}
}

// lineBuffered says whether a whole line is waiting in the read buffer, so
// that reading it cannot block.
func (n *sseNormalizer) lineBuffered() bool {
	b, _ := n.r.Peek(n.r.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

func keepSSELine(line []byte) bool {
	t := bytes.TrimLeft(line, " \t")
	if len(bytes.TrimSpace(t)) == 0 {
		return len(line) > 0 // a blank line separates events
	}
	if t[0] == ':' {
		return false
	}
	return bytes.HasPrefix(t, []byte("data:"))
}

func (n *sseNormalizer) Close() error {
	err := n.body.Close()
	n.mu.Lock()
	n.closed = true
	if !n.reading {
		n.release()
	}
	n.mu.Unlock()
	return err
}

func isDoneLine(line []byte) bool {
	t := bytes.TrimSpace(line)
	return bytes.HasPrefix(t, []byte("data:")) && bytes.Equal(bytes.TrimSpace(t[len("data:"):]), []byte("[DONE]"))
}
