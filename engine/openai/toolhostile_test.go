package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// sse frames chunk payloads as an event stream.
func sse(chunks ...string) []byte {
	var b strings.Builder
	for _, c := range chunks {
		b.WriteString("data: " + c + "\n\n")
	}
	return []byte(b.String())
}

// delta is a chunk holding one tool call delta (JSON of its fields).
func delta(fields string) string {
	return `{"choices":[{"index":0,"delta":{"tool_calls":[{` + fields + `}]},"finish_reason":null}]}`
}

const finishChunk = `{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`

func streamSSE(t *testing.T, body []byte) collected {
	t.Helper()
	return streamFrom(t, newReplay(t, "text/event-stream", body), store.KindCompatible, ask("q"))
}

func wantKind(t *testing.T, err error, kind llm.ErrorKind, words string) {
	t.Helper()
	var pe *llm.ProviderError
	if !errors.As(err, &pe) || pe.Kind != kind || !strings.Contains(pe.Sentence, words) {
		t.Fatalf("error %v, want %s saying %q", err, kind, words)
	}
}

func TestToolCallsInterleavedWithGapsComeInIndexOrder(t *testing.T) {
	got := streamSSE(t, sse(
		delta(`"index":5,"id":"c5","type":"function","function":{"name":"five","arguments":"{\"a\""}`),
		delta(`"index":2,"id":"c2","type":"function","function":{"name":"two","arguments":""}`),
		delta(`"index":5,"function":{"arguments":":1}"}`),
		delta(`"index":2,"function":{"arguments":"{}"}`),
		finishChunk, "[DONE]"))
	want := []llm.ToolCall{{ID: "c2", Name: "two", Arguments: "{}"}, {ID: "c5", Name: "five", Arguments: `{"a":1}`}}
	if got.err != nil || len(got.calls) != 1 || !reflect.DeepEqual(got.calls[0], want) {
		t.Fatalf("calls %+v err %v", got.calls, got.err)
	}
}

// Gemini's stream may carry calls with no index and no id, each whole, and
// no finish reason: each named delta is a call of its own; ids are made.
func TestToolCallsWithoutIndexOrID(t *testing.T) {
	got := streamSSE(t, sse(
		delta(`"id":"","type":"function","function":{"name":"a","arguments":"{\"x\":"}`),
		delta(`"function":{"arguments":"1}"}`),
		delta(`"id":"","type":"function","function":{"name":"b","arguments":"{}"}`),
		`{"choices":[{"index":0,"delta":{"content":"ok"}}]}`, "[DONE]"))
	want := []llm.ToolCall{{ID: "call_0", Name: "a", Arguments: `{"x":1}`}, {ID: "call_1", Name: "b", Arguments: "{}"}}
	if got.err != nil || got.text != "ok" || len(got.calls) != 1 || !reflect.DeepEqual(got.calls[0], want) {
		t.Fatalf("calls %+v text %q err %v", got.calls, got.text, got.err)
	}
}

// tool_calls that are not a list stop an answer that offered tools; an
// answer that offered none reads as it did before tools existed.
func TestUnreadableToolCalls(t *testing.T) {
	body := sse(`{"choices":[{"index":0,"delta":{"content":"hi","tool_calls":{"x":1}}}]}`, `{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, "[DONE]")
	got := streamSSE(t, body)
	if got.err != nil || got.text != "hi" || got.finish != "stop" {
		t.Fatalf("no tools: text %q finish %q err %v", got.text, got.finish, got.err)
	}
	got = streamFrom(t, newReplay(t, "text/event-stream", body), store.KindCompatible, ask("q", llm.Tool{Name: "f"}))
	wantKind(t, got.err, llm.KindMalformed, "tool calls deskchat cannot read")
}

// A server that sends the arguments as an object (not JSON text in a
// string) is read too.
func TestToolArgumentsAsAnObject(t *testing.T) {
	got := streamSSE(t, sse(delta(`"index":0,"id":"a","function":{"name":"f","arguments":{"x": [1, 2]}}`), finishChunk, "[DONE]"))
	if got.err != nil || len(got.calls) != 1 || got.calls[0][0].Arguments != `{"x": [1, 2]}` {
		t.Fatalf("calls %+v err %v", got.calls, got.err)
	}
}

// Servers that number every call 0 tell them apart by id.
func TestToolCallsAllNumberedZero(t *testing.T) {
	got := streamSSE(t, sse(
		delta(`"index":0,"id":"x","function":{"name":"a","arguments":"{}"}`),
		delta(`"index":0,"id":"y","function":{"name":"b","arguments":"{"}`),
		delta(`"index":0,"function":{"arguments":"\"k\":"}`),
		delta(`"index":0,"id":"z","function":{"arguments":"1}"}`), // an id but no name: a piece
		finishChunk, "[DONE]"))
	want := []llm.ToolCall{{ID: "x", Name: "a", Arguments: "{}"}, {ID: "y", Name: "b", Arguments: `{"k":1}`}}
	if got.err != nil || len(got.calls) != 1 || !reflect.DeepEqual(got.calls[0], want) {
		t.Fatalf("calls %+v err %v", got.calls, got.err)
	}
}

// A made id never takes one the provider gave.
func TestMadeIDsAreUnique(t *testing.T) {
	got := streamSSE(t, sse(
		delta(`"index":0,"id":"call_1","function":{"name":"a"}`),
		delta(`"index":1,"function":{"name":"b"}`),
		delta(`"index":2,"id":"","function":{"name":"c"}`),
		finishChunk, "[DONE]"))
	if got.err != nil || len(got.calls) != 1 {
		t.Fatalf("calls %+v err %v", got.calls, got.err)
	}
	ids := map[string]bool{}
	for _, c := range got.calls[0] {
		if c.ID == "" || ids[c.ID] {
			t.Fatalf("ids of %+v", got.calls[0])
		}
		ids[c.ID] = true
	}
}

// A stream that ends inside a call (no finish, no [DONE]) hands on what
// was assembled, then says the answer was cut short.
func TestStreamEndingMidCall(t *testing.T) {
	got := streamSSE(t, sse(delta(`"index":0,"id":"a","function":{"name":"f","arguments":"{\"q\": \"hal"}`)))
	if len(got.calls) != 1 || got.calls[0][0].Arguments != `{"q": "hal` {
		t.Fatalf("calls %+v", got.calls)
	}
	wantKind(t, got.err, llm.KindIncomplete, "closed the connection")
}

func TestHostileToolCallStreams(t *testing.T) {
	many := []string{}
	for i := range 10000 {
		many = append(many, delta(fmt.Sprintf(`"index":%d,"id":"c%d","function":{"name":"f","arguments":"{}"}`, i, i)))
	}
	for _, c := range []struct {
		name  string
		body  []byte
		calls int // the calls handed on before the error
		words string
	}{
		{"10,000 calls", sse(append(many, finishChunk, "[DONE]")...), MaxToolCalls, "more than 128 tool calls"},
		{"index -1", sse(delta(`"index":-1,"id":"a","function":{"name":"f"}`), finishChunk), 0, "numbered -1"},
		{"name changing mid-call", sse(
			delta(`"index":0,"id":"a","function":{"name":"read","arguments":"{"}`),
			delta(`"index":0,"function":{"name":"delete","arguments":"}"}`), finishChunk), 1, `from "read" to "delete"`},
		{"arguments after finish", sse(
			delta(`"index":0,"id":"a","function":{"name":"f","arguments":"{}"}`), finishChunk,
			delta(`"index":0,"function":{"arguments":"x"}`), "[DONE]"), 1, "after it had finished"},
		{"a broken chunk mid-call", sse(delta(`"index":0,"id":"a","function":{"name":"f","arguments":"{}"}`),
			delta(`"index":0,"function":{"arguments":"\u00"}`)), 1, "malformed response"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := streamSSE(t, c.body)
			n := 0
			for _, cs := range got.calls {
				n += len(cs)
			}
			if len(got.calls) > 1 || n != c.calls {
				t.Fatalf("%d deliveries, %d calls; want once %d", len(got.calls), n, c.calls)
			}
			wantKind(t, got.err, llm.KindMalformed, c.words)
		})
	}
}

// Arguments count toward the answer's budget with its text: 20 MB of them
// in small pieces stop at llm.MaxAnswerBytes with a sentence, holding no
// more than that.
func TestToolArgumentsOverTheAnswerCap(t *testing.T) {
	piece := strings.Repeat("a", 64<<10)
	chunks := []string{`{"choices":[{"index":0,"delta":{"content":"` + piece + `"}}]}`,
		delta(`"index":0,"id":"a","function":{"name":"f","arguments":"{\"x\":\""}`)}
	for range (20 << 20) / len(piece) {
		chunks = append(chunks, delta(`"index":0,"function":{"arguments":"`+piece+`"}`))
	}
	got := streamSSE(t, sse(append(chunks, finishChunk, "[DONE]")...))
	wantKind(t, got.err, llm.KindMalformed, "more than 8 MB for one answer")
	if len(got.calls) != 1 || len(got.calls[0][0].Arguments)+len(got.text) > llm.MaxAnswerBytes {
		t.Fatalf("%d deliveries", len(got.calls))
	}
}

// A call in a data line too long to pass on whole (see lineSplitter) is
// read as one in a short line: whole, its fields in any order (Azure sorts
// them), its arguments in pieces.
func TestToolCallInALongLine(t *testing.T) {
	// 700 KB of arguments with escapes and characters of two bytes.
	want := `{"text":"` + strings.Repeat(`é\n\"x`, 100<<10) + `"}`
	b, _ := json.Marshal(want)
	quoted := string(b)
	for _, c := range []struct{ name, call string }{
		{"openai order", `{"index":1,"id":"c1","type":"function","function":{"name":"write","arguments":` + quoted + `}}`},
		{"azure order", `{"function":{"arguments":` + quoted + `,"name":"write"},"id":"c1","index":1,"type":"function"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := streamSSE(t, sse(
				delta(`"index":0,"id":"c0","function":{"name":"read","arguments":"{}"}`),
				`{"model":"m1","choices":[{"index":0,"delta":{"content":"hi","tool_calls":[`+c.call+`]},"finish_reason":"tool_calls"}]}`,
				"[DONE]"))
			if got.err != nil || got.text != "hi" || got.finish != "tool_calls" || len(got.calls) != 1 || len(got.calls[0]) != 2 {
				t.Fatalf("text %q finish %q calls %d err %v", got.text, got.finish, len(got.calls), got.err)
			}
			if c1 := got.calls[0][1]; c1.ID != "c1" || c1.Name != "write" || c1.Arguments != want {
				t.Fatalf("call %q %q, %d bytes of arguments, want %d", c1.ID, c1.Name, len(c1.Arguments), len(want))
			}
		})
	}
}

// 20 MB of arguments in one line stop at the answer's cap, with no more
// than that held.
func TestTwentyMBArgumentInOneLine(t *testing.T) {
	got := streamSSE(t, sse(delta(`"index":0,"id":"a","function":{"name":"f","arguments":"`+strings.Repeat("a", 20<<20)+`"}`), finishChunk, "[DONE]"))
	wantKind(t, got.err, llm.KindMalformed, "more than 8 MB for one answer")
	if len(got.calls) != 1 || len(got.calls[0][0].Arguments) > llm.MaxAnswerBytes || got.calls[0][0].Name != "f" {
		t.Fatalf("calls %d", len(got.calls))
	}
}

// Whatever deltas come, in whatever chunks, the assembler never panics,
// hands on at most MaxToolCalls calls once, each with an id of its own,
// and takes no more arguments than the budget.
func FuzzToolAssembler(f *testing.F) {
	f.Add([]byte(`[{"index":0,"id":"a","function":{"name":"f","arguments":"{"}},{"index":0,"function":{"arguments":"}"}}]`), 1, 100)
	f.Add([]byte(`[{"id":"","function":{"name":"f"}},{"function":{"arguments":"x"}},{"index":3,"id":"call_0","function":{"name":"g"}}]`), 2, 5)
	f.Add([]byte(`[{"index":0,"id":"x","function":{"name":"a"}},{"index":0,"id":"y","function":{"name":"b"}},{"index":-1}]`), 0, 0)
	f.Fuzz(func(t *testing.T, raw []byte, split, budget int) {
		var deltas []wireToolDelta
		if json.Unmarshal(raw, &deltas) != nil {
			return
		}
		split = min(max(split, 0), len(deltas))
		var a toolAssembler
		took1, err := a.add("P", deltas[:split], budget)
		took2 := 0
		if err == nil {
			took2, _ = a.add("P", deltas[split:], budget-took1)
		}
		if took1+took2 > max(budget, 0) {
			t.Fatalf("took %d+%d of %d", took1, took2, budget)
		}
		calls := a.take()
		if len(calls) > MaxToolCalls || a.take() != nil {
			t.Fatalf("%d calls, or taken twice", len(calls))
		}
		ids := map[string]bool{}
		for _, c := range calls {
			if c.ID == "" || ids[c.ID] {
				t.Fatalf("id %q in %+v", c.ID, calls)
			}
			ids[c.ID] = true
		}
	})
}
