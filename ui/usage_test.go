package ui

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	openai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/usage"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// openedUsage is the open Usage window, or nil.
func (w *window) openedUsage() *usage.View { return usage.Of(usageHost{w}) }

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
	id := h.w.pane.selected
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
	if !h.shown().views[1].Badge.Visible() {
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
	if u.Loads() != 1 {
		t.Fatalf("%d loads finished", u.Loads())
	}

	// Per conversation, most expensive first.
	if len(u.Conversations()) != 2 {
		t.Fatalf("conversations %+v", u.Conversations())
	}
	a, b := u.Conversations()[0], u.Conversations()[1]
	if a.ID != alpha || a.Title != "Alpha" || a.Total.Requests != 3 || a.Total.PromptTokens+a.Total.CompletionTokens != 57 || !near(a.Total.Cost, 0.078, 1e-9) {
		t.Errorf("first row %+v, want Alpha: 3 requests, 57 tokens, $0.078", a)
	}
	if b.ID != beta || b.Title != "Beta" || b.Total.Requests != 1 || b.Total.Cached != 1 || b.Total.PromptTokens+b.Total.CompletionTokens != 19 || b.Total.Cost != 0 {
		t.Errorf("second row %+v, want Beta: 1 cached request, 19 tokens, $0", b)
	}
	shown := everyText(test.LaidOutObjects(u.Window().Content()))
	for _, want := range []string{"Alpha", "Beta", "$0.078", "57", "19"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the window does not show %q:\n%s", want, shown)
		}
	}

	// Totals.
	if u.Tokens.Title != "76 tokens" || u.Cost.Title != "$0.078" || u.Requests.Title != "4 requests" || !strings.HasPrefix(u.Requests.Subtitle, "1 from the cache") {
		t.Errorf("tiles %q %q %q (%q)", u.Tokens.Title, u.Cost.Title, u.Requests.Title, u.Requests.Subtitle)
	}
	// The cache hit rate is the engine's: 1 hit of 3 lookups (not 1 cached
	// answer of 4 requests).
	_, want := usage.CacheRate(hits, misses)
	if want != "33%" || u.Cache.Title != "33% cache hits" || u.Ring.Text() != "33%" || !near(u.Ring.Frac(), 1.0/3, 1e-9) {
		t.Errorf("cache tile %q, ring %q (%v)", u.Cache.Title, u.Ring.Text(), u.Ring.Frac())
	}
	if !strings.Contains(u.RingNote.Text, "1 answer came from the cache: 19 tokens not sent") {
		t.Errorf("cache note %q", u.RingNote.Text)
	}

	// Per day: 30 days, today's bar is Local's 76 tokens.
	d := u.Bars.Data()
	if len(d.Labels) != usage.Days || len(d.Series) != 1 || d.Series[0].Name != "Local" || d.Values[usage.Days-1][0] != 76 {
		t.Fatalf("bars %+v", d)
	}
	for i, row := range d.Values[:usage.Days-1] {
		if row[0] != 0 {
			t.Errorf("day %d has %v tokens", i, row[0])
		}
	}
	u.ShowDay(usage.Days - 1)
	if !strings.Contains(u.DayInfo.Text, "Local 76 tokens") || !strings.Contains(u.DayInfo.Text, "4 requests (1 from the cache)") {
		t.Errorf("today's figures %q", u.DayInfo.Text)
	}
	u.Mode.SetSelected(usage.ModeCost)
	if d := u.Bars.Data(); !d.Money || !near(d.Values[usage.Days-1][0], 0.078, 1e-9) {
		t.Errorf("cost bars %+v", d.Values[usage.Days-1])
	}
	// Time to first token: the three answers that went to the server.
	if rows := u.TTFT.Rows(); len(rows) != 1 || rows[0].Name != "Local" || rows[0].N != 3 || rows[0].P50 < 0 || rows[0].P99 < rows[0].P50 {
		t.Errorf("ttft rows %+v", rows)
	}

	// Choosing a conversation opens it in the main window.
	u.List.Select(0)
	h.settle()
	if h.w.pane.selected != alpha {
		t.Errorf("choosing Alpha's row shows %q, want %q", h.w.pane.selected, alpha)
	}

	// Opening it again brings the same window forward.
	if again := h.w.openUsage(ft.every); again != u {
		t.Error("a second Usage window was opened")
	}
	u.Window().Close()
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
	row := u.LiveRow("Local")
	if row == nil {
		t.Fatal("no live row for Local")
	}
	if row.Requests.Text != "2" || row.Errors.Text != "none" || row.Breaker.Text != "closed" || row.InFlight.Text != "0" || row.Queued.Text != "0" {
		t.Errorf("live row: requests %q, errors %q, breaker %q, in flight %q, queued %q", row.Requests.Text, row.Errors.Text, row.Breaker.Text, row.InFlight.Text, row.Queued.Text)
	}

	// The key is rejected three times: the breaker opens.
	srv.setReply(func(openai.ChatCompletionRequest) (int, string) {
		return http.StatusUnauthorized, "Incorrect API key provided"
	})
	for i := range 3 {
		h.ask(fmt.Sprintf("question %d", i))
		h.settle()
	}
	if row.Requests.Text != "2" {
		t.Fatalf("the live metrics changed without a tick: %q", row.Requests.Text)
	}
	if !ft.tick() {
		t.Fatal("the tick asked to stop while the window is open")
	}
	h.settle()
	row = u.LiveRow("Local")
	if row.Requests.Text != "5" || row.Errors.Text != "auth 3" || !strings.HasPrefix(row.Breaker.Text, "open until ") {
		t.Errorf("after a tick: requests %q, errors %q, breaker %q", row.Requests.Text, row.Errors.Text, row.Breaker.Text)
	}
	// The tick saw new requests: the ledger was read again.
	if u.Loads() < 2 || u.Requests.Title != "5 requests" {
		t.Errorf("after %d loads the tile says %q, want 5 requests", u.Loads(), u.Requests.Title)
	}

	u.Window().Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) // Esc closes it
	if ft.stops != 1 {
		t.Errorf("the ticker was stopped %d times on close", ft.stops)
	}
	if h.w.openedUsage() != nil {
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
		if ft2.stops != 1 || h.w.openedUsage() != nil {
			t.Errorf("closeUsage left the ticker running (%d stops)", ft2.stops)
		}
	}
}
