package store

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// dumpDB returns every key and value of every bucket, nested ones too, and
// each bucket's sequence, by path.
func dumpDB(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(path string, b *bolt.Bucket) error
	walk = func(path string, b *bolt.Bucket) error {
		out[path+"#seq"] = string(seqKey(b.Sequence()))
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return walk(path+"/"+string(k), b.Bucket(k))
			}
			out[path+"/"+string(k)] = string(v)
			return nil
		})
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(string(name), b) })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func openStreams(t *testing.T, s *Store) [][]byte {
	t.Helper()
	var keys [][]byte
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOpenStreams).ForEach(func(k, _ []byte) error {
			keys = append(keys, append([]byte(nil), k...))
			return nil
		})
	})
	return keys
}

func TestReplaceFromAddsASiblingBranchAndDeletesNothing(t *testing.T) {
	for _, mode := range searchModes {
		t.Run(mode.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			defer s.Close()
			c, _ := s.CreateConversation(Conversation{Title: "Rodents"})
			other, _ := s.CreateConversation(Conversation{Title: "Other"})
			var ms []Message
			for _, m := range []Message{
				{Role: RoleUser, Content: "tell me about the aardvark"},
				{Role: RoleAssistant, Content: "the aardvark digs"},
				{Role: RoleUser, Content: "and the capybara"},
				{Role: RoleAssistant, Content: "the capybara swims"},
				{Role: RoleUser, Content: "what of the wombat"},
				{Role: RoleAssistant, Content: "half a wombat", State: StateInterrupted},
			} {
				m.ConversationID = c.ID
				stored, err := s.AppendMessage(m)
				if err != nil {
					t.Fatal(err)
				}
				ms = append(ms, stored)
			}
			kept, _ := s.AppendMessage(Message{ConversationID: other.ID, Role: RoleUser, Content: "capybara elsewhere"})
			// A summary of messages that go away goes with them; one that
			// covers only earlier messages stays.
			s.PutSummary(Summary{ConversationID: c.ID, Through: ms[3].Seq, Text: "about capybaras"})
			s.PutSummary(Summary{ConversationID: other.ID, Through: kept.Seq, Text: "unrelated"})
			if mode.merge {
				mergeNow(t, s)
			}

			q, a, err := s.ReplaceFrom(c.ID, ms[2].Seq,
				Message{ConversationID: c.ID, Role: RoleUser, Content: "and the okapi"},
				Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming, Provider: "p", Model: "m"},
				func(c *Conversation) { c.Model = "m" })
			if err != nil {
				t.Fatal(err)
			}
			if q.Seq <= ms[5].Seq || a.Seq != q.Seq+1 || q.State != StateDone || a.State != StateStreaming || q.CreatedAt.IsZero() {
				t.Fatalf("stored %+v and %+v after seq %d", q, a, ms[5].Seq)
			}
			// The edited question is a sibling of the old one; nothing
			// was deleted, and the active path is the new branch.
			if q.Parent != ms[1].Seq || a.Parent != q.Seq {
				t.Errorf("parents: question %d, answer %d", q.Parent, a.Parent)
			}
			got, _ := s.Messages(c.ID)
			if want := append(slices.Clone(ms), q, a); !reflect.DeepEqual(got, want) {
				t.Fatalf("messages\n%+v\nwant\n%+v", got, want)
			}
			if path, _ := s.Path(c.ID); !reflect.DeepEqual(path, []Message{ms[0], ms[1], q, a}) {
				t.Fatalf("active path\n%+v", path)
			}
			if sib, _ := s.Siblings(c.ID, q.Seq); !slices.Equal(sib, []uint64{ms[2].Seq, q.Seq}) {
				t.Errorf("siblings %v", sib)
			}
			if conv, _ := s.Conversation(c.ID); conv.Model != "m" || conv.Title != "Rodents" {
				t.Errorf("update not applied: %+v", conv)
			}
			if _, err := s.Summary(c.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("summary of the old branch kept: %v", err)
			}
			if sum, err := s.Summary(other.ID); err != nil || sum.Text != "unrelated" {
				t.Errorf("other summary: %+v, %v", sum, err)
			}
			// Only the new answer is tracked as streaming.
			if keys := openStreams(t, s); len(keys) != 1 || !bytes.Equal(keys[0], openStreamKey(c.ID, a.Seq)) {
				t.Errorf("open streams %q", keys)
			}

			for query, want := range map[string][]string{
				"capybara": {kept.Content, ms[3].Content, ms[2].Content}, // the old branch stays searchable
				"wombat":   {ms[5].Content, ms[4].Content},
				"okapi":    {q.Content},
				"aardvark": {ms[1].Content, ms[0].Content},
			} {
				if got := texts(t, s, mustSearch(t, s, query, SearchOptions{})); !slices.Equal(got, want) {
					t.Errorf("search %q: %q, want %q", query, got, want)
				}
			}
			mergeNow(t, s)
			if got := texts(t, s, mustSearch(t, s, "okapi", SearchOptions{})); !slices.Equal(got, []string{q.Content}) {
				t.Errorf("okapi after merge: %q", got)
			}
			if st := indexState(t, s); !st.tokens["wombat"] || !st.tokens["swims"] || st.dead != 0 {
				t.Errorf("the old branch's text after merge: %+v", st)
			}
		})
	}
}

func TestReplaceFromFirstQuestionMakesASecondRoot(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	c, _ := s.CreateConversation(Conversation{})
	q1, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "one"})
	s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, Content: "two"})
	q, a, err := s.ReplaceFrom(c.ID, q1.Seq,
		Message{ConversationID: c.ID, Role: RoleUser, Content: "uno"},
		Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming})
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // dies while the new answer streams

	s = open(t, dir)
	defer s.Close()
	got, _ := s.Path(c.ID)
	if len(got) != 2 || got[0].Content != "uno" || got[0].Seq != q.Seq || got[0].Parent != 0 || got[1].Seq != a.Seq || got[1].State != StateInterrupted {
		t.Fatalf("after reopen: %+v", got)
	}
	if all, _ := s.Messages(c.ID); len(all) != 4 || all[0].Content != "one" {
		t.Fatalf("every message: %+v", all)
	}
}

func TestReplaceFromRefusesAndChangesNothing(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "T"})
	q1, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "first question"})
	a1, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, Content: "first answer"})
	q2, a2, _ := s.AppendExchange(Message{ConversationID: c.ID, Role: RoleUser, Content: "second question"},
		Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming, Content: "arriving"})

	for _, tc := range []struct {
		name string
		conv string
		seq  uint64
		want error
	}{
		{"an answer", c.ID, a1.Seq, ErrNotFound},
		{"missing seq", c.ID, 99, ErrNotFound},
		{"missing conversation", "nope", 1, ErrNotFound},
		{"a later answer streams", c.ID, q1.Seq, ErrStreaming},
		{"its own answer streams", c.ID, q2.Seq, ErrStreaming},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, beforeMsgs := dumpDB(t, s), mustMessages(t, s, c.ID)
			file, _ := os.ReadFile(s.FilePath())
			_, _, err := s.ReplaceFrom(tc.conv, tc.seq,
				Message{ConversationID: tc.conv, Role: RoleUser, Content: "edited"},
				Message{ConversationID: tc.conv, Role: RoleAssistant, State: StateStreaming},
				func(c *Conversation) { c.Title = "changed" })
			if !errors.Is(err, tc.want) || UserMessage(err) == "" {
				t.Fatalf("err %v, want %v with a sentence", err, tc.want)
			}
			var se *Error
			if !errors.As(err, &se) || se.Op != "replace messages" {
				t.Errorf("not wrapped as the package does: %#v", err)
			}
			if after := mustMessages(t, s, c.ID); !reflect.DeepEqual(after, beforeMsgs) {
				t.Errorf("messages changed:\n%+v\n%+v", beforeMsgs, after)
			}
			if after := dumpDB(t, s); !reflect.DeepEqual(after, before) {
				t.Errorf("database contents changed")
			}
			if after, _ := os.ReadFile(s.FilePath()); !bytes.Equal(after, file) {
				t.Errorf("database file changed")
			}
		})
	}
	if got := texts(t, s, mustSearch(t, s, "edited", SearchOptions{})); len(got) != 0 {
		t.Errorf("refused edit indexed: %q", got)
	}
	// Once the answer has finished, the edit goes through.
	a2.State, a2.Content = StateDone, "done"
	if err := s.PutMessage(a2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ReplaceFrom(c.ID, q2.Seq, Message{ConversationID: c.ID, Role: RoleUser, Content: "edited"},
		Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming}); err != nil {
		t.Fatal(err)
	}
}

func mustMessages(t *testing.T, s *Store, conv string) []Message {
	t.Helper()
	ms, err := s.Messages(conv)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
