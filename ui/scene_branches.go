//go:build screenshots

package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// stageBranches stores a chat whose question was edited once and whose
// latest answer was asked for three times, and shows it: the question says
// ‹ 2/2 ›, the answer ‹ 3/3 ›; the pointer rests on the answer, so that its
// actions (Fork among them) show.
func (w *window) stageBranches() {
	now := w.now()
	bridge.Run(w.b, func() ([]store.ImportResult, error) {
		return w.st.ImportConversations([]store.Import{{Dump: sceneBranchesChat(now)}})
	}, func(res []store.ImportResult, err error) {
		if err != nil {
			w.showError("Could not stage the scene", err)
			return
		}
		w.win.Resize(fyne.NewSize(1180, 720))
		w.loadConversations(res[0].ID)
		w.b.After(700*time.Millisecond, func() {
			if cv := w.pane.chats[res[0].ID]; cv != nil && len(cv.views) > 0 {
				last := cv.views[len(cv.views)-1]
				last.Hover.MouseIn(&desktop.MouseEvent{})
			}
		})
	})
}

// sceneBranchesChat: q1 a2 | q3 (a4 | a5 | a6), a6 on the active path.
func sceneBranchesChat(now time.Time) store.Dump {
	at := now.Add(-20 * time.Minute)
	d := store.Dump{Conversation: store.Conversation{Title: "A name for the boat", TitleEdited: true, Provider: engine.SimulatorName,
		Model: engine.SimulatorModel, CreatedAt: at, UpdatedAt: at, Leaf: 6}}
	q := func(seq, parent uint64, text string) store.Message {
		return store.Message{Seq: seq, Parent: parent, Role: store.RoleUser, Content: text, State: store.StateDone, CreatedAt: at, UpdatedAt: at}
	}
	a := func(seq, parent uint64, text string) store.Message {
		return store.Message{Seq: seq, Parent: parent, Role: store.RoleAssistant, Content: text, State: store.StateDone,
			Provider: engine.SimulatorName, Model: engine.SimulatorModel, CreatedAt: at, UpdatedAt: at}
	}
	d.Messages = []store.Message{
		q(1, 0, "Suggest a name for a small sailing boat."),
		a(2, 1, "How about **Petrel**? A small seabird that skims the waves."),
		q(3, 0, "Suggest three names for a small wooden sailing boat on the Baltic, with a line on each."),
		a(4, 3, "1. **Bernstein**: amber, the Baltic's own stone.\n2. **Möwe**: the gull that follows every boat.\n3. **Ostwind**: the east wind that brings clear days."),
		a(5, 3, "1. **Sprotte**: small, quick and Baltic.\n2. **Kiefer**: the pine her planks came from.\n3. **Nordstern**: to find the way home."),
		a(6, 3, "1. **Seeschwalbe**: the tern, light on the water.\n2. **Düne**: for the shore she leaves from.\n3. **Bernstein**: amber, warm and rare, like a wooden hull."),
	}
	return d
}
