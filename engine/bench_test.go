package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"deskchat/store"
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
	e := New(st, Options{})
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
	// Throughput is answers per second: the ratio of the times, inverted.
	b.ReportMetric(float64(rawTotal)/float64(engTotal), "engine_overhead_ratio@x")
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
