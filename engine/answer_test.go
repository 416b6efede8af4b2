package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// sentMessage is one message of a request as the server received it.
type sentMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// chatJournal is a local OpenAI-compatible server that records every
// request's messages. Summarising requests (recognised by their system
// prompt) are answered "SUMMARY-n" or fail with summaryStatus; the others
// are answered with "reply" and the given usage JSON.
type chatJournal struct {
	*httptest.Server
	mu            sync.Mutex
	reqs          [][]sentMessage
	summaries     atomic.Int32
	chats         atomic.Int32
	summaryStatus int
	emptySummary  bool
	usage         string
}

func newChatJournal(t *testing.T) *chatJournal {
	t.Helper()
	j := &chatJournal{usage: `{"prompt_tokens":11,"completion_tokens":1}`}
	j.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []sentMessage `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		j.mu.Lock()
		j.reqs = append(j.reqs, body.Messages)
		j.mu.Unlock()
		text := "reply"
		if len(body.Messages) > 0 && body.Messages[0].Content == summarisePrompt {
			n := j.summaries.Add(1)
			if j.summaryStatus != 0 {
				status(j.summaryStatus)(w, r)
				return
			}
			text = fmt.Sprintf("SUMMARY-%d", n)
			if j.emptySummary {
				text = " "
			}
		} else {
			j.chats.Add(1)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", text)
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":%s}\n\ndata: [DONE]\n\n", j.usage)
	}))
	t.Cleanup(j.Close)
	return j
}

func (j *chatJournal) request(i int) []sentMessage {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.reqs[i]
}

func (j *chatJournal) count() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.reqs)
}

// seed appends n alternating messages of about 60 words to conv.
func seed(t *testing.T, st *store.Store, conv string, n int) []store.Message {
	t.Helper()
	var out []store.Message
	for i := 0; i < n; i++ {
		role := store.RoleUser
		if i%2 == 1 {
			role = store.RoleAssistant
		}
		m, err := st.AppendMessage(store.Message{ConversationID: conv, Role: role, State: store.StateDone,
			Content: fmt.Sprintf("turn-%d %s", len(out)+i, strings.Repeat("buffered channels unbuffered goroutines ", 15))})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// collect drains events, keeping the Compressed and Cached ones.
func collect(t *testing.T, events <-chan Event) (result, []Compressed, bool) {
	t.Helper()
	var comp []Compressed
	cached := false
	relay := make(chan Event, 64)
	go func() {
		defer close(relay)
		for ev := range events {
			switch ev := ev.(type) {
			case Compressed:
				comp = append(comp, ev)
			case Cached:
				cached = true
			}
			relay <- ev
		}
	}()
	r := drain(t, relay)
	return r, comp, cached
}

func TestLongConversationIsSummarisedIncrementallyAndFitsTheBudget(t *testing.T) {
	srv := newChatJournal(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m",
		ModelLimits: map[string]store.ModelLimits{"m": {Context: 3000, MaxOutput: 300}}})
	c, _ := st.CreateConversation(store.Conversation{SystemPrompt: "Be terse."})
	msgs := seed(t, st, c.ID, 40)
	pinned := msgs[2]
	pinned.Pinned = true
	if err := st.PutMessage(pinned); err != nil {
		t.Fatal(err)
	}
	e := New(st, Options{})

	events, err := e.Send(context.Background(), c.ID, "latest question", SendOptions{Provider: "p"})
	if err != nil {
		t.Fatal(err)
	}
	r, comp, _ := collect(t, events)
	if _, ok := r.final.(Done); !ok || r.text != "reply" {
		t.Fatalf("answer %#v %q", r.final, r.text)
	}
	if len(comp) != 1 || comp[0].Folded == 0 || comp[0].Summarised != comp[0].Folded || comp[0].Dropped != 0 {
		t.Fatalf("compressed events %+v", comp)
	}
	nsum := int(srv.summaries.Load())
	if nsum == 0 || srv.count() != nsum+1 {
		t.Fatalf("%d requests (%d summaries), want the summaries then the chat", srv.count(), nsum)
	}
	latest := fmt.Sprintf("SUMMARY-%d", nsum)
	chat := srv.request(nsum)
	if chat[0].Role != "system" || chat[0].Content != "Be terse." {
		t.Errorf("first message %+v, want the system prompt", chat[0])
	}
	if chat[1].Role != "system" || !strings.Contains(chat[1].Content, latest) {
		t.Errorf("second message %+v, want the summary", chat[1])
	}
	if last := chat[len(chat)-1]; last.Role != "user" || last.Content != "latest question" {
		t.Errorf("last message %+v, want the new question intact", last)
	}
	var sent []llm.ChatMessage
	hasPinned := false
	for _, m := range chat {
		sent = append(sent, llm.ChatMessage{Role: llm.Role(m.Role), Content: m.Content})
		hasPinned = hasPinned || m.Content == pinned.Content
	}
	if !hasPinned {
		t.Error("the pinned message was not sent")
	}
	budget := 3000 - 300 - compressMargin(3000)
	if n := promptTokens("m", sent); n > budget {
		t.Errorf("sent %d tokens, budget %d", n, budget)
	}
	sum, err := st.Summary(c.ID)
	if err != nil || sum.Text != latest {
		t.Fatalf("stored summary %+v %v", sum, err)
	}
	// The summariser saw the oldest turns, not the pinned one.
	first := srv.request(0)
	if !strings.Contains(first[1].Content, "turn-0 ") || strings.Contains(first[1].Content, pinned.Content) {
		t.Error("summariser input: oldest turn missing or pinned message included")
	}

	// More turns: only those not yet covered go to the summariser, with the
	// summary so far.
	seed(t, st, c.ID, 12)
	events, _ = e.Send(context.Background(), c.ID, "and now?", SendOptions{Provider: "p"})
	if r, comp, _ := collect(t, events); r.text != "reply" || len(comp) != 1 || comp[0].Dropped != 0 {
		t.Fatalf("second answer %q, events %+v", r.text, comp)
	}
	if int(srv.summaries.Load()) <= nsum {
		t.Fatalf("no new summary for the new turns")
	}
	second := srv.request(nsum + 1)[1].Content
	if !strings.HasPrefix(second, "Summary so far:\n\n"+latest) {
		t.Errorf("second summary request does not start from the first: %.80q", second)
	}
	for _, m := range msgs {
		if m.Seq <= sum.Through && strings.Contains(second, m.Content) {
			t.Fatalf("message %d was summarised twice", m.Seq)
		}
	}
	if all, _ := st.Messages(c.ID); len(all) != 40+2+12+2 {
		t.Errorf("%d messages stored: originals must stay", len(all))
	}
}

func TestFailedSummaryDropsTheOldestAndStillAnswers(t *testing.T) {
	t.Run("error", func(t *testing.T) { testFailedSummary(t, func(j *chatJournal) { j.summaryStatus = 400 }) })
	t.Run("empty", func(t *testing.T) { testFailedSummary(t, func(j *chatJournal) { j.emptySummary = true }) })
}

func testFailedSummary(t *testing.T, breakIt func(*chatJournal)) {
	srv := newChatJournal(t)
	breakIt(srv)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m",
		ModelLimits: map[string]store.ModelLimits{"m": {Context: 3000, MaxOutput: 300}}})
	conv := newConversation(t, st)
	seed(t, st, conv, 40)
	events, err := New(st, Options{}).Send(context.Background(), conv, "question", SendOptions{Provider: "p"})
	if err != nil {
		t.Fatal(err)
	}
	r, comp, _ := collect(t, events)
	if _, ok := r.final.(Done); !ok || r.text != "reply" {
		t.Fatalf("answer %#v %q", r.final, r.text)
	}
	if len(comp) != 1 || comp[0].Dropped == 0 || comp[0].Summarised != 0 || !strings.Contains(comp[0].Note, "left out") {
		t.Fatalf("compressed %+v", comp)
	}
	chat := srv.request(srv.count() - 1)
	for _, m := range chat {
		if m.Role == "system" {
			t.Errorf("a summary was sent although summarising failed: %.60q", m.Content)
		}
	}
	if _, err := st.Summary(conv); err == nil {
		t.Error("a summary was stored")
	}
}

func TestACacheHitSendsNothingUpstream(t *testing.T) {
	srv := newChatJournal(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m"})
	e := New(st, Options{})
	ask := func(opts SendOptions) (result, bool, string) {
		t.Helper()
		conv := newConversation(t, st)
		opts.Provider = "p"
		events, err := e.Send(context.Background(), conv, "same question", opts)
		if err != nil {
			t.Fatal(err)
		}
		r, _, cached := collect(t, events)
		return r, cached, conv
	}
	if r, cached, _ := ask(SendOptions{}); cached || r.text != "reply" || srv.chats.Load() != 1 {
		t.Fatalf("first: cached=%v text=%q requests=%d", cached, r.text, srv.chats.Load())
	}
	r, cached, conv := ask(SendOptions{})
	if !cached || r.text != "reply" || srv.chats.Load() != 1 {
		t.Fatalf("second: cached=%v text=%q requests=%d", cached, r.text, srv.chats.Load())
	}
	if d, ok := r.final.(Done); !ok || d.Finish != "stop" {
		t.Errorf("cached answer ended %#v", r.final)
	}
	msgs, _ := st.Messages(conv)
	if a := msgs[len(msgs)-1]; a.Content != "reply" || a.State != store.StateDone || a.Provider != "p" {
		t.Errorf("stored cached answer %+v", a)
	}
	if _, cached, _ := ask(SendOptions{NoCache: true}); cached || srv.chats.Load() != 2 {
		t.Errorf("NoCache: cached=%v requests=%d", cached, srv.chats.Load())
	}
	if h, m := e.CacheCounters(); h != 1 || m != 1 {
		t.Errorf("hits %d misses %d, want 1 and 1", h, m)
	}
	rep, err := e.Usage(timeZero, timeZero)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Requests != 3 || rep.Total.Cached != 1 || rep.Total.PromptTokens != 33 || rep.Total.Estimated != 0 {
		t.Errorf("ledger %+v", rep.Total)
	}
	if n, err := e.clearCache(); err != nil || n != 1 {
		t.Errorf("clear: %d %v", n, err)
	}
	if _, cached, _ := ask(SendOptions{}); cached {
		t.Error("served from a cleared cache")
	}
}

func TestOnlyCompleteAnswersAreCached(t *testing.T) {
	for name, handler := range map[string]http.HandlerFunc{
		"failed": status(500),
		"incomplete": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"half\"}}]}\n\n") // no finish, no [DONE]
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv, n := scriptServer(t, handler)
			st := openStore(t)
			zero := 0
			putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, MaxRetries: &zero})
			e := New(st, Options{})
			for i := 1; i <= 2; i++ {
				events, err := e.Send(context.Background(), newConversation(t, st), "q", SendOptions{Provider: "p"})
				if err != nil {
					t.Fatal(err)
				}
				if r, _, cached := collect(t, events); cached {
					t.Fatalf("request %d answered from the cache: %#v", i, r.final)
				}
				if int(n.Load()) != i {
					t.Fatalf("request %d did not reach the server", i)
				}
			}
			if s, _ := st.CacheStats(); s.Entries != 0 {
				t.Errorf("%d entries cached", s.Entries)
			}
		})
	}
}

func TestNonsenseUsageIsCountedAndFlagged(t *testing.T) {
	srv := newChatJournal(t)
	srv.usage = `{"prompt_tokens":-5,"completion_tokens":99999999999}`
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "gpt-4o"})
	e := New(st, Options{})
	events, _ := e.Send(context.Background(), newConversation(t, st), "hello there", SendOptions{Provider: "p"})
	if r, _, _ := collect(t, events); r.text != "reply" {
		t.Fatalf("answer %q", r.text)
	}
	rep, _ := e.Usage(timeZero, timeZero)
	// "reply" is one token; the prompt is the framed user message.
	want := promptTokens("gpt-4o", []llm.ChatMessage{{Role: llm.RoleUser, Content: "hello there"}})
	if tot := rep.Total; tot.Estimated != 1 || tot.CompletionTokens != 1 || tot.PromptTokens != want {
		t.Errorf("ledger %+v, want estimated 1, out 1, in %d", tot, want)
	}
}

var timeZero time.Time

func TestAnUnknownModelsWindowIsAssumedAndSaid(t *testing.T) {
	srv := newChatJournal(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "local", BaseURL: srv.URL, Model: "mystery-model"})
	conv := newConversation(t, st)
	seed(t, st, conv, 200) // far more than 8k tokens
	events, _ := New(st, Options{}).Send(context.Background(), conv, "q", SendOptions{Provider: "local"})
	r, comp, _ := collect(t, events)
	if r.text != "reply" || len(comp) != 1 {
		t.Fatalf("answer %q, events %+v", r.text, comp)
	}
	if !strings.Contains(comp[0].Note, "does not know mystery-model's context window and assumed 8192 tokens") {
		t.Errorf("note %q", comp[0].Note)
	}
}

func TestRegenerateAnswersAgainWithoutTheCacheAndKeepsTheOldAnswer(t *testing.T) {
	srv := newChatJournal(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m"})
	e := New(st, Options{})
	conv := newConversation(t, st)
	events, _ := e.Send(context.Background(), conv, "question", SendOptions{Provider: "p"})
	collect(t, events)

	events, err := e.Regenerate(context.Background(), conv, SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, _, cached := collect(t, events)
	if cached || r.text != "reply" || srv.chats.Load() != 2 {
		t.Fatalf("regenerated: cached=%v text=%q upstream=%d", cached, r.text, srv.chats.Load())
	}
	if r.started == nil || r.started.UserSeq != 1 {
		t.Errorf("started %+v: the answer belongs to the question", r.started)
	}
	// The second request is the question alone: the old answer is not sent.
	if req := srv.request(1); len(req) != 1 || req[0].Content != "question" {
		t.Errorf("regenerate sent %+v", req)
	}
	// The new answer is a sibling of the old one, which stays, off the
	// active path.
	msgs, _ := st.Messages(conv)
	if len(msgs) != 3 || msgs[1].Content != "reply" || msgs[1].Parent != msgs[0].Seq || msgs[2].Parent != msgs[0].Seq {
		t.Fatalf("stored %+v", msgs)
	}
	if path, _ := st.Path(conv); len(path) != 2 || path[1].Seq != msgs[2].Seq {
		t.Fatalf("active path %+v", path)
	}
	// A follow-up sends the question and the new answer only.
	events, _ = e.Send(context.Background(), conv, "follow-up", SendOptions{Provider: "p"})
	collect(t, events)
	if req := srv.request(2); len(req) != 3 || req[1].Role != "assistant" || req[2].Content != "follow-up" {
		t.Errorf("follow-up sent %+v", req)
	}

	empty := newConversation(t, st)
	if _, err := e.Regenerate(context.Background(), empty, SendOptions{Provider: "p"}); err == nil || UserMessage(err) != "This chat has no question to answer again." {
		t.Errorf("regenerate in an empty chat: %v", err)
	}
}
