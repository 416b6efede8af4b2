package ui

import (
	"net/url"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"deskchat/engine"
	"deskchat/internal/secrets"
	"deskchat/store"
	"deskchat/ui/internal/bridge"
	"deskchat/ui/internal/look"
)

// providerState is the providers and the settings, as read from the store.
type providerState struct {
	providers []store.Provider
	settings  map[string]string
}

// loadProviders reads the providers and the defaults off the UI goroutine,
// then refreshes the pickers (and the settings dialog, when open), applies
// the defaults (prefs, theme) and calls then (if set).
func (w *window) loadProviders(then func()) {
	bridge.Run(w.b, func() (providerState, error) {
		ps, err := w.st.Providers()
		if err != nil {
			return providerState{}, err
		}
		kv, err := w.st.Settings()
		return providerState{ps, kv}, err
	}, func(s providerState, err error) {
		if err != nil {
			w.showError("Could not read your providers", err)
			return
		}
		w.providers, w.defaultProv = s.providers, s.settings[store.SettingDefaultProvider]
		w.setPrefs(PrefsFrom(s.settings))
		w.updateHeader()
		if sd := w.settings; sd != nil && sd.Open {
			sd.providersChanged(w)
		}
		if then != nil {
			then()
		}
	})
}

// setPrefs makes p the defaults in use; a changed theme is applied at once.
func (w *window) setPrefs(p Prefs) {
	w.prefs = p
	s := w.settingsState()
	if s.themeSet && s.theme == p.Theme {
		return
	}
	if s.themeSet || p.Theme != "" { // the first time, "follow the system" leaves main's theme alone
		look.ApplyTheme(w.app, p.Theme)
	}
	s.theme, s.themeSet = p.Theme, true
}

// providerNames lists what the provider picker offers.
func (w *window) providerNames() []string {
	names := make([]string, 0, len(w.providers)+1)
	for _, p := range w.providers {
		names = append(names, p.Name)
	}
	return append(names, engine.SimulatorName)
}

func (w *window) providerConfig(name string) (store.Provider, bool) {
	if name == engine.SimulatorName {
		return engine.SimulatorConfig(), true
	}
	for _, p := range w.providers {
		if p.Name == name {
			return p, true
		}
	}
	return store.Provider{}, false
}

func (w *window) defaultModel(provider string) string {
	p, _ := w.providerConfig(provider)
	return p.Model
}

func (w *window) modelsOf(provider string) []string {
	p, ok := w.providerConfig(provider)
	if !ok {
		return nil
	}
	models := append([]string(nil), p.Models...)
	if p.Model != "" && !contains(models, p.Model) {
		models = append([]string{p.Model}, models...)
	}
	return models
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// pickProvider is the provider picker's callback: the shown conversation
// answers with name from now on, with that provider's default model.
func (w *window) pickProvider(name string) {
	c, ok := w.current()
	if !ok || name == "" || c.Provider == name {
		return
	}
	model := w.defaultModel(name)
	w.modelSel.SetOptions(w.modelsOf(name))
	w.modelSel.SetText(model)
	id := c.ID
	bridge.Run(w.b, func() (store.Conversation, error) {
		return w.st.UpdateConversation(id, func(c *store.Conversation) { c.Provider, c.Model = name, model })
	}, func(updated store.Conversation, err error) {
		if err != nil {
			w.showError("Could not change the provider", err)
			return
		}
		if i, ok := w.indexOf(updated.ID); ok {
			w.convs[i] = updated
		}
	})
}

// Dialog is the settings' state (the theme applied) and the
// widgets of the settings dialog last opened, kept for tests.
type Dialog struct {
	OpenURL func(*url.URL) error // nil: the app's OpenURL; tests replace it
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
}

func (w *window) settingsState() *Dialog {
	if w.settings == nil {
		w.settings = &Dialog{}
	}
	return w.settings
}

// keys is where the providers' keys live (Deps.Keyring). It is looked up at
// each use: keyring.MockInit switches secrets.System() in tests.
func (w *window) keys() secrets.Keyring {
	if w.keyring != nil {
		return w.keyring
	}
	return secrets.System()
}

// dataFolder is the folder the data lives in (Deps.DataDir, else the
// store's folder).
func (w *window) dataFolder() string {
	if w.dataDir != "" {
		return w.dataDir
	}
	return filepath.Dir(w.st.Path())
}

// showSettings opens the settings dialog: the providers, and the defaults
// for new conversations.
func (w *window) showSettings() {
	s := w.settingsState()
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
			mark.Importance, mark.SizeName = hintStyle(widget.LowImportance)
			mark.TextStyle.Italic = true
			return container.NewBorder(nil, nil, nil, mark, name)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			c := o.(*fyne.Container)
			name, mark := c.Objects[0].(*widget.Label), c.Objects[1].(*widget.Label)
			name.SetText(s.Listed[i].Name)
			mark.Hidden = s.Listed[i].Name != w.defaultProv
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
		w.leaveForm(func() { w.openProviderForm(p, PresetOf(p)) })
	}
	s.Add = widget.NewButtonWithIcon("Add provider", theme.ContentAddIcon(), func() { w.leaveForm(w.askPreset) })
	s.Add.Importance = widget.HighImportance
	left := container.NewBorder(nil, container.NewPadded(s.Add), nil, nil, s.List)
	s.Detail = container.NewStack()
	split := container.NewHSplit(left, s.Detail)
	split.Offset = 0.28

	s.Defaults = w.newDefaultsForm()
	s.Tabs = container.NewAppTabs(
		container.NewTabItem("Providers", split),
		container.NewTabItem("Defaults", s.Defaults.Content),
	)
	d := dialog.NewCustom("Settings", "Close", s.Tabs, w.win)
	d.SetOnClosed(func() {
		if w.settings == s && s.Modal == d {
			s.Open = false
		}
	})
	s.Modal = d
	size := fyne.NewSize(800, 640)
	if cs := w.win.Canvas().Size(); cs.Width > 0 && cs.Height > 0 {
		size = fyne.NewSize(min(size.Width, cs.Width-24), min(size.Height, cs.Height-24))
	}
	d.Resize(size)
	d.Show()

	s.providersChanged(w)
	if len(s.Listed) > 0 {
		i := 0
		for j, p := range s.Listed {
			if p.Name == w.defaultProv {
				i = j
			}
		}
		s.List.Select(i)
	}

	kr := w.keys()
	bridge.Run(w.b, func() (error, error) { return secrets.Probe(kr), nil }, func(perr, _ error) {
		if w.settings != s || s.Modal != d {
			return
		}
		s.keychainErr, s.probed = perr, true
		if s.Form != nil {
			s.Form.setKeychain(perr)
		}
	})
}

// providersChanged shows the providers just loaded.
func (s *Dialog) providersChanged(w *window) {
	s.Listed = append([]store.Provider(nil), w.providers...)
	s.List.Refresh()
	if s.Form != nil && s.Form.Orig.Name != "" {
		if i := s.indexOf(s.Form.Orig.Name); i >= 0 {
			s.List.Select(i)
		}
	}
	if s.Form == nil {
		s.showEmpty(w)
	}
	if s.Defaults != nil {
		s.Defaults.providersChanged(w)
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
func (s *Dialog) showEmpty(w *window) {
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
	add := widget.NewButtonWithIcon("Add provider", theme.ContentAddIcon(), w.askPreset)
	s.Detail.Objects = []fyne.CanvasObject{container.NewPadded(container.NewVBox(layout.NewSpacer(), msg, container.NewCenter(add), layout.NewSpacer()))}
	s.Detail.Refresh()
}

// askPreset asks which service to add; choosing one opens its form.
func (w *window) askPreset() {
	s := w.settingsState()
	if !s.Open {
		w.showSettings()
	}
	var names []string
	for _, p := range engine.Presets() {
		names = append(names, p.Name)
	}
	var d dialog.Dialog
	sel := widget.NewSelect(names, func(name string) {
		d.Hide()
		if p, ok := engine.PresetFor(name); ok {
			w.openProviderForm(store.Provider{}, p)
		}
	})
	sel.PlaceHolder = "Choose a service"
	msg := widget.NewLabel("Which service do you want to add? Its preset fills in the address and the usual settings; you can change them before saving.")
	msg.Wrapping = fyne.TextWrapWord
	d = dialog.NewCustom("Add a provider", "Cancel", container.NewVBox(msg, sel), w.win)
	d.Resize(fyne.NewSize(440, 0))
	d.Show()
	s.PresetSel, s.presetDialog = sel, d
}

// presetOf is the preset a stored provider was made from: the one it
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
