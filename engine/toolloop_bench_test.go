package engine

import (
	"context"
	"os"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// BenchmarkToolRound reports tool_round_overhead_ms: the p99 of what the
// engine adds for one round of tool calls (storing the calls, deciding,
// running them through the toolbox, storing the results, the round's
// ledger line and asking the model again through the queue), with a fake
// adapter and a fake toolbox that answer at once: the time of an answer
// with one round of one call, less that of the same answer without tools,
// measured alternately on the same store. The floor,
// tool_round_floor_ms, is the p99 of the answer without tools.
func BenchmarkToolRound(b *testing.B) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if os.Getenv("BENCH_NOSYNC") != "" { // the engine's cost without the disk's
		st.DB().NoSync = true
	}
	tb := &fakeToolbox{}
	e := New(st, Options{Toolbox: tb, LazyTokenizer: true})
	withTools := &scripted{answers: [][]llm.Chunk{toolAnswer("Looking. ", llm.ToolCall{ID: "c1", Name: "srv__echo", Arguments: `{"n":1}`}), textAnswer("Done.")}}
	plain := &scripted{answers: [][]llm.Chunk{textAnswer("Looking. Done.")}}
	var cur llm.Adapter
	e.adapterFor = func(store.Provider) llm.Adapter { return cur }
	cfg := store.Provider{Name: "fake", Kind: store.KindOpenAI, BaseURL: "http://fake.invalid/v1", Model: "gpt-4o"}
	ctx := context.Background()
	ask := func(ad *scripted, opts SendOptions) time.Duration {
		ad.mu.Lock()
		ad.reqs = ad.reqs[:0] // each answer starts from the first scripted answer
		ad.mu.Unlock()
		cur = ad
		conv, err := st.CreateConversation(store.Conversation{})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		ch, err := e.Send(ctx, conv.ID, "bench", opts)
		if err != nil {
			b.Fatal(err)
		}
		var last Event
		for ev := range ch {
			last = ev
		}
		d := time.Since(t0)
		if _, ok := last.(Done); !ok {
			b.Fatalf("ended with %#v", last)
		}
		return d
	}
	const rounds = 200
	var added, floor []time.Duration
	runtime.GC()
	b.ResetTimer()
	for range b.N {
		for range rounds {
			f := ask(plain, SendOptions{Endpoint: &cfg, NoCache: true})
			w := ask(withTools, SendOptions{Endpoint: &cfg, Tools: []string{"srv"}, Approve: allowOnce})
			added, floor = append(added, w-f), append(floor, f)
		}
	}
	p := func(d []time.Duration, q float64) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(p(added, 0.50), "tool_round_overhead_ms_p50@ms")
	b.ReportMetric(p(added, 0.99), "tool_round_overhead_ms@ms")
	b.ReportMetric(p(floor, 0.99), "tool_round_floor_ms@ms")
}
