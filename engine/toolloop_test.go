package engine

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// scripted is an adapter that answers each request with the next of its
// answers (the last one again when they run out) and keeps the requests.
type scripted struct {
	mu      sync.Mutex
	answers [][]llm.Chunk
	reqs    []llm.Request
	// fail, when set, refuses the request numbered (from 0) by its keys
	// with its error, the request not counting toward the answers.
	fail map[int]error
	seen int
}

func (s *scripted) Name() string { return "fake" }

func (s *scripted) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.seen
	s.seen++
	if err := s.fail[n]; err != nil {
		return nil, err
	}
	s.reqs = append(s.reqs, req)
	i := min(len(s.reqs)-1, len(s.answers)-1)
	return &sliceStream{ctx: ctx, chunks: s.answers[i]}, nil
}

func (s *scripted) requests() []llm.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]llm.Request(nil), s.reqs...)
}

type sliceStream struct {
	ctx    context.Context
	chunks []llm.Chunk
	i      int
	err    error
}

func (s *sliceStream) Next() bool {
	if s.err = s.ctx.Err(); s.err != nil || s.i >= len(s.chunks) {
		return false
	}
	s.i++
	return true
}
func (s *sliceStream) Current() llm.Chunk { return s.chunks[s.i-1] }
func (s *sliceStream) Err() error         { return s.err }
func (s *sliceStream) Close() error       { return nil }

// toolAnswer is an answer that asks for calls after text.
func toolAnswer(text string, calls ...llm.ToolCall) []llm.Chunk {
	return []llm.Chunk{{Text: text}, {Finish: "tool_calls", ToolCalls: calls, Usage: &llm.Usage{PromptTokens: 10, CompletionTokens: 5}}}
}

func textAnswer(text string) []llm.Chunk {
	return []llm.Chunk{{Text: text}, {Finish: "stop", Usage: &llm.Usage{PromptTokens: 20, CompletionTokens: 3}}}
}

// fakeToolbox offers the tools "echo" and "slow" of server "srv"; echo
// returns its arguments, slow waits for its context. call, when set,
// replaces both.
type fakeToolbox struct {
	mu    sync.Mutex
	calls []string
	call  func(ctx context.Context, tool string, args json.RawMessage) (ToolResult, error)
	// allowed are the tools it says the user always allows; remembered,
	// those AlwaysAllow was told of.
	allowed, remembered []string
}

func (f *fakeToolbox) Tools(ctx context.Context, servers []string) ([]ToolInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return []ToolInfo{
		{Server: "srv", Name: "echo", Description: "says it back", Schema: json.RawMessage(`{"type":"object"}`), Allowed: slices.Contains(f.allowed, "echo")},
		{Server: "srv", Name: "slow", Description: "waits", Allowed: slices.Contains(f.allowed, "slow")},
	}, nil
}

func (f *fakeToolbox) AlwaysAllow(server, tool string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.remembered = append(f.remembered, server+"/"+tool)
}

func (f *fakeToolbox) Call(ctx context.Context, server, tool string, args json.RawMessage) (ToolResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, server+"/"+tool+" "+string(args))
	call := f.call
	f.mu.Unlock()
	if call != nil {
		return call(ctx, tool, args)
	}
	if tool == "slow" {
		<-ctx.Done()
		return ToolResult{}, ctx.Err()
	}
	return ToolResult{Text: "echo: " + string(args)}, nil
}

func (f *fakeToolbox) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

type toolRig struct {
	e   *Engine
	st  *store.Store
	ad  *scripted
	tb  *fakeToolbox
	cfg store.Provider
}

func newToolRig(t *testing.T, maxRounds int, answers ...[]llm.Chunk) toolRig {
	t.Helper()
	st := openStore(t)
	tb := &fakeToolbox{}
	e := New(st, Options{Toolbox: tb, MaxToolRounds: maxRounds, LazyTokenizer: true})
	ad := &scripted{answers: answers}
	e.adapterFor = func(store.Provider) llm.Adapter { return ad }
	return toolRig{e: e, st: st, ad: ad, tb: tb, cfg: store.Provider{Name: "fake", Kind: store.KindOpenAI, BaseURL: "http://fake.invalid/v1", Model: "gpt-4o"}}
}

func (r toolRig) conv(t *testing.T) string {
	t.Helper()
	c, err := r.st.CreateConversation(store.Conversation{Title: "tools"})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// ask sends q with the tools of srv and returns the events.
func (r toolRig) ask(t *testing.T, ctx context.Context, conv, q string, approve func(context.Context, ToolRequest) ToolDecision) []Event {
	t.Helper()
	ch, err := r.e.Send(ctx, conv, q, SendOptions{Endpoint: &r.cfg, Tools: []string{"srv"}, Approve: approve})
	if err != nil {
		t.Fatal(err)
	}
	var evs []Event
	for ev := range ch {
		evs = append(evs, ev)
	}
	return evs
}

func (r toolRig) answer(t *testing.T, conv string) store.Message {
	t.Helper()
	msgs, err := r.st.Messages(conv)
	if err != nil {
		t.Fatal(err)
	}
	return msgs[len(msgs)-1]
}

func allowOnce(context.Context, ToolRequest) ToolDecision { return AllowToolOnce }

func final(evs []Event) Event { return evs[len(evs)-1] }

func ofType[T Event](evs []Event) []T {
	var out []T
	for _, ev := range evs {
		if v, ok := ev.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// Two calls in one answer run at once; their results go back as tool
// messages with the calls' ids, after the assistant's calls, and the answer
// keeps the text of both rounds and the calls with their results.
func TestToolCallsRunInParallelAndTheModelIsAskedAgain(t *testing.T) {
	r := newToolRig(t, 0,
		toolAnswer("Looking. ", llm.ToolCall{ID: "call_a", Name: "srv__echo", Arguments: `{"n":1}`}, llm.ToolCall{ID: "call_b", Name: "srv__echo", Arguments: `{"n":2}`}),
		textAnswer("Both said hello."))
	// Each call waits for the other to start: they finish only if they
	// run at once.
	var started sync.WaitGroup
	started.Add(2)
	r.tb.call = func(ctx context.Context, tool string, args json.RawMessage) (ToolResult, error) {
		started.Done()
		started.Wait()
		return ToolResult{Text: "got " + string(args)}, nil
	}
	conv := r.conv(t)
	evs := r.ask(t, context.Background(), conv, "use both", allowOnce)
	if _, ok := final(evs).(Done); !ok {
		t.Fatalf("ended with %#v", final(evs))
	}
	if offered := ofType[ToolsOffered](evs); len(offered) != 1 || strings.Join(offered[0].Names, ",") != "srv__echo,srv__slow" {
		t.Errorf("offered %#v", offered)
	}
	if n := len(ofType[ToolAsked](evs)); n != 2 {
		t.Errorf("%d calls asked for a decision, want 2", n)
	}
	ran := ofType[ToolRan](evs)
	if len(ran) != 2 || ran[0].Use.Server != "srv" || ran[0].Use.Tool != "echo" || !strings.HasPrefix(ran[0].Use.Result, "got ") {
		t.Fatalf("ran %#v", ran)
	}
	if n := len(ofType[Started](evs)); n != 1 {
		t.Errorf("%d Started events, want 1", n)
	}
	// Each call is said to run before it is said to have ended.
	runningAt := map[string]int{}
	for i, ev := range evs {
		switch ev := ev.(type) {
		case ToolRunning:
			runningAt[ev.CallID] = i
			if ev.Server != "srv" || ev.Tool != "echo" || ev.Round != 1 {
				t.Errorf("running %#v", ev)
			}
		case ToolRan:
			if at, ok := runningAt[ev.CallID]; !ok || at > i {
				t.Errorf("%s ended without a ToolRunning before it", ev.CallID)
			}
		}
	}
	if len(runningAt) != 2 {
		t.Errorf("ToolRunning for %v, want call_a and call_b", runningAt)
	}

	reqs := r.ad.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if len(reqs[0].Tools) != 2 || reqs[0].Tools[0].Name != "srv__echo" || string(reqs[0].Tools[0].Parameters) != `{"type":"object"}` || reqs[0].Tools[1].Parameters == nil {
		t.Errorf("tools offered %#v", reqs[0].Tools)
	}
	m := reqs[1].Messages
	tail := m[len(m)-3:]
	if tail[0].Role != llm.RoleAssistant || tail[0].Content != "Looking. " || len(tail[0].ToolCalls) != 2 || tail[0].ToolCalls[1].ID != "call_b" {
		t.Errorf("the assistant's calls went back as %#v", tail[0])
	}
	if tail[1].Role != llm.RoleTool || tail[1].ToolCallID != "call_a" || tail[1].Content != `got {"n":1}` || tail[2].ToolCallID != "call_b" || tail[2].Content != `got {"n":2}` {
		t.Errorf("the results went back as %#v", tail[1:])
	}

	ans := r.answer(t, conv)
	if ans.State != store.StateDone || ans.Content != "Looking. Both said hello." || len(ans.Tools) != 2 {
		t.Fatalf("stored %#v", ans)
	}
	u := ans.Tools[1]
	if u.Round != 1 || u.At != len("Looking. ") || u.CallID != "call_b" || u.Server != "srv" || u.Tool != "echo" || u.Result != `got {"n":2}` || u.Pending || u.IsError {
		t.Errorf("kept %#v", u)
	}
}

// A call the user declines (or that no one is asked about: Approve nil)
// does not run; the model reads that the user declined.
func TestADeclinedCallDoesNotRun(t *testing.T) {
	for name, approve := range map[string]func(context.Context, ToolRequest) ToolDecision{
		"deny":   func(context.Context, ToolRequest) ToolDecision { return DenyTool },
		"no one": nil,
	} {
		t.Run(name, func(t *testing.T) {
			r := newToolRig(t, 0, toolAnswer("", llm.ToolCall{ID: "c1", Name: "srv__echo", Arguments: `{}`}), textAnswer("OK."))
			conv := r.conv(t)
			evs := r.ask(t, context.Background(), conv, "q", approve)
			if _, ok := final(evs).(Done); !ok {
				t.Fatalf("ended with %#v", final(evs))
			}
			if got := r.tb.called(); len(got) != 0 {
				t.Errorf("ran %v", got)
			}
			reqs := r.ad.requests()
			last := reqs[1].Messages[len(reqs[1].Messages)-1]
			if last.Role != llm.RoleTool || last.Content != declinedResult {
				t.Errorf("the model read %#v", last)
			}
			if u := r.answer(t, conv).Tools[0]; !u.Declined || u.Pending || u.IsError {
				t.Errorf("kept %#v", u)
			}
		})
	}
}

// "Always allow" lets the tool run without asking for the engine's life.
func TestAlwaysAllowIsRemembered(t *testing.T) {
	r := newToolRig(t, 0, toolAnswer("", llm.ToolCall{ID: "c1", Name: "srv__echo", Arguments: `{}`}), textAnswer("OK."),
		toolAnswer("", llm.ToolCall{ID: "c2", Name: "srv__echo", Arguments: `{}`}), textAnswer("OK again."))
	asked := 0
	approve := func(context.Context, ToolRequest) ToolDecision { asked++; return AllowToolAlways }
	conv := r.conv(t)
	r.ask(t, context.Background(), conv, "one", approve)
	evs := r.ask(t, context.Background(), conv, "two", approve)
	if asked != 1 || len(ofType[ToolAsked](evs)) != 0 {
		t.Errorf("asked %d times, %d ToolAsked the second time; want 1 and 0", asked, len(ofType[ToolAsked](evs)))
	}
	if got := r.tb.called(); len(got) != 2 {
		t.Errorf("ran %v, want two calls", got)
	}
	if got := r.tb.remembered; !slices.Equal(got, []string{"srv/echo"}) {
		t.Errorf("the toolbox was told to remember %v, want [srv/echo]", got)
	}
}

// A tool the toolbox says the user always allows (remembered from an
// earlier run) runs without asking; the others are still asked about.
func TestToolsAllowedBeforeRunWithoutAsking(t *testing.T) {
	r := newToolRig(t, 0, toolAnswer("", llm.ToolCall{ID: "c1", Name: "srv__echo", Arguments: `{}`}), textAnswer("OK."))
	r.tb.allowed = []string{"echo"}
	asked := 0
	evs := r.ask(t, context.Background(), r.conv(t), "one", func(context.Context, ToolRequest) ToolDecision { asked++; return DenyTool })
	if asked != 0 || len(ofType[ToolAsked](evs)) != 0 || len(r.tb.called()) != 1 {
		t.Errorf("asked %d times, ran %v; want no question and one call", asked, r.tb.called())
	}
	if len(r.tb.remembered) != 0 {
		t.Errorf("remembered %v again", r.tb.remembered)
	}
}

// A call of a tool that was not offered, or with arguments that are not a
// JSON object, is answered with an error result the model reads; nothing
// runs and no one is asked.
func TestUnknownToolsAndBrokenArgumentsAreErrorResults(t *testing.T) {
	r := newToolRig(t, 0, toolAnswer("",
		llm.ToolCall{ID: "c1", Name: "srv__nope", Arguments: `{}`},
		llm.ToolCall{ID: "c2", Name: "srv__echo", Arguments: `{"text": "unterminated`},
		llm.ToolCall{ID: "c3", Name: "srv__echo", Arguments: `[1]`}),
		textAnswer("Sorry."))
	asked := 0
	conv := r.conv(t)
	evs := r.ask(t, context.Background(), conv, "q", func(context.Context, ToolRequest) ToolDecision { asked++; return AllowToolOnce })
	if _, ok := final(evs).(Done); !ok {
		t.Fatalf("ended with %#v", final(evs))
	}
	if asked != 0 || len(r.tb.called()) != 0 {
		t.Errorf("asked %d, ran %v", asked, r.tb.called())
	}
	msgs := r.ad.requests()[1].Messages
	results := msgs[len(msgs)-3:]
	if !strings.Contains(results[0].Content, `no tool called "srv__nope"`) || !strings.Contains(results[0].Content, "srv__echo, srv__slow") {
		t.Errorf("unknown tool: %q", results[0].Content)
	}
	for _, res := range results[1:] {
		if !strings.Contains(res.Content, "not a JSON object") {
			t.Errorf("broken arguments: %q", res.Content)
		}
	}
	// The history sends arguments a provider can parse; the answer keeps
	// what the model wrote.
	if args := msgs[len(msgs)-4].ToolCalls[1].Arguments; args != "{}" {
		t.Errorf("broken arguments went back as %q", args)
	}
	if u := r.answer(t, conv).Tools[1]; u.Arguments != `{"text": "unterminated` || !u.IsError {
		t.Errorf("kept %#v", u)
	}
}

// A model that never stops calling tools is stopped after MaxToolRounds
// rounds, with a sentence; what it wrote and what ran are kept.
func TestALoopThatNeverStopsEndsWithASentence(t *testing.T) {
	r := newToolRig(t, 3, toolAnswer("again ", llm.ToolCall{ID: "c", Name: "srv__echo", Arguments: `{}`}))
	conv := r.conv(t)
	evs := r.ask(t, context.Background(), conv, "q", allowOnce)
	f, ok := final(evs).(Failed)
	if !ok || !errors.Is(f.Err, ErrToolRounds) || !strings.Contains(f.Sentence, "after 3 rounds") {
		t.Fatalf("ended with %#v", final(evs))
	}
	if n := len(r.ad.requests()); n != 4 {
		t.Errorf("%d requests, want 4 (3 rounds, then the one stopped)", n)
	}
	ans := r.answer(t, conv)
	if ans.State != store.StateFailed || ans.Error != f.Sentence || len(ans.Tools) != 3 || ans.Tools[2].Round != 3 || ans.Content != strings.Repeat("again ", 4) {
		t.Errorf("stored %#v", ans)
	}
}

// Stop during a call cancels it and the answer; what ran is kept.
func TestStopCancelsARunningCall(t *testing.T) {
	r := newToolRig(t, 0, toolAnswer("Wait. ", llm.ToolCall{ID: "c1", Name: "srv__slow", Arguments: `{}`}), textAnswer("never"))
	calling := make(chan struct{})
	cancelled := make(chan error, 1)
	r.tb.call = func(ctx context.Context, tool string, args json.RawMessage) (ToolResult, error) {
		close(calling)
		<-ctx.Done()
		cancelled <- ctx.Err()
		return ToolResult{}, ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conv := r.conv(t)
	ch, err := r.e.Send(ctx, conv, "q", SendOptions{Endpoint: &r.cfg, Tools: []string{"srv"}, Approve: allowOnce})
	if err != nil {
		t.Fatal(err)
	}
	var evs []Event
	for ev := range ch {
		evs = append(evs, ev)
		if _, ok := ev.(ToolAsked); ok {
			go func() { <-calling; cancel() }()
		}
	}
	if _, ok := final(evs).(Stopped); !ok {
		t.Fatalf("ended with %#v", final(evs))
	}
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("the call's context ended with %v", err)
	}
	if n := len(r.ad.requests()); n != 1 {
		t.Errorf("%d requests after a stop, want 1", n)
	}
	ans := r.answer(t, conv)
	if ans.State != store.StateStopped || ans.Content != "Wait. " || len(ans.Tools) != 1 || ans.Tools[0].Pending || ans.Tools[0].Result != "The call was stopped." {
		t.Errorf("stored %#v", ans)
	}
}

// The next question's history carries an earlier answer's calls and
// results in order: text, calls, results, then the text after them.
func TestTheHistoryRebuildsToolCallsAndResults(t *testing.T) {
	r := newToolRig(t, 0, toolAnswer("Before. ", llm.ToolCall{ID: "c1", Name: "srv__echo", Arguments: `{"a":1}`}), textAnswer("After."), textAnswer("Next."))
	conv := r.conv(t)
	r.ask(t, context.Background(), conv, "first", allowOnce)
	ch, err := r.e.Send(context.Background(), conv, "second", SendOptions{Endpoint: &r.cfg})
	if err != nil {
		t.Fatal(err)
	}
	for range ch {
	}
	reqs := r.ad.requests()
	got := reqs[2].Messages
	var roles []string
	for _, m := range got {
		roles = append(roles, string(m.Role)+":"+m.Content+":"+m.ToolCallID)
	}
	want := []string{"user:first:", "assistant:Before. :", `tool:echo: {"a":1}:c1`, "assistant:After.:", "user:second:"}
	if strings.Join(roles, "|") != strings.Join(want, "|") {
		t.Errorf("history\n%v\nwant\n%v", roles, want)
	}
	if len(got[1].ToolCalls) != 1 || got[1].ToolCalls[0].Name != "srv__echo" {
		t.Errorf("the calls went as %#v", got[1].ToolCalls)
	}
	if len(reqs[2].Tools) != 0 {
		t.Errorf("tools offered without SendOptions.Tools: %#v", reqs[2].Tools)
	}
	// Counted with its calls and results: a history of tool uses is not free.
	msgs, _ := r.st.Messages(conv)
	with := r.e.counts.count("gpt-4o", msgs[1])
	bare := msgs[1]
	bare.Tools, bare.Seq = nil, 0
	if without := r.e.counts.count("gpt-4o", bare); with <= without {
		t.Errorf("an answer with tools counts %d tokens, without them %d", with, without)
	}
}

// The Simulator calls a tool when the question asks for it, and then
// quotes its result: tools can be tried without a key.
func TestTheSimulatorUsesATool(t *testing.T) {
	r := newToolRig(t, 0)
	r.e.adapterFor = nil
	conv := r.conv(t)
	ch, err := r.e.Send(context.Background(), conv, `please use echo {"text": "hi"}`, SendOptions{Provider: SimulatorName, Tools: []string{"srv"}, Approve: allowOnce})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	var last Event
	for ev := range ch {
		if d, ok := ev.(Delta); ok {
			text.WriteString(d.Text)
		}
		last = ev
	}
	if _, ok := last.(Done); !ok {
		t.Fatalf("ended with %#v", last)
	}
	if got := r.tb.called(); len(got) != 1 || got[0] != `srv/echo {"text": "hi"}` {
		t.Errorf("ran %v", got)
	}
	if !strings.Contains(text.String(), `srv__echo returned:`) || !strings.Contains(text.String(), `echo: {"text": "hi"}`) {
		t.Errorf("answered %q", text.String())
	}
}

// An answer that may use tools is neither served from the response cache
// nor stored in it.
func TestAnswersWithToolsAreNeverCached(t *testing.T) {
	r := newToolRig(t, 0, textAnswer("plain"))
	conv := r.conv(t)
	for range 2 {
		evs := r.ask(t, context.Background(), conv, "same question", allowOnce)
		if len(ofType[Cached](evs)) != 0 {
			t.Fatal("served from the cache")
		}
	}
	if n := len(r.ad.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if cs, _ := r.st.CacheStats(); cs.Entries != 0 {
		t.Errorf("%d answers cached", cs.Entries)
	}
}

// Tool names are what providers accept, and unique.
func TestToolNamesAreSanitizedAndUnique(t *testing.T) {
	long := strings.Repeat("x", 80)
	ts := newToolSet([]ToolInfo{{Server: "my server", Name: "get.weather"}, {Server: "my_server", Name: "get_weather"}, {Server: "s", Name: long}, {Server: "s", Name: long + "y"}})
	names := map[string]bool{}
	for _, tool := range ts.offer {
		if !validToolName(tool.Name) || names[tool.Name] {
			t.Errorf("name %q (seen %v)", tool.Name, names[tool.Name])
		}
		names[tool.Name] = true
	}
	if ts.offer[0].Name != "my_server__get_weather" || ts.offer[1].Name != "my_server__get_weather_2" {
		t.Errorf("names %v", ts.names())
	}
	if in, ok := ts.lookup("my_server__get_weather_2"); !ok || in.Server != "my_server" {
		t.Errorf("lookup: %#v", in)
	}
	// Long names differing at the end stay apart; a character outside
	// ASCII is one "_".
	if a, b := ToolName("s", long), ToolName("s", long+"y"); a == b || len(a) != 64 {
		t.Errorf("%q and %q", a, b)
	}
	if n := ToolName("café", "x"); n != "caf___x" {
		t.Errorf("ToolName(café, x) = %q", n)
	}
}

func validToolName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Every round goes through the traffic path: a later round that gets a
// 429 before its first token is retried.
func TestALaterRoundIsRetried(t *testing.T) {
	r := newToolRig(t, 0, toolAnswer("", llm.ToolCall{ID: "c1", Name: "srv__echo", Arguments: `{}`}), textAnswer("Done."))
	r.ad.fail = map[int]error{1: &ProviderError{Kind: llm.KindRateLimited, Status: 429, Provider: "fake", Sentence: "slow down"}}
	fire := make(chan time.Time, 1)
	r.e.timer = func(time.Duration) (<-chan time.Time, func() bool) {
		fire <- time.Time{}
		return fire, func() bool { return true }
	}
	conv := r.conv(t)
	evs := r.ask(t, context.Background(), conv, "q", allowOnce)
	if _, ok := final(evs).(Done); !ok {
		t.Fatalf("ended with %#v", final(evs))
	}
	if n := len(ofType[Retrying](evs)); n != 1 {
		t.Errorf("%d Retrying events, want 1", n)
	}
	if ans := r.answer(t, conv); ans.Content != "Done." || len(ans.Tools) != 1 {
		t.Errorf("stored %#v", ans)
	}
}

// A later round whose provider fails falls back like any request: here to
// the Simulator, which quotes the result.
func TestALaterRoundFallsBack(t *testing.T) {
	r := newToolRig(t, 0, toolAnswer("", llm.ToolCall{ID: "c1", Name: "srv__echo", Arguments: `{"x":1}`}))
	r.ad.fail = map[int]error{1: &ProviderError{Kind: llm.KindAuth, Status: 401, Provider: "fake", Sentence: "key refused"}}
	r.e.adapterFor = func(p store.Provider) llm.Adapter {
		if p.Kind == store.KindSimulator {
			return nil
		}
		return r.ad
	}
	r.cfg.Fallback = SimulatorName
	conv := r.conv(t)
	evs := r.ask(t, context.Background(), conv, "q", allowOnce)
	if _, ok := final(evs).(Done); !ok {
		t.Fatalf("ended with %#v", final(evs))
	}
	if fb := ofType[FellBack](evs); len(fb) != 1 || fb[0].To != SimulatorName {
		t.Errorf("fell back %#v", fb)
	}
	ans := r.answer(t, conv)
	if !strings.Contains(ans.Content, `echo: {"x":1}`) || ans.Provider != SimulatorName || len(ans.Tools) != 1 {
		t.Errorf("stored %#v", ans)
	}
}

// A huge result is cut at 100 KB with a note the model reads.
func TestAHugeResultIsCut(t *testing.T) {
	r := newToolRig(t, 0, toolAnswer("", llm.ToolCall{ID: "c1", Name: "srv__echo", Arguments: `{}`}), textAnswer("OK."))
	r.tb.call = func(context.Context, string, json.RawMessage) (ToolResult, error) {
		return ToolResult{Text: strings.Repeat("é", 300<<10)}, nil
	}
	conv := r.conv(t)
	r.ask(t, context.Background(), conv, "q", allowOnce)
	msgs := r.ad.requests()[1].Messages
	got := msgs[len(msgs)-1].Content
	if len(got) > store.MaxToolResultBytes+200 || !strings.Contains(got, "[deskchat cut this result at 100 KB of 600 KB.]") {
		t.Errorf("the model read %d bytes ending %q", len(got), got[len(got)-60:])
	}
	if res := r.answer(t, conv).Tools[0].Result; res != got {
		t.Errorf("kept %d bytes, sent %d", len(res), len(got))
	}
}

// partialToolbox finds one server's tools and names the other that failed.
type partialToolbox struct{ fakeToolbox }

func (p *partialToolbox) Tools(ctx context.Context, servers []string) ([]ToolInfo, error) {
	infos, _ := p.fakeToolbox.Tools(ctx, servers)
	return infos, errors.New("The tool server broken did not start: it exited with status 1.")
}

// A server that fails to start is named in a sentence; the others' tools
// are offered. With no tools at all, the answer goes on without them.
func TestAServerThatFailsIsNamedAndTheOthersServe(t *testing.T) {
	r := newToolRig(t, 0, textAnswer("OK."))
	r.e.toolbox = &partialToolbox{}
	conv := r.conv(t)
	evs := r.ask(t, context.Background(), conv, "q", allowOnce)
	if o := ofType[ToolsOffered](evs); len(o) != 1 || len(o[0].Names) != 2 || !strings.Contains(o[0].Note, "broken did not start") {
		t.Errorf("offered %#v", o)
	}
	if reqs := r.ad.requests(); len(reqs[0].Tools) != 2 {
		t.Errorf("offered %d tools", len(reqs[0].Tools))
	}
}

// Stop while a call waits for the user's decision: nothing runs, the
// answer stops, and the call is kept as not run (not as declined).
func TestStopWhileAskingRunsNothing(t *testing.T) {
	r := newToolRig(t, 0, toolAnswer("", llm.ToolCall{ID: "c1", Name: "srv__echo", Arguments: `{}`}, llm.ToolCall{ID: "c2", Name: "srv__echo", Arguments: `{}`}), textAnswer("never"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conv := r.conv(t)
	evs := r.ask(t, ctx, conv, "q", func(ctx context.Context, _ ToolRequest) ToolDecision {
		cancel()
		<-ctx.Done()
		return DenyTool
	})
	if _, ok := final(evs).(Stopped); !ok {
		t.Fatalf("ended with %#v", final(evs))
	}
	if len(r.tb.called()) != 0 || len(r.ad.requests()) != 1 {
		t.Errorf("ran %v, %d requests", r.tb.called(), len(r.ad.requests()))
	}
	ans := r.answer(t, conv)
	for _, u := range ans.Tools {
		if u.Declined || u.Pending || !strings.Contains(u.Result, "stopped before this call ran") {
			t.Errorf("kept %#v", u)
		}
	}
	if ans.State != store.StateStopped {
		t.Errorf("state %s", ans.State)
	}
}
