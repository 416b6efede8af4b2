package ui

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	openai "github.com/sashabaranov/go-openai"

	"deskchat/engine"
	"deskchat/store"
	"deskchat/ui/internal/chart"
	"deskchat/ui/internal/look"
)

// fixedMeasure measures text as 7 px a character, 14 px high.
func fixedMeasure(s string) fyne.Size { return fyne.NewSize(float32(len([]rune(s)))*7, 14) }

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// texts returns the visible canvas texts among objs.
func texts(objs []fyne.CanvasObject) []*canvas.Text {
	var out []*canvas.Text
	for _, o := range objs {
		if t, ok := o.(*canvas.Text); ok && t.Visible() {
			out = append(out, t)
		}
	}
	return out
}

// fakeTicker stands in for the bridge's every: the test calls the tick
// itself and sees whether the ticker was stopped.
type fakeTicker struct {
	d     time.Duration
	tick  func() bool
	stops int
}

func (ft *fakeTicker) every(d time.Duration, f func() bool) func() {
	ft.d, ft.tick = d, f
	return func() { ft.stops++ }
}

// pricedServer is a chat server as provider "Local" (model m1 at $1,000 in
// and $2,000 out per million tokens: each answer's 12 + 7 tokens cost
// $0.026).
func pricedServer(t *testing.T) (*chatServer, func(*store.Store)) {
	srv := newChatServer(t, echo)
	return srv, func(st *store.Store) {
		useServer(t, srv)(st)
		if err := st.SetSetting(store.SettingPrices, `{"m1": {"input": 1000, "output": 2000}}`); err != nil {
			t.Fatal(err)
		}
	}
}

// namedChat starts a chat called title (so that no title is asked for) and
// asks questions in it.
func (h *harness) namedChat(title string, questions ...string) string {
	h.t.Helper()
	h.w.newConversation()
	h.settle()
	id := h.w.selected
	h.w.rename(id, title)
	h.settle()
	for _, q := range questions {
		h.ask(q)
		h.settle()
	}
	return id
}

func TestUsageShowsTotalsPerConversationAndTheCacheHitRate(t *testing.T) {
	srv, setup := pricedServer(t)
	h := newHarness(t, setup)
	alpha := h.namedChat("Alpha", "one", "two")
	h.w.regenerate() // never from the cache: no lookup, so the ledger's share of cached answers is not the hit rate
	h.settle()
	beta := h.namedChat("Beta", "one") // the same first question: from the cache
	if !h.shown().views[1].badge.Visible() {
		t.Fatal("Beta's answer did not come from the cache")
	}
	if n := len(srv.requests()); n != 3 {
		t.Fatalf("%d requests reached the server, want 3", n)
	}
	hits, misses := h.eng.CacheCounters()
	if hits != 1 || misses != 2 {
		t.Fatalf("engine cache counters: %d hits, %d misses", hits, misses)
	}

	ft := &fakeTicker{}
	u := h.w.openUsage(ft.every)
	h.settle()
	if u.loads != 1 {
		t.Fatalf("%d loads finished", u.loads)
	}

	// Per conversation, most expensive first.
	if len(u.convs) != 2 {
		t.Fatalf("conversations %+v", u.convs)
	}
	a, b := u.convs[0], u.convs[1]
	if a.id != alpha || a.title != "Alpha" || a.total.Requests != 3 || a.total.PromptTokens+a.total.CompletionTokens != 57 || !near(a.total.Cost, 0.078, 1e-9) {
		t.Errorf("first row %+v, want Alpha: 3 requests, 57 tokens, $0.078", a)
	}
	if b.id != beta || b.title != "Beta" || b.total.Requests != 1 || b.total.Cached != 1 || b.total.PromptTokens+b.total.CompletionTokens != 19 || b.total.Cost != 0 {
		t.Errorf("second row %+v, want Beta: 1 cached request, 19 tokens, $0", b)
	}
	shown := everyText(test.LaidOutObjects(u.win.Content()))
	for _, want := range []string{"Alpha", "Beta", "$0.0780", "57", "19"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the window does not show %q:\n%s", want, shown)
		}
	}

	// Totals.
	if u.tokens.Title != "76 tokens" || u.cost.Title != "$0.0780" || u.requests.Title != "4 requests" || !strings.HasPrefix(u.requests.Subtitle, "1 from the cache") {
		t.Errorf("tiles %q %q %q (%q)", u.tokens.Title, u.cost.Title, u.requests.Title, u.requests.Subtitle)
	}
	// The cache hit rate is the engine's: 1 hit of 3 lookups (not 1 cached
	// answer of 4 requests).
	_, want := usageCacheRate(hits, misses)
	if want != "33%" || u.cache.Title != "33% cache hits" || u.ring.Text() != "33%" || !near(u.ring.Frac(), 1.0/3, 1e-9) {
		t.Errorf("cache tile %q, ring %q (%v)", u.cache.Title, u.ring.Text(), u.ring.Frac())
	}
	if !strings.Contains(u.ringNote.Text, "1 answer came from the cache: 19 tokens not sent") {
		t.Errorf("cache note %q", u.ringNote.Text)
	}

	// Per day: 30 days, today's bar is Local's 76 tokens.
	d := u.bars.Data()
	if len(d.Labels) != usageDays || len(d.Series) != 1 || d.Series[0].Name != "Local" || d.Values[usageDays-1][0] != 76 {
		t.Fatalf("bars %+v", d)
	}
	for i, row := range d.Values[:usageDays-1] {
		if row[0] != 0 {
			t.Errorf("day %d has %v tokens", i, row[0])
		}
	}
	u.showDay(usageDays - 1)
	if !strings.Contains(u.dayInfo.Text, "Local 76 tokens") || !strings.Contains(u.dayInfo.Text, "4 requests (1 from the cache)") {
		t.Errorf("today's figures %q", u.dayInfo.Text)
	}
	u.modeSel.SetSelected(usageModeCost)
	if d := u.bars.Data(); !d.Money || !near(d.Values[usageDays-1][0], 0.078, 1e-9) {
		t.Errorf("cost bars %+v", d.Values[usageDays-1])
	}
	// Time to first token: the three answers that went to the server.
	if rows := u.ttft.Rows(); len(rows) != 1 || rows[0].Name != "Local" || rows[0].N != 3 || rows[0].P50 < 0 || rows[0].P99 < rows[0].P50 {
		t.Errorf("ttft rows %+v", rows)
	}

	// Choosing a conversation opens it in the main window.
	u.convList.Select(0)
	h.settle()
	if h.w.selected != alpha {
		t.Errorf("choosing Alpha's row shows %q, want %q", h.w.selected, alpha)
	}

	// Opening it again brings the same window forward.
	if again := h.w.openUsage(ft.every); again != u {
		t.Error("a second Usage window was opened")
	}
	u.win.Close()
}

func TestUsageLiveMetricsRefreshOnATickAndStopWhenClosed(t *testing.T) {
	srv, setup := pricedServer(t)
	h := newHarness(t, setup)
	h.namedChat("Alpha", "one", "two")

	ft := &fakeTicker{}
	u := h.w.openUsage(ft.every)
	h.settle()
	if ft.d != time.Second || ft.tick == nil {
		t.Fatalf("ticker every %v", ft.d)
	}
	row := u.liveRows["Local"]
	if row == nil {
		t.Fatalf("no live row for Local: %v", u.liveRows)
	}
	if row.requests.Text != "2" || row.errors.Text != "none" || row.breaker.Text != "closed" || row.inFlight.Text != "0" || row.queued.Text != "0" {
		t.Errorf("live row: requests %q, errors %q, breaker %q, in flight %q, queued %q", row.requests.Text, row.errors.Text, row.breaker.Text, row.inFlight.Text, row.queued.Text)
	}

	// The key is rejected three times: the breaker opens.
	srv.setReply(func(openai.ChatCompletionRequest) (int, string) {
		return http.StatusUnauthorized, "Incorrect API key provided"
	})
	for i := range 3 {
		h.ask(fmt.Sprintf("question %d", i))
		h.settle()
	}
	if row.requests.Text != "2" {
		t.Fatalf("the live metrics changed without a tick: %q", row.requests.Text)
	}
	if !ft.tick() {
		t.Fatal("the tick asked to stop while the window is open")
	}
	h.settle()
	row = u.liveRows["Local"]
	if row.requests.Text != "5" || row.errors.Text != "auth 3" || !strings.HasPrefix(row.breaker.Text, "open until ") {
		t.Errorf("after a tick: requests %q, errors %q, breaker %q", row.requests.Text, row.errors.Text, row.breaker.Text)
	}
	// The tick saw new requests: the ledger was read again.
	if u.loads < 2 || u.requests.Title != "5 requests" {
		t.Errorf("after %d loads the tile says %q, want 5 requests", u.loads, u.requests.Title)
	}

	u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) // Esc closes it
	if ft.stops != 1 {
		t.Errorf("the ticker was stopped %d times on close", ft.stops)
	}
	if usageViews[h.w] != nil {
		t.Error("the closed window is still registered")
	}
	if ft.tick() {
		t.Error("a tick after closing asked to go on")
	}
	if n := h.w.b.Busy.Load(); n != 0 {
		t.Errorf("a tick after closing started %d reads", n)
	}
	// Opening it again makes a new window with its own ticker.
	ft2 := &fakeTicker{}
	if u2 := h.w.openUsage(ft2.every); u2 == u || ft2.tick == nil {
		t.Error("reopening did not start a new window")
	} else {
		h.settle()
		h.w.closeUsage()
		if ft2.stops != 1 || usageViews[h.w] != nil {
			t.Errorf("closeUsage left the ticker running (%d stops)", ft2.stops)
		}
	}
}

func TestUsageWithNoRequestsSaysSo(t *testing.T) {
	h := newHarness(t, useSimulator)
	u := h.w.openUsage((&fakeTicker{}).every)
	h.settle()
	if g := chart.LayoutBars(u.bars.Data(), fyne.NewSize(500, 300), fixedMeasure); !g.Empty || u.bars.EmptyText() != usageNoRequests {
		t.Errorf("bars: %q", u.bars.EmptyText())
	}
	shown := everyText(test.LaidOutObjects(u.win.Content()))
	for _, want := range []string{usageNoRequests, usageNoAnswers, "No conversation made a request", "No provider has been used yet."} {
		if !strings.Contains(shown, want) {
			t.Errorf("the empty window does not say %q", want)
		}
	}
	if u.tokens.Title != "0 tokens" || u.cache.Title != "– cache hits" || !math.IsNaN(u.ring.Frac()) {
		t.Errorf("tiles %q, %q, ring %v", u.tokens.Title, u.cache.Title, u.ring.Frac())
	}
	u.win.Resize(fyne.NewSize(1000, 1100))
	capture(t, u.win, filepath.Join(pngDir(t), "usage-empty.png"))
	u.win.Close()
}

// TestUsageWindowRenders draws the window in light and dark with staged
// data (several providers, a month of days) and checks that the charts
// keep their drawing inside themselves. The PNGs go to $USAGE_PNG_DIR if
// set, else to a temporary directory.
func TestUsageWindowRenders(t *testing.T) {
	dir := pngDir(t)
	for _, variant := range []string{look.ThemeLight, look.ThemeDark} {
		t.Run(variant, func(t *testing.T) {
			h := newHarness(t, func(st *store.Store) {
				useSimulator(st)
				writeMonth(t, st)
			})
			h.w.app.Settings().SetTheme(theme.DefaultTheme()) // the test driver's own theme is neither
			look.ApplyTheme(h.w.app, variant)
			u := newUsageView(h.w)
			u.states = func() ([]engine.ProviderState, error) { return liveSample(time.Now()), nil }
			load := u.loadData
			u.loadData = func() (usageData, error) {
				d, err := load()
				d.hits, d.misses = 23, 187 // as if the cache had been used all along
				return d, err
			}
			u.open((&fakeTicker{}).every)
			h.settle()
			if len(u.convs) != 5 || len(u.bars.Data().Series) != 4 || len(u.ttft.Rows()) != 4 {
				t.Fatalf("staged %d conversations, %d providers, %d ttft rows", len(u.convs), len(u.bars.Data().Series), len(u.ttft.Rows()))
			}
			u.win.Resize(fyne.NewSize(1000, 1500)) // tall enough to show it all
			for _, w := range []fyne.Widget{u.bars, u.ttft, u.ring} {
				checkInside(t, w)
			}
			capture(t, u.win, filepath.Join(dir, "usage-"+variant+".png"))
			// Narrow, at the width the columns need: the charts lay out again.
			u.win.Resize(fyne.NewSize(u.win.Content().MinSize().Width, 900))
			for _, w := range []fyne.Widget{u.bars, u.ttft, u.ring} {
				checkInside(t, w)
			}
			capture(t, u.win, filepath.Join(dir, "usage-"+variant+"-narrow.png"))
			u.win.Close()
		})
	}
}

// pngDir is where captures go: $USAGE_PNG_DIR, else a temporary directory.
func pngDir(t *testing.T) string {
	if dir := os.Getenv("USAGE_PNG_DIR"); dir != "" {
		return dir
	}
	return t.TempDir()
}

// capture saves what win shows as a PNG at path.
func capture(t *testing.T, win fyne.Window, path string) {
	t.Helper()
	img := win.Canvas().Capture()
	if distinct := colours(img); distinct < 20 {
		t.Errorf("the capture has %d colours: nothing drawn?", distinct)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s (%v)", path, win.Canvas().Size())
}

// checkInside fails when a visible part of w's drawing lies outside it.
func checkInside(t *testing.T, w fyne.Widget) {
	t.Helper()
	size := w.Size()
	if size.Width <= 0 || size.Height <= 0 {
		t.Errorf("%T has no size", w)
		return
	}
	for _, o := range test.WidgetRenderer(w).Objects() {
		if !o.Visible() {
			continue
		}
		p, s := o.Position(), o.Size()
		if l, ok := o.(*canvas.Line); ok {
			p, s = l.Position1, fyne.NewSize(l.Position2.X-l.Position1.X, l.Position2.Y-l.Position1.Y)
		}
		if t2, ok := o.(*canvas.Text); ok {
			s = t2.MinSize()
		}
		if p.X < -0.5 || p.Y < -0.5 || p.X+s.Width > size.Width+0.5 || p.Y+s.Height > size.Height+0.5 {
			t.Errorf("%T: %T at %v size %v is outside %v", w, o, p, s, size)
		}
	}
}

func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}] = true
		}
	}
	return len(seen)
}

// writeMonth stores five conversations and a month of ledger lines from
// four providers (one without a price), some answered from the cache.
func writeMonth(t *testing.T, st *store.Store) {
	t.Helper()
	var ids []string
	for _, title := range []string{"Refactor the billing service", "Go channels explained", "Trip to Lisbon", "SQL window functions", "Release notes for 2.4"} {
		c, err := st.CreateConversation(store.Conversation{Title: title})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	provs := []struct {
		name  string
		price float64 // $ per million tokens; 0: unknown
		ttft  int64
	}{{"OpenAI", 0.6, 420}, {"Anthropic", 4, 650}, {"Groq", 0.08, 140}, {"Ollama", 0, 900}}
	y, m, d := time.Now().Date()
	seq := 0
	for day := 0; day < usageDays; day++ {
		at := time.Date(y, m, d-usageDays+1+day, 9, 0, 0, 0, time.Local)
		for i := 0; i < 3+(day*7)%9; i++ {
			seq++
			p := provs[(seq*7+day)%len(provs)]
			in, out := 300+(seq*137)%2400, 120+(seq*61)%900
			rec := store.UsageRecord{Time: at.Add(time.Duration(i) * time.Minute), ConversationID: ids[seq%len(ids)], Provider: p.name, Model: "m",
				PromptTokens: in, CompletionTokens: out, Outcome: "done", TTFTMillis: p.ttft/2 + int64(seq*37%100)*p.ttft/60}
			if seq%9 == 0 {
				zero := 0.0
				rec.Cached, rec.Cost, rec.TTFTMillis = true, &zero, 3
			} else if p.price > 0 {
				c := float64(in+out) * p.price / 1e6
				rec.Cost = &c
			}
			if err := st.AddUsage(rec); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// liveSample is live metrics with work in flight, a queue, errors and an
// open breaker.
func liveSample(now time.Time) []engine.ProviderState {
	return []engine.ProviderState{
		{Metrics: engine.Metrics{Provider: "Anthropic", InFlight: 1, Requests: 96, Retries: 4, Errors: map[engine.ErrorKind]int64{engine.KindRateLimited: 2}}, Breaker: engine.BreakerClosed},
		{Metrics: engine.Metrics{Provider: "Groq", Requests: 61, Retries: 9, Errors: map[engine.ErrorKind]int64{engine.KindServer: 5}}, Breaker: engine.BreakerOpen, Failures: 3, ReopensAt: now.Add(24 * time.Second)},
		{Metrics: engine.Metrics{Provider: "Ollama", Requests: 58}, Breaker: engine.BreakerClosed},
		{Metrics: engine.Metrics{Provider: "OpenAI", InFlight: 2, Queued: 3, Requests: 214, Retries: 1}, Breaker: engine.BreakerHalfOpen, Failures: 3},
	}
}
