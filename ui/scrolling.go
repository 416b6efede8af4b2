package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Fyne's desktop driver turns one notch of a mouse wheel into a 25 px scroll
// (glfw scrollSpeed), whatever the view's height: a 30,000-word answer then
// took thousands of notches. The chat scrolls instead by a fraction of its
// height a notch, and Page Up/Down by a screen.
const (
	wheelNotch = 25 // px Fyne's driver scrolls a notch (scroll_speed_default.go)
	notchShare = 8  // a notch moves the chat 1/notchShare of its height, at least wheelNotch
)

// wheel catches the mouse wheel over the chat's column, before the chat's
// Scroll does (the driver gives the wheel to the deepest Scrollable under the
// mouse; code blocks and tables, deeper, still take it first).
type wheel struct {
	widget.BaseWidget
	cv *chatView
}

func newWheel(cv *chatView) *wheel {
	wh := &wheel{cv: cv}
	wh.ExtendBaseWidget(wh)
	return wh
}

func (wh *wheel) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(&fyne.Container{})
}

func (wh *wheel) MinSize() fyne.Size { return fyne.Size{} }

// Scrolled implements fyne.Scrollable: the event, scaled to the view.
func (wh *wheel) Scrolled(ev *fyne.ScrollEvent) {
	k := notchStep(wh.cv.scroll.Size().Height) / wheelNotch
	scaled := *ev
	scaled.Scrolled = fyne.NewDelta(ev.Scrolled.DX, ev.Scrolled.DY*k)
	wh.cv.scroll.Scrolled(&scaled)
}

// notchStep is how far one wheel notch scrolls a view of height h.
func notchStep(h float32) float32 {
	return fyne.Max(wheelNotch, h/notchShare)
}

// pageChat scrolls the shown chat by a screen (dir 1: down, -1: up), less a
// little so that a line stays in view across the jump.
func (w *window) pageChat(dir float32) {
	cv := w.pane.chats[w.pane.selected]
	if cv == nil {
		return
	}
	h := cv.scroll.Size().Height
	step := fyne.Max(h-notchStep(h)/2, wheelNotch)
	cv.scroll.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, -dir*step)})
}

// chatStart shows the shown chat's first message, reading its first page
// when the window of messages does not hold it (paging.go).
func (w *window) chatStart() {
	cv := w.pane.chats[w.pane.selected]
	if cv == nil || cv.loading || cv.paging {
		return
	}
	if cv.atStart {
		w.scrollChatTo(cv, 0)
		return
	}
	w.readEnd(cv, true, func() {
		cv.scroll.Base.Refresh() // layout only: fill refreshed the rows
		w.scrollChatTo(cv, 0)
	})
}

// chatEnd shows the shown chat's last message.
func (w *window) chatEnd() {
	cv := w.pane.chats[w.pane.selected]
	if cv == nil || cv.loading || cv.paging {
		return
	}
	w.toEnd(cv, func() {
		cv.scroll.ScrollToBottom()
		w.unstale(cv)
	})
}

// scrollChatTo scrolls cv to y and lays out what comes near.
func (w *window) scrollChatTo(cv *chatView, y float32) {
	cv.scroll.ScrollToOffset(fyne.NewPos(0, y))
	w.unstale(cv)
	w.pageIfNeeded(cv)
}
