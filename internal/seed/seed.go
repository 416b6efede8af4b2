// Package seed writes small histories of ready-made chats, each a question
// and its answer, for the scripts that show them in the window
// (scripts/gen-hostile, scripts/gen-cjk).
package seed

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// Chat is one chat to write.
type Chat struct {
	Name     string // what -only picks it by, and what is printed beside its id
	Title    string
	Question string
	Answer   string
}

// Write stores chats (only the one called only, when it is set) in the
// history in dir, one minute apart from 1 January 2026 09:00 UTC so the
// last one opens at start, with the Simulator as the default provider so
// the window opens without the first-run dialog. It prints "NAME ID" for
// each chat on out.
func Write(dir string, chats []Chat, only string, out io.Writer) error {
	st, err := store.Open(dir)
	if err != nil {
		return errors.New(store.UserMessage(err))
	}
	defer st.Close()
	if err := st.SetSettings(map[string]string{store.SettingDefaultProvider: engine.SimulatorName}); err != nil {
		return err
	}
	t := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	wrote := 0
	for _, c := range chats {
		if only != "" && c.Name != only {
			continue
		}
		t = t.Add(time.Minute)
		const model = "simulated-markdown"
		d := store.Dump{Conversation: store.Conversation{Title: c.Title, Provider: engine.SimulatorName, Model: model, CreatedAt: t, UpdatedAt: t}}
		d.Messages = []store.Message{
			{Role: store.RoleUser, Content: c.Question, State: store.StateDone, CreatedAt: t, UpdatedAt: t},
			{Role: store.RoleAssistant, Content: c.Answer, State: store.StateDone, Provider: engine.SimulatorName, Model: model, CreatedAt: t, UpdatedAt: t},
		}
		rs, err := st.ImportConversations([]store.Import{{Dump: d}})
		if err != nil {
			return err
		}
		fmt.Fprintln(out, c.Name, rs[0].ID)
		wrote++
	}
	if wrote == 0 {
		return fmt.Errorf("no chat is called %q", only)
	}
	return nil
}
