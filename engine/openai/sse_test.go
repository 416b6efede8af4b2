package openai

import (
	"bufio"
	"io"
	"runtime"
	"strings"
	"testing"
)

// blockingBody yields its lines, then blocks until closed, like a provider
// that has sent part of an answer and is thinking.
type blockingBody struct {
	r       io.Reader
	release chan struct{}
}

func (b *blockingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		<-b.release
	}
	return n, err
}
func (b *blockingBody) Close() error { return nil }

func TestSSENormalizerReturnsWhatIsBufferedWithoutWaiting(t *testing.T) {
	in := ": keep-alive\n\ndata: {\"a\":1}\n\nevent: ping\ndata: {\"b\":2}\n\n"
	body := &blockingBody{r: strings.NewReader(in), release: make(chan struct{})}
	defer close(body.release)
	n := newSSENormalizer(body)
	br := bufio.NewReader(n)
	// Both events are buffered: reading them must not block on the body,
	// which has nothing more to give.
	var got []string
	for len(got) < 4 {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, line)
	}
	want := []string{"\n", "data: {\"a\":1}\n", "\n", "data: {\"b\":2}\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("lines %q, want %q", got, want)
	}
}

func TestSSENormalizerSplitsALineLongerThanTheCallersBuffer(t *testing.T) {
	long := "data: " + strings.Repeat("z", 3*sseBufferSize) + "\n\n"
	n := newSSENormalizer(io.NopCloser(strings.NewReader(": c\n" + long + "data: [DONE]\n\n")))
	out, err := io.ReadAll(io.LimitReader(struct{ io.Reader }{n}, int64(len(long)+len("data: [DONE]\n\n"))))
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != long+"data: [DONE]\n\n" {
		t.Fatalf("got %d bytes, want the long line and [DONE] intact", len(out))
	}
}

// A stream closed while a Read waits on the body (a stop, a stall) gives its
// buffer back only after that Read returns; later Reads fail, they do not
// touch a buffer another stream may have taken.
func TestSSENormalizerClosedDuringARead(t *testing.T) {
	pr, pw := io.Pipe()
	// A body whose Close does not end the Read at once, as a connection's
	// may not.
	n := newSSENormalizer(io.NopCloser(pr))
	read := make(chan error, 1)
	go func() {
		_, err := n.Read(make([]byte, 64))
		read <- err
	}()
	n.mu.Lock()
	for !n.reading { // wait for the Read to begin, without sleeping
		n.mu.Unlock()
		runtime.Gosched()
		n.mu.Lock()
	}
	n.mu.Unlock()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	kept := n.r != nil // the Read still runs: the buffer must stay
	n.mu.Unlock()
	if !kept {
		t.Fatal("buffer released while a Read used it")
	}
	pw.CloseWithError(io.ErrUnexpectedEOF)
	if err := <-read; err == nil {
		t.Fatal("Read on a closed stream returned no error")
	}
	if n.r != nil {
		t.Fatal("buffer not released after the Read returned")
	}
	if _, err := n.Read(make([]byte, 64)); err == nil {
		t.Fatal("a Read after Close succeeded")
	}
}

// A stream read to its end gives its buffer back, and a Close after that
// is harmless.
func TestSSENormalizerReleasesItsBufferAtTheEnd(t *testing.T) {
	n := newSSENormalizer(io.NopCloser(strings.NewReader("data: {\"a\":1}\n\n")))
	out, err := io.ReadAll(n)
	if err != nil || string(out) != "data: {\"a\":1}\n\n" {
		t.Fatalf("%q, %v", out, err)
	}
	if n.r != nil {
		t.Fatal("buffer kept after the end")
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
}
