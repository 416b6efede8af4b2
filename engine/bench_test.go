package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// benchChunks is the length of the answer both clients stream.
const benchChunks = 2000

func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	var body strings.Builder
	for i := 0; i < benchChunks; i++ {
		fmt.Fprintf(&body, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok%d\"},\"finish_reason\":null}]}\n\n", i)
	}
	body.WriteString("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2000}}\n\ndata: [DONE]\n\n")
	payload := []byte(body.String())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(payload)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkStreamChunk streams the same 2,000-chunk answer from the same local
// server through bare go-openai (the floor) and through Engine.Send (which
// also stores the user message, creates and flushes the answer, records the
// usage and delivers events), alternating, and reports the cost per chunk of
// each and the engine's throughput as a fraction of go-openai's.
func BenchmarkStreamChunk(b *testing.B) {
	srv := benchServer(b)
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if os.Getenv("BENCH_NOSYNC") != "" { // to see the engine's own cost apart from fsync
		st.DB().NoSync = true
	}
	e := New(st, Options{})
	tokens.Preload() // New loads the encoding on a goroutine; not this figure's cost
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = srv.URL
	raw := openai.NewClientWithConfig(cfg)
	ctx := context.Background()

	const rounds = 20
	var rawTotal, engTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds; r++ {
			t0 := time.Now()
			n, err := rawStream(ctx, raw)
			rawTotal += time.Since(t0)
			if err != nil || n != benchChunks {
				b.Fatalf("raw: %d chunks, %v", n, err)
			}

			// A new conversation each round, as the raw client sends one
			// message; no cache, so that every round streams.
			conv, err := st.CreateConversation(store.Conversation{})
			if err != nil {
				b.Fatal(err)
			}
			t0 = time.Now()
			events, err := e.Send(ctx, conv.ID, "bench", SendOptions{Endpoint: endpoint(srv.URL), NoCache: true})
			if err != nil {
				b.Fatal(err)
			}
			var text strings.Builder
			var final Event
			for ev := range events {
				switch ev := ev.(type) {
				case Delta:
					text.WriteString(ev.Text)
				case Done, Failed, Stopped:
					final = ev
				}
			}
			engTotal += time.Since(t0)
			if _, ok := final.(Done); !ok || strings.Count(text.String(), " tok") != benchChunks {
				b.Fatalf("engine: %d chunks of text, final %#v", strings.Count(text.String(), " tok"), final)
			}
		}
	}
	perChunk := func(d time.Duration) float64 {
		return float64(d.Microseconds()) / float64(b.N*rounds*benchChunks)
	}
	b.ReportMetric(perChunk(rawTotal), "stream_chunk_us_raw@us")
	b.ReportMetric(perChunk(engTotal), "stream_chunk_us@us")
	// One answer at a time: the ratio of the times, inverted. Each engine
	// answer also waits for two durable commits (the question with its
	// empty answer, then the answer's end), which no concurrency hides here.
	b.ReportMetric(float64(rawTotal)/float64(engTotal), "engine_overhead_ratio_serial@x")
}

// BenchmarkStreamThroughput streams the same 2,000-chunk answer from the
// same local server through bare go-openai (the floor) and through
// Engine.Send, each with streamConcurrency answers streaming at once (as a
// chat app with several conversations, or a compare view, does), in
// alternating rounds, and reports the engine's throughput (answers per
// second) as a fraction of go-openai's.
func BenchmarkStreamThroughput(b *testing.B) {
	const streamConcurrency, perStream, rounds = 8, 4, 9
	srv := benchServer(b)
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e := New(st, Options{})
	tokens.Preload() // New loads the encoding on a goroutine; not this figure's cost
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = srv.URL
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: streamConcurrency}}
	raw := openai.NewClientWithConfig(cfg)
	ctx := context.Background()
	convs := make([]string, streamConcurrency*perStream*rounds*b.N)
	for i := range convs {
		c, err := st.CreateConversation(store.Conversation{})
		if err != nil {
			b.Fatal(err)
		}
		convs[i] = c.ID
	}
	ep := endpoint(srv.URL)
	// phase runs streamConcurrency workers, each streaming perStream
	// answers one after another, and returns how long all took.
	phase := func(one func(i int) error) time.Duration {
		var wg sync.WaitGroup
		errs := make(chan error, streamConcurrency)
		t0 := time.Now()
		for w := 0; w < streamConcurrency; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for k := 0; k < perStream; k++ {
					if err := one(w*perStream + k); err != nil {
						errs <- err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		d := time.Since(t0)
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		return d
	}
	var ratios []float64
	var rawCPU, engCPU time.Duration
	next := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds; r++ {
			c0 := processCPU()
			rawD := phase(func(int) error {
				if n, err := rawStream(ctx, raw); err != nil || n != benchChunks {
					return fmt.Errorf("raw: %d chunks, %v", n, err)
				}
				return nil
			})
			rawCPU += processCPU() - c0
			c0 = processCPU()
			base := next
			next += streamConcurrency * perStream
			engD := phase(func(k int) error {
				events, err := e.Send(ctx, convs[base+k], "bench", SendOptions{Endpoint: ep, NoCache: true})
				if err != nil {
					return err
				}
				n := 0
				var final Event
				for ev := range events {
					switch ev := ev.(type) {
					case Delta:
						n += strings.Count(ev.Text, " tok")
					case Done, Failed, Stopped:
						final = ev
					}
				}
				if _, ok := final.(Done); !ok || n != benchChunks {
					return fmt.Errorf("engine: %d chunks, final %#v", n, final)
				}
				return nil
			})
			engCPU += processCPU() - c0
			ratios = append(ratios, float64(rawD)/float64(engD))
		}
	}
	// The median round: a burst of other work on this machine during one
	// phase moves the mean, not the median.
	sort.Float64s(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "engine_overhead_ratio@x")
	// The same over CPU time (the process's, the server's included): where
	// the two differ, the engine lost wall time waiting, not computing.
	b.ReportMetric(float64(rawCPU)/float64(engCPU), "engine_cpu_ratio@x")
}

func rawStream(ctx context.Context, c *openai.Client) (int, error) {
	s, err := c.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{
		Model: "m", Stream: true,
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "bench"}},
	})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	n := 0
	for {
		resp, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if len(resp.Choices) > 0 && resp.Choices[0].Delta.Content != "" {
			n++
		}
	}
}
