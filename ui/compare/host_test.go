package compare

import (
	"context"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/chat"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// fakeHost is a Host without a main window: two providers, a composer's
// text, and a chat that records what is asked of it.
type fakeHost struct {
	win      fyne.Window
	composer string
	opts     engine.SendOptions
	models   map[string][]string
	names    []string
	chat     *fakeChat // nil: no chat shown
	shown    []dialog.Dialog
	errs     []error
}

func newFakeHost(t *testing.T) *fakeHost {
	return &fakeHost{win: test.NewTempApp(t).NewWindow("deskchat"), composer: "pick a colour",
		opts:   engine.SendOptions{Provider: "Local", Model: "m1"},
		names:  []string{"Local", "Remote"},
		models: map[string][]string{"Local": {"m1", "m2"}, "Remote": {"r1"}}}
}

func (h *fakeHost) Window() fyne.Window                 { return h.win }
func (h *fakeHost) ShowDialog(d dialog.Dialog)          { h.shown = append(h.shown, d); d.Show() }
func (h *fakeHost) ShowError(_ string, err error)       { h.errs = append(h.errs, err) }
func (h *fakeHost) Bridge() *bridge.Bridge              { return bridge.New() }
func (h *fakeHost) Engine() *engine.Engine              { return nil }
func (h *fakeHost) Now() time.Time                      { return time.Unix(0, 0) }
func (h *fakeHost) ComposerText() string                { return h.composer }
func (h *fakeHost) SetComposerText(text string)         { h.composer = text }
func (h *fakeHost) SendOptions() engine.SendOptions     { return h.opts }
func (h *fakeHost) ProviderNames() []string             { return h.names }
func (h *fakeHost) ModelsOf(provider string) []string   { return h.models[provider] }
func (h *fakeHost) DefaultModel(provider string) string { return "" }
func (h *fakeHost) NewEntry(multiLine bool) *look.EscEntry {
	return look.NewEscEntry(func() {}, multiLine)
}
func (h *fakeHost) NewMessage(m store.Message) *chat.Message {
	return chat.NewMessage(m)
}
func (h *fakeHost) Pin(*chat.Message, bool) {}
func (h *fakeHost) Selected() bool          { return h.chat != nil }
func (h *fakeHost) ChatsChanged()           {}
func (h *fakeHost) NameChat(string)         {}
func (h *fakeHost) Shown() Chat {
	if h.chat == nil {
		return nil
	}
	return h.chat
}

// fakeChat is a chat whose end is not read yet: it records ToEnd.
type fakeChat struct {
	live, atEnd bool
	toEnd       []func()
	rows        []fyne.CanvasObject
}

func (c *fakeChat) ID() string                    { return "c1" }
func (c *fakeChat) Live() bool                    { return c.live }
func (c *fakeChat) Busy() bool                    { return c.live }
func (c *fakeChat) AtEnd() bool                   { return c.atEnd }
func (c *fakeChat) ToEnd(then func())             { c.toEnd = append(c.toEnd, then) }
func (c *fakeChat) Scroll() *container.Scroll     { return container.NewVScroll(container.NewVBox()) }
func (c *fakeChat) AtBottom() bool                { return true }
func (c *fakeChat) AddRow(o fyne.CanvasObject)    { c.rows = append(c.rows, o) }
func (c *fakeChat) RemoveRow(o fyne.CanvasObject) {}
func (c *fakeChat) StartLive(context.CancelFunc, *chat.Message) {
	c.live = true
}
func (c *fakeChat) EndLive()    { c.live = false }
func (c *fakeChat) Fit()        {}
func (c *fakeChat) Fresh() bool { return false }
func (c *fakeChat) Forget()     {}

func TestTheDialogAsksTheHostForProvidersModelsAndThePrompt(t *testing.T) {
	h := newFakeHost(t)
	if NewDialog(h) != nil {
		t.Fatal("a comparison was offered with no chat shown")
	}
	h.chat = &fakeChat{live: true}
	if NewDialog(h) != nil {
		t.Fatal("a comparison was offered while an answer streams")
	}
	h.chat.live = false
	cd := NewDialog(h)
	cd.Show()
	if len(h.shown) != 1 {
		t.Fatalf("the host showed %d dialogs", len(h.shown))
	}
	if got := cd.Targets(); !slices.Equal(got, []engine.Target{{Provider: "Local", Model: "m1"}, {Provider: "Local", Model: "m2"}}) || cd.Prompt.Text != "pick a colour" {
		t.Fatalf("prefilled %v, prompt %q", got, cd.Prompt.Text)
	}
	test.Tap(cd.AddBtn)
	if got := cd.Targets()[2]; got != (engine.Target{Provider: "Remote", Model: "r1"}) {
		t.Errorf("the third row asks %v, want the other provider's model", got)
	}
	// Submitting without a prompt says so and starts nothing.
	cd.Prompt.SetText("  ")
	cd.Submit()
	if !cd.Problem.Visible() || cd.Problem.Text != "Write the prompt first." || cd.Started != nil {
		t.Errorf("problem %q (shown %v), started %v", cd.Problem.Text, cd.Problem.Visible(), cd.Started)
	}
	// A chat whose end is not read is read first; the comparison waits.
	cd.Prompt.SetText("pick a colour")
	cd.Submit()
	if cd.Started != nil || len(h.chat.toEnd) != 1 || len(h.chat.rows) != 0 || len(h.errs) != 0 {
		t.Errorf("started %v, ToEnd asked %d times, rows %d, errors %v", cd.Started, len(h.chat.toEnd), len(h.chat.rows), h.errs)
	}
}

func TestNextTargetPrefersTheFirstRowsProvider(t *testing.T) {
	h := newFakeHost(t)
	h.models["Remote"] = []string{"r1", "r2"}
	used := []engine.Target{{Provider: "Remote", Model: "r1"}}
	if got := NextTarget(h, used); got != (engine.Target{Provider: "Remote", Model: "r2"}) {
		t.Errorf("next after %v: %v", used, got)
	}
	if got := NextTarget(&fakeHost{}, nil); got != (engine.Target{}) {
		t.Errorf("no providers: %v", got)
	}
}
