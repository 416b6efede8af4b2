package chat

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Composer is the message box: Enter sends, Shift+Enter starts a new line.
//
// Fyne's multi-line Entry does the opposite when OnSubmitted is set (Shift+
// Enter submits), so OnSubmitted stays nil and Enter is intercepted here; the
// Shift key is tracked through KeyDown/KeyUp, which desktop drivers deliver.
type Composer struct {
	widget.Entry
	shift bool
	// OnSend is given the text on Enter.
	OnSend func(text string)
	// OnShortcut sees the window's shortcuts first (Fyne hands a shortcut
	// to the focused widget only); it reports whether it took one.
	OnShortcut func(fyne.Shortcut) bool
	// OnEscape runs on Esc.
	OnEscape func()
	// OnKey sees the keys the window takes (F1, Page Up, …) first; it
	// reports whether it took one.
	OnKey func(*fyne.KeyEvent) bool
}

// NewComposer is an empty message box that hands its text to onSend.
func NewComposer(onSend func(string)) *Composer {
	c := &Composer{OnSend: onSend}
	c.MultiLine = true
	c.Wrapping = fyne.TextWrapWord
	c.SetPlaceHolder("Message — Enter sends, Shift+Enter adds a line")
	c.ExtendBaseWidget(c)
	c.SetMinRowsVisible(3)
	return c
}

// KeyDown implements desktop.Keyable.
func (c *Composer) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = true
	}
	c.Entry.KeyDown(k)
}

// KeyUp implements desktop.Keyable.
func (c *Composer) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = false
	}
	c.Entry.KeyUp(k)
}

// TypedShortcut implements fyne.Shortcutable: the window's shortcuts
// first, then the entry's own (copy, paste, undo, …).
func (c *Composer) TypedShortcut(s fyne.Shortcut) {
	if c.OnShortcut != nil && c.OnShortcut(s) {
		return
	}
	c.Entry.TypedShortcut(s)
}

// TypedKey sends on Enter unless Shift is held; Esc goes to OnEscape.
func (c *Composer) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && c.OnEscape != nil {
		c.OnEscape()
		return
	}
	if c.OnKey != nil && c.OnKey(k) {
		return
	}
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !c.shift {
		if c.OnSend != nil {
			c.OnSend(c.Text)
		}
		return
	}
	c.Entry.TypedKey(k)
}

// FocusLost forgets a Shift key whose release the entry never saw.
func (c *Composer) FocusLost() {
	c.shift = false
	c.Entry.FocusLost()
}
