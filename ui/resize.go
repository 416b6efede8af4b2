package ui

import (
	"github.com/deskchat/deskchat/ui/internal/chat"
	"github.com/deskchat/deskchat/ui/internal/look"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// chatContent is what the chat's Scroll scrolls: the column, padded, over
// the wheel (scrolling.go), which takes the whole area, margins included.
type chatContent struct{}

func (chatContent) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	for _, o := range objs {
		if _, ok := o.(*wheel); ok {
			o.Move(fyne.NewPos(0, 0))
			o.Resize(size)
			continue
		}
		o.Move(fyne.NewPos(pad, pad))
		o.Resize(size.SubtractWidthHeight(2*pad, 2*pad))
	}
}

func (chatContent) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var min fyne.Size
	for _, o := range objs {
		min = min.Max(o.MinSize())
	}
	pad := 2 * theme.Padding()
	return min.Add(fyne.NewSize(pad, pad))
}

// paneLayout lays the chat pane out (its one object fills it) and keeps what
// the user reads in place across a resize: the block at the top of the screen
// stays at the top (or, when the user was at the end, the end stays shown).
type paneLayout struct {
	w    *window
	size fyne.Size
}

func (l *paneLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	cv := l.w.pane.chats[l.w.pane.selected]
	shown := cv != nil && len(objs) == 1 && objs[0] == cv.scroll
	var a anchor
	var anchored, atEnd bool
	if shown && size != l.size && cv.scroll.Size().Height > 0 {
		atEnd = isAtBottom(cv.scroll)
		a, anchored = cv.anchorAt()
	}
	l.size = size
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
	if !shown {
		return
	}
	switch {
	case atEnd:
		cv.scroll.ScrollToBottom()
	case anchored:
		cv.restore(a)
	}
	l.w.unstale(cv)
}

// titleMinWidth is the least the chat's title gets in the header: at the
// window's minimum width a few words of it still show.
const titleMinWidth = 110

// minWidth lays its objects out as a Stack does, at least as wide as it says.
type minWidth float32

func (m minWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (m minWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	min := fyne.NewSize(float32(m), 0)
	for _, o := range objs {
		min = min.Max(o.MinSize())
	}
	return min
}

// paneMinHeight is the chat pane's least height, which makes the window's
// minimum: a few lines of a message stay readable above the composer.
const paneMinHeight = 200

func (l *paneLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	min := fyne.NewSize(0, paneMinHeight)
	for _, o := range objs {
		min = min.Max(o.MinSize())
	}
	return min
}

// anchor is a row of the chat (a message, or a block of a message's text)
// and where the top of the screen is in it.
type anchor struct {
	obj    fyne.CanvasObject
	v      *chat.Message
	dy, of float32 // the screen's top is dy below obj's top; obj is of tall
}

// anchorAt is the row at the top of the screen.
func (cv *chatView) anchorAt() (anchor, bool) {
	top := cv.scroll.Offset.Y
	for _, v := range cv.views {
		y := cv.col.Position().Y + v.Obj.Position().Y
		if y+v.Obj.Size().Height <= top {
			continue
		}
		a := anchor{obj: v.Obj, v: v, of: v.Obj.Size().Height}
		if p, ok := posIn(v.Obj, v.Md.Box); ok && y+p.Y < top {
			for _, b := range v.Md.Box.Objects {
				if y+p.Y+b.Position().Y+b.Size().Height > top {
					a.obj, a.of, y = b, b.Size().Height, y+p.Y+b.Position().Y
					break
				}
			}
		}
		a.dy = top - y
		return a, true
	}
	return anchor{}, false
}

// rowY is where a's row is in the scroll's content, if it is still there.
func (cv *chatView) rowY(a anchor) (float32, bool) {
	y := cv.col.Position().Y + a.v.Obj.Position().Y
	if a.obj == a.v.Obj {
		return y, true
	}
	p, ok := posIn(a.v.Obj, a.obj)
	return y + p.Y, ok
}

// restore scrolls so that the screen's top is where it was in a's row (as
// far into it, in proportion, when its height changed).
func (cv *chatView) restore(a anchor) {
	y, ok := cv.rowY(a)
	if !ok {
		return
	}
	dy := a.dy
	if h := a.obj.Size().Height; dy > 0 && a.of > 0 && h != a.of {
		dy = dy / a.of * h
	}
	cv.scroll.ScrollToOffset(fyne.NewPos(0, fyne.Max(0, y+dy)))
}

// posIn is where target is inside root, when it is in root's containers
// (or a message's hover wrapper).
func posIn(root, target fyne.CanvasObject) (fyne.Position, bool) {
	if root == target {
		return fyne.Position{}, true
	}
	if h, ok := root.(*look.HoverBox); ok { // a message's wrapper (looks.go)
		p, ok := posIn(h.Content, target)
		return h.Content.Position().Add(p), ok
	}
	c, ok := root.(*fyne.Container)
	if !ok {
		return fyne.Position{}, false
	}
	for _, child := range c.Objects {
		if p, ok := posIn(child, target); ok {
			return child.Position().Add(p), true
		}
	}
	return fyne.Position{}, false
}

// watchLazy tells v's text which part of it is on the screen, so that a
// resize re-wraps only the blocks near it (markdown/lazy.go).
func (cv *chatView) watchLazy(v *chat.Message) {
	v.Md.SetVisible(func() (float32, float32, bool) {
		p, ok := posIn(v.Obj, v.Md.Box)
		if !ok {
			return 0, 0, false
		}
		top := cv.scroll.Offset.Y - (cv.col.Position().Y + v.Obj.Position().Y + p.Y)
		return top, top + cv.scroll.Size().Height, true
	})
}

// unstale lays out, at the chat's width, the blocks a resize left at an old
// width that are now near the screen, keeping what the user reads in place.
func (w *window) unstale(cv *chatView) {
	for round := 0; round < 3; round++ { // a block laid out can bring the next near
		var stale []*chat.Message
		for _, v := range cv.views {
			if v.Md.Stale() {
				stale = append(stale, v)
			}
		}
		if len(stale) == 0 {
			return
		}
		atEnd := isAtBottom(cv.scroll)
		a, anchored := cv.anchorAt()
		before := cv.scroll.Content.MinSize().Height
		for _, v := range stale {
			v.Md.Box.Layout.Layout(v.Md.Box.Objects, v.Md.Box.Size())
		}
		if cv.scroll.Content.MinSize().Height == before && !anyStale(stale) {
			return
		}
		for _, v := range stale {
			w.layoutLive(cv, v)
		}
		switch {
		case atEnd:
			cv.scroll.ScrollToBottom()
		case anchored:
			cv.restore(a)
		}
	}
}

func anyStale(vs []*chat.Message) bool {
	for _, v := range vs {
		if v.Md.Stale() {
			return true
		}
	}
	return false
}
