package composer

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	_ "github.com/deskchat/deskchat/internal/localefix" // quiet Fyne under LANG=C.UTF-8
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/attachview"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/bridge/bridgetest"
	"github.com/deskchat/deskchat/ui/internal/chat"
)

// fakeHost is the app as the bar sees it: a real store, a window on Fyne's
// test driver, a bridge whose posted work the test goroutine runs, and a
// record of what the bar asked of it.
type fakeHost struct {
	t         *testing.T
	win       fyne.Window
	st        *store.Store
	bq        *bridgetest.Queue
	chat      *store.Conversation // the chat shown; nil: none
	servers   []string
	streaming bool
	stops     int
	sent      []string
	resent    []string // the edited question's text, then what was sent
	changed   []string // "id: servers" as ToolsChanged was told
	errors    []string
}

func (h *fakeHost) Window() fyne.Window                    { return h.win }
func (h *fakeHost) Clipboard() fyne.Clipboard              { return fyne.CurrentApp().Clipboard() }
func (h *fakeHost) Bridge() *bridge.Bridge                 { return h.bq.B }
func (h *fakeHost) Store() *store.Store                    { return h.st }
func (h *fakeHost) ShowDialog(d dialog.Dialog)             { d.Show() }
func (h *fakeHost) ShowMenu(*fyne.Menu, fyne.CanvasObject) {}
func (h *fakeHost) ShowError(what string, err error)       { h.errors = append(h.errors, what) }
func (h *fakeHost) ToolServers() []string                  { return h.servers }
func (h *fakeHost) Streaming() bool                        { return h.streaming }
func (h *fakeHost) Stop()                                  { h.stops++ }
func (h *fakeHost) Send(text string)                       { h.sent = append(h.sent, text) }

func (h *fakeHost) Resend(edited *chat.Message, text string) {
	h.resent = append(h.resent, edited.Md.Text(), text)
}

func (h *fakeHost) Current() (store.Conversation, bool) {
	if h.chat == nil {
		return store.Conversation{}, false
	}
	return *h.chat, true
}

func (h *fakeHost) ToolsChanged(id string, servers []string) {
	h.changed = append(h.changed, id+": "+strings.Join(servers, ","))
	if h.chat != nil && h.chat.ID == id {
		h.chat.Tools = servers
	}
}

// newBar is a bar in a window of its own on a fake host with an empty store.
func newBar(t *testing.T) (*Bar, *fakeHost) {
	test.NewTempApp(t)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &fakeHost{t: t, st: st, bq: bridgetest.New(256)}
	b := New(h, attachview.NewThumbs(h.bq.B, 0, st.Blob))
	b.Choose = nil
	h.win = test.NewWindow(b.Obj)
	h.win.Resize(fyne.NewSize(800, 300))
	t.Cleanup(h.win.Close)
	return b, h
}

func (h *fakeHost) settle() { h.bq.Settle(h.t) }

// The Tools menu lists the servers set up; choosing one turns it on for
// the chat shown and stores that; with no chat shown, it is kept for the
// chat the next question starts.
func TestToolsMenuTurnsAServerOnForTheChat(t *testing.T) {
	b, h := newBar(t)
	b.Update()
	if b.Tools.Visible() {
		t.Fatal("the Tools button shows with no server set up")
	}
	h.servers = []string{"srv", "web"}
	c, err := h.st.CreateConversation(store.Conversation{Title: "tools"})
	if err != nil {
		t.Fatal(err)
	}
	h.chat = &c
	b.Update()
	if !b.Tools.Visible() || b.Tools.Text != "Tools" {
		t.Fatalf("the Tools button: shown %v, %q", b.Tools.Visible(), b.Tools.Text)
	}
	menu := b.ToolsMenu()
	if len(menu.Items) != 2 || menu.Items[0].Label != "srv" || menu.Items[0].Checked {
		t.Fatalf("menu %+v", menu.Items)
	}
	menu.Items[0].Action()
	h.settle()
	if stored, err := h.st.Conversation(c.ID); err != nil || !slices.Equal(stored.Tools, []string{"srv"}) {
		t.Fatalf("stored tools %v (%v)", stored.Tools, err)
	}
	if !slices.Equal(h.changed, []string{c.ID + ": srv"}) || b.Tools.Text != "Tools · 1" || !b.ToolsMenu().Items[0].Checked {
		t.Fatalf("host told %q, button %q", h.changed, b.Tools.Text)
	}
	h.chat = nil // no chat shown: the choice waits for the next one
	b.ToolsMenu().Items[1].Action()
	if !slices.Equal(b.NewTools, []string{"web"}) || b.Tools.Text != "Tools · 1" || len(h.changed) != 1 {
		t.Fatalf("chosen for the next chat %v, button %q, host told %q", b.NewTools, b.Tools.Text, h.changed)
	}
}

// A file dropped on the window lands in the tray and goes with the next
// question; what is not a local file is refused in a sentence.
func TestADroppedFileLandsInTheTray(t *testing.T) {
	b, h := newBar(t)
	paths := writeFiles(t, [2]string{"notes.txt", "meet at nine"})
	b.Dropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(paths[0])})
	h.settle()
	atts, ok := b.TakeAttachments()
	if !ok || len(atts) != 1 || atts[0].Name != "notes.txt" || atts[0].Text != "meet at nine" || !b.Tray.Obj.Visible() {
		t.Fatalf("tray %+v (ok %v)", atts, ok)
	}
	if h.win.Canvas().Focused() != b.Input {
		t.Error("the text box lost the focus to the drop")
	}
	remote, err := storage.ParseURI("https://example.com/a.png")
	if err != nil {
		t.Fatal(err)
	}
	b.Dropped(fyne.Position{}, []fyne.URI{remote})
	if len(b.Tray.Items()) != 1 || b.Tray.Note() != "Only files on this computer can be attached." {
		t.Fatalf("a web address dropped: %d chips, note %q", len(b.Tray.Items()), b.Tray.Note())
	}
	missing := filepath.Join(t.TempDir(), "gone.txt")
	b.Dropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(missing)})
	h.settle()
	if len(b.Tray.Items()) != 1 || !strings.Contains(b.Tray.Note(), "gone.txt") {
		t.Fatalf("a missing file dropped: %d chips, note %q", len(b.Tray.Items()), b.Tray.Note())
	}
}

// A question with no text and no files has nothing to send; spaces alone
// are no text, a file alone is a question.
func TestABlankQuestionIsNotAQuestion(t *testing.T) {
	if !IsBlank(" \n\t", nil) {
		t.Error("spaces are a question")
	}
	if IsBlank("", []store.Attachment{{Name: "photo.png"}}) || IsBlank("hi", nil) {
		t.Error("a file or a word is not a question")
	}
}

// Enter hands the text to the host; while a question is edited, Enter
// sends the edit and Esc (Cancel) gives the draft back.
func TestEnterSendsAndAnEditIsSentAgain(t *testing.T) {
	b, h := newBar(t)
	test.Type(b.Input, "draft")
	b.Input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !slices.Equal(h.sent, []string{"draft"}) {
		t.Fatalf("sent %q", h.sent)
	}
	v := chat.NewMessage(store.Message{Seq: 3, Role: store.RoleUser, Content: "one\ntwo", State: store.StateDone})
	b.Edit(v, true)
	if b.Editing() != v || b.Input.Text != "one\ntwo" || b.Input.CursorRow != 1 || !b.EditBar.Obj.Visible() ||
		!strings.Contains(b.EditBar.Text.Text, "behind ‹ ›") {
		t.Fatalf("editing %v, text %q, row %d, strip %q", b.Editing() != nil, b.Input.Text, b.Input.CursorRow, b.EditBar.Text.Text)
	}
	b.Input.SetText("one, edited")
	b.Input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !slices.Equal(h.resent, []string{"one\ntwo", "one, edited"}) || len(h.sent) != 1 {
		t.Fatalf("resent %q, sent %q", h.resent, h.sent)
	}
	b.CancelEdit()
	if b.Editing() != nil || b.EditBar.Obj.Visible() || b.Input.Text != "draft" {
		t.Fatalf("after cancelling: editing %v, text %q", b.Editing() != nil, b.Input.Text)
	}
}

// While the shown answer streams, Send is Stop and tapping it stops the
// answer rather than sending.
func TestSendIsStopWhileTheAnswerStreams(t *testing.T) {
	b, h := newBar(t)
	h.streaming = true
	b.Update()
	b.Input.SetText("next")
	test.Tap(b.Send)
	if b.Send.Text != "Stop" || b.Send.Importance != widget.DangerImportance || h.stops != 1 || len(h.sent) != 0 {
		t.Fatalf("button %q, stops %d, sent %q", b.Send.Text, h.stops, h.sent)
	}
	h.streaming = false
	b.Update()
	test.Tap(b.Send)
	if b.Send.Text != "Send" || !slices.Equal(h.sent, []string{"next"}) {
		t.Fatalf("button %q, sent %q", b.Send.Text, h.sent)
	}
}
