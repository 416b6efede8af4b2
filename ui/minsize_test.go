package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/deskchat/deskchat/store"
)

// box is where a control is in the window.
type box struct {
	name string
	pos  fyne.Position
	size fyne.Size
}

func boxOf(name string, o fyne.CanvasObject) box {
	return box{name, fyne.CurrentApp().Driver().AbsolutePositionForObject(o), o.Size()}
}

func (a box) overlaps(b box) bool {
	return a.pos.X < b.pos.X+b.size.Width && b.pos.X < a.pos.X+a.size.Width &&
		a.pos.Y < b.pos.Y+b.size.Height && b.pos.Y < a.pos.Y+a.size.Height
}

func TestAtTheMinimumSizeEveryControlIsInsideAndApart(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("a question whose answer has some length to it")
	h.settle()
	min := h.w.win.Content().MinSize()
	if h.w.win.Padded() {
		min = min.AddWidthHeight(2*theme.Padding(), 2*theme.Padding())
	}
	if min.Width > 920 || min.Height < 330 || min.Height > 600 {
		t.Errorf("the window's minimum is %v: want at most 920 px wide and a chat pane that shows messages", min)
	}
	t.Logf("the window's minimum: %v", min)
	h.w.win.Resize(min)
	area := h.w.win.Canvas().Size()
	w := h.w
	boxes := []box{
		boxOf("title", w.header.title), boxOf("provider", w.header.providerSel), boxOf("model", w.header.modelSel),
		boxOf("compare", w.header.compareBtn), boxOf("rename", w.header.renameBtn), boxOf("delete", w.header.deleteBtn),
		boxOf("more", w.header.moreBtn), boxOf("composer", w.compose.Input), boxOf("send", w.compose.Send),
		boxOf("app menu", w.header.appMenuBtn), boxOf("chats", w.side.list), boxOf("chat", w.pane.box),
	}
	for i, b := range boxes {
		if b.size.Width <= 0 || b.size.Height <= 0 || b.pos.X < 0 || b.pos.Y < 0 ||
			b.pos.X+b.size.Width > area.Width || b.pos.Y+b.size.Height > area.Height {
			t.Errorf("%s at %v, %v: not wholly inside the %v window", b.name, b.pos, b.size, area)
		}
		for _, o := range boxes[i+1:] {
			if b.overlaps(o) {
				t.Errorf("%s (%v %v) overlaps %s (%v %v)", b.name, b.pos, b.size, o.name, o.pos, o.size)
			}
		}
	}
	if tw := w.header.title.Size().Width; tw < titleMinWidth {
		t.Errorf("the title is %v px wide at the minimum: it shows no words", tw)
	}
	if h := w.pane.box.Size().Height; h < paneMinHeight {
		t.Errorf("the chat pane is %v px tall at the minimum", h)
	}
	for name, o := range map[string]fyne.CanvasObject{"title": w.header.title, "provider": w.header.providerSel, "send": w.compose.Send} {
		if o.Size().Width < o.MinSize().Width-0.5 {
			t.Errorf("%s is %v px wide, less than its %v: clipped", name, o.Size().Width, o.MinSize().Width)
		}
	}
}

func TestMessagesStopAtAReadingWidthOnAWideWindow(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		id = chatWithAnswer(t, st, longAnswer(2000))
	})
	h.w.show(id)
	h.settle()
	h.w.win.Resize(fyne.NewSize(2560, 1400))
	cv := h.shown()
	answer := cv.views[1]
	avg := fyne.MeasureText(strings.Repeat("the quick brown fox jumps over a lazy dog ", 4), theme.TextSize(), fyne.TextStyle{}).Width / float32(4*len("the quick brown fox jumps over a lazy dog "))
	text := answer.Md.Box.Size().Width
	if chars := text / avg; chars < 70 || chars > 90 {
		t.Errorf("at 2560 px the answer's text is %v px wide, %.0f characters: want 70–90", text, chars)
	}
	col := cv.col.Size().Width
	left := answer.Obj.Position().X
	if right := col - left - answer.Obj.Size().Width; left < 100 || left-right > 1 || right-left > 1 {
		t.Errorf("the answer is not centred: %v px left of it, %v px right", left, right)
	}
	// A window narrower than the reading width: the messages fill it.
	h.w.win.Resize(fyne.NewSize(760, 700))
	if w, col := answer.Obj.Size().Width, cv.col.Size().Width; w != col {
		t.Errorf("at 760 px the answer is %v px wide in a %v px column", w, col)
	}
}
