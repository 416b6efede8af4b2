package chart

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/deskchat/deskchat/ui/internal/look"
)

// fixedMeasure measures text as 7 px a character, 14 px high.
func fixedMeasure(s string) fyne.Size { return fyne.NewSize(float32(len([]rune(s)))*7, 14) }

// noRequests is a sentence an empty chart shows.
const noRequests = "No requests in the last 30 days."

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestChartNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		max     float64
		integer bool
		want    []float64
		labels  []string
		money   bool
	}{
		{0, true, []float64{0, 1}, []string{"0", "1"}, false},
		{math.NaN(), true, []float64{0, 1}, nil, false},
		{7, true, []float64{0, 2, 4, 6, 8}, []string{"0", "2", "4", "6", "8"}, false},
		{1234, true, []float64{0, 500, 1000, 1500}, []string{"0", "0.5k", "1k", "1.5k"}, false},
		{0.0042, false, []float64{0, 0.001, 0.002, 0.003, 0.004, 0.005}, []string{"$0", "$0.001", "$0.002", "$0.003", "$0.004", "$0.005"}, true},
		{2, true, []float64{0, 1, 2}, nil, false}, // no half tokens
		{3_700_000, true, []float64{0, 1e6, 2e6, 3e6, 4e6}, []string{"0", "1M", "2M", "3M", "4M"}, false},
		{12.5, false, []float64{0, 5, 10, 15}, []string{"$0", "$5", "$10", "$15"}, true},
	} {
		got := NiceTicks(tc.max, barTicks, tc.integer)
		if len(got) != len(tc.want) {
			t.Errorf("ticks for %v: %v, want %v", tc.max, got, tc.want)
			continue
		}
		for i := range got {
			if !near(got[i], tc.want[i], 1e-12) {
				t.Errorf("ticks for %v: %v, want %v", tc.max, got, tc.want)
				break
			}
		}
		if tc.labels != nil {
			if l := TickLabels(got, tc.money); !slices.Equal(l, tc.labels) {
				t.Errorf("labels for %v: %q, want %q", tc.max, l, tc.labels)
			}
		}
	}
	// Huge and tiny values: the top tick covers the value, steps are 1, 2
	// or 5 times a power of ten, and there are a handful of them.
	for _, v := range []float64{1e-9, 3.3e-5, 0.97, 1, 99, 101, 7.77e8, 4.2e15} {
		ticks := NiceTicks(v, barTicks, false)
		top, step := ticks[len(ticks)-1], ticks[1]-ticks[0]
		mant := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9))
		if top < v || len(ticks) < 3 || len(ticks) > 11 || !(near(mant, 1, 1e-6) || near(mant, 2, 1e-6) || near(mant, 5, 1e-6)) {
			t.Errorf("ticks for %g: %v", v, ticks)
		}
	}
	if l := MillisLabels([]float64{0, 500, 1000, 1500}); !slices.Equal(l, []string{"0", "0.5 s", "1 s", "1.5 s"}) {
		t.Errorf("millisecond labels %q", l)
	}
}

func threeDays() BarData {
	return BarData{
		Labels: []string{"1 Mar", "2 Mar", "3 Mar"},
		Series: []Series{{Name: "OpenAI", Color: 0}, {Name: "Ollama", Color: 1}},
		Values: [][]float64{{100, 50}, {0, 0}, {400, 300}},
	}
}

func TestChartStackedBarsAreProportionalAndStackInOrder(t *testing.T) {
	d := threeDays()
	g := LayoutBars(d, fyne.NewSize(400, 200), fixedMeasure)
	if g.Empty {
		t.Fatal("data laid out as empty")
	}
	if top := g.Ticks[len(g.Ticks)-1]; top < 700 {
		t.Fatalf("top tick %v is below the tallest bar (700)", top)
	}
	bottom := g.Plot.Y + g.Plot.H
	ratio := float64(g.Plot.H) / g.Ticks[len(g.Ticks)-1] // px per unit
	for c, row := range g.Bars {
		y := bottom
		for s, b := range row {
			v := d.Values[c][s]
			if v == 0 {
				if b.H != 0 {
					t.Errorf("day %d series %d: zero drawn %v high", c, s, b.H)
				}
				continue
			}
			// Proportional, within the pixel that edges are rounded to.
			if want := v * ratio; !near(float64(b.H), want, 1.01) {
				t.Errorf("day %d series %d: %v px for %v, want %v (%v px per unit)", c, s, b.H, v, want, ratio)
			}
			// Stacked in order: each layer sits on the one below.
			if !near(float64(b.Y+b.H), float64(y), 0.01) {
				t.Errorf("day %d series %d bottom at %v, want %v", c, s, b.Y+b.H, y)
			}
			y = b.Y
		}
	}
	// The ticks' grid lines are placed on the same scale as the bars.
	top := g.Ticks[len(g.Ticks)-1]
	if !near(float64(bottom-g.TickY[len(g.TickY)-1]), top*ratio, 0.51) {
		t.Errorf("top grid line %v px above the axis, want %v", bottom-g.TickY[len(g.TickY)-1], top*ratio)
	}
	// Bars stay in their category's slot, in order.
	for c := range g.Bars {
		b := g.Bars[c][0]
		if b.X < g.Plot.X+float32(c)*g.Slot || b.X+b.W > g.Plot.X+float32(c+1)*g.Slot+0.01 {
			t.Errorf("day %d's bar %v is outside its slot", c, b)
		}
		if got := g.categoryAt(b.X + b.W/2); got != c {
			t.Errorf("pointing at day %d's bar finds day %d", c, got)
		}
	}
	if g.categoryAt(0) != -1 || g.categoryAt(1000) != -1 {
		t.Error("pointing outside the plot finds a day")
	}
	if !g.LabelShown[2] {
		t.Error("the last day is not labelled")
	}
}

func TestChartDateLabelsThinOutToAboutAWeek(t *testing.T) {
	d := BarData{Series: []Series{{Name: "p"}}}
	for i := range 30 {
		d.Labels = append(d.Labels, fmt.Sprintf("%d Mar", i+1))
		d.Values = append(d.Values, []float64{float64(i)})
	}
	for _, width := range []float32{300, 900, 4000} {
		g := LayoutBars(d, fyne.NewSize(width, 200), fixedMeasure)
		var shown []int
		for i, s := range g.LabelShown {
			if s {
				shown = append(shown, i)
			}
		}
		if len(shown) < 2 || shown[len(shown)-1] != 29 {
			t.Errorf("width %v: labels on %v", width, shown)
			continue
		}
		gap := shown[1] - shown[0]
		if gap < 7 {
			t.Errorf("width %v: labels every %d days, want a week or more", width, gap)
		}
		// Neighbouring labels do not overlap.
		if w := fixedMeasure("30 Mar").Width; float32(gap)*g.Slot < w {
			t.Errorf("width %v: labels %v px apart, %v wide", width, float32(gap)*g.Slot, w)
		}
	}
}

// finite says whether every part of r is a real, non-negative size.
func finiteRect(r Rect) bool {
	for _, v := range []float32{r.X, r.Y, r.W, r.H} {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return r.W >= 0 && r.H >= 0
}

func TestChartSurvivesEmptyOneDayHugeTinyAndBadValues(t *testing.T) {
	many := BarData{Labels: []string{"1 Mar", "2 Mar"}}
	for i := range 12 {
		many.Series = append(many.Series, Series{Name: fmt.Sprint("p", i), Color: i})
	}
	many.Values = [][]float64{make([]float64, 12), make([]float64, 12)}
	for i := range 12 {
		many.Values[0][i], many.Values[1][i] = float64(i+1), float64(12-i)
	}
	cases := map[string]BarData{
		"no days":     {},
		"all zero":    {Labels: []string{"1 Mar", "2 Mar"}, Series: []Series{{Name: "p"}}, Values: [][]float64{{0}, {0}}},
		"one day":     {Labels: []string{"1 Mar"}, Series: []Series{{Name: "p"}}, Values: [][]float64{{42}}},
		"huge":        {Labels: []string{"1 Mar", "2 Mar"}, Series: []Series{{Name: "p"}}, Values: [][]float64{{4.2e15}, {1}}},
		"tiny":        {Labels: []string{"1 Mar", "2 Mar"}, Series: []Series{{Name: "p"}}, Values: [][]float64{{1e-9}, {3e-10}}, Money: true},
		"bad values":  {Labels: []string{"1 Mar", "2 Mar", "3 Mar"}, Series: []Series{{Name: "p"}, {Name: "q"}}, Values: [][]float64{{math.NaN(), 5}, {-3, math.Inf(1)}, {2}}},
		"ragged rows": {Labels: []string{"1 Mar", "2 Mar"}, Series: []Series{{Name: "p"}, {Name: "q"}}, Values: [][]float64{{1}}},
		"12 series":   many,
	}
	for name, d := range cases {
		for _, size := range []fyne.Size{{}, {Width: 3, Height: 3}, {Width: -5, Height: 40}, {Width: 800, Height: 260}} {
			g := LayoutBars(d, size, fixedMeasure)
			wantEmpty := name == "no days" || name == "all zero"
			if g.Empty != wantEmpty {
				t.Errorf("%s at %v: empty %v", name, size, g.Empty)
			}
			if !finiteRect(g.Plot) {
				t.Errorf("%s at %v: plot %v", name, size, g.Plot)
			}
			for c, row := range g.Bars {
				for s, b := range row {
					if !finiteRect(b) {
						t.Errorf("%s at %v: bar %d/%d is %v", name, size, c, s, b)
					}
					if size.Width > 100 && b.Y < g.Plot.Y-0.01 {
						t.Errorf("%s at %v: bar %d/%d rises above the plot", name, size, c, s)
					}
				}
			}
			for _, y := range g.TickY {
				if math.IsNaN(float64(y)) {
					t.Errorf("%s at %v: NaN tick", name, size)
				}
			}
		}
	}
	// Percentile bars likewise.
	for _, rows := range [][]PercentileRow{nil, {{Name: "p"}}, {{Name: "p", P50: math.NaN(), P90: -1, P99: math.Inf(1)}}, {{Name: "p", P50: 1, P90: 2, P99: 3e9, N: 3}}} {
		for _, size := range []fyne.Size{{}, {Width: 10, Height: 10}, {Width: 600, Height: 200}} {
			g := layoutPercentiles(rows, size, fixedMeasure)
			for i := range g.P50 {
				for _, r := range []Rect{g.P50[i], g.P90[i], g.P99[i], g.Names[i], g.Texts[i]} {
					if !finiteRect(r) {
						t.Errorf("%+v at %v: %v", rows, size, r)
					}
				}
			}
		}
	}
}

func TestChartPercentileBarsShareOneScale(t *testing.T) {
	rows := []PercentileRow{{Name: "OpenAI", P50: 400, P90: 900, P99: 1800, N: 40}, {Name: "Ollama", P50: 100, P90: 120, P99: 200, N: 3}}
	g := layoutPercentiles(rows, fyne.NewSize(700, 120), fixedMeasure)
	if g.Empty || len(g.P50) != 2 {
		t.Fatalf("geometry %+v", g)
	}
	perMs := float64(g.P99[0].W) / 1800
	for i, r := range rows {
		for _, c := range []struct {
			b Rect
			v float64
		}{{g.P50[i], r.P50}, {g.P90[i], r.P90}, {g.P99[i], r.P99}} {
			if !near(float64(c.b.W), c.v*perMs, 0.01) || c.b.X != g.Track.X {
				t.Errorf("%s: bar %v for %v ms (%.4f px/ms)", r.Name, c.b, c.v, perMs)
			}
		}
		if g.Texts[i].W == 0 || g.Texts[i].X < g.Track.X+g.Track.W || g.Texts[i].X+g.Texts[i].W > 700 {
			t.Errorf("%s: figures at %v (track ends at %v)", r.Name, g.Texts[i], g.Track.X+g.Track.W)
		}
	}
	if g.P50[1].Y <= g.P50[0].Y {
		t.Error("rows are not in order")
	}
	if e := layoutPercentiles(nil, fyne.NewSize(700, 120), fixedMeasure); !e.Empty {
		t.Error("no rows laid out as a chart")
	}
	// Answers all under a millisecond are still shown, on a 0–1 ms axis.
	if z := layoutPercentiles([]PercentileRow{{Name: "local", N: 2}}, fyne.NewSize(700, 120), fixedMeasure); z.Empty || !slices.Equal(z.TickLabels, []string{"0", "1 ms"}) || z.P99[0].W != 0 {
		t.Errorf("zero times: %+v", z)
	}
	if got := (PercentileRow{P50: 420, P90: 1234, P99: 2000, N: 1}).text(); got != "p50 420 ms · p90 1.2 s · p99 2 s · 1 answer" {
		t.Errorf("figures %q", got)
	}
}

func TestChartColoursStandOutInLightAndDark(t *testing.T) {
	for _, variant := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		th := theme.DefaultTheme()
		primary, bg := th.Color(theme.ColorNamePrimary, variant), th.Color(theme.ColorNameBackground, variant)
		var prev color.NRGBA
		seen := map[color.NRGBA]int{}
		for i := range 16 {
			c := SeriesColor(i, primary, bg)
			if r := look.ContrastRatio(c, bg); r < 3 {
				t.Errorf("variant %v: colour %d %v has contrast %.2f with the background", variant, i, c, r)
			}
			if j, dup := seen[c]; dup {
				t.Errorf("variant %v: colours %d and %d are both %v", variant, j, i, c)
			}
			seen[c] = i
			if i > 0 {
				dist := math.Abs(float64(c.R)-float64(prev.R)) + math.Abs(float64(c.G)-float64(prev.G)) + math.Abs(float64(c.B)-float64(prev.B))
				if dist < 80 {
					t.Errorf("variant %v: neighbouring colours %d and %d are too alike: %v %v", variant, i-1, i, prev, c)
				}
			}
			prev = c
		}
		if c := SeriesColor(0, primary, bg); c != nrgba(primary) {
			t.Errorf("variant %v: the first series is %v, not the theme's primary colour %v", variant, c, primary)
		}
	}
	// A primary colour too close to the background is made to stand out.
	if c := SeriesColor(0, color.NRGBA{R: 0xf0, G: 0xf0, B: 0xff, A: 0xff}, color.White); look.ContrastRatio(c, color.White) < 3 {
		t.Errorf("pale primary kept: %v", c)
	}
}

func TestChartRingSweep(t *testing.T) {
	for _, tc := range []struct {
		frac float64
		want float32
	}{{0, 0}, {0.25, 90}, {1, 360}, {1.7, 360}, {-1, 0}, {math.NaN(), 0}} {
		if got := ringSweep(tc.frac); !near(float64(got), float64(tc.want), 1e-4) {
			t.Errorf("sweep of %v: %v, want %v", tc.frac, got, tc.want)
		}
	}
}

// texts returns the visible canvas texts among objs.
func texts(objs []fyne.CanvasObject) []*canvas.Text {
	var out []*canvas.Text
	for _, o := range objs {
		if t, ok := o.(*canvas.Text); ok && t.Visible() {
			out = append(out, t)
		}
	}
	return out
}

func TestChartEmptySaysSoAndFullDrawsBars(t *testing.T) {
	test.NewTempApp(t)
	bars := NewStackedBars(noRequests)
	w := test.NewTempWindow(t, bars)
	w.Resize(fyne.NewSize(500, 300))
	objs := test.LaidOutObjects(bars)
	if ts := texts(objs); len(ts) != 1 || ts[0].Text != noRequests {
		t.Fatalf("empty chart shows %d texts: %v", len(ts), ts)
	}
	msg := texts(objs)[0]
	if msg.Position().X <= 0 || msg.Position().X+msg.Size().Width >= bars.Size().Width {
		t.Errorf("the sentence at %v (%v wide) is not centred in %v", msg.Position(), msg.Size().Width, bars.Size())
	}
	for _, o := range objs {
		if _, ok := o.(*canvas.Rectangle); ok {
			t.Error("an empty chart draws a bar")
		}
	}

	bars.SetData(threeDays(), noRequests)
	objs = test.WidgetRenderer(bars).Objects() // the renderer the window draws
	var rects []*canvas.Rectangle
	for _, o := range objs {
		if r, ok := o.(*canvas.Rectangle); ok && r.Visible() && r.Size().Height > 0 {
			rects = append(rects, r)
		}
		if t2, ok := o.(*canvas.Text); ok && t2.Text == noRequests {
			t.Error("the sentence stays once there is data")
		}
	}
	if len(rects) != 4 { // two days with two providers; the empty day draws nothing
		t.Fatalf("%d bars drawn, want 4", len(rects))
	}
	if rects[0].FillColor == rects[1].FillColor {
		t.Error("both providers are drawn in one colour")
	}

	// Resizing lays the bars out again, for the new size.
	before := rects[2].Size().Height
	w.Resize(fyne.NewSize(500, 600))
	g := LayoutBars(bars.data, bars.Size(), bars.measure)
	if after := rects[2].Size().Height; after <= before || !near(float64(after), float64(g.Bars[2][0].H), 0.01) {
		t.Errorf("after resizing the bar is %v high (was %v, want %v)", after, before, g.Bars[2][0].H)
	}

	// Pointing at a day reports it.
	var hovered []int
	bars.OnHover = func(i int) { hovered = append(hovered, i) }
	b := g.Bars[2][0]
	bars.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(b.X+b.W/2, b.Y+1)}})
	bars.MouseOut()
	if !slices.Equal(hovered, []int{2, -1}) {
		t.Errorf("hover reported %v, want [2 -1]", hovered)
	}
}
