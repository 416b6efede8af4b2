package ui

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/chat"
)

// A long chat is shown a window of pages at a time: the last page when it
// opens, earlier or later pages read from the store as the user scrolls
// near an edge, and pages far from the screen dropped again, so the widgets
// that exist are a few screens' worth whatever the chat's length.
const (
	pageSize  = 20 // messages read at a time
	maxWindow = 80 // messages shown at most; beyond, pages far away are dropped
	// sessionWindow is what a chat growing by exchanges keeps (dropOldest):
	// two pages, several screens, so that a long session costs what a
	// short one does; scrolling up reads more as it does in any chat.
	sessionWindow = 2 * pageSize
)

// highlightFor is how long a message found by search stays highlighted.
const highlightFor = 3 * time.Second

// watchScroll reads pages as the user scrolls near the window's edges.
func (w *window) watchScroll(cv *chatView) {
	cv.scroll.OnScrolled = func(fyne.Position) {
		w.unstale(cv) // blocks a resize left at an old width (markdown/lazy.go)
		w.pageIfNeeded(cv)
	}
}

// pageIfNeeded reads the page beyond the edge the user scrolled near.
func (w *window) pageIfNeeded(cv *chatView) {
	if cv.loading || cv.paging || len(cv.views) == 0 {
		return
	}
	screen := cv.scroll.Size().Height
	top := cv.scroll.Offset.Y
	bottom := cv.scroll.Content.MinSize().Height - top - screen
	switch {
	case top < screen && !cv.atStart:
		w.loadEarlier(cv)
	case bottom < screen && !cv.atEnd:
		w.loadLater(cv)
	}
}

// loadEarlier puts the page before the window above it, keeping what the
// user looks at in place.
func (w *window) loadEarlier(cv *chatView) {
	first := cv.views[0].Seq
	cv.paging = true
	bridge.Run(w.b, func() (page, error) {
		ms, more, err := w.st.MessagesBefore(cv.id, first, pageSize)
		return page{ms, more}, err
	}, func(p page, err error) {
		cv.paging = false
		if err != nil {
			w.showError("Could not read this conversation", err)
			return
		}
		before := cv.scroll.Content.MinSize().Height
		views, objs := w.pageViews(cv, p.msgs)
		cv.views = append(views, cv.views...)
		cv.col.Objects = append(objs, cv.col.Objects...)
		cv.atStart = !p.more
		// Lay the page out at the chat's width, then move the view down by
		// its height; then drop pages far below (which moves nothing).
		cv.scroll.Refresh()
		cv.scroll.ScrollToOffset(fyne.NewPos(0, cv.scroll.Offset.Y+cv.scroll.Content.MinSize().Height-before))
		if w.trim(cv, false) {
			cv.scroll.Refresh()
		}
	})
}

// loadLater puts the page after the window below it.
func (w *window) loadLater(cv *chatView) {
	last := cv.views[len(cv.views)-1].Seq
	cv.paging = true
	bridge.Run(w.b, func() (page, error) {
		ms, more, err := w.st.MessagesFrom(cv.id, last+1, pageSize)
		return page{ms, more}, err
	}, func(p page, err error) {
		cv.paging = false
		if err != nil {
			w.showError("Could not read this conversation", err)
			return
		}
		cv.atEnd = !p.more
		views, objs := w.pageViews(cv, p.msgs)
		cv.views = append(cv.views, views...)
		cv.col.Objects = append(cv.col.Objects, objs...)
		if cv.atEnd && len(cv.views) > 0 {
			cv.views[len(cv.views)-1].SetLast(true)
		}
		cv.scroll.Refresh()
		before := cv.scroll.Content.MinSize().Height
		if w.trim(cv, true) {
			// Pages dropped above: move the view up by their height.
			cv.scroll.Refresh()
			cv.scroll.ScrollToOffset(fyne.NewPos(0, cv.scroll.Offset.Y-(before-cv.scroll.Content.MinSize().Height)))
		}
	})
}

// page is one read of a chat's messages.
type page struct {
	msgs []store.Message
	more bool // there are more beyond them
}

// trim drops messages beyond maxWindow: from the top (fromTop) or from the
// bottom. A streaming answer is never dropped. It reports whether it
// dropped any.
func (w *window) trim(cv *chatView, fromTop bool) bool {
	n := len(cv.views) - maxWindow
	if n <= 0 {
		return false
	}
	if fromTop {
		cv.views = append([]*chat.Message(nil), cv.views[n:]...)
		cv.col.Objects = append([]fyne.CanvasObject(nil), cv.col.Objects[n:]...)
		cv.atStart = false
		return true
	}
	if cv.live != nil {
		return false
	}
	cv.views = cv.views[:maxWindow:maxWindow]
	cv.col.Objects = cv.col.Objects[:maxWindow:maxWindow]
	cv.views[len(cv.views)-1].SetLast(false)
	cv.atEnd = false
	return true
}

// fill replaces the window with msgs, laid out once.
func (w *window) fill(cv *chatView, msgs []store.Message, atStart, atEnd bool) {
	cv.views, cv.col.Objects = w.pageViews(cv, msgs)
	cv.atStart, cv.atEnd = atStart, atEnd
	if atEnd && len(cv.views) > 0 {
		cv.views[len(cv.views)-1].SetLast(true)
	}
	cv.col.Refresh()
}

// pageViews builds the views of a page of cv's messages (none of them the
// chat's last: the caller says).
func (w *window) pageViews(cv *chatView, msgs []store.Message) ([]*chat.Message, []fyne.CanvasObject) {
	views := make([]*chat.Message, len(msgs))
	objs := make([]fyne.CanvasObject, len(msgs))
	for i, m := range msgs {
		v := w.newView(m)
		v.OnPin = w.pin
		cv.watchLazy(v)
		if cv.live != nil {
			v.SetBusy(true)
		}
		views[i], objs[i] = v, v.Obj
	}
	w.showBranches(cv, views)
	return views, objs
}

// toEnd makes sure the window holds the chat's end (where new messages go
// and the last answer is), then calls then.
func (w *window) toEnd(cv *chatView, then func()) {
	if cv.atEnd {
		then()
		return
	}
	w.readEnd(cv, false, func() {
		scrollToEnd(cv.scroll)
		then()
	})
}

// readEnd reads the chat's first page (start) or its last, off the UI
// goroutine, makes it the window of messages and calls then.
func (w *window) readEnd(cv *chatView, start bool, then func()) {
	cv.paging = true
	bridge.Run(w.b, func() (page, error) {
		read := w.st.MessagesBefore
		if start {
			read = w.st.MessagesFrom
		}
		ms, more, err := read(cv.id, 0, pageSize)
		return page{ms, more}, err
	}, func(p page, err error) {
		cv.paging = false
		if err != nil {
			w.showError("Could not read this conversation", err)
			return
		}
		w.fill(cv, p.msgs, start || !p.more, !start || !p.more)
		then()
	})
}

// reveal scrolls cv to message seq, reading the pages around it when it is
// not shown, and highlights it for a moment.
func (w *window) reveal(cv *chatView, seq uint64) {
	for _, v := range cv.views {
		if v.Seq == seq {
			cv.scroll.Refresh()
			cv.scroll.ScrollToOffset(fyne.NewPos(0, v.Obj.Position().Y))
			v.Highlight(true)
			w.b.After(highlightFor, func() { v.Highlight(false) })
			return
		}
	}
	cv.paging = true
	type around struct {
		msgs           []store.Message
		earlier, later bool
	}
	bridge.Run(w.b, func() (around, error) {
		before, earlier, err := w.st.MessagesBefore(cv.id, seq, pageSize/2)
		if err != nil {
			return around{}, err
		}
		after, later, err := w.st.MessagesFrom(cv.id, seq, pageSize/2)
		return around{append(before, after...), earlier, later}, err
	}, func(p around, err error) {
		cv.paging = false
		if err != nil {
			w.showError("Could not read this conversation", err)
			return
		}
		w.fill(cv, p.msgs, !p.earlier, !p.later)
		found := false
		for _, v := range cv.views {
			found = found || v.Seq == seq
		}
		if found {
			w.reveal(cv, seq)
		}
	})
}

// dropOldest keeps a chat that grows by exchanges within sessionWindow rows,
// as paging keeps a chat being scrolled: once an answer ends, the oldest rows
// beyond sessionWindow that lie wholly above the screen are dropped, and what the
// user looks at does not move. Scrolling up reads them back from the store
// (atStart is false). Without it every message a long session showed kept
// its widgets, their renderers and text for the life of the chat view (about
// 1 MB of heap per exchange in the window, and each frame laid them all out).
// It reports whether it dropped any.
func (w *window) dropOldest(cv *chatView) bool {
	excess := len(cv.col.Objects) - sessionWindow
	top := cv.scroll.Offset.Y - cv.col.Position().Y
	n := 0
	for n < excess {
		o := cv.col.Objects[n]
		if o.Position().Y+o.Size().Height > top {
			break // on the screen or below it
		}
		n++
	}
	isView := make(map[fyne.CanvasObject]bool, len(cv.views))
	for _, v := range cv.views {
		isView[v.Obj] = true
	}
	// The window must start with a message: reading back above a row that
	// is not one (a comparison) would show its messages a second time.
	for n > 0 && n < len(cv.col.Objects) && !isView[cv.col.Objects[n]] {
		if o := cv.col.Objects[n]; o.Position().Y+o.Size().Height > top {
			n = 0 // it is on the screen: drop nothing for now
			break
		}
		n++
	}
	if n == 0 || n == len(cv.col.Objects) {
		return false
	}
	gone := make(map[fyne.CanvasObject]bool, n)
	for _, o := range cv.col.Objects[:n] {
		gone[o] = true
	}
	kept := make([]*chat.Message, 0, len(cv.views))
	for _, v := range cv.views {
		if !gone[v.Obj] {
			kept = append(kept, v)
		}
	}
	before := cv.scroll.Content.MinSize().Height
	// New slices: the old backing arrays would keep the dropped rows.
	cv.views = kept
	cv.col.Objects = append([]fyne.CanvasObject(nil), cv.col.Objects[n:]...)
	cv.atStart = false
	// Lay the column out again without refreshing every message (the scroll
	// takes the content's new height), then move the view up by what went.
	cv.scroll.Base.Refresh()
	cv.col.Layout.Layout(cv.col.Objects, cv.col.Size())
	cv.scroll.ScrollToOffset(fyne.NewPos(0, cv.scroll.Offset.Y-(before-cv.scroll.Content.MinSize().Height)))
	return true
}
