package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// wheelRelay lies over a one-line text field and hands the mouse wheel to
// the form's scroll. Fyne gives a wheel event to the topmost fyne.Scrollable
// under the pointer, and an Entry's own (sideways) scroller is one: the
// form stopped scrolling whenever the pointer crossed a field. The relay is
// only a fyne.Scrollable, and the driver finds taps, drags, hovers and the
// text cursor by their own interfaces, so those still reach the field below.
// Fyne has no option for this (v2.7), hence the few lines here.
type wheelRelay struct {
	widget.BaseWidget
	to **container.Scroll // the form's scroll, set once it is built
}

func newWheelRelay(to **container.Scroll) *wheelRelay {
	r := &wheelRelay{to: to}
	r.ExtendBaseWidget(r)
	return r
}

// Scrolled passes the wheel to the form's scroll.
func (r *wheelRelay) Scrolled(ev *fyne.ScrollEvent) {
	if s := *r.to; s != nil {
		s.Scrolled(ev)
	}
}

func (r *wheelRelay) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

// wheelThrough is o with a wheelRelay over it that scrolls *to.
func wheelThrough(o fyne.CanvasObject, to **container.Scroll) fyne.CanvasObject {
	return container.NewStack(o, newWheelRelay(to))
}
