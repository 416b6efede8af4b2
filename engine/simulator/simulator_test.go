package simulator

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
)

func read(t *testing.T, s llm.Stream) (text string, last llm.Chunk) {
	t.Helper()
	var b strings.Builder
	for s.Next() {
		last = s.Current()
		b.WriteString(last.Text)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("stream error %v", err)
	}
	return b.String(), last
}

// The Simulator answers the last user message with its markdown, token by
// token, and ends with a finish reason and usage, as a provider does.
func TestTheSimulatorStreamsItsMarkdown(t *testing.T) {
	req := llm.Request{Model: Model, Messages: []llm.ChatMessage{
		{Role: llm.RoleUser, Content: "first"}, {Role: llm.RoleAssistant, Content: "a"}, {Role: llm.RoleUser, Content: "tables please"},
	}}
	sim := &Simulator{Tokens: 120}
	s, err := sim.Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text, last := read(t, s)
	if want := Markdown("tables please", 120); text != want {
		t.Errorf("text is not Markdown(prompt): %d bytes, want %d", len(text), len(want))
	}
	if last.Finish != "stop" || last.Model != Model || last.Usage == nil || last.Usage.CompletionTokens != len(Tokenize(text)) {
		t.Errorf("last chunk %+v", last)
	}
	if sim.Name() != Name {
		t.Errorf("name %q", sim.Name())
	}
}

// The same prompt gives the same answer; about n tokens of it.
func TestMarkdownIsDeterministic(t *testing.T) {
	a, b := Markdown("why", 300), Markdown("why", 300)
	if a != b || a == Markdown("why not", 300) {
		t.Error("Markdown is not a function of its prompt")
	}
	if n := len(Tokenize(a)); n < 300 || n > 600 {
		t.Errorf("%d tokens, want about 300", n)
	}
	if got := Tokenize("a  b\nc"); strings.Join(got, "|") != "a|  b|\n|c" {
		t.Errorf("Tokenize = %q", got)
	}
}

// A paced stream stops when its context is cancelled, with the context's
// error, without waiting for the next token.
func TestAPacedStreamStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := (&Simulator{TokensPerSecond: 0.001}).Stream(ctx, llm.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan bool)
	go func() { done <- s.Next() }()
	cancel()
	select {
	case more := <-done:
		if more || !errors.Is(s.Err(), context.Canceled) {
			t.Errorf("Next %v, Err %v; want false, context.Canceled", more, s.Err())
		}
	case <-time.After(10 * time.Second): // a token is 1000 s away: only the cancel ends Next
		t.Fatal("Next did not return after cancel")
	}
}

// Offered tools, the Simulator calls the one the question names (or, when
// it only says "tool", the first), once, then quotes the result.
func TestTheSimulatorCallsToolsWhenAsked(t *testing.T) {
	tools := []llm.Tool{{Name: "srv__first"}, {Name: "srv__lookup"}}
	cases := []struct {
		q, name, args string
	}{
		{`use lookup {"q": "harbor"}`, "srv__lookup", `{"q": "harbor"}`},
		{"use srv__lookup please", "srv__lookup", "{}"},
		{"try a tool", "srv__first", "{}"},
		{"no such thing", "", ""},
	}
	for _, c := range cases {
		s := &Simulator{Tokens: 5}
		st, err := s.Stream(context.Background(), llm.Request{Tools: tools, Messages: []llm.ChatMessage{{Role: llm.RoleUser, Content: c.q}}})
		if err != nil {
			t.Fatal(err)
		}
		var calls []llm.ToolCall
		var finish string
		for st.Next() {
			calls = append(calls, st.Current().ToolCalls...)
			if f := st.Current().Finish; f != "" {
				finish = f
			}
		}
		if c.name == "" {
			if len(calls) != 0 || finish != "stop" {
				t.Errorf("%q: calls %v, finish %q", c.q, calls, finish)
			}
			continue
		}
		if len(calls) != 1 || calls[0].Name != c.name || calls[0].Arguments != c.args || calls[0].ID == "" || finish != "tool_calls" {
			t.Errorf("%q: calls %#v, finish %q", c.q, calls, finish)
		}
	}
	// Given the result, it answers with text quoting it.
	st, _ := (&Simulator{}).Stream(context.Background(), llm.Request{Tools: tools, Messages: []llm.ChatMessage{
		{Role: llm.RoleUser, Content: "use lookup"},
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "srv__lookup"}}},
		{Role: llm.RoleTool, ToolCallID: "c1", Content: "42 ships"},
	}})
	var text strings.Builder
	for st.Next() {
		text.WriteString(st.Current().Text)
		if len(st.Current().ToolCalls) != 0 {
			t.Error("called again after the result")
		}
	}
	if !strings.Contains(text.String(), "srv__lookup returned:") || !strings.Contains(text.String(), "> 42 ships") {
		t.Errorf("answered %q", text.String())
	}
}
