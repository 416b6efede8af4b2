// Command gen-hostile writes a deskchat history holding one chat per hostile
// answer (internal/hostile: a 400-column table, a 2 MB line, an unclosed
// code fence of 50,000 lines, 100 KB of base64 without a space), each a
// question and its answer, for the window checks (scripts/hostile-window.sh,
// the hostile smoke screenshot). It prints "NAME ID" for each chat on stdout.
//
// Usage:
//
//	go run ./scripts/gen-hostile -dir D [-only NAME]
//
// The Simulator is made the default provider, so the window opens without
// the first-run dialog; the chat written last (the newest) opens at start.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"deskchat/engine"
	"deskchat/internal/hostile"
	"deskchat/store"
)

func main() {
	dir := flag.String("dir", "", "data folder to write (created)")
	only := flag.String("only", "", "write only this case (table400, line2mb, fence50k, base64)")
	flag.Parse()
	if *dir == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen-hostile -dir D [-only NAME]")
		os.Exit(2)
	}
	if err := run(*dir, *only); err != nil {
		fmt.Fprintln(os.Stderr, "gen-hostile:", err)
		os.Exit(1)
	}
}

func run(dir, only string) error {
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
	for _, c := range hostile.Cases() {
		if only != "" && c.Name != only {
			continue
		}
		t = t.Add(time.Minute)
		d := store.Dump{Conversation: store.Conversation{Title: "Hostile answer: " + c.Name, Provider: engine.SimulatorName, Model: "simulated-markdown", CreatedAt: t, UpdatedAt: t}}
		d.Messages = []store.Message{
			{Role: store.RoleUser, Content: "Show me " + c.Name, State: store.StateDone, CreatedAt: t, UpdatedAt: t},
			{Role: store.RoleAssistant, Content: c.Text, State: store.StateDone, Provider: engine.SimulatorName, Model: "simulated-markdown", CreatedAt: t, UpdatedAt: t},
		}
		rs, err := st.ImportConversations([]store.Import{{Dump: d}})
		if err != nil {
			return err
		}
		fmt.Println(c.Name, rs[0].ID)
		wrote++
	}
	if wrote == 0 {
		return fmt.Errorf("no case is called %q", only)
	}
	return nil
}
