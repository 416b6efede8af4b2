package search

import (
	"strconv"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	_ "github.com/deskchat/deskchat/internal/localefix" // quiet Fyne under LANG=C.UTF-8
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/bridge/bridgetest"
)

// fakeHost is the app as the search dialog sees it: a real store, a
// window on Fyne's test driver, and a bridge whose posted work the test
// goroutine runs.
type fakeHost struct {
	t       *testing.T
	win     fyne.Window
	st      *store.Store
	b       *bridge.Bridge
	bq      *bridgetest.Queue // the bridge's posted work, run by settle
	escapes int
	opened  []string // "conversation id/seq", in the order OpenAt was called
}

func (h *fakeHost) Window() fyne.Window        { return h.win }
func (h *fakeHost) ShowDialog(d dialog.Dialog) { d.Show() }
func (h *fakeHost) Bridge() *bridge.Bridge     { return h.b }
func (h *fakeHost) Store() *store.Store        { return h.st }
func (h *fakeHost) Escape()                    { h.escapes++ }
func (h *fakeHost) OpenAt(convID string, seq uint64) {
	h.opened = append(h.opened, convID+"/"+strconv.FormatUint(seq, 10))
}

// settleUntil runs posted UI work until cond holds.
func (h *fakeHost) settleUntil(what string, cond func() bool) {
	h.t.Helper()
	h.bq.SettleUntil(h.t, what, cond)
}

func newFakeHost(t *testing.T) *fakeHost {
	test.NewTempApp(t)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	msg := func(seq uint64, role store.Role, text string) store.Message {
		return store.Message{Seq: seq, Role: role, Content: text, State: store.StateDone, CreatedAt: at, UpdatedAt: at}
	}
	ims := []store.Import{
		{Dump: store.Dump{Conversation: store.Conversation{ID: "aaaaaaaaaaaa", Title: "Garden", CreatedAt: at, UpdatedAt: at},
			Messages: []store.Message{msg(1, store.RoleUser, "when to plant tomatoes"), msg(2, store.RoleAssistant, "after the last frost")}}},
		{Dump: store.Dump{Conversation: store.Conversation{ID: "bbbbbbbbbbbb", Title: "Cluster", CreatedAt: at, UpdatedAt: at},
			Messages: []store.Message{msg(1, store.RoleUser, "why do pods restart"), msg(2, store.RoleAssistant, "kubernetes restarts pods whose liveness probe fails")}}},
	}
	if _, err := st.ImportConversations(ims); err != nil {
		t.Fatal(err)
	}
	h := &fakeHost{t: t, st: st}
	h.bq = bridgetest.New(64)
	h.b = h.bq.B
	h.win = test.NewWindow(widget.NewLabel("the chats"))
	h.win.Resize(fyne.NewSize(1000, 700))
	t.Cleanup(h.win.Close)
	return h
}

// Typing a query lists what matches after the pause; choosing a result
// asks the host to open its conversation at that message; Esc in the field
// is the host's.
func TestTypingListsHitsAndChoosingOneOpensIt(t *testing.T) {
	h := newFakeHost(t)
	s := Open(h)
	if h.win.Canvas().Focused() != s.Entry {
		t.Error("the query field does not have the focus")
	}
	test.Type(s.Entry, "liveness")
	h.settleUntil("the results", func() bool { return len(s.Results()) > 0 })
	rs := s.Results()
	if len(rs) != 1 || rs[0].ConversationID != "bbbbbbbbbbbb" || rs[0].Seq != 2 {
		t.Fatalf("results %+v", rs)
	}
	if s.info.Text != "1 match" {
		t.Errorf("the dialog says %q", s.info.Text)
	}
	s.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.escapes != 1 {
		t.Errorf("Esc in the field reached the host %d times", h.escapes)
	}
	s.List.Select(0)
	if len(h.opened) != 1 || h.opened[0] != "bbbbbbbbbbbb/2" {
		t.Errorf("choosing the result opened %q", h.opened)
	}
	if h.win.Canvas().Overlays().Top() != nil {
		t.Error("the dialog stays open after a result was chosen")
	}
}
