package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/internal/pagedamage"
	"github.com/deskchat/deskchat/store"
)

// damagedChats is how many chats damagedListHarness's history holds.
const damagedChats = 120

// damagedListHarness is a window on a history of damagedChats chats with
// the first page of its list of chats overwritten.
func damagedListHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range damagedChats {
		// Long titles: the list spans pages of its own.
		c, err := st.CreateConversation(store.Conversation{Title: fmt.Sprintf("chat %03d %s", i, strings.Repeat("about the harbour ", 8))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleUser, State: store.StateDone, Content: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	useSimulator(st) // a provider: no welcome dialog
	st.Close()
	path := filepath.Join(dir, store.FileName)
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	leaf := pagedamage.FirstLeaf(t, file, "conversations")
	if err := os.WriteFile(path, pagedamage.Overwrite(file, leaf.ID, 0, pagedamage.PageSize), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := store.Check(dir)
	if err != nil || len(rep.Partial)+len(rep.Lost) == 0 {
		t.Fatalf("check found nothing lost: %+v, %v", rep, err)
	}
	st, err = store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return harnessOn(t, st)
}

// TestADamagedListShowsTheChatsThatCanBeRead: with a page of the list of
// chats overwritten, the window lists the chats a page-by-page read still
// finds, instead of none, and says once (not at every reload) how many it
// could not read and what to do.
func TestADamagedListShowsTheChatsThatCanBeRead(t *testing.T) {
	const chats = damagedChats
	h := damagedListHarness(t)
	listed := len(h.w.side.convs)
	if listed == 0 || listed >= chats {
		t.Fatalf("the window lists %d of %d chats", listed, chats)
	}
	said := labelWith(h.topDialog(), "damaged")
	for _, want := range []string{"damaged where the list of chats is kept", fmt.Sprintf("%d chats could not be read", chats-listed), "deskchat recover"} {
		if !strings.Contains(said, want) {
			t.Errorf("the window said %q; want %q in it", said, want)
		}
	}
	h.tapDialogButton("OK")
	h.w.loadConversations("")
	h.settle()
	if top := h.w.win.Canvas().Overlays().Top(); top != nil {
		t.Error("a reload of the damaged list said it again")
	}
	if len(h.w.side.convs) != listed {
		t.Errorf("a reload lists %d chats, the first load %d", len(h.w.side.convs), listed)
	}
}
