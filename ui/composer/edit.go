package composer

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/ui/internal/chat"
)

// EditBar is the strip above the text box while a question is edited.
type EditBar struct {
	Obj  *fyne.Container
	Text *widget.Label // what Enter and Esc do
}

func newEditBar(cancel func()) *EditBar {
	b := &EditBar{Text: widget.NewLabel("")}
	b.Text.Wrapping = fyne.TextWrapWord
	b.Text.Importance = widget.WarningImportance
	cancelBtn := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), cancel)
	cancelBtn.Importance = widget.LowImportance
	b.Obj = container.NewBorder(nil, nil, widget.NewIcon(theme.DocumentCreateIcon()), cancelBtn, b.Text)
	b.Obj.Hide()
	return b
}

// Editing is the question being edited; nil when none is.
func (b *Bar) Editing() *chat.Message { return b.editing }

// Edit puts a stored question in the text box to be changed and sent
// again; replaces says that messages follow it, which stay behind ‹ ›
// (and the strip says so). The text being written is kept for later.
func (b *Bar) Edit(v *chat.Message, replaces bool) {
	if b.editing == nil {
		b.draft = b.Input.Text
	}
	b.editing = v
	msg := "Editing your message: Enter sends it as a new version, Esc cancels."
	if replaces {
		msg = "Editing your message: Enter sends it as a new version; the old one and what followed it stay, behind ‹ ›. Esc cancels."
	}
	b.EditBar.Text.SetText(msg)
	b.EditBar.Obj.Show()
	b.Input.SetText(v.Md.Text())
	b.Input.CursorRow = len(strings.Split(b.Input.Text, "\n")) - 1
	b.Focus()
}

// CancelEdit leaves editing and gives the text box its draft back.
func (b *Bar) CancelEdit() {
	if b.editing == nil {
		return
	}
	b.editing = nil
	b.EditBar.Obj.Hide()
	b.Input.SetText(b.draft)
	b.draft = ""
}
