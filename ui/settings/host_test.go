package settings

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/providers"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/bridge/bridgetest"
)

// fakeHost is the least an app can be for the settings: a test window, a
// store in a temporary folder, and a bridge whose posted work the test
// goroutine runs (settle). It proves that Host is all the settings need.
type fakeHost struct {
	t      *testing.T
	win    fyne.Window
	st     *store.Store
	b      *bridge.Bridge
	bq     *bridgetest.Queue // the bridge's posted work, run by settle
	d      *Dialog
	ps     []store.Provider
	def    string
	prefs  Prefs
	errs   []string // ShowError's titles
	reload int      // ReloadConversations calls
	// tools is the window's tool servers (nil: none); toolsChanged counts
	// ToolServersChanged calls.
	tools        *fakeServers
	toolsChanged int
}

func newFakeHost(t *testing.T) *fakeHost {
	t.Helper()
	a := test.NewTempApp(t)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &fakeHost{t: t, st: st}
	h.bq = bridgetest.New(1024)
	h.b = h.bq.B
	h.win = a.NewWindow("settings")
	h.win.Resize(fyne.NewSize(1000, 700))
	h.d = New(h)
	return h
}

// settle runs posted UI work until no background work is left.
func (h *fakeHost) settle() {
	h.t.Helper()
	h.bq.Settle(h.t)
}

func (h *fakeHost) Window() fyne.Window         { return h.win }
func (h *fakeHost) Bridge() *bridge.Bridge      { return h.b }
func (h *fakeHost) Store() *store.Store         { return h.st }
func (h *fakeHost) Admin() *providers.Admin     { return providers.New(h.st, h.Keyring()) }
func (h *fakeHost) Keyring() secrets.Keyring    { return secrets.System() }
func (h *fakeHost) Providers() []store.Provider { return h.ps }
func (h *fakeHost) DefaultProvider() string     { return h.def }
func (h *fakeHost) Prefs() Prefs                { return h.prefs }
func (h *fakeHost) SetPrefs(p Prefs)            { h.prefs = p }
func (h *fakeHost) ReloadConversations()        { h.reload++ }
func (h *fakeHost) ShowError(title string, err error) {
	h.errs = append(h.errs, title+": "+err.Error())
}
func (h *fakeHost) DataFolder() string         { return h.t.TempDir() }
func (h *fakeHost) OpenURL(*url.URL) error     { return errors.New("no file manager in tests") }
func (h *fakeHost) BackupNote() (string, bool) { return "", false }
func (h *fakeHost) ToolServers() ToolServers {
	if h.tools == nil {
		return nil // an interface holding a nil pointer is not nil
	}
	return h.tools
}
func (h *fakeHost) ToolServersChanged() { h.toolsChanged++ }

// ReloadProviders reads the providers and the defaults as the window does.
func (h *fakeHost) ReloadProviders(then func()) {
	type loaded struct {
		ps []store.Provider
		kv map[string]string
	}
	bridge.Run(h.b, func() (loaded, error) {
		ps, err := h.st.Providers()
		if err != nil {
			return loaded{}, err
		}
		kv, err := h.st.Settings()
		return loaded{ps, kv}, err
	}, func(l loaded, err error) {
		if err != nil {
			h.t.Errorf("reading the providers: %v", err)
			return
		}
		h.ps, h.def, h.prefs = l.ps, l.kv[store.SettingDefaultProvider], PrefsFrom(l.kv)
		if h.d.Open {
			h.d.ProvidersChanged()
		}
		if then != nil {
			then()
		}
	})
}

func TestSaveAProviderThroughAFakeHost(t *testing.T) {
	keyring.MockInit()
	h := newFakeHost(t)
	h.d.Show()
	h.settle()
	if !h.d.Open || h.d.Form != nil || len(h.d.Listed) != 0 {
		t.Fatalf("open %v, form %v, listed %d", h.d.Open, h.d.Form != nil, len(h.d.Listed))
	}
	test.Tap(h.d.Add)
	h.d.PresetSel.SetSelected("Ollama")
	f := h.d.Form
	if f == nil || f.Name.Text != "Ollama" || !f.MakeDefault.Checked {
		t.Fatalf("no new Ollama form to be the default: %+v", f)
	}
	f.Model.SetText("llama3.2")
	test.Tap(f.Save)
	h.settle()

	p, err := h.st.Provider("Ollama")
	if err != nil || p.Model != "llama3.2" || p.Preset != "Ollama" {
		t.Fatalf("stored %+v, %v", p, err)
	}
	if len(h.d.Listed) != 1 || h.d.Listed[0].Name != "Ollama" || h.def != "Ollama" {
		t.Errorf("listed %v, default %q", h.d.Listed, h.def)
	}
	if got := everyLabel(test.LaidOutObjects(h.d.List)); !strings.Contains(got, "Ollama") {
		t.Errorf("the list shows %q", got)
	}
	if h.d.Form == nil || h.d.Form.Orig.Name != "Ollama" || h.d.Form.Result.Text != "Saved. New chats use Ollama now." {
		t.Errorf("after Save the form is %+v", h.d.Form)
	}
	if !slices.Contains(h.d.Defaults.Provider.Options, "Ollama") || h.d.Defaults.Provider.Selected != "Ollama" {
		t.Errorf("the Defaults tab offers %v, chosen %q", h.d.Defaults.Provider.Options, h.d.Defaults.Provider.Selected)
	}
	if len(h.errs) != 0 {
		t.Errorf("errors shown: %v", h.errs)
	}
}

func TestFirstRunTryTheSimulatorThroughAFakeHost(t *testing.T) {
	keyring.MockInit()
	h := newFakeHost(t)
	d := h.d.FirstRun()
	if d == nil {
		t.Fatal("no first-run dialog without providers")
	}
	var sim *widget.Button
	for _, o := range test.LaidOutObjects(h.win.Canvas().Overlays().Top()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Try the Simulator (no network)" {
			sim = b
		}
	}
	if sim == nil {
		t.Fatal("the first-run dialog offers no Simulator")
	}
	test.Tap(sim)
	h.settle()
	if v, _ := h.st.Setting(store.SettingDefaultProvider); v != engine.SimulatorName || h.def != engine.SimulatorName {
		t.Errorf("stored default %q, host's %q", v, h.def)
	}
	if h.d.FirstRun() != nil {
		t.Error("the first-run dialog shows again with a default provider")
	}
}

func everyLabel(objs []fyne.CanvasObject) string {
	var sb strings.Builder
	for _, o := range objs {
		if l, ok := o.(*widget.Label); ok && l.Visible() {
			sb.WriteString(l.Text + "\n")
		}
	}
	return sb.String()
}
