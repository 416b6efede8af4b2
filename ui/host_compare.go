package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/compare"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/chat"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// compareHost is the main window as a comparison's host (compare.Host).
// A value: two of them for one window are the same host.
type compareHost struct{ w *window }

func (h compareHost) Window() fyne.Window                      { return h.w.win }
func (h compareHost) ShowDialog(d dialog.Dialog)               { h.w.showDialog(d) }
func (h compareHost) ShowError(what string, err error)         { h.w.showError(what, err) }
func (h compareHost) Bridge() *bridge.Bridge                   { return h.w.b }
func (h compareHost) Engine() *engine.Engine                   { return h.w.eng }
func (h compareHost) Now() time.Time                           { return h.w.now() }
func (h compareHost) ComposerText() string                     { return h.w.compose.Input.Text }
func (h compareHost) SetComposerText(text string)              { h.w.compose.Input.SetText(text) }
func (h compareHost) ProviderNames() []string                  { return h.w.providerNames() }
func (h compareHost) ModelsOf(provider string) []string        { return h.w.modelsOf(provider) }
func (h compareHost) DefaultModel(provider string) string      { return h.w.defaultModel(provider) }
func (h compareHost) NewEntry(multiLine bool) *look.EscEntry   { return newEscEntry(h.w, multiLine) }
func (h compareHost) NewMessage(m store.Message) *chat.Message { return h.w.newView(m) }
func (h compareHost) Pin(v *chat.Message, pinned bool)         { h.w.pin(v, pinned) }
func (h compareHost) ChatsChanged()                            { h.w.loadConversations("") }
func (h compareHost) NameChat(id string)                       { h.w.nameChat(id) }

func (h compareHost) Selected() bool {
	_, ok := h.w.current()
	return ok
}

func (h compareHost) Shown() compare.Chat {
	if cv := h.w.pane.chats[h.w.pane.selected]; cv != nil {
		return compareChat{h.w, cv}
	}
	return nil
}

// compareChat is a chat's view as the chat a comparison runs in.
type compareChat struct {
	w  *window
	cv *chatView
}

func (c compareChat) ID() string                    { return c.cv.id }
func (c compareChat) Live() bool                    { return c.cv.live != nil }
func (c compareChat) Busy() bool                    { return c.cv.live != nil || c.cv.loading || c.cv.paging }
func (c compareChat) AtEnd() bool                   { return c.cv.atEnd }
func (c compareChat) ToEnd(then func())             { c.w.toEnd(c.cv, then) }
func (c compareChat) Scroll() *container.Scroll     { return c.cv.scroll }
func (c compareChat) AtBottom() bool                { return isAtBottom(c.cv.scroll) }
func (c compareChat) AddRow(o fyne.CanvasObject)    { c.cv.addRow(o) }
func (c compareChat) RemoveRow(o fyne.CanvasObject) { c.cv.removeRow(o) }
func (c compareChat) EndLive()                      { c.w.endLive(c.cv) }
func (c compareChat) Fit()                          { fitContent(c.cv) }
func (c compareChat) Fresh() bool                   { return len(c.cv.views) == 0 && c.cv.atStart }

func (c compareChat) StartLive(cancel context.CancelFunc, first *chat.Message) {
	c.cv.live = &liveAnswer{cancel: cancel, view: first}
	c.cv.setBusy(true)
	c.w.updateSendButton()
	c.w.side.list.Refresh()
}

func (c compareChat) Forget() {
	if c.w.pane.chats[c.cv.id] == c.cv && c.cv.live == nil {
		delete(c.w.pane.chats, c.cv.id)
	}
}

// askCompare opens the dialog that picks the providers or models to
// compare and the prompt, in the shown chat.
func (w *window) askCompare() { compare.Ask(compareHost{w}) }

// newCompareDialog builds the comparison dialog for the shown chat, or nil.
func (w *window) newCompareDialog() *compare.Dialog { return compare.NewDialog(compareHost{w}) }

// compare starts a comparison of text in the shown chat (compare.Start).
func (w *window) compare(text string, targets []engine.Target) *compare.View {
	return compare.Start(compareHost{w}, text, targets)
}

// SendOptions: a comparison's answers call no tools (the comparison shows
// no card to ask the user with).
func (h compareHost) SendOptions() engine.SendOptions {
	o := h.w.sendOptions()
	o.Tools, o.Approve = nil, nil
	return o
}
