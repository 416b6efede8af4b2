package ui

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme choices as stored (store.SettingTheme); "" follows the system.
const (
	themeLight = "light"
	themeDark  = "dark"
)

// variantTheme is a theme drawn in one variant whatever the system prefers:
// the settings' Light and Dark choices.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

var _ fyne.Theme = (*variantTheme)(nil)

func (t *variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}

// Variant is the variant the theme forces.
func (t *variantTheme) Variant() fyne.ThemeVariant { return t.variant }

// applyTheme makes a's theme follow choice ("", themeLight or themeDark) at
// once. The theme a had before the first call (the default, or the one
// main.go set) is the one drawn in the forced variant.
func applyTheme(a fyne.App, choice string) {
	base := a.Settings().Theme()
	if vt, ok := base.(*variantTheme); ok {
		base = vt.Theme
	}
	if base == nil {
		base = theme.DefaultTheme()
	}
	switch choice {
	case themeLight:
		a.Settings().SetTheme(&variantTheme{Theme: base, variant: theme.VariantLight})
	case themeDark:
		a.Settings().SetTheme(&variantTheme{Theme: base, variant: theme.VariantDark})
	default:
		a.Settings().SetTheme(base)
	}
}

// themeLabel and themeChoice convert between the stored choice and the
// words the settings show.
var themeLabels = []string{"Follow system", "Light", "Dark"}

func themeLabel(choice string) string {
	switch choice {
	case themeLight:
		return "Light"
	case themeDark:
		return "Dark"
	}
	return "Follow system"
}

func themeChoice(label string) string {
	switch label {
	case "Light":
		return themeLight
	case "Dark":
		return themeDark
	}
	return ""
}

// appTheme is the theme the app draws with: base, with the system's CJK
// font first for CJK text (fonts.go) and the colours of highlighted code
// (highlight.go).
type appTheme struct {
	fyne.Theme
	cjk *cjkFonts // nil: none found
}

func (t *appTheme) Font(s fyne.TextStyle) fyne.Resource {
	if r := t.cjk.font(s); r != nil {
		return r
	}
	return t.Theme.Font(s)
}

func (t *appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if c := codeColor(n, v); c != nil {
		return c
	}
	if strings.HasPrefix(string(n), codeColorPrefix) {
		return t.Theme.Color(theme.ColorNameForeground, v) // a token the style leaves plain
	}
	return t.Theme.Color(n, v)
}

// newAppTheme returns base (nil: Fyne's default) as the app draws it.
func newAppTheme(base fyne.Theme, cjk *cjkFonts) fyne.Theme {
	if base == nil {
		base = theme.DefaultTheme()
	}
	return &appTheme{Theme: base, cjk: cjk}
}
