package ui

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	openai "github.com/sashabaranov/go-openai"

	"deskchat/engine"
	"deskchat/store"
)

// byModel answers "<model> says: <question>", and titles with "Colours".
func byModel(r openai.ChatCompletionRequest) (int, string) {
	if isTitleRequest(r) {
		return http.StatusOK, `"Colours"`
	}
	return http.StatusOK, r.Model + " says: " + lastUser(r)
}

// newChat starts an empty chat and shows it.
func (h *harness) newChat() *chatView {
	h.t.Helper()
	h.w.newConversation()
	h.settle()
	return h.shown()
}

func TestCompareTwoModelsSideBySideAndKeepTheSecond(t *testing.T) {
	srv := newChatServer(t, byModel)
	h := newHarness(t, useServer(t, srv))
	if h.w.newCompareDialog() != nil {
		t.Fatal("a comparison was offered with no chat shown")
	}
	h.newChat()
	test.Type(h.w.composer, "pick a colour")

	cd := h.w.newCompareDialog()
	cd.show()
	if !slices.Contains(h.topDialog(), fyne.CanvasObject(cd.goBtn)) {
		t.Fatal("the dialog is not shown")
	}
	// Prefilled: the chat's provider and model, then its other model; the
	// composer's text.
	if got := cd.targets(); !slices.Equal(got, []engine.Target{{Provider: "Local", Model: "m1"}, {Provider: "Local", Model: "m2"}}) || cd.prompt.Text != "pick a colour" {
		t.Fatalf("prefilled %v, prompt %q", got, cd.prompt.Text)
	}
	if !cd.rows[0].remove.Disabled() || cd.addBtn.Disabled() {
		t.Errorf("two rows: remove enabled %v, add enabled %v", !cd.rows[0].remove.Disabled(), !cd.addBtn.Disabled())
	}
	test.Tap(cd.addBtn)
	test.Tap(cd.addBtn)
	if len(cd.rows) != 4 || !cd.addBtn.Disabled() || cd.rows[0].remove.Disabled() {
		t.Fatalf("four rows: %d rows, add disabled %v", len(cd.rows), cd.addBtn.Disabled())
	}
	test.Tap(cd.rows[3].remove)
	test.Tap(cd.rows[2].remove)
	test.Tap(cd.goBtn)
	cmp := cd.started
	if cmp == nil || len(cmp.cols) != 2 {
		t.Fatalf("comparison %+v", cmp)
	}
	if h.w.composer.Text != "" {
		t.Errorf("the composer kept the sent prompt %q", h.w.composer.Text)
	}
	h.settleUntil("both answers", cmp.allEnded)
	h.settle()

	if reqs := srv.requests(); len(reqs) != 2 || !slices.Equal(sortedModels(reqs), []string{"m1", "m2"}) || lastUser(reqs[0]) != "pick a colour" {
		t.Fatalf("requests to models %v", models(reqs))
	}
	for i, model := range []string{"m1", "m2"} {
		col := cmp.cols[i]
		if got := col.view.Md.Text(); got != model+" says: pick a colour" {
			t.Errorf("column %d shows %q", i+1, got)
		}
		if col.title.Text != "Local · "+model || !strings.HasPrefix(col.ttft.Text, "first token ") || !strings.HasSuffix(col.ttft.Text, "ms") {
			t.Errorf("column %d: title %q, %q", i+1, col.title.Text, col.ttft.Text)
		}
		if !col.view.Status.Visible() || !strings.Contains(col.view.Status.Text, "7 tokens") {
			t.Errorf("column %d status %q", i+1, col.view.Status.Text)
		}
		if col.keep.Disabled() {
			t.Errorf("column %d cannot be kept", i+1)
		}
	}
	cv := h.shown()
	msgs := h.messages(cv.id)
	if len(msgs) != 3 || msgs[1].Superseded || !msgs[2].Superseded {
		t.Fatalf("stored before keeping: %+v", msgs)
	}

	cmp.choice.SetSelected(discardOthers)
	test.Tap(cmp.cols[1].keep)
	h.settle()
	msgs = h.messages(cv.id)
	if len(msgs) != 2 || msgs[0].Content != "pick a colour" || msgs[1].Content != "m2 says: pick a colour" || msgs[1].Superseded {
		t.Fatalf("stored after keeping the second: %+v", msgs)
	}
	cv = h.shown()
	if len(cv.views) != 2 || cv.views[0].Md.Text() != "pick a colour" || cv.views[1].Md.Text() != "m2 says: pick a colour" || cv.views[1].Superseded {
		t.Fatalf("the chat shows %d messages", len(cv.views))
	}
	if c, _ := h.st.Conversation(cv.id); c.Model != "m2" || h.w.modelSel.Text != "m2" {
		t.Errorf("the chat goes on with %q (header %q), want m2", c.Model, h.w.modelSel.Text)
	}
	// The kept answer is the first one: the model names the chat.
	if c, _ := h.st.Conversation(cv.id); c.Title != "Colours" {
		t.Errorf("title %q after the comparison, want the model's", c.Title)
	}
	// The next question carries the kept answer only.
	h.ask("and another?")
	h.settle()
	reqs := srv.requests()
	if last := reqs[len(reqs)-1]; last.Model != "m2" || len(last.Messages) != 3 || last.Messages[1].Content != "m2 says: pick a colour" {
		t.Errorf("next request to %s with %+v", last.Model, last.Messages)
	}
}

func sortedModels(reqs []openai.ChatCompletionRequest) []string {
	m := models(reqs)
	slices.Sort(m)
	return m
}

func TestStopDuringACompareStopsEveryAnswer(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.eng.SetSimulatorRate(100) // 300 tokens take 3 s: time to press Stop
	cv := h.newChat()
	cmp := h.w.compare("tell me a long story", []engine.Target{{Provider: engine.SimulatorName, Model: "sim-a"}, {Provider: engine.SimulatorName, Model: "sim-b"}})
	h.settleUntil("text in both columns", func() bool {
		return hasText(cmp.cols[0].view) && hasText(cmp.cols[1].view)
	})
	if h.w.sendBtn.Text != "Stop" || cv.live == nil {
		t.Fatalf("button says %q while the answers stream", h.w.sendBtn.Text)
	}
	for i, col := range cmp.cols {
		if !col.keep.Disabled() {
			t.Errorf("column %d can be kept while it streams", i+1)
		}
	}
	test.Tap(h.w.sendBtn)
	h.settle()
	if cv.live != nil || h.w.sendBtn.Text != "Send" || !cmp.allEnded() {
		t.Fatalf("still live after Stop (button %q)", h.w.sendBtn.Text)
	}
	msgs := h.messages(cv.id)
	full := engine.SimulatedMarkdown("tell me a long story", 300)
	if len(msgs) != 3 {
		t.Fatalf("stored %d messages, want the question and 2 answers", len(msgs))
	}
	for i, m := range msgs[1:] {
		view := cmp.cols[i].view
		if m.State != store.StateStopped || m.Content == "" || len(m.Content) >= len(full) || !strings.HasPrefix(full, m.Content) {
			t.Errorf("answer %d stored: state %s, %d of %d bytes", i+1, m.State, len(m.Content), len(full))
		}
		if view.Md.Text() != m.Content || !strings.HasPrefix(view.Status.Text, "Stopped") {
			t.Errorf("column %d shows %d bytes (stored %d), status %q", i+1, len(view.Md.Text()), len(m.Content), view.Status.Text)
		}
		if cmp.cols[i].keep.Disabled() {
			t.Errorf("stopped column %d cannot be kept", i+1)
		}
	}
}

func TestACompareColumnThatFailsShowsItsSentenceAndTheOtherGoesOn(t *testing.T) {
	srv := newChatServer(t, func(r openai.ChatCompletionRequest) (int, string) {
		if r.Model == "m1" {
			return http.StatusNotFound, "The model m1 does not exist"
		}
		return byModel(r)
	})
	h := newHarness(t, useServer(t, srv))
	h.newChat()
	cmp := h.w.compare("hello", []engine.Target{{Provider: "Local", Model: "m1"}, {Provider: "Local", Model: "m2"}})
	h.settleUntil("both answers", cmp.allEnded)
	h.settle()
	bad, good := cmp.cols[0], cmp.cols[1]
	if bad.view.State != store.StateFailed || bad.view.Status.Importance != widget.DangerImportance || !strings.Contains(bad.view.Status.Text, "m1") {
		t.Errorf("failed column: state %s, status %q", bad.view.State, bad.view.Status.Text)
	}
	if good.view.State != store.StateDone || good.view.Md.Text() != "m2 says: hello" {
		t.Errorf("other column: state %s, text %q", good.view.State, good.view.Md.Text())
	}
	if !bad.keep.Disabled() || good.keep.Disabled() {
		t.Errorf("keep: failed column enabled %v, other enabled %v", !bad.keep.Disabled(), !good.keep.Disabled())
	}
}

func TestARefusedCompareStoresNothingAndGivesTheTextBack(t *testing.T) {
	srv := newChatServer(t, byModel)
	h := newHarness(t, func(st *store.Store) {
		useServer(t, srv)(st)
		if err := st.PutProvider(store.Provider{Name: "Cloud", Kind: store.KindOpenAI, Model: "gpt-4o", KeyEnv: "DESKCHAT_TEST_NO_SUCH_KEY"}); err != nil {
			t.Fatal(err)
		}
	})
	cv := h.newChat()
	test.Type(h.w.composer, "hello")
	cmp := h.w.compare("hello", []engine.Target{{Provider: "Local", Model: "m1"}, {Provider: "Cloud", Model: ""}})
	if cmp == nil || h.w.composer.Text != "" {
		t.Fatalf("not started (composer %q)", h.w.composer.Text)
	}
	h.settle()
	if cv.live != nil || h.w.sendBtn.Text != "Send" || h.w.composer.Text != "hello" {
		t.Fatalf("after the refusal: live %v, button %q, composer %q", cv.live != nil, h.w.sendBtn.Text, h.w.composer.Text)
	}
	if msgs := h.messages(cv.id); len(msgs) != 0 {
		t.Errorf("stored %+v", msgs)
	}
	if len(srv.requests()) != 0 {
		t.Errorf("a request went out")
	}
	if findButton(h.topDialog(), "OK") == nil {
		t.Errorf("no error dialog")
	}
}

// geometry is where every container under o and its objects sit, as they
// are (test.LaidOutObjects would lay them out first).
func geometry(o fyne.CanvasObject) []string {
	out := []string{fmt.Sprintf("%T %v %v %v", o, o.Position(), o.Size(), o.Visible())}
	if c, ok := o.(*fyne.Container); ok {
		for _, x := range c.Objects {
			out = append(out, geometry(x)...)
		}
	}
	return out
}

func TestACompareIsLaidOutAsAFullRefreshWould(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.eng.SetSimulatorRate(200)
	cv := h.newChat()
	var targets []engine.Target
	for _, m := range []string{"one", "two", "three", "four"} {
		targets = append(targets, engine.Target{Provider: engine.SimulatorName, Model: m})
	}
	cmp := h.w.compare("Compare the layout", targets)
	checks, scrolled := 0, false
	h.settleUntil("the four answers", func() bool {
		if cmp.layoutDue || !hasText(cmp.cols[0].view) {
			return false
		}
		// Laid out incrementally; then as Scroll.Refresh lays everything out.
		got := geometry(cv.scroll.Content)
		cv.scroll.Refresh()
		if want := geometry(cv.scroll.Content); !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					for j := i; j < min(len(got), len(want)); j++ {
						if got[j] != want[j] {
							t.Logf("%d %s | %s", j, got[j], want[j])
						}
					}
					t.Fatalf("check %d: %d objects laid out, %d after a refresh; first difference at %d: %s, want %s", checks, len(got), len(want), i, got[i], want[i])
				}
			}
			t.Fatalf("check %d: %d objects laid out, %d after a refresh", checks, len(got), len(want))
		}
		checks++
		if !scrolled && cv.scroll.Content.MinSize().Height > 1.5*cv.scroll.Size().Height {
			// The user scrolls up to read: the chat grows below, unfollowed.
			cv.scroll.ScrollToTop()
			scrolled, checks = true, 0
		}
		return cmp.allEnded()
	})
	if !scrolled || checks < 3 {
		t.Errorf("scrolled up %v, then %d checks", scrolled, checks)
	}
	if h := cv.scroll.Content.Size().Height; cv.scroll.Offset.Y != 0 || h <= cv.scroll.Size().Height {
		t.Errorf("offset %v of %v: the chat followed the answers, or they did not outgrow the window", cv.scroll.Offset.Y, h)
	}
}
