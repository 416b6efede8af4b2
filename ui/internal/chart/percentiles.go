package chart

import (
	"image/color"
	"math"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// PercentileRow is one provider's time to first token.
type PercentileRow struct {
	Name          string
	Color         int
	P50, P90, P99 float64 // milliseconds
	N             int     // samples
}

func (p PercentileRow) text() string {
	answers := "answers"
	if p.N == 1 {
		answers = "answer"
	}
	return "p50 " + Millis(p.P50) + " · p90 " + Millis(p.P90) + " · p99 " + Millis(p.P99) + " · " + strconv.Itoa(p.N) + " " + answers
}

// pctGeom is where a percentile chart's parts go.
type pctGeom struct {
	Empty      bool
	Names      []Rect // provider names
	Texts      []Rect // the figures, right of the bars (zero when they do not fit)
	P50        []Rect
	P90        []Rect
	P99        []Rect
	Track      Rect // the x range of the bars, over every row
	Ticks      []float64
	TickLabels []string
	TickX      []float32
	AxisY      float32 // the top of the tick labels
}

// layoutPercentiles places rows in size: each row is a bar from 0 to p99,
// paler past p50 and p90; a shared axis in milliseconds runs underneath.
func layoutPercentiles(rows []PercentileRow, size fyne.Size, measure func(string) fyne.Size) pctGeom {
	size = fyne.NewSize(Len(size.Width), Len(size.Height))
	var g pctGeom
	peak := 0.0
	for _, r := range rows {
		peak = math.Max(peak, math.Max(Value(r.P50), math.Max(Value(r.P90), Value(r.P99))))
	}
	if len(rows) == 0 {
		g.Empty = true
		return g
	}
	g.Ticks = NiceTicks(peak, 5, true)
	g.TickLabels = MillisLabels(g.Ticks)
	lineH := measure("0").Height
	rowH := lineH + 10
	var nameW, textW float32
	for _, r := range rows {
		nameW = max(nameW, measure(r.Name).Width)
		textW = max(textW, measure(r.text()).Width)
	}
	nameW = min(nameW, Len(size.Width*0.3))
	last := measure(g.TickLabels[len(g.TickLabels)-1]).Width
	g.Track.X = nameW + gap*2
	g.Track.W = Len(size.Width - g.Track.X - textW - gap*2)
	showText := g.Track.W >= 80
	if !showText {
		g.Track.W = Len(size.Width - g.Track.X - last/2)
	}
	g.Track.Y = 0
	g.Track.H = Len(min(float32(len(rows))*rowH, size.Height-lineH-gap))
	rowH = g.Track.H / float32(len(rows))
	top := g.Ticks[len(g.Ticks)-1]
	x := func(v float64) float32 { return Len(float32(Value(v) / top * float64(g.Track.W))) }
	for i, r := range rows {
		y := float32(i) * rowH
		barH := Len(min(rowH*0.62, lineH))
		by := y + (rowH-barH)/2
		nm := measure(r.Name)
		g.Names = append(g.Names, Rect{0, y + (rowH-nm.Height)/2, nameW, nm.Height})
		g.P99 = append(g.P99, Rect{g.Track.X, by, x(r.P99), barH})
		g.P90 = append(g.P90, Rect{g.Track.X, by, x(r.P90), barH})
		g.P50 = append(g.P50, Rect{g.Track.X, by, x(r.P50), barH})
		if showText {
			tm := measure(r.text())
			g.Texts = append(g.Texts, Rect{g.Track.X + g.Track.W + gap*2, y + (rowH-tm.Height)/2, tm.Width, tm.Height})
		} else {
			g.Texts = append(g.Texts, Rect{})
		}
	}
	g.AxisY = g.Track.H + gap/2
	for _, t := range g.Ticks {
		g.TickX = append(g.TickX, g.Track.X+x(t))
	}
	return g
}

// PercentileBars shows each provider's time to first token as p50, p90 and
// p99 bars on one scale.
type PercentileBars struct {
	widget.BaseWidget
	rows  []PercentileRow
	empty string
	gen   int // counts SetRows calls
}

func NewPercentileBars(empty string) *PercentileBars {
	c := &PercentileBars{empty: empty}
	c.ExtendBaseWidget(c)
	return c
}

// SetRows shows rows, or the sentence empty when there are none.
func (c *PercentileBars) SetRows(rows []PercentileRow, empty string) {
	c.rows, c.empty = rows, empty
	c.gen++
	c.Refresh()
}

// Rows is what the chart was last given.
func (c *PercentileBars) Rows() []PercentileRow { return c.rows }

func (c *PercentileBars) measure(s string) fyne.Size {
	return fyne.MeasureText(s, theme.SizeForWidget(theme.SizeNameCaptionText, c), fyne.TextStyle{})
}

func (c *PercentileBars) CreateRenderer() fyne.WidgetRenderer {
	r := &pctRenderer{c: c}
	r.Refresh()
	return r
}

type pctRenderer struct {
	c                   *PercentileBars
	built               int
	objs                []fyne.CanvasObject
	names, texts, ticks []*canvas.Text
	grid                []*canvas.Line
	p50, p90, p99       []*canvas.Rectangle
	message             *canvas.Text
}

func (r *pctRenderer) Destroy() {}

func (r *pctRenderer) Objects() []fyne.CanvasObject { return r.objs }

func (r *pctRenderer) MinSize() fyne.Size {
	h := r.c.measure("0").Height
	rows := max(len(r.c.rows), 2)
	return fyne.NewSize(200, float32(rows)*(h+10)+h+gap)
}

// Refresh builds the objects again when the rows changed, then colours
// them from the theme and lays them out.
func (r *pctRenderer) Refresh() {
	if r.objs == nil || r.built != r.c.gen {
		r.build()
	}
	r.paint()
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *pctRenderer) build() {
	c := r.c
	r.built = c.gen
	r.objs = []fyne.CanvasObject{}
	r.names, r.texts, r.ticks, r.grid, r.p50, r.p90, r.p99 = nil, nil, nil, nil, nil, nil, nil
	r.message = canvas.NewText(c.empty, color.Transparent)
	g := layoutPercentiles(c.rows, c.Size(), c.measure)
	if g.Empty {
		r.objs = append(r.objs, r.message)
		return
	}
	for range g.Ticks {
		l := canvas.NewLine(color.Transparent)
		r.grid = append(r.grid, l)
		r.objs = append(r.objs, l)
	}
	for _, row := range c.rows {
		for _, list := range []*[]*canvas.Rectangle{&r.p99, &r.p90, &r.p50} {
			b := canvas.NewRectangle(color.Transparent)
			b.CornerRadius = 2
			*list = append(*list, b)
			r.objs = append(r.objs, b)
		}
		name := canvas.NewText(row.Name, color.Transparent)
		name.TextStyle.Bold = true
		t := canvas.NewText(row.text(), color.Transparent)
		r.names, r.texts = append(r.names, name), append(r.texts, t)
		r.objs = append(r.objs, name, t)
	}
	for _, l := range g.TickLabels {
		t := canvas.NewText(l, color.Transparent)
		r.ticks = append(r.ticks, t)
		r.objs = append(r.objs, t)
	}
}

func (r *pctRenderer) paint() {
	c := r.c
	fg := theme.ColorForWidget(theme.ColorNameForeground, c)
	textSize := theme.SizeForWidget(theme.SizeNameCaptionText, c)
	r.message.Color = theme.ColorForWidget(theme.ColorNamePlaceHolder, c)
	r.message.TextSize = theme.SizeForWidget(theme.SizeNameText, c)
	for _, l := range r.grid {
		l.StrokeColor = Alpha(fg, 0.12)
	}
	for _, t := range r.names {
		t.Color, t.TextSize = fg, textSize
	}
	for _, t := range r.texts {
		t.Color, t.TextSize = fg, textSize
	}
	for _, t := range r.ticks {
		t.Color, t.TextSize = Alpha(fg, 0.75), textSize
	}
	for i, row := range c.rows {
		if i >= len(r.p50) {
			break
		}
		col := Color(c, row.Color)
		r.p99[i].FillColor = Alpha(col, 0.35)
		r.p90[i].FillColor = Alpha(col, 0.6)
		r.p50[i].FillColor = col
	}
}

func (r *pctRenderer) Layout(size fyne.Size) {
	g := layoutPercentiles(r.c.rows, size, r.c.measure)
	if g.Empty || len(r.names) != len(g.Names) || len(r.ticks) != len(g.Ticks) {
		ms := r.message.MinSize()
		r.message.Move(fyne.NewPos(Len((size.Width-ms.Width)/2), Len((size.Height-ms.Height)/2)))
		r.message.Resize(ms)
		return
	}
	for i := range g.Names {
		g.Names[i].place(r.names[i])
		g.P99[i].place(r.p99[i])
		g.P90[i].place(r.p90[i])
		g.P50[i].place(r.p50[i])
		r.texts[i].Hidden = g.Texts[i].W == 0
		g.Texts[i].place(r.texts[i])
	}
	for i, x := range g.TickX {
		r.grid[i].Position1 = fyne.NewPos(x, g.Track.Y)
		r.grid[i].Position2 = fyne.NewPos(x, g.Track.Y+g.Track.H)
		t := r.ticks[i]
		ms := t.MinSize()
		t.Move(fyne.NewPos(min(max(x-ms.Width/2, 0), Len(size.Width-ms.Width)), g.AxisY))
		t.Resize(ms)
	}
}
