package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// sseServer answers every chat request with a short streamed answer and
// its usage, after latency (0: at once).
func sseServer(tb testing.TB, latency time.Duration) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		if latency > 0 { // a provider's time to answer, not a test's wait
			t := time.NewTimer(latency)
			<-t.C
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", answerOf(body.Messages[len(body.Messages)-1].Content))
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n")
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// bareRowsPerSecond asks rows prompts of srv with go-openai alone, conc at
// once, streaming each answer to its end.
func bareRowsPerSecond(tb testing.TB, srv *httptest.Server, rows, conc int) float64 {
	cfg := openai.DefaultConfig("k")
	cfg.BaseURL = srv.URL + "/v1"
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	client := openai.NewClientWithConfig(cfg)
	return perSecond(rows, conc, func(i int) {
		s, err := client.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{Model: "tiny", Stream: true,
			Messages: []openai.ChatCompletionMessage{{Role: "user", Content: fmt.Sprintf("bare ticket %d", i)}}})
		if err != nil {
			tb.Error(err)
			return
		}
		defer s.Close()
		for {
			if _, err := s.Recv(); err != nil {
				if !errors.Is(err, io.EOF) {
					tb.Error(err)
				}
				return
			}
		}
	})
}

// perSecond calls do for 0 … n-1, conc at once, and returns calls per
// second.
func perSecond(n, conc int, do func(i int)) float64 {
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				do(i)
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// engineRowsPerSecond runs rows rows through Run and the real engine
// (queue, limits, cache, ledger, the run's store), conc at once.
func engineRowsPerSecond(tb testing.TB, srv *httptest.Server, rows, conc int, noCache bool) float64 {
	path := filepath.Join(tb.TempDir(), "rows.jsonl")
	os.WriteFile(path, []byte(genJSONL(rows, nil)), 0o600)
	st := openStore(tb)
	eng := engine.New(st, engine.Options{Getenv: func(string) string { return "k" }})
	tm := mustTemplate(tb, "{{text}}")
	tokens.Preload() // the run's first pass (MakePlan) has loaded it
	endpoint := &store.Provider{Name: srv.URL + "/v1", Kind: store.KindCompatible, BaseURL: srv.URL + "/v1", Model: "tiny", KeyEnv: "K", MaxConcurrent: conc}
	start := time.Now()
	stats, err := Run(context.Background(), Config{Asker: eng, Store: st, Template: tm, Model: "tiny",
		Options: engine.SendOptions{Endpoint: endpoint, Model: "tiny", MaxTokens: DefaultMaxTokens, NoCache: noCache},
		Run:     store.BatchRun{Name: "through", Input: path, Rows: rows, Concurrency: conc}, Out: NewWriter(io.Discard, "jsonl")})
	took := time.Since(start)
	if err != nil || stats.Done != rows {
		tb.Fatalf("%v, %+v", err, stats)
	}
	return float64(rows) / took.Seconds()
}

// BenchmarkBatchThroughput: batch_throughput_ratio, 10,000 rows at
// concurrency 64 against a local server that answers at once: rows per
// second through Run and the engine ÷ rows per second of bare go-openai
// with the same concurrency, measured in the same run.
//
// Beside it, in the same run: batch_store_floor_rows_s, the rows per
// second the history file alone takes when each row writes what a run
// writes for it (a ledger line with its cache entry, and the row) with 64
// writers and no HTTP at all; and batch_throughput_ceiling_ratio, the ratio
// the run would have if the engine cost nothing beyond bare go-openai's
// work and those writes on the same cores (floor ÷ (bare + floor)). And
// batch_throughput_ratio_50ms, the same ratio against a server that takes
// 50 ms to answer (providers take 200 ms and more): what a user sees.
func BenchmarkBatchThroughput(b *testing.B) {
	const rows, conc = 10_000, 64
	srv := sseServer(b, 0)
	var ratio, floor, ceiling float64
	for range b.N {
		bare := bareRowsPerSecond(b, srv, rows, conc)
		through := engineRowsPerSecond(b, srv, rows, conc, false)
		ratio = through / bare
		floor = storeRowsPerSecond(b, rows, conc)
		// The HTTP work and the writes share the same cores: together
		// they cannot pass 1/(1/bare + 1/floor) rows a second.
		ceiling = floor / (bare + floor)
		// Beside it, for the record: the same run with --no-cache (the
		// response cache's writes left out).
		noCache := engineRowsPerSecond(b, srv, rows, conc, true)
		b.Logf("bare go-openai %.0f rows/s, through the engine %.0f rows/s (%.0f with --no-cache); the store alone %.0f rows/s", bare, through, noCache, floor)
	}
	b.ReportMetric(ratio, "batch_throughput_ratio@x")
	b.ReportMetric(floor, "batch_store_floor_rows_s@rows/s")
	b.ReportMetric(ceiling, "batch_throughput_ceiling_ratio@x")
}

// BenchmarkBatchThroughputSlowProvider: batch_throughput_ratio_50ms. A
// row counts as finished once it is on disk (so that a kill repeats at
// most the rows being asked), so each row takes the provider's 50 ms plus
// a commit or two of the history file; beside it, in the same run,
// batch_row_commit_ms_p50, one row's commit alone.
func BenchmarkBatchThroughputSlowProvider(b *testing.B) {
	const rows, conc = 3_000, 64
	srv := sseServer(b, 50*time.Millisecond)
	var ratio, commit float64
	for range b.N {
		bare := bareRowsPerSecond(b, srv, rows, conc)
		through := engineRowsPerSecond(b, srv, rows, conc, false)
		ratio = through / bare
		commit = rowCommitMillis(b)
		b.Logf("50 ms a request: bare go-openai %.0f rows/s, through the engine %.0f rows/s; a row's commit %.2f ms", bare, through, commit)
	}
	b.ReportMetric(ratio, "batch_throughput_ratio_50ms@x")
	b.ReportMetric(commit, "batch_row_commit_ms_p50@ms")
}

// rowCommitMillis is the median time of storing one row alone.
func rowCommitMillis(tb testing.TB) float64 {
	st := openStore(tb)
	if err := st.PutBatch(store.BatchRun{Name: "commit", Rows: 200}); err != nil {
		tb.Fatal(err)
	}
	took := make([]float64, 0, 200)
	for i := range 200 {
		start := time.Now()
		if err := st.PutBatchRows("commit", []store.BatchRow{{Index: i, Answer: "a", State: store.BatchRowDone}}); err != nil {
			tb.Fatal(err)
		}
		took = append(took, float64(time.Since(start).Microseconds())/1000)
	}
	slices.Sort(took)
	return took[len(took)/2]
}

// storeRowsPerSecond writes, for each of rows rows, conc at once, what a
// run writes for it — a ledger line with its cache entry (queued, as the
// engine writes a batch row's) and the row through the run's committer — and
// returns rows per second.
func storeRowsPerSecond(tb testing.TB, rows, conc int) float64 {
	st := openStore(tb)
	if err := st.PutBatch(store.BatchRun{Name: "floor", Rows: rows, Concurrency: conc}); err != nil {
		tb.Fatal(err)
	}
	commit := newCommitter(st, "floor")
	defer commit.close()
	return perSecond(rows, conc, func(i int) {
		now := time.Now()
		key := []byte(fmt.Sprintf("floor key %d", i))
		entry := store.CacheEntry{Provider: "p", Model: "tiny", Content: answerOf(string(key)), Finish: "stop", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		rec := store.UsageRecord{Provider: "p", Model: "tiny", PromptTokens: 5, CompletionTokens: 3, Outcome: "done", Label: "batch floor"}
		st.RecordRequestLater(&rec, nil, &store.CacheWrite{Key: key, Entry: entry, Now: now, MaxBytes: 64 << 20})
		row := store.BatchRow{Index: i, Names: []string{"id", "text"}, Values: []string{fmt.Sprint(i), "ticket"}, Answer: entry.Content, State: store.BatchRowDone}
		if err := commit.put(row); err != nil {
			tb.Error(err)
		}
	})
}
