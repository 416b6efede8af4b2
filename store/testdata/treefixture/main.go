// Command treefixture writes store/testdata/history-b9556e2.db.gz: a
// history as deskchat wrote it before trees of messages (commit b9556e2),
// for the migration 0003_message_tree's test. It must be run against that
// commit's store package, not today's:
//
//	git archive b9556e2 | tar -x -C /tmp/old
//	mkdir /tmp/old/treefixture && cp store/testdata/treefixture/main.go /tmp/old/treefixture/
//	cd /tmp/old && go run ./treefixture /tmp/fixture && gzip -9 <.../deskchat.db >history-b9556e2.db.gz
//
// The conversations (titles are what the test looks for):
//   - "plain": two exchanges.
//   - "regenerated": a question answered three times (two answers
//     superseded by Regenerate), then a follow-up.
//   - "compared": a question compared across three models where the second
//     was kept (the others superseded), then a follow-up.
//   - "with a file": a question with an attachment, its answer interrupted.
//   - "empty": no messages.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/deskchat/deskchat/store"
)

func main() {
	s, err := store.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer s.Close()
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	conv := func(title string) string {
		c, err := s.CreateConversation(store.Conversation{Title: title, Provider: "Simulator", Model: "simulated-markdown"})
		must(err)
		return c.ID
	}
	add := func(id string, role store.Role, text string) store.Message {
		m, err := s.AppendMessage(store.Message{ConversationID: id, Role: role, Content: text, Provider: "Simulator", Model: "simulated-markdown"})
		must(err)
		return m
	}

	id := conv("plain")
	add(id, store.RoleUser, "What is a tree?")
	add(id, store.RoleAssistant, "A plant with a trunk.")
	add(id, store.RoleUser, "And in computing?")
	add(id, store.RoleAssistant, "Nodes with one parent each.")

	id = conv("regenerated")
	q := add(id, store.RoleUser, "Name a colour.")
	add(id, store.RoleAssistant, "Red.")
	must(s.Supersede(id, q.Seq))
	add(id, store.RoleAssistant, "Green.")
	must(s.Supersede(id, q.Seq))
	add(id, store.RoleAssistant, "Blue.")
	add(id, store.RoleUser, "Why that one?")
	add(id, store.RoleAssistant, "It is the sky's.")

	id = conv("compared")
	add(id, store.RoleUser, "Hello.")
	add(id, store.RoleAssistant, "Hi.")
	q, answers, err := s.AppendAnswers(store.Message{ConversationID: id, Role: store.RoleUser, Content: "Which animal swims best?"}, []store.Message{
		{ConversationID: id, Role: store.RoleAssistant, Content: "alpha: the otter", Model: "alpha"},
		{ConversationID: id, Role: store.RoleAssistant, Content: "bravo: the dolphin", Model: "bravo", Superseded: true},
		{ConversationID: id, Role: store.RoleAssistant, Content: "charlie: the penguin", Model: "charlie", Superseded: true},
	})
	must(err)
	_, err = s.KeepAnswer(id, answers[1].Seq, []uint64{answers[0].Seq, answers[2].Seq}, false, nil)
	must(err)
	_ = q
	add(id, store.RoleUser, "How fast?")
	add(id, store.RoleAssistant, "Very.")

	id = conv("with a file")
	data := []byte("# notes\n\nthe file's text\n")
	sum := sha256.Sum256(data)
	_, err = s.AppendMessage(store.Message{ConversationID: id, Role: store.RoleUser, Content: "Summarise this.",
		Attachments: []store.Attachment{{Name: "notes.md", Mime: "text/markdown", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Data: data, Text: string(data)}}})
	must(err)
	_, err = s.AppendMessage(store.Message{ConversationID: id, Role: store.RoleAssistant, Content: "The notes say", State: store.StateInterrupted})
	must(err)

	conv("empty")
	fmt.Println("written", s.Path())
}
