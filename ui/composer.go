package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// composer is the message box: Enter sends, Shift+Enter starts a new line.
//
// Fyne's multi-line Entry does the opposite when OnSubmitted is set (Shift+
// Enter submits), so OnSubmitted stays nil and Enter is intercepted here; the
// Shift key is tracked through KeyDown/KeyUp, which desktop drivers deliver.
type composer struct {
	widget.Entry
	shift  bool
	onSend func(text string)
	// onShortcut sees the window's shortcuts first (Fyne hands a shortcut
	// to the focused widget only); it reports whether it took one.
	onShortcut func(fyne.Shortcut) bool
	// onEscape runs on Esc.
	onEscape func()
	// onKey sees the keys the window takes (F1, Page Up, …) first; it
	// reports whether it took one.
	onKey func(*fyne.KeyEvent) bool
}

func newComposer(onSend func(string)) *composer {
	c := &composer{onSend: onSend}
	c.MultiLine = true
	c.Wrapping = fyne.TextWrapWord
	c.SetPlaceHolder("Message — Enter sends, Shift+Enter adds a line")
	c.ExtendBaseWidget(c)
	c.SetMinRowsVisible(3)
	return c
}

// KeyDown implements desktop.Keyable.
func (c *composer) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = true
	}
	c.Entry.KeyDown(k)
}

// KeyUp implements desktop.Keyable.
func (c *composer) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = false
	}
	c.Entry.KeyUp(k)
}

// TypedShortcut implements fyne.Shortcutable: the window's shortcuts
// first, then the entry's own (copy, paste, undo, …).
func (c *composer) TypedShortcut(s fyne.Shortcut) {
	if c.onShortcut != nil && c.onShortcut(s) {
		return
	}
	c.Entry.TypedShortcut(s)
}

// TypedKey sends on Enter unless Shift is held; Esc goes to onEscape.
func (c *composer) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && c.onEscape != nil {
		c.onEscape()
		return
	}
	if c.onKey != nil && c.onKey(k) {
		return
	}
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !c.shift {
		if c.onSend != nil {
			c.onSend(c.Text)
		}
		return
	}
	c.Entry.TypedKey(k)
}

// FocusLost forgets a Shift key whose release the entry never saw.
func (c *composer) FocusLost() {
	c.shift = false
	c.Entry.FocusLost()
}
