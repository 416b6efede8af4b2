package usage

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The window's text helpers, as the main window writes hints and numbers.

// hintStyle draws a hint (LowImportance) in the text colour at caption
// size: Fyne's low importance is the disabled colour, too faint to read.
func hintStyle(imp widget.Importance) (widget.Importance, fyne.ThemeSizeName) {
	if imp == widget.LowImportance {
		return widget.MediumImportance, theme.SizeNameCaptionText
	}
	return imp, theme.SizeNameText
}

// setLabel shows text in l (hiding l when text is empty).
func setLabel(l *widget.Label, text string, imp widget.Importance) {
	l.Importance, l.SizeName = hintStyle(imp)
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// digits prints numbers the way the window shows them.
var digits = message.NewPrinter(language.English)

// groupDigits writes n with thousands separators: 12,345.
func groupDigits(n int64) string { return digits.Sprintf("%d", n) }
