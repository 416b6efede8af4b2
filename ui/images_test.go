package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage/repository"
	"fyne.io/fyne/v2/test"

	"deskchat/store"
	"deskchat/ui/internal/bridge"
)

// imageServer is an image host that counts every request it gets.
type imageServer struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	got  []string // request paths, in order

	// /slow blocks until release is closed or the request is cancelled
	// (then cancelled gets a value); arrived gets a value when it starts.
	release, arrived, cancelled chan struct{}
}

func newImageServer(t *testing.T, tls bool) *imageServer {
	t.Helper()
	s := &imageServer{release: make(chan struct{}), arrived: make(chan struct{}, 16), cancelled: make(chan struct{}, 16)}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		s.got = append(s.got, r.URL.Path)
		s.mu.Unlock()
		switch r.URL.Path {
		case "/slow.png":
			s.arrived <- struct{}{}
			select {
			case <-s.release:
				w.Write(pngBytes(4, 4))
			case <-r.Context().Done():
				s.cancelled <- struct{}{}
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
			w.Write(pngBytes(40, 30))
		}
	})
	if tls {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
		s.Close()
	})
	return s
}

func (s *imageServer) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

func pngBytes(w, h int) []byte {
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

// hugePNG is a valid PNG header claiming w×h pixels, with no pixels.
func hugePNG(w, h uint32) []byte {
	b := pngBytes(1, 1)
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// probeRepo is a Fyne storage repository for the probe: scheme that counts
// every time anything asks it for the image (as Fyne's ImageSegment does).
type probeRepo struct{ asked atomic.Int64 }

func (r *probeRepo) Exists(fyne.URI) (bool, error)  { r.asked.Add(1); return true, nil }
func (r *probeRepo) CanRead(fyne.URI) (bool, error) { r.asked.Add(1); return true, nil }
func (r *probeRepo) Destroy(string)                 {}
func (r *probeRepo) Reader(fyne.URI) (fyne.URIReadCloser, error) {
	r.asked.Add(1)
	return nil, errors.New("probe: no reading")
}

// streamServer is an OpenAI-compatible provider that streams text in
// 7-byte chunks.
func streamServer(t *testing.T, text string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for rest := text; rest != ""; {
			n := min(7, len(rest))
			chunk, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"delta": map[string]string{"content": rest[:n]}}}})
			fmt.Fprintf(w, "data: %s\n\n", chunk)
			w.(http.Flusher).Flush()
			rest = rest[n:]
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// hostileImages is an answer full of images in every place markdown allows
// one, pointing at web (the counting servers), file, data and other
// addresses.
func hostileImages(web, tls, file string) string {
	data := base64.StdEncoding.EncodeToString(pngBytes(24, 12))
	return strings.Join([]string{
		"Here you go ![leak](" + web + "/leak?d=secret%20words) and again ![leak](" + web + "/leak?d=secret%20words)",
		"![over tls](" + tls + "/tls.png \"a title\")",
		"![a file](file://" + file + ") ![a path](" + file + ") ![relative](notes.png) ![protocol relative](//" + strings.TrimPrefix(web, "http://") + "/rel.png)",
		"![probe](probe://host/p.png) ![ftp](ftp://host/f.png)",
		"![embedded](data:image/png;base64," + data + ")",
		"[ref]: " + web + "/ref.png\n![by reference][ref]",
		"![unresolved][other]\n\n[other]: " + web + "/other.png",
		"- an item ![in a list](" + web + "/list.png)\n- two\n  1. nested ![nested](" + web + "/nested.png)",
		"| a | b |\n|---|---|\n| ![in a cell](" + web + "/cell.png) | text |",
		"> quoted ![in a quote](" + web + "/quote.png)",
		"<img src=\"" + web + "/html.png\"> and <img src=\"" + web + "/inline-html.png\"/> inline",
		"[![linked](" + web + "/inlink.png)](" + web + "/target) a [link](" + web + "/link) and <" + web + "/auto>",
		"# A heading ![in a heading](" + web + "/heading.png)",
		"**bold ![in bold](" + web + "/bold.png)**",
	}, "\n\n")
}

// imageViewsIn returns the image views under o, laid out.
func imageViewsIn(o fyne.CanvasObject) []*ImageView {
	var out []*ImageView
	for _, c := range test.LaidOutObjects(o) {
		if v, ok := c.(*ImageView); ok {
			out = append(out, v)
		}
	}
	return out
}

func viewText(v *ImageView) string { return everyText(test.LaidOutObjects(v.box)) }

func viewWith(t *testing.T, views []*ImageView, s string) *ImageView {
	t.Helper()
	for _, v := range views {
		if strings.Contains(viewText(v), s) {
			return v
		}
	}
	t.Fatalf("no image view says %q", s)
	return nil
}

func localProvider(t *testing.T, st *store.Store, url string) {
	t.Helper()
	if err := st.PutProvider(store.Provider{Name: "Local", Kind: store.KindCompatible, BaseURL: url, Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetSetting(store.SettingDefaultProvider, "Local"); err != nil {
		t.Fatal(err)
	}
}

func TestImagesAreNeverFetchedWhileAChatStreamsOpensAndScrolls(t *testing.T) {
	web, tls := newImageServer(t, false), newImageServer(t, true)
	secret := filepath.Join(t.TempDir(), "secret.png")
	if err := os.WriteFile(secret, pngBytes(8, 8), 0o600); err != nil {
		t.Fatal(err)
	}
	opened := watchOpens(t, secret)
	probe := &probeRepo{}
	repository.Register("probe", probe)
	answer := hostileImages(web.URL, tls.URL, secret)
	provider := streamServer(t, answer)
	h := newHarness(t, func(st *store.Store) { localProvider(t, st, provider.URL) })
	h.w.images.Client = tls.Client() // trusts the TLS server; loads nothing by itself either

	nothingFetched := func(when string) {
		t.Helper()
		if n := web.hits.Load() + tls.hits.Load(); n != 0 {
			t.Fatalf("%s: the image servers got %d requests: %v %v", when, n, web.paths(), tls.paths())
		}
		if n := probe.asked.Load(); n != 0 {
			t.Fatalf("%s: Fyne's storage was asked %d times for a probe: image", when, n)
		}
		if opened() {
			t.Fatalf("%s: the file named by a file: image was opened", when)
		}
		if h.w.images.Started != 1 { // the data: image, decoded without a click
			t.Fatalf("%s: %d fetches or decodes started, want 1 (the data: image)", when, h.w.images.Started)
		}
	}

	h.ask("show me images")
	live := h.liveAnswer(nil)
	h.settle()
	if live.md.Text() != answer {
		t.Fatalf("the answer did not stream whole: %d of %d bytes", len(live.md.Text()), len(answer))
	}
	nothingFetched("streamed")

	views := imageViewsIn(h.w.win.Content())
	for _, s := range []string{"“leak” from 127.0.0.1", "“over tls” from 127.0.0.1", "“by reference” from 127.0.0.1",
		"“in a list” from 127.0.0.1", "“nested” from 127.0.0.1", "“in a cell” from 127.0.0.1", "“in a quote” from 127.0.0.1"} {
		if b := findButton(test.LaidOutObjects(viewWith(t, views, s)), "Load image"); b == nil || b.Disabled() {
			t.Errorf("the placeholder %q has no Load image button", s)
		}
	}
	for s, why := range map[string]string{
		"“a file” from a file on this computer":   "never opens files",
		"“a path” from a file on this computer":   "never opens files",
		"“relative” from a file on this computer": "never opens files",
		"“protocol relative”":                     "not a full web address",
		"“probe”":                                 "(this one is probe:)",
		"“ftp”":                                   "(this one is ftp:)",
	} {
		v := viewWith(t, views, s)
		if !strings.Contains(viewText(v), why) || findButton(test.LaidOutObjects(v), "Load image") != nil {
			t.Errorf("placeholder %q says %q, want a reason with %q and no button", s, viewText(v), why)
		}
	}
	embedded := 0 // the data: image, decoded off the UI goroutine, then shown
	for _, v := range imageViewsIn(h.w.win.Content()) {
		if v.shown == "image" {
			embedded++
		}
	}
	if embedded != 1 {
		t.Errorf("%d images shown inline, want 1 (the data: image)", embedded)
	}

	// Open the chat again, re-render it, resize and scroll it.
	id := h.w.selected
	h.w.show("")
	h.settle()
	h.w.show(id)
	h.settle()
	cv := h.shown()
	cv.scroll.Refresh()
	h.w.win.Resize(fyne.NewSize(700, 500))
	cv.scroll.ScrollToTop()
	scrollBy(cv, -400)
	scrollBy(cv, 400)
	h.w.imagesChanged()
	h.settle()
	nothingFetched("reopened and scrolled")
	if _, err := os.ReadFile(secret); err != nil || !opened() {
		t.Fatal("the open watch does not see opens: the file check above proves nothing")
	}

	// A click fetches the image once, for both placeholders of its URL.
	leak := viewWith(t, imageViewsIn(h.w.win.Content()), "“leak”")
	test.Tap(findButton(test.LaidOutObjects(leak), "Load image"))
	h.settle()
	if n := web.hits.Load(); n != 1 {
		t.Fatalf("one click made %d requests (%v)", n, web.paths())
	}
	if got := web.paths(); got[0] != "/leak" {
		t.Errorf("fetched %v", got)
	}
	shown := 0
	for _, v := range imageViewsIn(h.w.win.Content()) {
		if v.ref.alt == "leak" && v.shown == "image" {
			shown++
		}
	}
	if shown != 2 {
		t.Errorf("%d of the 2 leak placeholders show the image after one click", shown)
	}
	// The 40×30 image is laid out at its size in the (wider) message.
	h.w.imagesChanged()
	if s := leak.Size(); s.Height != 30 || s.Width < 40 {
		t.Errorf("the loaded image's view is %v, want 30 tall", s)
	}

	// A second render of the chat shows the image without fetching again.
	h.w.show("")
	h.settle()
	h.w.show(id)
	h.settle()
	again := viewWith(t, imageViewsIn(h.w.win.Content()), "“over tls”")
	for _, v := range imageViewsIn(h.w.win.Content()) {
		if v.ref.alt == "leak" && v.shown != "image" {
			t.Errorf("a reopened leak image shows %q", viewText(v))
		}
	}
	test.Tap(findButton(test.LaidOutObjects(again), "Load image"))
	h.settle()
	if web.hits.Load() != 1 || tls.hits.Load() != 1 {
		t.Errorf("requests after reopening and one more click: %d web, %d tls; want 1 and 1", web.hits.Load(), tls.hits.Load())
	}
}

func TestASlowImageServerNeverBlocksTheWindowAndTimesOut(t *testing.T) {
	slow := newImageServer(t, false)
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		d := store.Dump{Conversation: store.Conversation{Title: "slow image"}}
		d.Messages = []store.Message{
			{Role: store.RoleUser, Content: "a picture please", State: store.StateDone},
			{Role: store.RoleAssistant, Content: "Here: ![slow](" + slow.URL + "/slow.png)", State: store.StateDone},
		}
		if _, err := st.ImportConversations([]store.Import{{Dump: d}}); err != nil {
			t.Fatal(err)
		}
	})
	fire := make(chan time.Time, 1)
	h.w.images.Timeout = func() <-chan time.Time { return fire }
	h.settle()
	v := viewWith(t, imageViewsIn(h.w.win.Content()), "“slow” from 127.0.0.1")
	// The tap returns while the server holds the request: the fetch is not
	// on this (the UI) goroutine.
	test.Tap(findButton(test.LaidOutObjects(v), "Load image"))
	<-slow.arrived
	if b := findButton(test.LaidOutObjects(v), "Loading…"); b == nil || !b.Disabled() {
		t.Errorf("while loading the placeholder says %q", viewText(v))
	}

	// The window goes on: a question is answered and drawn (this goroutine
	// runs what the bridge posts) while the image server still hangs.
	h.ask("are you there?")
	h.settleUntil("the answer to end", func() bool {
		cv := h.shown()
		return len(cv.views) == 4 && cv.live == nil
	})
	msgs := h.messages(h.w.selected)
	if got := h.shown().views[3].md.Text(); got == "" || got != msgs[3].Content || slow.hits.Load() != 1 {
		t.Fatalf("while the image server hangs the answer shows %d of %d bytes (%d image requests)", len(got), len(msgs[3].Content), slow.hits.Load())
	}

	// The timeout fires: the request is cancelled, the placeholder says so.
	fire <- time.Now()
	h.settle()
	<-slow.cancelled
	v = viewWith(t, imageViewsIn(h.w.win.Content()), "“slow”")
	if !strings.Contains(viewText(v), "did not arrive within 10 s") || findButton(test.LaidOutObjects(v), "Load image") != nil {
		t.Errorf("after the timeout the placeholder says %q", viewText(v))
	}
	if slow.hits.Load() != 1 || h.w.images.Started != 1 {
		t.Errorf("%d requests, %d fetches started", slow.hits.Load(), h.w.images.Started)
	}
}

// loaderRig is a loader on a bridge whose posts the test runs, for images
// shown outside a window.
type loaderRig struct {
	t *testing.T
	l *Loader
	q chan func()
}

func newLoaderRig(t *testing.T) *loaderRig {
	test.NewTempApp(t)
	r := &loaderRig{t: t, q: make(chan func(), 1024)}
	b := bridge.New()
	b.Post = func(f func()) { r.q <- f }
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r.l = NewLoader(b, ctx)
	return r
}

// view shows markdown holding one image and returns its view once it no
// longer waits for the loader.
func (r *loaderRig) view(md string) *ImageView {
	r.t.Helper()
	host := &imageHost{}
	host.use(r.l)
	rt := newRichText()
	setMarkdown(rt, md, host)
	views := imageViewsIn(rt)
	if len(views) != 1 {
		r.t.Fatalf("%d image views for %q", len(views), md)
	}
	return views[0]
}

func (r *loaderRig) settle(v *ImageView) {
	r.t.Helper()
	deadline := time.After(20 * time.Second)
	for len(r.l.loading) > 0 {
		select {
		case f := <-r.q:
			f()
		case <-deadline:
			r.t.Fatal("timed out waiting for the loader")
		}
	}
}

func TestLoadedImagesAreBoundedInSizeKindAndPixels(t *testing.T) {
	srv := newImageServer(t, false)
	r := newLoaderRig(t)
	for _, tc := range []struct{ path, want string }{
		{"/big.png", "larger than 10 MB"},
		{"/big-chunked.png", "larger than 10 MB"},
		{"/page.html", "not a PNG, JPEG, GIF or WebP image"},
		{"/missing.png", "answered 404 Not Found"},
		{"/fine.png", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			v := r.view("![x](" + srv.URL + tc.path + ")")
			test.Tap(findButton(test.LaidOutObjects(v), "Load image"))
			r.settle(v)
			got := viewText(v)
			if tc.want == "" {
				if v.shown != "image" {
					t.Fatalf("a small PNG shows %q", got)
				}
				return
			}
			if !strings.Contains(got, tc.want) || strings.Contains(got, "secret reason") {
				t.Errorf("shows %q, want %q", got, tc.want)
			}
		})
	}
	if n := srv.hits.Load(); n != 5 {
		t.Errorf("%d requests for 5 images", n)
	}
	// A bomb: a few bytes claiming 100,000 × 100,000 pixels is not decoded.
	bomb := base64.StdEncoding.EncodeToString(hugePNG(100000, 100000))
	v := r.view("![bomb](data:image/png;base64," + bomb + ")")
	r.settle(v)
	if got := viewText(v); !strings.Contains(got, "too large (100000 × 100000 pixels)") {
		t.Errorf("a pixel bomb shows %q", got)
	}
}

func TestDataImagesRenderInlineUpTo2MB(t *testing.T) {
	r := newLoaderRig(t)
	small := r.view("![dot](data:image/png;base64," + base64.StdEncoding.EncodeToString(pngBytes(300, 100)) + ")")
	r.settle(small)
	if small.shown != "image" {
		t.Fatalf("a small data: image shows %q", viewText(small))
	}
	// Scaled to fit: in a 150-wide message the 300×100 image is 150×50.
	small.Resize(fyne.NewSize(150, 10))
	if s := small.MinSize(); s.Height != 50 {
		t.Errorf("at width 150 the image is %v tall, want 50", s.Height)
	}
	big := make([]byte, 2<<20+100)
	bigView := r.view("![big](data:image/png;base64," + base64.StdEncoding.EncodeToString(big) + ")")
	r.settle(bigView)
	if got := viewText(bigView); !strings.Contains(got, "over 2 MB") {
		t.Errorf("a 2 MB+ data: image shows %q", got)
	}
	junk := r.view("![junk](data:text/plain,hello)")
	r.settle(junk)
	if got := viewText(junk); !strings.Contains(got, "not a PNG") {
		t.Errorf("a data: text shows %q", got)
	}
	if r.l.Started != 2 { // small and junk; big never started
		t.Errorf("%d decodes started, want 2", r.l.Started)
	}
}

func TestImageCacheIsBoundedInBytes(t *testing.T) {
	c := newImageCache(3 * 100 * 100 * 4)
	img := image.NewRGBA(image.Rect(0, 0, 100, 100))
	img.Set(0, 0, color.White)
	for i := range 5 {
		c.put(fmt.Sprint(i), imageEntry{img: img})
	}
	if c.size > c.max || c.get("0") != nil || c.get("1") != nil || c.get("4") == nil {
		t.Errorf("cache holds %d bytes (max %d); oldest kept: %v", c.size, c.max, c.get("0") != nil)
	}
}
