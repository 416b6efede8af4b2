package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func cacheKey(s string) []byte {
	k := sha256.Sum256([]byte(s))
	return k[:]
}

func entry(content string, now time.Time, ttl time.Duration) CacheEntry {
	return CacheEntry{Provider: "p", Model: "m", Content: content, Finish: "stop", CreatedAt: now, ExpiresAt: now.Add(ttl)}
}

func TestCacheHitExpiryAndCorruptEntries(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	week := 7 * 24 * time.Hour
	if _, err := s.CachePut(cacheKey("a"), entry("answer A", t0, week), t0, 1<<20); err != nil {
		t.Fatal(err)
	}
	e, ok, err := s.CacheGet(cacheKey("a"), t0.Add(week-time.Second))
	if err != nil || !ok || e.Content != "answer A" || e.Finish != "stop" {
		t.Fatalf("hit: %+v %v %v", e, ok, err)
	}
	if _, ok, _ := s.CacheGet(cacheKey("b"), t0); ok {
		t.Fatal("a key never stored was a hit")
	}
	// At the TTL the entry is gone, from the index too.
	if _, ok, err := s.CacheGet(cacheKey("a"), t0.Add(week)); ok || err != nil {
		t.Fatalf("expired entry: hit=%v err=%v", ok, err)
	}
	if st, _ := s.CacheStats(); st.Entries != 0 {
		t.Errorf("expired entry still stored: %+v", st)
	}
	assertIndexMatches(t, s)

	// An entry that no longer decodes is a miss and is removed.
	if _, err := s.CachePut(cacheKey("c"), entry("answer C", t0, week), t0, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketCache).Put(cacheKey("c"), []byte("{not json")) }); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.CacheGet(cacheKey("c"), t0); ok || err != nil {
		t.Fatalf("corrupt entry: hit=%v err=%v", ok, err)
	}
	if v := s.rawCache(t, cacheKey("c")); v != nil {
		t.Errorf("corrupt entry kept: %q", v)
	}
}

func (s *Store) rawCache(t *testing.T, key []byte) []byte {
	t.Helper()
	var out []byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketCache).Get(key); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// assertIndexMatches checks that the eviction index and the entries agree.
func assertIndexMatches(t *testing.T, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		n := 0
		var total int64
		err := tx.Bucket(bucketCacheUsed).ForEach(func(k, v []byte) error {
			n++
			total += usedSize(v)
			if tx.Bucket(bucketCache).Get(k[8:]) == nil {
				return errors.New("index entry without a cached answer")
			}
			return nil
		})
		if err != nil {
			return err
		}
		if m := tx.Bucket(bucketCache).Stats().KeyN; m != n {
			return errors.New("cached answers without an index entry")
		}
		if v := tx.Bucket(bucketMeta).Get(keyCacheBytes); v != nil && cacheBytes(tx) != total {
			return fmt.Errorf("the running total says %d bytes, the index holds %d", cacheBytes(tx), total)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func TestCacheEvictsLeastRecentlyUsedPastTheSizeBound(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	body := strings.Repeat("x", 1000)
	size := entry(body, t0, time.Hour).Size()
	max := 3 * size // room for three
	for i, k := range []string{"a", "b", "c"} {
		now := t0.Add(time.Duration(i) * time.Minute)
		if n, err := s.CachePut(cacheKey(k), entry(body, now, 24*time.Hour), now, max); err != nil || n != 0 {
			t.Fatalf("put %s: evicted %d, %v", k, n, err)
		}
	}
	// Using a makes b the least recently used.
	if err := s.CacheTouch(cacheKey("a"), t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(11 * time.Minute)
	if n, err := s.CachePut(cacheKey("d"), entry(body, now, 24*time.Hour), now, max); err != nil || n != 1 {
		t.Fatalf("put d: evicted %d, %v", n, err)
	}
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, ok, _ := s.CacheGet(cacheKey(k), now); ok != want {
			t.Errorf("%s cached = %v, want %v", k, ok, want)
		}
	}
	assertIndexMatches(t, s)
	if st, _ := s.CacheStats(); st.Entries != 3 || st.Bytes != 3*size {
		t.Errorf("stats %+v", st)
	}
	if n, err := s.CacheClear(); err != nil || n != 3 {
		t.Fatalf("clear: %d %v", n, err)
	}
	if st, _ := s.CacheStats(); st.Entries != 0 {
		t.Errorf("after clear: %+v", st)
	}
	assertIndexMatches(t, s)
}

func TestUsageLedgerIsTimeOrdered(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cost := 0.0065
	for i, h := range []int{30, 1, 25, 12} { // not in time order
		if err := s.AddUsage(UsageRecord{Time: day.Add(time.Duration(h) * time.Hour), Provider: "p", Model: "gpt-4o", PromptTokens: i, Cost: &cost, Outcome: "done"}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.Usage(time.Time{}, time.Time{})
	if err != nil || len(all) != 4 {
		t.Fatalf("%d records, %v", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Time.Before(all[i-1].Time) {
			t.Fatal("ledger out of time order")
		}
	}
	first, _ := s.Usage(day, day.Add(24*time.Hour))
	if len(first) != 2 || first[0].PromptTokens != 1 || first[1].PromptTokens != 3 || *first[1].Cost != cost {
		t.Errorf("first day: %+v", first)
	}
}

func TestSummaryBelongsToItsConversation(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{})
	if _, err := s.Summary(c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("new conversation has a summary: %v", err)
	}
	if err := s.PutSummary(Summary{ConversationID: "nope", Text: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("summary for a missing conversation: %v", err)
	}
	if err := s.PutSummary(Summary{ConversationID: c.ID, Through: 40, Text: "They discussed Go channels."}); err != nil {
		t.Fatal(err)
	}
	if sum, err := s.Summary(c.ID); err != nil || sum.Through != 40 || sum.Text != "They discussed Go channels." {
		t.Errorf("summary %+v %v", sum, err)
	}
	if err := s.DeleteConversation(c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Summary(c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("summary outlived its conversation: %v", err)
	}
}

func TestSetPinned(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{})
	m, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "keep me", State: StateDone})
	if got, err := s.SetPinned(c.ID, m.Seq, true); err != nil || !got.Pinned || got.Content != "keep me" {
		t.Fatalf("pin: %+v %v", got, err)
	}
	if got, _ := s.Message(c.ID, m.Seq); !got.Pinned {
		t.Error("pin not stored")
	}
	if got, _ := s.SetPinned(c.ID, m.Seq, false); got.Pinned {
		t.Error("unpin not applied")
	}
	if _, err := s.SetPinned(c.ID, 99, true); !errors.Is(err, ErrNotFound) {
		t.Errorf("pinning a missing message: %v", err)
	}
}

func TestSupersedeIsAllOrNothing(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{})
	q, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "q", State: StateDone})
	a, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, Content: "a", State: StateDone})
	live, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, Content: "b", State: StateStreaming})
	if err := s.Supersede(c.ID, q.Seq); !errors.Is(err, ErrStreaming) {
		t.Fatalf("with a live answer: %v", err)
	}
	if m, _ := s.Message(c.ID, a.Seq); m.Superseded {
		t.Fatal("a failed supersede changed a message")
	}
	live.State = StateDone
	if err := s.PutMessage(live); err != nil {
		t.Fatal(err)
	}
	if err := s.Supersede(c.ID, q.Seq); err != nil {
		t.Fatal(err)
	}
	msgs, _ := s.Messages(c.ID)
	if msgs[0].Superseded || !msgs[1].Superseded || !msgs[2].Superseded {
		t.Errorf("superseded flags: %v %v %v", msgs[0].Superseded, msgs[1].Superseded, msgs[2].Superseded)
	}
}

// The running total of the cache's bytes follows every put, touch, delete,
// expiry and eviction; a history without one (older) counts it once, and
// a total that lies (more than the index holds) heals at the next put
// instead of emptying the cache for good.
func TestCacheRunningTotalStaysTrue(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	max := int64(20_000)
	for i := 0; i < 200; i++ {
		now := t0.Add(time.Duration(i) * time.Second)
		ttl := time.Hour
		if i%7 == 0 {
			ttl = 30 * time.Second // some expire while the others are put
		}
		body := strings.Repeat("y", 100+i*13%900)
		if _, err := s.CachePut(cacheKey(fmt.Sprint(i)), entry(body, now, ttl), now, max); err != nil {
			t.Fatal(err)
		}
		switch i % 5 {
		case 1:
			s.CacheTouch(cacheKey(fmt.Sprint(i-1)), now)
		case 2:
			s.CacheDelete(cacheKey(fmt.Sprint(i - 2)))
		case 3:
			s.CacheGet(cacheKey(fmt.Sprint(i-30)), now) // maybe expired: removed
		}
		assertIndexMatches(t, s)
	}
	if st, _ := s.CacheStats(); st.Bytes > max || st.Entries == 0 {
		t.Fatalf("stats %+v, bound %d", st, max)
	}
	// Forget the total (a history from before it), then make it lie.
	s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyCacheBytes) })
	now := t0.Add(time.Hour)
	if _, err := s.CachePut(cacheKey("after"), entry("z", now, time.Hour), now, max); err != nil {
		t.Fatal(err)
	}
	assertIndexMatches(t, s)
	s.db.Update(func(tx *bolt.Tx) error { return setCacheBytes(tx, 1<<40) })
	s.CachePut(cacheKey("lie"), entry("z", now, time.Hour), now, max) // evicts everything: the total lied
	now = now.Add(time.Second)
	if _, err := s.CachePut(cacheKey("healed"), entry("z", now, time.Hour), now, max); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.CacheGet(cacheKey("healed"), now); !ok {
		t.Fatal("after a lying total the cache keeps nothing")
	}
	assertIndexMatches(t, s)
}

// TestCacheEntryGoesWithItsLedgerLine: an answer's cache entry is written
// in its ledger line's commit, and not at all when that commit fails.
func TestCacheEntryGoesWithItsLedgerLine(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	now := time.Now()
	w := &CacheWrite{Key: cacheKey("q"), Entry: entry("the answer", now, time.Hour), Now: now, MaxBytes: 1 << 20}
	if err := s.RecordRequest(&UsageRecord{Provider: "p", Model: "m", Outcome: "done"}, nil, w); err != nil {
		t.Fatal(err)
	}
	if e, ok, err := s.CacheGet(cacheKey("q"), now); err != nil || !ok || e.Content != "the answer" {
		t.Fatalf("cache entry with the ledger line: %+v %v %v", e, ok, err)
	}
	if u, _ := s.Usage(time.Time{}, now.Add(time.Hour)); len(u) != 1 {
		t.Fatalf("%d ledger lines", len(u))
	}
	// An answer whose message is gone: neither line nor entry is written.
	m := Message{ConversationID: "none", Seq: 9, Role: RoleAssistant, State: StateDone}
	w2 := &CacheWrite{Key: cacheKey("gone"), Entry: entry("x", now, time.Hour), Now: now, MaxBytes: 1 << 20}
	if err := s.FinishAnswer(m, &UsageRecord{Provider: "p"}, nil, w2); err == nil {
		t.Fatal("FinishAnswer of a missing message succeeded")
	}
	if _, ok, _ := s.CacheGet(cacheKey("gone"), now); ok {
		t.Fatal("the failed commit's cache entry was written")
	}
}
