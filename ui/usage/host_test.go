package usage

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/bridge/bridgetest"
)

// fakeHost is a Host with a real store and engine but no main window: it
// records the conversations it is asked to show. Posted UI work waits until
// settle runs it, as in the main window's tests.
type fakeHost struct {
	t     testing.TB
	app   fyne.App
	b     *bridge.Bridge
	eng   *engine.Engine
	st    *store.Store
	bq    *bridgetest.Queue // the bridge's posted work, run by settle
	shown []string          // ShowConversation's ids, in order
}

func newFakeHost(t testing.TB, setup func(st *store.Store)) *fakeHost {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if setup != nil {
		setup(st)
	}
	h := &fakeHost{t: t, app: test.NewTempApp(t), st: st, eng: engine.New(st, engine.Options{})}
	h.bq = bridgetest.New(1 << 10)
	h.b = h.bq.B
	t.Cleanup(func() { Close(h) })
	return h
}

func (h *fakeHost) App() fyne.App              { return h.app }
func (h *fakeHost) Bridge() *bridge.Bridge     { return h.b }
func (h *fakeHost) Engine() *engine.Engine     { return h.eng }
func (h *fakeHost) Store() *store.Store        { return h.st }
func (h *fakeHost) ShowConversation(id string) { h.shown = append(h.shown, id) }

// settle runs posted UI work until no background work is left.
func (h *fakeHost) settle() {
	h.t.Helper()
	h.bq.Settle(h.t)
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

// everyText is every text shown in objs.
func everyText(objs []fyne.CanvasObject) string {
	var sb strings.Builder
	for _, o := range objs {
		switch o := o.(type) {
		case *widget.Label:
			sb.WriteString(o.Text + "\n")
		case *widget.RichText:
			sb.WriteString(o.String() + "\n")
		case *widget.Button:
			sb.WriteString(o.Text + "\n")
		case *canvas.Text:
			sb.WriteString(o.Text + "\n")
		}
	}
	return sb.String()
}

// TestUsageTalksToTheAppOnlyThroughItsHost opens the window on a fake host:
// it reads the host's ledger and titles, asks the host to show a chosen
// conversation, and Open, Of and Close keep one window per host.
func TestUsageTalksToTheAppOnlyThroughItsHost(t *testing.T) {
	var cheap, dear string
	h := newFakeHost(t, func(st *store.Store) {
		for _, c := range []struct {
			title string
			cost  float64
			id    *string
		}{{"Cheap", 0.01, &cheap}, {"Dear", 0.5, &dear}} {
			conv, err := st.CreateConversation(store.Conversation{Title: c.title})
			if err != nil {
				t.Fatal(err)
			}
			*c.id = conv.ID
			cost := c.cost
			if err := st.AddUsage(store.UsageRecord{Time: time.Now(), ConversationID: conv.ID, Provider: "Local", Model: "m",
				PromptTokens: 10, CompletionTokens: 5, Outcome: "done", TTFTMillis: 200, Cost: &cost}); err != nil {
				t.Fatal(err)
			}
		}
	})
	other := newFakeHost(t, nil)

	ft := &fakeTicker{}
	u := Open(h, ft.every)
	h.settle()
	if Of(h) != u || Of(other) != nil {
		t.Fatal("the window is not registered for its host alone")
	}
	if rows := u.Conversations(); len(rows) != 2 || rows[0].ID != dear || rows[0].Title != "Dear" || rows[1].ID != cheap {
		t.Fatalf("rows %+v, want Dear then Cheap", rows)
	}
	if u.Requests.Title != "2 requests" || u.Cost.Title != "$0.51" {
		t.Errorf("tiles %q, %q", u.Requests.Title, u.Cost.Title)
	}

	u.List.Select(0)
	if len(h.shown) != 1 || h.shown[0] != dear {
		t.Errorf("choosing Dear asked the host to show %v", h.shown)
	}
	if again := Open(h, (&fakeTicker{}).every); again != u {
		t.Error("a second Usage window was opened for one host")
	}
	Close(h)
	if ft.stops != 1 || Of(h) != nil {
		t.Errorf("Close: %d stops, still registered %v", ft.stops, Of(h) != nil)
	}
}
