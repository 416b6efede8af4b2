package look

import (
	"image/color"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

func TestBubbleWidthIsCapped(t *testing.T) {
	for _, tc := range []struct{ avail, natural, want float32 }{
		{1000, 120, 120},  // short: as wide as its text
		{1000, 5000, 680}, // long: the cap
		{600, 5000, 450},  // 75 % of a narrow chat
		{280, 5000, 240},  // very narrow: not under 240
		{200, 5000, 200},  // narrower still: the whole width
	} {
		if got := BubbleWidth(tc.avail, tc.natural); got != tc.want {
			t.Errorf("bubbleWidth(%v, %v) = %v, want %v", tc.avail, tc.natural, got, tc.want)
		}
	}
	test.NewTempApp(t)
	// Hostile: a 1 MB line is not measured, a table or code counts as wide.
	huge := strings.Repeat("x", 1<<20)
	if got := TextWidth(huge, 680); got != 680 {
		t.Errorf("a 1 MB line measures %v", got)
	}
	if got := TextWidth("| a | b |\n|---|---|", 680); got != 680 {
		t.Errorf("a table measures %v", got)
	}
	if a, b := TextWidth("hi", 680), TextWidth("hello there, friend", 680); !(a > 0 && a < b && b < 680) {
		t.Errorf("widths %v, %v", a, b)
	}
}

func TestContrastRatio(t *testing.T) {
	white, black := color.White, color.Black
	for _, tc := range []struct {
		a, b color.Color
		want float64
	}{
		{white, black, 21},
		{white, white, 1},
		{color.NRGBA{0x88, 0x88, 0x88, 0xff}, white, 3.54}, // Fyne's placeholder grey: too faint for small text
		{color.NRGBA{0x56, 0x56, 0x56, 0xff}, white, 7.34},
	} {
		if got := ContrastRatio(tc.a, tc.b); got < tc.want-0.01 || got > tc.want+0.01 {
			t.Errorf("contrastRatio(%v, %v) = %.2f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestMutedTextIsReadable measures the small grey text against everything
// it is drawn on, in the light and the dark theme: WCAG 2 AA asks 4.5:1.
func TestMutedTextIsReadable(t *testing.T) {
	th := theme.DefaultTheme()
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		bg := th.Color(theme.ColorNameBackground, v)
		fg := th.Color(theme.ColorNameForeground, v)
		muted, bubble := MutedColorOf(th, v), BubbleColorOf(th, v)
		selected := Over(th.Color(theme.ColorNameSelection, v), bg) // a chosen row in the sidebar
		hovered := Over(th.Color(theme.ColorNameHover, v), bg)
		for _, tc := range []struct {
			what     string
			text, on color.Color
		}{
			{"muted text on the page", muted, bg},
			{"muted text on a chosen sidebar row", muted, selected},
			{"muted text on a pointed sidebar row", muted, hovered},
			{"muted text in the question's bubble", muted, bubble},
			{"the status line in the question's bubble", fg, bubble},
			{"the status line on the page", fg, bg},
		} {
			r := ContrastRatio(tc.text, tc.on)
			if r < 4.5 {
				t.Errorf("variant %d: %s: %.2f:1, want at least 4.5:1", v, tc.what, r)
			}
			t.Logf("variant %d: %s: %.2f:1", v, tc.what, r)
		}
		if r := ContrastRatio(bubble, bg); r < 1.1 {
			t.Errorf("variant %d: the bubble is %.2f:1 against the page: not told apart at a glance", v, r)
		}
	}
}
