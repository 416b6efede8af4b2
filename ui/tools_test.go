package ui

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge/bridgetest"
	"github.com/deskchat/deskchat/ui/internal/toolview"
)

// fakeTools is the window's toolbox in tests: server "srv" offers "echo",
// which answers with its arguments; it counts the calls and its Close.
type fakeTools struct {
	mu     sync.Mutex
	calls  int
	closed int
}

func (f *fakeTools) Tools(ctx context.Context, servers []string) ([]engine.ToolInfo, error) {
	return []engine.ToolInfo{{Server: "srv", Name: "echo", Description: "says it back", Schema: json.RawMessage(`{"type":"object"}`)}}, nil
}

func (f *fakeTools) Call(ctx context.Context, server, tool string, args json.RawMessage) (engine.ToolResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return engine.ToolResult{Text: "echo: " + string(args)}, nil
}

func (f *fakeTools) Servers() []string { return []string{"srv"} }

func (f *fakeTools) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
	return nil
}

func (f *fakeTools) count() (calls, closed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.closed
}

// newToolHarness is newHarness with fakeTools as the engine's toolbox and
// the window's, and a chat that may use "srv" (chosen: its Tools) asked
// with the Simulator.
func newToolHarness(t *testing.T, chosen []string, setup func(st *store.Store, c store.Conversation)) (*harness, *fakeTools) {
	t.Helper()
	a := test.NewTempApp(t)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	useSimulator(st)
	c, err := st.CreateConversation(store.Conversation{Title: "tools", Provider: engine.SimulatorName, Tools: chosen})
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(st, c)
	}
	tb := &fakeTools{}
	eng := engine.New(st, engine.Options{Toolbox: tb})
	eng.SetSimulatorRate(0)
	h := &harness{t: t, st: st, eng: eng, bq: bridgetest.New(1 << 16)}
	h.w = newWindow(a, Deps{Engine: eng, Store: st, Tools: tb}, h.bq.B)
	h.w.compose.Choose = nil
	h.w.win.Resize(fyne.NewSize(1000, 700))
	t.Cleanup(func() { h.w.shutdown(5 * time.Second) })
	h.settle()
	return h, tb
}

// card waits for the shown answer's approval card.
func (h *harness) card() *toolview.Card {
	h.t.Helper()
	var c *toolview.Card
	h.settleUntil("an approval card", func() bool {
		if cv := h.w.pane.chats[h.w.pane.selected]; cv != nil && cv.live != nil {
			if cards := cv.live.view.Tools.Cards(); len(cards) > 0 {
				c = cards[0]
			}
		}
		return c != nil
	})
	return c
}

// answered waits for the shown chat's answer to end, failing if a card
// shows meanwhile when noCard.
func (h *harness) answered(noCard bool) {
	h.t.Helper()
	h.settleUntil("the answer to end", func() bool {
		cv := h.w.pane.chats[h.w.pane.selected]
		if noCard && cv != nil && cv.live != nil && len(cv.live.view.Tools.Cards()) > 0 {
			h.t.Fatal("a card asked about a tool the user always allows")
		}
		return cv != nil && cv.live == nil
	})
	h.settle()
}

func lastAnswer(h *harness) store.Message {
	msgs := h.messages(h.w.pane.selected)
	return msgs[len(msgs)-1]
}

func TestApprovalAllowOnceRunsTheToolAndFoldsItsResult(t *testing.T) {
	h, tb := newToolHarness(t, []string{"srv"}, nil)
	h.ask(`please use echo {"text":"hi"}`)
	c := h.card()
	if c.Text.Text != "srv wants to run echo with" || !strings.Contains(c.Args.Text, `"text": "hi"`) {
		t.Fatalf("card says %q / %q", c.Text.Text, c.Args.Text)
	}
	test.Tap(c.Once)
	h.answered(false)
	if calls, _ := tb.count(); calls != 1 {
		t.Fatalf("the tool ran %d times, want 1", calls)
	}
	v := h.shown().views[len(h.shown().views)-1]
	if len(v.Tools.Uses) != 1 || !strings.HasPrefix(toolview.Title(v.Tools.Uses[0]), "Used srv/echo · ") || !v.Tools.Box.Visible() || len(v.Tools.Cards()) != 0 {
		t.Fatalf("folded calls: %+v", v.Tools.Uses)
	}
	if m := lastAnswer(h); len(m.Tools) != 1 || !strings.Contains(m.Tools[0].Result, "echo: ") {
		t.Fatalf("stored calls: %+v", m.Tools)
	}
}

func TestApprovalAlwaysIsNotAskedAgain(t *testing.T) {
	h, tb := newToolHarness(t, []string{"srv"}, nil)
	h.ask("use echo")
	test.Tap(h.card().Always)
	h.answered(false)
	h.ask("use echo again")
	h.answered(true)
	if calls, _ := tb.count(); calls != 2 {
		t.Fatalf("the tool ran %d times, want 2", calls)
	}
}

func TestApprovalDenyRunsNothing(t *testing.T) {
	h, tb := newToolHarness(t, []string{"srv"}, nil)
	h.ask("use echo")
	test.Tap(h.card().Denied)
	h.answered(false)
	if calls, _ := tb.count(); calls != 0 {
		t.Fatalf("a declined tool ran %d times", calls)
	}
	v := h.shown().views[len(h.shown().views)-1]
	if len(v.Tools.Uses) != 1 || toolview.Title(v.Tools.Uses[0]) != "Declined srv/echo" {
		t.Fatalf("folded calls: %+v", v.Tools.Uses)
	}
	if m := lastAnswer(h); len(m.Tools) != 1 || !m.Tools[0].Declined {
		t.Fatalf("stored calls: %+v", m.Tools)
	}
}

func TestStopWhileACardAsksDeclinesAndTakesTheCardAway(t *testing.T) {
	h, tb := newToolHarness(t, []string{"srv"}, nil)
	h.ask("use echo")
	h.card()
	view := h.shown().live.view
	h.w.stop()
	h.answered(false)
	if calls, _ := tb.count(); calls != 0 {
		t.Fatalf("the tool ran %d times after Stop", calls)
	}
	if n := len(view.Tools.Cards()); n != 0 {
		t.Fatalf("%d cards left after Stop", n)
	}
}

func TestAChatWithoutToolsOffersNone(t *testing.T) {
	h, tb := newToolHarness(t, nil, nil)
	h.ask("use echo")
	h.answered(true)
	if calls, _ := tb.count(); calls != 0 {
		t.Fatalf("the tool ran %d times in a chat that chose none", calls)
	}
	if m := lastAnswer(h); len(m.Tools) != 0 {
		t.Fatalf("stored calls: %+v", m.Tools)
	}
}

func TestToolsMenuChoosesTheChatsServersAndStoresThem(t *testing.T) {
	h, _ := newToolHarness(t, nil, nil)
	b := h.w.compose.Tools
	if !b.Visible() || b.Text != "Tools" {
		t.Fatalf("the Tools button: visible %v, %q", b.Visible(), b.Text)
	}
	menu := h.w.compose.ToolsMenu()
	if len(menu.Items) != 1 || menu.Items[0].Label != "srv" || menu.Items[0].Checked {
		t.Fatalf("menu: %+v", menu.Items)
	}
	menu.Items[0].Action()
	h.settle()
	c, err := h.st.Conversation(h.w.pane.selected)
	if err != nil || len(c.Tools) != 1 || c.Tools[0] != "srv" {
		t.Fatalf("stored tools %v (%v)", c.Tools, err)
	}
	if b.Text != "Tools · 1" || !h.w.compose.ToolsMenu().Items[0].Checked {
		t.Fatalf("after choosing: %q", b.Text)
	}
	h.w.compose.ToolsMenu().Items[0].Action()
	h.settle()
	if c, _ := h.st.Conversation(h.w.pane.selected); len(c.Tools) != 0 || b.Text != "Tools" {
		t.Fatalf("after turning it off: %v, %q", c.Tools, b.Text)
	}
}

func TestAStoredAnswerShowsItsToolsFolded(t *testing.T) {
	h, _ := newToolHarness(t, nil, func(st *store.Store, c store.Conversation) {
		if _, err := st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleUser, Content: "use echo", State: store.StateDone}); err != nil {
			t.Fatal(err)
		}
		_, err := st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleAssistant, Content: "It said hi.", State: store.StateDone,
			Tools: []store.ToolUse{{Round: 1, CallID: "c1", Name: "srv__echo", Server: "srv", Tool: "echo", Arguments: `{"text":"hi"}`, Result: "hi", TookMs: 120},
				{Round: 1, CallID: "c2", Name: "srv__echo", Server: "srv", Tool: "echo", Arguments: `{}`, Declined: true}}})
		if err != nil {
			t.Fatal(err)
		}
	})
	views := h.shown().views
	v := views[len(views)-1]
	if len(v.Tools.Uses) != 2 || !v.Tools.Box.Visible() {
		t.Fatalf("folded: %+v", v.Tools.Uses)
	}
	acc := v.Tools.Box.Objects[0].(*widget.Accordion)
	if acc.Items[0].Title != "Used srv/echo · 120 ms" || acc.Items[1].Title != "Declined srv/echo" {
		t.Fatalf("titles %q, %q", acc.Items[0].Title, acc.Items[1].Title)
	}
	detail := acc.Items[0].Detail.(*widget.Label).Text
	if !strings.Contains(detail, `"text": "hi"`) || !strings.Contains(detail, "Result\nhi") {
		t.Fatalf("detail %q", detail)
	}
	if q := views[len(views)-2]; q.Tools.Box.Visible() {
		t.Fatal("a question shows a tools box")
	}
}

func TestShutdownClosesTheToolServers(t *testing.T) {
	h, tb := newToolHarness(t, nil, nil)
	h.w.shutdown(5 * time.Second)
	if _, closed := tb.count(); closed != 1 {
		t.Fatalf("Close called %d times, want 1", closed)
	}
}

func TestToolsChosenBeforeAChatBeginsGoWithIt(t *testing.T) {
	h, tb := newToolHarness(t, nil, nil)
	h.w.delete(h.w.pane.selected) // the only chat: none is shown now
	h.settle()
	if h.w.pane.selected != "" {
		t.Fatalf("a chat is still shown: %q", h.w.pane.selected)
	}
	h.w.compose.ToolsMenu().Items[0].Action()
	if b := h.w.compose.Tools; b.Text != "Tools · 1" || b.Disabled() {
		t.Fatalf("the Tools button says %q (disabled %v)", b.Text, b.Disabled())
	}
	h.ask("use echo")
	test.Tap(h.card().Once)
	h.answered(false)
	c, err := h.st.Conversation(h.w.pane.selected)
	if err != nil || len(c.Tools) != 1 || c.Tools[0] != "srv" {
		t.Fatalf("the new chat's tools %v (%v)", c.Tools, err)
	}
	if calls, _ := tb.count(); calls != 1 || len(h.w.compose.NewTools) != 0 {
		t.Fatalf("calls %d, left chosen %v", calls, h.w.compose.NewTools)
	}
}
