package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// buildSidebar makes the left column: New chat, the app's menu and
// settings, and the list of conversations.
func (w *window) buildSidebar() fyne.CanvasObject {
	w.list = widget.NewList(
		func() int { return len(w.convs) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("conversation title")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			c := w.convs[i]
			t := c.Title
			if t == "" {
				t = "New conversation"
			}
			if cv := w.chats[c.ID]; cv != nil && cv.live != nil {
				t = "● " + t
			}
			o.(*widget.Label).SetText(t)
		})
	w.list.OnSelected = func(i widget.ListItemID) {
		if i < len(w.convs) && w.convs[i].ID != w.selected {
			w.show(w.convs[i].ID)
		}
	}
	newBtn := widget.NewButtonWithIcon("New chat", theme.ContentAddIcon(), w.newConversation)
	newBtn.Importance = widget.HighImportance
	settingsBtn := widget.NewButtonWithIcon("", theme.SettingsIcon(), w.showSettings)
	w.appMenuBtn = widget.NewButtonWithIcon("", theme.MenuIcon(), w.showAppMenu)
	return container.NewBorder(container.NewPadded(container.NewBorder(nil, nil, nil, container.NewHBox(w.appMenuBtn, settingsBtn), newBtn)), nil, nil, nil, w.list)
}
