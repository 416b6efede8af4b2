package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/engine/simulator"
	"github.com/deskchat/deskchat/store"
)

// Fixtures in testdata/ are copies of ../shared/fixtures (recorded from real
// providers; sources in shared/fixtures/SOURCES.tsv):
//   openai_stream_include_usage.sse            sse/openai/ (langchaingo)
//   azure_stream_prompt_filter_results.DERIVED.sse  sse/azure/
//   deepseek_reasoner_stream_reasoning_content.sse  sse/deepseek/ (pydantic-ai)
//   and the other *.sse files from the same folders;
//   errors/*: ../shared/fixtures/errors/ (bodies and recorded headers).

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// journal records the bodies of the requests a test server received.
type journal struct {
	mu   sync.Mutex
	reqs []map[string]any
}

func (j *journal) add(r *http.Request) {
	var body map[string]any
	json.NewDecoder(r.Body).Decode(&body)
	j.mu.Lock()
	j.reqs = append(j.reqs, body)
	j.mu.Unlock()
}

func (j *journal) last() map[string]any {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.reqs) == 0 {
		return nil
	}
	return j.reqs[len(j.reqs)-1]
}

// sseServer replays body as an SSE response to every chat request.
func sseServer(t *testing.T, body []byte) (*httptest.Server, *journal) {
	t.Helper()
	j := &journal{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.add(r)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, j
}

func endpoint(url string) *store.Provider {
	return &store.Provider{Name: "test", Kind: store.KindCompatible, BaseURL: url, Model: "m"}
}

// result is everything a stream delivered.
type result struct {
	text, reasoning string
	usage           *Usage
	started         *Started
	final           Event
	events          int
}

func drain(t *testing.T, events <-chan Event) result {
	t.Helper()
	return drainWithin(t, events, 20*time.Second)
}

// drainWithin is drain with another bound, for a request that does more
// than stream (encoding a 12-megapixel photo takes seconds under -race).
func drainWithin(t *testing.T, events <-chan Event, bound time.Duration) result {
	t.Helper()
	var r result
	var text, reasoning strings.Builder // many deltas of a huge answer: no quadratic +=
	timeout := time.After(bound)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				if r.final == nil {
					t.Fatal("event channel closed without a final event")
				}
				r.text, r.reasoning = text.String(), reasoning.String()
				return r
			}
			r.events++
			switch ev := ev.(type) {
			case Started:
				r.started = &ev
			case Delta:
				text.WriteString(ev.Text)
				reasoning.WriteString(ev.Reasoning)
			case UsageEvent:
				u := ev.Usage
				r.usage = &u
			case Done, Stopped, Failed:
				if r.final != nil {
					t.Fatalf("second final event %#v after %#v", ev, r.final)
				}
				r.final = ev
			}
		case <-timeout:
			t.Fatalf("stream did not end within %s", bound)
		}
	}
}

func newConversation(t *testing.T, st *store.Store) string {
	t.Helper()
	c, err := st.CreateConversation(store.Conversation{})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// oracle computes the expected text, reasoning, usage and finish reason of
// an SSE fixture independently of the engine's parser.
func oracle(t *testing.T, body []byte) (text, reasoning string, usage *Usage, finish string) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "data:") {
			continue
		}
		data := strings.TrimSpace(strings.TrimPrefix(line, "data:"))
		if data == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta        map[string]any `json:"delta"`
				FinishReason string         `json:"finish_reason"`
			} `json:"choices"`
			Usage *struct {
				P int `json:"prompt_tokens"`
				C int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("fixture chunk: %v", err)
		}
		for _, ch := range c.Choices {
			if s, ok := ch.Delta["content"].(string); ok {
				text += s
			}
			if s, ok := ch.Delta["reasoning_content"].(string); ok {
				reasoning += s
			} else if s, ok := ch.Delta["reasoning"].(string); ok {
				reasoning += s
			}
			if ch.FinishReason != "" {
				finish = ch.FinishReason
			}
		}
		if c.Usage != nil {
			usage = &Usage{PromptTokens: c.Usage.P, CompletionTokens: c.Usage.C}
		}
	}
	return
}

func TestFixtureStreams(t *testing.T) {
	tests := []struct {
		file          string
		wantText      string // exact, when short enough to state
		wantReasonPfx string
		wantUsage     *Usage
		wantFinish    string
	}{
		{file: "openai_stream_include_usage.sse", wantText: "1, 2, 3, 4, 5", wantUsage: &Usage{PromptTokens: 14, CompletionTokens: 13}, wantFinish: "stop"},
		{file: "azure_stream_prompt_filter_results.DERIVED.sse", wantText: "Capital of Denmark.", wantUsage: &Usage{PromptTokens: 15, CompletionTokens: 78}, wantFinish: "stop"},
		{file: "deepseek_reasoner_stream_reasoning_content.sse", wantText: "Hello there! 😊 How can I help you today?", wantReasonPfx: "Hmm, the user just said \"Hello\".", wantUsage: &Usage{PromptTokens: 6, CompletionTokens: 212}, wantFinish: "stop"},
		{file: "deepseek_chat_finish_length.DERIVED.sse", wantUsage: &Usage{PromptTokens: 13, CompletionTokens: 400}, wantFinish: "length"},
		{file: "openai_stream_long_text.sse", wantUsage: &Usage{PromptTokens: 19, CompletionTokens: 82}, wantFinish: "stop"},
		{file: "openrouter_stream_processing_comment_usage_cost.sse", wantText: "test response", wantUsage: &Usage{PromptTokens: 586, CompletionTokens: 3}, wantFinish: "stop"},
		{file: "gemini_openai_compat_stream.sse", wantText: "Hello there! How can I help you today?\n", wantUsage: &Usage{PromptTokens: 3, CompletionTokens: 11}, wantFinish: "stop"},
		{file: "ollama_v1_stream_include_usage.sse", wantFinish: "stop"},
		{file: "openai_stream_gpt4o_usage_obfuscation.sse", wantText: "Hello! How can I assist you today?", wantUsage: &Usage{PromptTokens: 10, CompletionTokens: 9}, wantFinish: "stop"},
		// A tool call (deskchat sends no tools): no text, the finish reason
		// and usage still arrive, the arguments do not leak into the text.
		{file: "openai_stream_tool_calls_usage.sse", wantUsage: &Usage{PromptTokens: 53, CompletionTokens: 15}, wantFinish: "tool_calls"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			wantText, wantReasoning, oracleUsage, oracleFinish := oracle(t, body)
			if tt.wantText != "" && wantText != tt.wantText {
				t.Fatalf("oracle text %q, fixture expectation %q", wantText, tt.wantText)
			}
			if !strings.HasPrefix(wantReasoning, tt.wantReasonPfx) {
				t.Fatalf("oracle reasoning %q", wantReasoning)
			}
			if fmt.Sprint(oracleUsage) != fmt.Sprint(tt.wantUsage) || oracleFinish != tt.wantFinish {
				t.Fatalf("oracle usage %v finish %q", oracleUsage, oracleFinish)
			}

			srv, j := sseServer(t, body)
			st := openStore(t)
			e := New(st, Options{})
			conv := newConversation(t, st)
			events, err := e.Send(context.Background(), conv, "Hello", SendOptions{Endpoint: endpoint(srv.URL)})
			if err != nil {
				t.Fatal(err)
			}
			r := drain(t, events)
			done, ok := r.final.(Done)
			if !ok {
				t.Fatalf("final event %#v, want Done", r.final)
			}
			if r.text != wantText {
				t.Errorf("text\n got %q\nwant %q", r.text, wantText)
			}
			if r.reasoning != wantReasoning {
				t.Errorf("reasoning\n got %q\nwant %q", r.reasoning, wantReasoning)
			}
			if fmt.Sprint(r.usage) != fmt.Sprint(tt.wantUsage) {
				t.Errorf("usage %v, want %v", r.usage, tt.wantUsage)
			}
			if done.Finish != tt.wantFinish {
				t.Errorf("finish %q, want %q", done.Finish, tt.wantFinish)
			}

			msgs, err := st.Messages(conv)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 2 || msgs[0].Role != store.RoleUser || msgs[0].Content != "Hello" {
				t.Fatalf("stored %+v", msgs)
			}
			a := msgs[1]
			if a.State != store.StateDone || a.Content != wantText || a.Reasoning != wantReasoning || a.Finish != tt.wantFinish {
				t.Errorf("stored answer state=%s finish=%s content=%q reasoning=%d bytes", a.State, a.Finish, a.Content, len(a.Reasoning))
			}
			if tt.wantUsage != nil && (a.PromptTokens != tt.wantUsage.PromptTokens || a.OutputTokens != tt.wantUsage.CompletionTokens) {
				t.Errorf("stored usage %d/%d", a.PromptTokens, a.OutputTokens)
			}
			if a.Provider != "test" || a.Model != "m" {
				t.Errorf("stored provider %q model %q", a.Provider, a.Model)
			}
			req := j.last()
			if req["model"] != "m" || req["stream"] != true {
				t.Errorf("request %v", req)
			}
			msgsSent, _ := req["messages"].([]any)
			if len(msgsSent) != 1 {
				t.Errorf("request messages %v", msgsSent)
			}
		})
	}
}

// blockingServer sends the given chunks, then holds the stream open until the
// client goes away, reporting when it noticed.
func blockingServer(t *testing.T, chunks ...string) (srv *httptest.Server, hangup <-chan time.Time) {
	t.Helper()
	gone := make(chan time.Time, 1)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, c := range chunks {
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", c)
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		gone <- time.Now()
	}))
	t.Cleanup(srv.Close)
	return srv, gone
}

func TestCancelMidStreamKeepsPartialText(t *testing.T) {
	srv, hangup := blockingServer(t, "Hello", ", wor")
	st := openStore(t)
	e := New(st, Options{})
	conv := newConversation(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := e.Send(ctx, conv, "hi", SendOptions{Endpoint: endpoint(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for got != "Hello, wor" {
		ev := <-events
		if d, ok := ev.(Delta); ok {
			got += d.Text
		}
	}
	cancelled := time.Now()
	cancel()
	select {
	case at := <-hangup:
		if d := at.Sub(cancelled); d > 100*time.Millisecond {
			t.Errorf("server saw the stream closed %v after cancel; want ≤ 100 ms", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the HTTP stream was not closed after cancel")
	}
	r := drain(t, events)
	if _, ok := r.final.(Stopped); !ok {
		t.Fatalf("final %#v, want Stopped", r.final)
	}
	msgs, _ := st.Messages(conv)
	if len(msgs) != 2 || msgs[1].State != store.StateStopped || msgs[1].Content != "Hello, wor" {
		t.Fatalf("stored %+v", msgs)
	}
}

func TestStreamedTextIsFlushedWhileProviderIsSilent(t *testing.T) {
	srv, _ := blockingServer(t, "partial answer")
	st := openStore(t)
	flushed := make(chan store.Message, 16)
	e := New(st, Options{flushInterval: 20 * time.Millisecond})
	e.afterFlush = func(m store.Message) { flushed <- m }
	conv := newConversation(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	events, err := e.Send(ctx, conv, "hi", SendOptions{Endpoint: endpoint(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range events {
		}
	}()
	// The server sends nothing more, so only the timer can cause this flush.
	select {
	case m := <-flushed:
		if m.Content != "partial answer" {
			t.Fatalf("flushed %q", m.Content)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no flush while the provider was silent")
	}
	msgs, _ := st.Messages(conv)
	if msgs[1].State != store.StateStreaming || msgs[1].Content != "partial answer" {
		t.Fatalf("stored mid-stream %+v", msgs[1])
	}
	cancel()
}

func TestOneHTTPClientPerProviderReusesConnections(t *testing.T) {
	body, _ := os.ReadFile("testdata/openai_stream_include_usage.sse")
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(body)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	st := openStore(t)
	if err := st.PutProvider(store.Provider{Name: "local", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "m"}); err != nil {
		t.Fatal(err)
	}
	e := New(st, Options{})
	conv := newConversation(t, st)
	for i := 0; i < 3; i++ {
		events, err := e.Send(context.Background(), conv, "again", SendOptions{Provider: "local"})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := drain(t, events).final.(Done); !ok {
			t.Fatal("not done")
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 3 sequential requests; want 1 (client reused)", n)
	}
	if len(e.clients) != 1 {
		t.Errorf("%d http clients, want 1", len(e.clients))
	}
	// The whole history goes with each request.
	msgs, _ := st.Messages(conv)
	if len(msgs) != 6 {
		t.Fatalf("%d messages stored, want 6", len(msgs))
	}
}

func TestBadInputGivesOneSentenceAndKeepsTheStoreConsistent(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String() + "/v1"
	dead.Close()

	notFound, _ := os.ReadFile("testdata/openai_404_model_not_found.json")
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		url         string
		wantInMsg   string
		wantKind    ErrorKind
		wantPartial string
	}{
		{name: "unreachable", url: deadURL, wantInMsg: "Nothing is listening at 127.0.0.1", wantKind: llm.KindConnection},
		{name: "401", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			w.Write([]byte(`{"error":{"message":"Incorrect API key provided: sk-abc***","type":"invalid_request_error","code":"invalid_api_key"}}`))
		}, wantInMsg: "The API key for test was rejected", wantKind: llm.KindAuth},
		{name: "404 model", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(404)
			w.Write(notFound)
		}, wantInMsg: `no model called "m"`, wantKind: llm.KindNotFound},
		{name: "403", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(403)
			w.Write([]byte(`{"error":{"message":"Project proj_x does not have access to model m","type":"invalid_request_error","code":"model_not_found"}}`))
		}, wantInMsg: "The API key for test was rejected", wantKind: llm.KindAuth},
		{name: "context length", handler: func(w http.ResponseWriter, r *http.Request) {
			// OpenAI's wording of this error (not a recording).
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			w.Write([]byte(`{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9012 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`))
		}, wantInMsg: "The conversation is too long for m's context window.", wantKind: llm.KindContextLength},
		{name: "recorded 400 unsupported value", handler: recorded("openai_400_unsupported_value", 400),
			wantInMsg: "test refused the request (HTTP 400). It said: Unsupported value: 'messages[0].role' does not support 'system' with this model.", wantKind: llm.KindBadRequest},
		{name: "recorded 400 unsupported parameter", handler: recorded("openai_400_unsupported_parameter_max_tokens", 400),
			wantInMsg: "It said: Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", wantKind: llm.KindBadRequest},
		{name: "recorded openrouter 429 from upstream", handler: recorded("openrouter_429_provider_returned_error", 429),
			wantInMsg: "test is limiting requests (429). Wait a moment and try again. It said: Provider returned error: google/gemini-2.0-flash-exp:free is temporarily rate-limited upstream.", wantKind: llm.KindRateLimited},
		{name: "html instead of json", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			w.Write([]byte("<html><body>Bad gateway</body></html>"))
		}, wantInMsg: "HTTP 502", wantKind: llm.KindServer},
		{name: "malformed chunk", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"Half an\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"cont\n\ndata: [DONE]\n\n")
		}, wantInMsg: "malformed", wantKind: llm.KindMalformed, wantPartial: "Half an"},
		{name: "stream cut without DONE", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"Cut off\"}}]}\n\n")
		}, wantInMsg: "closed the connection before the answer was complete", wantKind: llm.KindIncomplete, wantPartial: "Cut off"},
		{name: "groq event error", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"Par\"}}]}\n\nevent: error\ndata: {\"error\":{\"message\":\"Service Unavailable\",\"type\":\"internal_server_error\"}}\n\n")
		}, wantInMsg: "test reported an error: Service Unavailable", wantKind: llm.KindStreamError, wantPartial: "Par"},
		{name: "openrouter error chunk", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, ": OPENROUTER PROCESSING\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"Ok\"},\"finish_reason\":\"error\"}],\"error\":{\"code\":502,\"message\":\"Provider disconnected\"}}\n\ndata: [DONE]\n\n")
		}, wantInMsg: "test reported an error: Provider disconnected", wantKind: llm.KindStreamError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if tt.handler != nil {
				srv := httptest.NewServer(tt.handler)
				defer srv.Close()
				url = srv.URL
			}
			st := openStore(t)
			e, _ := fakeClockEngine(st) // retryable failures retry without waiting
			conv := newConversation(t, st)
			events, err := e.Send(context.Background(), conv, "question", SendOptions{Endpoint: endpoint(url)})
			if err != nil {
				t.Fatal(err)
			}
			r := drain(t, events)
			f, ok := r.final.(Failed)
			if !ok {
				t.Fatalf("final %#v, want Failed", r.final)
			}
			if !strings.Contains(f.Sentence, tt.wantInMsg) {
				t.Errorf("sentence %q does not contain %q", f.Sentence, tt.wantInMsg)
			}
			if strings.Contains(f.Sentence, "sk-abc") || strings.Contains(f.Sentence, "error, ") || strings.Contains(f.Sentence, "dial tcp") {
				t.Errorf("sentence leaks internals: %q", f.Sentence)
			}
			var pe *ProviderError
			if !errors.As(f.Err, &pe) || pe.Kind != tt.wantKind {
				t.Errorf("error %v, want kind %s", f.Err, tt.wantKind)
			}
			msgs, err := st.Messages(conv)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 2 || msgs[0].Content != "question" {
				t.Fatalf("stored %+v", msgs)
			}
			if a := msgs[1]; a.State != store.StateFailed || a.Error != f.Sentence || a.Content != tt.wantPartial {
				t.Errorf("stored answer state=%s error=%q content=%q", a.State, a.Error, a.Content)
			}
		})
	}
}

// recorded replays a recorded error response from testdata/errors (copies of
// ../shared/fixtures/errors): its body, and its headers when they were
// recorded.
func recorded(name string, status int) http.HandlerFunc {
	body, err := os.ReadFile(filepath.Join("testdata", "errors", name+".json"))
	if err != nil {
		panic(err)
	}
	header := http.Header{}
	if raw, err := os.ReadFile(filepath.Join("testdata", "errors", name+".headers.txt")); err == nil {
		lines := strings.Split(string(raw), "\n")
		for _, l := range lines[1:] { // the first line is the status line
			k, v, ok := strings.Cut(l, ":")
			switch k = strings.TrimSpace(k); {
			case !ok, strings.EqualFold(k, "Content-Length"), strings.EqualFold(k, "Transfer-Encoding"), strings.EqualFold(k, "Connection"):
				continue
			}
			header.Add(k, strings.TrimSpace(v))
		}
	}
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}
}

func TestARecorded429IsWaitedOutAsItsHeadersSay(t *testing.T) {
	// OpenRouter's X-Ratelimit-Reset is epoch milliseconds, 26 s after the
	// recording's Date header: the wait is measured on the server's clock.
	srv, n := scriptServer(t, recorded("openrouter_429_ratelimit_headers", 429), answer("ok"))
	st := openStore(t)
	e, ft := fakeClockEngine(st)
	events, err := e.Send(context.Background(), newConversation(t, st), "q", SendOptions{Endpoint: endpoint(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	retries, r := collectRetries(t, events)
	if _, ok := r.final.(Done); !ok || r.text != "ok" || n.Load() != 2 {
		t.Fatalf("%#v %q after %d requests", r.final, r.text, n.Load())
	}
	if len(retries) != 1 || retries[0].After != 26*time.Second || retries[0].Reason != "429 rate limited" {
		t.Errorf("retries %+v", retries)
	}
	if w := ft.recorded(); len(w) != 1 || w[0] != 26*time.Second {
		t.Errorf("waited %v", w)
	}
}

func TestHundredsOfCommentLinesBeforeTheFirstToken(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 800; i++ {
		b.WriteString(": OPENROUTER PROCESSING\n\n")
	}
	b.WriteString("data: {\"choices\":[{\"delta\":{\"content\":\"late\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	srv, _ := sseServer(t, []byte(b.String()))
	st := openStore(t)
	events, err := New(st, Options{}).Send(context.Background(), newConversation(t, st), "x", SendOptions{Endpoint: endpoint(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, events)
	if _, ok := r.final.(Done); !ok || r.text != "late" {
		t.Fatalf("final %#v text %q", r.final, r.text)
	}
}

func TestConfigErrorsStoreNothing(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{Getenv: func(string) string { return "" }})
	conv := newConversation(t, st)
	if err := st.PutProvider(store.Provider{Name: "OpenAI", Kind: store.KindOpenAI, Model: "gpt-4o-mini"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		opts SendOptions
		want string
	}{
		{SendOptions{}, "No provider is set up"},
		{SendOptions{Provider: "OpenAI"}, "OpenAI needs an API key: set OPENAI_API_KEY"},
		{SendOptions{Provider: "nope"}, `There is no provider called "nope"`},
	}
	for _, c := range cases {
		_, err := e.Send(context.Background(), conv, "hello", c.opts)
		if err == nil {
			t.Fatalf("%+v: no error", c.opts)
		}
		msg := UserMessage(err)
		var se *store.Error
		if errors.As(err, &se) {
			msg = store.UserMessage(err)
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("%+v: %q, want %q", c.opts, msg, c.want)
		}
	}
	if msgs, _ := st.Messages(conv); len(msgs) != 0 {
		t.Errorf("config errors stored %d messages", len(msgs))
	}
}

func TestSimulatorStreamsItsMarkdown(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{Simulator: Simulator{Tokens: 500}})
	conv := newConversation(t, st)
	events, err := e.Send(context.Background(), conv, "tables please", SendOptions{Provider: SimulatorName})
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, events)
	want := SimulatedMarkdown("tables please", 500)
	if r.text != want {
		t.Fatalf("simulator text differs from SimulatedMarkdown")
	}
	for _, part := range []string{"## Part", "```go", "| step |", "- ", "1. "} {
		if !strings.Contains(want, part) {
			t.Errorf("simulated markdown lacks %q", part)
		}
	}
	if n := len(simulator.Tokenize(want)); n < 500 || n > 700 {
		t.Errorf("%d tokens, want about 500", n)
	}
	if strings.Join(simulator.Tokenize(want), "") != want {
		t.Error("Tokenize loses text")
	}
	conv2, _ := st.Conversation(conv)
	if conv2.Provider != SimulatorName || conv2.Title != "tables please" {
		t.Errorf("conversation %+v", conv2)
	}
}

func TestSimulatorStopsOnCancel(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{Simulator: Simulator{TokensPerSecond: 1000, Tokens: 100000}})
	conv := newConversation(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := e.Send(ctx, conv, "long", SendOptions{Provider: SimulatorName})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range events {
		if _, ok := ev.(Delta); ok {
			cancel()
			break
		}
	}
	r := drain(t, events)
	if _, ok := r.final.(Stopped); !ok {
		t.Fatalf("final %#v", r.final)
	}
	msgs, _ := st.Messages(conv)
	full := SimulatedMarkdown("long", 100000)
	if msgs[1].State != store.StateStopped || msgs[1].Content == "" || !strings.HasPrefix(full, msgs[1].Content) || len(msgs[1].Content) >= len(full) {
		t.Fatalf("stopped answer %q (%s)", msgs[1].Content, msgs[1].State)
	}
}

// A caller that stops is shown exactly the text that is stored: no Delta
// taken from the stream is dropped on the way because the caller left.
func TestAStoppedCallerWasShownWhatIsStored(t *testing.T) {
	// An answer that never ends, a chunk per write.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; r.Context().Err() == nil; i++ {
			if _, err := fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":\" w%d\"}}]}\n\n", i); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	st := openStore(t)
	e := New(st, Options{})
	for round := 0; round < 5; round++ { // each catches a dropped Delta half the time
		conv := newConversation(t, st)
		ctx, cancel := context.WithCancel(context.Background())
		events, err := e.Send(ctx, conv, fmt.Sprint("go on ", round), SendOptions{Endpoint: endpoint(srv.URL), NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		// The caller falls behind until its events fill the channel (the
		// engine then waits with text in hand), and stops.
		for len(events) < cap(events) {
			runtime.Gosched()
		}
		cancel()
		r := drain(t, events)
		shown := r.text
		if _, ok := r.final.(Stopped); !ok {
			t.Fatalf("round %d: final %#v", round, r.final)
		}
		msgs, _ := st.Messages(conv)
		if got := msgs[len(msgs)-1].Content; got != shown {
			t.Fatalf("round %d: stored %d bytes, shown %d", round, len(got), len(shown))
		}
	}
}
