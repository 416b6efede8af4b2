package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// buildEmptyPane makes what the chat pane shows when no chat is chosen.
func (w *window) buildEmptyPane() fyne.CanvasObject {
	hint := widget.NewLabelWithStyle("Start a new chat, or pick one on the left.", fyne.TextAlignCenter, fyne.TextStyle{})
	return container.NewCenter(container.NewVBox(hint, container.NewCenter(widget.NewButtonWithIcon("New chat", theme.ContentAddIcon(), w.newConversation))))
}
