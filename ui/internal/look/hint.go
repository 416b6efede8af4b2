package look

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// HintStyle draws a hint (LowImportance) in the text colour at caption
// size: Fyne's low importance is the disabled colour, too faint to read.
func HintStyle(imp widget.Importance) (widget.Importance, fyne.ThemeSizeName) {
	if imp == widget.LowImportance {
		return widget.MediumImportance, theme.SizeNameCaptionText
	}
	return imp, theme.SizeNameText
}

// Show shows o when visible is set, else hides it.
func Show(o fyne.CanvasObject, visible bool) {
	if visible {
		o.Show()
	} else {
		o.Hide()
	}
}
