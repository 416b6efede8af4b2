package ui

import (
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Charts drawn with Fyne's canvas: stacked bars, percentile bars, a ring
// and a legend. Each is a widget whose renderer only places canvas objects;
// where they go is worked out by plain functions (layoutBars,
// layoutPercentiles) that the tests check. Colours come from the theme and
// are looked up again on every Refresh, so a change of theme redraws them.

// chartRect is a box in a widget's coordinates.
type chartRect struct{ X, Y, W, H float32 }

func (r chartRect) place(o fyne.CanvasObject) {
	o.Move(fyne.NewPos(r.X, r.Y))
	o.Resize(fyne.NewSize(r.W, r.H))
}

// chartValue makes a value drawable: NaN, infinities and negatives count as 0.
func chartValue(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// chartLen clamps a length to 0 or more (NaN: 0).
func chartLen(v float32) float32 {
	if !(v > 0) {
		return 0
	}
	return v
}

// chartNiceTicks returns axis ticks from 0 to at least max in steps of 1, 2 or
// 5 times a power of ten, about n of them. integer keeps steps whole (token
// counts). A max of 0 (or not a number) gives 0 and 1.
func chartNiceTicks(max float64, n int, integer bool) []float64 {
	if !(max > 0) || math.IsInf(max, 0) {
		return []float64{0, 1}
	}
	n = min(10, n) // at most 10 steps, whatever the caller asked
	n = int(math.Max(float64(n), 2))
	step := chartNiceNum(chartNiceNum(max, false)/float64(n-1), true)
	if integer {
		step = math.Max(step, 1)
	}
	top := math.Ceil(max/step-1e-9) * step
	steps := int(math.Round(top / step))
	ticks := make([]float64, 0, steps+1)
	for i := 0; i <= steps; i++ {
		ticks = append(ticks, chartRound(float64(i)*step, step))
	}
	return ticks
}

// chartNiceNum returns a 1, 2, 5 or 10 times a power of ten near x: the
// nearest when round, else the next one up.
func chartNiceNum(x float64, round bool) float64 {
	exp := math.Floor(math.Log10(x))
	f := x / math.Pow(10, exp)
	var nf float64
	switch {
	case round && f < 1.5, !round && f <= 1:
		nf = 1
	case round && f < 3, !round && f <= 2:
		nf = 2
	case round && f < 7, !round && f <= 5:
		nf = 5
	default:
		nf = 10
	}
	return nf * math.Pow(10, exp)
}

// chartRound drops the floating-point noise of v, a multiple of step.
func chartRound(v, step float64) float64 {
	d := float64(chartDecimals(step))
	p := math.Pow(10, d)
	return math.Round(v*p) / p
}

// chartDecimals is how many decimals a multiple of step needs.
func chartDecimals(step float64) int {
	if !(step > 0) || step >= 1 {
		return 0
	}
	return int(math.Ceil(-math.Log10(step) - 1e-9))
}

// chartTickLabels writes ticks compactly (1.5k, 2M), all in the unit of the
// largest one; money adds a dollar sign.
func chartTickLabels(ticks []float64, money bool) []string {
	if len(ticks) == 0 {
		return nil
	}
	top := ticks[len(ticks)-1]
	step := top
	if len(ticks) > 1 {
		step = ticks[1] - ticks[0]
	}
	div, suffix := 1.0, ""
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e9, "B"}, {1e6, "M"}, {1e3, "k"}} {
		if top >= u.div {
			div, suffix = u.div, u.suffix
			break
		}
	}
	d := chartDecimals(step / div)
	out := make([]string, len(ticks))
	for i, t := range ticks {
		s := strconv.FormatFloat(t/div, 'f', d, 64)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		if s != "0" {
			s += suffix
		}
		if money {
			s = "$" + s
		}
		out[i] = s
	}
	return out
}

// chartMillisLabels writes ticks of milliseconds: 250 ms, or 1.5 s once the
// axis reaches a second.
func chartMillisLabels(ticks []float64) []string {
	if len(ticks) == 0 {
		return nil
	}
	top := ticks[len(ticks)-1]
	step := top
	if len(ticks) > 1 {
		step = ticks[1] - ticks[0]
	}
	out := make([]string, len(ticks))
	for i, t := range ticks {
		switch {
		case t == 0:
			out[i] = "0"
		case top >= 1000:
			s := strconv.FormatFloat(t/1000, 'f', chartDecimals(step/1000), 64)
			if strings.Contains(s, ".") {
				s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
			}
			out[i] = s + " s"
		default:
			out[i] = strconv.FormatFloat(t, 'f', chartDecimals(step), 64) + " ms"
		}
	}
	return out
}

// --- Colours ---------------------------------------------------------------

// seriesColor is the colour of series i: the theme's primary colour first,
// then hues a 3/8 turn apart, each as light or dark as it takes to stand
// out from the background (a contrast of 3:1, WCAG's for graphics). After
// eight, the hues come round again further from the background.
func seriesColor(i int, primary, bg color.Color) color.NRGBA {
	i = max(i, 0)
	p := chartNRGBA(primary)
	if i == 0 && chartContrast(p, bg) >= 3 {
		return p
	}
	h, s, l := chartHSL(p)
	s = math.Min(math.Max(s, 0.55), 0.85)
	h = math.Mod(h+float64(i%8)*135, 360)
	dark := chartLuminance(bg) < 0.4
	away := -0.02 // the way from the background
	if dark {
		l, away = math.Max(l, 0.5), 0.02
	} else {
		l = math.Min(l, 0.55)
	}
	for k := 0; k < 60 && chartContrast(chartFromHSL(h, s, l), bg) < 3; k++ {
		l = math.Min(math.Max(l+away, 0.05), 0.95)
	}
	// Later rounds of the hues: further from the background still.
	l = math.Min(math.Max(l+away*7*float64((i/8)%3), 0.05), 0.95)
	return chartFromHSL(h, s, l)
}

// chartColor is series i's colour for widget w in its current theme.
func chartColor(w fyne.Widget, i int) color.NRGBA {
	return seriesColor(i, theme.ColorForWidget(theme.ColorNamePrimary, w), theme.ColorForWidget(theme.ColorNameBackground, w))
}

// chartAlpha returns c at alpha a (0–1).
func chartAlpha(c color.Color, a float64) color.NRGBA {
	n := chartNRGBA(c)
	n.A = uint8(math.Round(float64(n.A) * a))
	return n
}

func chartNRGBA(c color.Color) color.NRGBA {
	if c == nil {
		return color.NRGBA{}
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

// chartLuminance is WCAG's relative luminance of c.
func chartLuminance(c color.Color) float64 {
	n := chartNRGBA(c)
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(n.R) + 0.7152*lin(n.G) + 0.0722*lin(n.B)
}

// chartContrast is WCAG's contrast ratio of a and b (1 to 21).
func chartContrast(a, b color.Color) float64 {
	la, lb := chartLuminance(a), chartLuminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func chartHSL(c color.NRGBA) (h, s, l float64) {
	r, g, b := float64(c.R)/255, float64(c.G)/255, float64(c.B)/255
	mx, mn := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
	l = (mx + mn) / 2
	if mx == mn {
		return 0, 0, l
	}
	d := mx - mn
	if l > 0.5 {
		s = d / (2 - mx - mn)
	} else {
		s = d / (mx + mn)
	}
	switch mx {
	case r:
		h = math.Mod((g-b)/d+6, 6)
	case g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	return h * 60, s, l
}

func chartFromHSL(h, s, l float64) color.NRGBA {
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	var r, g, b float64
	switch {
	case h < 60:
		r, g = c, x
	case h < 120:
		r, g = x, c
	case h < 180:
		g, b = c, x
	case h < 240:
		g, b = x, c
	case h < 300:
		r, b = x, c
	default:
		r, b = c, x
	}
	to := func(v float64) uint8 { return uint8(math.Round(math.Min(math.Max(v+m, 0), 1) * 255)) }
	return color.NRGBA{R: to(r), G: to(g), B: to(b), A: 0xff}
}

// --- Stacked bars ----------------------------------------------------------

// barSeries is one layer of a stacked bar chart.
type barSeries struct {
	Name  string
	Color int // seriesColor index
}

// barData is what a stacked bar chart shows: one bar per category, the
// series stacked in order from the bottom.
type barData struct {
	Labels []string    // one per category, written under it (some are skipped when crowded)
	Series []barSeries // bottom to top
	Values [][]float64 // [category][series]
	Money  bool        // values are US dollars
}

func (d barData) value(c, s int) float64 {
	if c < len(d.Values) && s < len(d.Values[c]) {
		return chartValue(d.Values[c][s])
	}
	return 0
}

// drawable says whether d has anything to draw: a category whose values
// add up to more than 0.
func (d barData) drawable() bool {
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

// barGeom is where a stacked bar chart's parts go.
type barGeom struct {
	Empty      bool // nothing to draw: the chart shows its sentence
	Plot       chartRect
	Ticks      []float64
	TickLabels []string
	TickY      []float32     // the y of each tick's grid line
	Bars       [][]chartRect // [category][series]; zero height for a zero value
	Slot       float32       // the width each category has
	LabelX     []float32     // the centre of each category
	LabelShown []bool
}

const (
	chartGap      = 6   // between axis labels and the plot
	chartBarFill  = 0.7 // of a category's width that its bar takes
	chartBarTicks = 5   // y-axis ticks wanted
)

// layoutBars places a stacked bar chart of d in size; measure gives a
// label's size.
func layoutBars(d barData, size fyne.Size, measure func(string) fyne.Size) barGeom {
	size = fyne.NewSize(chartLen(size.Width), chartLen(size.Height))
	n := len(d.Labels)
	var g barGeom
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
		g.Plot = chartRect{0, 0, size.Width, size.Height}
		return g
	}
	g.Ticks = chartNiceTicks(peak, chartBarTicks, !d.Money)
	g.TickLabels = chartTickLabels(g.Ticks, d.Money)
	var labelW float32
	for _, l := range g.TickLabels {
		labelW = max(labelW, measure(l).Width)
	}
	lineH := measure("0").Height
	g.Plot.X = labelW + chartGap
	g.Plot.Y = lineH / 2
	g.Plot.W = chartLen(size.Width - g.Plot.X - chartGap)
	g.Plot.H = chartLen(size.Height - g.Plot.Y - lineH - chartGap)
	// Edges fall on whole pixels, so that stacked layers meet and no bar
	// pokes through the axis when drawn.
	px := func(v float32) float32 { return float32(math.Round(float64(v))) }
	bottom := px(g.Plot.Y + g.Plot.H)
	g.Plot.H = chartLen(bottom - g.Plot.Y)
	top := g.Ticks[len(g.Ticks)-1]
	for _, t := range g.Ticks {
		g.TickY = append(g.TickY, px(bottom-float32(t/top)*g.Plot.H))
	}
	g.Slot = g.Plot.W / float32(n)
	barW := g.Slot * chartBarFill
	if barW < 1 {
		barW = min(1, g.Slot)
	}
	var widest float32
	for _, l := range d.Labels {
		widest = max(widest, measure(l).Width)
	}
	every := chartLabelEvery(n, g.Slot, widest+chartGap*2)
	g.Bars = make([][]chartRect, n)
	for c := 0; c < n; c++ {
		x := g.Plot.X + float32(c)*g.Slot
		y, sum := bottom, 0.0
		g.Bars[c] = make([]chartRect, len(d.Series))
		for s := range d.Series {
			sum += d.value(c, s)
			edge := min(y, px(bottom-float32(sum/top*float64(g.Plot.H))))
			g.Bars[c][s] = chartRect{x + (g.Slot-barW)/2, edge, barW, y - edge}
			y = edge
		}
		g.LabelX = append(g.LabelX, x+g.Slot/2)
		g.LabelShown = append(g.LabelShown, (n-1-c)%every == 0)
	}
	return g
}

// chartLabelEvery says how many categories apart labels go so that they do not
// overlap: every one when few fit, else every 7 (a week of days) or more.
// The last category is always labelled.
func chartLabelEvery(n int, slot, labelW float32) int {
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
func (g barGeom) categoryAt(x float32) int {
	if g.Empty || !(g.Slot > 0) || x < g.Plot.X {
		return -1
	}
	c := int((x - g.Plot.X) / g.Slot)
	if c >= len(g.Bars) {
		return -1
	}
	return c
}

// stackedBars is a stacked bar chart (tokens per day by provider). Hovering
// a bar highlights it and calls OnHover with its category (-1 on leaving).
type stackedBars struct {
	widget.BaseWidget
	data    barData
	empty   string // the sentence shown when there is nothing to draw
	hover   int
	gen     int // counts SetData calls
	OnHover func(category int)
}

var (
	_ fyne.Widget       = (*stackedBars)(nil)
	_ desktop.Hoverable = (*stackedBars)(nil)
)

func newStackedBars(empty string) *stackedBars {
	c := &stackedBars{empty: empty, hover: -1}
	c.ExtendBaseWidget(c)
	return c
}

// SetData shows d, or the sentence empty when d has nothing to draw.
func (c *stackedBars) SetData(d barData, empty string) {
	c.data, c.empty, c.hover = d, empty, -1
	c.gen++
	c.Refresh()
}

func (c *stackedBars) measure(s string) fyne.Size {
	return fyne.MeasureText(s, theme.SizeForWidget(theme.SizeNameCaptionText, c), fyne.TextStyle{})
}

func (c *stackedBars) geometry() barGeom { return layoutBars(c.data, c.Size(), c.measure) }

func (c *stackedBars) MouseIn(e *desktop.MouseEvent) { c.MouseMoved(e) }

func (c *stackedBars) MouseMoved(e *desktop.MouseEvent) {
	c.setHover(c.geometry().categoryAt(e.Position.X))
}

func (c *stackedBars) MouseOut() { c.setHover(-1) }

func (c *stackedBars) setHover(i int) {
	if i == c.hover {
		return
	}
	c.hover = i
	c.Refresh()
	if c.OnHover != nil {
		c.OnHover(i)
	}
}

func (c *stackedBars) CreateRenderer() fyne.WidgetRenderer {
	r := &barsRenderer{c: c}
	r.Refresh()
	return r
}

type barsRenderer struct {
	c       *stackedBars
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
	r.axis.StrokeColor = chartAlpha(fg, 0.5)
	for _, l := range r.grid {
		l.StrokeColor = chartAlpha(fg, 0.12)
	}
	for _, ts := range [][]*canvas.Text{r.ticks, r.labels} {
		for _, t := range ts {
			t.Color, t.TextSize = chartAlpha(fg, 0.8), textSize
		}
	}
	for _, row := range r.bars {
		for s, b := range row {
			if s < len(c.data.Series) {
				b.FillColor = chartColor(c, c.data.Series[s].Color)
			}
		}
	}
}

func (r *barsRenderer) Layout(size fyne.Size) {
	c := r.c
	g := layoutBars(c.data, size, c.measure)
	if g.Empty || len(r.bars) != len(g.Bars) || len(r.ticks) != len(g.TickLabels) {
		ms := r.message.MinSize()
		r.message.Move(fyne.NewPos(chartLen((size.Width-ms.Width)/2), chartLen((size.Height-ms.Height)/2)))
		r.message.Resize(ms)
		return
	}
	for i, y := range g.TickY {
		r.grid[i].Position1 = fyne.NewPos(g.Plot.X, y)
		r.grid[i].Position2 = fyne.NewPos(g.Plot.X+g.Plot.W, y)
		t := r.ticks[i]
		ms := t.MinSize()
		t.Move(fyne.NewPos(chartLen(g.Plot.X-chartGap-ms.Width), y-ms.Height/2))
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
		x := min(max(g.LabelX[cat]-ms.Width/2, 0), chartLen(size.Width-ms.Width))
		t.Move(fyne.NewPos(x, bottom+chartGap/2))
		t.Resize(ms)
	}
	r.hover.Hidden = c.hover < 0 || c.hover >= len(g.Bars)
	if !r.hover.Hidden {
		chartRect{g.Plot.X + float32(c.hover)*g.Slot, g.Plot.Y, g.Slot, g.Plot.H}.place(r.hover)
	}
}

// --- Percentile bars -------------------------------------------------------

// pctRow is one provider's time to first token.
type pctRow struct {
	Name          string
	Color         int
	P50, P90, P99 float64 // milliseconds
	N             int     // samples
}

func (p pctRow) text() string {
	answers := "answers"
	if p.N == 1 {
		answers = "answer"
	}
	return "p50 " + chartMillis(p.P50) + " · p90 " + chartMillis(p.P90) + " · p99 " + chartMillis(p.P99) + " · " + strconv.Itoa(p.N) + " " + answers
}

// pctGeom is where a percentile chart's parts go.
type pctGeom struct {
	Empty      bool
	Names      []chartRect // provider names
	Texts      []chartRect // the figures, right of the bars (zero when they do not fit)
	P50        []chartRect
	P90        []chartRect
	P99        []chartRect
	Track      chartRect // the x range of the bars, over every row
	Ticks      []float64
	TickLabels []string
	TickX      []float32
	AxisY      float32 // the top of the tick labels
}

// layoutPercentiles places rows in size: each row is a bar from 0 to p99,
// paler past p50 and p90; a shared axis in milliseconds runs underneath.
func layoutPercentiles(rows []pctRow, size fyne.Size, measure func(string) fyne.Size) pctGeom {
	size = fyne.NewSize(chartLen(size.Width), chartLen(size.Height))
	var g pctGeom
	peak := 0.0
	for _, r := range rows {
		peak = math.Max(peak, math.Max(chartValue(r.P50), math.Max(chartValue(r.P90), chartValue(r.P99))))
	}
	if len(rows) == 0 {
		g.Empty = true
		return g
	}
	g.Ticks = chartNiceTicks(peak, 5, true)
	g.TickLabels = chartMillisLabels(g.Ticks)
	lineH := measure("0").Height
	rowH := lineH + 10
	var nameW, textW float32
	for _, r := range rows {
		nameW = max(nameW, measure(r.Name).Width)
		textW = max(textW, measure(r.text()).Width)
	}
	nameW = min(nameW, chartLen(size.Width*0.3))
	last := measure(g.TickLabels[len(g.TickLabels)-1]).Width
	g.Track.X = nameW + chartGap*2
	g.Track.W = chartLen(size.Width - g.Track.X - textW - chartGap*2)
	showText := g.Track.W >= 80
	if !showText {
		g.Track.W = chartLen(size.Width - g.Track.X - last/2)
	}
	g.Track.Y = 0
	g.Track.H = chartLen(min(float32(len(rows))*rowH, size.Height-lineH-chartGap))
	rowH = g.Track.H / float32(len(rows))
	top := g.Ticks[len(g.Ticks)-1]
	x := func(v float64) float32 { return chartLen(float32(chartValue(v) / top * float64(g.Track.W))) }
	for i, r := range rows {
		y := float32(i) * rowH
		barH := chartLen(min(rowH*0.62, lineH))
		by := y + (rowH-barH)/2
		nm := measure(r.Name)
		g.Names = append(g.Names, chartRect{0, y + (rowH-nm.Height)/2, nameW, nm.Height})
		g.P99 = append(g.P99, chartRect{g.Track.X, by, x(r.P99), barH})
		g.P90 = append(g.P90, chartRect{g.Track.X, by, x(r.P90), barH})
		g.P50 = append(g.P50, chartRect{g.Track.X, by, x(r.P50), barH})
		if showText {
			tm := measure(r.text())
			g.Texts = append(g.Texts, chartRect{g.Track.X + g.Track.W + chartGap*2, y + (rowH-tm.Height)/2, tm.Width, tm.Height})
		} else {
			g.Texts = append(g.Texts, chartRect{})
		}
	}
	g.AxisY = g.Track.H + chartGap/2
	for _, t := range g.Ticks {
		g.TickX = append(g.TickX, g.Track.X+x(t))
	}
	return g
}

// percentileBars shows each provider's time to first token as p50, p90 and
// p99 bars on one scale.
type percentileBars struct {
	widget.BaseWidget
	rows  []pctRow
	empty string
	gen   int // counts SetRows calls
}

func newPercentileBars(empty string) *percentileBars {
	c := &percentileBars{empty: empty}
	c.ExtendBaseWidget(c)
	return c
}

// SetRows shows rows, or the sentence empty when there are none.
func (c *percentileBars) SetRows(rows []pctRow, empty string) {
	c.rows, c.empty = rows, empty
	c.gen++
	c.Refresh()
}

func (c *percentileBars) measure(s string) fyne.Size {
	return fyne.MeasureText(s, theme.SizeForWidget(theme.SizeNameCaptionText, c), fyne.TextStyle{})
}

func (c *percentileBars) CreateRenderer() fyne.WidgetRenderer {
	r := &pctRenderer{c: c}
	r.Refresh()
	return r
}

type pctRenderer struct {
	c                   *percentileBars
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
	return fyne.NewSize(200, float32(rows)*(h+10)+h+chartGap)
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
		l.StrokeColor = chartAlpha(fg, 0.12)
	}
	for _, t := range r.names {
		t.Color, t.TextSize = fg, textSize
	}
	for _, t := range r.texts {
		t.Color, t.TextSize = fg, textSize
	}
	for _, t := range r.ticks {
		t.Color, t.TextSize = chartAlpha(fg, 0.75), textSize
	}
	for i, row := range c.rows {
		if i >= len(r.p50) {
			break
		}
		col := chartColor(c, row.Color)
		r.p99[i].FillColor = chartAlpha(col, 0.35)
		r.p90[i].FillColor = chartAlpha(col, 0.6)
		r.p50[i].FillColor = col
	}
}

func (r *pctRenderer) Layout(size fyne.Size) {
	g := layoutPercentiles(r.c.rows, size, r.c.measure)
	if g.Empty || len(r.names) != len(g.Names) || len(r.ticks) != len(g.Ticks) {
		ms := r.message.MinSize()
		r.message.Move(fyne.NewPos(chartLen((size.Width-ms.Width)/2), chartLen((size.Height-ms.Height)/2)))
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
		t.Move(fyne.NewPos(min(max(x-ms.Width/2, 0), chartLen(size.Width-ms.Width)), g.AxisY))
		t.Resize(ms)
	}
}

// chartMillis writes a duration in milliseconds for people: 420 ms, 1.2 s.
func chartMillis(ms float64) string {
	ms = chartValue(ms)
	if ms < 1000 {
		return strconv.FormatFloat(math.Round(ms), 'f', 0, 64) + " ms"
	}
	s := strconv.FormatFloat(ms/1000, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " s"
}

// --- Ring ------------------------------------------------------------------

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

// --- Legend ----------------------------------------------------------------

// chartLegend lists series with their colours, wrapping onto more lines when
// narrow.
type chartLegend struct {
	widget.BaseWidget
	items []barSeries
	gen   int // counts SetItems calls
}

func newChartLegend(items []barSeries) *chartLegend {
	l := &chartLegend{items: items}
	l.ExtendBaseWidget(l)
	return l
}

// SetItems shows items.
func (l *chartLegend) SetItems(items []barSeries) {
	if slices.Equal(items, l.items) {
		return
	}
	l.items = items
	l.gen++
	l.Refresh()
}

func (l *chartLegend) CreateRenderer() fyne.WidgetRenderer {
	r := &chartLegendRenderer{l: l}
	r.Refresh()
	return r
}

type chartLegendRenderer struct {
	l      *chartLegend
	built  int
	objs   []fyne.CanvasObject
	swatch []*canvas.Rectangle
	names  []*canvas.Text
}

const chartSwatch = 12

func (r *chartLegendRenderer) Destroy() {}

func (r *chartLegendRenderer) Objects() []fyne.CanvasObject { return r.objs }

func (r *chartLegendRenderer) Refresh() {
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
		r.swatch[i].FillColor = chartColor(r.l, it.Color)
		r.names[i].Color, r.names[i].TextSize = fg, size
	}
	r.Layout(r.l.Size())
	canvas.Refresh(r.l)
}

// flow places the items in rows of width w and returns the height used.
func (r *chartLegendRenderer) flow(w float32, place bool) float32 {
	var x, y, lineH float32
	for i, t := range r.names {
		ms := t.MinSize()
		lineH = max(lineH, ms.Height)
		itemW := chartSwatch + chartGap + ms.Width
		if x > 0 && x+itemW > w {
			x, y = 0, y+lineH+2
		}
		if place {
			chartRect{x, y + (ms.Height-chartSwatch)/2, chartSwatch, chartSwatch}.place(r.swatch[i])
			chartRect{x + chartSwatch + chartGap, y, ms.Width, ms.Height}.place(t)
		}
		x += itemW + 3*chartGap
	}
	if len(r.names) == 0 {
		return 0
	}
	return y + lineH
}

func (r *chartLegendRenderer) Layout(size fyne.Size) {
	h := r.flow(size.Width, false)
	r.flow(size.Width, true)
	if dy := (size.Height - h) / 2; dy > 0 { // centred vertically in a taller row
		for _, o := range r.objs {
			o.Move(o.Position().AddXY(0, dy))
		}
	}
}

func (r *chartLegendRenderer) MinSize() fyne.Size {
	var widest float32
	for _, t := range r.names {
		widest = max(widest, chartSwatch+chartGap+t.MinSize().Width)
	}
	w := r.l.Size().Width
	if w < widest {
		w = 1 << 20 // not laid out yet: one line
	}
	return fyne.NewSize(widest, r.flow(w, false))
}
