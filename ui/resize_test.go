package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/chat"
)

// onScreen reports whether o, at y..y+h in the scroll's content, shows.
func onScreen(cv *chatView, y, h float32) bool {
	return y+h > cv.scroll.Offset.Y && y < cv.scroll.Offset.Y+cv.scroll.Size().Height
}

// checkNearBlocks fails when a block of v's text on the screen is not laid
// out at the text's width.
func checkNearBlocks(t *testing.T, cv *chatView, v *chat.Message) {
	t.Helper()
	base, _ := cv.rowY(anchor{obj: v.Md.Box, v: v})
	for i, b := range v.Md.Box.Objects {
		if onScreen(cv, base+b.Position().Y, b.Size().Height) && b.Size().Width != v.Md.Box.Size().Width {
			t.Errorf("block %d is on the screen at width %v, the text is %v wide", i, b.Size().Width, v.Md.Box.Size().Width)
		}
	}
}

func TestAResizeKeepsTheBlockReadAtTheTopAndRewrapsOnlyNearTheScreen(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		id = chatWithAnswer(t, st, longAnswer(30000))
	})
	h.w.show(id)
	h.settle()
	h.w.win.Resize(fyne.NewSize(780, 700))
	cv := h.shown()
	answer := cv.views[1]
	scrollBy(cv, 1e6) // to the top
	scrollBy(cv, -9000)
	a, ok := cv.anchorAt()
	if !ok || a.obj == answer.Obj {
		t.Fatalf("no block of the answer at the top of the screen (offset %v)", cv.scroll.Offset.Y)
	}
	for _, width := range []float32{700, 640, 900, 760} {
		h.w.win.Resize(fyne.NewSize(width, 700))
		b, _ := cv.anchorAt()
		if b.obj != a.obj {
			t.Fatalf("at %v px the block at the top changed", width)
		}
		checkNearBlocks(t, cv, answer)
	}
	stale := 0
	for _, b := range answer.Md.Box.Objects {
		if b.Size().Width != answer.Md.Box.Size().Width {
			stale++
		}
	}
	if stale == 0 {
		t.Error("every block of the answer was re-wrapped: a resize costs the whole text")
	}
	// Scrolling lays out the blocks it brings near, wherever the user goes.
	for _, dy := range []float32{2000, 1e6, -1e6} {
		scrollBy(cv, dy)
		checkNearBlocks(t, cv, answer)
	}
}

func TestAResizeAtTheEndStaysAtTheEnd(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		id = chatWithAnswer(t, st, longAnswer(3000))
	})
	h.w.show(id)
	h.settle()
	cv := h.shown()
	if !isAtBottom(cv.scroll) {
		t.Fatal("the chat did not open at its end")
	}
	for _, width := range []float32{700, 1400, 760} {
		h.w.win.Resize(fyne.NewSize(width, 600))
		if !isAtBottom(cv.scroll) {
			t.Errorf("at %v px the end is no longer shown", width)
		}
		checkNearBlocks(t, cv, cv.views[1])
	}
}

// screenRows is where each block of v's text near the screen is, relative
// to the top of the screen.
func screenRows(cv *chatView, v *chat.Message) map[fyne.CanvasObject]float32 {
	base, _ := cv.rowY(anchor{obj: v.Md.Box, v: v})
	out := map[fyne.CanvasObject]float32{}
	for _, b := range v.Md.Box.Objects {
		if y := base + b.Position().Y; onScreen(cv, y, b.Size().Height) {
			out[b] = y - cv.scroll.Offset.Y
		}
	}
	return out
}

func TestResizingBackAndForthLaysOutAsAFullRefreshWould(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		id = chatWithAnswer(t, st, longAnswer(30000))
	})
	h.w.show(id)
	h.settle()
	cv := h.shown()
	answer := cv.views[1]
	scrollBy(cv, 1e6)
	scrollBy(cv, -12000)
	for i, width := range []float32{700, 1300, 640, 2560, 796, 1000, 720} {
		h.w.win.Resize(fyne.NewSize(width, 500+float32(i)*60))
		if i%2 == 1 {
			scrollBy(cv, -700) // and the user scrolls between resizes
		}
		checkNearBlocks(t, cv, answer)
		got := screenRows(cv, answer)
		if len(got) == 0 {
			t.Fatalf("at %v px no block of the answer is on the screen", width)
		}
		content := cv.scroll.Content.Size().Height
		if min := cv.scroll.Content.MinSize().Height; content != min && content > cv.scroll.Size().Height {
			t.Errorf("at %v px the content is %v px tall, its rows %v", width, content, min)
		}
		cv.scroll.Refresh() // everything measured again, as Fyne would on a theme change
		for b, y := range screenRows(cv, answer) {
			if was, ok := got[b]; !ok || was-y > 0.5 || y-was > 0.5 {
				t.Fatalf("at %v px a full refresh moved a block on the screen from %v to %v: the resize left it misplaced", width, was, y)
			}
		}
	}
}

func TestResizingWhileAnAnswerStreamsUnderALongOne(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		id = chatWithAnswer(t, st, longAnswer(30000))
	})
	h.w.show(id)
	h.settle()
	h.eng.SetSimulatorRate(300)
	h.ask("and now a second answer, streaming")
	live := h.liveAnswer(hasText)
	cv := h.shown()
	long := cv.views[1]
	streaming := 0
	for i, width := range []float32{760, 1200, 700, 2000, 820} {
		if cv.live != nil {
			streaming++
		}
		if i == 2 {
			scrollBy(cv, 1e6) // up to the long answer's start while the new one streams
		}
		h.w.win.Resize(fyne.NewSize(width, 650))
		for j := 0; j < 20 && len(h.bq.Work) > 0; j++ { // let some of the stream in
			(<-h.bq.Work)()
		}
		checkNearBlocks(t, cv, long)
		checkNearBlocks(t, cv, live)
	}
	if streaming < 2 {
		t.Errorf("only %d resizes came while the answer streamed", streaming)
	}
	h.settle()
	if cv.live != nil || !strings.Contains(h.messages(cv.id)[3].Content, live.Md.Text()[:20]) {
		t.Fatal("the answer did not end whole")
	}
	got := screenRows(cv, long)
	cv.scroll.Refresh()
	for b, y := range screenRows(cv, long) {
		if was, ok := got[b]; !ok || was-y > 0.5 || y-was > 0.5 {
			t.Fatalf("a full refresh moved a block on the screen from %v to %v", was, y)
		}
	}
}
