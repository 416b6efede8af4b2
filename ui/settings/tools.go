package settings

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/tools"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// ToolServers is what the Tools page needs of the MCP servers the window
// runs (*tools.Manager): their state and tools, and the changes the page
// makes while they run.
type ToolServers interface {
	State(name string) tools.State
	// Tools starts the named servers when needed and lists their enabled
	// tools (the page only wants the start: the state then holds them all).
	Tools(ctx context.Context, servers []string) ([]engine.ToolInfo, error)
	Set(ts store.ToolServer)
	Remove(name string)
	SetDisabled(name string, tools []string) bool
	SetAllowed(name string, tools []string) bool
}

// connectTimeout bounds how long the page waits for a server to start and
// list its tools.
const connectTimeout = 30 * time.Second

// ToolsPage is the Settings' Tools tab: the MCP servers on the left, the
// one picked (or the form adding one) on the right. Kept for tests.
type ToolsPage struct {
	s       *Dialog
	Content fyne.CanvasObject

	List    *widget.List
	Listed  []store.ToolServer
	Add     *widget.Button
	Detail  *fyne.Container
	Shown   *ToolServerView // the server shown; nil when none
	AddForm *ToolServerForm // the form shown; nil when none
}

// ToolServerView is one server's details: where it runs, how it is
// doing, and its tools, each of which can be turned off or always allowed.
type ToolServerView struct {
	Server  store.ToolServer
	Status  *widget.Label
	Stderr  *widget.Label // the server's last words on stderr (a failed stdio server)
	Connect *widget.Button
	Remove  *widget.Button
	Tools   *widget.List
	Listed  []engine.ToolInfo // all the server's tools, as last listed
}

func (s *Dialog) newToolsPage() *ToolsPage {
	p := &ToolsPage{s: s}
	p.List = widget.NewList(
		func() int { return len(p.Listed) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("server name")
			name.Truncation = fyne.TextTruncateEllipsis
			return name
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.Listed[i].Name) })
	p.List.OnSelected = func(i widget.ListItemID) {
		if i < len(p.Listed) && (p.Shown == nil || p.Shown.Server.Name != p.Listed[i].Name) {
			p.show(p.Listed[i])
		}
	}
	p.Add = widget.NewButtonWithIcon("Add server", theme.ContentAddIcon(), p.showAddForm)
	left := container.NewBorder(nil, container.NewPadded(p.Add), nil, nil, p.List)
	p.Detail = container.NewStack()
	split := container.NewHSplit(left, p.Detail)
	split.Offset = 0.28
	p.Content = split
	p.reload("")
	return p
}

// servers is the window's manager; nil when it runs none (then the page
// still adds and removes, and the servers start with the next run).
func (p *ToolsPage) servers() ToolServers { return p.s.host.ToolServers() }

// reload reads the servers again and shows pick (or, when it is gone, the
// empty state).
func (p *ToolsPage) reload(pick string) {
	st := p.s.host.Store()
	bridge.Run(p.s.host.Bridge(), st.ToolServers, func(list []store.ToolServer, err error) {
		if err != nil {
			p.s.host.ShowError("Could not read the tool servers", err)
			return
		}
		p.Listed = list
		p.List.UnselectAll()
		p.List.Refresh()
		for i, ts := range list {
			if ts.Name == pick {
				p.List.Select(i)
				return
			}
		}
		if p.AddForm == nil {
			p.showEmpty("")
		}
	})
}

func (p *ToolsPage) showEmpty(notice string) {
	p.Shown, p.AddForm = nil, nil
	text := "Pick a server on the left, or add one."
	if len(p.Listed) == 0 {
		text = "No tool servers yet. An MCP server gives models tools, such as reading your notes or searching a wiki; a chat uses them only when you turn them on with Tools by the composer, and asks you before each call."
	}
	if notice != "" {
		text = notice + "\n\n" + text
	}
	msg := look.Wrapped(text, widget.MediumImportance)
	msg.Alignment = fyne.TextAlignCenter
	add := widget.NewButtonWithIcon("Add server", theme.ContentAddIcon(), p.showAddForm)
	p.setDetail(container.NewVBox(layout.NewSpacer(), msg, container.NewCenter(add), layout.NewSpacer()))
}

func (p *ToolsPage) setDetail(o fyne.CanvasObject) {
	p.Detail.Objects = []fyne.CanvasObject{container.NewPadded(o)}
	p.Detail.Refresh()
}

// show shows the server ts: its state as the manager knows it, without
// starting it (Connect does).
func (p *ToolsPage) show(ts store.ToolServer) {
	p.AddForm = nil
	v := &ToolServerView{Server: ts}
	p.Shown = v
	where := "Command: " + strings.Join(append([]string{ts.Command}, ts.Args...), " ")
	if ts.URL != "" {
		where = "URL: " + ts.URL
	}
	title := widget.NewLabelWithStyle(ts.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	whereLabel := look.Wrapped(where, widget.LowImportance)
	v.Status = look.Wrapped("", widget.MediumImportance)
	v.Stderr = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	v.Stderr.Wrapping = fyne.TextWrapBreak
	v.Connect = widget.NewButtonWithIcon("Connect", theme.ViewRefreshIcon(), func() { p.connect(v) })
	v.Remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() { p.confirmRemove(v) })
	v.Remove.Importance = widget.DangerImportance
	v.Tools = p.newToolList(v)
	hint := look.Wrapped("Offered: models of chats that use this server may call the tool. Runs without asking: no Allow card before it runs.", widget.LowImportance)
	top := container.NewVBox(title, whereLabel, v.Status, v.Stderr,
		container.NewHBox(v.Connect, layout.NewSpacer(), v.Remove), widget.NewSeparator(), hint)
	p.setDetail(container.NewBorder(top, nil, nil, nil, v.Tools))
	p.refreshState(v)
}

// refreshState shows what the manager knows of v's server.
func (p *ToolsPage) refreshState(v *ToolServerView) {
	var state tools.State
	if m := p.servers(); m != nil {
		state = m.State(v.Server.Name)
	} else {
		state = tools.State{Status: tools.Idle}
	}
	imp := widget.MediumImportance
	if state.Status == tools.Failed {
		imp = widget.DangerImportance
	}
	look.SetLabel(v.Status, statusSentence(state), imp)
	stderr := ""
	if state.Status == tools.Failed {
		stderr = lastLines(strings.TrimSpace(state.Stderr), stderrLines)
	}
	v.Stderr.SetText(stderr)
	look.Show(v.Stderr, stderr != "")
	v.Connect.SetText("Connect")
	if state.Status == tools.Connected || state.Status == tools.Failed {
		v.Connect.SetText("Check again")
	}
	v.Connect.Enable()
	if p.servers() == nil {
		v.Connect.Disable()
	}
	if len(state.Tools) > 0 || state.Status == tools.Connected {
		v.Listed = state.Tools
	}
	v.Tools.Refresh()
}

// stderrLines is how much of a failed server's stderr the page shows: its
// last words say why; 4 KB of them would push its tools off the page.
const stderrLines = 8

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// statusSentence says how a server is doing, as the page shows it.
func statusSentence(state tools.State) string {
	var s string
	switch state.Status {
	case tools.Connected:
		s = fmt.Sprintf("Connected · %d tools", len(state.Tools))
	case tools.Starting:
		s = "Starting…"
	case tools.Failed:
		s = "Failed."
	default:
		s = "Not started: it starts when a chat first uses it, or with Connect."
	}
	if state.Sentence != "" {
		s += " " + state.Sentence
	}
	return s
}

// connect starts v's server (when needed) and lists its tools, on the
// bridge; the state shown follows.
func (p *ToolsPage) connect(v *ToolServerView) {
	m := p.servers()
	if m == nil {
		return
	}
	v.Connect.Disable()
	look.SetLabel(v.Status, "Starting…", widget.MediumImportance)
	name := v.Server.Name
	bridge.Run(p.s.host.Bridge(), func() (struct{}, error) {
		ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
		defer cancel()
		m.Tools(ctx, []string{name}) // a failure is in the state
		return struct{}{}, nil
	}, func(struct{}, error) {
		if p.Shown == v {
			p.refreshState(v)
		}
	})
}

// newToolList lists v's tools, each with "Offered" and "Runs without
// asking".
func (p *ToolsPage) newToolList(v *ToolServerView) *widget.List {
	return widget.NewList(
		func() int { return len(v.Listed) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("tool_name", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			desc := widget.NewLabel("what it does")
			desc.Truncation = fyne.TextTruncateEllipsis
			desc.Importance, desc.SizeName = look.HintStyle(widget.LowImportance)
			offered := widget.NewCheck("Offered", nil)
			allowed := widget.NewCheck("Runs without asking", nil)
			return container.NewBorder(nil, nil, nil, container.NewHBox(offered, allowed), container.NewVBox(name, desc))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(v.Listed) {
				return
			}
			t := v.Listed[i]
			c := o.(*fyne.Container)
			texts, checks := c.Objects[0].(*fyne.Container), c.Objects[1].(*fyne.Container)
			texts.Objects[0].(*widget.Label).SetText(t.Name)
			texts.Objects[1].(*widget.Label).SetText(firstLine(t.Description))
			offered, allowed := checks.Objects[0].(*widget.Check), checks.Objects[1].(*widget.Check)
			offered.OnChanged, allowed.OnChanged = nil, nil // SetChecked must not write
			offered.SetChecked(!slices.Contains(v.Server.Disabled, t.Name))
			allowed.SetChecked(slices.Contains(v.Server.Allowed, t.Name))
			offered.OnChanged = func(on bool) { p.setTool(v, t.Name, on, false) }
			allowed.OnChanged = func(on bool) { p.setTool(v, t.Name, on, true) }
		})
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// setTool turns tool on or off in v's server's Disabled (allowed: its
// Allowed), in the history and in the running manager.
func (p *ToolsPage) setTool(v *ToolServerView, tool string, on, allowed bool) {
	name := v.Server.Name
	admin := tools.Admin{Store: p.s.host.Store(), Keyring: p.s.host.Keyring()}
	bridge.Run(p.s.host.Bridge(), func() (store.ToolServer, error) {
		return admin.Update(name, func(ts *store.ToolServer) {
			list := &ts.Disabled
			if allowed {
				list = &ts.Allowed
			}
			*list = slices.DeleteFunc(*list, func(s string) bool { return s == tool })
			if on == allowed { // allowed and on, or offered and off
				*list = append(*list, tool)
			}
		})
	}, func(ts store.ToolServer, err error) {
		if err != nil {
			p.s.host.ShowError("Could not change the tool", err)
			if p.Shown == v {
				v.Tools.Refresh() // back to what is stored
			}
			return
		}
		if m := p.servers(); m != nil {
			m.SetDisabled(name, ts.Disabled)
			m.SetAllowed(name, ts.Allowed)
		}
		v.Server = ts
	})
}

// confirmRemove asks before removing v's server: its process stops and
// its secrets leave the keychain.
func (p *ToolsPage) confirmRemove(v *ToolServerView) {
	msg := fmt.Sprintf("Remove %s? Its tools are no longer offered to any chat, its process is stopped and its secrets are removed from the keychain. Chats keep the calls they made.", v.Server.Name)
	dialog.ShowConfirm("Remove tool server", msg, func(ok bool) {
		if ok {
			p.remove(v)
		}
	}, p.s.host.Window())
}

func (p *ToolsPage) remove(v *ToolServerView) {
	name := v.Server.Name
	admin := tools.Admin{Store: p.s.host.Store(), Keyring: p.s.host.Keyring()}
	bridge.Run(p.s.host.Bridge(), func() (tools.Removal, error) {
		r, err := admin.Remove(name)
		if err == nil {
			if m := p.servers(); m != nil {
				m.Remove(name) // stops its process group: not on the UI goroutine
			}
		}
		return r, err
	}, func(r tools.Removal, err error) {
		if err != nil {
			p.s.host.ShowError("Could not remove the tool server", err)
			return
		}
		notice := fmt.Sprintf("Removed %s.", name)
		if r.SecretsLeft != nil {
			notice += " Its secrets could not all be removed from the keychain: " + r.SecretsLeft.Error()
		}
		p.s.host.ToolServersChanged()
		p.afterRemove(notice)
	})
}

func (p *ToolsPage) afterRemove(notice string) {
	st := p.s.host.Store()
	bridge.Run(p.s.host.Bridge(), st.ToolServers, func(list []store.ToolServer, err error) {
		if err == nil {
			p.Listed = list
		}
		p.List.UnselectAll()
		p.List.Refresh()
		p.showEmpty(notice)
	})
}

// invalidSentence is a refusal as the page shows it: a sentence.
func invalidSentence(err error) string {
	var invalid *tools.InvalidError
	if errors.As(err, &invalid) {
		m := invalid.Msg
		return strings.ToUpper(m[:1]) + m[1:] + "."
	}
	return engine.UserMessage(err)
}
