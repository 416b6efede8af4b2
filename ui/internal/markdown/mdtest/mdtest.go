// Package mdtest helps test what markdown views build: how much they hand
// Fyne (Measure), and an image host that counts the requests it gets
// (ImageServer). It is used by the tests of package markdown and of the
// window, which both check these bounds.
package mdtest

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Built is what a view hands Fyne: RichText widgets, their segments, the
// characters in them and the longest text segment.
type Built struct {
	RichTexts, Segments, Chars, Longest int
	Notes                               []string // what the "Showing …" lines say
}

// Measure counts what o, a view or a window's content, hands Fyne.
func Measure(o fyne.CanvasObject) Built {
	var b Built
	var segs func([]widget.RichTextSegment)
	segs = func(ss []widget.RichTextSegment) {
		for _, s := range ss {
			b.Segments++
			switch s := s.(type) {
			case *widget.TextSegment:
				b.Chars += len(s.Text)
				b.Longest = max(b.Longest, len(s.Text))
			case *widget.ParagraphSegment:
				segs(s.Texts)
			case *widget.ListSegment:
				segs(s.Items)
			case *widget.HyperlinkSegment:
				b.Chars += len(s.Text)
			}
		}
	}
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch o := o.(type) {
		case *widget.RichText:
			b.RichTexts++
			segs(o.Segments)
		case *widget.Label:
			if strings.HasPrefix(o.Text, "Showing ") && o.Visible() {
				b.Notes = append(b.Notes, o.Text)
			}
		case *fyne.Container:
			if o.Visible() {
				for _, c := range o.Objects {
					walk(c)
				}
			}
		}
	}
	walk(o)
	return b
}

// ImageServer is an image host that counts every request it gets.
type ImageServer struct {
	*httptest.Server
	Hits atomic.Int64
	mu   sync.Mutex
	got  []string // request paths, in order

	// /slow.png blocks until Release is closed or the request is cancelled
	// (then Cancelled gets a value); Arrived gets a value when it starts.
	Release, Arrived, Cancelled chan struct{}
}

// NewImageServer starts an image host (over TLS when tls is set), closed
// when the test ends. /big.png and /big-chunked.png are 12 MB, /page.html
// is no image, /missing.png is not found, /slow.png waits; any other path
// is a 40×30 PNG.
func NewImageServer(t testing.TB, tls bool) *ImageServer {
	t.Helper()
	s := &ImageServer{Release: make(chan struct{}), Arrived: make(chan struct{}, 16), Cancelled: make(chan struct{}, 16)}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Hits.Add(1)
		s.mu.Lock()
		s.got = append(s.got, r.URL.Path)
		s.mu.Unlock()
		switch r.URL.Path {
		case "/slow.png":
			s.Arrived <- struct{}{}
			select {
			case <-s.Release:
				w.Write(PNG(4, 4))
			case <-r.Context().Done():
				s.Cancelled <- struct{}{}
			}
		case "/big.png": // 12 MB, announced
			w.Header().Set("Content-Length", fmt.Sprint(12<<20))
			w.Write(make([]byte, 12<<20))
		case "/big-chunked.png": // 12 MB, not announced: only the read stops it
			for range 12 {
				w.Write(make([]byte, 1<<20))
				w.(http.Flusher).Flush()
			}
		case "/page.html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>not an image</html>")
		case "/missing.png":
			http.Error(w, "secret reason phrase", http.StatusNotFound)
		default:
			w.Header().Set("Content-Type", "image/png")
			w.Write(PNG(40, 30))
		}
	})
	if tls {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(func() {
		select {
		case <-s.Release:
		default:
			close(s.Release)
		}
		s.Close()
	})
	return s
}

// Paths are the paths asked for, in order.
func (s *ImageServer) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

// PNG is a w×h PNG image.
func PNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Text is every text shown in objs (labels, rich texts, buttons, entries),
// a line each.
func Text(objs []fyne.CanvasObject) string {
	var sb strings.Builder
	for _, o := range objs {
		switch o := o.(type) {
		case *widget.Label:
			sb.WriteString(o.Text + "\n")
		case *widget.RichText:
			sb.WriteString(o.String() + "\n")
		case *widget.Entry:
			sb.WriteString(o.Text + "\n")
		case *widget.Button:
			sb.WriteString(o.Text + "\n")
		}
	}
	return sb.String()
}

// Button is the button of objs that says text, or nil.
func Button(objs []fyne.CanvasObject, text string) *widget.Button {
	for _, o := range objs {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}
