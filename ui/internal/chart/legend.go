package chart

import (
	"image/color"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Legend lists series with their colours, wrapping onto more lines when
// narrow.
type Legend struct {
	widget.BaseWidget
	items []Series
	gen   int // counts SetItems calls
}

func NewLegend(items []Series) *Legend {
	l := &Legend{items: items}
	l.ExtendBaseWidget(l)
	return l
}

// SetItems shows items.
func (l *Legend) SetItems(items []Series) {
	if slices.Equal(items, l.items) {
		return
	}
	l.items = items
	l.gen++
	l.Refresh()
}

func (l *Legend) CreateRenderer() fyne.WidgetRenderer {
	r := &legendRenderer{l: l}
	r.Refresh()
	return r
}

type legendRenderer struct {
	l      *Legend
	built  int
	objs   []fyne.CanvasObject
	swatch []*canvas.Rectangle
	names  []*canvas.Text
}

const swatchSize = 12

func (r *legendRenderer) Destroy() {}

func (r *legendRenderer) Objects() []fyne.CanvasObject { return r.objs }

func (r *legendRenderer) Refresh() {
	if r.objs == nil || r.built != r.l.gen {
		r.built = r.l.gen
		r.objs, r.swatch, r.names = []fyne.CanvasObject{}, nil, nil
		for _, it := range r.l.items {
			s := canvas.NewRectangle(color.Transparent)
			s.CornerRadius = 3
			t := canvas.NewText(it.Name, color.Transparent)
			r.swatch = append(r.swatch, s)
			r.names = append(r.names, t)
			r.objs = append(r.objs, s, t)
		}
	}
	fg := theme.ColorForWidget(theme.ColorNameForeground, r.l)
	size := theme.SizeForWidget(theme.SizeNameText, r.l)
	for i, it := range r.l.items {
		r.swatch[i].FillColor = Color(r.l, it.Color)
		r.names[i].Color, r.names[i].TextSize = fg, size
	}
	r.Layout(r.l.Size())
	canvas.Refresh(r.l)
}

// flow places the items in rows of width w and returns the height used.
func (r *legendRenderer) flow(w float32, place bool) float32 {
	var x, y, lineH float32
	for i, t := range r.names {
		ms := t.MinSize()
		lineH = max(lineH, ms.Height)
		itemW := swatchSize + gap + ms.Width
		if x > 0 && x+itemW > w {
			x, y = 0, y+lineH+2
		}
		if place {
			Rect{x, y + (ms.Height-swatchSize)/2, swatchSize, swatchSize}.place(r.swatch[i])
			Rect{x + swatchSize + gap, y, ms.Width, ms.Height}.place(t)
		}
		x += itemW + 3*gap
	}
	if len(r.names) == 0 {
		return 0
	}
	return y + lineH
}

func (r *legendRenderer) Layout(size fyne.Size) {
	h := r.flow(size.Width, false)
	r.flow(size.Width, true)
	if dy := (size.Height - h) / 2; dy > 0 { // centred vertically in a taller row
		for _, o := range r.objs {
			o.Move(o.Position().AddXY(0, dy))
		}
	}
}

func (r *legendRenderer) MinSize() fyne.Size {
	var widest float32
	for _, t := range r.names {
		widest = max(widest, swatchSize+gap+t.MinSize().Width)
	}
	w := r.l.Size().Width
	if w < widest {
		w = 1 << 20 // not laid out yet: one line
	}
	return fyne.NewSize(widest, r.flow(w, false))
}
