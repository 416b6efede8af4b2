package settings

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/tools"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// How a server is reached (ToolServerForm.Kind).
const (
	KindCommand = "A command on this computer (stdio)"
	KindURL     = "An address (streamable HTTP)"
)

// ToolServerForm adds a tool server: what `deskchat tools add` takes.
type ToolServerForm struct {
	Name    *widget.Entry
	Kind    *widget.RadioGroup
	Command *widget.Entry
	Env     *widget.Entry // one K=V (or K) per line
	URL     *widget.Entry
	Header  *widget.Entry // one "Name: value" per line
	Save    *widget.Button
	Cancel  *widget.Button
	Problem *widget.Label
	command *fyne.Container // Command and Env, shown for KindCommand
	url     *fyne.Container // URL and Header, shown for KindURL
}

// Spec is what the form says, as tools.Admin takes it.
func (f *ToolServerForm) Spec() tools.Spec {
	sp := tools.Spec{Name: f.Name.Text}
	if f.Kind.Selected == KindURL {
		sp.URL, sp.Header = f.URL.Text, lines(f.Header.Text)
	} else {
		sp.Command, sp.Env = f.Command.Text, lines(f.Env.Text)
	}
	return sp
}

// lines are the non-blank lines of s, trimmed.
func lines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (p *ToolsPage) showAddForm() {
	p.List.UnselectAll()
	p.Shown = nil
	f := &ToolServerForm{}
	p.AddForm = f
	f.Name = widget.NewEntry()
	f.Name.SetPlaceHolder("notes")
	f.Command = widget.NewEntry()
	f.Command.SetPlaceHolder("npx -y @modelcontextprotocol/server-filesystem /home/me/notes")
	f.Env = widget.NewMultiLineEntry()
	f.Env.SetPlaceHolder("TOKEN=value   (kept in the keychain)\nHOME   (passed on from deskchat's environment)")
	f.Env.SetMinRowsVisible(3)
	f.URL = widget.NewEntry()
	f.URL.SetPlaceHolder("https://mcp.example.com/mcp")
	f.Header = widget.NewMultiLineEntry()
	f.Header.SetPlaceHolder("Authorization: Bearer …   (kept in the keychain)")
	f.Header.SetMinRowsVisible(2)
	f.Problem = look.Wrapped("", widget.DangerImportance)
	f.Problem.Hide()
	f.command = container.NewVBox(widget.NewLabel("Command and arguments"), f.Command, widget.NewLabel("Environment, one per line"), f.Env)
	f.url = container.NewVBox(widget.NewLabel("URL"), f.URL, widget.NewLabel("Headers, one per line"), f.Header)
	f.Kind = widget.NewRadioGroup([]string{KindCommand, KindURL}, func(k string) {
		look.Show(f.command, k != KindURL)
		look.Show(f.url, k == KindURL)
	})
	f.Kind.Required = true
	f.Kind.SetSelected(KindCommand)
	f.Save = widget.NewButton("Add", func() { p.save(f) })
	f.Save.Importance = widget.HighImportance
	f.Cancel = widget.NewButton("Cancel", func() { p.showEmpty("") })
	hint := look.Wrapped("Secrets (environment values, headers) are kept in the system keychain, never in the history. The server starts when a chat first uses it.", widget.LowImportance)
	title := widget.NewLabelWithStyle("Add a tool server", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	form := container.NewVBox(title, widget.NewLabel("Name"), f.Name, f.Kind, f.command, f.url, hint, f.Problem,
		container.NewHBox(layout.NewSpacer(), f.Cancel, f.Save))
	p.setDetail(container.NewVScroll(form))
	p.s.host.Window().Canvas().Focus(f.Name)
}

// save adds the server the form describes, on the bridge; a refusal is a
// sentence under the form and keeps nothing.
func (p *ToolsPage) save(f *ToolServerForm) {
	f.Save.Disable()
	sp := f.Spec()
	admin := tools.Admin{Store: p.s.host.Store(), Keyring: p.s.host.Keyring()}
	bridge.Run(p.s.host.Bridge(), func() (store.ToolServer, error) { return admin.Add(sp) },
		func(ts store.ToolServer, err error) {
			if p.AddForm != f {
				return
			}
			f.Save.Enable()
			if err != nil {
				f.Problem.SetText(invalidSentence(err))
				f.Problem.Show()
				return
			}
			if m := p.servers(); m != nil {
				m.Set(ts)
			}
			p.AddForm = nil
			p.s.host.ToolServersChanged()
			p.reload(ts.Name)
		})
}
