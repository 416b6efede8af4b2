package engine

import (
	"container/list"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// The response cache answers a request that was already answered, without
// sending anything upstream. Two levels: a small in-memory LRU in front of
// the store's cache bucket, which enforces the TTL and the size bound on
// disk. Only complete answers (finish "stop" or "length") are cached.

// Cache defaults.
const (
	defaultCacheTTL      = 7 * 24 * time.Hour
	defaultCacheMaxBytes = 100 << 20
	memCacheMaxBytes     = 8 << 20
)

// cacheKey is the SHA-256 of a canonical encoding of everything that decides
// an answer: the endpoint, the model, the sampling parameters and the final
// message list after compression. A file sent with a message counts by its
// hash, not its bytes (nor the data: URL its image becomes), so that the
// key is made before any image is encoded.
func cacheKey(cfg store.Provider, req llm.Request) []byte {
	type msg struct {
		R string   `json:"r"`
		C string   `json:"c"`
		P []string `json:"p,omitempty"` // parts: type and hash, or a note's text
		T []string `json:"t,omitempty"` // tool calls: id, name, arguments
		I string   `json:"i,omitempty"` // the call a tool message answers
	}
	canon := struct {
		Kind        string   `json:"kind"`
		BaseURL     string   `json:"base_url"`
		APIVersion  string   `json:"api_version,omitempty"`
		Model       string   `json:"model"`
		Temperature *float32 `json:"temperature"`
		MaxTokens   int      `json:"max_tokens"`
		Messages    []msg    `json:"messages"`
	}{cfg.Kind, cfg.BaseURL, cfg.APIVersion, req.Model, req.Temperature, req.MaxTokens, make([]msg, len(req.Messages))}
	for i, m := range req.Messages {
		canon.Messages[i] = msg{R: string(m.Role), C: m.Content, I: m.ToolCallID}
		for _, c := range m.ToolCalls {
			canon.Messages[i].T = append(canon.Messages[i].T, c.ID+"\x00"+c.Name+"\x00"+c.Arguments)
		}
		for _, p := range m.Parts {
			id := p.SHA256
			if id == "" {
				id = "=" + p.Text
			}
			canon.Messages[i].P = append(canon.Messages[i].P, string(p.Type)+":"+id)
		}
	}
	b, _ := json.Marshal(canon) // plain strings and numbers: cannot fail
	sum := sha256.Sum256(b)
	return sum[:]
}

// cacheable reports whether an answer that ended with finish may be cached.
func cacheable(finish string) bool { return finish == "stop" || finish == "length" }

// responseCache is the two-level cache.
type responseCache struct {
	st       *store.Store
	ttl      time.Duration
	maxBytes int64
	now      func() time.Time
	touch    func(key []byte, at time.Time) // records a disk hit's use, off the caller's path

	mu    sync.Mutex
	ll    *list.List // front: most recently used
	items map[string]*list.Element
	bytes int64
	limit int64 // in-memory bound

	hits, misses atomic.Uint64 // since the store was created (persisted)
}

// cacheStatKey is where the cache's counters are persisted (store stats).
const cacheStatKey = "cache"

type cacheCounters struct {
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
}

// loadCounters starts the counters from what earlier runs persisted.
func (c *responseCache) loadCounters() {
	stats, err := c.st.Stats()
	if err != nil {
		return
	}
	var cc cacheCounters
	if json.Unmarshal(stats[cacheStatKey], &cc) == nil {
		c.hits.Store(cc.Hits)
		c.misses.Store(cc.Misses)
	}
}

// marshalCounters encodes the counters for the store's stats.
func (c *responseCache) marshalCounters() []byte {
	b, _ := json.Marshal(cacheCounters{c.hits.Load(), c.misses.Load()})
	return b
}

// StoredCacheCounters reads the response cache's hit and miss counters as
// the store last persisted them, without an engine (the CLI's `cache
// stats`). A running engine's (*Engine).CacheCounters also counts what it
// has not persisted yet.
func StoredCacheCounters(st *store.Store) (hits, misses uint64, err error) {
	stats, err := st.Stats()
	if err != nil {
		return 0, 0, err
	}
	var cc cacheCounters
	if v := stats[cacheStatKey]; v != nil {
		json.Unmarshal(v, &cc)
	}
	return cc.Hits, cc.Misses, nil
}

type memEntry struct {
	key string
	e   store.CacheEntry
}

func newResponseCache(st *store.Store, ttl time.Duration, maxBytes int64, now func() time.Time) *responseCache {
	if ttl <= 0 {
		ttl = defaultCacheTTL
	}
	if maxBytes <= 0 {
		maxBytes = defaultCacheMaxBytes
	}
	c := &responseCache{st: st, ttl: ttl, maxBytes: maxBytes, now: now, ll: list.New(), items: map[string]*list.Element{}, limit: min(memCacheMaxBytes, maxBytes)}
	c.touch = func(key []byte, at time.Time) { go st.CacheTouch(key, at) }
	c.loadCounters()
	return c
}

// get returns the cached answer for key. A stale or undecodable entry is a
// miss (and is removed).
func (c *responseCache) get(key []byte) (store.CacheEntry, bool) {
	now := c.now()
	c.mu.Lock()
	if el, ok := c.items[string(key)]; ok {
		me := el.Value.(*memEntry)
		if now.Before(me.e.ExpiresAt) {
			c.ll.MoveToFront(el)
			c.mu.Unlock()
			c.hits.Add(1)
			return me.e, true
		}
		c.removeLocked(el)
	}
	c.mu.Unlock()
	e, ok, err := c.st.CacheGet(key, now)
	if err != nil || !ok {
		c.misses.Add(1)
		return store.CacheEntry{}, false
	}
	c.hits.Add(1)
	c.remember(key, e)
	c.touch(key, now)
	return e, true
}

// put caches a complete answer. Errors are ignored: a cache that cannot
// write only costs a later request its shortcut.
func (c *responseCache) put(key []byte, e store.CacheEntry) {
	w := c.putLater(key, e)
	c.st.CachePut(w.Key, w.Entry, w.Now, w.MaxBytes)
}

// putLater makes e a hit in memory at once and returns the write that
// stores it on disk, for the caller to commit with its request's ledger
// line (store.RecordRequest, FinishAnswer): one commit, not two.
func (c *responseCache) putLater(key []byte, e store.CacheEntry) *store.CacheWrite {
	now := c.now()
	e.CreatedAt, e.ExpiresAt = now.UTC(), now.Add(c.ttl).UTC()
	c.remember(key, e)
	return &store.CacheWrite{Key: key, Entry: e, Now: now, MaxBytes: c.maxBytes}
}

func (c *responseCache) remember(key []byte, e store.CacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[string(key)]; ok {
		c.removeLocked(el)
	}
	if e.Size() > c.limit {
		return
	}
	c.items[string(key)] = c.ll.PushFront(&memEntry{string(key), e})
	c.bytes += e.Size()
	for c.bytes > c.limit {
		c.removeLocked(c.ll.Back())
	}
}

func (c *responseCache) removeLocked(el *list.Element) {
	me := el.Value.(*memEntry)
	c.ll.Remove(el)
	delete(c.items, me.key)
	c.bytes -= me.e.Size()
}

// clear empties both levels.
func (c *responseCache) clear() (int, error) {
	c.mu.Lock()
	c.ll.Init()
	c.items = map[string]*list.Element{}
	c.bytes = 0
	c.mu.Unlock()
	return c.st.CacheClear()
}

// replayStream plays a cached answer back as a Stream: the text in pieces,
// then the usage and the finish reason.
type replayStream struct {
	chunks []llm.Chunk
	i      int
}

// replayPiece is the size of a replayed piece of text.
const replayPiece = 2048

func newReplayStream(e store.CacheEntry) *replayStream {
	var chunks []llm.Chunk
	for r := e.Reasoning; r != ""; {
		n := min(len(r), replayPiece)
		n = runeBoundary(r, n)
		chunks = append(chunks, llm.Chunk{Reasoning: r[:n], Model: e.Model})
		r = r[n:]
	}
	for t := e.Content; t != ""; {
		n := min(len(t), replayPiece)
		n = runeBoundary(t, n)
		chunks = append(chunks, llm.Chunk{Text: t[:n], Model: e.Model})
		t = t[n:]
	}
	last := llm.Chunk{Finish: e.Finish, Model: e.Model}
	if e.PromptTokens > 0 || e.CompletionTokens > 0 {
		last.Usage = &Usage{PromptTokens: e.PromptTokens, CompletionTokens: e.CompletionTokens}
	}
	return &replayStream{chunks: append(chunks, last), i: -1}
}

// runeBoundary moves n back to the start of a UTF-8 sequence.
func runeBoundary(s string, n int) int {
	for n < len(s) && n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return n
}

func (s *replayStream) Next() bool {
	s.i++
	return s.i < len(s.chunks)
}
func (s *replayStream) Current() llm.Chunk { return s.chunks[s.i] }
func (s *replayStream) Err() error         { return nil }
func (s *replayStream) Close() error       { return nil }
