package store

import (
	"errors"
	"testing"
)

func TestReopenAnswerTracksItAgainAndRefusesTheRest(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	c, _ := s.CreateConversation(Conversation{})
	q, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "q"})
	a, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, Content: "half", State: StateFailed, Error: "boom", Finish: "length"})

	if _, err := s.ReopenAnswer(c.ID, q.Seq); !errors.Is(err, ErrNotContinuable) || UserMessage(err) == "" {
		t.Fatalf("reopening a question: %v", err)
	}
	m, err := s.ReopenAnswer(c.ID, a.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if m.State != StateStreaming || m.Content != "half" || m.Error != "" || m.Finish != "" {
		t.Fatalf("reopened %+v", m)
	}
	if _, err := s.ReopenAnswer(c.ID, a.Seq); !errors.Is(err, ErrNotContinuable) {
		t.Fatalf("reopening a streaming answer: %v", err)
	}
	s.Close() // dies while continuing

	s = open(t, dir)
	defer s.Close()
	if got, _ := s.Message(c.ID, a.Seq); got.State != StateInterrupted || got.Content != "half" {
		t.Fatalf("after a crash while continuing: %+v", got)
	}
	s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "later"})
	if _, err := s.ReopenAnswer(c.ID, a.Seq); !errors.Is(err, ErrNotContinuable) {
		t.Fatalf("reopening an answer that is not the last: %v", err)
	}
	if _, err := s.ReopenAnswer("nope", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}
