package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/chat"
)

// composerHost is the main window as the composer bar's host
// (composer.Host).
type composerHost struct{ w *window }

func (h composerHost) Window() fyne.Window                         { return h.w.win }
func (h composerHost) Clipboard() fyne.Clipboard                   { return h.w.app.Clipboard() }
func (h composerHost) Bridge() *bridge.Bridge                      { return h.w.b }
func (h composerHost) Store() *store.Store                         { return h.w.st }
func (h composerHost) ShowDialog(d dialog.Dialog)                  { h.w.showDialog(d) }
func (h composerHost) ShowMenu(m *fyne.Menu, at fyne.CanvasObject) { h.w.showMenu(m, at) }
func (h composerHost) ShowError(what string, err error)            { h.w.showError(what, err) }
func (h composerHost) Current() (store.Conversation, bool)         { return h.w.current() }
func (h composerHost) Streaming() bool                             { return h.w.streaming() }
func (h composerHost) Stop()                                       { h.w.stop() }
func (h composerHost) Send(text string)                            { h.w.send(text) }
func (h composerHost) Resend(edited *chat.Message, text string)    { h.w.resend(edited, text) }

// ToolServers are the servers a chat may choose from.
func (h composerHost) ToolServers() []string {
	if h.w.conf.tools == nil {
		return nil
	}
	return h.w.conf.tools.Servers()
}

// ToolsChanged keeps the sidebar's copy of chat id up to date.
func (h composerHost) ToolsChanged(id string, servers []string) {
	if i, ok := h.w.indexOf(id); ok {
		h.w.side.convs[i].Tools = servers
	}
}

// streaming reports whether the chat shown streams an answer.
func (w *window) streaming() bool {
	cv := w.pane.chats[w.pane.selected]
	return cv != nil && cv.live != nil
}

// updateSendButton turns Send into Stop while the shown answer streams
// (and counts the chat's tool servers on).
func (w *window) updateSendButton() { w.compose.Update() }
