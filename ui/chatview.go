package ui

import (
	"github.com/deskchat/deskchat/ui/internal/chat"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// chatView is one conversation's column of messages.
type chatView struct {
	id     string
	views  []*chat.Message // the messages shown, in col's order
	col    *fyne.Container
	scroll *container.Scroll
	live   *liveAnswer // the answer streaming now, if any
	// loading: the stored messages are being read; nothing may be sent
	// until they are shown (they would race the new ones).
	loading bool
	onLoad  []func() // run once the stored messages are shown
	// The shown messages are a window onto the chat (paging.go): atStart
	// and atEnd say whether it holds the chat's first and last message;
	// paging, that a page is being read.
	atStart, atEnd, paging bool
	intro                  fyne.CanvasObject // what an empty chat offers (emptypane.go)
	// wide are the rows that take the column's whole width (comparisons:
	// answers side by side); messages stop at the reading width (resize.go).
	wide map[fyne.CanvasObject]bool
}

func newChatView(id string) *chatView {
	cv := &chatView{id: id, atStart: true, atEnd: true, wide: map[fyne.CanvasObject]bool{}}
	cv.col = container.New(&chat.ReadingColumn{Wide: cv.wide})
	cv.scroll = container.NewVScroll(container.New(chatContent{}, newWheel(cv), cv.col))
	return cv
}

func (cv *chatView) add(v *chat.Message, onPin func(*chat.Message, bool)) {
	cv.dropIntro()
	v.OnPin = onPin
	if len(cv.views) > 0 {
		cv.views[len(cv.views)-1].SetLast(false)
	}
	v.SetLast(true)
	cv.watchLazy(v)
	cv.views = append(cv.views, v)
	cv.col.Add(v.Obj)
}

func (cv *chatView) remove(v *chat.Message) {
	for i, x := range cv.views {
		if x == v {
			cv.views = append(cv.views[:i], cv.views[i+1:]...)
			break
		}
	}
	cv.col.Remove(v.Obj)
	if v.Last && len(cv.views) > 0 {
		cv.views[len(cv.views)-1].SetLast(true)
	}
}

// addRow appends an object that is not a message (a comparison of answers)
// to the chat's column.
func (cv *chatView) addRow(obj fyne.CanvasObject) {
	cv.dropIntro()
	cv.wide[obj] = true
	cv.col.Add(obj)
}

// removeRow takes back what addRow added.
func (cv *chatView) removeRow(obj fyne.CanvasObject) {
	delete(cv.wide, obj)
	cv.col.Remove(obj)
}

// setBusy tells the chat's messages whether an answer streams in it.
func (cv *chatView) setBusy(busy bool) {
	for _, v := range cv.views {
		v.SetBusy(busy)
	}
}

// fitContent gives the scroll's content its height again when laying out a
// part of it changed that height (a text re-wrapped at the column's width
// grew while the containers above it were laid out): else the content
// stays shorter than its rows and the last of them cannot be scrolled to.
func fitContent(cv *chatView) {
	c := cv.scroll.Content
	if min, size := c.MinSize().Height, c.Size().Height; min != size && (min > size || size > cv.scroll.Size().Height) {
		cv.scroll.Base.Refresh()
	}
}
