package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

// chatBody is the part of a chat request the tests look at.
type chatBody struct {
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	MaxTokens int `json:"max_tokens"`
}

// prompt is the request's last message's text.
func (b chatBody) prompt() string {
	if len(b.Messages) == 0 {
		return ""
	}
	return b.Messages[len(b.Messages)-1].Content
}

// wire records what a test server received, in order.
type wire struct {
	mu     sync.Mutex
	bodies []chatBody
}

func (w *wire) add(r *http.Request) chatBody {
	var b chatBody
	json.NewDecoder(r.Body).Decode(&b)
	w.mu.Lock()
	w.bodies = append(w.bodies, b)
	w.mu.Unlock()
	return b
}

func (w *wire) prompts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, b := range w.bodies {
		out = append(out, b.prompt())
	}
	return out
}

// reply answers a chat request whose prompt is p: "re: p", then usage 11 in,
// 3 out.
func reply(w http.ResponseWriter, p string) {
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", "re: ")
	fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q},\"finish_reason\":\"stop\"}]}\n\n", p)
	fmt.Fprint(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n")
}

// replyServer answers every chat request with reply, recording it.
func replyServer(t *testing.T) (*httptest.Server, *wire) {
	t.Helper()
	w := &wire{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		reply(rw, w.add(r).prompt())
	}))
	t.Cleanup(srv.Close)
	return srv, w
}

// priced makes model m cost $1 a prompt token and $2 an output token.
func priced(t *testing.T, st *store.Store) {
	t.Helper()
	if err := st.SetSetting(store.SettingPrices, `{"m":{"input":1000000,"output":2000000}}`); err != nil {
		t.Fatal(err)
	}
}

func ledger(t *testing.T, st *store.Store) []store.UsageRecord {
	t.Helper()
	st.Settle() // a batch request's line is queued, not waited for
	recs, err := st.Usage(time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func noConversations(t *testing.T, st *store.Store) {
	t.Helper()
	convs, err := st.Conversations()
	if err != nil || len(convs) != 0 {
		t.Errorf("conversations stored: %+v (%v)", convs, err)
	}
}

// Complete asks once, outside any conversation: the system prompt and the
// output limit go with the prompt, the text and usage come back, priced,
// and the ledger has one line labelled for the run and of no conversation;
// nothing else is stored.
func TestCompleteAnswersOutsideAnyConversation(t *testing.T) {
	st := openStore(t)
	priced(t, st)
	srv, w := replyServer(t)
	putProvider(t, st, store.Provider{Name: "local", BaseURL: srv.URL})
	e := New(st, Options{})

	c, err := e.Complete(context.Background(), "Classify: apples", SendOptions{Provider: "local", System: "Be brief.", MaxTokens: 50, Label: "batch fruit"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Text != "re: Classify: apples" || c.Usage != (Usage{PromptTokens: 11, CompletionTokens: 3}) || c.Cost != 17 ||
		c.Cached || c.Provider != "local" || c.Model != "m" || c.Took < 0 {
		t.Errorf("completion %+v", c)
	}
	b := w.bodies[0]
	if len(b.Messages) != 2 || b.Messages[0].Role != "system" || b.Messages[0].Content != "Be brief." ||
		b.Messages[1].Role != "user" || b.MaxTokens != 50 {
		t.Errorf("sent %+v", b)
	}
	recs := ledger(t, st)
	if len(recs) != 1 {
		t.Fatalf("ledger %+v", recs)
	}
	r := recs[0]
	if r.Label != "batch fruit" || r.ConversationID != "" || r.Outcome != "done" || r.Provider != "local" || r.Model != "m" ||
		r.PromptTokens != 11 || r.CompletionTokens != 3 || r.Cost == nil || *r.Cost != 17 || r.Cached || r.Background {
		t.Errorf("ledger line %+v", r)
	}
	noConversations(t, st)

	// The default provider answers when none is named.
	if err := st.SetSetting(store.SettingDefaultProvider, "local"); err != nil {
		t.Fatal(err)
	}
	if c, err := e.Complete(context.Background(), "pears", SendOptions{}); err != nil || c.Text != "re: pears" || c.Provider != "local" {
		t.Errorf("with the default provider: %+v, %v", c, err)
	}
	// An endpoint that is not stored answers as ask --base-url's does.
	ep := &store.Provider{Name: srv.URL, Kind: store.KindCompatible, BaseURL: srv.URL, Model: "m2"}
	if c, err := e.Complete(context.Background(), "plums", SendOptions{Endpoint: ep}); err != nil || c.Text != "re: plums" || c.Provider != srv.URL || c.Model != "m2" {
		t.Errorf("with an endpoint: %+v, %v", c, err)
	}
	noConversations(t, st)
}

// The provider's requests-per-minute limit spaces Complete's requests as it
// spaces a chat's.
func TestCompleteKeepsTheProvidersRateLimit(t *testing.T) {
	st := openStore(t)
	e, ft := fakeClockEngine(st)
	srv, _ := replyServer(t)
	putProvider(t, st, store.Provider{Name: "local", BaseURL: srv.URL, RequestsPerMinute: 60})
	for _, p := range []string{"a", "b", "c"} {
		if _, err := e.Complete(context.Background(), p, SendOptions{Provider: "local", Batch: true}); err != nil {
			t.Fatal(err)
		}
	}
	waits := ft.recorded()
	if len(waits) != 2 || waits[0] <= 900*time.Millisecond || waits[0] > time.Second ||
		waits[1] <= 1900*time.Millisecond || waits[1] > 2*time.Second {
		t.Errorf("waits %v, want about 1s and 2s (60 a minute, the clock standing still)", waits)
	}
}

// What prevents asking is a sentence, and nothing is sent or recorded.
func TestCompleteRefusesWhatCannotBeAsked(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	for name, tc := range map[string]struct {
		text string
		opts SendOptions
		want string
	}{
		"no provider":      {"hi", SendOptions{}, "No provider is set up"},
		"unknown provider": {"hi", SendOptions{Provider: "nope"}, `no provider called "nope"`},
		"empty prompt":     {" \n", SendOptions{Provider: SimulatorName}, "the prompt is empty"},
	} {
		_, err := e.Complete(context.Background(), tc.text, tc.opts)
		var pe *ProviderError
		if !errors.As(err, &pe) || !strings.Contains(pe.Sentence, tc.want) {
			t.Errorf("%s: %v, want a *ProviderError saying %q", name, err, tc.want)
		}
	}
	if recs := ledger(t, st); len(recs) != 0 {
		t.Errorf("ledger %+v", recs)
	}
}

// The same prompt twice: the second is answered from the response cache,
// costs nothing and sends nothing; NoCache asks again.
func TestCompleteTwiceIsAnsweredFromTheCache(t *testing.T) {
	st := openStore(t)
	priced(t, st)
	srv, w := replyServer(t)
	putProvider(t, st, store.Provider{Name: "local", BaseURL: srv.URL})
	e := New(st, Options{})
	opts := SendOptions{Provider: "local", System: "Translate.", Batch: true, Label: "batch t"}

	first, err := e.Complete(context.Background(), "Hallo", opts)
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.Complete(context.Background(), "Hallo", opts)
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached || first.Cost != 17 || !second.Cached || second.Cost != 0 || second.Text != first.Text ||
		second.Usage != first.Usage || second.Provider != "local" {
		t.Errorf("first %+v, second %+v", first, second)
	}
	if got := w.prompts(); len(got) != 1 {
		t.Errorf("%d requests on the wire, want 1", len(got))
	}
	// Another system prompt is another request.
	other := opts
	other.System = "Summarise."
	if c, err := e.Complete(context.Background(), "Hallo", other); err != nil || c.Cached {
		t.Errorf("another system prompt: %+v, %v", c, err)
	}
	opts.NoCache = true
	if c, err := e.Complete(context.Background(), "Hallo", opts); err != nil || c.Cached {
		t.Errorf("NoCache: %+v, %v", c, err)
	}
	if got := w.prompts(); len(got) != 3 {
		t.Errorf("%d requests on the wire, want 3", len(got))
	}
	recs := ledger(t, st)
	if len(recs) != 4 || !recs[1].Cached || *recs[1].Cost != 0 || recs[1].Label != "batch t" || recs[0].Cached {
		t.Errorf("ledger %+v", recs)
	}
}

// Identical prompts asked at the same moment share one upstream request:
// the one that joined is cached, costs nothing, and has its ledger line.
func TestIdenticalCompletionsInFlightShareOneRequest(t *testing.T) {
	st := openStore(t)
	priced(t, st)
	joined := make(chan struct{})
	w := &wire{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		p := w.add(r).prompt()
		<-joined // the second request has joined this one
		reply(rw, p)
	}))
	defer srv.Close()
	putProvider(t, st, store.Provider{Name: "local", BaseURL: srv.URL})
	e := New(st, Options{})
	var once sync.Once
	e.onJoin = func() { once.Do(func() { close(joined) }) }

	results := make(chan Completion, 2)
	for range 2 {
		go func() {
			c, err := e.Complete(context.Background(), "same", SendOptions{Provider: "local", Label: "batch s"})
			if err != nil {
				t.Error(err)
			}
			results <- c
		}()
	}
	a, b := <-results, <-results
	if a.Cached == b.Cached || a.Text != "re: same" || b.Text != a.Text {
		t.Errorf("completions %+v and %+v: want one sent, one shared", a, b)
	}
	if sent := a.Cost + b.Cost; sent != 17 {
		t.Errorf("cost %v + %v, want 17 for the one sent", a.Cost, b.Cost)
	}
	if n := len(w.prompts()); n != 1 {
		t.Errorf("%d requests on the wire, want 1", n)
	}
	recs := ledger(t, st)
	if len(recs) != 2 || recs[0].Cached == recs[1].Cached || recs[0].Label != "batch s" || recs[1].Label != "batch s" {
		t.Errorf("ledger %+v", recs)
	}
}

// A 429 before the first token is retried after the server's wait, and the
// provider is paused for that wait: the next request waits it out first.
func TestCompleteRetriesA429AndLearnsToWait(t *testing.T) {
	st := openStore(t)
	e, ft := fakeClockEngine(st)
	srv, n := scriptServer(t, status(429, "Retry-After", "3"), func(w http.ResponseWriter, r *http.Request) { reply(w, "ok") })
	putProvider(t, st, store.Provider{Name: "local", BaseURL: srv.URL})

	c, err := e.Complete(context.Background(), "q", SendOptions{Provider: "local", Batch: true})
	if err != nil || c.Text != "re: ok" {
		t.Fatalf("%+v, %v", c, err)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
	if waits := ft.recorded(); len(waits) != 1 || waits[0] != 3*time.Second {
		t.Errorf("waited %v, want [3s]", waits)
	}
	if _, err := e.Complete(context.Background(), "q2", SendOptions{Provider: "local", Batch: true}); err != nil {
		t.Fatal(err)
	}
	waits := ft.recorded()
	if len(waits) != 2 || waits[1] <= 2*time.Second || waits[1] > 3*time.Second {
		t.Errorf("waits %v: the second request did not wait out the pause the 429 asked for", waits)
	}
	ms, err := e.Metrics()
	if err != nil || len(ms) != 1 || ms[0].Retries != 1 || ms[0].Requests != 2 {
		t.Errorf("metrics %+v, %v", ms, err)
	}
	if recs := ledger(t, st); len(recs) != 2 || recs[0].Outcome != "done" {
		t.Errorf("ledger %+v", recs)
	}
}

// A primary that fails hands over to its fallback, which answers; when the
// fallback fails too, the error says both.
func TestCompleteFallsBackWhenThePrimaryFails(t *testing.T) {
	st := openStore(t)
	e, _ := fakeClockEngine(st)
	down, downN := scriptServer(t, status(500))
	up, w := replyServer(t)
	putProvider(t, st, store.Provider{Name: "a", BaseURL: down.URL, Fallback: "b"})
	putProvider(t, st, store.Provider{Name: "b", BaseURL: up.URL, Model: "mb"})

	c, err := e.Complete(context.Background(), "q", SendOptions{Provider: "a", Label: "batch f"})
	if err != nil || c.Provider != "b" || c.Model != "mb" || c.Text != "re: q" {
		t.Fatalf("%+v, %v", c, err)
	}
	if downN.Load() != 3 || len(w.prompts()) != 1 {
		t.Errorf("%d requests to a (want 3: retried), %d to b", downN.Load(), len(w.prompts()))
	}
	if recs := ledger(t, st); len(recs) != 1 || recs[0].Provider != "b" || recs[0].Label != "batch f" {
		t.Errorf("ledger %+v", recs)
	}

	// Both down.
	putProvider(t, st, store.Provider{Name: "b", BaseURL: down.URL, Model: "mb"})
	_, err = e.Complete(context.Background(), "q2", SendOptions{Provider: "a"})
	var pe *ProviderError
	if !errors.As(err, &pe) || !strings.Contains(pe.Sentence, "The fallback b failed too") || pe.Kind != KindServer {
		t.Errorf("both down: %v", err)
	}
	noConversations(t, st)
}

// A batch request waits while a chat's goes first: with one stream at a
// time and a batch request running, a second batch request queued first,
// then a background and a chat request queued after it, are served chat
// first, then background, then the batch.
func TestCompleteBatchWaitsBehindChatAndBackground(t *testing.T) {
	st := openStore(t)
	hold, arrived := make(chan struct{}), make(chan struct{})
	w := &wire{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		p := w.add(r).prompt()
		if p == "b1" {
			close(arrived)
			<-hold
		}
		reply(rw, p)
	}))
	defer srv.Close()
	putProvider(t, st, store.Provider{Name: "local", BaseURL: srv.URL, MaxConcurrent: 1})
	e := New(st, Options{})
	cfg, err := st.Provider("local")
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan queueLane, 4)
	e.gate(cfg).q.onWait = func(l queueLane) { waiting <- l }

	var wg sync.WaitGroup
	complete := func(prompt string, opts SendOptions) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts.Provider = "local"
			if _, err := e.Complete(context.Background(), prompt, opts); err != nil {
				t.Errorf("%s: %v", prompt, err)
			}
		}()
	}
	complete("b1", SendOptions{Batch: true})
	<-arrived
	complete("b2", SendOptions{Batch: true})
	if l := <-waiting; l != laneBatch {
		t.Fatalf("b2 waits in lane %d", l)
	}
	complete("bg", SendOptions{Background: true})
	if l := <-waiting; l != laneBackground {
		t.Fatalf("bg waits in lane %d", l)
	}
	events, err := e.Send(context.Background(), newConversation(t, st), "chat", SendOptions{Provider: "local"})
	if err != nil {
		t.Fatal(err)
	}
	if l := <-waiting; l != laneInteractive {
		t.Fatalf("the chat waits in lane %d", l)
	}
	close(hold)
	if r := drain(t, events); r.text != "re: chat" {
		t.Errorf("chat answered %q (%#v)", r.text, r.final)
	}
	wg.Wait()
	if got, want := strings.Join(w.prompts(), " "), "b1 chat bg b2"; got != want {
		t.Errorf("served %q, want %q", got, want)
	}
}

// Cancelling the context stops the request: the error is the context's,
// nothing is cached, and the ledger has no line saying done. A context
// done before asking sends nothing.
func TestCompleteStoppedByItsContext(t *testing.T) {
	st := openStore(t)
	sent := make(chan struct{})
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 1 {
			reply(w, "whole")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"partial\"}}]}\n\n")
		w.(http.Flusher).Flush()
		close(sent)
		<-r.Context().Done() // the rest never comes
	}))
	defer srv.Close()
	putProvider(t, st, store.Provider{Name: "local", BaseURL: srv.URL})
	e := New(st, Options{})

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-sent
		cancel()
	}()
	_, err := e.Complete(ctx, "q", SendOptions{Provider: "local", Batch: true, Label: "batch c"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want the context's", err)
	}
	if recs := ledger(t, st); len(recs) != 1 || recs[0].Outcome != "stopped" || recs[0].Label != "batch c" {
		t.Errorf("ledger %+v, want one line, stopped", recs)
	}
	c, err := e.Complete(context.Background(), "q", SendOptions{Provider: "local", Batch: true})
	if err != nil || c.Cached || c.Text != "re: whole" {
		t.Errorf("asked again: %+v, %v (the stopped one must not be cached)", c, err)
	}

	before := calls.Load()
	if _, err := e.Complete(ctx, "q3", SendOptions{Provider: "local"}); !errors.Is(err, context.Canceled) {
		t.Errorf("a done context: %v", err)
	}
	if calls.Load() != before {
		t.Error("a request was sent with a done context")
	}
	noConversations(t, st)
}

// A provider that echoes the key it got, on any error path, never gets it
// into Complete's error: not its sentence, not its text, nor the store.
func TestCompleteNeverShowsAnEchoedKey(t *testing.T) {
	for _, c := range keyEchoCases {
		for _, kind := range []string{store.KindCompatible, store.KindAzure} {
			t.Run(c.name+"/"+kind, func(t *testing.T) {
				e, st, key, n := echoRig(t, c, kind)

				_, err := e.Complete(context.Background(), "hello", SendOptions{Provider: "echo", Batch: true, Label: "batch k"})
				var pe *ProviderError
				if !errors.As(err, &pe) || pe.Kind != c.kind || pe.Sentence == "" {
					t.Fatalf("error %v, want a %s *ProviderError with a sentence", err, c.kind)
				}
				if got := n.Load(); got != c.requests {
					t.Errorf("%d requests, want %d", got, c.requests)
				}
				assertNoKey(t, "the sentence", pe.Sentence, key)
				assertNoKey(t, "the error's text", err.Error(), key)
				assertNoKey(t, "UserMessage", UserMessage(err), key)
				assertNoKeyOnDisk(t, st, key)
			})
		}
	}
}
