package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
)

// keyBinding is one of the window's keyboard shortcuts.
type keyBinding struct {
	key  fyne.KeyName
	mod  fyne.KeyModifier
	keys string // as the help lists it
	what string
	do   func(w *window)
}

// bindings are the window's shortcuts (Enter, Shift+Enter and Esc are keys
// of the composer and are listed by the help as well).
var bindings []keyBinding

func init() {
	bindings = []keyBinding{
		{fyne.KeyN, fyne.KeyModifierShortcutDefault, "Ctrl+N", "New conversation", (*window).newConversation},
		{fyne.KeyF, fyne.KeyModifierShortcutDefault, "Ctrl+F", "Search all conversations", (*window).showSearch},
		{fyne.KeyComma, fyne.KeyModifierShortcutDefault, "Ctrl+,", "Settings", (*window).openSettings},
		{fyne.KeyE, fyne.KeyModifierShortcutDefault, "Ctrl+E", "Export chats", (*window).showExport},
		{fyne.KeyO, fyne.KeyModifierShortcutDefault, "Ctrl+O", "Import chats", (*window).showImport},
		{fyne.KeyD, fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift, "Ctrl+Shift+D", "Usage and cost", (*window).showUsage},
		{fyne.KeyK, fyne.KeyModifierShortcutDefault, "Ctrl+K", "Compare answers of several models", (*window).askCompare},
		{fyne.KeyC, fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift, "Ctrl+Shift+C", "Copy the last answer", (*window).copyLastAnswer},
		{fyne.KeyUp, fyne.KeyModifierShortcutDefault, "Ctrl+↑", "Edit your last message", (*window).editLastQuestion},
		{fyne.KeyHome, fyne.KeyModifierShortcutDefault, "Ctrl+Home (Home)", "Go to the chat's first message", (*window).chatStart},
		{fyne.KeyEnd, fyne.KeyModifierShortcutDefault, "Ctrl+End (End)", "Go to the chat's last message", (*window).chatEnd},
		{fyne.KeySlash, fyne.KeyModifierShortcutDefault, "Ctrl+/ or F1", "Keyboard shortcuts", (*window).showShortcuts},
	}
}

// addShortcuts registers the shortcuts with the window's canvas (used when
// the composer does not have the focus; when it does, it asks shortcut).
func (w *window) addShortcuts() {
	for _, b := range bindings {
		b := b
		w.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: b.key, Modifier: b.mod}, func(fyne.Shortcut) { b.do(w) })
	}
	w.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name != fyne.KeyEscape && w.win.Canvas().Overlays().Top() != nil {
			return // a dialog is open: the chat behind it does not move
		}
		switch k.Name {
		case fyne.KeyEscape:
			w.escape()
		case fyne.KeyHome:
			w.chatStart()
		case fyne.KeyEnd:
			w.chatEnd()
		default:
			w.typedKey(k)
		}
	})
}

// typedKey runs the keys the window takes whoever has the focus (the
// composer hands them on: in three rows of text they would do little): F1,
// Page Up and Page Down. It reports whether it took k.
func (w *window) typedKey(k *fyne.KeyEvent) bool {
	switch k.Name {
	case fyne.KeyF1:
		w.showShortcuts()
	case fyne.KeyPageUp:
		w.pageChat(-1)
	case fyne.KeyPageDown:
		w.pageChat(1)
	default:
		return false
	}
	return true
}

// shortcut runs the window's shortcut s, if it is one.
func (w *window) shortcut(s fyne.Shortcut) bool {
	if _, paste := s.(*fyne.ShortcutPaste); paste {
		return w.compose.PasteFiles() // files named on the clipboard are attached
	}
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok {
		return false
	}
	for _, b := range bindings {
		if cs.KeyName == b.key && cs.Modifier == b.mod {
			b.do(w)
			return true
		}
	}
	return false
}

// escape closes the dialog or menu on top, else cancels an edit, else
// stops the shown answer.
func (w *window) escape() {
	if w.closeTop() {
		return
	}
	if w.compose.Editing() != nil {
		w.compose.CancelEdit()
		return
	}
	w.stop()
}

// copyLastAnswer copies the shown chat's last answer.
func (w *window) copyLastAnswer() {
	cv := w.pane.chats[w.pane.selected]
	if cv == nil || cv.loading || cv.paging {
		return
	}
	if !cv.atEnd {
		w.toEnd(cv, w.copyLastAnswer)
		return
	}
	for i := len(cv.views) - 1; i >= 0; i-- {
		if v := cv.views[i]; v.Role == store.RoleAssistant && v.Md.Text() != "" {
			w.copyMessage(v)
			return
		}
	}
}

// editLastQuestion starts editing the shown chat's last question.
func (w *window) editLastQuestion() {
	cv := w.pane.chats[w.pane.selected]
	if cv == nil || cv.loading || cv.paging {
		return
	}
	if !cv.atEnd {
		w.toEnd(cv, w.editLastQuestion)
		return
	}
	for i := len(cv.views) - 1; i >= 0; i-- {
		if v := cv.views[i]; v.Role == store.RoleUser && v.Seq != 0 {
			w.startEdit(v)
			return
		}
	}
}

// showShortcuts lists the keyboard shortcuts.
func (w *window) showShortcuts() {
	rows := [][2]string{
		{"Enter", "Send"},
		{"Shift+Enter", "New line"},
		{"Esc", "Close a dialog or menu, else stop the answer (or cancel an edit)"},
		{"Page Up / Page Down", "Scroll the chat by a screen"},
	}
	for _, b := range bindings {
		rows = append(rows, [2]string{b.keys, b.what})
	}
	grid := container.NewGridWithColumns(2)
	for _, r := range rows {
		grid.Add(widget.NewLabelWithStyle(r[0], fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		grid.Add(widget.NewLabel(r[1]))
	}
	d := dialog.NewCustom("Keyboard shortcuts", "Close", container.NewVScroll(grid), w.win)
	d.Resize(fyne.NewSize(560, fyne.Min(grid.MinSize().Height+120, w.win.Canvas().Size().Height-40)))
	w.showDialog(d)
	w.overlays.help = d
}
