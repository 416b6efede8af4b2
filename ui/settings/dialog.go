package settings

import (
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// Dialog is the settings' state (the theme applied) and the
// widgets of the settings dialog last opened, kept for tests. Make it with
// New.
type Dialog struct {
	host    Host
	OpenURL func(*url.URL) error // nil: the host's OpenURL; tests replace it
	// theme is the theme choice applied (themeSet: one was).
	theme    string
	themeSet bool

	// The dialog. open: it is shown.
	Modal dialog.Dialog
	Open  bool
	Tabs  *container.AppTabs

	// Providers tab: the list on the left, the form (or the empty state)
	// on the right.
	List         *widget.List
	Listed       []store.Provider // what list shows
	Add          *widget.Button   // "Add provider"
	PresetSel    *widget.Select   // the preset question, while asked
	presetDialog dialog.Dialog
	Detail       *fyne.Container
	Form         *ProviderForm // the form shown; nil when none
	notice       string        // said once in the empty state: what a removal did
	Problem      *widget.Label // the form's problem line (form.problem)
	// keychainErr is secrets.Probe's answer (probed: it arrived): nil
	// means keys can be kept in the keychain.
	keychainErr error
	probed      bool

	Defaults *DefaultsForm
	Tools    *ToolsPage
}

// New is the settings of the app host, with no dialog open.
func New(host Host) *Dialog { return &Dialog{host: host} }

// Show opens the settings dialog: the providers, and the defaults
// for new conversations.
func (s *Dialog) Show() {
	if s.Open {
		return
	}
	s.Open, s.Form, s.Problem, s.PresetSel, s.presetDialog = true, nil, nil, nil, nil
	s.probed, s.keychainErr = false, nil

	s.List = widget.NewList(
		func() int { return len(s.Listed) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("provider name")
			name.Truncation = fyne.TextTruncateEllipsis
			mark := widget.NewLabel("default")
			mark.Importance, mark.SizeName = look.HintStyle(widget.LowImportance)
			mark.TextStyle.Italic = true
			return container.NewBorder(nil, nil, nil, mark, name)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			c := o.(*fyne.Container)
			name, mark := c.Objects[0].(*widget.Label), c.Objects[1].(*widget.Label)
			name.SetText(s.Listed[i].Name)
			mark.Hidden = s.Listed[i].Name != s.host.DefaultProvider()
			mark.Refresh()
		})
	s.List.OnSelected = func(i widget.ListItemID) {
		if i >= len(s.Listed) {
			return
		}
		p := s.Listed[i]
		if f := s.Form; f != nil && f.Orig.Name == p.Name {
			return
		}
		s.leaveForm(func() { s.OpenProviderForm(p, PresetOf(p)) })
	}
	s.Add = widget.NewButtonWithIcon("Add provider", theme.ContentAddIcon(), func() { s.leaveForm(s.AskPreset) })
	s.Add.Importance = widget.HighImportance
	left := container.NewBorder(nil, container.NewPadded(s.Add), nil, nil, s.List)
	s.Detail = container.NewStack()
	split := container.NewHSplit(left, s.Detail)
	split.Offset = 0.28

	s.Defaults = s.newDefaultsForm()
	s.Tools = s.newToolsPage()
	s.Tabs = container.NewAppTabs(
		container.NewTabItem("Providers", split),
		container.NewTabItem("Defaults", s.Defaults.Content),
		container.NewTabItem("Tools", s.Tools.Content),
	)
	d := dialog.NewCustom("Settings", "Close", s.Tabs, s.host.Window())
	d.SetOnClosed(func() {
		if s.Modal == d {
			s.Open = false
		}
	})
	s.Modal = d
	size := fyne.NewSize(800, 640)
	if cs := s.host.Window().Canvas().Size(); cs.Width > 0 && cs.Height > 0 {
		size = fyne.NewSize(min(size.Width, cs.Width-24), min(size.Height, cs.Height-24))
	}
	d.Resize(size)
	d.Show()

	s.ProvidersChanged()
	if len(s.Listed) > 0 {
		i := 0
		for j, p := range s.Listed {
			if p.Name == s.host.DefaultProvider() {
				i = j
			}
		}
		s.List.Select(i)
	}

	kr := s.host.Keyring()
	bridge.Run(s.host.Bridge(), func() (error, error) { return secrets.Probe(kr), nil }, func(perr, _ error) {
		if s.Modal != d {
			return
		}
		s.keychainErr, s.probed = perr, true
		if s.Form != nil {
			s.Form.setKeychain(perr)
		}
	})
}

// ProvidersChanged shows the providers just loaded (Host.ReloadProviders
// calls it while the dialog is open).
func (s *Dialog) ProvidersChanged() {
	s.Listed = append([]store.Provider(nil), s.host.Providers()...)
	s.List.Refresh()
	if s.Form != nil && s.Form.Orig.Name != "" {
		if i := s.indexOf(s.Form.Orig.Name); i >= 0 {
			s.List.Select(i)
		}
	}
	if s.Form == nil {
		s.showEmpty()
	}
	if s.Defaults != nil {
		s.Defaults.providersChanged(s)
	}
}

func (s *Dialog) indexOf(name string) int {
	for i, p := range s.Listed {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// showEmpty fills the right-hand side when no provider is shown.
func (s *Dialog) showEmpty() {
	text := "Pick a provider on the left, or add one."
	if len(s.Listed) == 0 {
		text = "No providers yet. Add one to chat with OpenAI, a local Ollama or any OpenAI-compatible service. The built-in Simulator works without one."
	}
	if s.notice != "" {
		text, s.notice = s.notice+"\n\n"+text, ""
	}
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	msg.Alignment = fyne.TextAlignCenter
	add := widget.NewButtonWithIcon("Add provider", theme.ContentAddIcon(), s.AskPreset)
	s.Detail.Objects = []fyne.CanvasObject{container.NewPadded(container.NewVBox(layout.NewSpacer(), msg, container.NewCenter(add), layout.NewSpacer()))}
	s.Detail.Refresh()
}

// AskPreset asks which service to add; choosing one opens its form.
func (s *Dialog) AskPreset() {
	if !s.Open {
		s.Show()
	}
	var names []string
	for _, p := range engine.Presets() {
		names = append(names, p.Name)
	}
	var d dialog.Dialog
	sel := widget.NewSelect(names, func(name string) {
		d.Hide()
		if p, ok := engine.PresetFor(name); ok {
			s.OpenProviderForm(store.Provider{}, p)
		}
	})
	sel.PlaceHolder = "Choose a service"
	msg := widget.NewLabel("Which service do you want to add? Its preset fills in the address and the usual settings; you can change them before saving.")
	msg.Wrapping = fyne.TextWrapWord
	d = dialog.NewCustom("Add a provider", "Cancel", container.NewVBox(msg, sel), s.host.Window())
	d.Resize(fyne.NewSize(440, 0))
	d.Show()
	s.PresetSel, s.presetDialog = sel, d
}

// PresetOf is the preset a stored provider was made from: the one it
// records, else (providers made before presets were recorded) the likeliest.
func PresetOf(p store.Provider) engine.Preset {
	if pr, ok := engine.PresetFor(p.Preset); ok {
		return pr // recorded when it was made
	}
	base := strings.TrimRight(strings.ToLower(p.BaseURL), "/")
	for _, pr := range engine.Presets() {
		if pr.BaseURL != "" && pr.Kind == p.Kind && strings.TrimRight(strings.ToLower(pr.BaseURL), "/") == base {
			return pr
		}
	}
	name := "Custom"
	switch p.Kind {
	case store.KindOpenAI:
		name = "OpenAI"
	case store.KindAzure:
		name = "Azure OpenAI"
	default:
		// Pointed elsewhere (a proxy, another port): the form named it
		// after its preset ("Ollama", "Ollama 2"), or the key says it.
		for _, pr := range engine.Presets() {
			if pr.Kind != p.Kind || pr.Name == "Custom" {
				continue
			}
			if n := strings.ToLower(p.Name); n == strings.ToLower(pr.Name) || strings.HasPrefix(n, strings.ToLower(pr.Name)+" ") ||
				(pr.KeyEnv != "" && p.KeyEnv == pr.KeyEnv) {
				return pr
			}
		}
	}
	pr, _ := engine.PresetFor(name)
	return pr
}
