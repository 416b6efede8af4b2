package look

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// WheelRelay lies over a one-line text field and hands the mouse wheel to
// the form's scroll. Fyne gives a wheel event to the topmost fyne.Scrollable
// under the pointer, and an Entry's own (sideways) scroller is one: the
// form stopped scrolling whenever the pointer crossed a field. The relay is
// only a fyne.Scrollable, and the driver finds taps, drags, hovers and the
// text cursor by their own interfaces, so those still reach the field below.
// Fyne has no option for this (v2.7), hence the few lines here.
type WheelRelay struct {
	widget.BaseWidget
	to **container.Scroll // the form's scroll, set once it is built
}

func NewWheelRelay(to **container.Scroll) *WheelRelay {
	r := &WheelRelay{to: to}
	r.ExtendBaseWidget(r)
	return r
}

// Scrolled passes the wheel to the form's scroll.
func (r *WheelRelay) Scrolled(ev *fyne.ScrollEvent) {
	if s := *r.to; s != nil {
		s.Scrolled(ev)
	}
}

func (r *WheelRelay) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

// WheelThrough is o with a wheelRelay over it that scrolls *to.
func WheelThrough(o fyne.CanvasObject, to **container.Scroll) fyne.CanvasObject {
	return container.NewStack(o, NewWheelRelay(to))
}
