package intro

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/bridge/bridgetest"
)

// fakeHost is a Host with a real store but no main window: it records the
// prompts it is asked to use and the chats it is asked to start. Posted UI
// work waits until settle runs it.
type fakeHost struct {
	t     testing.TB
	b     *bridge.Bridge
	st    *store.Store
	bq    *bridgetest.Queue // the bridge's posted work, run by settle
	used  []string          // UsePrompt's prompts, in order
	added int               // NewConversation calls
}

func newFakeHost(t testing.TB, setup func(st *store.Store)) *fakeHost {
	t.Helper()
	test.NewTempApp(t)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if setup != nil {
		setup(st)
	}
	h := &fakeHost{t: t, st: st}
	h.bq = bridgetest.New(64)
	h.b = h.bq.B
	return h
}

func (h *fakeHost) Bridge() *bridge.Bridge  { return h.b }
func (h *fakeHost) Store() *store.Store     { return h.st }
func (h *fakeHost) UsePrompt(prompt string) { h.used = append(h.used, prompt) }
func (h *fakeHost) NewConversation()        { h.added++ }

func (h *fakeHost) RecentChats(n int) []string {
	convs, err := h.st.Conversations()
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []string
	for _, c := range convs[:min(n, len(convs))] {
		ids = append(ids, c.ID)
	}
	return ids
}

// settle runs posted UI work until no background work is left.
func (h *fakeHost) settle() {
	h.t.Helper()
	h.bq.Settle(h.t)
}

// chatsAsking stores one chat per question, the last one the most recent.
func chatsAsking(t *testing.T, questions ...string) func(st *store.Store) {
	return func(st *store.Store) {
		for _, q := range questions {
			c, err := st.CreateConversation(store.Conversation{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleUser, Content: q, State: store.StateDone}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func findButton(objs []fyne.CanvasObject, text string) *widget.Button {
	for _, o := range objs {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}

func TestRecentPromptsSkipRepeatsAndLongOnesAreShortened(t *testing.T) {
	long := strings.Repeat("word ", 200) + "\nsecond line"
	h := newFakeHost(t, chatsAsking(t, "same", "Same ", long, "  ", "other"))
	got, err := readPrompts(h.st, h.RecentChats(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "other" || got[1] != strings.TrimSpace(long) || !strings.EqualFold(got[2], "same") {
		t.Fatalf("recent prompts %q", got)
	}
	b := promptButton(h, long, nil)
	if r := []rune(b.Text); len(r) != buttonRunes || !strings.HasSuffix(b.Text, "…") || strings.Contains(b.Text, "second") {
		t.Errorf("a long prompt's button says %q", b.Text)
	}
	test.Tap(b)
	if len(h.used) != 1 || h.used[0] != long {
		t.Error("the button did not hand the whole prompt to the composer")
	}
}

// TestThePaneTalksToTheAppOnlyThroughItsHost builds the no-chat pane on a
// fake host: it reads the recent questions of the host's chats, and its
// buttons ask the host to start a chat or use a prompt.
func TestThePaneTalksToTheAppOnlyThroughItsHost(t *testing.T) {
	h := newFakeHost(t, chatsAsking(t, "How do Go channels work?"))
	pane := Pane(h)
	w := test.NewTempWindow(t, pane)
	w.Resize(fyne.NewSize(800, 700))
	if findButton(test.LaidOutObjects(pane), "How do Go channels work?") != nil {
		t.Fatal("the recent questions were shown before they were read")
	}
	h.settle()
	objs := test.LaidOutObjects(pane)
	recent, example, add := findButton(objs, "How do Go channels work?"), findButton(objs, strings.TrimSpace(Examples[2])), findButton(objs, "New chat")
	if recent == nil || example == nil || add == nil {
		t.Fatalf("pane buttons: recent %v, example %v, new chat %v", recent != nil, example != nil, add != nil)
	}
	test.Tap(recent)
	test.Tap(example)
	if len(h.used) != 2 || h.used[0] != "How do Go channels work?" || h.used[1] != Examples[2] {
		t.Errorf("prompts handed to the composer %q", h.used)
	}
	test.Tap(add)
	if h.added != 1 {
		t.Errorf("New chat started %d chats", h.added)
	}
}
