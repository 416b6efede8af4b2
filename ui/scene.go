//go:build screenshots

package ui

import (
	"fmt"
	"os"

	"time"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/chat"
)

// playScene stages what DESKCHAT_SCENE names, for the Xvfb screenshots
// (make smoke builds deskchat with the screenshots tag):
//
//	settings  the settings dialog on its first provider
//	states    a chat whose answers show each engine state (states-end:
//	          scrolled to its end)
//	shortcuts the keyboard shortcuts dialog
//	usage     the usage and cost view on a made-up month (scene_usage.go)
//	compare   one question answered by three models side by side
//	long      a chat of 10,000 messages, opened at its end
//	search    search results for a word of that chat
//	chats     a few chats of the last days, two titles twice, the latest
//	          open at its start with a question pointed at (scene_chats.go)
//	newchat   those chats, and a new chat offering their questions
//	math      an answer with inline and display math (scene_math.go)
//	attach    a question with a photo and a PDF, answered, and two more
//	          files in the composer's tray (scene_attach.go)
//	vision    the settings dialog scrolled to which models take images
//	tools     a chat whose answer used a tool, and a card asking to run
//	          another (scene_tools.go)
//	branches  a chat whose question was edited and whose answer was asked
//	          for three times: ‹ 2/2 › and ‹ 3/3 › (scene_branches.go)
//	toolsettings  the Settings' Tools page on a connected server, one
//	          tool off and one run without asking (scene_toolsettings.go)
//	batch     the Batch window on a run in progress: rows done, failed,
//	          being asked and waiting (scene_batch.go)
//
// Anything else leaves the window as it starts.
func playScene(w *window) {
	switch os.Getenv("DESKCHAT_SCENE") {
	case "settings":
		w.loadProviders(func() { w.showSettings() })
	case "shortcuts":
		w.showShortcuts()
	case "usage":
		// Once the main window is up, so that the usage window is on top.
		w.b.After(time.Second, w.stageUsage)
	case "batch":
		// Once the main window is up, so that the batch window is on top.
		w.b.After(time.Second, w.stageBatch)
	case "compare":
		w.loadProviders(func() {
			w.createConversation(func(c store.Conversation) {
				w.pane.chats[c.ID] = newChatView(c.ID)
				w.loadConversations(c.ID)
				w.b.After(300*time.Millisecond, func() {
					w.compare("Explain Go channels in two sentences.", []engine.Target{
						{Provider: engine.SimulatorName, Model: engine.SimulatorModel},
						{Provider: engine.SimulatorName, Model: "simulated-fast"},
						{Provider: engine.SimulatorName, Model: "simulated-careful"},
					})
				})
			})
		})
	case "math":
		w.loadProviders(w.stageMath)
	case "chats", "newchat":
		newChat := os.Getenv("DESKCHAT_SCENE") == "newchat"
		w.loadProviders(func() { w.stageChats(newChat) })
	case "long", "search":
		search := os.Getenv("DESKCHAT_SCENE") == "search"
		w.loadProviders(func() { w.stageLongChat(search) })
	case "attach":
		w.loadProviders(w.stageAttach)
	case "vision":
		w.loadProviders(w.stageVision)
	case "tools":
		w.loadProviders(w.stageTools)
	case "branches":
		w.loadProviders(w.stageBranches)
	case "toolsettings":
		w.loadProviders(w.stageToolSettings)
	case "states", "states-end":
		end := os.Getenv("DESKCHAT_SCENE") == "states-end"
		w.loadProviders(func() { w.createConversation(func(c store.Conversation) { w.stageStates(c, end) }) })
	}
}

// stageStates fills a new chat with answers in each state the engine
// reports, fed the events the engine sends; none of them is stored.
func (w *window) stageStates(c store.Conversation, end bool) {
	c.Title = "Engine states"
	w.side.convs = append([]store.Conversation{c}, w.side.convs...)
	w.side.list.Refresh()
	cv := newChatView(c.ID)
	w.pane.chats[c.ID] = cv
	w.show(c.ID)
	now := w.now()
	answer := func(question string, events ...engine.Event) *chat.Message {
		if question != "" {
			cv.add(w.newView(store.Message{Role: store.RoleUser, Content: question, State: store.StateDone, Seq: 1}), w.pin)
		}
		v := w.newView(store.Message{Role: store.RoleAssistant, State: store.StateStreaming, Provider: "OpenAI", Model: "gpt-4o-mini"})
		cv.add(v, w.pin)
		for _, ev := range events {
			u := bridge.Update{}
			bridge.MergeEvent(&u, ev)
			v.Apply(u)
		}
		return v
	}
	answer("", engine.Queued{Provider: "OpenAI", Position: 2})
	answer("", engine.RateLimited{Provider: "OpenAI", Until: now.Add(12 * time.Second)})
	answer("", engine.Retrying{Attempt: 1, After: 4 * time.Second, Reason: "server error 503"})
	answer("",
		engine.FellBack{From: "OpenAI", To: "Ollama", Reason: "OpenAI is not answering"},
		engine.Started{Provider: "Ollama", Model: "llama3.2", AssistantSeq: 2},
		engine.Delta{Text: "Then **Ollama** answers instead, and the answer says so."},
		engine.UsageEvent{Usage: engine.Usage{PromptTokens: 40, CompletionTokens: 14}},
		engine.Done{Finish: "stop", Duration: 1800 * time.Millisecond})
	answer("",
		engine.Cached{},
		engine.Started{Provider: "OpenAI", Model: "gpt-4o-mini", AssistantSeq: 2},
		engine.Delta{Text: "The second time the answer comes from the cache: nothing is sent, nothing is paid."},
		engine.UsageEvent{Usage: engine.Usage{PromptTokens: 30, CompletionTokens: 18}},
		engine.Done{Finish: "stop", Duration: 12 * time.Millisecond})
	answer("",
		engine.Failed{Sentence: "OpenAI rejected the API key (401): check the key in the provider's settings."})
	answer("",
		engine.Started{Provider: "OpenAI", Model: "gpt-4o-mini", AssistantSeq: 2},
		engine.Delta{Text: "Tokens and cost are shown under every answer."},
		engine.UsageEvent{Usage: engine.Usage{PromptTokens: 1200, CompletionTokens: 350}},
		engine.Done{Finish: "stop", Duration: 2400 * time.Millisecond})
	for _, v := range cv.views {
		if v.State == store.StateFailed {
			v.Seq = 2
			v.SetLast(true) // show Retry as on a chat's last answer
		}
	}
	w.watchCountdowns()
	w.win.Resize(fyne.NewSize(1180, 780))
	cv.scroll.Refresh()
	if end {
		cv.scroll.ScrollToBottom()
	}
}

// stageLongChat stores a chat of 10,000 messages and shows it, at its end;
// with search, the search dialog shows what "kubernetes" finds in it.
func (w *window) stageLongChat(search bool) {
	t0 := w.now().Add(-30 * 24 * time.Hour)
	d := store.Dump{Conversation: store.Conversation{Title: "Ten thousand messages", Provider: engine.SimulatorName, Model: engine.SimulatorModel, CreatedAt: t0, UpdatedAt: t0}}
	for i := 1; i <= 10_000; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		m := store.Message{Role: store.RoleUser, Content: fmt.Sprintf("Question %d: how do kubernetes pods restart?", i), State: store.StateDone, CreatedAt: at, UpdatedAt: at}
		if i%2 == 0 {
			m.Role, m.Provider, m.Model = store.RoleAssistant, engine.SimulatorName, engine.SimulatorModel
			m.Content = engine.SimulatedMarkdown(fmt.Sprint("answer ", i), 60)
		}
		d.Messages = append(d.Messages, m)
	}
	bridge.Run(w.b, func() ([]store.ImportResult, error) {
		return w.st.ImportConversations([]store.Import{{Dump: d}})
	}, func(res []store.ImportResult, err error) {
		if err != nil {
			w.showError("Could not stage the scene", err)
			return
		}
		w.loadConversations(res[0].ID)
		if search {
			w.showSearch()
			w.overlays.search.Entry.SetText("kubernetes restart")
		}
	})
}
