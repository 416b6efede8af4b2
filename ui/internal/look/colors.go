package look

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// The window's own colours, beside Fyne's theme (theme.go chooses the
// variant). Each is worked out from the theme in force when it is drawn, so
// a change of theme redraws them right.

// Muted text (dates, hints, the "You" line): a grey darker than Fyne's
// placeholder, whose #888 on white is 3.5:1, under the 4.5:1 that small
// text needs (WCAG 2 AA). TestMutedTextIsReadable measures the ratios.
var (
	mutedLight = color.NRGBA{R: 0x55, G: 0x59, B: 0x5f, A: 0xff}
	mutedDark  = color.NRGBA{R: 0xa9, G: 0xad, B: 0xb4, A: 0xff}
)

// How much of the accent the user's bubble takes: enough to be told from
// the page at a glance, little enough for the text on it to stay readable.
const (
	bubbleTintLight = 0.13
	bubbleTintDark  = 0.26
)

// IsDark says whether a theme variant's background is dark. The
// background is measured rather than the variant asked for: a forced
// variant (variantTheme) and the system's one may differ.
func IsDark(th fyne.Theme, v fyne.ThemeVariant) bool {
	return Luminance(th.Color(theme.ColorNameBackground, v)) < 0.5
}

// MutedColorOf is the muted text colour for a theme variant.
func MutedColorOf(th fyne.Theme, v fyne.ThemeVariant) color.Color {
	if IsDark(th, v) {
		return mutedDark
	}
	return mutedLight
}

// BubbleColorOf is the user's bubble: the accent mixed into the
// background.
func BubbleColorOf(th fyne.Theme, v fyne.ThemeVariant) color.Color {
	tint := bubbleTintLight
	if IsDark(th, v) {
		tint = bubbleTintDark
	}
	return Mix(th.Color(theme.ColorNamePrimary, v), th.Color(theme.ColorNameBackground, v), tint)
}

// CurrentTheme is the app's theme and variant now.
func CurrentTheme() (fyne.Theme, fyne.ThemeVariant) {
	app := fyne.CurrentApp()
	if app == nil {
		return theme.DefaultTheme(), theme.VariantLight
	}
	th := app.Settings().Theme()
	if th == nil {
		th = theme.DefaultTheme()
	}
	return th, app.Settings().ThemeVariant()
}

func MutedColor() color.Color { return MutedColorOf(CurrentTheme()) }

func BubbleColor() color.Color { return BubbleColorOf(CurrentTheme()) }

// Mix is a share t of colour a laid over b, opaque.
func Mix(a, b color.Color, t float64) color.Color {
	ar, ag, ab := rgb(a)
	br, bg, bb := rgb(b)
	f := func(x, y float64) uint8 { return uint8(math.Round((x*t + y*(1-t)) * 255)) }
	return color.NRGBA{R: f(ar, br), G: f(ag, bg), B: f(ab, bb), A: 0xff}
}

// Over lays a colour that may be translucent (Fyne's selection) over an
// opaque background: what the eye sees.
func Over(top, bottom color.Color) color.Color {
	n := color.NRGBAModel.Convert(top).(color.NRGBA)
	opaque := n
	opaque.A = 0xff
	return Mix(opaque, bottom, float64(n.A)/255)
}

// rgb is a colour's channels, 0..1, without alpha.
func rgb(c color.Color) (r, g, b float64) {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return float64(n.R) / 255, float64(n.G) / 255, float64(n.B) / 255
}

// Luminance is the relative luminance of WCAG 2.
func Luminance(c color.Color) float64 {
	lin := func(v float64) float64 {
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	r, g, b := rgb(c)
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// ContrastRatio is WCAG 2's contrast ratio of two opaque colours, 1 to 21.
func ContrastRatio(a, b color.Color) float64 {
	la, lb := Luminance(a), Luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
