//go:build screenshots

package ui

import (
	"encoding/json"
	"time"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// sceneToolbox stands for the tool servers in the tools scene: the menu
// lists them, nothing runs.
type sceneToolbox []string

func (s sceneToolbox) Servers() []string { return s }
func (sceneToolbox) Close() error        { return nil }

// stageTools stores a chat whose answer used a tool (its call folded) and
// shows under a second answer the card asking to run another one; the
// composer's Tools menu button says one server is on.
func (w *window) stageTools() {
	w.closeTools()
	w.conf.tools = sceneToolbox{"harbor", "github"}
	now := w.now()
	bridge.Run(w.b, func() ([]store.ImportResult, error) {
		return w.st.ImportConversations([]store.Import{{Dump: sceneToolsChat(now)}})
	}, func(res []store.ImportResult, err error) {
		if err != nil {
			w.showError("Could not stage the scene", err)
			return
		}
		w.win.Resize(fyne.NewSize(1180, 780))
		w.loadConversations(res[0].ID)
		w.b.After(500*time.Millisecond, func() { w.stageToolCard(res[0].ID) })
	})
}

// stageToolCard adds an answer waiting for the user's decision under the
// stored one (not stored: fed the events the engine sends).
func (w *window) stageToolCard(id string) {
	cv := w.pane.chats[id]
	if cv == nil {
		return
	}
	cv.add(w.newView(store.Message{Role: store.RoleUser, Content: "And the tide tables for tomorrow? use tides", State: store.StateDone, Seq: 3}), w.pin)
	v := w.newView(store.Message{Role: store.RoleAssistant, State: store.StateStreaming, Provider: engine.SimulatorName, Model: engine.SimulatorModel})
	cv.add(v, w.pin)
	u := bridge.Update{}
	bridge.MergeEvent(&u, engine.Started{Provider: engine.SimulatorName, Model: engine.SimulatorModel, AssistantSeq: 4})
	bridge.MergeEvent(&u, engine.Delta{Text: "Let me use harbor__tides."})
	v.Apply(u)
	v.Tools.Ask(engine.ToolRequest{Server: "harbor", Tool: "tides", Arguments: json.RawMessage(`{"port":"Hamburg","date":"tomorrow"}`)}, func(engine.ToolDecision) {})
	cv.scroll.Refresh()
	cv.scroll.ScrollToBottom()
}

// sceneToolsChat is the tools scene's chat: a question that asked for a
// tool, and the answer that used it.
func sceneToolsChat(now time.Time) store.Dump {
	at := now.Add(-5 * time.Minute)
	d := store.Dump{Conversation: store.Conversation{Title: "Ships in the harbor", TitleEdited: true, Provider: engine.SimulatorName,
		Model: engine.SimulatorModel, Tools: []string{"harbor"}, CreatedAt: at, UpdatedAt: at}}
	d.Messages = []store.Message{
		{Role: store.RoleUser, Content: `Which ships are due in Hamburg today? use harbor_lookup {"port":"Hamburg"}`, State: store.StateDone, CreatedAt: at, UpdatedAt: at},
		{Role: store.RoleAssistant, Provider: engine.SimulatorName, Model: engine.SimulatorModel, State: store.StateDone, CreatedAt: at, UpdatedAt: at,
			Content: "Let me use harbor__harbor_lookup.\n\nThree ships are due in **Hamburg** today: *Elbe Star* at 09:40, *Nordlicht* at 13:15 and *Cap San Diego* at 18:05.",
			Tools: []store.ToolUse{{Round: 1, CallID: "call_1", Name: "harbor__harbor_lookup", Server: "harbor", Tool: "harbor_lookup",
				Arguments: `{"port":"Hamburg"}`, TookMs: 120,
				Result: "Elbe Star 09:40 berth 4\nNordlicht 13:15 berth 7\nCap San Diego 18:05 berth 2"}}},
	}
	return d
}
