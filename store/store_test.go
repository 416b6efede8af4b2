package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCreateAppendReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s := open(t, dir)

	fi, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("db mode %v, want 0600", fi.Mode().Perm())
	}

	c1, err := s.CreateConversation(Conversation{Title: "first"})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := s.CreateConversation(Conversation{Title: "second", SystemPrompt: "be brief"})
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"one", "two", "three"} {
		m, err := s.AppendMessage(Message{ConversationID: c1.ID, Role: RoleUser, Content: text})
		if err != nil {
			t.Fatal(err)
		}
		if m.Seq != uint64(i+1) || m.State != StateDone {
			t.Fatalf("append %d: seq %d state %s", i, m.Seq, m.State)
		}
	}
	ans, err := s.AppendMessage(Message{ConversationID: c2.ID, Role: RoleAssistant, State: StateStreaming, Provider: "p", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	ans.Content, ans.State = "complete answer", StateDone
	if err := s.PutMessage(ans); err != nil {
		t.Fatal(err)
	}
	if err := s.PutProvider(Provider{Name: "local", Kind: KindCompatible, BaseURL: "http://localhost:11434/v1", Model: "llama3", KeyEnv: "LOCAL_KEY"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(SettingDefaultProvider, "local"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	defer s.Close()
	convs, err := s.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 2 || convs[0].ID != c2.ID || convs[1].ID != c1.ID {
		t.Fatalf("conversations not newest first: %+v", convs)
	}
	if convs[0].SystemPrompt != "be brief" {
		t.Errorf("system prompt lost: %+v", convs[0])
	}
	msgs, err := s.Messages(c1.ID)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.Content)
	}
	if strings.Join(texts, ",") != "one,two,three" {
		t.Fatalf("messages out of order: %v", texts)
	}
	got, err := s.Message(c2.ID, ans.Seq)
	if err != nil || got.Content != "complete answer" || got.State != StateDone || got.Model != "m" {
		t.Fatalf("answer after reopen: %+v %v", got, err)
	}
	p, err := s.Provider("local")
	if err != nil || p.BaseURL != "http://localhost:11434/v1" || p.KeyEnv != "LOCAL_KEY" {
		t.Fatalf("provider after reopen: %+v %v", p, err)
	}
	if v, _ := s.Setting(SettingDefaultProvider); v != "local" {
		t.Errorf("setting after reopen: %q", v)
	}
}

func TestMessagesAreKeyedByBigEndianSequence(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{})
	for i := 0; i < 300; i++ { // past 255: a little-endian or text key would misorder
		if _, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMessages).Bucket([]byte(c.ID))
		want := uint64(1)
		return b.ForEach(func(k, _ []byte) error {
			if len(k) != 8 || string(k) != string(seqKey(want)) {
				t.Fatalf("key %x, want %x", k, seqKey(want))
			}
			want++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLockedDatabaseFailsFastWithASentence(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	start := time.Now()
	_, err := Open(dir)
	elapsed := time.Since(start)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if elapsed > 2*time.Second {
		t.Errorf("second open took %v, want < 2 s", elapsed)
	}
	if msg := UserMessage(err); !strings.Contains(msg, "in use by another deskchat") || strings.Contains(msg, "timeout") {
		t.Errorf("sentence %q", msg)
	}
}

func TestStreamingMessagesBecomeInterruptedAfterACrash(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	c, _ := s.CreateConversation(Conversation{})
	done, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "q"})
	live, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming})
	live.Content = "half an ans"
	if err := s.PutMessage(live); err != nil { // a flush while streaming
		t.Fatal(err)
	}
	finished, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming})
	finished.State, finished.Content = StateDone, "whole"
	s.PutMessage(finished)
	s.Close() // the process "dies" without ending the stream

	s = open(t, dir)
	defer s.Close()
	got, _ := s.Message(c.ID, live.Seq)
	if got.State != StateInterrupted || got.Content != "half an ans" {
		t.Fatalf("after crash: %+v", got)
	}
	if m, _ := s.Message(c.ID, finished.Seq); m.State != StateDone {
		t.Errorf("finished answer changed to %s", m.State)
	}
	if m, _ := s.Message(c.ID, done.Seq); m.State != StateDone || m.Content != "q" {
		t.Errorf("user message changed: %+v", m)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketOpenStreams).Stats().KeyN; n != 0 {
			t.Errorf("%d open streams left tracked", n)
		}
		for err := range tx.Check() {
			t.Errorf("consistency: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A question and its empty answer are one commit; after a crash before
// any text arrived, the answer is there, interrupted, to be continued.
func TestAppendExchangeStoresBothAndTheAnswerRecovers(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	c, _ := s.CreateConversation(Conversation{})
	q, a, err := s.AppendExchange(Message{ConversationID: c.ID, Role: RoleUser, Content: "q"},
		Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming, Model: "m"},
		func(c *Conversation) { c.Title = "titled" })
	if err != nil {
		t.Fatal(err)
	}
	if q.Seq != 1 || a.Seq != 2 || q.State != StateDone || a.State != StateStreaming {
		t.Fatalf("appended %+v and %+v", q, a)
	}
	if _, _, err := s.AppendExchange(Message{ConversationID: "missing", Role: RoleUser}, Message{ConversationID: "missing"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("exchange in a missing conversation: %v", err)
	}
	s.Close()

	s = open(t, dir)
	defer s.Close()
	msgs, _ := s.Messages(c.ID)
	if len(msgs) != 2 || msgs[0].Content != "q" || msgs[1].State != StateInterrupted || msgs[1].Model != "m" {
		t.Fatalf("after crash: %+v", msgs)
	}
	if conv, _ := s.Conversation(c.ID); conv.Title != "titled" {
		t.Errorf("title %q: the update was not applied", conv.Title)
	}
}

func TestMigrationsAreRecordedInOrder(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	names, version, err := s.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if version != SchemaVersion() || len(names) != len(migrations) || names[0] != "0001_initial" {
		t.Fatalf("migrations %v version %d", names, version)
	}
	s.Close()

	// A newer build adds a migration: it runs once, after the old ones.
	ran := 0
	orig := migrations
	t.Cleanup(func() { migrations = orig })
	migrations = append(orig[:len(orig):len(orig)], migration{name: "0002_test", up: func(*Store, *bolt.Tx) error { ran++; return nil }})
	for i := 0; i < 2; i++ {
		s = open(t, dir)
		names, version, _ = s.Migrations()
		s.Close()
	}
	var want []string // the real migrations, then the test's
	for _, m := range migrations {
		want = append(want, m.name)
	}
	if ran != 1 || version != len(want) || strings.Join(names, ",") != strings.Join(want, ",") || want[len(want)-1] != "0002_test" {
		t.Fatalf("ran %d times; names %v version %d", ran, names, version)
	}
}

func TestFailedMigrationLeavesTheStoreAsItWas(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.Close()
	orig := migrations
	t.Cleanup(func() { migrations = orig })
	migrations = append(orig[:len(orig):len(orig)], migration{name: "0002_broken", up: func(_ *Store, tx *bolt.Tx) error {
		tx.Bucket(bucketSettings).Put([]byte("half"), []byte("done"))
		return errors.New("boom")
	}})
	if _, err := Open(dir); err == nil || !strings.Contains(UserMessage(err), "left as it was") {
		t.Fatalf("open with broken migration: %v", err)
	}
	migrations = orig
	s = open(t, dir)
	defer s.Close()
	if v, _ := s.Setting("half"); v != "" {
		t.Error("a failed migration's writes were kept")
	}
	if names, _, _ := s.Migrations(); len(names) != len(orig) {
		t.Errorf("failed migration recorded: %v", names)
	}
}

func TestDeleteConversationRemovesItsMessages(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "gone"})
	s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming})
	keep, _ := s.CreateConversation(Conversation{Title: "kept"})
	s.AppendMessage(Message{ConversationID: keep.ID, Role: RoleUser, Content: "stay"})
	if err := s.DeleteConversation(c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Conversation(c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted conversation still there: %v", err)
	}
	if _, err := s.Messages(c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted messages still there: %v", err)
	}
	if msgs, _ := s.Messages(keep.ID); len(msgs) != 1 {
		t.Errorf("other conversation lost messages")
	}
	if err := s.DeleteConversation(c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestRenameKeepsIdentity(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "old"})
	got, err := s.UpdateConversation(c.ID, func(c *Conversation) { c.Title = "new"; c.ID = "hijack" })
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || got.Title != "new" || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("%+v", got)
	}
	if _, err := s.UpdateConversation("missing", func(*Conversation) {}); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of missing conversation: %v", err)
	}
}

func TestProvidersNeverHoldKeys(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	if err := s.PutProvider(Provider{Name: "a", Kind: KindOpenAI, Model: "gpt-4o-mini", KeyEnv: "OPENAI_API_KEY"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutProvider(Provider{Name: "  "}); err == nil {
		t.Error("provider without a name accepted")
	}
	ps, _ := s.Providers()
	if len(ps) != 1 {
		t.Fatalf("%+v", ps)
	}
	if err := s.DeleteProvider("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProvider("a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete missing: %v", err)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("DESKCHAT_DATA_DIR", "")
	t.Setenv("XDG_DATA_HOME", "/xdg")
	if d, _ := DefaultDir("/flag"); d != "/flag" {
		t.Errorf("flag: %s", d)
	}
	if d, _ := DefaultDir(""); d != "/xdg/deskchat" {
		t.Errorf("xdg: %s", d)
	}
	t.Setenv("DESKCHAT_DATA_DIR", "/env")
	if d, _ := DefaultDir(""); d != "/env" {
		t.Errorf("env: %s", d)
	}
	t.Setenv("DESKCHAT_DATA_DIR", "")
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if d, _ := DefaultDir(""); d != "/home/u/.local/share/deskchat" {
		t.Errorf("home: %s", d)
	}
}

func TestParseMessageID(t *testing.T) {
	m := Message{ConversationID: "0a1b2c3d4e5f", Seq: 42}
	c, seq, err := ParseMessageID(m.ID())
	if err != nil || c != m.ConversationID || seq != 42 {
		t.Fatalf("%s → %s %d %v", m.ID(), c, seq, err)
	}
	for _, bad := range []string{"", "abc", "-1", "abc-x"} {
		if _, _, err := ParseMessageID(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestFinishAnswerWritesTheMessageAndItsLedgerLineTogether(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	conv, err := s.CreateConversation(Conversation{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.AppendMessage(Message{ConversationID: conv.ID, Role: RoleAssistant, State: StateStreaming})
	if err != nil {
		t.Fatal(err)
	}
	m.Content, m.State = "the whole answer", StateDone
	rec := UsageRecord{ConversationID: conv.ID, Provider: "p", Model: "m", PromptTokens: 3, CompletionTokens: 4, Outcome: "done"}
	if err := s.FinishAnswer(m, &rec, statsOf(map[string][]byte{"provider:p": []byte(`{"requests":1}`)}), nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Message(conv.ID, m.Seq)
	if err != nil || got.Content != "the whole answer" || got.State != StateDone {
		t.Fatalf("message %+v, %v", got, err)
	}
	usage, _ := s.Usage(time.Time{}, time.Now().Add(time.Hour))
	stats, _ := s.Stats()
	if len(usage) != 1 || usage[0].CompletionTokens != 4 || string(stats["provider:p"]) != `{"requests":1}` {
		t.Fatalf("usage %+v stats %q", usage, stats)
	}

	// A message that does not exist: nothing is written, not even the
	// ledger line.
	m.Seq = 99
	if err := s.FinishAnswer(m, &rec, nil, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing message: %v", err)
	}
	if usage, _ := s.Usage(time.Time{}, time.Now().Add(time.Hour)); len(usage) != 1 {
		t.Fatalf("%d ledger lines after a failed finish", len(usage))
	}

	// Finished answers are no longer open streams: nothing becomes
	// interrupted on the next open.
	s.Close()
	s = open(t, dir)
	defer s.Close()
	if got, _ := s.Message(conv.ID, 1); got.State != StateDone {
		t.Fatalf("after reopen: %s", got.State)
	}
}

// statsOf returns Stats that are m.
func statsOf(m map[string][]byte) Stats { return func() map[string][]byte { return m } }
