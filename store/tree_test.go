package store

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// seqsOf returns the seqs of ms.
func seqsOf(ms []Message) []uint64 {
	out := make([]uint64, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Seq)
	}
	return out
}

func mustPath(t testing.TB, s *Store, conv string) []uint64 {
	t.Helper()
	path, err := s.Path(conv)
	if err != nil {
		t.Fatal(err)
	}
	return seqsOf(path)
}

// treeChat stores q1 a2, then edits q1 (q3 a4, a sibling of q1), then
// regenerates a4 (a5) and asks a follow-up q6 a7 on that branch. The
// active path is q3 a5 q6 a7.
func treeChat(t testing.TB, s *Store) Conversation {
	t.Helper()
	c, err := s.CreateConversation(Conversation{Title: "Trees", Provider: "p", Model: "m", SystemPrompt: "be brief", Tools: []string{"files"}})
	if err != nil {
		t.Fatal(err)
	}
	q := func(text string) Message { return Message{ConversationID: c.ID, Role: RoleUser, Content: text} }
	a := func(text string) Message { return Message{ConversationID: c.ID, Role: RoleAssistant, Content: text} }
	if _, _, err := s.AppendExchange(q("q1"), a("a2")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ReplaceFrom(c.ID, 1, q("q3"), a("a4")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAnswerTo(3, a("a5")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AppendExchange(q("q6"), a("a7")); err != nil {
		t.Fatal(err)
	}
	c, _ = s.Conversation(c.ID)
	return c
}

func TestTreeSiblingsAreInSeqOrderAndThePathFollowsTheLeaf(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c := treeChat(t, s)
	if c.Leaf != 7 {
		t.Fatalf("leaf %d, want 7", c.Leaf)
	}
	if got := mustPath(t, s, c.ID); !slices.Equal(got, []uint64{3, 5, 6, 7}) {
		t.Errorf("path %v", got)
	}
	all, _ := s.Messages(c.ID)
	wantParents := []uint64{0, 1, 0, 3, 3, 5, 6}
	for i, m := range all {
		if m.Parent != wantParents[i] {
			t.Errorf("message %d follows %d, want %d", m.Seq, m.Parent, wantParents[i])
		}
	}
	for seq, want := range map[uint64][]uint64{1: {1, 3}, 3: {1, 3}, 4: {4, 5}, 5: {4, 5}, 2: {2}, 7: {7}} {
		if got, err := s.Siblings(c.ID, seq); err != nil || !slices.Equal(got, want) {
			t.Errorf("siblings of %d: %v, %v; want %v", seq, got, err, want)
		}
	}
	if _, err := s.Siblings(c.ID, 99); !errors.Is(err, ErrNotFound) {
		t.Errorf("siblings of a missing message: %v", err)
	}
	if got, _ := s.PathTo(c.ID, 4); !slices.Equal(seqsOf(got), []uint64{3, 4}) {
		t.Errorf("path to 4: %v", seqsOf(got))
	}
}

func TestSwitchBranchRemembersTheBranchLeftAndAppendsFollowIt(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c := treeChat(t, s)
	// Back to the first question's branch: its only path.
	c, err := s.SwitchBranch(c.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Leaf != 2 || !slices.Equal(mustPath(t, s, c.ID), []uint64{1, 2}) {
		t.Fatalf("leaf %d, path %v", c.Leaf, mustPath(t, s, c.ID))
	}
	// A question asked now follows a2.
	q, a, err := s.AppendExchange(Message{ConversationID: c.ID, Role: RoleUser, Content: "q8"}, Message{ConversationID: c.ID, Role: RoleAssistant, Content: "a9"})
	if err != nil {
		t.Fatal(err)
	}
	if q.Parent != 2 || a.Parent != q.Seq || !slices.Equal(mustPath(t, s, c.ID), []uint64{1, 2, 8, 9}) {
		t.Fatalf("after switching back, the new question follows %d; path %v", q.Parent, mustPath(t, s, c.ID))
	}
	// Switching to q3 comes back to where that branch was left: through
	// a5 (not the older a4) down to a7.
	if c, err = s.SwitchBranch(c.ID, 3); err != nil || c.Leaf != 7 {
		t.Fatalf("switch to 3: leaf %d, %v", c.Leaf, err)
	}
	// Choosing a4 on that branch, then leaving and coming back, finds a4.
	if c, _ = s.SwitchBranch(c.ID, 4); c.Leaf != 4 {
		t.Fatalf("switch to 4: leaf %d", c.Leaf)
	}
	s.SwitchBranch(c.ID, 1)
	if c, _ = s.SwitchBranch(c.ID, 3); c.Leaf != 4 {
		t.Errorf("back to 3: leaf %d, want 4 (the branch left there)", c.Leaf)
	}
	if _, err := s.SwitchBranch(c.ID, 99); !errors.Is(err, ErrNotFound) {
		t.Errorf("switch to a missing message: %v", err)
	}
	// Switching is no change to the chat: the list's order stays.
	before, _ := s.Conversation(c.ID)
	s.SwitchBranch(c.ID, 1)
	if after, _ := s.Conversation(c.ID); !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("switching moved the chat in the list: %v → %v", before.UpdatedAt, after.UpdatedAt)
	}
}

func TestAppendReplyStartsABranchFromAnEarlierMessage(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c := treeChat(t, s)
	q, a, err := s.AppendReply(5, Message{ConversationID: c.ID, Role: RoleUser, Content: "other follow-up"}, Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming})
	if err != nil {
		t.Fatal(err)
	}
	if q.Parent != 5 || a.Parent != q.Seq || !slices.Equal(mustPath(t, s, c.ID), []uint64{3, 5, q.Seq, a.Seq}) {
		t.Fatalf("reply: parent %d, path %v", q.Parent, mustPath(t, s, c.ID))
	}
	if sib, _ := s.Siblings(c.ID, q.Seq); !slices.Equal(sib, []uint64{6, q.Seq}) {
		t.Errorf("siblings %v", sib)
	}
	// 0: a new root.
	r, _, err := s.AppendReply(0, Message{ConversationID: c.ID, Role: RoleUser, Content: "fresh start"}, Message{ConversationID: c.ID, Role: RoleAssistant})
	if err != nil || r.Parent != 0 {
		t.Fatalf("a new root: %+v, %v", r, err)
	}
	if _, _, err := s.AppendReply(99, Message{ConversationID: c.ID, Role: RoleUser, Content: "x"}, Message{ConversationID: c.ID, Role: RoleAssistant}); !errors.Is(err, ErrNotFound) {
		t.Errorf("reply to a missing message: %v", err)
	}
	if n := len(mustMessages(t, s, c.ID)); n != 11 {
		t.Errorf("%d messages, want 11: the refused reply stored something", n)
	}
}

func TestForkCopiesThePathUpToTheMessage(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c := treeChat(t, s)
	data := photo(2000, 9)
	q, _, err := s.AppendExchange(Message{ConversationID: c.ID, Role: RoleUser, Content: "with a photo", Attachments: []Attachment{withFile("p.jpg", data, "")}},
		Message{ConversationID: c.ID, Role: RoleAssistant, Content: "used a tool", Tools: []ToolUse{{Server: "files", Tool: "read", Arguments: "{}", Result: "ok"}}})
	if err != nil {
		t.Fatal(err)
	}
	fork, err := s.Fork(c.ID, q.Seq+1)
	if err != nil {
		t.Fatal(err)
	}
	if fork.ID == c.ID || fork.Title != "Trees (fork)" || fork.Provider != "p" || fork.Model != "m" || fork.SystemPrompt != "be brief" || !slices.Equal(fork.Tools, []string{"files"}) || fork.Leaf != 6 {
		t.Fatalf("fork %+v", fork)
	}
	got := mustMessages(t, s, fork.ID)
	var texts []string
	for i, m := range got {
		texts = append(texts, m.Content)
		if m.Seq != uint64(i+1) || m.Parent != uint64(i) || m.ConversationID != fork.ID {
			t.Errorf("copy %d: seq %d parent %d conv %s", i, m.Seq, m.Parent, m.ConversationID)
		}
	}
	if !slices.Equal(texts, []string{"q3", "a5", "q6", "a7", "with a photo", "used a tool"}) {
		t.Errorf("fork holds %q", texts)
	}
	if len(got[4].Attachments) != 1 || len(got[5].Tools) != 1 || got[5].Tools[0].Result != "ok" {
		t.Errorf("attachments %+v, tools %+v", got[4].Attachments, got[5].Tools)
	}
	// The blob is shared: deleting the original keeps it for the fork.
	if err := s.DeleteConversation(c.ID); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Blob(SHA256(data)); err != nil || len(b) != len(data) {
		t.Errorf("the fork's photo after the original went: %d bytes, %v", len(b), err)
	}
	if res := texts2(t, s, "photo"); !slices.Equal(res, []string{"with a photo"}) {
		t.Errorf("search finds %q", res)
	}
	if _, err := s.Fork(c.ID, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("fork of a deleted chat: %v", err)
	}
	// Appending to the fork follows its leaf.
	m, err := s.AppendMessage(Message{ConversationID: fork.ID, Role: RoleUser, Content: "next"})
	if err != nil || m.Parent != 6 || m.Seq != 7 {
		t.Errorf("append to the fork: %+v, %v", m, err)
	}
}

func texts2(t *testing.T, s *Store, query string) []string {
	t.Helper()
	return texts(t, s, mustSearch(t, s, query, SearchOptions{}))
}

func TestDeleteBranchDeletesTheMessageAndBelowAndMovesTheLeaf(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c := treeChat(t, s)
	s.PutSummary(Summary{ConversationID: c.ID, Through: 5, Text: "about a5"})
	// a5 and below (q6 a7) go; the leaf moves to the remaining sibling a4.
	if err := s.DeleteBranch(c.ID, 5); err != nil {
		t.Fatal(err)
	}
	if got := seqsOf(mustMessages(t, s, c.ID)); !slices.Equal(got, []uint64{1, 2, 3, 4}) {
		t.Errorf("messages left %v", got)
	}
	if c, _ = s.Conversation(c.ID); c.Leaf != 4 || !slices.Equal(mustPath(t, s, c.ID), []uint64{3, 4}) {
		t.Errorf("leaf %d, path %v", c.Leaf, mustPath(t, s, c.ID))
	}
	if _, err := s.Summary(c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("a summary of the deleted branch stayed: %v", err)
	}
	if got := texts2(t, s, "a7"); len(got) != 0 {
		t.Errorf("deleted text found: %q", got)
	}
	// The last answer of a question: the leaf moves to the question.
	if err := s.DeleteBranch(c.ID, 4); err != nil {
		t.Fatal(err)
	}
	if c, _ = s.Conversation(c.ID); c.Leaf != 3 {
		t.Errorf("leaf %d, want the question 3", c.Leaf)
	}
	// A root with a sibling root: the leaf moves to the other root's branch.
	if err := s.DeleteBranch(c.ID, 3); err != nil {
		t.Fatal(err)
	}
	if c, _ = s.Conversation(c.ID); c.Leaf != 2 || !slices.Equal(mustPath(t, s, c.ID), []uint64{1, 2}) {
		t.Errorf("leaf %d, path %v", c.Leaf, mustPath(t, s, c.ID))
	}
	// Streaming: refused, nothing changed.
	a, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming})
	if err := s.DeleteBranch(c.ID, 2); !errors.Is(err, ErrStreaming) {
		t.Errorf("deleting a streaming branch: %v", err)
	}
	if got := seqsOf(mustMessages(t, s, c.ID)); !slices.Equal(got, []uint64{1, 2, a.Seq}) {
		t.Errorf("messages after a refusal %v", got)
	}
	if err := s.DeleteBranch(c.ID, 99); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting a missing message: %v", err)
	}
}

func TestDeleteMessageSplicesItsChildrenToItsParent(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c := treeChat(t, s)
	if err := s.DeleteMessage(c.ID, 5); err != nil {
		t.Fatal(err)
	}
	if got := mustPath(t, s, c.ID); !slices.Equal(got, []uint64{3, 6, 7}) {
		t.Errorf("path %v", got)
	}
	if m, _ := s.Message(c.ID, 6); m.Parent != 3 {
		t.Errorf("q6 follows %d, want 3", m.Parent)
	}
	// The leaf itself: it moves to its parent.
	if err := s.DeleteMessage(c.ID, 7); err != nil {
		t.Fatal(err)
	}
	if c, _ = s.Conversation(c.ID); c.Leaf != 6 {
		t.Errorf("leaf %d, want 6", c.Leaf)
	}
}

// importTree stores messages with the given parents (seq i+1 follows
// parents[i]) and leaf, as an import may.
func importTree(t testing.TB, s *Store, parents []uint64, leaf uint64) string {
	t.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := Dump{Conversation: Conversation{Title: "imported", Leaf: leaf, CreatedAt: t0, UpdatedAt: t0}}
	for i, p := range parents {
		role := RoleUser
		if i%2 == 1 {
			role = RoleAssistant
		}
		d.Messages = append(d.Messages, Message{Seq: uint64(i + 1), Parent: p, Role: role, Content: fmt.Sprint("m", i+1), State: StateDone, CreatedAt: t0, UpdatedAt: t0})
	}
	res, err := s.ImportConversations([]Import{{Dump: d}})
	if err != nil {
		t.Fatal(err)
	}
	return res[0].ID
}

func TestHostileTreesNeitherLoopNorPanic(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	for _, tc := range []struct {
		name    string
		parents []uint64
		leaf    uint64
		path    []uint64
	}{
		// 3 follows 2, which is not there: 3 is a root.
		{"a parent that is missing", []uint64{0, 1, 7, 3}, 4, []uint64{3, 4}},
		// A record claiming a later parent (a cycle 2→4→3→2 if followed).
		{"a parent after its child", []uint64{0, 4, 2, 3}, 4, []uint64{2, 3, 4}},
		{"a parent that is itself", []uint64{0, 2, 2}, 3, []uint64{2, 3}},
		{"a leaf that is missing", []uint64{0, 1}, 9, []uint64{1, 2}}, // an import moves it to the last message
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := importTree(t, s, tc.parents, tc.leaf)
			if got := mustPath(t, s, id); !slices.Equal(got, tc.path) {
				t.Errorf("path %v, want %v", got, tc.path)
			}
			if ms, _, err := s.MessagesBefore(id, 0, 10); err != nil || !slices.Equal(seqsOf(ms), tc.path) {
				t.Errorf("page %v, %v", seqsOf(ms), err)
			}
			for seq := uint64(1); seq <= uint64(len(tc.parents)); seq++ {
				if _, err := s.Siblings(id, seq); err != nil {
					t.Errorf("siblings of %d: %v", seq, err)
				}
				if _, err := s.PathTo(id, seq); err != nil {
					t.Errorf("path to %d: %v", seq, err)
				}
			}
			if _, err := s.SwitchBranch(id, 1); err != nil {
				t.Errorf("switch: %v", err)
			}
			if _, err := s.Fork(id, uint64(len(tc.parents))); err != nil {
				t.Errorf("fork: %v", err)
			}
			if err := s.DeleteBranch(id, 1); err != nil {
				t.Errorf("delete: %v", err)
			}
			snap, err := s.Snapshot(id)
			if err != nil {
				t.Errorf("snapshot: %v", err)
			}
			_ = snap
		})
	}
}

func TestAHundredDeepTreeOfEdits(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	// Each level: a question with two answers; the next question follows
	// the second. 300 messages, the active path 200 deep.
	var parents []uint64
	var q uint64
	for level := 0; level < 100; level++ {
		parents = append(parents, q) // the question
		qs := uint64(len(parents))
		parents = append(parents, qs, qs) // two answers
		q = qs + 2
	}
	id := importTree(t, s, parents, uint64(len(parents)))
	path := mustPath(t, s, id)
	if len(path) != 200 || path[0] != 1 || path[1] != 3 || path[199] != 300 {
		t.Fatalf("path of %d: %v…", len(path), path[:min(6, len(path))])
	}
	// The first answer of the first question: its branch ends there.
	if c, err := s.SwitchBranch(id, 2); err != nil || c.Leaf != 2 {
		t.Fatalf("switch to 2: leaf %d, %v", c.Leaf, err)
	}
	// Back to 3: remembered down to the end, 300.
	if c, _ := s.SwitchBranch(id, 3); c.Leaf != 300 {
		t.Errorf("switch to 3: leaf %d", c.Leaf)
	}
	if err := s.DeleteBranch(id, 3); err != nil {
		t.Fatal(err)
	}
	if n := len(mustMessages(t, s, id)); n != 2 {
		t.Errorf("%d messages left, want 2", n)
	}
	if c, _ := s.Conversation(id); c.Leaf != 2 {
		t.Errorf("leaf %d", c.Leaf)
	}
}

// longTree is a 10,000-message chain with a side branch at every 1000th
// message (11 more messages): the active path is the chain.
func longTree(t testing.TB, s *Store) string {
	t.Helper()
	parents := make([]uint64, 0, 10_011)
	for i := 0; i < 10_000; i++ {
		parents = append(parents, uint64(i))
	}
	for i := 0; i <= 10; i++ {
		parents = append(parents, uint64(i*1000))
	}
	return importTree(t, s, parents, 10_000)
}

func TestATenThousandMessagePathIsPagedAlongTheActivePath(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	id := longTree(t, s)
	if path := mustPath(t, s, id); len(path) != 10_000 || path[9999] != 10_000 {
		t.Fatalf("path of %d", len(path))
	}
	ms, more, err := s.MessagesBefore(id, 0, 50)
	if err != nil || len(ms) != 50 || !more || ms[0].Seq != 9951 || ms[49].Seq != 10_000 {
		t.Fatalf("last page: %d from %d, more %v, %v", len(ms), ms[0].Seq, more, err)
	}
	ms, more, err = s.MessagesFrom(id, 0, 50)
	if err != nil || len(ms) != 50 || !more || ms[0].Seq != 1 {
		t.Fatalf("first page: %d, more %v, %v", len(ms), more, err)
	}
	// Switching to a side branch at 5000: the path is 5000 long plus it.
	c, err := s.SwitchBranch(id, 10_006)
	if err != nil || c.Leaf != 10_006 {
		t.Fatalf("switch: %+v, %v", c, err)
	}
	ms, more, err = s.MessagesBefore(id, 0, 3)
	if err != nil || !slices.Equal(seqsOf(ms), []uint64{4999, 5000, 10_006}) || !more {
		t.Fatalf("last page on the side branch: %v, more %v, %v", seqsOf(ms), more, err)
	}
	if ms, more, _ := s.MessagesFrom(id, 5000, 10); !slices.Equal(seqsOf(ms), []uint64{5000, 10_006}) || more {
		t.Errorf("from 5000: %v, more %v", seqsOf(ms), more)
	}
}

// BenchmarkPath10k reads the active path of a 10,000-message chat
// (path_10k_ms) and the window's last page of it (page_10k_ms): the tree's
// index is walked, only the page's messages decoded.
func BenchmarkPath10k(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	id := longTree(b, s)
	b.ResetTimer()
	var pathT, pageT time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if p, err := s.Path(id); err != nil || len(p) != 10_000 {
			b.Fatal(len(p), err)
		}
		t1 := time.Now()
		if ms, _, err := s.MessagesBefore(id, 0, 50); err != nil || len(ms) != 50 {
			b.Fatal(err)
		}
		pathT += t1.Sub(t0)
		pageT += time.Since(t1)
	}
	b.ReportMetric(float64(pathT.Microseconds())/1000/float64(b.N), "path_10k_ms@ms")
	b.ReportMetric(float64(pageT.Microseconds())/1000/float64(b.N), "page_10k_ms@ms")
}

func TestSwitchBranchInAnImportedTreeKeepsTheActivePathsLeaf(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	// 1 → 2 → {3 → 4, 5 → 6}: the leaf is 4, on the older branch; the
	// import wrote no memory of active branches.
	id := importTree(t, s, []uint64{0, 1, 2, 3, 2, 5}, 4)
	if c, err := s.SwitchBranch(id, 2); err != nil || c.Leaf != 4 {
		t.Fatalf("switch to a message of the active path: leaf %d, %v; want 4 kept", c.Leaf, err)
	}
	if c, _ := s.SwitchBranch(id, 5); c.Leaf != 6 {
		t.Fatalf("switch to 5: leaf %d", c.Leaf)
	}
	if c, _ := s.SwitchBranch(id, 3); c.Leaf != 4 {
		t.Errorf("back to 3: leaf %d", c.Leaf)
	}
}
