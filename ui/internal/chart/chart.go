package chart

import (
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
)

// What the charts share: boxes, scales and their labels. colors.go holds
// the series colours; bars.go, percentiles.go, ring.go and legend.go one
// widget each.

// Rect is a box in a widget's coordinates.
type Rect struct{ X, Y, W, H float32 }

func (r Rect) place(o fyne.CanvasObject) {
	o.Move(fyne.NewPos(r.X, r.Y))
	o.Resize(fyne.NewSize(r.W, r.H))
}

// Value makes a value drawable: NaN, infinities and negatives count as 0.
func Value(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// Len clamps a length to 0 or more (NaN: 0).
func Len(v float32) float32 {
	if !(v > 0) {
		return 0
	}
	return v
}

// NiceTicks returns axis ticks from 0 to at least max in steps of 1, 2 or
// 5 times a power of ten, about n of them. integer keeps steps whole (token
// counts). A max of 0 (or not a number) gives 0 and 1.
func NiceTicks(max float64, n int, integer bool) []float64 {
	if !(max > 0) || math.IsInf(max, 0) {
		return []float64{0, 1}
	}
	n = min(10, n) // at most 10 steps, whatever the caller asked
	n = int(math.Max(float64(n), 2))
	step := niceNum(niceNum(max, false)/float64(n-1), true)
	if integer {
		step = math.Max(step, 1)
	}
	top := math.Ceil(max/step-1e-9) * step
	steps := int(math.Round(top / step))
	ticks := make([]float64, 0, steps+1)
	for i := 0; i <= steps; i++ {
		ticks = append(ticks, roundTo(float64(i)*step, step))
	}
	return ticks
}

// niceNum returns a 1, 2, 5 or 10 times a power of ten near x: the
// nearest when round, else the next one up.
func niceNum(x float64, round bool) float64 {
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

// roundTo drops the floating-point noise of v, a multiple of step.
func roundTo(v, step float64) float64 {
	d := float64(decimals(step))
	p := math.Pow(10, d)
	return math.Round(v*p) / p
}

// decimals is how many decimals a multiple of step needs.
func decimals(step float64) int {
	if !(step > 0) || step >= 1 {
		return 0
	}
	return int(math.Ceil(-math.Log10(step) - 1e-9))
}

// TickLabels writes ticks compactly (1.5k, 2M), all in the unit of the
// largest one; money adds a dollar sign.
func TickLabels(ticks []float64, money bool) []string {
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
	d := decimals(step / div)
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

// MillisLabels writes ticks of milliseconds: 250 ms, or 1.5 s once the
// axis reaches a second.
func MillisLabels(ticks []float64) []string {
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
			s := strconv.FormatFloat(t/1000, 'f', decimals(step/1000), 64)
			if strings.Contains(s, ".") {
				s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
			}
			out[i] = s + " s"
		default:
			out[i] = strconv.FormatFloat(t, 'f', decimals(step), 64) + " ms"
		}
	}
	return out
}

// Millis writes a duration in milliseconds for people: 420 ms, 1.2 s.
func Millis(ms float64) string {
	ms = Value(ms)
	if ms < 1000 {
		return strconv.FormatFloat(math.Round(ms), 'f', 0, 64) + " ms"
	}
	s := strconv.FormatFloat(ms/1000, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " s"
}
