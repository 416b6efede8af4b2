package ui

import (
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
)

// Charts drawn with Fyne's canvas: stacked bars, percentile bars, a ring
// and a legend. Each is a widget whose renderer only places canvas objects;
// where they go is worked out by plain functions (layoutBars,
// layoutPercentiles) that the tests check. Colours come from the theme and
// are looked up again on every Refresh, so a change of theme redraws them.
//
// This file holds what they share: boxes, scales and their labels;
// chart_colors.go the series colours, chart_bars.go, chart_percentiles.go,
// chart_ring.go and chart_legend.go one widget each.

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

// chartMillis writes a duration in milliseconds for people: 420 ms, 1.2 s.
func chartMillis(ms float64) string {
	ms = chartValue(ms)
	if ms < 1000 {
		return strconv.FormatFloat(math.Round(ms), 'f', 0, 64) + " ms"
	}
	s := strconv.FormatFloat(ms/1000, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " s"
}
