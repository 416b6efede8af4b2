package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// These tests use the engine as the window and the CLI do (cli/ask.go,
// ui/bridge.go): through its exported API only, against a real store and an
// HTTP server that speaks the OpenAI streaming protocol.

// testKey is a key of OpenAI's shape; servers below echo it back.
const testKey = "sk-" + "proj-EXTERNAL0123456789abcdefABCDEF" // split: a fake key, not one for secret scanners to flag

// chunk is one SSE event of a chat.completion.chunk carrying text.
func chunk(text string) string {
	return fmt.Sprintf("data: {\"model\":\"m-served\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q}}]}\n\n", text)
}

// finished is the end of a stream: a finish reason, usage, [DONE].
const finished = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
	"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":3}}\n\n" +
	"data: [DONE]\n\n"

// streamOf answers a chat request with the chunks of text and a normal end.
func streamOf(texts ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for _, t := range texts {
			io.WriteString(w, chunk(t))
		}
		io.WriteString(w, finished)
	}
}

// setup is a store in a temporary directory with one conversation, a
// provider "local" at srv (its key, when it has one, read from
// TEST_KEY), and an engine on them.
type setup struct {
	st   *store.Store
	eng  *engine.Engine
	conv string
}

func newSetup(t *testing.T, srv *httptest.Server, p store.Provider) setup {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if srv != nil {
		p.Name, p.Kind, p.BaseURL = "local", store.KindCompatible, srv.URL+"/v1"
		if p.Model == "" {
			p.Model = "m"
		}
		if err := st.PutProvider(p); err != nil {
			t.Fatal(err)
		}
	}
	conv, err := st.CreateConversation(store.Conversation{})
	if err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "TEST_KEY" {
			return testKey
		}
		return ""
	}
	eng := engine.New(st, engine.Options{Getenv: getenv, Simulator: engine.Simulator{Tokens: 40}})
	return setup{st: st, eng: eng, conv: conv.ID}
}

// answer is what a caller saw of one answer.
type answer struct {
	started  *engine.Started
	text     string
	usage    *engine.Usage
	retrying []engine.Retrying
	final    engine.Event
	order    []string // the events' types, in order
}

// read reads events to the end, as printAnswer and the window do; stop, when
// set, is called after the first text arrived.
func read(t *testing.T, events <-chan engine.Event, stop func()) answer {
	t.Helper()
	var a answer
	var text strings.Builder
	for ev := range events {
		a.order = append(a.order, fmt.Sprintf("%T", ev))
		if a.final != nil {
			t.Fatalf("%T after the final %T", ev, a.final)
		}
		switch ev := ev.(type) {
		case engine.Started:
			a.started = &ev
		case engine.Delta:
			text.WriteString(ev.Text)
			if stop != nil {
				stop()
				stop = nil
			}
		case engine.UsageEvent:
			u := ev.Usage
			a.usage = &u
		case engine.Retrying:
			a.retrying = append(a.retrying, ev)
		case engine.Done, engine.Stopped, engine.Failed:
			a.final = ev
		}
	}
	if a.final == nil {
		t.Fatalf("the events ended without a final one: %v", a.order)
	}
	a.text = text.String()
	return a
}

// stored returns the conversation's messages, which must be n.
func (s setup) stored(t *testing.T, n int) []store.Message {
	t.Helper()
	msgs, err := s.st.Messages(s.conv)
	if err != nil || len(msgs) != n {
		t.Fatalf("%d messages stored (%v), want %d: %+v", len(msgs), err, n, msgs)
	}
	return msgs
}

// A question is stored, answered as the events say, and the answer stored
// as shown, with its usage and finish reason; the conversation takes its
// title from the question and now uses the provider.
func TestAQuestionIsAnsweredAndStored(t *testing.T) {
	srv := httptest.NewServer(streamOf("Hello", ", ", "world."))
	defer srv.Close()
	s := newSetup(t, srv, store.Provider{})
	events, err := s.eng.Send(context.Background(), s.conv, "Say hello to the world", engine.SendOptions{Provider: "local"})
	if err != nil {
		t.Fatal(err)
	}
	a := read(t, events, nil)
	done, ok := a.final.(engine.Done)
	if !ok || done.Finish != "stop" {
		t.Fatalf("final %#v (events %v)", a.final, a.order)
	}
	if a.text != "Hello, world." || a.usage == nil || *a.usage != (engine.Usage{PromptTokens: 11, CompletionTokens: 3}) {
		t.Errorf("shown %q, usage %+v", a.text, a.usage)
	}
	if a.started == nil || a.order[0] != "engine.Started" || a.started.Provider != "local" || a.started.Model != "m" {
		t.Fatalf("started %+v (events %v)", a.started, a.order)
	}
	msgs := s.stored(t, 2)
	q, ans := msgs[0], msgs[1]
	if q.Role != store.RoleUser || q.Content != "Say hello to the world" || q.Seq != a.started.UserSeq {
		t.Errorf("question stored as %+v", q)
	}
	if ans.Seq != a.started.AssistantSeq || ans.State != store.StateDone || ans.Content != a.text ||
		ans.Finish != "stop" || ans.PromptTokens != 11 || ans.OutputTokens != 3 || ans.Provider != "local" {
		t.Errorf("answer stored as %+v", ans)
	}
	conv, err := s.st.Conversation(s.conv)
	if err != nil || conv.Title != "Say hello to the world" || conv.Provider != "local" || conv.Model != "m" {
		t.Errorf("conversation %+v, %v", conv, err)
	}
	ms, err := s.eng.Metrics()
	if err != nil || len(ms) != 1 || ms[0].Provider != "local" || ms[0].Requests != 1 {
		t.Errorf("metrics %+v, %v", ms, err)
	}
}

// A 429 before the first token is retried after the wait the server asked
// for, and the answer then arrives whole; the caller is told of the retry.
func TestA429IsRetriedAndThenAnswered(t *testing.T) {
	var calls atomic.Int32
	answerNow := streamOf("after ", "the wait")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After-Ms", "5")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"message":"Rate limit reached","type":"requests"}}`)
			return
		}
		answerNow(w, r)
	}))
	defer srv.Close()
	s := newSetup(t, srv, store.Provider{})
	events, err := s.eng.Send(context.Background(), s.conv, "q", engine.SendOptions{Provider: "local"})
	if err != nil {
		t.Fatal(err)
	}
	a := read(t, events, nil)
	if _, ok := a.final.(engine.Done); !ok || a.text != "after the wait" {
		t.Fatalf("final %#v, text %q (events %v)", a.final, a.text, a.order)
	}
	if len(a.retrying) != 1 || a.retrying[0].Attempt != 1 || a.retrying[0].Reason != "429 rate limited" || a.retrying[0].After <= 0 {
		t.Errorf("retrying %+v", a.retrying)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if ans := s.stored(t, 2)[1]; ans.State != store.StateDone || ans.Content != "after the wait" || ans.Error != "" {
		t.Errorf("answer stored as %+v", ans)
	}
}

// Cancelling the context passed to Send stops the answer: the caller gets
// Stopped, the connection is closed, and the text shown so far is the text
// stored, as stopped.
func TestCancelMidStreamKeepsThePartialAnswer(t *testing.T) {
	hungUp := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, chunk("The first half"))
		io.WriteString(w, chunk(" and a bit"))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the rest never comes: only the client's hang-up ends this
		close(hungUp)
	}))
	defer srv.Close()
	s := newSetup(t, srv, store.Provider{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := s.eng.Send(ctx, s.conv, "q", engine.SendOptions{Provider: "local"})
	if err != nil {
		t.Fatal(err)
	}
	a := read(t, events, cancel)
	if _, ok := a.final.(engine.Stopped); !ok {
		t.Fatalf("final %#v (events %v)", a.final, a.order)
	}
	<-hungUp
	if !strings.HasPrefix(a.text, "The first half") {
		t.Errorf("shown %q", a.text)
	}
	if ans := s.stored(t, 2)[1]; ans.State != store.StateStopped || ans.Content != a.text || ans.Error != "" {
		t.Errorf("answer stored as %+v; shown %q", ans, a.text)
	}
}

// A provider that echoes the key it got, in an error body or inside the
// stream, never gets it shown or stored: not in the Failed event's
// sentence, not in its error's text, not in the stored answer's error.
func TestAnEchoedKeyIsNeitherShownNorStored(t *testing.T) {
	cases := map[string]http.HandlerFunc{
		"401 body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s"}}`, r.Header.Get("Authorization"))
		},
		"400 body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":"the header was %s"}`, r.Header.Get("Authorization"))
		},
		"error in the stream": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, chunk("Par"))
			fmt.Fprintf(w, "data: {\"error\":{\"message\":\"upstream refused %s\"}}\n\n", r.Header.Get("Authorization"))
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			var sent atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sent.Store(r.Header.Get("Authorization"))
				h(w, r)
			}))
			defer srv.Close()
			s := newSetup(t, srv, store.Provider{KeyEnv: "TEST_KEY"})
			events, err := s.eng.Send(context.Background(), s.conv, "q", engine.SendOptions{Provider: "local"})
			if err != nil {
				t.Fatal(err)
			}
			a := read(t, events, nil)
			f, ok := a.final.(engine.Failed)
			if !ok || f.Sentence == "" || f.Err == nil {
				t.Fatalf("final %#v", a.final)
			}
			if got, _ := sent.Load().(string); got != "Bearer "+testKey {
				t.Fatalf("the request carried %q, not the key: nothing to echo", got)
			}
			ans := s.stored(t, 2)[1]
			if ans.State != store.StateFailed || ans.Error != f.Sentence {
				t.Errorf("answer stored as %+v; sentence %q", ans, f.Sentence)
			}
			secret := testKey[len("sk-proj-"):] // the key's body, with or without its prefix
			for what, text := range map[string]string{"sentence": f.Sentence, "error": f.Err.Error(), "stored error": ans.Error, "UserMessage": engine.UserMessage(f.Err)} {
				if strings.Contains(text, secret[:12]) || strings.Contains(text, secret[12:24]) {
					t.Errorf("the %s holds the key: %q", what, text)
				}
			}
		})
	}
}

// A server error with no retries left fails the answer with one sentence
// that names the status; the caller can tell the kind of failure apart.
func TestAServerErrorFailsWithASentence(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, `{"error":{"message":"upstream down"}}`)
	}))
	defer srv.Close()
	noRetries := 0
	s := newSetup(t, srv, store.Provider{MaxRetries: &noRetries})
	events, err := s.eng.Send(context.Background(), s.conv, "q", engine.SendOptions{Provider: "local"})
	if err != nil {
		t.Fatal(err)
	}
	a := read(t, events, nil)
	f, ok := a.final.(engine.Failed)
	var pe *engine.ProviderError
	if !ok || !errors.As(f.Err, &pe) || pe.Kind != engine.KindServer || !strings.Contains(f.Sentence, "HTTP 502") || !strings.Contains(f.Sentence, "upstream down") {
		t.Fatalf("final %#v", a.final)
	}
	if len(a.retrying) != 0 {
		t.Errorf("retried %d times with MaxRetries 0", len(a.retrying))
	}
	if ans := s.stored(t, 2)[1]; ans.State != store.StateFailed || ans.Error != f.Sentence {
		t.Errorf("answer stored as %+v", ans)
	}
}

// What prevents sending is an error from Send, with a sentence to show,
// and nothing is stored.
func TestWhatPreventsSendingStoresNothing(t *testing.T) {
	s := newSetup(t, nil, store.Provider{})
	_, err := s.eng.Send(context.Background(), s.conv, "q", engine.SendOptions{})
	var pe *engine.ProviderError
	if !errors.As(err, &pe) || pe.Kind != engine.KindConfig || !strings.Contains(engine.UserMessage(err), "No provider is set up") {
		t.Errorf("no provider: %v", err)
	}
	if _, err := s.eng.Send(context.Background(), "no-such-chat", "q", engine.SendOptions{Provider: engine.SimulatorName}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown conversation: %v", err)
	}
	s.stored(t, 0)
}

// The built-in Simulator answers without network, with its markdown for
// the question, and a second ask of the same question (Regenerate) keeps
// the first answer as superseded.
func TestTheSimulatorAnswersAndRegenerates(t *testing.T) {
	s := newSetup(t, nil, store.Provider{})
	events, err := s.eng.Send(context.Background(), s.conv, "tables", engine.SendOptions{Provider: engine.SimulatorName})
	if err != nil {
		t.Fatal(err)
	}
	a := read(t, events, nil)
	if _, ok := a.final.(engine.Done); !ok || a.text != engine.SimulatedMarkdown("tables", 40) {
		t.Fatalf("final %#v, text %q", a.final, a.text)
	}
	if a.started.Provider != engine.SimulatorName || a.started.Model != engine.SimulatorModel {
		t.Errorf("started %+v", a.started)
	}
	events, err = s.eng.Regenerate(context.Background(), s.conv, engine.SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b := read(t, events, nil); b.text != a.text {
		t.Errorf("regenerated %q, want the same markdown", b.text)
	}
	msgs := s.stored(t, 3)
	if msgs[1].Parent != msgs[0].Seq || msgs[2].Parent != msgs[0].Seq || msgs[2].Content != a.text || msgs[2].State != store.StateDone {
		t.Errorf("answers stored as %+v and %+v", msgs[1], msgs[2])
	}
}
