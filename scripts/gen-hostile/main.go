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
	"flag"
	"fmt"
	"os"

	"github.com/deskchat/deskchat/internal/hostile"
	"github.com/deskchat/deskchat/internal/seed"
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
	var chats []seed.Chat
	for _, c := range hostile.Cases() {
		chats = append(chats, seed.Chat{Name: c.Name, Title: "Hostile answer: " + c.Name, Question: "Show me " + c.Name, Answer: c.Text})
	}
	return seed.Write(dir, chats, only, os.Stdout)
}
