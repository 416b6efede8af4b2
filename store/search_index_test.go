package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store/search"

	bolt "go.etcd.io/bbolt"
)

// The index's life: what writes put in it, the migration that builds it,
// reopening, and the background merge.

func TestIndexFunctionsReplaceEarlierEntries(t *testing.T) {
	// The import calls indexMessage and indexTitle for what it writes.
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{})
	m, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "first text"})
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, text := range []string{"second text", "third text", "third text"} {
			m.Content = text
			if err := putJSON(tx.Bucket(bucketMessages).Bucket([]byte(c.ID)), seqKey(m.Seq), m); err != nil {
				return err
			}
			if err := s.indexMessage(tx, m); err != nil {
				return err
			}
		}
		c.Title = "imported title"
		if err := putJSON(tx.Bucket(bucketConversations), []byte(c.ID), c); err != nil {
			return err
		}
		if err := s.indexTitle(tx, c); err != nil {
			return err
		}
		return s.indexTitle(tx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(t, s, mustSearch(t, s, "text", SearchOptions{})); !slices.Equal(got, []string{"third text"}) {
		t.Errorf("re-indexed message: %q", got)
	}
	if st := indexState(t, s); st.recent != 2 {
		t.Errorf("%+v: want one doc per message and title", st)
	}
	mergeNow(t, s)
	if st := indexState(t, s); st.recent != 0 || st.docs != 2 || st.refs != 2 {
		t.Errorf("%+v: want one doc and ref per message and title", st)
	}
	if rs := mustSearch(t, s, "imported", SearchOptions{}); len(rs) != 1 || !rs[0].InTitle {
		t.Errorf("title: %+v", rs)
	}
}

func TestMigrationBuildsTheIndexOnceForAnOldDatabase(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	clock(s)
	c, _ := s.CreateConversation(Conversation{Title: "Old times"})
	for i := 0; i < 30; i++ {
		s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: fmt.Sprintf("message %d about 東京都 and Bücher", i)})
	}
	_, a, _ := s.AppendExchange(Message{ConversationID: c.ID, Role: RoleUser, Content: "last question"},
		Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming, Content: "cut short by the crash"})
	s.Close()

	// Make it a database from before the index.
	db, err := bolt.Open(s.FilePath(), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range search.Buckets() {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := putJSON(meta, keyMigrations, []string{"0001_initial"}); err != nil {
			return err
		}
		return meta.Put(keySchemaVersion, []byte("1"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	if got := s.search.Builds(); got != 1 {
		t.Fatalf("%d builds at the upgrade", got)
	}
	if names, _, _ := s.Migrations(); !slices.Contains(names, "0002_search_index") {
		t.Fatalf("migrations %v", names)
	}
	check := func() {
		t.Helper()
		if rs := mustSearch(t, s, "bücher 京都", SearchOptions{Limit: 100}); len(rs) != 30 {
			t.Errorf("%d old messages found, want 30", len(rs))
		}
		if rs := mustSearch(t, s, "old times", SearchOptions{}); len(rs) != 1 || !rs[0].InTitle {
			t.Errorf("old title: %+v", rs)
		}
		if rs := mustSearch(t, s, "crash", SearchOptions{}); len(rs) != 1 || rs[0].Seq != a.Seq {
			t.Errorf("interrupted answer: %+v", rs)
		}
	}
	check()
	if st := indexState(t, s); st.recent != 1 || !st.tokens["bucher"] && !st.tokens["bücher"] {
		t.Errorf("the build fills the postings directly: %+v", st)
	}
	s.Close()

	s = open(t, dir)
	defer s.Close()
	if got := s.search.Builds(); got != 0 {
		t.Fatalf("the index was built again at a reopen (%d builds)", got)
	}
	check()
}

func TestIndexSurvivesReopenWithoutRebuild(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	c, _ := s.CreateConversation(Conversation{Title: "Persisted"})
	s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "merged words: aardvark"})
	mergeNow(t, s)
	s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "recent words: okapi"})
	s.Close()

	s = open(t, dir)
	defer s.Close()
	if s.search.Builds() != 0 {
		t.Fatal("reopen rebuilt the index")
	}
	for _, q := range []string{"aardvark", "okapi", "persisted", "words"} {
		if len(mustSearch(t, s, q, SearchOptions{})) == 0 {
			t.Errorf("%q lost at reopen", q)
		}
	}
	if st := indexState(t, s); st.recent != 1 || !st.tokens["aardvark"] {
		t.Errorf("state after reopen: %+v", st)
	}
}

// openTuned opens the store in dir with its search index tuned by sc.
func openTuned(t *testing.T, dir string, sc search.Config) *Store {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := openPath(filepath.Join(dir, FileName), sc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitMerged kicks s's merger until the recent segment is empty.
func waitMerged(t *testing.T, s *Store, merged <-chan bool) {
	t.Helper()
	timeout := time.After(time.Minute) // a guard, not a wait
	for {
		s.search.Kick()
		select {
		case <-merged:
		case <-timeout:
			t.Fatalf("merge did not finish: %v", s.search.MergeErr())
		}
		if indexState(t, s).recent == 0 {
			return
		}
	}
}

func TestBackgroundMergeLosesNothing(t *testing.T) {
	const n = 40
	write := func(t *testing.T, s *Store, convID string) {
		t.Helper()
		err := s.db.Update(func(tx *bolt.Tx) error { // one commit: the merge starts after it
			for i := 0; i < n; i++ {
				if err := s.appendMessages(tx, time.Now(), nil, nil, make([]Message, 1), Message{ConversationID: convID, Role: RoleUser, Content: fmt.Sprintf("common word%d", i)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	checkAll := func(t *testing.T, s *Store) {
		t.Helper()
		if rs := mustSearch(t, s, "common", SearchOptions{Limit: 1000}); len(rs) != n {
			t.Fatalf("%d results for the common word, want %d", len(rs), n)
		}
		for i := 0; i < n; i++ {
			if rs := mustSearch(t, s, fmt.Sprintf("word%d ", i), SearchOptions{}); len(rs) != 1 {
				t.Fatalf("word%d: %d results", i, len(rs))
			}
		}
	}
	for _, tc := range []struct {
		name   string
		commit bool // the merge under way when Close is called commits, or dies
	}{{"merge dies mid-way", false}, {"merge finishes during Close", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			entered := make(chan struct{}, 1)
			s := openTuned(t, dir, search.Config{Threshold: 10, Batch: 16, Hook: func(_ *bolt.Tx, stop <-chan struct{}) error {
				select {
				case entered <- struct{}{}:
				default:
				}
				<-stop // Close has been called
				if !tc.commit {
					return errors.New("killed")
				}
				return nil
			}})
			c, _ := s.CreateConversation(Conversation{})
			write(t, s, c.ID)
			<-entered
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			merged := make(chan bool, 100)
			s = openTuned(t, dir, search.Config{Threshold: 10, Batch: 16, Merged: merged}) // pending docs: the merger starts at once
			defer s.Close()
			waitMerged(t, s, merged)
			checkAll(t, s)
			if st := indexState(t, s); st.docs != n || st.recent != 0 {
				t.Fatalf("after the merges: %+v", st)
			}
		})
	}
	t.Run("kicked by writes", func(t *testing.T) {
		merged := make(chan bool, 100)
		s := openTuned(t, t.TempDir(), search.Config{Threshold: 10, Batch: 7, Merged: merged})
		defer s.Close()
		c, _ := s.CreateConversation(Conversation{})
		for i := 0; i < n; i++ {
			if _, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: fmt.Sprintf("common word%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if len(merged) == 0 {
			<-merged // at least one merge started by the writes themselves
		}
		waitMerged(t, s, merged)
		checkAll(t, s)
	})
}

func TestConcurrentWritesSearchesAndMerges(t *testing.T) {
	merged := make(chan bool, 1000)
	s := openTuned(t, t.TempDir(), search.Config{Threshold: 16, Batch: 8, Merged: merged})
	defer s.Close()
	const writers, each = 4, 40
	var convs []Conversation
	for i := 0; i < writers; i++ {
		c, _ := s.CreateConversation(Conversation{Title: fmt.Sprintf("thread %d", i)})
		convs = append(convs, c)
	}
	var wg, searchers sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, writers+2)
	for i := 0; i < 2; i++ {
		searchers.Add(1)
		go func() {
			defer searchers.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, q := range []string{"payload", "w1x3", "東京", "thread"} {
					if _, err := s.Search(q, SearchOptions{By: ByRelevance}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				m, err := s.AppendMessage(Message{ConversationID: convs[w].ID, Role: RoleUser, Content: fmt.Sprintf("payload w%dx%d 東京", w, i)})
				if err == nil && i%10 == 0 {
					m.Content += " edited"
					err = s.PutMessage(m)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	searchers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitMerged(t, s, merged)
	if rs := mustSearch(t, s, "payload 東京", SearchOptions{Limit: 1000}); len(rs) != writers*each {
		t.Fatalf("%d results, want %d", len(rs), writers*each)
	}
	if rs := mustSearch(t, s, "edited", SearchOptions{Limit: 1000}); len(rs) != writers*each/10 {
		t.Fatalf("%d edited, want %d", len(rs), writers*each/10)
	}
	err := s.db.Update(func(tx *bolt.Tx) error { // a write: no merge runs meanwhile
		for err := range tx.Check() {
			t.Errorf("consistency: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A merge holds the write lock for tens of milliseconds, so the merger
// waits while writes go on (a streaming answer flushes every 150 ms), and
// merges once they pause, or at once when too many docs wait.
func TestTheMergerWaitsForWritesToPause(t *testing.T) {
	merged := make(chan bool, 16)
	// Writes never pause long enough (Quiet) in this test.
	s := openTuned(t, t.TempDir(), search.Config{Threshold: 4, Quiet: time.Hour, Force: 12, Merged: merged})
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{})
	add := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: fmt.Sprintf("busy word%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(8) // past the threshold, below force: kicked, but writes are recent
	s.search.Kick()
	select {
	case <-merged:
		t.Fatal("merged while writes were going on")
	default:
	}
	if st := indexState(t, s); st.recent < 8 {
		t.Fatalf("recent %d before force", st.recent)
	}
	add(8) // past force: merges although writes go on
	select {
	case <-merged:
	case <-time.After(time.Minute): // a guard, not a wait
		t.Fatal("no merge past the force limit")
	}
	if res, _ := s.Search("word3", SearchOptions{}); len(res) != 2 {
		t.Fatalf("search after a forced merge: %d results", len(res))
	}
}

// TestTwoStoresShareNoSearchState: each store's index is its own, as the
// old package-level switch and merger map were not: one store's indexing
// switch, merger and tuning leave another store alone.
func TestTwoStoresShareNoSearchState(t *testing.T) {
	merged := make(chan bool, 100)
	a := openTuned(t, t.TempDir(), search.Config{Threshold: 4, Batch: 4, Merged: merged})
	defer a.Close()
	b := open(t, t.TempDir())
	defer b.Close()
	ca, _ := a.CreateConversation(Conversation{})
	cb, _ := b.CreateConversation(Conversation{})
	b.search.SetOff(true) // b indexes nothing from here on; a still does
	for i := 0; i < 8; i++ {
		if _, err := a.AppendMessage(Message{ConversationID: ca.ID, Role: RoleUser, Content: fmt.Sprintf("shared word%d", i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.AppendMessage(Message{ConversationID: cb.ID, Role: RoleUser, Content: fmt.Sprintf("shared word%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	waitMerged(t, a, merged)
	if rs := mustSearch(t, a, "shared", SearchOptions{Limit: 100}); len(rs) != 8 {
		t.Fatalf("a: %d results, want 8", len(rs))
	}
	if rs := mustSearch(t, b, "shared", SearchOptions{Limit: 100}); len(rs) != 0 {
		t.Fatalf("b indexed with its index off: %d results", len(rs))
	}
	if st := indexState(t, b); st.recent != 0 || st.docs != 0 {
		t.Fatalf("b's index: %+v", st)
	}
	b.search.SetOff(false)
	if _, err := b.AppendMessage(Message{ConversationID: cb.ID, Role: RoleUser, Content: "shared again"}); err != nil {
		t.Fatal(err)
	}
	// a's tuning (threshold 4) is not b's: b's one doc waits in its recent
	// segment.
	if st := indexState(t, b); st.recent != 1 || st.docs != 0 {
		t.Fatalf("b after indexing again: %+v", st)
	}
	if a.search == b.search {
		t.Fatal("two stores share one index")
	}
}
