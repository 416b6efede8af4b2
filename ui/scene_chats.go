//go:build screenshots

package ui

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// sceneChat is one chat of the "chats" scene: its title, how long ago it
// was last used, and its exchanges.
type sceneChat struct {
	title string
	ago   time.Duration
	qa    []string // question, answer, question, answer…
}

var sceneChats = []sceneChat{
	{"Trip to Lisbon", 9 * 24 * time.Hour, []string{"Plan three days in Lisbon", "**Day 1:** Alfama and the castle. **Day 2:** Belém. **Day 3:** Sintra."}},
	{"Go channels explained", 4 * 24 * time.Hour, []string{"How do Go channels work?", "A channel passes values between goroutines."}},
	{"Trip to Lisbon", 27 * time.Hour, []string{"Where to eat near Alfama?", "Try the small tascas on Rua de São Miguel."}},
	{"Birthday poem", 3 * time.Hour, []string{"A short poem for my sister's birthday", "Another year, another page…"}},
	{"Go channels explained", 20 * time.Minute, []string{
		"How do I stop a goroutine that reads from a channel?",
		"Close the channel, or pass a `context.Context` and select on `ctx.Done()`:\n\n" +
			"```go\nfor {\n\tselect {\n\tcase v, ok := <-values:\n\t\tif !ok {\n\t\t\treturn // closed: nothing more will come\n\t\t}\n\t\thandle(v)\n\tcase <-ctx.Done():\n\t\treturn\n\t}\n}\n```\n\n" +
			"- **Closing** tells every reader at once that no more values will come.\n" +
			"- **Cancelling** the context stops the reader even while values still arrive.\n\n" +
			"Only the sender should close a channel: a send on a closed channel panics.",
		"And who should close it when there are several senders?",
		"None of them directly. Let a `sync.WaitGroup` count the senders, and close the channel in one goroutine that waits for it:\n\n" +
			"```go\ngo func() {\n\twg.Wait()\n\tclose(values)\n}()\n```",
	}},
}

// stageChats stores the scene's chats with their dates and opens the most
// recent one at its start, its question pointed at; with newChat, a new
// chat is opened instead, offering the recent questions.
func (w *window) stageChats(newChat bool) {
	now := w.now()
	var imports []store.Import
	for _, c := range sceneChats {
		at := now.Add(-c.ago)
		d := store.Dump{Conversation: store.Conversation{Title: c.title, TitleEdited: true, Provider: engine.SimulatorName, Model: "gpt-4o-mini", CreatedAt: at, UpdatedAt: at}}
		for i, text := range c.qa {
			m := store.Message{Role: store.RoleUser, Content: text, State: store.StateDone, CreatedAt: at, UpdatedAt: at}
			if i%2 == 1 {
				m.Role, m.Provider, m.Model = store.RoleAssistant, "OpenAI", "gpt-4o-mini"
				m.PromptTokens, m.OutputTokens = 120+40*i, 90+30*i
			}
			d.Messages = append(d.Messages, m)
		}
		imports = append(imports, store.Import{Dump: d})
	}
	bridge.Run(w.b, func() ([]store.ImportResult, error) {
		return w.st.ImportConversations(imports)
	}, func(res []store.ImportResult, err error) {
		if err != nil {
			w.showError("Could not stage the scene", err)
			return
		}
		w.win.Resize(fyne.NewSize(1180, 780))
		if newChat {
			w.loadConversations(res[len(res)-1].ID)
			w.b.After(300*time.Millisecond, w.newConversation)
			return
		}
		id := res[len(res)-1].ID
		w.loadConversations(id)
		w.b.After(500*time.Millisecond, func() {
			if cv := w.pane.chats[id]; cv != nil && len(cv.views) > 0 {
				cv.views[0].SetHovered(true) // the question, pointed at: its actions show
				cv.scroll.ScrollToTop()
			}
		})
	})
}
