package chart

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Series is one layer of a stacked bar chart.
type Series struct {
	Name  string
	Color int // SeriesColor index
}

// BarData is what a stacked bar chart shows: one bar per category, the
// series stacked in order from the bottom.
type BarData struct {
	Labels []string    // one per category, written under it (some are skipped when crowded)
	Series []Series    // bottom to top
	Values [][]float64 // [category][series]
	Money  bool        // values are US dollars
}

func (d BarData) value(c, s int) float64 {
	if c < len(d.Values) && s < len(d.Values[c]) {
		return Value(d.Values[c][s])
	}
	return 0
}

// Drawable says whether d has anything to draw: a category whose values
// add up to more than 0.
func (d BarData) Drawable() bool {
	if len(d.Series) == 0 {
		return false
	}
	for c := range d.Labels {
		for s := range d.Series {
			if d.value(c, s) > 0 {
				return true
			}
		}
	}
	return false
}

// BarGeom is where a stacked bar chart's parts go.
type BarGeom struct {
	Empty      bool // nothing to draw: the chart shows its sentence
	Plot       Rect
	Ticks      []float64
	TickLabels []string
	TickY      []float32 // the y of each tick's grid line
	Bars       [][]Rect  // [category][series]; zero height for a zero value
	Slot       float32   // the width each category has
	LabelX     []float32 // the centre of each category
	LabelShown []bool
}

const (
	gap      = 6   // between axis labels and the plot
	barFill  = 0.7 // of a category's width that its bar takes
	barTicks = 5   // y-axis ticks wanted
)

// LayoutBars places a stacked bar chart of d in size; measure gives a
// label's size.
func LayoutBars(d BarData, size fyne.Size, measure func(string) fyne.Size) BarGeom {
	size = fyne.NewSize(Len(size.Width), Len(size.Height))
	n := len(d.Labels)
	var g BarGeom
	peak := 0.0
	for c := 0; c < n; c++ {
		sum := 0.0
		for s := range d.Series {
			sum += d.value(c, s)
		}
		peak = math.Max(peak, sum)
	}
	if n == 0 || len(d.Series) == 0 || !(peak > 0) || math.IsInf(peak, 0) {
		g.Empty = true
		g.Plot = Rect{0, 0, size.Width, size.Height}
		return g
	}
	g.Ticks = NiceTicks(peak, barTicks, !d.Money)
	g.TickLabels = TickLabels(g.Ticks, d.Money)
	var labelW float32
	for _, l := range g.TickLabels {
		labelW = max(labelW, measure(l).Width)
	}
	lineH := measure("0").Height
	g.Plot.X = labelW + gap
	g.Plot.Y = lineH / 2
	g.Plot.W = Len(size.Width - g.Plot.X - gap)
	g.Plot.H = Len(size.Height - g.Plot.Y - lineH - gap)
	// Edges fall on whole pixels, so that stacked layers meet and no bar
	// pokes through the axis when drawn.
	px := func(v float32) float32 { return float32(math.Round(float64(v))) }
	bottom := px(g.Plot.Y + g.Plot.H)
	g.Plot.H = Len(bottom - g.Plot.Y)
	top := g.Ticks[len(g.Ticks)-1]
	for _, t := range g.Ticks {
		g.TickY = append(g.TickY, px(bottom-float32(t/top)*g.Plot.H))
	}
	g.Slot = g.Plot.W / float32(n)
	barW := g.Slot * barFill
	if barW < 1 {
		barW = min(1, g.Slot)
	}
	var widest float32
	for _, l := range d.Labels {
		widest = max(widest, measure(l).Width)
	}
	every := labelEvery(n, g.Slot, widest+gap*2)
	g.Bars = make([][]Rect, n)
	for c := 0; c < n; c++ {
		x := g.Plot.X + float32(c)*g.Slot
		y, sum := bottom, 0.0
		g.Bars[c] = make([]Rect, len(d.Series))
		for s := range d.Series {
			sum += d.value(c, s)
			edge := min(y, px(bottom-float32(sum/top*float64(g.Plot.H))))
			g.Bars[c][s] = Rect{x + (g.Slot-barW)/2, edge, barW, y - edge}
			y = edge
		}
		g.LabelX = append(g.LabelX, x+g.Slot/2)
		g.LabelShown = append(g.LabelShown, (n-1-c)%every == 0)
	}
	return g
}

// labelEvery says how many categories apart labels go so that they do not
// overlap: every one when few fit, else every 7 (a week of days) or more.
// The last category is always labelled.
func labelEvery(n int, slot, labelW float32) int {
	steps := []int{1, 2, 5, 10, 20, 50}
	if n > 10 {
		steps = []int{7, 14, 28, 56, 112}
	}
	for _, k := range steps {
		if float32(k)*slot >= labelW {
			return k
		}
	}
	return max(n, 1)
}

// categoryAt is the category under x, or -1.
func (g BarGeom) categoryAt(x float32) int {
	if g.Empty || !(g.Slot > 0) || x < g.Plot.X {
		return -1
	}
	c := int((x - g.Plot.X) / g.Slot)
	if c >= len(g.Bars) {
		return -1
	}
	return c
}

// StackedBars is a stacked bar chart (tokens per day by provider). Hovering
// a bar highlights it and calls OnHover with its category (-1 on leaving).
type StackedBars struct {
	widget.BaseWidget
	data    BarData
	empty   string // the sentence shown when there is nothing to draw
	hover   int
	gen     int // counts SetData calls
	OnHover func(category int)
}

var (
	_ fyne.Widget       = (*StackedBars)(nil)
	_ desktop.Hoverable = (*StackedBars)(nil)
)

func NewStackedBars(empty string) *StackedBars {
	c := &StackedBars{empty: empty, hover: -1}
	c.ExtendBaseWidget(c)
	return c
}

// SetData shows d, or the sentence empty when d has nothing to draw.
func (c *StackedBars) SetData(d BarData, empty string) {
	c.data, c.empty, c.hover = d, empty, -1
	c.gen++
	c.Refresh()
}

// Data is what the chart was last given.
func (c *StackedBars) Data() BarData { return c.data }

// EmptyText is the sentence the chart shows when there is nothing to draw.
func (c *StackedBars) EmptyText() string { return c.empty }

func (c *StackedBars) measure(s string) fyne.Size {
	return fyne.MeasureText(s, theme.SizeForWidget(theme.SizeNameCaptionText, c), fyne.TextStyle{})
}

func (c *StackedBars) geometry() BarGeom { return LayoutBars(c.data, c.Size(), c.measure) }

func (c *StackedBars) MouseIn(e *desktop.MouseEvent) { c.MouseMoved(e) }

func (c *StackedBars) MouseMoved(e *desktop.MouseEvent) {
	c.setHover(c.geometry().categoryAt(e.Position.X))
}

func (c *StackedBars) MouseOut() { c.setHover(-1) }

func (c *StackedBars) setHover(i int) {
	if i == c.hover {
		return
	}
	c.hover = i
	c.Refresh()
	if c.OnHover != nil {
		c.OnHover(i)
	}
}

func (c *StackedBars) CreateRenderer() fyne.WidgetRenderer {
	r := &barsRenderer{c: c}
	r.Refresh()
	return r
}

type barsRenderer struct {
	c       *StackedBars
	built   int // the data generation the objects were built for
	objs    []fyne.CanvasObject
	grid    []*canvas.Line
	ticks   []*canvas.Text
	bars    [][]*canvas.Rectangle
	labels  []*canvas.Text
	axis    *canvas.Line
	hover   *canvas.Rectangle
	message *canvas.Text
}

func (r *barsRenderer) Destroy() {}

func (r *barsRenderer) Objects() []fyne.CanvasObject { return r.objs }

func (r *barsRenderer) MinSize() fyne.Size {
	h := r.c.measure("0").Height
	return fyne.NewSize(160, 6*h)
}

// Refresh builds the objects again when the data changed, then colours
// them from the theme and lays them out.
func (r *barsRenderer) Refresh() {
	if r.objs == nil || r.built != r.c.gen {
		r.build()
	}
	r.paint()
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

// build makes the objects the data needs.
func (r *barsRenderer) build() {
	c, d := r.c, r.c.data
	r.built = c.gen
	r.objs = []fyne.CanvasObject{}
	r.grid, r.ticks, r.bars, r.labels = nil, nil, nil, nil
	r.message = canvas.NewText(c.empty, color.Transparent)
	r.hover = canvas.NewRectangle(color.Transparent)
	r.hover.CornerRadius = 3
	r.axis = canvas.NewLine(color.Transparent)
	g := c.geometry()
	if g.Empty {
		r.objs = append(r.objs, r.message)
		return
	}
	for _, l := range g.TickLabels {
		line := canvas.NewLine(color.Transparent)
		r.grid = append(r.grid, line)
		r.ticks = append(r.ticks, canvas.NewText(l, color.Transparent))
		r.objs = append(r.objs, line)
	}
	r.objs = append(r.objs, r.hover)
	for range d.Labels {
		row := make([]*canvas.Rectangle, len(d.Series))
		for s := range d.Series {
			row[s] = canvas.NewRectangle(color.Transparent)
			r.objs = append(r.objs, row[s])
		}
		r.bars = append(r.bars, row)
	}
	r.objs = append(r.objs, r.axis)
	for _, t := range r.ticks {
		r.objs = append(r.objs, t)
	}
	for _, l := range d.Labels {
		t := canvas.NewText(l, color.Transparent)
		r.labels = append(r.labels, t)
		r.objs = append(r.objs, t)
	}
}

// paint gives the objects the theme's colours and sizes.
func (r *barsRenderer) paint() {
	c := r.c
	fg := theme.ColorForWidget(theme.ColorNameForeground, c)
	textSize := theme.SizeForWidget(theme.SizeNameCaptionText, c)
	r.message.Color = theme.ColorForWidget(theme.ColorNamePlaceHolder, c)
	r.message.TextSize = theme.SizeForWidget(theme.SizeNameText, c)
	r.hover.FillColor = theme.ColorForWidget(theme.ColorNameHover, c)
	r.axis.StrokeColor = Alpha(fg, 0.5)
	for _, l := range r.grid {
		l.StrokeColor = Alpha(fg, 0.12)
	}
	for _, ts := range [][]*canvas.Text{r.ticks, r.labels} {
		for _, t := range ts {
			t.Color, t.TextSize = Alpha(fg, 0.8), textSize
		}
	}
	for _, row := range r.bars {
		for s, b := range row {
			if s < len(c.data.Series) {
				b.FillColor = Color(c, c.data.Series[s].Color)
			}
		}
	}
}

func (r *barsRenderer) Layout(size fyne.Size) {
	c := r.c
	g := LayoutBars(c.data, size, c.measure)
	if g.Empty || len(r.bars) != len(g.Bars) || len(r.ticks) != len(g.TickLabels) {
		ms := r.message.MinSize()
		r.message.Move(fyne.NewPos(Len((size.Width-ms.Width)/2), Len((size.Height-ms.Height)/2)))
		r.message.Resize(ms)
		return
	}
	for i, y := range g.TickY {
		r.grid[i].Position1 = fyne.NewPos(g.Plot.X, y)
		r.grid[i].Position2 = fyne.NewPos(g.Plot.X+g.Plot.W, y)
		t := r.ticks[i]
		ms := t.MinSize()
		t.Move(fyne.NewPos(Len(g.Plot.X-gap-ms.Width), y-ms.Height/2))
		t.Resize(ms)
	}
	bottom := g.Plot.Y + g.Plot.H
	r.axis.Position1 = fyne.NewPos(g.Plot.X, bottom)
	r.axis.Position2 = fyne.NewPos(g.Plot.X+g.Plot.W, bottom)
	for cat, row := range g.Bars {
		for s, b := range row {
			b.place(r.bars[cat][s])
		}
		t := r.labels[cat]
		t.Hidden = !g.LabelShown[cat]
		ms := t.MinSize()
		x := min(max(g.LabelX[cat]-ms.Width/2, 0), Len(size.Width-ms.Width))
		t.Move(fyne.NewPos(x, bottom+gap/2))
		t.Resize(ms)
	}
	r.hover.Hidden = c.hover < 0 || c.hover >= len(g.Bars)
	if !r.hover.Hidden {
		Rect{g.Plot.X + float32(c.hover)*g.Slot, g.Plot.Y, g.Slot, g.Plot.H}.place(r.hover)
	}
}
