package ui

import (
	"context"
	"slices"

	"github.com/deskchat/deskchat/engine"
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
