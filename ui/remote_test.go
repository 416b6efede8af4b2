package ui

import (
	"testing"

	"github.com/deskchat/deskchat/store"
)

// TestRemoteReloadsWhatACommandChanged: after a command run for the
// command line, the window reads its chat list and the chat shown again.
func TestRemoteReloadsWhatACommandChanged(t *testing.T) {
	var first store.Conversation
	h := newHarness(t, func(st *store.Store) {
		var err error
		if first, err = st.CreateConversation(store.Conversation{Title: "shown"}); err != nil {
			t.Fatal(err)
		}
	})
	before := h.shown()
	if _, err := h.st.CreateConversation(store.Conversation{Title: "asked from the command line"}); err != nil {
		t.Fatal(err)
	}
	r := &Remote{}
	r.Changed() // before the window: nothing
	r.attach(h.w)
	r.Changed()
	h.settleUntil("the new chat listed", func() bool { return len(h.w.side.convs) == 2 })
	h.settle()
	if h.w.pane.selected != first.ID {
		t.Fatalf("the window shows %q, want the chat it showed", h.w.pane.selected)
	}
	if h.shown() == before {
		t.Fatal("the chat shown was not read again")
	}
	r.Activate()
	r.attach(nil)
	r.Changed() // after the window: nothing
}
