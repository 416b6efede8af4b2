package engine

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// resendAsk asks questions one after another through e and waits for each answer.
func resendAsk(t *testing.T, e *Engine, conv string, opts SendOptions, questions ...string) {
	t.Helper()
	for _, q := range questions {
		events, err := e.Send(context.Background(), conv, q, opts)
		if err != nil {
			t.Fatal(err)
		}
		if r, _, _ := collect(t, events); r.final == nil {
			t.Fatal("no final event")
		} else if _, ok := r.final.(Done); !ok {
			t.Fatalf("%q: final %#v", q, r.final)
		}
	}
}

func TestResendAsksASiblingOfTheQuestionAndKeepsTheOldBranch(t *testing.T) {
	srv := newChatJournal(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m"})
	e := New(st, Options{})
	conv := newConversation(t, st)
	resendAsk(t, e, conv, SendOptions{Provider: "p"}, "about aardvarks", "about capybaras", "about wombats")
	before, _ := st.Messages(conv)
	if len(before) != 6 {
		t.Fatalf("stored %d messages", len(before))
	}

	events, err := e.Resend(context.Background(), conv, before[2].Seq, "about okapis", SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, _, cached := collect(t, events)
	if _, ok := r.final.(Done); !ok || r.text != "reply" || cached {
		t.Fatalf("final %#v text %q cached %v", r.final, r.text, cached)
	}
	// The request: the messages before the edited question, then it; none
	// of the old later messages.
	sent := srv.request(srv.count() - 1)
	want := []sentMessage{{"user", "about aardvarks"}, {"assistant", "reply"}, {"user", "about okapis"}}
	if !reflect.DeepEqual(sent, want) {
		t.Errorf("sent %+v, want %+v", sent, want)
	}
	after, _ := st.Path(conv)
	if len(after) != 4 || !reflect.DeepEqual(after[:2], before[:2]) {
		t.Fatalf("active path %+v", after)
	}
	if all, _ := st.Messages(conv); len(all) != 8 || !reflect.DeepEqual(all[:6], before) {
		t.Fatalf("the old branch was not kept: %+v", all)
	}
	q, a := after[2], after[3]
	if q.Parent != before[2].Parent {
		t.Errorf("the edited question follows %d, want %d (a sibling)", q.Parent, before[2].Parent)
	}
	if q.Role != store.RoleUser || q.Content != "about okapis" || q.Seq <= before[5].Seq ||
		a.Role != store.RoleAssistant || a.Content != "reply" || a.State != store.StateDone || a.Provider != "p" {
		t.Fatalf("new exchange %+v, %+v", q, a)
	}
	if r.started == nil || r.started.UserSeq != q.Seq || r.started.AssistantSeq != a.Seq {
		t.Errorf("started %+v", r.started)
	}
	if hits := searchSnippets(t, st, "wombats"); len(hits) != 1 {
		t.Errorf("the old branch's question found %q times", hits)
	}
	if hits := searchSnippets(t, st, "okapis"); len(hits) != 1 {
		t.Errorf("edited question found %q times", hits)
	}

	// Resending the same text sends the same request as before, yet it is
	// answered upstream, not from the cache.
	n := srv.chats.Load()
	events, err = e.Resend(context.Background(), conv, q.Seq, "about okapis", SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _, cached := collect(t, events); cached || srv.chats.Load() != n+1 {
		t.Fatalf("resent identical question: cached=%v upstream %d→%d, final %#v", cached, n, srv.chats.Load(), r.final)
	}
	if after, _ := st.Path(conv); len(after) != 4 {
		t.Fatalf("%d messages on the active path after the second resend", len(after))
	}
	if all, _ := st.Messages(conv); len(all) != 10 {
		t.Fatalf("stored %d messages after the second resend, want 10", len(all))
	}
}

// searchSnippets returns the snippets of what search finds for query.
func searchSnippets(t *testing.T, st *store.Store, query string) []string {
	t.Helper()
	rs, err := st.Search(query, store.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, r.Snippet)
	}
	return out
}

func TestResendTheFirstQuestionMakesASecondRoot(t *testing.T) {
	srv := newChatJournal(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m"})
	e := New(st, Options{})
	conv := newConversation(t, st)
	resendAsk(t, e, conv, SendOptions{Provider: "p"}, "first question", "second question")
	msgs, _ := st.Messages(conv)

	events, err := e.Resend(context.Background(), conv, msgs[0].Seq, "edited first question", SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	collect(t, events)
	after, _ := st.Path(conv)
	if len(after) != 2 || after[0].Content != "edited first question" || after[0].Parent != 0 || after[1].Content != "reply" || after[1].State != store.StateDone {
		t.Fatalf("active path %+v", after)
	}
	if all, _ := st.Messages(conv); len(all) != 6 {
		t.Fatalf("stored %d messages, want the old branch kept", len(all))
	}
	if sent := srv.request(srv.count() - 1); len(sent) != 1 || sent[0].Content != "edited first question" {
		t.Errorf("sent %+v", sent)
	}
	// The title made from the first question follows the edit.
	if c, _ := st.Conversation(conv); c.Title != "edited first question" {
		t.Errorf("title %q", c.Title)
	}
}

func TestResendThatCannotSendStoresNothing(t *testing.T) {
	srv := newChatJournal(t)
	st := openStore(t)
	e := New(st, Options{Getenv: func(string) string { return "" }})
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m"})
	putProvider(t, st, store.Provider{Name: "OpenAI", Kind: store.KindOpenAI, Model: "gpt-4o-mini"})
	conv := newConversation(t, st)
	resendAsk(t, e, conv, SendOptions{Provider: "p"}, "first", "second")
	msgs, _ := st.Messages(conv)
	// A chat whose answer is still arriving.
	busy := newConversation(t, st)
	bq, _, err := st.AppendExchange(store.Message{ConversationID: busy, Role: store.RoleUser, Content: "q"},
		store.Message{ConversationID: busy, Role: store.RoleAssistant, State: store.StateStreaming}, func(c *store.Conversation) { c.Provider = "p" })
	if err != nil {
		t.Fatal(err)
	}
	// A chat with no provider chosen and none by default.
	bare := newConversation(t, st)
	nq, _ := st.AppendMessage(store.Message{ConversationID: bare, Role: store.RoleUser, Content: "q"})
	requests := srv.count()

	for _, c := range []struct {
		name string
		conv string
		seq  uint64
		text string
		opts SendOptions
		want string
	}{
		{"an answer", conv, msgs[1].Seq, "x", SendOptions{}, "Only a question of this chat"},
		{"missing", conv, 99, "x", SendOptions{}, "Only a question of this chat"},
		{"empty text", conv, msgs[0].Seq, "  ", SendOptions{}, "empty"},
		{"streaming", busy, bq.Seq, "x", SendOptions{}, "still arriving"},
		{"no provider", bare, nq.Seq, "x", SendOptions{}, "No provider is set up"},
		{"no key", conv, msgs[0].Seq, "x", SendOptions{Provider: "OpenAI"}, "needs an API key"},
		{"unknown conversation", "nope", 1, "x", SendOptions{}, "no longer exists"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, _ := st.Messages(c.conv)
			convBefore, _ := st.Conversation(c.conv)
			_, err := e.Resend(context.Background(), c.conv, c.seq, c.text, c.opts)
			if err == nil || !strings.Contains(UserMessage(err), c.want) {
				t.Fatalf("err %v (%q), want %q", err, UserMessage(err), c.want)
			}
			after, _ := st.Messages(c.conv)
			convAfter, _ := st.Conversation(c.conv)
			if !reflect.DeepEqual(before, after) || !reflect.DeepEqual(convBefore, convAfter) {
				t.Fatalf("store changed:\n%+v\n%+v", before, after)
			}
		})
	}
	if srv.count() != requests {
		t.Fatalf("%d requests sent", srv.count()-requests)
	}
}

func TestCostUsesBuiltInAndUserPrices(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	if c, ok := e.Cost("gpt-4o", Usage{PromptTokens: 1_000_000, CompletionTokens: 500_000}); !ok || math.Abs(c-7.5) > 1e-9 {
		t.Errorf("gpt-4o: %v %v, want 2.50 + 5.00", c, ok)
	}
	if c, ok := e.Cost("no-such-model", Usage{PromptTokens: 1000, CompletionTokens: 1000}); ok || c != 0 {
		t.Errorf("unknown model: %v %v", c, ok)
	}
	if err := st.SetSetting(store.SettingPrices, `{"no-such-model":{"input":1,"output":2}}`); err != nil {
		t.Fatal(err)
	}
	if c, ok := e.Cost("no-such-model", Usage{PromptTokens: 2_000_000, CompletionTokens: 1_000_000}); !ok || math.Abs(c-4) > 1e-9 {
		t.Errorf("user-priced model: %v %v, want 4", c, ok)
	}
}
