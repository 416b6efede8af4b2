package store

import (
	"errors"
	"strings"
	"testing"
)

func TestSnapshotReadsWhatARequestNeeds(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "t"})
	s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "one"})
	s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, Content: "two"})
	if err := s.PutSummary(Summary{ConversationID: c.ID, Through: 1, Text: "earlier"}); err != nil {
		t.Fatal(err)
	}
	s.PutProvider(Provider{Name: "a", Kind: KindCompatible, BaseURL: "http://x", Model: "m"})
	s.SetSetting(SettingDefaultProvider, "a")

	snap, err := s.Snapshot(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Conversation.Title != "t" || len(snap.Messages) != 2 || snap.Messages[1].Content != "two" || snap.Messages[1].Seq != 2 {
		t.Fatalf("conversation %+v, messages %+v", snap.Conversation, snap.Messages)
	}
	if snap.Summary == nil || snap.Summary.Text != "earlier" {
		t.Fatalf("summary %+v", snap.Summary)
	}
	if snap.DefaultProvider != "a" {
		t.Fatalf("default %q", snap.DefaultProvider)
	}
	if p, err := snap.Provider("a"); err != nil || p.Model != "m" {
		t.Fatalf("provider a: %+v, %v", p, err)
	}
	_, err = snap.Provider("nope")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(UserMessage(err), `"nope"`) {
		t.Fatalf("missing provider: %v (%q)", err, UserMessage(err))
	}

	if _, err := s.Snapshot("missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing conversation: %v", err)
	}
	empty, _ := s.CreateConversation(Conversation{})
	if snap, err := s.Snapshot(empty.ID); err != nil || snap.Summary != nil || len(snap.Messages) != 0 {
		t.Fatalf("empty conversation: %+v, %v", snap, err)
	}
}
