package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// compareServer is an OpenAI-compatible server that answers every request
// "<model> answers: <last user message>" and records the model and the
// messages of each. While hold is set, answers wait until it is closed.
type compareServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []compareRequest
	hold chan struct{}
}

type compareRequest struct {
	Model    string        `json:"model"`
	Messages []sentMessage `json:"messages"`
}

func newCompareServer(t *testing.T) *compareServer {
	t.Helper()
	s := &compareServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req compareRequest
		json.NewDecoder(r.Body).Decode(&req)
		s.mu.Lock()
		s.reqs = append(s.reqs, req)
		hold := s.hold
		s.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		last := ""
		if n := len(req.Messages); n > 0 {
			last = req.Messages[n-1].Content
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", req.Model+" answers: "+last)
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4}}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(s.Close)
	return s
}

// holdAnswers makes later answers wait until the returned func is called.
func (s *compareServer) holdAnswers() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.hold = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.hold = nil
			s.mu.Unlock()
			close(ch)
		})
	}
}

func (s *compareServer) requests() []compareRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]compareRequest(nil), s.reqs...)
}

// compareSetup stores provider "a" (models alpha and bravo) at one server
// and "b" (model charlie) at another.
func compareSetup(t *testing.T) (st *store.Store, e *Engine, a, b *compareServer) {
	t.Helper()
	a, b = newCompareServer(t), newCompareServer(t)
	st = openStore(t)
	putProvider(t, st, store.Provider{Name: "a", BaseURL: a.URL, Model: "alpha", Models: []string{"alpha", "bravo"}})
	putProvider(t, st, store.Provider{Name: "b", BaseURL: b.URL, Model: "charlie"})
	return st, New(st, Options{}), a, b
}

var threeTargets = []Target{{"a", "alpha"}, {"b", "charlie"}, {"a", "bravo"}}

// compareAll compares text across targets and waits for every answer; each
// must end with Done.
func compareAll(t *testing.T, e *Engine, conv, text string, targets []Target) *Comparison {
	t.Helper()
	c, err := e.Compare(context.Background(), conv, text, targets, SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, ch := range c.Events {
		if r := drain(t, ch); !isDone(r.final) {
			t.Fatalf("answer %d ended with %#v", i+1, r.final)
		}
	}
	return c
}

func isDone(ev Event) bool { _, ok := ev.(Done); return ok }

func messagesOf(t *testing.T, st *store.Store, conv string) []store.Message {
	t.Helper()
	msgs, err := st.Messages(conv)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestCompareStoresEveryAnswerWithTheQuestionAndStreamsEachUpstream(t *testing.T) {
	st, e, a, b := compareSetup(t)
	// The same question asked before in another chat is in the response
	// cache: the comparison must still go upstream.
	other := newConversation(t, st)
	resendAsk(t, e, other, SendOptions{Provider: "a", Model: "alpha"}, "which is fastest?")
	conv := newConversation(t, st)
	resendAsk(t, e, conv, SendOptions{Provider: "b"}, "hello")
	before := messagesOf(t, st, conv)
	a0, b0 := len(a.requests()), len(b.requests())

	releaseA, releaseB := a.holdAnswers(), b.holdAnswers()
	defer releaseA()
	defer releaseB()
	c, err := e.Compare(context.Background(), conv, "which is fastest?", threeTargets, SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Before any answer arrived: the question and three empty, streaming
	// answers are stored; only the first is the chat's answer.
	msgs := messagesOf(t, st, conv)
	if len(msgs) != len(before)+4 {
		t.Fatalf("stored %d messages, want %d", len(msgs), len(before)+4)
	}
	q, answers := msgs[len(before)], msgs[len(before)+1:]
	if q.Role != store.RoleUser || q.Content != "which is fastest?" || !reflect.DeepEqual(q, c.Question) {
		t.Fatalf("question %+v, returned %+v", q, c.Question)
	}
	for i, ans := range answers {
		want := threeTargets[i]
		if ans.Role != store.RoleAssistant || ans.State != store.StateStreaming || ans.Content != "" || ans.Seq != q.Seq+uint64(i)+1 ||
			ans.Provider != want.Provider || ans.Model != want.Model || ans.Parent != q.Seq || !reflect.DeepEqual(ans, c.Answers[i]) {
			t.Errorf("answer %d stored as %+v", i+1, ans)
		}
	}
	if conv, _ := st.Conversation(conv); conv.Provider != "a" || conv.Model != "alpha" || conv.Title != "hello" || conv.Leaf != answers[0].Seq {
		t.Errorf("conversation %+v: want provider a, model alpha, the first title kept, the first answer the leaf", conv)
	}

	releaseA()
	releaseB()
	for i, ch := range c.Events {
		r := drain(t, ch)
		want := threeTargets[i].Model + " answers: which is fastest?"
		if !isDone(r.final) || r.text != want || r.started == nil ||
			r.started.UserSeq != q.Seq || r.started.AssistantSeq != answers[i].Seq || r.started.Model != threeTargets[i].Model {
			t.Errorf("answer %d: final %#v, text %q, started %+v", i+1, r.final, r.text, r.started)
		}
	}
	msgs = messagesOf(t, st, conv)
	for i, ans := range msgs[len(before)+1:] {
		if want := threeTargets[i].Model + " answers: which is fastest?"; ans.Content != want || ans.State != store.StateDone ||
			ans.Parent != q.Seq || ans.OutputTokens != 4 {
			t.Errorf("answer %d ended stored as %+v", i+1, ans)
		}
	}

	// Upstream: alpha and bravo at a, charlie at b, each with the history
	// before the question and the question.
	history := []sentMessage{{"user", "hello"}, {"assistant", "charlie answers: hello"}, {"user", "which is fastest?"}}
	got := map[string][]sentMessage{}
	for _, r := range append(a.requests()[a0:], b.requests()[b0:]...) {
		got[r.Model] = r.Messages
	}
	if len(got) != 3 || len(a.requests()) != a0+2 || len(b.requests()) != b0+1 {
		t.Fatalf("requests by model %v (a %d→%d, b %d→%d)", got, a0, len(a.requests()), b0, len(b.requests()))
	}
	for _, model := range []string{"alpha", "bravo", "charlie"} {
		if !reflect.DeepEqual(got[model], history) {
			t.Errorf("%s was sent %+v, want %+v", model, got[model], history)
		}
	}
}

func TestCompareRefusesAndStoresNothing(t *testing.T) {
	st, _, a, b := compareSetup(t)
	putProvider(t, st, store.Provider{Name: "keyless", Kind: store.KindOpenAI, Model: "gpt-4o", KeyEnv: "NO_SUCH_KEY"})
	e := New(st, Options{Getenv: func(string) string { return "" }})
	for _, tc := range []struct {
		name    string
		targets []Target
		text    string
		want    string // in the sentence
	}{
		{"an unknown provider", []Target{{"a", "alpha"}, {"nope", ""}}, "hi", `"nope"`},
		{"a provider without its key", []Target{{"a", "alpha"}, {"keyless", ""}, {"b", ""}}, "hi", "NO_SUCH_KEY"},
		{"one target", []Target{{"a", "alpha"}}, "hi", "2 to 4"},
		{"five targets", []Target{{"a", "alpha"}, {"a", "bravo"}, {"b", ""}, {"a", ""}, {"b", "x"}}, "hi", "2 to 4"},
		{"no question", []Target{{"a", "alpha"}, {"b", ""}}, "  ", "question"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conv := newConversation(t, st)
			c, err := e.Compare(context.Background(), conv, tc.text, tc.targets, SendOptions{})
			if err == nil || c != nil {
				t.Fatalf("compared: %+v", c)
			}
			if s := UserMessage(err); !strings.Contains(s, tc.want) {
				t.Errorf("sentence %q, want one naming %s", s, tc.want)
			}
			if msgs := messagesOf(t, st, conv); len(msgs) != 0 {
				t.Errorf("stored %+v", msgs)
			}
			if rec, _ := st.Conversation(conv); rec.Provider != "" || rec.Title != "" {
				t.Errorf("conversation changed: %+v", rec)
			}
		})
	}
	if n := len(a.requests()) + len(b.requests()); n != 0 {
		t.Errorf("%d requests went out", n)
	}
}

func TestCompareThenKeepAnAnswerAsTheChatsAndTheOthersAsAlternatives(t *testing.T) {
	st, e, _, b := compareSetup(t)
	conv := newConversation(t, st)
	c := compareAll(t, e, conv, "name a colour", threeTargets)
	ans := c.Answers
	if err := e.KeepAnswer(conv, ans[1].Seq, []uint64{ans[0].Seq, ans[2].Seq}, false); err != nil {
		t.Fatal(err)
	}
	msgs := messagesOf(t, st, conv)
	if len(msgs) != 4 {
		t.Fatalf("stored %d messages, want the question and its 3 answers", len(msgs))
	}
	for i := range 3 {
		if m := msgs[i+1]; m.Parent != msgs[0].Seq || m.Content != threeTargets[i].Model+" answers: name a colour" {
			t.Errorf("answer %d: parent %d (%q), want the question's siblings", i+1, m.Parent, m.Content)
		}
	}
	if path, _ := st.Path(conv); len(path) != 2 || path[1].Seq != ans[1].Seq {
		t.Errorf("active path %+v, want through the kept answer", path)
	}
	if rec, _ := st.Conversation(conv); rec.Provider != "b" || rec.Model != "charlie" {
		t.Errorf("conversation uses %s/%s, want the kept answer's b/charlie", rec.Provider, rec.Model)
	}
	// The next question goes to the kept answer's model with it alone.
	n := len(b.requests())
	resendAsk(t, e, conv, SendOptions{}, "and another?")
	reqs := b.requests()
	if len(reqs) != n+1 {
		t.Fatalf("the next question did not go to b (%d requests)", len(reqs)-n)
	}
	want := []sentMessage{{"user", "name a colour"}, {"assistant", "charlie answers: name a colour"}, {"user", "and another?"}}
	if got := reqs[n]; got.Model != "charlie" || !reflect.DeepEqual(got.Messages, want) {
		t.Errorf("next request %s %+v, want charlie %+v", got.Model, got.Messages, want)
	}
}

func TestCompareThenKeepAnAnswerAndDiscardTheOthers(t *testing.T) {
	st, e, _, _ := compareSetup(t)
	conv := newConversation(t, st)
	c := compareAll(t, e, conv, "name a colour", threeTargets)
	for _, word := range []string{"alpha", "bravo", "charlie"} {
		if hits := searchSnippets(t, st, word); len(hits) != 1 {
			t.Fatalf("search %q before keeping: %q", word, hits)
		}
	}
	ans := c.Answers
	if err := e.KeepAnswer(conv, ans[2].Seq, []uint64{ans[0].Seq, ans[1].Seq}, true); err != nil {
		t.Fatal(err)
	}
	msgs := messagesOf(t, st, conv)
	if len(msgs) != 2 || msgs[0].Seq != c.Question.Seq || msgs[1].Seq != ans[2].Seq || msgs[1].Superseded || msgs[1].Content != "bravo answers: name a colour" {
		t.Fatalf("stored %+v, want the question and bravo's answer", msgs)
	}
	for word, want := range map[string]int{"alpha": 0, "charlie": 0, "bravo": 1} {
		if hits := searchSnippets(t, st, word); len(hits) != want {
			t.Errorf("search %q after discarding: %q", word, hits)
		}
	}
	if rec, _ := st.Conversation(conv); rec.Provider != "a" || rec.Model != "bravo" {
		t.Errorf("conversation uses %s/%s, want a/bravo", rec.Provider, rec.Model)
	}
}

func TestCompareKeepAnswerWaitsUntilEveryAnswerHasEnded(t *testing.T) {
	st, e, a, _ := compareSetup(t)
	conv := newConversation(t, st)
	releaseA := a.holdAnswers()
	defer releaseA()
	c, err := e.Compare(context.Background(), conv, "slowly", threeTargets, SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// charlie (at b) ends; alpha and bravo still stream.
	if r := drain(t, c.Events[1]); !isDone(r.final) {
		t.Fatalf("charlie ended with %#v", r.final)
	}
	before := messagesOf(t, st, conv)
	ans := c.Answers
	err = e.KeepAnswer(conv, ans[1].Seq, []uint64{ans[0].Seq, ans[2].Seq}, true)
	if !errors.Is(err, store.ErrStreaming) || !strings.Contains(UserMessage(err), "still arriving") {
		t.Fatalf("keep while streaming: %v (%q)", err, UserMessage(err))
	}
	if after := messagesOf(t, st, conv); !reflect.DeepEqual(after, before) {
		t.Errorf("a refused keep changed the messages:\n%+v\n%+v", before, after)
	}
	releaseA()
	for _, i := range []int{0, 2} {
		if r := drain(t, c.Events[i]); !isDone(r.final) {
			t.Fatalf("answer %d ended with %#v", i+1, r.final)
		}
	}
	if err := e.KeepAnswer(conv, ans[1].Seq, []uint64{ans[0].Seq, ans[2].Seq}, true); err != nil {
		t.Fatal(err)
	}
	if msgs := messagesOf(t, st, conv); len(msgs) != 2 || msgs[1].Seq != ans[1].Seq {
		t.Errorf("after the answers ended: %+v", msgs)
	}
}

func TestStoppingACompareStopsEveryAnswer(t *testing.T) {
	st, e, a, b := compareSetup(t)
	conv := newConversation(t, st)
	releaseA, releaseB := a.holdAnswers(), b.holdAnswers()
	defer releaseA()
	defer releaseB()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := e.Compare(ctx, conv, "never mind", threeTargets[:2], SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for i, ch := range c.Events {
		if r := drain(t, ch); reflect.TypeOf(r.final) != reflect.TypeOf(Stopped{}) {
			t.Errorf("answer %d ended with %#v", i+1, r.final)
		}
	}
	// Nothing had arrived: the empty answers are gone, the question stays.
	if msgs := messagesOf(t, st, conv); len(msgs) != 1 || msgs[0].Role != store.RoleUser {
		t.Errorf("stored %+v", msgs)
	}
}
