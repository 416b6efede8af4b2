package look

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme choices as stored (store.SettingTheme); "" follows the system.
const (
	ThemeLight = "light"
	ThemeDark  = "dark"
)

// VariantTheme is a theme drawn in one variant whatever the system prefers:
// the settings' Light and Dark choices.
type VariantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

var _ fyne.Theme = (*VariantTheme)(nil)

// Forced draws base in variant v, whatever the system prefers.
func Forced(base fyne.Theme, v fyne.ThemeVariant) *VariantTheme {
	return &VariantTheme{Theme: base, variant: v}
}

func (t *VariantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}

// Variant is the variant the theme forces.
func (t *VariantTheme) Variant() fyne.ThemeVariant { return t.variant }

// ApplyTheme makes a's theme follow choice ("", themeLight or themeDark) at
// once. The theme a had before the first call (the default, or the one
// main.go set) is the one drawn in the forced variant.
func ApplyTheme(a fyne.App, choice string) {
	base := a.Settings().Theme()
	if vt, ok := base.(*VariantTheme); ok {
		base = vt.Theme
	}
	if base == nil {
		base = theme.DefaultTheme()
	}
	switch choice {
	case ThemeLight:
		a.Settings().SetTheme(&VariantTheme{Theme: base, variant: theme.VariantLight})
	case ThemeDark:
		a.Settings().SetTheme(&VariantTheme{Theme: base, variant: theme.VariantDark})
	default:
		a.Settings().SetTheme(base)
	}
}

// themeLabel and themeChoice convert between the stored choice and the
// words the settings show.
var ThemeLabels = []string{"Follow system", "Light", "Dark"}

func ThemeLabel(choice string) string {
	switch choice {
	case ThemeLight:
		return "Light"
	case ThemeDark:
		return "Dark"
	}
	return "Follow system"
}

func ThemeChoice(label string) string {
	switch label {
	case "Light":
		return ThemeLight
	case "Dark":
		return ThemeDark
	}
	return ""
}

// AppTheme is the theme the app draws with: base, with the system's CJK
// font first for CJK text (fonts.go) and the colours of highlighted code
// (highlight.go).
type AppTheme struct {
	fyne.Theme
	cjk *CJKFonts // nil: none found
}

func (t *AppTheme) Font(s fyne.TextStyle) fyne.Resource {
	if r := t.cjk.font(s); r != nil {
		return r
	}
	return t.Theme.Font(s)
}

func (t *AppTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if c := CodeColor(n, v); c != nil {
		return c
	}
	if strings.HasPrefix(string(n), CodeColorPrefix) {
		return t.Theme.Color(theme.ColorNameForeground, v) // a token the style leaves plain
	}
	return t.Theme.Color(n, v)
}

// NewAppTheme returns base (nil: Fyne's default) as the app draws it.
func NewAppTheme(base fyne.Theme, cjk *CJKFonts) fyne.Theme {
	if base == nil {
		base = theme.DefaultTheme()
	}
	return &AppTheme{Theme: base, cjk: cjk}
}

// CJK is the CJK fonts the theme draws with; nil when none was found.
func (t *AppTheme) CJK() *CJKFonts { return t.cjk }
