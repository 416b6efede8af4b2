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
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// sseServer answers every chat request at once with a short streamed
// answer and its usage.
func sseServer(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&body)
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
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				s, err := client.CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{Model: "tiny", Stream: true,
					Messages: []openai.ChatCompletionMessage{{Role: "user", Content: fmt.Sprintf("bare ticket %d", i)}}})
				if err != nil {
					tb.Error(err)
					continue
				}
				for {
					if _, err := s.Recv(); err != nil {
						if !errors.Is(err, io.EOF) {
							tb.Error(err)
						}
						break
					}
				}
				s.Close()
			}
		}()
	}
	for i := range rows {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return float64(rows) / time.Since(start).Seconds()
}

// engineRowsPerSecond runs rows rows through Run and the real engine
// (queue, limits, cache, ledger, the run's store), conc at once.
func engineRowsPerSecond(tb testing.TB, srv *httptest.Server, rows, conc int, noCache bool) float64 {
	path := filepath.Join(tb.TempDir(), "rows.jsonl")
	os.WriteFile(path, []byte(genJSONL(rows, nil)), 0o600)
	st := openStore(tb)
	eng := engine.New(st, engine.Options{Getenv: func(string) string { return "k" }})
	tm := mustTemplate(tb, "{{text}}")
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
// concurrency 64 against a local server: rows per second through Run and
// the engine ÷ rows per second of bare go-openai with the same concurrency,
// measured in the same run.
func BenchmarkBatchThroughput(b *testing.B) {
	const rows, conc = 10_000, 64
	srv := sseServer(b)
	var ratio float64
	for range b.N {
		bare := bareRowsPerSecond(b, srv, rows, conc)
		through := engineRowsPerSecond(b, srv, rows, conc, false)
		ratio = through / bare
		// Beside it, for the record: the same run with --no-cache (the
		// response cache's writes left out).
		noCache := engineRowsPerSecond(b, srv, rows, conc, true)
		b.Logf("bare go-openai %.0f rows/s, through the engine %.0f rows/s (%.0f with --no-cache)", bare, through, noCache)
	}
	b.ReportMetric(ratio, "batch_throughput_ratio@x")
}
