package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	openai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/search"
)

// chatServer is an OpenAI-compatible server that records the requests it
// gets and answers each with reply's text (or fails with reply's status).
type chatServer struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []openai.ChatCompletionRequest
	reply func(req openai.ChatCompletionRequest) (status int, text string)
}

func newChatServer(t *testing.T, reply func(openai.ChatCompletionRequest) (int, string)) *chatServer {
	t.Helper()
	s := &chatServer{reply: reply}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req openai.ChatCompletionRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, req)
		reply := s.reply
		s.mu.Unlock()
		status, text := reply(req)
		if status != http.StatusOK {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":{"message":%q,"type":"invalid_request_error"}}`, text)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		chunk, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"delta": map[string]string{"content": text}}}})
		fmt.Fprintf(w, "data: %s\n\n", chunk)
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7}}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(s.Close)
	return s
}

// requests returns the requests that were part of the chat (not titles).
func (s *chatServer) requests() []openai.ChatCompletionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []openai.ChatCompletionRequest
	for _, r := range s.reqs {
		if !isTitleRequest(r) {
			out = append(out, r)
		}
	}
	return out
}

func (s *chatServer) setReply(reply func(openai.ChatCompletionRequest) (int, string)) {
	s.mu.Lock()
	s.reply = reply
	s.mu.Unlock()
}

func isTitleRequest(r openai.ChatCompletionRequest) bool {
	for _, m := range r.Messages {
		if strings.Contains(strings.ToLower(m.Content), "title") {
			return true
		}
	}
	return false
}

func lastUser(r openai.ChatCompletionRequest) string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// echo answers "You said: <question>", and titles with "Echo chamber".
func echo(r openai.ChatCompletionRequest) (int, string) {
	if isTitleRequest(r) {
		return http.StatusOK, `"Echo chamber."`
	}
	return http.StatusOK, "You said: " + lastUser(r)
}

// useServer stores provider "Local" at srv with models m1 and m2, as the
// default.
func useServer(t *testing.T, srv *chatServer) func(*store.Store) {
	return func(st *store.Store) {
		p := store.Provider{Name: "Local", Kind: store.KindCompatible, BaseURL: srv.URL + "/v1", Model: "m1", Models: []string{"m1", "m2"}}
		if err := st.PutProvider(p); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSetting(store.SettingDefaultProvider, "Local"); err != nil {
			t.Fatal(err)
		}
	}
}

func ctrl(k fyne.KeyName) fyne.Shortcut {
	return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
}

func TestSwitchTheModelMidConversationAndTheTitleIsWritten(t *testing.T) {
	srv := newChatServer(t, echo)
	h := newHarness(t, useServer(t, srv))
	h.ask("first question")
	h.settle()
	h.w.header.modelSel.SetText("m2")
	h.ask("second question")
	h.settle()

	reqs := srv.requests()
	if len(reqs) != 2 || reqs[0].Model != "m1" || reqs[1].Model != "m2" {
		t.Fatalf("models sent: %v", models(reqs))
	}
	if n := len(reqs[1].Messages); n != 3 {
		t.Errorf("the second request carried %d messages, want the whole history (3)", n)
	}
	cv := h.shown()
	if got := []string{cv.views[1].Header.Text, cv.views[3].Header.Text}; got[0] != "m1 · Local" || got[1] != "m2 · Local" {
		t.Errorf("answer headers %q", got)
	}
	msgs := h.messages(cv.id)
	if msgs[1].Model != "m1" || msgs[3].Model != "m2" {
		t.Errorf("stored models %q, %q", msgs[1].Model, msgs[3].Model)
	}
	// The title came from the model, in the background, after the first
	// answer only.
	if c, _ := h.st.Conversation(cv.id); c.Title != "Echo chamber" || h.w.header.title.Text != "Echo chamber" {
		t.Errorf("title %q, header %q", c.Title, h.w.header.title.Text)
	}
	srv.mu.Lock()
	total := len(srv.reqs)
	srv.mu.Unlock()
	if total != 3 {
		t.Errorf("%d requests, want 2 answers and 1 title", total)
	}
}

func models(reqs []openai.ChatCompletionRequest) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Model)
	}
	return out
}

func TestARenamedChatKeepsItsName(t *testing.T) {
	srv := newChatServer(t, echo)
	h := newHarness(t, useServer(t, srv))
	h.w.newConversation()
	h.settle()
	h.w.rename(h.w.pane.selected, "Mine")
	h.settle()
	h.ask("hello")
	h.settle()
	if c, _ := h.st.Conversation(h.w.pane.selected); c.Title != "Mine" || !c.TitleEdited {
		t.Errorf("title %q edited %v", c.Title, c.TitleEdited)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.reqs) != 1 {
		t.Errorf("%d requests: a title was asked for a chat the user named", len(srv.reqs))
	}
}

func TestEditMakesANewVersionAndKeepsTheOld(t *testing.T) {
	srv := newChatServer(t, echo)
	h := newHarness(t, useServer(t, srv))
	h.ask("one")
	h.settle()
	h.ask("two")
	h.settle()
	cv := h.shown()

	// Ctrl+↑ edits the last question; Esc gives the draft back.
	test.Type(h.w.compose.Input, "draft")
	h.w.compose.Input.TypedShortcut(ctrl(fyne.KeyUp))
	if h.w.compose.Editing() != cv.views[2] || h.w.compose.Input.Text != "two" || !h.w.compose.EditBar.Obj.Visible() {
		t.Fatalf("editing %v, composer %q", h.w.compose.Editing(), h.w.compose.Input.Text)
	}
	if !strings.Contains(h.w.compose.EditBar.Text.Text, "the old one and what followed it stay, behind ‹ ›") {
		t.Errorf("edit bar %q", h.w.compose.EditBar.Text.Text)
	}
	h.w.compose.Input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.w.compose.Editing() != nil || h.w.compose.Input.Text != "draft" || h.w.compose.EditBar.Obj.Visible() {
		t.Fatalf("after Esc: editing %v, composer %q", h.w.compose.Editing(), h.w.compose.Input.Text)
	}
	// Leaving the chat leaves the edit too.
	h.w.editLastQuestion()
	h.w.newConversation()
	h.settle()
	if h.w.compose.Editing() != nil || h.w.compose.Input.Text != "draft" {
		t.Fatalf("after switching chats: editing %v, composer %q", h.w.compose.Editing(), h.w.compose.Input.Text)
	}
	h.w.OpenAt(cv.id, 0)
	h.settle()
	cv = h.shown()

	// The first question's edit button: a new version of it.
	tapAction(t, cv.views[0], cv.views[0].EditBtn)
	if !strings.Contains(h.w.compose.EditBar.Text.Text, "new version") {
		t.Errorf("edit bar %q", h.w.compose.EditBar.Text.Text)
	}
	h.w.compose.Input.SetText("one, edited")
	pressEnter(h.w.compose.Input)
	h.settle()

	if all := h.messages(cv.id); len(all) != 6 {
		t.Fatalf("stored %d messages, want all 6: nothing is deleted by an edit", len(all))
	}
	msgs := h.path(cv.id)
	if len(msgs) != 2 || msgs[0].Content != "one, edited" || msgs[1].Content != "You said: one, edited" {
		t.Fatalf("the active path holds %d messages: %+v", len(msgs), msgs)
	}
	if len(cv.views) != 2 || cv.views[0].Md.Text() != "one, edited" || cv.views[1].Md.Text() != "You said: one, edited" {
		t.Errorf("shown %d messages", len(cv.views))
	}
	if b := cv.views[0].Branch; b != (store.Branch{Index: 2, Count: 2}) || !cv.views[0].BranchBox.Visible() || cv.views[0].BranchLbl.Text != "2/2" {
		t.Errorf("the new version shows %+v (%q)", b, cv.views[0].BranchLbl.Text)
	}
	if cv.views[1].BranchBox.Visible() || !cv.views[0].Next.Disabled() || cv.views[0].Prev.Disabled() {
		t.Error("the switcher shows where there is nothing to switch to")
	}
	if h.w.compose.Input.Text != "draft" {
		t.Errorf("the draft was not given back: %q", h.w.compose.Input.Text)
	}
	reqs := srv.requests()
	if last := reqs[len(reqs)-1]; len(last.Messages) != 1 || last.Messages[0].Content != "one, edited" {
		t.Errorf("the resent request carried %+v", last.Messages)
	}
	if hits, _ := srv.requests(), 0; len(hits) != 3 {
		t.Errorf("%d chat requests, want 3 (the edit is never answered from the cache)", len(hits))
	}
}

func TestEscStopsTheAnswer(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.eng.SetSimulatorRate(100)
	h.ask("tell me a long story")
	h.liveAnswer(hasText)
	cv := h.shown()
	h.w.compose.Input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.settle()
	msgs := h.messages(cv.id)
	if cv.live != nil || msgs[len(msgs)-1].State != store.StateStopped {
		t.Fatalf("after Esc: live %v, stored state %s", cv.live != nil, msgs[len(msgs)-1].State)
	}
}

func TestRetryAFailedAnswer(t *testing.T) {
	srv := newChatServer(t, func(openai.ChatCompletionRequest) (int, string) {
		return http.StatusUnauthorized, "Incorrect API key provided"
	})
	h := newHarness(t, useServer(t, srv))
	h.ask("hello")
	h.settle()
	cv := h.shown()
	answer := cv.views[1]
	if answer.State != store.StateFailed || !answer.Retry.Visible() || answer.Cont.Visible() || answer.Regen.Visible() {
		t.Fatalf("failed answer: state %s, retry %v, continue %v, regenerate %v", answer.State, answer.Retry.Visible(), answer.Cont.Visible(), answer.Regen.Visible())
	}
	if answer.Status.Importance != widget.DangerImportance || !strings.Contains(answer.Status.Text, "Local") {
		t.Errorf("status %q", answer.Status.Text)
	}
	srv.setReply(echo)
	test.Tap(answer.Retry)
	h.settle()
	msgs := h.messages(cv.id)
	if len(msgs) != 2 || msgs[1].State != store.StateDone || msgs[1].Content != "You said: hello" {
		t.Fatalf("after Retry: %+v", msgs)
	}
	if len(cv.views) != 2 || answer.Md.Text() != "You said: hello" || answer.Retry.Visible() {
		t.Errorf("shown: %d views, %q, retry shown %v", len(cv.views), answer.Md.Text(), answer.Retry.Visible())
	}
}

func TestCopyAMessageACodeBlockAndTheLastAnswer(t *testing.T) {
	srv := newChatServer(t, func(r openai.ChatCompletionRequest) (int, string) {
		if isTitleRequest(r) {
			return http.StatusOK, "Code"
		}
		return http.StatusOK, "Here:\n\n```go\nfmt.Println(\"hi\")\n```\n\nDone."
	})
	h := newHarness(t, useServer(t, srv))
	h.ask("show code")
	h.settle()
	cv := h.shown()
	clip := h.w.app.Clipboard()

	tapAction(t, cv.views[0], cv.views[0].CopyBtn)
	if clip.Content() != "show code" {
		t.Errorf("copied %q", clip.Content())
	}
	h.w.compose.Input.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyC, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift})
	if clip.Content() != "Here:\n\n```go\nfmt.Println(\"hi\")\n```\n\nDone." {
		t.Errorf("Ctrl+Shift+C copied %q", clip.Content())
	}
	// The code block: its language over it, and its own Copy.
	code := test.LaidOutObjects(cv.views[1].Md.Box)
	if labelWith(code, "go") != "go" {
		t.Fatal("no code block with its language shown")
	}
	test.Tap(findButton(code, "Copy"))
	if clip.Content() != "fmt.Println(\"hi\")" {
		t.Errorf("the code block's button copied %q", clip.Content())
	}
}

func TestDeleteAMessage(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("one")
	h.settle()
	h.ask("two")
	h.settle()
	cv := h.shown()
	tapAction(t, cv.views[1], cv.views[1].DelBtn)
	if !strings.Contains(everyText(h.topDialog()), "Delete this answer") {
		t.Fatalf("dialog says %q", everyText(h.topDialog()))
	}
	h.tapDialogButton("Yes")
	h.settle()
	msgs := h.messages(cv.id)
	if len(msgs) != 3 || msgs[1].Content != "two" {
		t.Fatalf("stored after delete: %d messages", len(msgs))
	}
	if len(cv.views) != 3 || cv.views[1].Md.Text() != "two" {
		t.Errorf("shown %d messages", len(cv.views))
	}
	// The last answer's actions stay on the last message.
	if !cv.views[2].Last || !cv.views[2].Regen.Visible() {
		t.Error("the last answer lost Regenerate")
	}
}

// TestEngineStatesShowInline feeds a live answer the engine's events and
// checks the status line at each, with countdowns on a fake clock.
func TestEngineStatesShowInline(t *testing.T) {
	h := newHarness(t, useSimulator)
	clock := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	h.w.now = func() time.Time { return clock }
	h.w.newConversation()
	h.settle()
	cv := h.shown()
	events := make(chan engine.Event, 16) // the bridge starts reading once the test runs the UI's work
	answer := h.w.newView(store.Message{Role: store.RoleAssistant, State: store.StateStreaming})
	answer.Pending("Sending…")
	cv.add(answer, h.w.pin)
	h.w.stream(cv, nil, answer, func(context.Context) (<-chan engine.Event, error) { return events, nil }, func(err error) { t.Error(err) })

	step := func(ev engine.Event, want string) {
		t.Helper()
		events <- ev
		h.settleUntil(fmt.Sprintf("status %q", want), func() bool { return answer.Status.Text == want && answer.Status.Visible() })
	}
	step(engine.Queued{Provider: "Groq", Position: 2}, "Queued #2 for Groq")
	step(engine.Retrying{Attempt: 1, After: 4 * time.Second, Reason: "server error 503"}, "Retrying in 4 s (server error 503)")
	if h.w.pane.countdown == nil {
		t.Fatal("no countdown runs")
	}
	size := answer.Obj.Size()
	clock = clock.Add(1100 * time.Millisecond)
	h.w.tickCountdowns()
	if answer.Status.Text != "Retrying in 3 s (server error 503)" {
		t.Errorf("after 1.1 s: %q", answer.Status.Text)
	}
	if answer.Obj.Size() != size {
		t.Errorf("a countdown tick changed the message's size: %v → %v", size, answer.Obj.Size())
	}
	step(engine.RateLimited{Provider: "Groq", Until: clock.Add(12 * time.Second)}, "Rate limited by Groq — resumes in 12 s")
	clock = clock.Add(12 * time.Second)
	if h.w.tickCountdowns() {
		t.Error("the countdown still runs after its deadline")
	}
	if answer.Status.Text != "Rate limited by Groq — resumes in a moment" {
		t.Errorf("at the deadline: %q", answer.Status.Text)
	}
	step(engine.FellBack{From: "Groq", To: "Local", Reason: "Groq is down"}, "Groq did not answer; asking Local instead")
	events <- engine.Started{Provider: "Local", Model: "qwen", ConversationID: cv.id, AssistantSeq: 2}
	events <- engine.Cached{}
	events <- engine.Delta{Text: "Hello."}
	h.settleUntil("text", func() bool { return answer.Md.Text() == "Hello." })
	if answer.Status.Visible() || !answer.Badge.Visible() {
		t.Errorf("while text streams: status %q shown %v, cached badge %v", answer.Status.Text, answer.Status.Visible(), answer.Badge.Visible())
	}
	events <- engine.UsageEvent{Usage: engine.Usage{PromptTokens: 10, CompletionTokens: 3}}
	events <- engine.Failed{Sentence: "Local stopped responding."}
	close(events)
	h.settle()
	if !strings.HasPrefix(answer.Status.Text, "Local stopped responding. · served by Local (Groq failed)") || answer.Status.Importance != widget.DangerImportance {
		t.Errorf("failed: %q", answer.Status.Text)
	}
}

func TestAnAnswerShowsItsCost(t *testing.T) {
	srv := newChatServer(t, echo)
	h := newHarness(t, func(st *store.Store) {
		p := store.Provider{Name: "Priced", Kind: store.KindCompatible, BaseURL: srv.URL + "/v1", Model: "gpt-4o-mini"}
		if err := st.PutProvider(p); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSetting(store.SettingDefaultProvider, "Priced"); err != nil {
			t.Fatal(err)
		}
	})
	h.ask("hello")
	h.settle()
	answer := h.shown().views[1]
	cost, ok := h.eng.Cost("gpt-4o-mini", engine.Usage{PromptTokens: 12, CompletionTokens: 7})
	if !ok {
		t.Fatal("gpt-4o-mini has no price")
	}
	if want := "7 tokens · " + format.Cost(cost); !strings.Contains(answer.Status.Text, want) {
		t.Errorf("status %q, want it to contain %q", answer.Status.Text, want)
	}
}

func TestShortcutsOpenSearchHelpAndNewChats(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("kubernetes pods explained")
	h.settle()
	first := h.w.pane.selected

	h.w.compose.Input.TypedShortcut(ctrl(fyne.KeyN))
	h.settle()
	if h.w.pane.selected == first || len(h.w.side.convs) != 2 {
		t.Fatalf("Ctrl+N: %d chats, shown %q", len(h.w.side.convs), h.w.pane.selected)
	}

	h.w.compose.Input.TypedShortcut(ctrl(fyne.KeyF))
	s := h.w.overlays.search
	if s == nil {
		t.Fatal("Ctrl+F opened no search")
	}
	test.Type(s.Entry, "kube")
	h.settleUntil("search results", func() bool { return len(s.Results()) > 0 })
	if r := s.Results()[0]; r.ConversationID != first {
		t.Errorf("result %+v", r)
	}
	if segs := search.Snippet(s.Results()[0]); len(segs) == 0 {
		t.Error("no snippet")
	}
	s.List.Select(0)
	h.settle()
	if h.w.pane.selected != first {
		t.Errorf("choosing the result showed %q, want %q", h.w.pane.selected, first)
	}

	h.w.compose.Input.TypedShortcut(ctrl(fyne.KeySlash))
	if h.w.overlays.help == nil || !strings.Contains(everyText(h.topDialog()), "Copy the last answer") {
		t.Error("Ctrl+/ showed no shortcut list")
	}
	// The entry's own shortcuts still work.
	h.w.compose.Input.SetText("abc")
	h.w.compose.Input.TypedShortcut(&fyne.ShortcutSelectAll{})
	if h.w.compose.Input.SelectedText() != "abc" {
		t.Errorf("select all in the composer selected %q", h.w.compose.Input.SelectedText())
	}
}

func TestAChatsOwnSystemPrompt(t *testing.T) {
	srv := newChatServer(t, echo)
	h := newHarness(t, useServer(t, srv))
	h.w.newConversation()
	h.settle()
	h.w.askSystemPrompt()
	var entry *escEntry
	for _, o := range h.topDialog() {
		if e, ok := o.(*escEntry); ok {
			entry = e
		}
	}
	if entry == nil {
		t.Fatal("no entry in the dialog")
	}
	entry.SetText("Answer like a pirate.")
	h.tapDialogButton("Save")
	h.settle()
	h.ask("hello")
	h.settle()
	reqs := srv.requests()
	if len(reqs) != 1 || reqs[0].Messages[0].Role != "system" || reqs[0].Messages[0].Content != "Answer like a pirate." {
		t.Fatalf("request messages %+v", reqs[0].Messages)
	}
}

// Regenerate keeps the old answer as a sibling: ‹ switches back to it, and
// the next question follows it.
func TestSwitchBackToAnEarlierAnswer(t *testing.T) {
	var n int
	var mu sync.Mutex
	srv := newChatServer(t, func(r openai.ChatCompletionRequest) (int, string) {
		if isTitleRequest(r) {
			return http.StatusOK, "Title"
		}
		mu.Lock()
		defer mu.Unlock()
		n++
		return http.StatusOK, fmt.Sprintf("answer %d", n)
	})
	h := newHarness(t, useServer(t, srv))
	h.ask("question")
	h.settle()
	h.w.regenerate()
	h.settle()
	cv := h.shown()
	if len(cv.views) != 2 || cv.views[1].Md.Text() != "answer 2" || cv.views[1].Branch != (store.Branch{Index: 2, Count: 2}) {
		t.Fatalf("after Regenerate: %d views, the answer %q at %+v", len(cv.views), cv.views[len(cv.views)-1].Md.Text(), cv.views[len(cv.views)-1].Branch)
	}
	test.Tap(cv.views[1].Prev)
	h.settle()
	cv = h.shown()
	if len(cv.views) != 2 || cv.views[1].Md.Text() != "answer 1" || cv.views[1].Branch != (store.Branch{Index: 1, Count: 2}) {
		t.Fatalf("after ‹: %d views, the answer %q at %+v", len(cv.views), cv.views[1].Md.Text(), cv.views[1].Branch)
	}
	if p := h.path(cv.id); len(p) != 2 || p[1].Content != "answer 1" {
		t.Fatalf("the active path is %+v", p)
	}
	test.Tap(cv.views[1].Prev) // the first: nothing before it
	h.settle()
	if cv = h.shown(); cv.views[1].Md.Text() != "answer 1" {
		t.Fatal("‹ on the first version moved")
	}
	h.ask("and then?")
	h.settle()
	reqs := srv.requests()
	last := reqs[len(reqs)-1]
	var sent []string
	for _, m := range last.Messages {
		sent = append(sent, m.Content)
	}
	if len(sent) != 3 || sent[1] != "answer 1" {
		t.Errorf("the next request carried %q, want answer 1 as the answer", sent)
	}
}

// Fork makes a new chat holding the path up to the message, shown at once;
// the chat it came from keeps everything.
func TestForkAChatFromAnAnswer(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("one")
	h.settle()
	h.ask("two")
	h.settle()
	cv := h.shown()
	from := cv.id
	tapAction(t, cv.views[1], cv.views[1].ForkBtn)
	h.settle()
	forked := h.shown()
	if forked.id == from || len(forked.views) != 2 || forked.views[0].Md.Text() != "one" {
		t.Fatalf("forked chat %q shows %d messages", forked.id, len(forked.views))
	}
	c, err := h.st.Conversation(forked.id)
	if err != nil || !strings.HasSuffix(c.Title, "(fork)") {
		t.Fatalf("forked chat %+v, %v", c, err)
	}
	if n := len(h.messages(from)); n != 4 {
		t.Errorf("the chat forked from holds %d messages, want 4", n)
	}
}

// A search result on another branch opens that branch.
func TestOpeningAMessageOnAnotherBranchShowsIt(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("roll again")
	h.settle()
	h.w.regenerate()
	h.settle()
	cv := h.shown()
	all := h.messages(cv.id)
	if len(all) != 3 {
		t.Fatalf("%d messages stored", len(all))
	}
	old := all[1].Seq // the first answer, off the active path
	if p := h.path(cv.id); p[len(p)-1].Seq == old {
		t.Fatal("the old answer is still on the active path")
	}
	h.w.OpenAt(cv.id, old)
	h.settle()
	cv = h.shown()
	if p := h.path(cv.id); p[len(p)-1].Seq != old {
		t.Fatalf("the active path ends at %d, want %d", p[len(p)-1].Seq, old)
	}
	found := false
	for _, v := range cv.views {
		found = found || v.Seq == old
	}
	if !found {
		t.Error("the message opened is not shown")
	}
}

func TestNewChatTwiceMakesOneChat(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.w.newConversation()
	h.settle()
	first := h.w.pane.selected
	h.w.compose.Input.TypedShortcut(ctrl(fyne.KeyN))
	h.settle()
	if convs, _ := h.st.Conversations(); len(convs) != 1 || h.w.pane.selected != first {
		t.Fatalf("%d chats stored, shown %q (first %q)", len(convs), h.w.pane.selected, first)
	}
	h.ask("hello")
	h.settle()
	h.w.newConversation()
	h.settle()
	if convs, _ := h.st.Conversations(); len(convs) != 2 || h.w.pane.selected == first {
		t.Errorf("after a message, New chat made %d chats", len(convs))
	}
}
