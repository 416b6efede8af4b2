package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"deskchat/ui/internal/look"
)

// The label helpers of the screens still in this package (look has them).

func wrapped(text string, imp widget.Importance) *widget.Label { return look.Wrapped(text, imp) }

func hintStyle(imp widget.Importance) (widget.Importance, fyne.ThemeSizeName) {
	return look.HintStyle(imp)
}

func setLabel(l *widget.Label, text string, imp widget.Importance) { look.SetLabel(l, text, imp) }
