package store

import (
	"testing"
)

// Branches says where each message of a page stands among its siblings,
// leaving out those without any and seqs that are not messages; a
// conversation with no tree yet has none.
func TestBranchesOfAPage(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c := treeChat(t, s) // q1 a2 | q3 (a4 | a5 q6 a7)
	got, err := s.Branches(c.ID, []uint64{3, 5, 6, 7, 99, 1, 4})
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64]Branch{1: {1, 2}, 3: {2, 2}, 4: {1, 2}, 5: {2, 2}}
	if len(got) != len(want) {
		t.Fatalf("branches %v, want %v", got, want)
	}
	for seq, b := range want {
		if got[seq] != b {
			t.Errorf("message %d: %+v, want %+v", seq, got[seq], b)
		}
	}
	plain, err := s.CreateConversation(Conversation{Title: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AppendExchange(Message{ConversationID: plain.ID, Role: RoleUser, Content: "q"}, Message{ConversationID: plain.ID, Role: RoleAssistant, Content: "a"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Branches(plain.ID, []uint64{1, 2}); err != nil || len(got) != 0 {
		t.Errorf("a chain has branches %v, %v", got, err)
	}
	if _, err := s.Branches("nowhere", []uint64{1}); err == nil {
		t.Error("a missing conversation has branches")
	}
}
