package store

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"slices"
	"testing"
)

func TestCompareAppendAnswersStoresTheQuestionAndItsAnswersInOneTransaction(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	c, _ := s.CreateConversation(Conversation{})
	other, _ := s.CreateConversation(Conversation{Title: "Other"})
	answers := []Message{
		{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming, Provider: "a", Model: "alpha"},
		{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming, Provider: "b", Model: "bravo", Superseded: true},
		{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming, Provider: "a", Model: "charlie", Superseded: true},
	}

	// One answer of another chat: nothing at all is written.
	before := dumpDB(t, s)
	bad := slices.Clone(answers)
	bad[2].ConversationID = other.ID
	if _, _, err := s.AppendAnswers(Message{ConversationID: c.ID, Role: RoleUser, Content: "which?"}, bad); !errors.Is(err, ErrNotFound) {
		t.Fatalf("answers of two chats: %v", err)
	}
	if _, _, err := s.AppendAnswers(Message{ConversationID: c.ID, Role: RoleUser, Content: "which?"}, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no answers: %v", err)
	}
	if after := dumpDB(t, s); !reflect.DeepEqual(after, before) {
		t.Fatal("a refused append changed the database")
	}

	q, got, err := s.AppendAnswers(Message{ConversationID: c.ID, Role: RoleUser, Content: "which?"}, answers,
		func(c *Conversation) { c.Provider, c.Model, c.Title = "a", "alpha", "Which" })
	if err != nil {
		t.Fatal(err)
	}
	if q.Seq == 0 || q.State != StateDone || len(got) != 3 {
		t.Fatalf("question %+v, %d answers", q, len(got))
	}
	for i, a := range got {
		if a.Seq != q.Seq+uint64(i)+1 || a.State != StateStreaming || a.Model != answers[i].Model || a.Superseded != answers[i].Superseded || a.CreatedAt != q.CreatedAt {
			t.Errorf("answer %d stored as %+v", i+1, a)
		}
	}
	if stored := mustMessages(t, s, c.ID); !reflect.DeepEqual(stored, append([]Message{q}, got...)) {
		t.Errorf("messages %+v", stored)
	}
	if conv, _ := s.Conversation(c.ID); conv.Provider != "a" || conv.Model != "alpha" || conv.Title != "Which" {
		t.Errorf("update not applied: %+v", conv)
	}
	if keys := openStreams(t, s); len(keys) != 3 {
		t.Errorf("%d open streams tracked, want 3", len(keys))
	}
	s.Close() // dies while the three answers stream

	s = open(t, dir)
	defer s.Close()
	for i, m := range mustMessages(t, s, c.ID)[1:] {
		if m.State != StateInterrupted || m.Superseded != answers[i].Superseded {
			t.Errorf("answer %d after a crash: %+v", i+1, m)
		}
	}
}

// compareChat stores a question answered before ("tell me about the
// aardvark"), then a compared question with three finished answers,
// siblings, the first on the active path. It returns the messages.
func compareChat(t *testing.T, s *Store) (Conversation, []Message) {
	t.Helper()
	c, _ := s.CreateConversation(Conversation{Title: "Animals", Provider: "a", Model: "alpha"})
	var ms []Message
	for _, m := range []Message{
		{Role: RoleUser, Content: "tell me about the aardvark"},
		{Role: RoleAssistant, Content: "the aardvark digs", Provider: "a", Model: "alpha"},
	} {
		m.ConversationID = c.ID
		stored, err := s.AppendMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, stored)
	}
	q, answers, err := s.AppendAnswers(Message{ConversationID: c.ID, Role: RoleUser, Content: "who is best in water"}, []Message{
		{ConversationID: c.ID, Role: RoleAssistant, Content: "the capybara swims", Provider: "a", Model: "alpha"},
		{ConversationID: c.ID, Role: RoleAssistant, Content: "the otter swims", Provider: "b", Model: "bravo"},
		{ConversationID: c.ID, Role: RoleAssistant, Content: "the platypus swims", Provider: "a", Model: "charlie"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, append(append(ms, q), answers...)
}

// activePath returns the seqs of the conversation's active path.
func activePath(t *testing.T, s *Store, conv string) []uint64 {
	t.Helper()
	path, err := s.Path(conv)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, m := range path {
		out = append(out, m.Seq)
	}
	return out
}

func TestCompareKeepAnswerMakesOneTheChatsAnswer(t *testing.T) {
	for _, mode := range searchModes {
		t.Run(mode.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			defer s.Close()
			c, ms := compareChat(t, s)
			// A summary of the compared answers would bring the one no
			// longer kept back: it goes.
			s.PutSummary(Summary{ConversationID: c.ID, Through: ms[3].Seq, Text: "capybaras"})
			if mode.merge {
				mergeNow(t, s)
			}

			// The otter's, as the chat's answer; the others stay as
			// alternatives.
			kept, err := s.KeepAnswer(c.ID, ms[4].Seq, []uint64{ms[3].Seq, ms[5].Seq}, false, func(c *Conversation, kept Message) {
				c.Provider, c.Model = kept.Provider, kept.Model
			})
			if err != nil {
				t.Fatal(err)
			}
			if kept.Seq != ms[4].Seq || kept.Superseded || kept.Content != "the otter swims" {
				t.Errorf("kept %+v", kept)
			}
			got := mustMessages(t, s, c.ID)
			for i := range ms {
				if got[i].Content != ms[i].Content {
					t.Errorf("message %d: %q", i, got[i].Content)
				}
			}
			if path := activePath(t, s, c.ID); !slices.Equal(path, []uint64{ms[0].Seq, ms[1].Seq, ms[2].Seq, ms[4].Seq}) {
				t.Errorf("active path %v, want through the otter's answer", path)
			}
			if sib, _ := s.Siblings(c.ID, ms[4].Seq); !slices.Equal(sib, []uint64{ms[3].Seq, ms[4].Seq, ms[5].Seq}) {
				t.Errorf("siblings %v", sib)
			}
			if conv, _ := s.Conversation(c.ID); conv.Provider != "b" || conv.Model != "bravo" || conv.Title != "Animals" {
				t.Errorf("conversation %+v", conv)
			}
			if _, err := s.Summary(c.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("a summary of a replaced answer stayed: %v", err)
			}
			if got := texts(t, s, mustSearch(t, s, "swims", SearchOptions{})); len(got) != 3 {
				t.Errorf("alternatives are searchable: %q", got)
			}

			// The platypus's, discarding the others (one of them listed
			// twice, one no longer stored).
			if err := s.DeleteMessage(c.ID, ms[3].Seq); err != nil {
				t.Fatal(err)
			}
			if _, err := s.KeepAnswer(c.ID, ms[5].Seq, []uint64{ms[3].Seq, ms[4].Seq, ms[4].Seq, ms[5].Seq}, true, nil); err != nil {
				t.Fatal(err)
			}
			got = mustMessages(t, s, c.ID)
			if len(got) != 4 || got[3].Seq != ms[5].Seq || got[3].Superseded || !reflect.DeepEqual(got[:3], ms[:3]) {
				t.Fatalf("after discarding: %+v", got)
			}
			if path := activePath(t, s, c.ID); !slices.Equal(path, []uint64{ms[0].Seq, ms[1].Seq, ms[2].Seq, ms[5].Seq}) {
				t.Errorf("active path after discarding %v", path)
			}
			if conv, _ := s.Conversation(c.ID); conv.Provider != "b" {
				t.Errorf("a nil update changed the conversation: %+v", conv)
			}
			if got := texts(t, s, mustSearch(t, s, "swims", SearchOptions{})); !slices.Equal(got, []string{"the platypus swims"}) {
				t.Errorf("search after discarding: %q", got)
			}
			mergeNow(t, s)
			if st := indexState(t, s); st.tokens["otter"] || st.tokens["capybara"] || !st.tokens["platypus"] || st.dead != 0 {
				t.Errorf("discarded text still indexed after merge: %+v", st)
			}
		})
	}
}

func TestCompareKeepAnswerRefusesAndChangesNothing(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, ms := compareChat(t, s)
	streaming, err := s.AppendAnswerTo(ms[2].Seq, Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming, Content: "the duck"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		keep   uint64
		others []uint64
		want   error
	}{
		{"another answer streams", ms[3].Seq, []uint64{ms[4].Seq, streaming.Seq}, ErrStreaming},
		{"the kept answer streams", streaming.Seq, []uint64{ms[3].Seq}, ErrStreaming},
		{"keep a question", ms[2].Seq, []uint64{ms[3].Seq}, ErrNotFound},
		{"a question among the others", ms[3].Seq, []uint64{ms[2].Seq}, ErrNotFound},
		{"answers to different questions", ms[3].Seq, []uint64{ms[1].Seq}, ErrNotFound},
		{"no such answer", 99, []uint64{ms[3].Seq}, ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := dumpDB(t, s)
			file, _ := os.ReadFile(s.FilePath())
			_, err := s.KeepAnswer(c.ID, tc.keep, tc.others, true, func(c *Conversation, _ Message) { c.Title = "changed" })
			if !errors.Is(err, tc.want) || UserMessage(err) == "" {
				t.Fatalf("err %v, want %v with a sentence", err, tc.want)
			}
			var se *Error
			if !errors.As(err, &se) || se.Op != "keep answer" {
				t.Errorf("not wrapped as the package does: %#v", err)
			}
			if after := dumpDB(t, s); !reflect.DeepEqual(after, before) {
				t.Errorf("database contents changed")
			}
			if after, _ := os.ReadFile(s.FilePath()); !bytes.Equal(after, file) {
				t.Errorf("database file changed")
			}
		})
	}
}
