package chart

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/deskchat/deskchat/ui/internal/look"
)

// SeriesColor is the colour of series i: the theme's primary colour first,
// then hues a 3/8 turn apart, each as light or dark as it takes to stand
// out from the background (a contrast of 3:1, WCAG's for graphics). After
// eight, the hues come round again further from the background.
func SeriesColor(i int, primary, bg color.Color) color.NRGBA {
	i = max(i, 0)
	p := nrgba(primary)
	if i == 0 && look.ContrastRatio(p, bg) >= 3 {
		return p
	}
	h, s, l := HSL(p)
	s = math.Min(math.Max(s, 0.55), 0.85)
	h = math.Mod(h+float64(i%8)*135, 360)
	dark := look.Luminance(bg) < 0.4
	away := -0.02 // the way from the background
	if dark {
		l, away = math.Max(l, 0.5), 0.02
	} else {
		l = math.Min(l, 0.55)
	}
	for k := 0; k < 60 && look.ContrastRatio(FromHSL(h, s, l), bg) < 3; k++ {
		l = math.Min(math.Max(l+away, 0.05), 0.95)
	}
	// Later rounds of the hues: further from the background still.
	l = math.Min(math.Max(l+away*7*float64((i/8)%3), 0.05), 0.95)
	return FromHSL(h, s, l)
}

// Color is series i's colour for widget w in its current theme.
func Color(w fyne.Widget, i int) color.NRGBA {
	return SeriesColor(i, theme.ColorForWidget(theme.ColorNamePrimary, w), theme.ColorForWidget(theme.ColorNameBackground, w))
}

// Alpha returns c at alpha a (0–1).
func Alpha(c color.Color, a float64) color.NRGBA {
	n := nrgba(c)
	n.A = uint8(math.Round(float64(n.A) * a))
	return n
}

func nrgba(c color.Color) color.NRGBA {
	if c == nil {
		return color.NRGBA{}
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

func HSL(c color.NRGBA) (h, s, l float64) {
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

func FromHSL(h, s, l float64) color.NRGBA {
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
