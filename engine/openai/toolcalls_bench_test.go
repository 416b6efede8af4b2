package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// bodyRT answers every request with body as an event stream, without a
// network: what is measured is the adapter's reading.
type bodyRT struct{ body []byte }

func (r bodyRT) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: io.NopCloser(bytes.NewReader(r.body)), Request: req}, nil
}

// asText is stream with each tool call delta's arguments made the text of
// the delta instead: the same chunks, the same bytes to read, no calls.
func asText(t testing.TB, stream []byte) []byte {
	var out bytes.Buffer
	for _, line := range strings.Split(string(stream), "\n") {
		payload, ok := strings.CutPrefix(line, "data: ")
		if !ok || payload == "[DONE]" {
			out.WriteString(line + "\n")
			continue
		}
		var c map[string]any
		if err := json.Unmarshal([]byte(payload), &c); err != nil {
			t.Fatal(err)
		}
		for _, ch := range c["choices"].([]any) {
			ch := ch.(map[string]any)
			if ch["finish_reason"] == "tool_calls" {
				ch["finish_reason"] = "stop"
			}
			d := ch["delta"].(map[string]any)
			if calls, ok := d["tool_calls"].([]any); ok {
				delete(d, "tool_calls")
				d["content"] = calls[0].(map[string]any)["function"].(map[string]any)["arguments"]
			}
		}
		b, _ := json.Marshal(c)
		out.WriteString("data: " + string(b) + "\n")
	}
	return out.Bytes()
}

// BenchmarkToolCallAssembly reads the recorded OpenAI stream of two
// parallel calls (testdata/tools/openai_stream_parallel_tool_calls.sse)
// to its calls: tool_call_assembly_us, the median of 200 reads, beside
// its floor text_stream_same_chunks_us, the same stream with the
// arguments as text.
func BenchmarkToolCallAssembly(b *testing.B) {
	stream, err := os.ReadFile(filepath.Join("testdata", "tools", "openai_stream_parallel_tool_calls.sse"))
	if err != nil {
		b.Fatal(err)
	}
	read := func(body []byte, wantCalls int) time.Duration {
		a := New(store.Provider{Name: "P", Kind: store.KindCompatible, BaseURL: "http://bench/v1"}, "", &http.Client{Transport: &transport{base: bodyRT{body}}})
		t0 := time.Now()
		s, err := a.Stream(context.Background(), llm.Request{Model: "m", Messages: []llm.ChatMessage{{Role: llm.RoleUser, Content: "q"}}})
		if err != nil {
			b.Fatal(err)
		}
		calls := 0
		for s.Next() {
			calls += len(s.Current().ToolCalls)
		}
		took := time.Since(t0)
		if s.Err() != nil || calls != wantCalls {
			b.Fatalf("%d calls, %v", calls, s.Err())
		}
		s.Close()
		return took
	}
	text := asText(b, stream)
	var tools, floor []time.Duration
	for range b.N {
		for range 200 {
			tools = append(tools, read(stream, 2))
			floor = append(floor, read(text, 0))
		}
	}
	med := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Nanoseconds()) / 1e3
	}
	b.ReportMetric(med(tools), "tool_call_assembly_us@us")
	b.ReportMetric(med(floor), "text_stream_same_chunks_us@us")
}
