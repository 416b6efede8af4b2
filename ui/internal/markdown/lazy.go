package markdown

import "fyne.io/fyne/v2"

// Resizing the window re-wraps text, and Fyne's RichText re-wraps all of its
// text whenever its size changes (RichText.Resize calls updateRowBounds,
// which shapes every row): a 30,000-word answer took 0.3 s a resize step on
// the test driver, seconds on a real window. So a column of blocks
// (columnLayout) gives a new width only to the blocks near the screen; the
// others keep the width they were laid out at, and their height, until they
// come near it (the chat lays them out as it scrolls, chatview.go). The work
// of a resize step is then in proportion to what is visible.

// lazy is what columnLayout needs to leave blocks far from the screen as
// they are.
type lazy struct {
	// visible, if set, says which part of the column is on the screen, in
	// the column's coordinates; nil: all of it may be.
	visible func() (top, bottom float32, ok bool)
	// stale: some objects were left at an old width by the last layout.
	stale bool

	asked        bool // visible was asked during this layout
	top, bottom  float32
	haveViewport bool

	known []measured // known[i]: the i-th object's MinSize, if final
}

// begin starts a layout pass: the screen may have moved since the last.
func (l *lazy) begin() {
	l.asked, l.stale = false, false
}

// far reports whether o, placed at y, is more than a screen away from the
// screen, and so keeps its old width; it notes that the column then holds
// stale objects. An object never laid out (no width yet) is never far: its
// height is unknown until it is.
func (l *lazy) far(o fyne.CanvasObject, y float32) bool {
	if l.visible == nil || o.Size().Width <= 0 {
		return false
	}
	if !l.asked {
		l.asked = true
		l.top, l.bottom, l.haveViewport = l.visible()
	}
	if !l.haveViewport {
		return false
	}
	margin := l.bottom - l.top // a screen either side
	if y+o.Size().Height < l.top-margin || y > l.bottom+margin {
		l.stale = true
		return true
	}
	return false
}

// measured is an object's MinSize at a width.
type measured struct {
	obj   fyne.CanvasObject
	width float32
	min   fyne.Size
}

// minSize is o's MinSize; o is the i-th object of the column, final when it
// will not change any more. A final object's MinSize at its width is asked
// once: a RichText's MinSize walks all its rows, and a column is measured by
// every container above it on every layout.
func (l *lazy) minSize(i int, o fyne.CanvasObject, final bool) fyne.Size {
	w := o.Size().Width
	if final && i < len(l.known) && l.known[i].obj == o && l.known[i].width == w {
		return l.known[i].min
	}
	min := o.MinSize()
	if final {
		for len(l.known) <= i {
			l.known = append(l.known, measured{})
		}
		l.known[i] = measured{o, w, min}
	}
	return min
}

// forget drops what is known of objects from the i-th on: they changed.
func (l *columnLayout) forget(i int) {
	l.cached = min(l.cached, i)
	l.known = l.known[:min(len(l.known), i)]
}
