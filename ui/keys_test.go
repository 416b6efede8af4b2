package ui

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/deskchat/deskchat/store"
)

// press types key k as Fyne's desktop driver delivers it: to the focused
// widget, or to the canvas when nothing has the focus.
func (h *harness) press(k fyne.KeyName) {
	h.t.Helper()
	c := h.w.win.Canvas()
	ev := &fyne.KeyEvent{Name: k}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	c.OnTypedKey()(ev)
}

func TestEscClosesEveryDialogAndMenu(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("a question to have a chat")
	h.settle()
	chat := h.w.pane.selected
	answer := h.shown().views[1]
	for _, c := range []struct {
		name string
		open func()
	}{
		{"search", h.w.showSearch},
		{"keyboard shortcuts", h.w.showShortcuts},
		{"rename", h.w.askRename},
		{"delete chat", h.w.askDelete},
		{"delete message", func() { h.w.askDeleteMessage(answer) }},
		{"system prompt", h.w.askSystemPrompt},
		{"compare", h.w.askCompare},
		{"export", h.w.showExport},
		{"import", h.w.showImport},
		{"settings", h.w.openSettings},
		{"error", func() { h.w.showError("Could not do it", errors.New("the disk is full")) }},
		{"chat menu", h.w.showMore},
		{"app menu", h.w.showAppMenu},
	} {
		c.open()
		h.settle()
		if h.w.win.Canvas().Overlays().Top() == nil {
			t.Fatalf("%s: nothing opened", c.name)
		}
		if f := h.w.win.Canvas().Focused(); f != nil {
			test.Type(f, "x") // typing in the dialog's field, if it has one
		}
		h.press(fyne.KeyEscape)
		h.settle()
		if top := h.w.win.Canvas().Overlays().Top(); top != nil {
			t.Errorf("%s: Esc left %T open", c.name, top)
			for h.w.win.Canvas().Overlays().Top() != nil {
				h.w.win.Canvas().Overlays().Remove(h.w.win.Canvas().Overlays().Top())
			}
		}
	}
	// Esc answered "no": nothing was deleted or renamed.
	if msgs := h.messages(chat); len(msgs) != 2 {
		t.Errorf("%d messages after Esc closed the dialogs, want 2", len(msgs))
	}
	if c, _ := h.st.Conversation(chat); c.TitleEdited {
		t.Errorf("Esc in the rename dialog renamed the chat to %q", c.Title)
	}
	// With no dialog open Esc still stops the answer (TestEscStopsTheAnswer)
	// and does nothing else here.
	h.press(fyne.KeyEscape)
	if h.w.pane.selected != chat {
		t.Error("Esc with nothing open changed the chat shown")
	}
}

func TestF1FromTheComposerOpensTheShortcuts(t *testing.T) {
	h := newHarness(t, useSimulator)
	c := h.w.win.Canvas()
	if c.Focused() != h.w.compose.Input {
		t.Fatalf("the composer does not have the focus (%T has)", c.Focused())
	}
	test.Type(h.w.compose.Input, "half a question")
	h.press(fyne.KeyF1)
	if h.w.overlays.help == nil || c.Overlays().Top() == nil {
		t.Fatal("F1 in the composer showed no shortcut list")
	}
	if h.w.compose.Input.Text != "half a question" {
		t.Errorf("F1 changed the composer's text to %q", h.w.compose.Input.Text)
	}
	h.press(fyne.KeyEscape)
	if c.Overlays().Top() != nil {
		t.Fatal("Esc left the shortcut list open")
	}
	// Ctrl+/ too, as the driver hands a shortcut to the focused composer.
	c.Focus(h.w.compose.Input)
	h.w.compose.Input.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeySlash, Modifier: fyne.KeyModifierShortcutDefault})
	if c.Overlays().Top() == nil {
		t.Error("Ctrl+/ in the composer showed no shortcut list")
	}
}

func TestMenusOpenedNearTheEdgesStayInsideTheWindow(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("a question to have a chat")
	h.settle()
	for _, size := range []fyne.Size{{Width: 1000, Height: 700}, {Width: 900, Height: 180}} {
		h.w.win.Resize(size)
		for name, open := range map[string]func(){"chat menu": h.w.showMore, "app menu": h.w.showAppMenu} {
			open()
			m := h.w.overlays.menu
			area := h.w.win.Canvas().Size()
			p, s := m.Position(), m.Size()
			if p.X < 0 || p.Y < 0 || p.X+s.Width > area.Width || p.Y+s.Height > area.Height {
				t.Errorf("%s in a %v window: at %v, %v big: not inside", name, area, p, s)
			}
			h.press(fyne.KeyEscape)
		}
	}
}

func TestClampInto(t *testing.T) {
	area := fyne.NewSize(800, 600)
	for _, c := range []struct{ pos, size, want fyne.Position }{
		{fyne.NewPos(10, 10), fyne.NewPos(100, 100), fyne.NewPos(10, 10)},
		{fyne.NewPos(780, 590), fyne.NewPos(100, 100), fyne.NewPos(700, 500)},
		{fyne.NewPos(-5, 20), fyne.NewPos(100, 100), fyne.NewPos(0, 20)},
		{fyne.NewPos(10, 10), fyne.NewPos(900, 700), fyne.NewPos(0, 0)}, // bigger than the window: its start shows
	} {
		if got := clampInto(c.pos, fyne.NewSize(c.size.X, c.size.Y), area); got != c.want {
			t.Errorf("clampInto(%v, %v) = %v, want %v", c.pos, c.size, got, c.want)
		}
	}
}

func TestHomeAndEndGoToTheFirstAndLastMessageOfALongChat(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		id = longChat(t, st, 2000)
	})
	h.w.show(id)
	h.settle()
	cv := h.shown()
	c := h.w.win.Canvas()
	shows := func(seq uint64) bool {
		for _, v := range cv.views {
			if v.Seq == seq {
				y, _ := cv.rowY(anchor{obj: v.Obj, v: v})
				return onScreen(cv, y, v.Obj.Size().Height)
			}
		}
		return false
	}
	for round := 0; round < 2; round++ {
		// Home with the focus nowhere, Ctrl+Home from the composer.
		if round == 0 {
			c.Unfocus()
			h.press(fyne.KeyHome)
		} else {
			c.Focus(h.w.compose.Input)
			h.w.compose.Input.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyHome, Modifier: fyne.KeyModifierShortcutDefault})
		}
		h.settle()
		if !cv.atStart || cv.views[0].Seq != 1 || cv.scroll.Offset.Y != 0 || !shows(1) {
			t.Fatalf("round %d: Home shows seqs %d… at offset %v", round, cv.views[0].Seq, cv.scroll.Offset.Y)
		}
		if round == 0 {
			c.Unfocus()
			h.press(fyne.KeyEnd)
		} else {
			h.w.compose.Input.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyEnd, Modifier: fyne.KeyModifierShortcutDefault})
		}
		h.settle()
		if last := cv.views[len(cv.views)-1].Seq; !cv.atEnd || last != 2000 || !isAtBottom(cv.scroll) || !shows(2000) {
			t.Fatalf("round %d: End shows up to seq %d, at the bottom: %v", round, last, isAtBottom(cv.scroll))
		}
	}
	// With a dialog open the keys do not move the chat behind it.
	h.w.showShortcuts()
	at := cv.scroll.Offset.Y
	for _, k := range []fyne.KeyName{fyne.KeyHome, fyne.KeyPageUp} {
		h.press(k)
		h.settle()
	}
	if cv.scroll.Offset.Y != at || cv.views[0].Seq == 1 {
		t.Errorf("Home and Page Up with the shortcut list open moved the chat from %v to %v", at, cv.scroll.Offset.Y)
	}
	h.press(fyne.KeyEscape)
}

func TestAWheelNotchAndPageDownMoveInProportionToTheView(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		id = chatWithAnswer(t, st, longAnswer(30000))
	})
	h.w.show(id)
	h.settle()
	cv := h.shown()
	c := h.w.win.Canvas()
	view := cv.scroll.Size().Height
	mid := fyne.CurrentApp().Driver().AbsolutePositionForObject(cv.scroll).Add(fyne.NewPos(cv.scroll.Size().Width/2, view/2))
	before := cv.scroll.Offset.Y
	test.Scroll(c, mid, 0, wheelNotch) // one notch up, as the desktop driver sends it
	if moved := before - cv.scroll.Offset.Y; moved < view/10 {
		t.Errorf("one wheel notch moved %v px of a %v px view, want at least a tenth", moved, view)
	}
	// The margins beside the reading column scroll too.
	before = cv.scroll.Offset.Y
	test.Scroll(c, fyne.CurrentApp().Driver().AbsolutePositionForObject(cv.scroll).Add(fyne.NewPos(2, view/2)), 0, wheelNotch)
	if moved := before - cv.scroll.Offset.Y; moved < view/10 {
		t.Errorf("a notch in the margin moved %v px", moved)
	}
	c.Focus(h.w.compose.Input)
	before = cv.scroll.Offset.Y
	h.press(fyne.KeyPageUp)
	if moved := before - cv.scroll.Offset.Y; moved < 0.85*view || moved > view {
		t.Errorf("Page Up from the composer moved %v px of a %v px view, want about one view", moved, view)
	}
	before = cv.scroll.Offset.Y
	h.press(fyne.KeyPageDown)
	if moved := cv.scroll.Offset.Y - before; moved < 0.85*view || moved > view {
		t.Errorf("Page Down moved %v px of a %v px view", moved, view)
	}
}

func TestEscClosesADialogBeforeItStopsTheAnswerAndClosesTheUsageWindow(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.eng.SetSimulatorRate(100)
	h.ask("tell me a long story")
	h.liveAnswer(hasText)
	cv := h.shown()
	h.w.showShortcuts()
	h.press(fyne.KeyEscape)
	if h.w.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Esc left the shortcut list open")
	}
	if cv.live == nil {
		t.Fatal("Esc that closed a dialog also stopped the answer")
	}
	h.press(fyne.KeyEscape) // nothing open now: it stops the answer
	h.settle()
	if msgs := h.messages(cv.id); cv.live != nil || msgs[len(msgs)-1].State != store.StateStopped {
		t.Fatalf("the second Esc: live %v, stored state %s", cv.live != nil, msgs[len(msgs)-1].State)
	}

	u := h.w.openUsage((&fakeTicker{}).every)
	h.settle()
	u.Window().Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.settle()
	if h.w.openedUsage() != nil {
		t.Error("Esc left the usage window open")
	}
}
