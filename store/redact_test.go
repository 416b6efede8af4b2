package store

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A message's error that still holds a credential (a writer that did not
// scrub it) is stored without it: the file's raw bytes never hold it, and
// nothing is refused.
func TestAMessageErrorIsStoredWithoutCredentials(t *testing.T) {
	const key = "sk-" + "test-ECHO-0123456789abcdefABCDEF" // split: not a key for scanners to flag
	dir := t.TempDir()
	s := open(t, dir)
	c, err := s.CreateConversation(Conversation{Title: "T"})
	if err != nil {
		t.Fatal(err)
	}
	_, a, err := s.AppendExchange(Message{ConversationID: c.ID, Role: RoleUser, Content: "q"},
		Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming})
	if err != nil {
		t.Fatal(err)
	}
	a.State, a.Content = StateFailed, "partial"
	a.Error = "P refused the request (HTTP 400). It said: bad header Authorization: Bearer " + key + "."
	if err := s.PutMessage(a); err != nil {
		t.Fatalf("PutMessage refused: %v", err)
	}
	got, err := s.Message(c.ID, a.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.Error, key) || !strings.Contains(got.Error, "It said: bad header Authorization: Bearer [redacted]") || got.Content != "partial" {
		t.Errorf("stored error %q, content %q", got.Error, got.Content)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(key)) || bytes.Contains(raw, []byte("ECHO-0123456789")) {
		t.Error("the history file holds the key")
	}
}
