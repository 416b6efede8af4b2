package ui

import (
	"context"
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// Toolbox is what the window needs of the MCP servers' manager (package
// tools, built by main.go and given to the engine as its Toolbox): their
// names, for the chat's Tools menu, and Close, so that no server process
// outlives the window.
type Toolbox interface {
	Servers() []string
	Close() error
}

// closeTools stops the tool servers (shutdown, once the answers have
// stopped: their calls are cancelled by then).
func (w *window) closeTools() {
	if w.conf.tools != nil {
		w.conf.tools.Close()
		w.conf.tools = nil
	}
}

// toolServers are the servers a chat may choose from.
func (w *window) toolServers() []string {
	if w.conf.tools == nil {
		return nil
	}
	return w.conf.tools.Servers()
}

// newToolsButton is the composer's Tools menu button; hidden while no tool
// server is set up (deskchat tools add).
func (w *window) newToolsButton() *widget.Button {
	b := widget.NewButton("Tools", w.showToolsMenu)
	b.Hide()
	return b
}

// updateToolsButton shows how many of the shown chat's tool servers are on.
func (w *window) updateToolsButton() {
	b := w.compose.toolsBtn
	if b == nil {
		return
	}
	servers := w.toolServers()
	if len(servers) == 0 {
		b.Hide()
		return
	}
	label := "Tools"
	if n := countOn(w.chatTools(), servers); n > 0 {
		label = fmt.Sprintf("Tools · %d", n)
	}
	if b.Text != label {
		b.SetText(label)
	}
	b.Show()
}

// countOn counts the chosen servers that are still set up.
func countOn(chosen, servers []string) int {
	n := 0
	for _, s := range servers {
		if slices.Contains(chosen, s) || slices.Contains(chosen, "all") {
			n++
		}
	}
	return n
}

// chatTools are the servers the shown chat chose; with no chat shown,
// those chosen for the chat the next question starts.
func (w *window) chatTools() []string {
	if c, ok := w.current(); ok {
		return c.Tools
	}
	return w.compose.newTools
}

// toolsMenu lists the tool servers, checked when the shown chat may use
// their tools; choosing one turns it on or off for this chat (with no chat
// shown: for the one the next question starts).
func (w *window) toolsMenu() *fyne.Menu {
	c, ok := w.current()
	chosen := w.chatTools()
	var items []*fyne.MenuItem
	for _, s := range w.toolServers() {
		item := fyne.NewMenuItem(s, func() {
			if ok {
				w.setChatTools(c.ID, toggled(chosen, s))
				return
			}
			w.compose.newTools = toggled(chosen, s)
			w.updateToolsButton()
		})
		item.Checked = slices.Contains(chosen, s)
		items = append(items, item)
	}
	return fyne.NewMenu("Tools", items...)
}

func (w *window) showToolsMenu() { w.showMenu(w.toolsMenu(), w.compose.toolsBtn) }

// toggled is chosen with server turned on if it was off, off if it was on.
func toggled(chosen []string, server string) []string {
	if i := slices.Index(chosen, server); i >= 0 {
		return slices.Delete(slices.Clone(chosen), i, i+1)
	}
	return append(slices.Clone(chosen), server)
}

// setChatTools stores the servers a chat's answers may use.
func (w *window) setChatTools(id string, servers []string) {
	bridge.Run(w.b, func() (store.Conversation, error) {
		return w.st.UpdateConversation(id, func(c *store.Conversation) { c.Tools = servers })
	}, func(c store.Conversation, err error) {
		if err != nil {
			w.showError("Could not change the chat's tools", err)
			return
		}
		if i, ok := w.indexOf(id); ok {
			w.side.convs[i].Tools = c.Tools
		}
		w.updateToolsButton()
	})
}

// withTools lets the shown chat's answer call the tools of the servers it
// chose, each call asked about with a card under the answer.
func (w *window) withTools(opts engine.SendOptions) engine.SendOptions {
	c, ok := w.current()
	if !ok || len(c.Tools) == 0 || w.conf.tools == nil {
		return opts
	}
	opts.Tools = slices.Clone(c.Tools)
	opts.Approve = w.approver(c.ID)
	return opts
}

// approver is SendOptions.Approve for the answers of chat id. The engine
// calls it on its own goroutine: the card is shown on the UI goroutine and
// the call waits for the user's choice, or for the answer's end (ctx: a
// stop, the window closing), which declines it. A tool always allowed is
// remembered by the engine and not asked about again.
func (w *window) approver(id string) func(context.Context, engine.ToolRequest) engine.ToolDecision {
	return func(ctx context.Context, req engine.ToolRequest) engine.ToolDecision {
		answer := make(chan engine.ToolDecision, 1)
		var dismiss func() // set and called on the UI goroutine only
		w.b.Post(func() { dismiss = w.askTool(id, req, answer) })
		select {
		case d := <-answer:
			return d
		case <-ctx.Done():
			w.b.Post(func() {
				if dismiss != nil {
					dismiss()
				}
			})
			return engine.DenyTool
		}
	}
}

// askTool shows the card for req under chat id's streaming answer and
// returns what takes it away; with no such answer the call is declined.
func (w *window) askTool(id string, req engine.ToolRequest, answer chan<- engine.ToolDecision) (dismiss func()) {
	cv := w.pane.chats[id]
	if cv == nil || cv.live == nil {
		answer <- engine.DenyTool
		return nil
	}
	view := cv.live.view
	relayout := func() {
		if w.pane.chats[id] == cv {
			w.layoutLive(cv, view)
		}
	}
	card := view.Tools.Ask(req, func(d engine.ToolDecision) {
		answer <- d
		relayout()
	})
	dismiss = func() {
		view.Tools.Dismiss(card)
		relayout()
	}
	cv.live.onEnd = append(cv.live.onEnd, dismiss)
	atBottom := isAtBottom(cv.scroll)
	relayout()
	if atBottom {
		cv.scroll.ScrollToBottom()
	}
	return dismiss
}
