package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func TestCacheKeyCoversWhatDecidesTheAnswer(t *testing.T) {
	cfg := store.Provider{Kind: store.KindCompatible, BaseURL: "http://a/v1"}
	req := llm.Request{Model: "m", Messages: []llm.ChatMessage{{Role: llm.RoleUser, Content: "hi"}}}
	base := string(cacheKey(cfg, req))
	temp := float32(0.2)
	for name, change := range map[string]func(*store.Provider, *llm.Request){
		"endpoint":    func(c *store.Provider, _ *llm.Request) { c.BaseURL = "http://b/v1" },
		"model":       func(_ *store.Provider, r *llm.Request) { r.Model = "n" },
		"temperature": func(_ *store.Provider, r *llm.Request) { r.Temperature = &temp },
		"max tokens":  func(_ *store.Provider, r *llm.Request) { r.MaxTokens = 5 },
		"text": func(_ *store.Provider, r *llm.Request) {
			r.Messages = []llm.ChatMessage{{Role: llm.RoleUser, Content: "hi!"}}
		},
		"role": func(_ *store.Provider, r *llm.Request) {
			r.Messages = []llm.ChatMessage{{Role: llm.RoleSystem, Content: "hi"}}
		},
		"one more": func(_ *store.Provider, r *llm.Request) {
			r.Messages = append(r.Messages, llm.ChatMessage{Role: llm.RoleUser, Content: ""})
		},
	} {
		c, r := cfg, req
		r.Messages = append([]llm.ChatMessage(nil), req.Messages...)
		change(&c, &r)
		if string(cacheKey(c, r)) == base {
			t.Errorf("changing the %s keeps the key", name)
		}
	}
	same := llm.Request{Model: "m", Messages: []llm.ChatMessage{{Role: llm.RoleUser, Content: "hi"}}}
	if string(cacheKey(cfg, same)) != base {
		t.Error("the same request has another key")
	}
}

func TestResponseCacheTTLAndMemoryLRU(t *testing.T) {
	st := openStore(t)
	clock := &fakeNow{time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	c := newResponseCache(st, time.Hour, 1<<20, clock.now)
	var touched int
	c.touch = func([]byte, time.Time) { touched++ }
	c.limit = 3 * store.CacheEntry{Content: strings.Repeat("x", 100)}.Size() // three in memory

	key := func(s string) []byte { return cacheKey(store.Provider{}, llm.Request{Model: s}) }
	for _, k := range []string{"a", "b", "c"} {
		c.put(key(k), store.CacheEntry{Content: strings.Repeat("x", 100), Finish: "stop"})
	}
	if _, ok := c.get(key("a")); !ok || touched != 0 {
		t.Fatalf("memory hit: %v, disk touched %d", ok, touched)
	}
	c.put(key("d"), store.CacheEntry{Content: strings.Repeat("x", 100), Finish: "stop"}) // evicts b, the least recently used
	c.mu.Lock()
	_, bInMem := c.items[string(key("b"))]
	_, aInMem := c.items[string(key("a"))]
	c.mu.Unlock()
	if bInMem || !aInMem {
		t.Fatalf("memory LRU: b kept %v, a kept %v", bInMem, aInMem)
	}
	// b is still on disk: a hit from there, which is remembered and touched.
	if _, ok := c.get(key("b")); !ok || touched != 1 {
		t.Fatalf("disk hit %v, touched %d", ok, touched)
	}
	clock.t = clock.t.Add(time.Hour) // the TTL
	for _, k := range []string{"a", "b", "c", "d"} {
		if _, ok := c.get(key(k)); ok {
			t.Errorf("%s served after its TTL", k)
		}
	}
	if st, _ := st.CacheStats(); st.Entries != 0 {
		t.Errorf("expired entries stay on disk: %+v", st)
	}
	if h, m := c.hits.Load(), c.misses.Load(); h != 2 || m != 4 {
		t.Errorf("hits %d misses %d, want 2 and 4", h, m)
	}
}

func TestReplayStreamGivesBackTheWholeAnswer(t *testing.T) {
	text := strings.Repeat("héllo wörld ", 500) // multi-byte runes across piece borders
	s := newReplayStream(store.CacheEntry{Content: text, Reasoning: "thought", Finish: "length", Model: "m", PromptTokens: 3, CompletionTokens: 4})
	var got, reasoning, finish string
	var usage *Usage
	for s.Next() {
		c := s.Current()
		if !strings.HasPrefix(text[len(got):], c.Text) {
			t.Fatal("a piece is not the next part of the text")
		}
		got += c.Text
		reasoning += c.Reasoning
		if c.Finish != "" {
			finish, usage = c.Finish, c.Usage
		}
	}
	if got != text || reasoning != "thought" || finish != "length" || usage == nil || usage.CompletionTokens != 4 {
		t.Errorf("replayed %d/%d bytes, reasoning %q, finish %q, usage %+v", len(got), len(text), reasoning, finish, usage)
	}
}
