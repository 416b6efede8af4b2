package ui

import (
	"fmt"
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
)

// windowIsConsistent fails t unless cv's views are its column's rows, in
// order, within maxWindow, and hold contiguous messages of the chat.
func windowIsConsistent(t *testing.T, cv *chatView, when string) {
	t.Helper()
	if len(cv.views) > maxWindow || len(cv.col.Objects) != len(cv.views) {
		t.Fatalf("%s: %d views and %d rows, want the same number and at most %d", when, len(cv.views), len(cv.col.Objects), maxWindow)
	}
	for i, v := range cv.views {
		if cv.col.Objects[i] != v.Obj {
			t.Fatalf("%s: row %d is not message %d's view", when, i, v.Seq)
		}
	}
	if s := seqsOf(cv); !contiguous(s) {
		t.Fatalf("%s: the window holds messages %v, with a gap", when, s)
	}
}

// A long session in one chat keeps a window of messages, not every message
// it showed: each exchange's widgets were kept for the life of the chat view
// (about 1 MB of heap per exchange in the window, and all laid out each
// frame). The oldest drop once an answer ends and scrolling up reads them
// back.
func TestALongSessionKeepsAWindowOfMessages(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		id = longChat(t, st, 200)
	})
	cv := h.shown()
	for len(cv.views) < maxWindow { // the user reads up to a full window
		first := cv.views[0].Seq
		scrollBy(cv, cv.scroll.Content.MinSize().Height)
		h.settleUntil("a page above", func() bool { return cv.views[0].Seq < first })
		h.settle()
	}
	scrollBy(cv, -cv.scroll.Content.MinSize().Height) // back to the end
	h.settle()
	windowIsConsistent(t, cv, "before the session")

	for i := 1; i <= 4; i++ {
		h.ask(fmt.Sprintf("Question %d of the session", i))
		h.settle()
		when := fmt.Sprintf("after exchange %d", i)
		windowIsConsistent(t, cv, when)
		if last := cv.views[len(cv.views)-1]; last.Seq != uint64(200+2*i) || !last.Last || cv.live != nil {
			t.Fatalf("%s: the last view is message %d (last %v)", when, last.Seq, last.Last)
		}
		if !isAtBottom(cv.scroll) {
			t.Fatalf("%s: the chat no longer shows its end", when)
		}
		if cv.atStart {
			t.Fatalf("%s: the window claims to hold the chat's start", when)
		}
	}
	if got := cv.views[0].Seq; got != 208-sessionWindow+1 || len(cv.views) != sessionWindow {
		t.Errorf("the window holds %d messages from %d, want %d from %d", len(cv.views), got, sessionWindow, 208-sessionWindow+1)
	}

	// The dropped messages come back when the user scrolls up to them.
	first := cv.views[0].Seq
	scrollBy(cv, cv.scroll.Content.MinSize().Height)
	h.settleUntil("a page above", func() bool { return cv.views[0].Seq < first })
	h.settle()
	windowIsConsistent(t, cv, "scrolled up")
	if cv.views[0].Seq != first-pageSize {
		t.Errorf("scrolling up read back from message %d, want %d", cv.views[0].Seq, first-pageSize)
	}
	if n := len(h.messages(id)); n != 208 {
		t.Errorf("%d messages stored, want 208", n)
	}
}

// What the user reads is never dropped: with the oldest rows on the screen
// when an answer ends, the window grows past sessionWindow for now and nothing
// moves; once the user is back at the end, the next answer trims it.
func TestMessagesOnTheScreenAreNotDropped(t *testing.T) {
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		longChat(t, st, sessionWindow-2)
	})
	cv := h.shown()
	for !cv.atStart {
		first := cv.views[0].Seq
		scrollBy(cv, cv.scroll.Content.MinSize().Height)
		h.settleUntil("a page above", func() bool { return cv.views[0].Seq < first })
		h.settle()
	}
	for i := 1; i <= 2; i++ {
		h.ask(fmt.Sprintf("Question %d while reading the start", i))
		h.liveAnswer(nil)
		scrollBy(cv, cv.scroll.Content.MinSize().Height) // up to the chat's first message
		h.settle()
	}
	if len(cv.views) != sessionWindow+2 || cv.views[0].Seq != 1 || !cv.atStart || cv.scroll.Offset.Y != 0 {
		t.Fatalf("reading the start: %d views from message %d (atStart %v), scrolled to %v", len(cv.views), cv.views[0].Seq, cv.atStart, cv.scroll.Offset.Y)
	}
	scrollBy(cv, -cv.scroll.Content.MinSize().Height)
	h.ask("Back at the end")
	h.settle()
	windowIsConsistent(t, cv, "back at the end")
	if len(cv.views) != sessionWindow || cv.atStart || !isAtBottom(cv.scroll) {
		t.Errorf("back at the end: %d views (atStart %v, at bottom %v)", len(cv.views), cv.atStart, isAtBottom(cv.scroll))
	}
}

// The soak hook asks through the Send button's path, one question after
// the other, and reports each answer as it ends.
func TestSoakAsksOneQuestionAfterTheOther(t *testing.T) {
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		longChat(t, st, 2)
	})
	var got []int
	h.w.soak(&Soak{Questions: 3, Pace: time.Millisecond, Answered: func(n int, failed bool) {
		if failed {
			t.Errorf("question %d could not be sent", n+1)
		}
		got = append(got, n)
	}})
	h.settleUntil("three answers", func() bool { return len(got) == 3 })
	h.settle()
	msgs := h.messages(h.shown().id)
	if len(msgs) != 8 || fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("answers reported %v, %d messages stored", got, len(msgs))
	}
	for i, m := range msgs[2:] {
		if want := store.RoleUser; i%2 == 0 && (m.Role != want || m.Content != fmt.Sprintf("Question %d of the soak: how do Go channels work?", i/2+1)) {
			t.Errorf("message %d: %s %q", i+3, m.Role, m.Content)
		}
		if i%2 == 1 && (m.Role != store.RoleAssistant || m.State != store.StateDone) {
			t.Errorf("message %d: %s in state %s", i+3, m.Role, m.State)
		}
	}
}

// refreshCounter is a widget that counts the times it is refreshed.
type refreshCounter struct {
	widget.BaseWidget
	n int
}

func (r *refreshCounter) Refresh() { r.n++; r.BaseWidget.Refresh() }

func (r *refreshCounter) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

// After every answer the conversation list is read again and the shown chat
// shown again; that refreshed every message of the chat (a container's
// Refresh refreshes all it holds), a cost that grew with the chat's window
// of messages for each answer of a long session.
func TestAnAnswerDoesNotRefreshTheMessagesAboveIt(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("First question")
	h.liveAnswer(nil)
	h.settle()
	cv := h.shown()
	probe := &refreshCounter{}
	probe.ExtendBaseWidget(probe)
	cv.col.Objects = append([]fyne.CanvasObject{probe}, cv.col.Objects...)
	before := probe.n

	h.ask("Second question")
	h.liveAnswer(nil)
	h.settle()
	if n := len(h.messages(h.w.pane.selected)); n != 4 {
		t.Fatalf("%d messages stored, want 4", n)
	}
	if probe.n != before {
		t.Errorf("the chat's rows were refreshed %d times by the second answer, want 0", probe.n-before)
	}
	if h.w.pane.box.Objects[0] != cv.scroll {
		t.Errorf("the pane no longer shows the chat")
	}
}
