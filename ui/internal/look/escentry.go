package look

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// EscEntry is a dialog's text field that hands Esc to the window: Fyne's
// Entry takes every key it has the focus for and does nothing with Esc, so
// Esc typed in a dialog's field would not close the dialog.
type EscEntry struct {
	widget.Entry
	onEsc func()
}

// NewEscEntry is an EscEntry whose Esc runs onEsc (the window's Esc).
func NewEscEntry(onEsc func(), multiLine bool) *EscEntry {
	e := &EscEntry{onEsc: onEsc}
	e.MultiLine = multiLine
	if multiLine {
		e.Wrapping = fyne.TextWrapWord
	}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey implements fyne.Focusable: Esc goes to the window.
func (e *EscEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEsc != nil {
		e.onEsc()
		return
	}
	e.Entry.TypedKey(k)
}
