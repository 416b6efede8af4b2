package openai

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// replay is a provider that answers every request with body (as
// contentType) and keeps the request bodies it got.
type replay struct {
	*httptest.Server
	bodies chan []byte
}

func newReplay(t *testing.T, contentType string, body []byte) *replay {
	t.Helper()
	r := &replay{bodies: make(chan []byte, 16)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.bodies <- b
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}))
	t.Cleanup(r.Close)
	return r
}

func replayFile(t *testing.T, name string) *replay {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "tools", name))
	if err != nil {
		t.Fatal(err)
	}
	ct := "text/event-stream"
	if strings.HasSuffix(name, ".json") {
		ct = "application/json"
	}
	return newReplay(t, ct, body)
}

// collected is what a stream gave: its chunks' text, the chunks that
// carried tool calls, the last finish and usage, and its error.
type collected struct {
	text, reasoning string
	calls           [][]llm.ToolCall
	finish          string
	usage           *llm.Usage
	err             error
}

func collect(t *testing.T, s llm.Stream) collected {
	t.Helper()
	var c collected
	for s.Next() {
		ch := s.Current()
		c.text += ch.Text
		c.reasoning += ch.Reasoning
		if ch.ToolCalls != nil {
			c.calls = append(c.calls, ch.ToolCalls)
		}
		if ch.Finish != "" {
			c.finish = ch.Finish
		}
		if ch.Usage != nil {
			c.usage = ch.Usage
		}
	}
	c.err = s.Err()
	s.Close()
	return c
}

func streamFrom(t *testing.T, r *replay, kind string, req llm.Request) collected {
	t.Helper()
	p := store.Provider{Name: "P", Kind: kind, BaseURL: r.URL + "/v1", Model: req.Model}
	s, err := New(p, "", NewHTTPClient(1)).Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return collect(t, s)
}

func ask(q string, tools ...llm.Tool) llm.Request {
	return llm.Request{Model: "m", Messages: []llm.ChatMessage{{Role: llm.RoleUser, Content: q}}, Tools: tools}
}

// Every recorded tool-call stream (testdata/tools, copies of
// ../shared/fixtures/sse/*) gives its calls whole, once, in index order.
func TestRecordedToolCallStreams(t *testing.T) {
	weather := func(id, city string) llm.ToolCall {
		return llm.ToolCall{ID: id, Name: "get_current_weather", Arguments: `{"location": "` + city + `"}`}
	}
	for _, c := range []struct {
		file   string
		want   []llm.ToolCall
		finish string
		usage  *llm.Usage
		reason bool // the answer reasoned first
	}{
		{"openai_stream_parallel_tool_calls.sse", []llm.ToolCall{
			weather("call_u0T52evs3Y0byXDiUv5Al8dG", "San Francisco"), weather("call_iXfR9wmFaDTHUw5YaVxD1uFH", "Boston")}, "tool_calls", nil, false},
		{"openai_stream_tool_calls_usage.sse", []llm.ToolCall{
			{ID: "call_ZR5UUuTt3pf61kjwAJIYdVMj", Name: "get_capital", Arguments: `{"country":"UK"}`}}, "tool_calls", &llm.Usage{PromptTokens: 53, CompletionTokens: 15}, false},
		{"azure_stream_tool_call.sse", []llm.ToolCall{
			{ID: "call_A6XpaIHt5uNwiDqVxyvKoXMa", Name: "get_current_temperature", Arguments: `{"city":"San Francisco"}`}}, "tool_calls", &llm.Usage{PromptTokens: 66, CompletionTokens: 17}, false},
		{"groq_stream_tool_call_one_chunk.sse", []llm.ToolCall{
			{ID: "fc_bfb39741-3748-4def-9886-a93fc9c64a90", Name: "get_something_by_name", Arguments: `{"name":"example"}`}}, "tool_calls", &llm.Usage{PromptTokens: 304, CompletionTokens: 49}, true},
		{"deepseek_stream_tool_call.DERIVED.sse", []llm.ToolCall{
			{ID: "call_00_ioIn7yN9p1ZOMNpDLwd4MgAF", Name: "weather", Arguments: `{"location": "San Francisco"}`}}, "tool_calls", &llm.Usage{PromptTokens: 339, CompletionTokens: 83}, true},
		{"openrouter_stream_tool_call.DERIVED.sse", []llm.ToolCall{
			{ID: "call_wdaXwSGMbg8S9J8boDbTxFok", Name: "get_weather", Arguments: `{"city":"New York"}`}}, "tool_calls", &llm.Usage{PromptTokens: 50, CompletionTokens: 16}, false},
		{"ollama_v1_stream_two_tool_calls.DERIVED.sse", []llm.ToolCall{
			{ID: "call_809l7n8f", Name: "run_command", Arguments: `{"command":"ls -la"}`},
			{ID: "call_oqp1e2a1", Name: "run_command", Arguments: `{"command":"ls -la","cwd":"/path/to/directory"}`}}, "tool_calls", nil, false},
		// Gemini's compatible endpoint, not streaming, an empty id: a
		// stable one is made.
		{"gemini_openai_compat_nonstream_tool_call_empty_id.json", []llm.ToolCall{
			{ID: "call_0", Name: "get_current_time", Arguments: `{}`}}, "tool_calls", &llm.Usage{PromptTokens: 35, CompletionTokens: 12}, false},
	} {
		t.Run(c.file, func(t *testing.T) {
			got := streamFrom(t, replayFile(t, c.file), store.KindCompatible, ask("q"))
			if got.err != nil {
				t.Fatalf("error %v", got.err)
			}
			if len(got.calls) != 1 || !reflect.DeepEqual(got.calls[0], c.want) {
				t.Fatalf("calls %+v, want once %+v", got.calls, c.want)
			}
			if got.finish != c.finish || !reflect.DeepEqual(got.usage, c.usage) {
				t.Fatalf("finish %q usage %+v, want %q %+v", got.finish, got.usage, c.finish, c.usage)
			}
			if (got.reasoning != "") != c.reason || got.text != "" {
				t.Fatalf("text %q, reasoning %q", got.text, got.reasoning)
			}
		})
	}
}

// The calls arrive on the chunk that finishes the answer, with its finish
// reason: the engine reads them where it reads the finish.
func TestToolCallsComeWithTheFinish(t *testing.T) {
	r := replayFile(t, "ollama_v1_stream_two_tool_calls.DERIVED.sse")
	p := store.Provider{Name: "Ollama", Kind: store.KindCompatible, BaseURL: r.URL + "/v1"}
	s, err := New(p, "", NewHTTPClient(1)).Stream(context.Background(), ask("q"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for s.Next() {
		ch := s.Current()
		if (ch.ToolCalls != nil) != (ch.Finish == "tool_calls") {
			t.Fatalf("chunk %+v: calls and finish apart", ch)
		}
	}
}

// Groq's `event: error` with tool_use_failed (a 200 stream that ends in an
// error object, no [DONE]) is the model's slip, classified apart with
// Groq's words.
func TestGroqToolUseFailed(t *testing.T) {
	got := streamFrom(t, replayFile(t, "groq_stream_error_event_tool_use_failed.sse"), store.KindCompatible, ask("q"))
	var pe *llm.ProviderError
	if !errors.As(got.err, &pe) || pe.Kind != llm.KindToolCall {
		t.Fatalf("error %v, want a %s ProviderError", got.err, llm.KindToolCall)
	}
	for _, want := range []string{"tool_use_failed", "did not match schema", "It said"} {
		if !strings.Contains(pe.Sentence, want) {
			t.Errorf("sentence %q lacks %q", pe.Sentence, want)
		}
	}
	if got.reasoning == "" || got.calls != nil {
		t.Fatalf("reasoning %q calls %+v", got.reasoning, got.calls)
	}
}

// Groq sends tool_use_failed as an HTTP 400 too, when it does not stream
// (the body is the error object of the recorded stream).
func TestGroqToolUseFailedAsAStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"Tool call validation failed: parameters for tool get_something_by_name did not match schema","type":"invalid_request_error","code":"tool_use_failed","failed_generation":"{}"}}`)
	}))
	defer srv.Close()
	p := store.Provider{Name: "Groq", Kind: store.KindCompatible, BaseURL: srv.URL + "/v1"}
	_, err := New(p, "", NewHTTPClient(1)).Stream(context.Background(), ask("q", llm.Tool{Name: "get_something_by_name"}))
	var pe *llm.ProviderError
	if !errors.As(err, &pe) || pe.Kind != llm.KindToolCall || pe.Status != 400 || !strings.Contains(pe.Sentence, "did not match schema") {
		t.Fatalf("error %#v", err)
	}
}

// An error object in a stream with another code still reads as before.
func TestOtherStreamErrorsUnchanged(t *testing.T) {
	r := newReplay(t, "text/event-stream", []byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\nevent: error\ndata: {\"error\":{\"message\":\"overloaded\",\"code\":\"server_busy\"}}\n\n"))
	got := streamFrom(t, r, store.KindCompatible, ask("q"))
	var pe *llm.ProviderError
	if !errors.As(got.err, &pe) || pe.Kind != llm.KindStreamError || pe.Sentence != "P reported an error: overloaded" {
		t.Fatalf("error %#v", got.err)
	}
}

// recordedRequest reads a recorded request (testdata/tools) as the
// llm.Request that should make it, and its messages and tools as JSON
// values. An empty "description" and "strict" are left out of the values:
// llm.Tool has no strictness, and an empty description is sent as none.
func recordedRequest(t *testing.T, name string) (llm.Request, any, any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "tools", name))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Messages []struct {
			Role      string `json:"role"`
			Content   string `json:"content"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Function struct{ Name, Arguments string }
			} `json:"tool_calls"`
			ToolCallID string `json:"tool_call_id"`
		} `json:"messages"`
		Tools []struct {
			Function struct {
				Name        string          `json:"name"`
				Description string          `json:"description"`
				Parameters  json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	req := llm.Request{Model: "m"}
	for _, m := range rec.Messages {
		cm := llm.ChatMessage{Role: llm.Role(m.Role), Content: m.Content, ToolCallID: m.ToolCallID}
		for _, c := range m.ToolCalls {
			cm.ToolCalls = append(cm.ToolCalls, llm.ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments})
		}
		req.Messages = append(req.Messages, cm)
	}
	for _, tl := range rec.Tools {
		req.Tools = append(req.Tools, llm.Tool{Name: tl.Function.Name, Description: tl.Function.Description, Parameters: tl.Function.Parameters})
	}
	var v map[string]any
	json.Unmarshal(b, &v)
	for _, tl := range v["tools"].([]any) {
		fn := tl.(map[string]any)["function"].(map[string]any)
		delete(fn, "strict")
		if fn["description"] == "" {
			delete(fn, "description")
		}
	}
	return req, v["messages"], v["tools"]
}

// The requests recorded with tools (OpenAI, Azure, Azure's follow-up with
// three results, Groq's follow-up with a tool's error, Ollama, Gemini) are
// what the adapter sends for the same conversation: tools of type function
// with their schema, the assistant's tool_calls with "content": "" when it
// said nothing, and tool messages naming their call.
func TestRecordedToolRequests(t *testing.T) {
	for _, name := range []string{
		"openai_stream_parallel_tool_calls.request.json",
		"openai_stream_tool_calls_usage.request.json",
		"azure_stream_tool_call.request.json",
		"azure_followup_three_tool_results.request.json",
		"groq_stream_tool_call_one_chunk.request.DERIVED.json",
		"ollama_v1_stream_two_tool_calls.request.DERIVED.json",
		"gemini_openai_compat_nonstream_tool_call_empty_id.request.json",
	} {
		t.Run(name, func(t *testing.T) {
			req, msgs, tools := recordedRequest(t, name)
			for _, kind := range []string{store.KindCompatible, store.KindAzure} {
				r := replayFile(t, "openai_stream_tool_calls_usage.sse")
				if got := streamFrom(t, r, kind, req); got.err != nil {
					t.Fatal(got.err)
				}
				var sent map[string]any
				if err := json.Unmarshal(<-r.bodies, &sent); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(sent["messages"], msgs) {
					t.Errorf("%s: messages\n got %v\nwant %v", kind, sent["messages"], msgs)
				}
				if !reflect.DeepEqual(sent["tools"], tools) {
					t.Errorf("%s: tools\n got %v\nwant %v", kind, sent["tools"], tools)
				}
			}
		})
	}
}

// A request without tools has no "tools" field at all, and its bytes are
// what they were before tools existed.
func TestNoToolsNoField(t *testing.T) {
	r := replayFile(t, "openai_stream_tool_calls_usage.sse")
	streamFrom(t, r, store.KindCompatible, ask("hi"))
	if got, want := string(<-r.bodies), `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`; got != want {
		t.Fatalf("body %s\nwant %s", got, want)
	}
}

// The edge cases of the tool conversation's wire form: an empty result is
// still a content, a call without arguments sends "{}", a schema of none
// is an empty object, and a schema that is not JSON is refused with a
// sentence before anything is sent.
func TestToolWireEdges(t *testing.T) {
	r := replayFile(t, "openai_stream_tool_calls_usage.sse")
	req := llm.Request{Model: "m", Tools: []llm.Tool{{Name: "now"}}, Messages: []llm.ChatMessage{
		{Role: llm.RoleUser, Content: `say {"role":"assistant"}`},
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "a", Name: "now"}}},
		{Role: llm.RoleTool, ToolCallID: "a"},
		{Role: llm.RoleAssistant, Content: "again", ToolCalls: []llm.ToolCall{{ID: "b", Name: "now", Arguments: "{}"}}},
		{Role: llm.RoleTool, ToolCallID: "b", Content: "12:00"},
	}}
	if got := streamFrom(t, r, store.KindCompatible, req); got.err != nil {
		t.Fatal(got.err)
	}
	body := <-r.bodies
	want := `{"model":"m","messages":[{"role":"user","content":"say {\"role\":\"assistant\"}"},` +
		`{"role":"assistant","content":"","tool_calls":[{"id":"a","type":"function","function":{"name":"now","arguments":"{}"}}]},` +
		`{"role":"tool","content":"","tool_call_id":"a"},` +
		`{"role":"assistant","content":"again","tool_calls":[{"id":"b","type":"function","function":{"name":"now","arguments":"{}"}}]},` +
		`{"role":"tool","content":"12:00","tool_call_id":"b"}],` +
		`"stream":true,"tools":[{"function":{"name":"now","parameters":{"type":"object","properties":{}}},"type":"function"}],"stream_options":{"include_usage":true}}`
	if string(body) != want {
		t.Fatalf("body\n %s\nwant\n %s", body, want)
	}

	p := store.Provider{Name: "P", Kind: store.KindCompatible, BaseURL: r.URL + "/v1"}
	_, err := New(p, "", NewHTTPClient(1)).Stream(context.Background(), llm.Request{Model: "m", Messages: req.Messages[:1],
		Tools: []llm.Tool{{Name: "bad", Parameters: json.RawMessage(`{"type":`)}}})
	var pe *llm.ProviderError
	if !errors.As(err, &pe) || pe.Kind != llm.KindConfig || !strings.Contains(pe.Sentence, "The tool bad") {
		t.Fatalf("error %v", err)
	}
	select {
	case b := <-r.bodies:
		t.Fatalf("sent %s", b)
	default:
	}
}
