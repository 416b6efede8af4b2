package ui

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	_ "github.com/deskchat/deskchat/internal/localefix" // quiet Fyne under LANG=C.UTF-8
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge/bridgetest"
	"github.com/deskchat/deskchat/ui/internal/chat"
	"github.com/deskchat/deskchat/ui/internal/markdown"
)

// harness is a main window on Fyne's headless test driver. The test
// goroutine plays the UI goroutine: what the bridge posts is queued and run
// by settle, so widgets are only ever touched by the test goroutine.
type harness struct {
	t   testing.TB
	w   *window
	st  *store.Store
	eng *engine.Engine
	bq  *bridgetest.Queue // the bridge's posted work, run by settle
}

func newHarness(t testing.TB, setup func(st *store.Store)) *harness {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if setup != nil {
		setup(st)
	}
	return harnessOn(t, st)
}

// harnessOn is newHarness on a store the test opened itself.
func harnessOn(t testing.TB, st *store.Store) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	eng := engine.New(st, engine.Options{})
	eng.SetSimulatorRate(0) // as fast as it goes
	h := &harness{t: t, st: st, eng: eng}
	h.bq = bridgetest.New(1 << 16)
	h.w = newWindow(a, Deps{Engine: eng, Store: st}, h.bq.B)
	h.w.compose.Choose = nil // never the desktop's own chooser: a test sets its own
	h.w.win.Resize(fyne.NewSize(1000, 700))
	t.Cleanup(func() { h.w.shutdown(5 * time.Second) })
	h.settle()
	return h
}

// settleUntil runs posted UI work until cond holds.
func (h *harness) settleUntil(what string, cond func() bool) {
	h.t.Helper()
	h.bq.SettleUntil(h.t, what, cond)
}

// settle runs posted UI work until no background work is left.
func (h *harness) settle() {
	h.t.Helper()
	h.bq.Settle(h.t)
}

// liveAnswer runs posted UI work until the shown chat has a streaming
// answer for which ready (if set) holds, and returns it.
func (h *harness) liveAnswer(ready func(*chat.Message) bool) *chat.Message {
	h.t.Helper()
	var v *chat.Message
	h.settleUntil("a streaming answer", func() bool {
		v = nil
		if cv := h.w.pane.chats[h.w.pane.selected]; cv != nil && cv.live != nil {
			v = cv.live.view
		}
		return v != nil && (ready == nil || ready(v))
	})
	return v
}

func hasText(v *chat.Message) bool { return v.Md.Text() != "" }

func useSimulator(st *store.Store) {
	if err := st.SetSetting(store.SettingDefaultProvider, engine.SimulatorName); err != nil {
		panic(err)
	}
}

// topDialog returns the objects of the dialog shown on top of the window.
func (h *harness) topDialog() []fyne.CanvasObject {
	h.t.Helper()
	top := h.w.win.Canvas().Overlays().Top()
	if top == nil {
		h.t.Fatal("no dialog is shown")
	}
	return test.LaidOutObjects(top)
}

func findButton(objs []fyne.CanvasObject, text string) *widget.Button {
	for _, o := range objs {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}

func (h *harness) tapDialogButton(text string) {
	h.t.Helper()
	b := findButton(h.topDialog(), text)
	if b == nil {
		h.t.Fatalf("the dialog has no %q button", text)
	}
	test.Tap(b)
}

func (h *harness) messages(convID string) []store.Message {
	h.t.Helper()
	msgs, err := h.st.Messages(convID)
	if err != nil {
		h.t.Fatal(err)
	}
	return msgs
}

// path is the chat's active path, as shown and sent.
func (h *harness) path(convID string) []store.Message {
	h.t.Helper()
	msgs, err := h.st.Path(convID)
	if err != nil {
		h.t.Fatal(err)
	}
	return msgs
}

func (h *harness) shown() *chatView {
	h.t.Helper()
	cv := h.w.pane.chats[h.w.pane.selected]
	if cv == nil {
		h.t.Fatal("no conversation is shown")
	}
	return cv
}

// ask types text into the composer and presses Enter.
func (h *harness) ask(text string) {
	test.Type(h.w.compose.Input, text)
	pressEnter(h.w.compose.Input)
}

func pressEnter(c *chat.Composer) { c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) }

func TestEnterSendsAndTheAnswerStreamsIntoOneWidgetPerBlock(t *testing.T) {
	h := newHarness(t, useSimulator)
	if h.w.overlays.welcome != nil {
		t.Fatal("the first-run dialog was shown although a default provider is set")
	}
	h.ask("Explain channels")
	answer := h.liveAnswer(nil)
	if h.w.compose.Input.Text != "" {
		t.Errorf("composer still holds %q once sent", h.w.compose.Input.Text)
	}
	h.settle()

	if len(h.w.side.convs) != 1 {
		t.Fatalf("%d conversations in the sidebar, want 1", len(h.w.side.convs))
	}
	conv := h.w.side.convs[0]
	if conv.Title != "Explain channels" || h.w.header.title.Text != "Explain channels" {
		t.Errorf("title %q / header %q", conv.Title, h.w.header.title.Text)
	}
	msgs := h.messages(conv.ID)
	if len(msgs) != 2 || msgs[0].Content != "Explain channels" || msgs[1].State != store.StateDone {
		t.Fatalf("stored messages: %+v", msgs)
	}
	if want := engine.SimulatedMarkdown("Explain channels", 300); msgs[1].Content != want {
		t.Errorf("stored answer differs from the Simulator's text")
	}
	cv := h.shown()
	if len(cv.col.Objects) != 2 {
		t.Fatalf("%d message views, want 2", len(cv.col.Objects))
	}
	if cv.live != nil || h.w.compose.Send.Text != "Send" {
		t.Errorf("answer still live after Done (button %q)", h.w.compose.Send.Text)
	}
	// The live view rendered exactly the stored text, one widget per block.
	if answer.Md.Text() != msgs[1].Content {
		t.Errorf("shown text differs from stored text")
	}
	// (A view made of the whole text at once has a widget per block.)
	if want := len(markdown.NewText(msgs[1].Content).Box.Objects); len(answer.Md.Box.Objects) != want || want < 5 {
		t.Errorf("%d block widgets for %d blocks", len(answer.Md.Box.Objects), want)
	}
	if answer.Header.Text != engine.SimulatorModel+" · "+engine.SimulatorName {
		t.Errorf("answer header %q", answer.Header.Text)
	}
}

func TestShiftEnterAddsALineAndDoesNotSend(t *testing.T) {
	h := newHarness(t, useSimulator)
	c := h.w.compose.Input
	test.Type(c, "line one")
	c.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	c.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	test.Type(c, "line two")
	h.settle()
	if c.Text != "line one\nline two" {
		t.Fatalf("composer text %q", c.Text)
	}
	if len(h.w.side.convs) != 0 {
		t.Fatalf("Shift+Enter sent the message")
	}
	pressEnter(c)
	h.settle()
	if len(h.w.side.convs) != 1 {
		t.Fatal("Enter did not send")
	}
	if msgs := h.messages(h.w.side.convs[0].ID); msgs[0].Content != "line one\nline two" {
		t.Errorf("sent %q", msgs[0].Content)
	}
	// Blank input is not sent.
	test.Type(c, "  ")
	pressEnter(c)
	h.settle()
	if n := len(h.messages(h.w.side.convs[0].ID)); n != 2 {
		t.Errorf("%d messages after sending blanks, want 2", n)
	}
}

func TestStopKeepsThePartialAnswer(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.eng.SetSimulatorRate(100) // 300 tokens take 3 s: time to press Stop
	test.Type(h.w.compose.Input, "tell me a long story")
	test.Tap(h.w.compose.Send)
	h.liveAnswer(hasText)
	cv := h.shown()
	if h.w.compose.Send.Text != "Stop" {
		t.Fatalf("button says %q while the answer streams", h.w.compose.Send.Text)
	}
	view := cv.live.view
	test.Tap(h.w.compose.Send)
	h.settle()
	if cv.live != nil || h.w.compose.Send.Text != "Send" {
		t.Fatalf("still live after Stop (button %q)", h.w.compose.Send.Text)
	}
	msgs := h.messages(cv.id)
	got := msgs[len(msgs)-1]
	full := engine.SimulatedMarkdown("tell me a long story", 300)
	if got.State != store.StateStopped || got.Content == "" || len(got.Content) >= len(full) || !strings.HasPrefix(full, got.Content) {
		t.Fatalf("stored answer: state %s, %d of %d bytes", got.State, len(got.Content), len(full))
	}
	if view.Md.Text() != got.Content {
		t.Errorf("shown %d bytes, stored %d", len(view.Md.Text()), len(got.Content))
	}
	if !view.Status.Visible() || !strings.HasPrefix(view.Status.Text, "Stopped") {
		t.Errorf("status line %q", view.Status.Text)
	}
}

func TestRenameAndDeleteWithConfirmation(t *testing.T) {
	h := newHarness(t, useSimulator)
	test.Tap(findButton(test.LaidOutObjects(h.w.win.Content()), "New chat"))
	h.settle()
	h.ask("first")
	h.settle()
	first := h.w.pane.selected

	test.Tap(h.w.header.renameBtn)
	objs := h.topDialog()
	var entry *escEntry
	for _, o := range objs {
		if e, ok := o.(*escEntry); ok {
			entry = e
		}
	}
	if entry == nil || entry.Text != "first" {
		t.Fatalf("rename dialog entry: %+v", entry)
	}
	entry.SetText("Renamed chat")
	h.tapDialogButton("Rename")
	h.settle()
	if c, _ := h.st.Conversation(first); c.Title != "Renamed chat" {
		t.Errorf("stored title %q", c.Title)
	}
	if h.w.header.title.Text != "Renamed chat" || h.w.side.convs[0].Title != "Renamed chat" {
		t.Errorf("header %q, sidebar %q", h.w.header.title.Text, h.w.side.convs[0].Title)
	}

	// A second conversation; then delete the first from the sidebar.
	h.w.newConversation()
	h.settle()
	if len(h.w.side.convs) != 2 || h.w.pane.selected == first {
		t.Fatalf("new chat not selected: %d convs", len(h.w.side.convs))
	}
	i, _ := h.w.indexOf(first)
	h.w.side.list.Select(i)
	if h.w.pane.selected != first {
		t.Fatal("selecting in the sidebar did not show the chat")
	}
	h.settle()
	if n := len(h.shown().col.Objects); n != 2 {
		t.Fatalf("reloaded chat shows %d messages, want 2", n)
	}

	test.Tap(h.w.header.deleteBtn)
	if txt := everyText(h.topDialog()); !strings.Contains(txt, "“Renamed chat”") {
		t.Errorf("confirmation text %q does not name the chat", txt)
	}
	h.tapDialogButton("No") // keeps it
	h.settle()
	if _, err := h.st.Conversation(first); err != nil {
		t.Fatalf("declining deleted the chat: %v", err)
	}
	test.Tap(h.w.header.deleteBtn)
	h.tapDialogButton("Yes")
	h.settle()
	if _, err := h.st.Conversation(first); err == nil {
		t.Fatal("chat still stored after Delete")
	}
	if len(h.w.side.convs) != 1 || h.w.pane.selected == first || h.w.pane.selected == "" {
		t.Errorf("after delete: %d convs, selected %q", len(h.w.side.convs), h.w.pane.selected)
	}
}

func TestFirstRunOffersTheSimulator(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	h := newHarness(t, nil)
	if h.w.overlays.welcome == nil {
		t.Fatal("no first-run dialog on an empty store")
	}
	objs := h.topDialog()
	if b := findButton(objs, "Use OpenAI with OPENAI_API_KEY (not set)"); b == nil || !b.Disabled() {
		t.Error("the OPENAI_API_KEY choice is not disabled without the variable")
	}
	h.tapDialogButton("Try the Simulator (no network)")
	h.settle()
	if def, _ := h.st.Setting(store.SettingDefaultProvider); def != engine.SimulatorName {
		t.Fatalf("default provider %q", def)
	}
	h.ask("hi")
	h.settle()
	msgs := h.messages(h.w.pane.selected)
	if len(msgs) != 2 || msgs[1].Provider != engine.SimulatorName || msgs[1].State != store.StateDone {
		t.Errorf("messages %+v", msgs)
	}
}

func TestSendThatCannotStartKeepsTheTextAndStoresNothing(t *testing.T) {
	t.Setenv("DESKCHAT_TEST_ABSENT_KEY", "")
	h := newHarness(t, func(st *store.Store) {
		if err := st.PutProvider(store.Provider{Name: "Cloud", Kind: store.KindOpenAI, Model: "gpt-4o", KeyEnv: "DESKCHAT_TEST_ABSENT_KEY"}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSetting(store.SettingDefaultProvider, "Cloud"); err != nil {
			t.Fatal(err)
		}
	})
	h.ask("important words")
	h.settle()
	txt := everyText(h.topDialog())
	if !strings.Contains(txt, "Cloud needs an API key: set DESKCHAT_TEST_ABSENT_KEY") {
		t.Errorf("error dialog says %q", txt)
	}
	if strings.Contains(txt, "engine:") || strings.Contains(txt, "store:") {
		t.Errorf("a Go error reached the user: %q", txt)
	}
	if h.w.compose.Input.Text != "important words" {
		t.Errorf("composer %q: the text was lost", h.w.compose.Input.Text)
	}
	if msgs := h.messages(h.w.pane.selected); len(msgs) != 0 {
		t.Errorf("%d messages stored for a send that never started", len(msgs))
	}
	if n := len(h.shown().col.Objects); n != 0 {
		t.Errorf("%d message views left behind", n)
	}
}

func TestFailedAnswerShowsTheProvidersSentence(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`)
	}))
	defer srv.Close()
	h := newHarness(t, func(st *store.Store) {
		if err := st.PutProvider(store.Provider{Name: "Local", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "m"}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSetting(store.SettingDefaultProvider, "Local"); err != nil {
			t.Fatal(err)
		}
	})
	h.ask("hello")
	view := h.liveAnswer(nil)
	h.settle()
	msgs := h.messages(h.w.pane.selected)
	last := msgs[len(msgs)-1]
	if last.State != store.StateFailed || !strings.Contains(last.Error, "Local") {
		t.Fatalf("stored answer %+v", last)
	}
	if view.Status.Text != last.Error || view.Status.Importance != widget.DangerImportance {
		t.Errorf("status %q (importance %v), want %q", view.Status.Text, view.Status.Importance, last.Error)
	}
}

func TestAnAnswerKeepsStreamingWhileAnotherChatIsShown(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.eng.SetSimulatorRate(300)
	h.ask("first chat")
	h.liveAnswer(hasText)
	first := h.w.pane.selected
	live := h.w.pane.chats[first].live.view
	h.w.newConversation()
	h.settleUntil("the new chat", func() bool { return h.w.pane.selected != first && h.w.pane.selected != "" })
	if h.w.compose.Send.Text != "Send" {
		t.Errorf("the new chat's button says %q", h.w.compose.Send.Text)
	}
	h.settle() // the first answer finishes in the background
	msgs := h.messages(first)
	if last := msgs[len(msgs)-1]; last.State != store.StateDone || live.Md.Text() != last.Content {
		t.Fatalf("background answer: state %s, shown %d of %d bytes", last.State, len(live.Md.Text()), len(last.Content))
	}
	if _, kept := h.w.pane.chats[first]; kept {
		t.Error("the finished background view was not released")
	}
}

func TestStartupErrorSaysWhyAndQuits(t *testing.T) {
	quit := make(chan struct{}, 1)
	obj := startupErrorContent("deskchat is already running with this data file.", func() { quit <- struct{}{} })
	w := test.NewTempWindow(t, obj)
	objs := test.LaidOutObjects(w.Content())
	if !strings.Contains(everyText(objs), "already running") {
		t.Errorf("text %q", everyText(objs))
	}
	test.Tap(findButton(objs, "Quit"))
	select {
	case <-quit:
	default:
		t.Fatal("Quit did nothing")
	}
}

func TestDeletingAChatWhileItsAnswerStreams(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.eng.SetSimulatorRate(100)
	h.ask("doomed")
	h.liveAnswer(hasText)
	id := h.w.pane.selected
	test.Tap(h.w.header.deleteBtn)
	h.tapDialogButton("Yes")
	h.settle()
	if _, err := h.st.Conversation(id); err == nil {
		t.Fatal("the chat is still stored")
	}
	if top := h.w.win.Canvas().Overlays().Top(); top != nil {
		t.Errorf("a dialog is open after deleting: %q", everyText(test.LaidOutObjects(top)))
	}
	if len(h.w.side.convs) != 0 || h.w.pane.selected != "" || len(h.w.pane.chats) != 0 {
		t.Errorf("left behind: %d convs, selected %q, %d views", len(h.w.side.convs), h.w.pane.selected, len(h.w.pane.chats))
	}
}

func TestPinAMessageAndTurnCompressionOff(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("remember this")
	h.settle()
	cv := h.shown()
	user := cv.views[0]
	if !user.Pin.Visible() || user.Pin.Text != "Pin" {
		t.Fatalf("pin button: visible %v %q", user.Pin.Visible(), user.Pin.Text)
	}
	tapAction(t, user, user.Pin)
	h.settle()
	if m, _ := h.st.Message(cv.id, user.Seq); !m.Pinned || m.Content != "remember this" {
		t.Fatalf("stored %+v", m)
	}
	if user.Pin.Text != "Unpin" || !strings.Contains(user.Header.Text, "pinned") {
		t.Errorf("after pinning: button %q, header %q", user.Pin.Text, user.Header.Text)
	}
	// Reloaded from the store, it is still pinned.
	h.w.newConversation()
	h.settle()
	i, _ := h.w.indexOf(cv.id)
	h.w.side.list.Select(i)
	h.settle()
	if v := h.shown().views[0]; !v.Pinned || v.Pin.Text != "Unpin" {
		t.Errorf("reloaded view: pinned %v, button %q", v.Pinned, v.Pin.Text)
	}

	compression := func() *fyne.MenuItem {
		for _, it := range h.w.moreMenu().Items {
			if strings.HasPrefix(it.Label, "Summarise old messages") {
				return it
			}
		}
		t.Fatal("no compression item in the menu")
		return nil
	}
	if !compression().Checked {
		t.Fatal("compression should be on")
	}
	compression().Action()
	h.settle()
	if c, _ := h.st.Conversation(cv.id); !c.CompressionOff {
		t.Error("compression still on in the store")
	}
	if compression().Checked {
		t.Error("the menu still shows compression on")
	}
}

func TestACachedAnswerSaysSo(t *testing.T) {
	h := newHarness(t, useSimulator)
	for i := 0; i < 2; i++ {
		h.w.newConversation()
		h.settle()
		h.ask("same question")
		h.settle()
	}
	answer := h.shown().views[1]
	if !answer.Badge.Visible() || strings.Contains(answer.Status.Text, "$") {
		t.Errorf("cached badge shown %v, status %q (a cached answer costs nothing)", answer.Badge.Visible(), answer.Status.Text)
	}
}

func TestRegenerateAsksAgainAndKeepsTheOldAnswer(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("roll again")
	h.settle()
	cv := h.shown()
	first := cv.views[1]
	if !first.Regen.Visible() || cv.views[0].Regen.Visible() {
		t.Fatalf("Regenerate offered on: answer %v, question %v", first.Regen.Visible(), cv.views[0].Regen.Visible())
	}
	test.Tap(first.Regen)
	h.settle()
	if len(cv.views) != 2 || cv.views[1] == first {
		t.Fatalf("%d views, want the question and the new answer in the old one's place", len(cv.views))
	}
	second := cv.views[1]
	if !second.Regen.Visible() || second.Md.Text() != first.Md.Text() || second.State != store.StateDone {
		t.Errorf("new answer: regen %v, state %s", second.Regen.Visible(), second.State)
	}
	if second.Branch != (store.Branch{Index: 2, Count: 2}) || !second.BranchBox.Visible() {
		t.Errorf("new answer at %+v, switcher shown %v", second.Branch, second.BranchBox.Visible())
	}
	if strings.Contains(second.Status.Text, "cache") {
		t.Errorf("a regenerated answer came from the cache: %q", second.Status.Text)
	}
	msgs := h.messages(cv.id)
	if len(msgs) != 3 || msgs[1].Parent != msgs[0].Seq || msgs[2].Parent != msgs[0].Seq {
		t.Fatalf("stored: %+v; want both answers under the question", msgs)
	}
	if p := h.path(cv.id); len(p) != 2 || p[1].Seq != msgs[2].Seq {
		t.Fatalf("the active path is %+v", p)
	}
}

func TestContinueAnInterruptedAnswer(t *testing.T) {
	var conv string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		c, _ := st.CreateConversation(store.Conversation{Title: "cut short", Provider: engine.SimulatorName, Model: engine.SimulatorModel})
		conv = c.ID
		st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleUser, Content: "Tell me everything."})
		// As a crash leaves it (store tests cover the recovery itself).
		st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleAssistant, Content: "Half of it", State: store.StateInterrupted})
	})
	h.w.show(conv)
	h.settle()

	cv := h.shown()
	if len(cv.views) != 2 {
		t.Fatalf("%d views", len(cv.views))
	}
	answer := cv.views[1]
	if answer.State != store.StateInterrupted || !answer.Cont.Visible() || cv.views[0].Cont.Visible() {
		t.Fatalf("interrupted answer: state %s, Continue shown %v (on the question %v)", answer.State, answer.Cont.Visible(), cv.views[0].Cont.Visible())
	}
	if !strings.Contains(answer.Status.Text, "Interrupted") {
		t.Errorf("status %q", answer.Status.Text)
	}
	test.Tap(answer.Cont)
	h.settle()
	if len(cv.views) != 2 {
		t.Fatalf("%d views after Continue; the answer should grow in place", len(cv.views))
	}
	text := answer.Md.Text()
	if !strings.HasPrefix(text, "Half of it") || len(text) <= len("Half of it") || answer.State != store.StateDone || answer.Cont.Visible() {
		t.Fatalf("after Continue: state %s, Continue shown %v, text %q", answer.State, answer.Cont.Visible(), text)
	}
	msgs := h.messages(conv)
	if len(msgs) != 2 || msgs[1].Content != text || msgs[1].State != store.StateDone {
		t.Fatalf("stored %+v", msgs)
	}
}
