package ui

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

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
