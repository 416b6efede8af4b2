package store

import (
	"fmt"
	"strings"
	"testing"
)

// A send reads its whole chat with Snapshot; in a long session each read
// must decode only what was written since the last one, however long the
// chat is (issue 13: the CPU of an answer grew with the chat).
func TestSnapshotDecodesOnlyWhatChangedAsTheChatGrows(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "long"})
	exchange := func(i int) {
		t.Helper()
		_, ans, err := s.AppendExchange(Message{ConversationID: c.ID, Role: RoleUser, Content: fmt.Sprintf("question %d", i)},
			Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming})
		if err != nil {
			t.Fatal(err)
		}
		ans.Content, ans.State = fmt.Sprintf("answer %d", i), StateDone
		if err := s.PutMessage(ans); err != nil {
			t.Fatal(err)
		}
	}
	decodedBy := func() (int64, Snapshot) {
		t.Helper()
		before := s.memo.decoded.Load()
		snap, err := s.Snapshot(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s.memo.decoded.Load() - before, snap
	}
	for i := 1; i <= 300; i++ {
		exchange(i)
		n, snap := decodedBy()
		if len(snap.Messages) != 2*i || snap.Messages[2*i-1].Content != fmt.Sprintf("answer %d", i) || snap.Messages[0].Content != "question 1" {
			t.Fatalf("after exchange %d: %d messages, last %+v", i, len(snap.Messages), snap.Messages[len(snap.Messages)-1])
		}
		if i > 1 && n != 2 {
			t.Fatalf("after exchange %d (a chat of %d messages) the Snapshot decoded %d messages, want the 2 new ones", i, 2*i, n)
		}
	}
	if n, _ := decodedBy(); n != 0 {
		t.Fatalf("an unchanged chat of 600 messages: %d decoded, want 0", n)
	}

	// Any write is seen: an edit in place, a pin, a deletion.
	old, _ := s.Message(c.ID, 10)
	old.Content = "answer 5, edited"
	if err := s.PutMessage(old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPinned(c.ID, 3, true); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMessage(c.ID, 20); err != nil {
		t.Fatal(err)
	}
	// The deleted message's child now follows its parent: rewritten too.
	n, snap := decodedBy()
	if n != 3 || len(snap.Messages) != 599 {
		t.Fatalf("after an edit, a pin and a deletion: %d decoded (want 3), %d messages (want 599)", n, len(snap.Messages))
	}
	if snap.Messages[19].Parent != 19 {
		t.Fatalf("message 21 follows %d, want 19", snap.Messages[19].Parent)
	}
	if snap.Messages[9].Content != "answer 5, edited" || !snap.Messages[2].Pinned || snap.Messages[19].Seq != 21 {
		t.Fatalf("stale messages: %+v / %+v / %+v", snap.Messages[9], snap.Messages[2], snap.Messages[19])
	}
}

// The memo holds a few chats and a bounded size: reading many chats keeps
// memoChats of them, and a deleted chat is forgotten.
func TestSnapshotMemoIsBounded(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	var ids []string
	for i := 0; i < memoChats+3; i++ {
		c, _ := s.CreateConversation(Conversation{})
		s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "hello"})
		if _, err := s.Snapshot(c.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if n := len(s.memo.chats); n != memoChats {
		t.Fatalf("%d chats remembered, want %d", n, memoChats)
	}
	last := ids[len(ids)-1]
	if s.memo.chats[last] == nil || s.memo.chats[ids[0]] != nil {
		t.Fatal("the memo kept the oldest read chat rather than the newest")
	}
	if err := s.DeleteConversation(last); err != nil {
		t.Fatal(err)
	}
	if s.memo.chats[last] != nil {
		t.Fatal("a deleted chat is still remembered")
	}
	total := 0
	for _, c := range s.memo.chats {
		total += c.bytes
	}
	if total != s.memo.bytes || total > memoMaxBytes {
		t.Fatalf("memo counts %d bytes, holds %d (bound %d)", s.memo.bytes, total, memoMaxBytes)
	}
}

// BenchmarkSnapshotAfterAnExchange is a send's read in a chat of 600
// messages: one exchange was written since the chat's last Snapshot.
func BenchmarkSnapshotAfterAnExchange(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.DB().NoSync = true
	c, _ := s.CreateConversation(Conversation{Title: "long"})
	answer := strings.Repeat("An answer of a few paragraphs, with `code` and a table. ", 25)
	exchange := func(i int) (Message, Message) {
		q, a, err := s.AppendExchange(Message{ConversationID: c.ID, Role: RoleUser, Content: fmt.Sprintf("question %d", i)},
			Message{ConversationID: c.ID, Role: RoleAssistant, Content: answer})
		if err != nil {
			b.Fatal(err)
		}
		return q, a
	}
	for i := 0; i < 299; i++ {
		exchange(i)
	}
	s.Snapshot(c.ID)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		q, a := exchange(300 + i)
		b.StartTimer()
		if _, err := s.Snapshot(c.ID); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		// The chat stays 600 messages long whatever b.N is.
		s.DeleteMessage(c.ID, a.Seq)
		s.DeleteMessage(c.ID, q.Seq)
		b.StartTimer()
	}
}
