package look

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Wrapped is a word-wrapped label of text in the style of imp (see
// HintStyle), hidden while text is empty.
func Wrapped(text string, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance, l.SizeName = HintStyle(imp)
	if text == "" {
		l.Hide()
	}
	return l
}

// HintStyle draws a hint (LowImportance) in the text colour at caption
// size: Fyne's low importance is the disabled colour, too faint to read.
func HintStyle(imp widget.Importance) (widget.Importance, fyne.ThemeSizeName) {
	if imp == widget.LowImportance {
		return widget.MediumImportance, theme.SizeNameCaptionText
	}
	return imp, theme.SizeNameText
}

// SetLabel shows text in l in the style of imp (hiding l when text is
// empty).
func SetLabel(l *widget.Label, text string, imp widget.Importance) {
	l.Importance, l.SizeName = HintStyle(imp)
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// Show shows o when visible is set, else hides it.
func Show(o fyne.CanvasObject, visible bool) {
	if visible {
		o.Show()
	} else {
		o.Hide()
	}
}
