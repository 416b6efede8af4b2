package transfer

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	_ "github.com/deskchat/deskchat/internal/localefix" // quiet Fyne under LANG=C.UTF-8
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/bridge/bridgetest"
)

// fakeHost is the app as the transfer screens see it, on Fyne's headless
// test driver, with a real store. The test goroutine plays the UI
// goroutine: what the bridge posts is queued and run by settle.
type fakeHost struct {
	t   testing.TB
	win fyne.Window
	st  *store.Store
	b   *bridge.Bridge
	bq  *bridgetest.Queue // the bridge's posted work, run by settle
	// wake is signalled when the bridge has no work left running.

	quit    context.Context
	quitNow context.CancelFunc
	jobs    sync.WaitGroup
	now     time.Time

	convs    []store.Conversation // as a sidebar lists them, newest first
	selected string               // the conversation shown: the newest at start
	changed  int                  // ConversationsChanged calls
	noted    int                  // BackupNoted calls
	opened   []*url.URL           // what OpenURL was asked to open
}

func newFakeHost(t testing.TB, setup func(st *store.Store)) *fakeHost {
	t.Helper()
	test.NewTempApp(t)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if setup != nil {
		setup(st)
	}
	h := &fakeHost{t: t, st: st, now: time.Date(2026, 12, 6, 20, 15, 0, 0, time.UTC)}
	h.bq = bridgetest.New(1 << 16)
	h.b = h.bq.B
	h.quit, h.quitNow = context.WithCancel(context.Background())
	t.Cleanup(h.shutdown)
	h.win = test.NewWindow(widget.NewLabel("the chats"))
	h.win.Resize(fyne.NewSize(1000, 700))
	t.Cleanup(h.win.Close)
	h.load()
	if len(h.convs) > 0 {
		h.selected = h.convs[0].ID
	}
	return h
}

// shutdown is the window's: stop the jobs and wait for them.
func (h *fakeHost) shutdown() {
	h.quitNow()
	h.jobs.Wait()
}

func (h *fakeHost) load() {
	cs, err := h.st.Conversations()
	if err != nil {
		h.t.Fatal(err)
	}
	h.convs = cs
}

func (h *fakeHost) Window() fyne.Window                 { return h.win }
func (h *fakeHost) ShowDialog(d dialog.Dialog)          { d.Show() }
func (h *fakeHost) Bridge() *bridge.Bridge              { return h.b }
func (h *fakeHost) Store() *store.Store                 { return h.st }
func (h *fakeHost) Now() time.Time                      { return h.now }
func (h *fakeHost) Quit() context.Context               { return h.quit }
func (h *fakeHost) Jobs() *sync.WaitGroup               { return &h.jobs }
func (h *fakeHost) Conversations() []store.Conversation { return h.convs }
func (h *fakeHost) DataFolder() string                  { return filepath.Dir(h.st.FilePath()) }
func (h *fakeHost) BackupNoted()                        { h.noted++ }

func (h *fakeHost) Current() (store.Conversation, bool) {
	for _, c := range h.convs {
		if c.ID == h.selected {
			return c, true
		}
	}
	return store.Conversation{}, false
}

func (h *fakeHost) ConversationsChanged() { h.changed++; h.load() }

func (h *fakeHost) OpenURL(u *url.URL) error { h.opened = append(h.opened, u); return nil }

// settleUntil runs posted UI work until cond holds.
func (h *fakeHost) settleUntil(what string, cond func() bool) {
	h.t.Helper()
	h.bq.SettleUntil(h.t, what, cond)
}

// settle runs posted UI work until no background work is left.
func (h *fakeHost) settle() {
	h.t.Helper()
	h.bq.Settle(h.t)
}

// topDialog returns the objects of the dialog shown on top of the window.
func (h *fakeHost) topDialog() []fyne.CanvasObject {
	h.t.Helper()
	top := h.win.Canvas().Overlays().Top()
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

func (h *fakeHost) tapDialogButton(text string) {
	h.t.Helper()
	b := findButton(h.topDialog(), text)
	if b == nil {
		h.t.Fatalf("the dialog has no %q button", text)
	}
	test.Tap(b)
}

// everyText is the text of objs, one widget a line.
func everyText(objs []fyne.CanvasObject) string {
	var sb strings.Builder
	for _, o := range objs {
		switch o := o.(type) {
		case *widget.Label:
			sb.WriteString(o.Text + "\n")
		case *widget.RichText:
			sb.WriteString(o.String() + "\n")
		case *widget.Entry:
			if !o.Password {
				sb.WriteString(o.Text + "\n" + o.PlaceHolder + "\n")
			}
		case *widget.Select:
			sb.WriteString(o.Selected + "\n")
		case *widget.Button:
			sb.WriteString(o.Text + "\n")
		case *canvas.Text: // a form's labels
			sb.WriteString(o.Text + "\n")
		}
	}
	return sb.String()
}
