package ui

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage/repository"
	"fyne.io/fyne/v2/test"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/markdown"
	"github.com/deskchat/deskchat/ui/internal/markdown/mdtest"
)

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
	data := base64.StdEncoding.EncodeToString(mdtest.PNG(24, 12))
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
func imageViewsIn(o fyne.CanvasObject) []*markdown.ImageView {
	var out []*markdown.ImageView
	for _, c := range test.LaidOutObjects(o) {
		if v, ok := c.(*markdown.ImageView); ok {
			out = append(out, v)
		}
	}
	return out
}

func viewText(v *markdown.ImageView) string { return everyText(test.LaidOutObjects(v)) }

func viewWith(t *testing.T, views []*markdown.ImageView, s string) *markdown.ImageView {
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
	web, tls := mdtest.NewImageServer(t, false), mdtest.NewImageServer(t, true)
	secret := filepath.Join(t.TempDir(), "secret.png")
	if err := os.WriteFile(secret, mdtest.PNG(8, 8), 0o600); err != nil {
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
		if n := web.Hits.Load() + tls.Hits.Load(); n != 0 {
			t.Fatalf("%s: the image servers got %d requests: %v %v", when, n, web.Paths(), tls.Paths())
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
	if live.Md.Text() != answer {
		t.Fatalf("the answer did not stream whole: %d of %d bytes", len(live.Md.Text()), len(answer))
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
		if v.Loaded() {
			embedded++
		}
	}
	if embedded != 1 {
		t.Errorf("%d images shown inline, want 1 (the data: image)", embedded)
	}

	// Open the chat again, re-render it, resize and scroll it.
	id := h.w.pane.selected
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
	if n := web.Hits.Load(); n != 1 {
		t.Fatalf("one click made %d requests (%v)", n, web.Paths())
	}
	if got := web.Paths(); got[0] != "/leak" {
		t.Errorf("fetched %v", got)
	}
	shown := 0
	for _, v := range imageViewsIn(h.w.win.Content()) {
		if v.Alt() == "leak" && v.Loaded() {
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
		if v.Alt() == "leak" && !v.Loaded() {
			t.Errorf("a reopened leak image shows %q", viewText(v))
		}
	}
	test.Tap(findButton(test.LaidOutObjects(again), "Load image"))
	h.settle()
	if web.Hits.Load() != 1 || tls.Hits.Load() != 1 {
		t.Errorf("requests after reopening and one more click: %d web, %d tls; want 1 and 1", web.Hits.Load(), tls.Hits.Load())
	}
}

func TestASlowImageServerNeverBlocksTheWindowAndTimesOut(t *testing.T) {
	slow := mdtest.NewImageServer(t, false)
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
	<-slow.Arrived
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
	msgs := h.messages(h.w.pane.selected)
	if got := h.shown().views[3].Md.Text(); got == "" || got != msgs[3].Content || slow.Hits.Load() != 1 {
		t.Fatalf("while the image server hangs the answer shows %d of %d bytes (%d image requests)", len(got), len(msgs[3].Content), slow.Hits.Load())
	}

	// The timeout fires: the request is cancelled, the placeholder says so.
	fire <- time.Now()
	h.settle()
	<-slow.Cancelled
	v = viewWith(t, imageViewsIn(h.w.win.Content()), "“slow”")
	if !strings.Contains(viewText(v), "did not arrive within 10 s") || findButton(test.LaidOutObjects(v), "Load image") != nil {
		t.Errorf("after the timeout the placeholder says %q", viewText(v))
	}
	if slow.Hits.Load() != 1 || h.w.images.Started != 1 {
		t.Errorf("%d requests, %d fetches started", slow.Hits.Load(), h.w.images.Started)
	}
}
