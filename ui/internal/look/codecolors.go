package look

import (
	"image/color"
	"strconv"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/styles"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// The colours of highlighted code. A RichText segment has a theme colour
// name, not a colour: each token's segment is named after its chroma token
// type (CodeColorName), and the app's theme (AppTheme) gives that name the
// colour of a light or a dark chroma style by the variant it draws.

const (
	lightStyle = "github"
	darkStyle  = "github-dark"
	// CodeColorPrefix starts the colour names of code tokens.
	CodeColorPrefix = "deskchat-code-"
)

// DrawsCodeColors reports whether the app's theme is appTheme, which knows
// the code colours (Fyne's test theme, say, does not: it would log an error
// for every token).
func DrawsCodeColors() bool {
	th := fyne.CurrentApp().Settings().Theme()
	if vt, ok := th.(*VariantTheme); ok {
		th = vt.Theme
	}
	_, ok := th.(*AppTheme)
	return ok
}

// CodeColorName names the colour of a token type.
func CodeColorName(t chroma.TokenType) fyne.ThemeColorName {
	return fyne.ThemeColorName(CodeColorPrefix + strconv.Itoa(int(t)))
}

// codeColors holds the light and dark chroma styles, loaded once.
var codeColors struct {
	once        sync.Once
	light, dark *chroma.Style
}

// CodeColor maps a colour name of CodeColorName to its colour in the light
// or dark style, nil for names of other kinds.
func CodeColor(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	s, ok := strings.CutPrefix(string(n), CodeColorPrefix)
	if !ok {
		return nil
	}
	t, err := strconv.Atoi(s)
	if err != nil {
		return nil
	}
	codeColors.once.Do(func() {
		codeColors.light, codeColors.dark = styles.Get(lightStyle), styles.Get(darkStyle)
	})
	st := codeColors.light
	if v == theme.VariantDark {
		st = codeColors.dark
	}
	c := st.Get(chroma.TokenType(t)).Colour
	if !c.IsSet() {
		return nil
	}
	return color.NRGBA{R: c.Red(), G: c.Green(), B: c.Blue(), A: 0xff}
}
