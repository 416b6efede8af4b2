package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"deskchat/store"
)

func TestTheEmptyChatOffersRecentAndExamplePrompts(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("How do Go channels work?")
	h.settle()
	h.w.newConversation()
	h.settle()
	cv := h.shown()
	if cv.intro == nil || len(cv.views) != 0 {
		t.Fatalf("a new chat shows no intro (%d messages)", len(cv.views))
	}
	objs := test.LaidOutObjects(cv.intro)
	recent := findButton(objs, "How do Go channels work?")
	example := findButton(objs, strings.TrimSpace(examplePrompts[0]))
	if recent == nil || example == nil {
		t.Fatalf("intro buttons: recent %v, example %v in %q", recent != nil, example != nil, everyText(objs))
	}
	test.Tap(example)
	if h.w.composer.Text != examplePrompts[0] || h.w.win.Canvas().Focused() != h.w.composer {
		t.Fatalf("after the example: composer %q", h.w.composer.Text)
	}
	if h.w.composer.CursorColumn != len([]rune(examplePrompts[0])) {
		t.Errorf("cursor at column %d, not at the end", h.w.composer.CursorColumn)
	}
	test.Tap(recent)
	if h.w.composer.Text != "How do Go channels work?" {
		t.Fatalf("after the recent question: composer %q", h.w.composer.Text)
	}
	pressEnter(h.w.composer)
	h.settle()
	if cv.intro != nil || len(cv.views) != 2 {
		t.Errorf("after sending: intro %v, %d messages", cv.intro != nil, len(cv.views))
	}
	for _, o := range cv.col.Objects {
		if findButton(test.LaidOutObjects(o), strings.TrimSpace(examplePrompts[0])) != nil {
			t.Error("the intro is still in the chat after sending")
		}
	}
}

func TestTheNoChatPaneOffersPromptsToo(t *testing.T) {
	h := newHarness(t, nil)
	if h.w.selected != "" {
		t.Fatal("a chat is shown in an empty history")
	}
	objs := test.LaidOutObjects(h.w.empty)
	b := findButton(objs, strings.TrimSpace(examplePrompts[1]))
	if b == nil || findButton(objs, "New chat") == nil {
		t.Fatalf("the empty pane shows %q", everyText(objs))
	}
	test.Tap(b)
	if h.w.composer.Text != examplePrompts[1] {
		t.Errorf("composer %q", h.w.composer.Text)
	}
}

func TestRecentPromptsSkipRepeatsAndLongOnesAreShortened(t *testing.T) {
	long := strings.Repeat("word ", 200) + "\nsecond line"
	h := newHarness(t, func(st *store.Store) {
		for _, q := range []string{"same", "Same ", long, "  ", "other"} {
			c, err := st.CreateConversation(store.Conversation{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleUser, Content: q, State: store.StateDone}); err != nil {
				t.Fatal(err)
			}
		}
	})
	ids := make([]string, len(h.w.convs))
	for i, c := range h.w.convs {
		ids[i] = c.ID
	}
	got, err := h.w.recentPrompts(ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "other" || got[1] != strings.TrimSpace(long) || !strings.EqualFold(got[2], "same") {
		t.Fatalf("recent prompts %q", got)
	}
	b := h.w.promptButton(long, nil)
	if r := []rune(b.Text); len(r) != promptButtonRunes || !strings.HasSuffix(b.Text, "…") || strings.Contains(b.Text, "second") {
		t.Errorf("a long prompt's button says %q", b.Text)
	}
	test.Tap(b)
	if h.w.composer.Text != long {
		t.Error("the button did not fill the composer with the whole prompt")
	}
}
