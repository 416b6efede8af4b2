package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/deskchat/deskchat/store"
)

// titleServer answers every request with the SSE body of one content
// delta, title, and records the requests' messages. before, when set, runs
// before the answer is written.
type titleServer struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   [][]sentMessage
	before func()
}

func newTitleServer(t *testing.T, title string, handler http.HandlerFunc) *titleServer {
	t.Helper()
	s := &titleServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var j journal
		j.add(r)
		var msgs []sentMessage
		for _, m := range j.last()["messages"].([]any) {
			m := m.(map[string]any)
			msgs = append(msgs, sentMessage{Role: fmt.Sprint(m["role"]), Content: fmt.Sprint(m["content"])})
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, msgs)
		s.mu.Unlock()
		if s.before != nil {
			s.before()
		}
		if handler != nil {
			handler(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":5}}\n\ndata: [DONE]\n\n", title)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *titleServer) requests() [][]sentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]sentMessage(nil), s.reqs...)
}

// titledChat stores a conversation titled "Old title" using provider p, with
// a question and an answer in state.
func titledChat(t *testing.T, st *store.Store, provider string, answer string, state store.State) string {
	t.Helper()
	c, err := st.CreateConversation(store.Conversation{Title: "Old title", Provider: provider})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleUser, Content: "How do Go channels work?"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleAssistant, Content: answer, State: state}); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func title(t *testing.T, st *store.Store, conv string) string {
	t.Helper()
	c, err := st.Conversation(conv)
	if err != nil {
		t.Fatal(err)
	}
	return c.Title
}

func TestSuggestTitleStoresTheCleanedAnswer(t *testing.T) {
	srv := newTitleServer(t, "**Title:** Go channels explained.", nil)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m"})
	e := New(st, Options{})
	long := strings.Repeat("Channels connect goroutines. ", 1000) // 29,000 characters
	conv := titledChat(t, st, "p", long, store.StateDone)
	started := time.Now()

	got, err := e.SuggestTitle(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	if got != "Go channels explained" || title(t, st, conv) != "Go channels explained" {
		t.Fatalf("returned %q, stored %q", got, title(t, st, conv))
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	sent := reqs[0]
	if len(sent) != 3 || sent[0].Content != "How do Go channels work?" || sent[1].Role != "assistant" ||
		!strings.HasPrefix(sent[1].Content, "Channels connect goroutines.") || sent[2] != (sentMessage{"user", titlePrompt}) {
		t.Fatalf("sent %+v", sent)
	}
	if n := utf8.RuneCountInString(sent[1].Content); n > titleContextRunes+1 {
		t.Errorf("the answer was sent with %d characters", n)
	}
	// The request went through the background lane.
	recs, err := st.Usage(started.Add(-time.Minute), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || !recs[0].Background || recs[0].ConversationID != conv || recs[0].Outcome != "done" || recs[0].CompletionTokens != 5 {
		t.Errorf("ledger %+v", recs)
	}
}

func TestSuggestTitleSendsNothingWhenThereIsNothingToDo(t *testing.T) {
	srv := newTitleServer(t, "A title", nil)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m"})
	e := New(st, Options{})

	named := titledChat(t, st, "p", "an answer", store.StateDone)
	if _, err := st.UpdateConversation(named, func(c *store.Conversation) { c.Title, c.TitleEdited = "Mine", true }); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		conv, title string
	}{
		"named by the user": {named, "Mine"},
		"simulator":         {titledChat(t, st, SimulatorName, "random words", store.StateDone), "Old title"},
		"answer streaming":  {titledChat(t, st, "p", "half", store.StateStreaming), "Old title"},
		"answer failed":     {titledChat(t, st, "p", "half", store.StateFailed), "Old title"},
		"no answer":         {newConversation(t, st), ""},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := e.SuggestTitle(context.Background(), c.conv)
			if got != "" || err != nil {
				t.Fatalf("got %q, %v", got, err)
			}
			if now := title(t, st, c.conv); now != c.title {
				t.Errorf("title %q, want %q", now, c.title)
			}
		})
	}
	if n := len(srv.requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	if recs, _ := st.Usage(time.Time{}, time.Time{}); len(recs) != 0 {
		t.Fatalf("ledger %+v", recs)
	}
}

func TestSuggestTitleKeepsTheTitleWhenTheRequestFails(t *testing.T) {
	srv := newTitleServer(t, "", status(500))
	st := openStore(t)
	zero := 0
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m", MaxRetries: &zero})
	e := New(st, Options{})
	conv := titledChat(t, st, "p", "an answer", store.StateDone)
	got, err := e.SuggestTitle(context.Background(), conv)
	if err == nil || got != "" || UserMessage(err) == "" {
		t.Fatalf("got %q, %v", got, err)
	}
	if now := title(t, st, conv); now != "Old title" {
		t.Errorf("title %q", now)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestSuggestTitleKeepsAChangeMadeDuringTheRequest(t *testing.T) {
	for name, change := range map[string]func(*store.Conversation){
		"renamed":             func(c *store.Conversation) { c.Title, c.TitleEdited = "Renamed", true },
		"title changed again": func(c *store.Conversation) { c.Title = "Renamed" },
	} {
		t.Run(name, func(t *testing.T) {
			srv := newTitleServer(t, "Go channels", nil)
			st := openStore(t)
			putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m"})
			e := New(st, Options{})
			conv := titledChat(t, st, "p", "an answer", store.StateDone)
			srv.before = func() { st.UpdateConversation(conv, change) }
			got, err := e.SuggestTitle(context.Background(), conv)
			if got != "" || err != nil {
				t.Fatalf("got %q, %v", got, err)
			}
			if now := title(t, st, conv); now != "Renamed" {
				t.Errorf("title %q", now)
			}
		})
	}
}

func TestCleanTitle(t *testing.T) {
	for in, want := range map[string]string{
		"**Title:** Go channels explained.":   "Go channels explained",
		`"Go Channels Explained"`:             "Go Channels Explained",
		"“Go  channels\texplained”!":          "Go channels explained",
		"# Title: `select` in Go":             "select in Go",
		"title: 'Buffered channels'...":       "Buffered channels",
		"\n\n  Channels 101\nMore text here.": "Channels 101",
		"Is Go fast?":                         "Is Go fast",
		"**":                                  "",
		"   ":                                 "",
		"Title:":                              "",
		strings.Repeat("word ", 20):           "word word word word word word word word word word word word", // 59 characters
		strings.Repeat("x", 70):               strings.Repeat("x", 60),
	} {
		if got := cleanTitle(in); got != want {
			t.Errorf("cleanTitle(%q) = %q, want %q", in, got, want)
		}
		if n := utf8.RuneCountInString(cleanTitle(in)); n > maxTitleRunes {
			t.Errorf("cleanTitle(%q) has %d characters", in, n)
		}
	}
}
