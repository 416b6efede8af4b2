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

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/compare"
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
	test.Type(h.w.compose.Input, "pick a colour")

	cd := h.w.newCompareDialog()
	cd.Show()
	if !slices.Contains(h.topDialog(), fyne.CanvasObject(cd.GoBtn)) {
		t.Fatal("the dialog is not shown")
	}
	// Prefilled: the chat's provider and model, then its other model; the
	// composer's text.
	if got := cd.Targets(); !slices.Equal(got, []engine.Target{{Provider: "Local", Model: "m1"}, {Provider: "Local", Model: "m2"}}) || cd.Prompt.Text != "pick a colour" {
		t.Fatalf("prefilled %v, prompt %q", got, cd.Prompt.Text)
	}
	if !cd.Rows[0].Remove.Disabled() || cd.AddBtn.Disabled() {
		t.Errorf("two rows: remove enabled %v, add enabled %v", !cd.Rows[0].Remove.Disabled(), !cd.AddBtn.Disabled())
	}
	test.Tap(cd.AddBtn)
	test.Tap(cd.AddBtn)
	if len(cd.Rows) != 4 || !cd.AddBtn.Disabled() || cd.Rows[0].Remove.Disabled() {
		t.Fatalf("four rows: %d rows, add disabled %v", len(cd.Rows), cd.AddBtn.Disabled())
	}
	test.Tap(cd.Rows[3].Remove)
	test.Tap(cd.Rows[2].Remove)
	test.Tap(cd.GoBtn)
	cmp := cd.Started
	if cmp == nil || len(cmp.Cols) != 2 {
		t.Fatalf("comparison %+v", cmp)
	}
	if h.w.compose.Input.Text != "" {
		t.Errorf("the composer kept the sent prompt %q", h.w.compose.Input.Text)
	}
	h.settleUntil("both answers", cmp.AllEnded)
	h.settle()

	if reqs := srv.requests(); len(reqs) != 2 || !slices.Equal(sortedModels(reqs), []string{"m1", "m2"}) || lastUser(reqs[0]) != "pick a colour" {
		t.Fatalf("requests to models %v", models(reqs))
	}
	for i, model := range []string{"m1", "m2"} {
		col := cmp.Cols[i]
		if got := col.View.Md.Text(); got != model+" says: pick a colour" {
			t.Errorf("column %d shows %q", i+1, got)
		}
		if col.Title.Text != "Local · "+model || !strings.HasPrefix(col.TTFT.Text, "first token ") || !strings.HasSuffix(col.TTFT.Text, "ms") {
			t.Errorf("column %d: title %q, %q", i+1, col.Title.Text, col.TTFT.Text)
		}
		if !col.View.Status.Visible() || !strings.Contains(col.View.Status.Text, "7 tokens") {
			t.Errorf("column %d status %q", i+1, col.View.Status.Text)
		}
		if col.Keep.Disabled() {
			t.Errorf("column %d cannot be kept", i+1)
		}
	}
	cv := h.shown()
	msgs := h.messages(cv.id)
	if len(msgs) != 3 || msgs[1].Parent != msgs[0].Seq || msgs[2].Parent != msgs[0].Seq {
		t.Fatalf("stored before keeping: %+v; want both answers under the question", msgs)
	}

	cmp.Choice.SetSelected(compare.DiscardOthers)
	test.Tap(cmp.Cols[1].Keep)
	h.settle()
	msgs = h.messages(cv.id)
	if len(msgs) != 2 || msgs[0].Content != "pick a colour" || msgs[1].Content != "m2 says: pick a colour" {
		t.Fatalf("stored after keeping the second: %+v", msgs)
	}
	cv = h.shown()
	if len(cv.views) != 2 || cv.views[0].Md.Text() != "pick a colour" || cv.views[1].Md.Text() != "m2 says: pick a colour" {
		t.Fatalf("the chat shows %d messages", len(cv.views))
	}
	if c, _ := h.st.Conversation(cv.id); c.Model != "m2" || h.w.header.modelSel.Text != "m2" {
		t.Errorf("the chat goes on with %q (header %q), want m2", c.Model, h.w.header.modelSel.Text)
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
		return hasText(cmp.Cols[0].View) && hasText(cmp.Cols[1].View)
	})
	if h.w.compose.Send.Text != "Stop" || cv.live == nil {
		t.Fatalf("button says %q while the answers stream", h.w.compose.Send.Text)
	}
	for i, col := range cmp.Cols {
		if !col.Keep.Disabled() {
			t.Errorf("column %d can be kept while it streams", i+1)
		}
	}
	test.Tap(h.w.compose.Send)
	h.settle()
	if cv.live != nil || h.w.compose.Send.Text != "Send" || !cmp.AllEnded() {
		t.Fatalf("still live after Stop (button %q)", h.w.compose.Send.Text)
	}
	msgs := h.messages(cv.id)
	full := engine.SimulatedMarkdown("tell me a long story", 300)
	if len(msgs) != 3 {
		t.Fatalf("stored %d messages, want the question and 2 answers", len(msgs))
	}
	for i, m := range msgs[1:] {
		view := cmp.Cols[i].View
		if m.State != store.StateStopped || m.Content == "" || len(m.Content) >= len(full) || !strings.HasPrefix(full, m.Content) {
			t.Errorf("answer %d stored: state %s, %d of %d bytes", i+1, m.State, len(m.Content), len(full))
		}
		if view.Md.Text() != m.Content || !strings.HasPrefix(view.Status.Text, "Stopped") {
			t.Errorf("column %d shows %d bytes (stored %d), status %q", i+1, len(view.Md.Text()), len(m.Content), view.Status.Text)
		}
		if cmp.Cols[i].Keep.Disabled() {
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
	h.settleUntil("both answers", cmp.AllEnded)
	h.settle()
	bad, good := cmp.Cols[0], cmp.Cols[1]
	if bad.View.State != store.StateFailed || bad.View.Status.Importance != widget.DangerImportance || !strings.Contains(bad.View.Status.Text, "m1") {
		t.Errorf("failed column: state %s, status %q", bad.View.State, bad.View.Status.Text)
	}
	if good.View.State != store.StateDone || good.View.Md.Text() != "m2 says: hello" {
		t.Errorf("other column: state %s, text %q", good.View.State, good.View.Md.Text())
	}
	if !bad.Keep.Disabled() || good.Keep.Disabled() {
		t.Errorf("keep: failed column enabled %v, other enabled %v", !bad.Keep.Disabled(), !good.Keep.Disabled())
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
	test.Type(h.w.compose.Input, "hello")
	cmp := h.w.compare("hello", []engine.Target{{Provider: "Local", Model: "m1"}, {Provider: "Cloud", Model: ""}})
	if cmp == nil || h.w.compose.Input.Text != "" {
		t.Fatalf("not started (composer %q)", h.w.compose.Input.Text)
	}
	h.settle()
	if cv.live != nil || h.w.compose.Send.Text != "Send" || h.w.compose.Input.Text != "hello" {
		t.Fatalf("after the refusal: live %v, button %q, composer %q", cv.live != nil, h.w.compose.Send.Text, h.w.compose.Input.Text)
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
	// same checks that the chat, laid out incrementally, is laid out as
	// Scroll.Refresh lays everything out.
	same := func(check int) {
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
					t.Fatalf("check %d: %d objects laid out, %d after a refresh; first difference at %d: %s, want %s", check, len(got), len(want), i, got[i], want[i])
				}
			}
			t.Fatalf("check %d: %d objects laid out, %d after a refresh", check, len(got), len(want))
		}
	}
	checks, scrolled := 0, false
	h.settleUntil("the four answers", func() bool {
		if cmp.LayoutDue || !hasText(cmp.Cols[0].View) {
			return false
		}
		same(checks)
		checks++
		if !scrolled && cv.scroll.Content.MinSize().Height > 1.2*cv.scroll.Size().Height {
			// The user scrolls up to read: the chat grows below, unfollowed.
			cv.scroll.ScrollToTop()
			scrolled = true
		}
		return cmp.AllEnded()
	})
	if !scrolled {
		t.Fatalf("the answers never outgrew the window (%d checks)", checks)
	}
	// How many updates arrive after the scroll depends on how fast this
	// machine runs the simulator's real-time stream against the UI work (a
	// loaded CI machine once saw one): the layout after the last of them
	// is checked here, whatever the timing.
	h.settle()
	same(checks)
	if h := cv.scroll.Content.Size().Height; cv.scroll.Offset.Y != 0 || h <= cv.scroll.Size().Height {
		t.Errorf("offset %v of %v: the chat followed the answers, or they did not outgrow the window", cv.scroll.Offset.Y, h)
	}
}
