package ui

import (
	"github.com/deskchat/deskchat/ui/intro"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
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
	example := findButton(objs, strings.TrimSpace(intro.Examples[0]))
	if recent == nil || example == nil {
		t.Fatalf("intro buttons: recent %v, example %v in %q", recent != nil, example != nil, everyText(objs))
	}
	test.Tap(example)
	if h.w.compose.Input.Text != intro.Examples[0] || h.w.win.Canvas().Focused() != h.w.compose.Input {
		t.Fatalf("after the example: composer %q", h.w.compose.Input.Text)
	}
	if h.w.compose.Input.CursorColumn != len([]rune(intro.Examples[0])) {
		t.Errorf("cursor at column %d, not at the end", h.w.compose.Input.CursorColumn)
	}
	test.Tap(recent)
	if h.w.compose.Input.Text != "How do Go channels work?" {
		t.Fatalf("after the recent question: composer %q", h.w.compose.Input.Text)
	}
	pressEnter(h.w.compose.Input)
	h.settle()
	if cv.intro != nil || len(cv.views) != 2 {
		t.Errorf("after sending: intro %v, %d messages", cv.intro != nil, len(cv.views))
	}
	for _, o := range cv.col.Objects {
		if findButton(test.LaidOutObjects(o), strings.TrimSpace(intro.Examples[0])) != nil {
			t.Error("the intro is still in the chat after sending")
		}
	}
}

func TestTheNoChatPaneOffersPromptsToo(t *testing.T) {
	h := newHarness(t, nil)
	if h.w.pane.selected != "" {
		t.Fatal("a chat is shown in an empty history")
	}
	objs := test.LaidOutObjects(h.w.pane.empty)
	b := findButton(objs, strings.TrimSpace(intro.Examples[1]))
	if b == nil || findButton(objs, "New chat") == nil {
		t.Fatalf("the empty pane shows %q", everyText(objs))
	}
	test.Tap(b)
	if h.w.compose.Input.Text != intro.Examples[1] {
		t.Errorf("composer %q", h.w.compose.Input.Text)
	}
}
