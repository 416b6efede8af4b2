package engine

import (
	"context"
	"testing"
	"time"

	"deskchat/store"
)

// BenchmarkCacheHit answers a 2,000-token question that was answered
// before: from Send to Done, the user message and the answer stored, every
// event delivered, nothing sent upstream.
func BenchmarkCacheHit(b *testing.B) {
	srv := benchServer(b)
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.PutProvider(store.Provider{Name: "local", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "m"}); err != nil {
		b.Fatal(err)
	}
	e := New(st, Options{})
	newConv := func() string {
		conv, err := st.CreateConversation(store.Conversation{})
		if err != nil {
			b.Fatal(err)
		}
		return conv.ID
	}
	send := func(conv string) (string, bool) {
		events, err := e.Send(context.Background(), conv, "the same question", SendOptions{Provider: "local"})
		if err != nil {
			b.Fatal(err)
		}
		text, cached := "", false
		for ev := range events {
			switch ev := ev.(type) {
			case Delta:
				text += ev.Text
			case Cached:
				cached = true
			}
		}
		return text, cached
	}
	want, _ := send(newConv()) // fills the cache
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		conv := newConv()
		t0 := time.Now()
		text, cached := send(conv)
		total += time.Since(t0)
		if !cached || text != want {
			b.Fatalf("not a full cache hit (cached=%v, %d of %d bytes)", cached, len(text), len(want))
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "cache_hit_ms@ms")
}
