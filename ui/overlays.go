package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/ui/internal/look"
)

// showDialog shows d and lets Esc close it (closeTop).
func (w *window) showDialog(d dialog.Dialog) {
	d.Show()
	w.track(d)
}

// track notes that d, just shown, is the window's top overlay: Esc then
// hides it as its Cancel or Close button does (Dialog.Hide answers "no" to
// its callback, and runs what was set with SetOnClosed).
func (w *window) track(d dialog.Dialog) {
	top := w.win.Canvas().Overlays().Top()
	if top == nil {
		return
	}
	if w.overlays.dialogs == nil {
		w.overlays.dialogs = map[fyne.CanvasObject]dialog.Dialog{}
	}
	shown := map[fyne.CanvasObject]bool{}
	for _, o := range w.win.Canvas().Overlays().List() {
		shown[o] = true
	}
	for o := range w.overlays.dialogs {
		if !shown[o] {
			delete(w.overlays.dialogs, o) // closed by its buttons
		}
	}
	w.overlays.dialogs[top] = d
}

// closeTop closes what is shown on top of the window, a dialog or a menu;
// it reports whether there was one.
func (w *window) closeTop() bool {
	c := w.win.Canvas()
	top := c.Overlays().Top()
	if top == nil {
		return false
	}
	if d, ok := w.overlays.dialogs[top]; ok {
		delete(w.overlays.dialogs, top)
		d.Hide()
		return true
	}
	// Something the window did not track (a Select's list, a dialog the
	// settings open on top of theirs): it goes, as a tap outside a menu
	// makes it go.
	top.Hide()
	c.Overlays().Remove(top)
	return true
}

// openSettings shows the settings (settings.go) so that Esc closes them.
func (w *window) openSettings() {
	w.showSettings()
	if w.overlays.settings != nil && w.overlays.settings.Modal != nil && w.overlays.settings.Open {
		w.track(w.overlays.settings.Modal)
	}
}

// showMenu shows menu under the button that opens it, moved left or up as
// far as it takes to be wholly inside the window.
func (w *window) showMenu(menu *fyne.Menu, under fyne.CanvasObject) {
	c := w.win.Canvas()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(under).Add(fyne.NewPos(0, under.Size().Height))
	m := widget.NewPopUpMenu(menu, c)
	m.Resize(m.MinSize())
	m.ShowAtPosition(clampInto(pos, m.Size(), c.Size()))
	w.overlays.menu = m
}

// clampInto is the position nearest pos at which size fits in area.
func clampInto(pos fyne.Position, size, area fyne.Size) fyne.Position {
	pos.X = fyne.Max(0, fyne.Min(pos.X, area.Width-size.Width))
	pos.Y = fyne.Max(0, fyne.Min(pos.Y, area.Height-size.Height))
	return pos
}

// escEntry is a dialog's text field that hands Esc to the window
// (look.EscEntry).
type escEntry = look.EscEntry

func newEscEntry(w *window, multiLine bool) *escEntry { return look.NewEscEntry(w.escape, multiLine) }
