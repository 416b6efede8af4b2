package ui

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// chartRing shows a fraction as a ring filled that far round, with text in its
// middle. A fraction that is not a number shows an empty ring.
type chartRing struct {
	widget.BaseWidget
	frac float64
	text string
}

func newChartRing() *chartRing {
	r := &chartRing{frac: math.NaN()}
	r.ExtendBaseWidget(r)
	return r
}

// Set shows frac (0–1, NaN: none) and text.
func (c *chartRing) Set(frac float64, text string) {
	c.frac, c.text = frac, text
	c.Refresh()
}

func (c *chartRing) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRingRenderer{c: c, back: canvas.NewArc(0, 360, 0.72, color.Transparent), fill: canvas.NewArc(0, 0, 0.72, color.Transparent), label: canvas.NewText("", color.Transparent)}
	r.label.TextStyle.Bold = true
	r.Refresh()
	return r
}

type chartRingRenderer struct {
	c          *chartRing
	back, fill *canvas.Arc
	label      *canvas.Text
}

func (r *chartRingRenderer) Destroy() {}

func (r *chartRingRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.back, r.fill, r.label}
}

func (r *chartRingRenderer) MinSize() fyne.Size { return fyne.NewSize(110, 110) }

// chartRingSweep is the arc, in degrees, that frac fills (0 for no number).
func chartRingSweep(frac float64) float32 {
	if math.IsNaN(frac) {
		return 0
	}
	return float32(math.Min(math.Max(frac, 0), 1) * 360)
}

func (r *chartRingRenderer) Refresh() {
	fg := theme.ColorForWidget(theme.ColorNameForeground, r.c)
	r.back.FillColor = chartAlpha(fg, 0.12)
	r.fill.FillColor = chartColor(r.c, 0)
	r.fill.EndAngle = chartRingSweep(r.c.frac)
	r.fill.Hidden = r.fill.EndAngle == 0
	r.label.Text = r.c.text
	r.label.Color = fg
	r.label.TextSize = theme.SizeForWidget(theme.SizeNameSubHeadingText, r.c)
	r.Layout(r.c.Size())
	r.back.Refresh()
	r.fill.Refresh()
	r.label.Refresh()
}

func (r *chartRingRenderer) Layout(size fyne.Size) {
	d := chartLen(min(size.Width, size.Height))
	box := chartRect{(size.Width - d) / 2, (size.Height - d) / 2, d, d}
	box.place(r.back)
	box.place(r.fill)
	ms := r.label.MinSize()
	r.label.Move(fyne.NewPos((size.Width-ms.Width)/2, (size.Height-ms.Height)/2))
	r.label.Resize(ms)
}
