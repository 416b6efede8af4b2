package engine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
	bolt "go.etcd.io/bbolt"

	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// BenchmarkLimiterSchedule sends 1,000 requests at once through Engine.Send
// to a provider limited to 600 requests/min, on a fake clock, and reports the
// largest deviation of an arrival at the server from the ideal schedule (one
// every 100 ms), in percent, and the error of the observed request rate
// against the limit.
func BenchmarkLimiterSchedule(b *testing.B) {
	var dev, rateErr float64
	for i := 0; i < b.N; i++ {
		dev, rateErr = engineLimiterSchedule(b, 1000, 600)
	}
	b.ReportMetric(dev*100, "limiter_error_pct@%")
	b.ReportMetric(rateErr*100, "limiter_rate_error_pct@%")
}

// BenchmarkEngineAddedLatency sends a short answer (20 chunks) through bare
// go-openai and through Engine.Send, alternating, against the same local
// server, and reports the 99th percentile of the time the engine adds per
// request: queue, limiter, bookkeeping and persistence; the network and the
// server cost both the same.
func BenchmarkEngineAddedLatency(b *testing.B) {
	var body string
	for i := 0; i < 20; i++ {
		body += fmt.Sprintf("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" w%d\"}}]}\n\n", i)
	}
	body += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":20}}\n\ndata: [DONE]\n\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if os.Getenv("BENCH_NOSYNC") != "" {
		st.DB().NoSync = true
	}
	e := New(st, Options{})
	tokens.Preload() // New loads the encoding on a goroutine; not this figure's cost
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = srv.URL
	raw := openai.NewClientWithConfig(cfg)
	ctx := context.Background()
	const rounds = 200
	var added, floor []time.Duration
	runtime.GC() // what earlier benchmarks left behind is not this one's cost
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds; r++ {
			conv, err := st.CreateConversation(store.Conversation{})
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			if n, err := rawStream(ctx, raw); err != nil || n != 20 {
				b.Fatalf("raw: %d chunks, %v", n, err)
			}
			rawD := time.Since(t0)
			t0 = time.Now()
			events, err := e.Send(ctx, conv.ID, "bench", SendOptions{Endpoint: endpoint(srv.URL), NoCache: true})
			if err != nil {
				b.Fatal(err)
			}
			var final Event
			for ev := range events {
				switch ev.(type) {
				case Done, Failed, Stopped:
					final = ev
				}
			}
			if _, ok := final.(Done); !ok {
				b.Fatalf("engine: %#v", final)
			}
			added = append(added, time.Since(t0)-rawD)

			// The floor of persistence: the two durable commits an answer
			// needs (question with its empty answer, then the answer's end),
			// timed alone on the same file.
			t0 = time.Now()
			for k := 0; k < 2; k++ {
				if err := st.DB().Update(func(tx *bolt.Tx) error {
					bk, err := tx.CreateBucketIfNotExists([]byte("bench"))
					if err != nil {
						return err
					}
					return bk.Put([]byte(fmt.Sprint(r, k)), make([]byte, 600))
				}); err != nil {
					b.Fatal(err)
				}
			}
			floor = append(floor, time.Since(t0))
		}
	}
	p := func(d []time.Duration, q float64) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(p(added, 0.50), "engine_added_ms_p50@ms")
	b.ReportMetric(p(added, 0.99), "engine_added_ms_p99@ms")
	b.ReportMetric(p(floor, 0.50), "two_commits_ms_p50@ms")
	b.ReportMetric(p(floor, 0.99), "two_commits_ms_p99@ms")
}

// BenchmarkConcurrencyHeld sends 5,000 requests at once to a provider
// limited to 1,000 concurrent streams, against a local server that takes
// about a second per answer, and reports the average number of streams in
// flight at the server divided by the limit (goal ≥ 0.95), and the most
// seen at once divided by the limit (must be ≤ 1). Bare go-openai clients
// held to the same limit by a semaphore run first, as the floor.
func BenchmarkConcurrencyHeld(b *testing.B) {
	const limit, requests = 1000, 5000
	var (
		mu          sync.Mutex
		inflight    int
		peak        int
		area        float64 // stream-seconds
		first, last time.Time
		arrivals    []time.Time
	)
	change := func(d int) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if first.IsZero() {
			first = now
		} else {
			area += float64(inflight) * now.Sub(last).Seconds()
		}
		inflight += d
		peak = max(peak, inflight)
		last = now
		if d > 0 {
			arrivals = append(arrivals, now)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		change(+1)
		defer change(-1)
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		select { // the provider thinking for a second
		case <-time.After(time.Second):
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"done\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if os.Getenv("BENCH_NOSYNC") != "" {
		st.DB().NoSync = true
	}
	if err := st.PutProvider(store.Provider{Name: "local", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "m",
		MaxConcurrent: limit, MaxQueued: requests}); err != nil {
		b.Fatal(err)
	}
	convs := make([]string, requests)
	for i := range convs {
		c, err := st.CreateConversation(store.Conversation{})
		if err != nil {
			b.Fatal(err)
		}
		convs[i] = c.ID
	}
	e := New(st, Options{})
	// The encoding loads once per process (New starts that on a goroutine;
	// the app has long finished it when someone sends): not this figure's.
	tokens.Preload()
	// The floor: bare go-openai clients held to the same limit by a
	// semaphore, against the same server, before the engine's run.
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = srv.URL
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: limit}}
	raw := openai.NewClientWithConfig(cfg)
	sem := make(chan struct{}, limit)
	var rawWG sync.WaitGroup
	cpu0 := processCPU()
	for i := 0; i < requests; i++ {
		rawWG.Add(1)
		go func() {
			defer rawWG.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := rawStream(context.Background(), raw); err != nil {
				b.Error(err)
			}
		}()
	}
	rawWG.Wait()
	rawCPU := processCPU() - cpu0
	mu.Lock()
	rawAvg := area / last.Sub(first).Seconds()
	inflight, peak, area, first, last, arrivals = 0, 0, 0, time.Time{}, time.Time{}, nil
	mu.Unlock()

	b.ResetTimer()
	cpu0 = processCPU()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < requests; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			events, err := e.Send(context.Background(), convs[i], fmt.Sprint("question ", i), SendOptions{Provider: "local", NoCache: true})
			if err != nil {
				failed.Add(1)
				return
			}
			for ev := range events {
				if _, ok := ev.(Failed); ok {
					failed.Add(1)
				}
			}
		}(i)
	}
	wg.Wait()
	b.StopTimer()
	engCPU := processCPU() - cpu0
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}
	mu.Lock()
	avg := area / last.Sub(first).Seconds()
	mu.Unlock()
	b.ReportMetric(avg/limit, "concurrency_held_ratio@x")
	b.ReportMetric(rawAvg/limit, "concurrency_held_ratio_raw@x")
	// CPU per request, the server's included, in each run.
	b.ReportMetric(float64(engCPU.Microseconds())/requests, "concurrency_cpu_us_per_request@us")
	b.ReportMetric(float64(rawCPU.Microseconds())/requests, "concurrency_cpu_us_per_request_raw@us")
	// How long the first limit's worth of streams took to arrive, and how
	// late the last one arrived (ideally 4 s: five waves of a second).
	b.ReportMetric(float64(arrivals[limit-1].Sub(first).Milliseconds()), "concurrency_rampup_ms@ms")
	b.ReportMetric(float64(arrivals[len(arrivals)-1].Sub(first).Milliseconds()), "concurrency_last_arrival_ms@ms")
	b.ReportMetric(float64(last.Sub(first).Milliseconds()), "concurrency_span_ms@ms")
	// The limit is a ceiling: never more streams at once than allowed.
	b.ReportMetric(float64(peak)/limit, "concurrency_peak_ratio@x")
	if peak > limit {
		b.Errorf("%d streams at once, limit %d", peak, limit)
	}
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
