package chart

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Ring shows a fraction as a ring filled that far round, with text in its
// middle. A fraction that is not a number shows an empty ring.
type Ring struct {
	widget.BaseWidget
	frac float64
	text string
}

func NewRing() *Ring {
	r := &Ring{frac: math.NaN()}
	r.ExtendBaseWidget(r)
	return r
}

// Set shows frac (0–1, NaN: none) and text.
func (c *Ring) Set(frac float64, text string) {
	c.frac, c.text = frac, text
	c.Refresh()
}

// Frac is the fraction shown (NaN: none).
func (c *Ring) Frac() float64 { return c.frac }

// Text is the text in the ring's middle.
func (c *Ring) Text() string { return c.text }

func (c *Ring) CreateRenderer() fyne.WidgetRenderer {
	r := &ringRenderer{c: c, back: canvas.NewArc(0, 360, 0.72, color.Transparent), fill: canvas.NewArc(0, 0, 0.72, color.Transparent), label: canvas.NewText("", color.Transparent)}
	r.label.TextStyle.Bold = true
	r.Refresh()
	return r
}

type ringRenderer struct {
	c          *Ring
	back, fill *canvas.Arc
	label      *canvas.Text
}

func (r *ringRenderer) Destroy() {}

func (r *ringRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.back, r.fill, r.label}
}

func (r *ringRenderer) MinSize() fyne.Size { return fyne.NewSize(110, 110) }

// ringSweep is the arc, in degrees, that frac fills (0 for no number).
func ringSweep(frac float64) float32 {
	if math.IsNaN(frac) {
		return 0
	}
	return float32(math.Min(math.Max(frac, 0), 1) * 360)
}

func (r *ringRenderer) Refresh() {
	fg := theme.ColorForWidget(theme.ColorNameForeground, r.c)
	r.back.FillColor = Alpha(fg, 0.12)
	r.fill.FillColor = Color(r.c, 0)
	r.fill.EndAngle = ringSweep(r.c.frac)
	r.fill.Hidden = r.fill.EndAngle == 0
	r.label.Text = r.c.text
	r.label.Color = fg
	r.label.TextSize = theme.SizeForWidget(theme.SizeNameSubHeadingText, r.c)
	r.Layout(r.c.Size())
	r.back.Refresh()
	r.fill.Refresh()
	r.label.Refresh()
}

func (r *ringRenderer) Layout(size fyne.Size) {
	d := Len(min(size.Width, size.Height))
	box := Rect{(size.Width - d) / 2, (size.Height - d) / 2, d, d}
	box.place(r.back)
	box.place(r.fill)
	ms := r.label.MinSize()
	r.label.Move(fyne.NewPos((size.Width-ms.Width)/2, (size.Height-ms.Height)/2))
	r.label.Resize(ms)
}
