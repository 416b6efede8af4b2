package chat

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// The composer on its own: Enter sends, Shift+Enter adds a line (also after
// a Shift whose release was lost with the focus), Esc and the window's keys
// and shortcuts go first to whoever set them.
func TestComposerEnterSendsShiftEnterAddsALine(t *testing.T) {
	test.NewTempApp(t)
	var sent []string
	c := NewComposer(func(s string) { sent = append(sent, s) })
	test.NewTempWindow(t, c)
	enter := &fyne.KeyEvent{Name: fyne.KeyReturn}
	shift := &fyne.KeyEvent{Name: desktop.KeyShiftLeft}

	test.Type(c, "line one")
	c.KeyDown(shift)
	c.TypedKey(enter)
	c.KeyUp(shift)
	test.Type(c, "line two")
	if c.Text != "line one\nline two" || len(sent) != 0 {
		t.Fatalf("Shift+Enter: text %q, sent %q", c.Text, sent)
	}
	c.TypedKey(enter)
	if len(sent) != 1 || sent[0] != "line one\nline two" {
		t.Fatalf("Enter sent %q", sent)
	}

	c.KeyDown(shift)
	c.FocusLost() // the release goes to another widget
	c.TypedKey(enter)
	if len(sent) != 2 {
		t.Errorf("Enter after a lost Shift did not send (sent %d)", len(sent))
	}

	escaped, keys, shortcuts := 0, 0, 0
	c.OnEscape = func() { escaped++ }
	c.OnKey = func(k *fyne.KeyEvent) bool { keys++; return k.Name == fyne.KeyF1 }
	c.OnShortcut = func(fyne.Shortcut) bool { shortcuts++; return true }
	c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF1})
	c.TypedShortcut(&fyne.ShortcutSelectAll{})
	if escaped != 1 || keys != 1 || shortcuts != 1 {
		t.Errorf("Esc %d, keys %d, shortcuts %d; want 1 each", escaped, keys, shortcuts)
	}
	c.TypedKey(enter)
	if len(sent) != 3 {
		t.Errorf("Enter was not sent after the window declined it (sent %d)", len(sent))
	}
}
