package settings

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/tools"
)

// fakeServers stands for the window's *tools.Manager: each server
// "connects" when Tools is called and then offers echo and search (or
// fails, for a server called "broken"); it records what the page changes.
type fakeServers struct {
	mu        sync.Mutex
	connected map[string]bool
	set       []string
	removed   []string
	disabled  map[string][]string
	allowed   map[string][]string
}

func newFakeServers() *fakeServers {
	return &fakeServers{connected: map[string]bool{}, disabled: map[string][]string{}, allowed: map[string][]string{}}
}

func (f *fakeServers) State(name string) tools.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case name == "broken" && f.connected[name]:
		return tools.State{Status: tools.Failed, Sentence: "broken exited while starting (exit status 1).", Stderr: "Error: cannot find module 'x'"}
	case f.connected[name]:
		return tools.State{Status: tools.Connected, Tools: []engine.ToolInfo{
			{Server: name, Name: "echo", Description: "Returns its text.\nSecond line."},
			{Server: name, Name: "search", Description: "Searches."}}}
	}
	return tools.State{Status: tools.Idle}
}

func (f *fakeServers) Tools(ctx context.Context, servers []string) ([]engine.ToolInfo, error) {
	f.mu.Lock()
	for _, s := range servers {
		f.connected[s] = true
	}
	f.mu.Unlock()
	return nil, nil
}

func (f *fakeServers) Set(ts store.ToolServer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.set = append(f.set, ts.Name)
}

func (f *fakeServers) Remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, name)
}

func (f *fakeServers) SetDisabled(name string, tools []string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disabled[name] = tools
	return true
}

func (f *fakeServers) SetAllowed(name string, tools []string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.allowed[name] = tools
	return true
}

// toolsPage opens the settings on the Tools tab.
func toolsPage(t *testing.T, h *fakeHost) *ToolsPage {
	t.Helper()
	h.d.Show()
	h.settle()
	h.d.Tabs.SelectIndex(2)
	if h.d.Tabs.Selected().Text != "Tools" {
		t.Fatalf("the third tab is %q", h.d.Tabs.Selected().Text)
	}
	return h.d.Tools
}

// Adding a server through the form stores it (its secret in the keychain,
// not the history), hands it to the running manager and shows it; Connect
// lists its tools.
func TestToolsPageAddsAServerAndListsItsTools(t *testing.T) {
	keyring.MockInit()
	h := newFakeHost(t)
	h.tools = newFakeServers()
	p := toolsPage(t, h)
	if got := everyLabel(test.LaidOutObjects(p.Detail)); !strings.Contains(got, "No tool servers yet") {
		t.Fatalf("empty page says %q", got)
	}
	test.Tap(p.Add)
	f := p.AddForm
	if f == nil || f.Kind.Selected != KindCommand || f.url.Visible() || !f.command.Visible() {
		t.Fatalf("add form: %+v", f)
	}
	f.Name.SetText("notes")
	f.Command.SetText(`npx -y @modelcontextprotocol/server-filesystem "/home/me/my notes"`)
	f.Env.SetText("TOKEN=s3cret\n\n  HOME  \n")
	test.Tap(f.Save)
	h.settle()

	ts, err := h.st.ToolServer("notes")
	if err != nil || ts.Command != "npx" || !slices.Equal(ts.Args, []string{"-y", "@modelcontextprotocol/server-filesystem", "/home/me/my notes"}) ||
		!slices.Equal(ts.Env, []string{"TOKEN"}) || !slices.Equal(ts.EnvFromProcess, []string{"HOME"}) {
		t.Fatalf("stored %+v, %v", ts, err)
	}
	if v, err := secrets.System().Get(secrets.Service, tools.SecretKey("notes", "env", "TOKEN")); err != nil || v != "s3cret" {
		t.Fatalf("keychain: %q, %v", v, err)
	}
	if !slices.Equal(h.tools.set, []string{"notes"}) || h.toolsChanged != 1 {
		t.Errorf("manager given %v, changes told %d", h.tools.set, h.toolsChanged)
	}
	v := p.Shown
	if v == nil || v.Server.Name != "notes" || !strings.HasPrefix(v.Status.Text, "Not started") || !v.Status.Visible() || v.Connect.Disabled() {
		t.Fatalf("shown after adding: %+v", v)
	}
	test.Tap(v.Connect)
	h.settle()
	if v.Status.Text != "Connected · 2 tools" || !v.Status.Visible() || len(v.Listed) != 2 || v.Connect.Text != "Check again" {
		t.Fatalf("after Connect: %q, %d tools, %q", v.Status.Text, len(v.Listed), v.Connect.Text)
	}
	got := everyLabel(test.LaidOutObjects(v.Tools))
	if !strings.Contains(got, "echo") || !strings.Contains(got, "Returns its text.") || strings.Contains(got, "Second line") {
		t.Errorf("tool list shows %q", got)
	}
}

// Turning a tool off, and always allowing one, is kept in the history and
// told to the running manager; the checks show what is stored.
func TestToolsPageTogglesAreKept(t *testing.T) {
	keyring.MockInit()
	h := newFakeHost(t)
	h.tools = newFakeServers()
	if err := h.st.PutToolServer(store.ToolServer{Name: "local", Command: "srv", Allowed: []string{"search"}}); err != nil {
		t.Fatal(err)
	}
	p := toolsPage(t, h)
	h.tools.connected["local"] = true
	p.List.Select(0)
	v := p.Shown
	if v == nil || len(v.Listed) != 2 {
		t.Fatalf("shown: %+v", v)
	}
	checks := func() []*widget.Check {
		var out []*widget.Check
		for _, o := range test.LaidOutObjects(v.Tools) {
			if c, ok := o.(*widget.Check); ok {
				out = append(out, c)
			}
		}
		return out
	}
	cs := checks() // echo offered, echo allowed, search offered, search allowed
	if len(cs) != 4 || !cs[0].Checked || cs[1].Checked || !cs[2].Checked || !cs[3].Checked {
		t.Fatalf("checks: %d, %v", len(cs), checkStates(cs))
	}
	cs[0].SetChecked(false) // echo off
	h.settle()
	cs[3].SetChecked(false) // search asks again
	h.settle()
	ts, _ := h.st.ToolServer("local")
	if !slices.Equal(ts.Disabled, []string{"echo"}) || len(ts.Allowed) != 0 {
		t.Fatalf("stored disabled %v, allowed %v", ts.Disabled, ts.Allowed)
	}
	if !slices.Equal(h.tools.disabled["local"], []string{"echo"}) || len(h.tools.allowed["local"]) != 0 {
		t.Errorf("manager told disabled %v, allowed %v", h.tools.disabled, h.tools.allowed)
	}
	v.Tools.Refresh()
	if cs := checks(); cs[0].Checked || cs[3].Checked {
		t.Errorf("after refresh: %v", checkStates(cs))
	}
}

func checkStates(cs []*widget.Check) []bool {
	var out []bool
	for _, c := range cs {
		out = append(out, c.Checked)
	}
	return out
}

// A refused form keeps nothing and says why in a sentence; a failed
// server shows its stderr; Remove asks, then removes the record, the
// secrets and the process.
func TestToolsPageRefusalsFailuresAndRemoval(t *testing.T) {
	keyring.MockInit()
	h := newFakeHost(t)
	h.tools = newFakeServers()
	p := toolsPage(t, h)
	test.Tap(p.Add)
	f := p.AddForm
	f.Name.SetText("web")
	f.Kind.SetSelected(KindURL)
	f.URL.SetText("ftp://example.com/")
	f.Header.SetText("Authorization: Bearer s3cret")
	test.Tap(f.Save)
	h.settle()
	if !f.Problem.Visible() || !strings.HasPrefix(f.Problem.Text, "The URL must be an http:// or https:// address") || strings.Contains(f.Problem.Text, "s3cret") {
		t.Fatalf("problem: %q", f.Problem.Text)
	}
	if list, _ := h.st.ToolServers(); len(list) != 0 || len(h.tools.set) != 0 {
		t.Fatalf("a refused form stored %v", list)
	}
	f.Kind.SetSelected(KindCommand)
	f.Name.SetText("broken")
	f.Command.SetText("no-such-server")
	test.Tap(f.Save)
	h.settle()
	v := p.Shown
	test.Tap(v.Connect)
	h.settle()
	if !strings.HasPrefix(v.Status.Text, "Failed. broken exited") || !v.Stderr.Visible() || !strings.Contains(v.Stderr.Text, "cannot find module") {
		t.Fatalf("failed server shows %q / %q", v.Status.Text, v.Stderr.Text)
	}
	test.Tap(v.Remove)
	confirm := findButton(t, h.win.Canvas().Overlays().Top(), "Yes")
	test.Tap(confirm)
	h.settle()
	if list, _ := h.st.ToolServers(); len(list) != 0 || !slices.Equal(h.tools.removed, []string{"broken"}) {
		t.Fatalf("after Remove: stored %v, manager removed %v", list, h.tools.removed)
	}
	if got := everyLabel(test.LaidOutObjects(p.Detail)); !strings.Contains(got, "Removed broken.") {
		t.Errorf("after Remove the page says %q", got)
	}
}

// Without a running manager (none made) the page still adds a server and
// says it starts later; Connect is off.
func TestToolsPageWithoutAManager(t *testing.T) {
	keyring.MockInit()
	h := newFakeHost(t)
	p := toolsPage(t, h)
	test.Tap(p.Add)
	p.AddForm.Name.SetText("local")
	p.AddForm.Command.SetText("srv")
	test.Tap(p.AddForm.Save)
	h.settle()
	if p.Shown == nil || !p.Shown.Connect.Disabled() || !strings.HasPrefix(p.Shown.Status.Text, "Not started") {
		t.Fatalf("shown: %+v", p.Shown)
	}
}

func findButton(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, c := range test.LaidOutObjects(o) {
		if b, ok := c.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no %q button", text)
	return nil
}
