package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"deskchat/engine"
	"deskchat/internal/secrets"
	"deskchat/store"
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
	run(w.b, func() (providerState, error) {
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
		w.setPrefs(prefsFrom(s.settings))
		w.updateHeader()
		if sd := w.settings; sd != nil && sd.open {
			sd.providersChanged(w)
		}
		if then != nil {
			then()
		}
	})
}

// setPrefs makes p the defaults in use; a changed theme is applied at once.
func (w *window) setPrefs(p prefs) {
	w.prefs = p
	s := w.settingsState()
	if s.themeSet && s.theme == p.Theme {
		return
	}
	if s.themeSet || p.Theme != "" { // the first time, "follow the system" leaves main's theme alone
		applyTheme(w.app, p.Theme)
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
	run(w.b, func() (store.Conversation, error) {
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

// settingsDialog is the settings' state (the theme applied) and the
// widgets of the settings dialog last opened, kept for tests.
type settingsDialog struct {
	openURL func(*url.URL) error // nil: the app's OpenURL; tests replace it
	// theme is the theme choice applied (themeSet: one was).
	theme    string
	themeSet bool

	// The dialog. open: it is shown.
	dialog dialog.Dialog
	open   bool
	tabs   *container.AppTabs

	// Providers tab: the list on the left, the form (or the empty state)
	// on the right.
	list         *widget.List
	listed       []store.Provider // what list shows
	add          *widget.Button   // "Add provider"
	presetSel    *widget.Select   // the preset question, while asked
	presetDialog dialog.Dialog
	detail       *fyne.Container
	form         *providerForm // the form shown; nil when none
	problem      *widget.Label // the form's problem line (form.problem)
	// keychainErr is secrets.Probe's answer (probed: it arrived): nil
	// means keys can be kept in the keychain.
	keychainErr error
	probed      bool

	defaults *defaultsForm
}

func (w *window) settingsState() *settingsDialog {
	if w.settings == nil {
		w.settings = &settingsDialog{}
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
	if s.open {
		return
	}
	s.open, s.form, s.problem, s.presetSel, s.presetDialog = true, nil, nil, nil, nil
	s.probed, s.keychainErr = false, nil

	s.list = widget.NewList(
		func() int { return len(s.listed) },
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
			name.SetText(s.listed[i].Name)
			mark.Hidden = s.listed[i].Name != w.defaultProv
			mark.Refresh()
		})
	s.list.OnSelected = func(i widget.ListItemID) {
		if i >= len(s.listed) {
			return
		}
		p := s.listed[i]
		if f := s.form; f != nil && f.orig.Name == p.Name {
			return
		}
		w.leaveForm(func() { w.openProviderForm(p, presetOf(p)) })
	}
	s.add = widget.NewButtonWithIcon("Add provider", theme.ContentAddIcon(), func() { w.leaveForm(w.askPreset) })
	s.add.Importance = widget.HighImportance
	left := container.NewBorder(nil, container.NewPadded(s.add), nil, nil, s.list)
	s.detail = container.NewStack()
	split := container.NewHSplit(left, s.detail)
	split.Offset = 0.28

	s.defaults = w.newDefaultsForm()
	s.tabs = container.NewAppTabs(
		container.NewTabItem("Providers", split),
		container.NewTabItem("Defaults", s.defaults.content),
	)
	d := dialog.NewCustom("Settings", "Close", s.tabs, w.win)
	d.SetOnClosed(func() {
		if w.settings == s && s.dialog == d {
			s.open = false
		}
	})
	s.dialog = d
	size := fyne.NewSize(800, 640)
	if cs := w.win.Canvas().Size(); cs.Width > 0 && cs.Height > 0 {
		size = fyne.NewSize(min(size.Width, cs.Width-24), min(size.Height, cs.Height-24))
	}
	d.Resize(size)
	d.Show()

	s.providersChanged(w)
	if len(s.listed) > 0 {
		i := 0
		for j, p := range s.listed {
			if p.Name == w.defaultProv {
				i = j
			}
		}
		s.list.Select(i)
	}

	kr := w.keys()
	run(w.b, func() (error, error) { return secrets.Probe(kr), nil }, func(perr, _ error) {
		if w.settings != s || s.dialog != d {
			return
		}
		s.keychainErr, s.probed = perr, true
		if s.form != nil {
			s.form.setKeychain(perr)
		}
	})
}

// providersChanged shows the providers just loaded.
func (s *settingsDialog) providersChanged(w *window) {
	s.listed = append([]store.Provider(nil), w.providers...)
	s.list.Refresh()
	if s.form != nil && s.form.orig.Name != "" {
		if i := s.indexOf(s.form.orig.Name); i >= 0 {
			s.list.Select(i)
		}
	}
	if s.form == nil {
		s.showEmpty(w)
	}
	if s.defaults != nil {
		s.defaults.providersChanged(w)
	}
}

func (s *settingsDialog) indexOf(name string) int {
	for i, p := range s.listed {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// showEmpty fills the right-hand side when no provider is shown.
func (s *settingsDialog) showEmpty(w *window) {
	text := "Pick a provider on the left, or add one."
	if len(s.listed) == 0 {
		text = "No providers yet. Add one to chat with OpenAI, a local Ollama or any OpenAI-compatible service. The built-in Simulator works without one."
	}
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	msg.Alignment = fyne.TextAlignCenter
	add := widget.NewButtonWithIcon("Add provider", theme.ContentAddIcon(), w.askPreset)
	s.detail.Objects = []fyne.CanvasObject{container.NewPadded(container.NewVBox(layout.NewSpacer(), msg, container.NewCenter(add), layout.NewSpacer()))}
	s.detail.Refresh()
}

// askPreset asks which service to add; choosing one opens its form.
func (w *window) askPreset() {
	s := w.settingsState()
	if !s.open {
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
	s.presetSel, s.presetDialog = sel, d
}

// presetOf is the preset a stored provider was made from: the one it
// records, else (providers made before presets were recorded) the likeliest.
func presetOf(p store.Provider) engine.Preset {
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

// Key sources as the form names them.
const (
	srcKeychain = "Keychain"
	srcEnv      = "Environment variable"
	srcCommand  = "Key command"
	srcNone     = "No key"
)

// Fields of the provider form that can carry a sentence.
const (
	fieldName       = "name"
	fieldBaseURL    = "baseURL"
	fieldAPIVersion = "apiVersion"
	fieldKey        = "key"
	fieldModel      = "model"
	fieldLimits     = "limits"
	fieldFallback   = "fallback"
)

// keyPlaceholderStored is what the key field shows when a key is stored:
// a stored key is never shown back.
const keyPlaceholderStored = "stored in the keychain — type to replace"

// providerForm is the settings' form for one provider: a stored one
// (orig.Name set) or a new one made from preset.
type providerForm struct {
	orig   store.Provider
	preset engine.Preset
	kind   string
	models []string // what the model picker offers
	edited bool     // the user changed a field since the form opened

	content fyne.CanvasObject

	presetName, hint          *widget.Label
	name, baseURL, apiVersion *widget.Entry
	keySource                 *widget.Select
	keyNote                   *widget.Label // says when the keychain cannot be used
	keychainMsg               string        // ... in these words; "": it can
	key                       *widget.Entry // password entry: the key for the keychain
	keyEnv                    *widget.Entry
	keyCmd                    *widget.Entry
	keyHint                   *widget.Label
	model                     *widget.SelectEntry
	fetch                     *widget.Button
	modelsInfo                *widget.Label
	rpm, tpm, concurrent      *widget.Entry
	fallback                  *widget.Select
	makeDefault               *widget.Check
	test, save, remove        *widget.Button
	result                    *widget.Label // Test connection's answer, "Saved."
	problem                   *widget.Label // what went wrong that no field explains
	errs                      map[string]*widget.Label
}

const noFallback = "None"

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func wrapped(text string, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance, l.SizeName = hintStyle(imp)
	if text == "" {
		l.Hide()
	}
	return l
}

// hintStyle draws a hint (LowImportance) in the text colour at caption
// size: Fyne's low importance is the disabled colour, too faint to read.
func hintStyle(imp widget.Importance) (widget.Importance, fyne.ThemeSizeName) {
	if imp == widget.LowImportance {
		return widget.MediumImportance, theme.SizeNameCaptionText
	}
	return imp, theme.SizeNameText
}

// setLabel shows text in l (hiding l when text is empty).
func setLabel(l *widget.Label, text string, imp widget.Importance) {
	l.Importance, l.SizeName = hintStyle(imp)
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// openProviderForm shows the form for orig (a stored provider), or for a
// new one made from preset when orig has no name.
// leaveForm calls then once the open provider form may go: at once when
// nothing was changed in it, else after the user chose to discard the
// changes (keeping them selects the form's provider in the list again).
func (w *window) leaveForm(then func()) {
	s := w.settingsState()
	f := s.form
	if f == nil || !f.edited {
		then()
		return
	}
	what := "the new provider"
	if f.orig.Name != "" {
		what = f.orig.Name
	}
	d := dialog.NewConfirm("Discard changes?", fmt.Sprintf("Your changes to %s are not saved. Discard them?", what), func(discard bool) {
		if discard {
			then()
			return
		}
		s.list.UnselectAll()
		for i, p := range s.listed {
			if p.Name == f.orig.Name {
				s.list.Select(i)
			}
		}
	}, w.win)
	d.SetConfirmText("Discard")
	d.SetDismissText("Keep editing")
	d.Show()
}

func (w *window) openProviderForm(orig store.Provider, preset engine.Preset) {
	s := w.settingsState()
	f := w.newProviderForm(orig, preset)
	s.form, s.problem = f, f.problem
	if orig.Name == "" {
		s.list.UnselectAll()
	}
	s.detail.Objects = []fyne.CanvasObject{f.content}
	s.detail.Refresh()
	if s.probed {
		f.setKeychain(s.keychainErr)
	}
	if orig.Name == "" {
		w.win.Canvas().Focus(f.name)
	}
}

func (w *window) newProviderForm(orig store.Provider, preset engine.Preset) *providerForm {
	isNew := orig.Name == ""
	f := &providerForm{orig: orig, preset: preset, kind: orig.Kind, errs: map[string]*widget.Label{}}
	if isNew {
		f.kind = preset.Kind
	}
	for _, k := range []string{fieldName, fieldBaseURL, fieldAPIVersion, fieldKey, fieldModel, fieldLimits, fieldFallback} {
		f.errs[k] = wrapped("", widget.DangerImportance)
	}

	f.presetName = widget.NewLabelWithStyle(preset.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	f.hint = wrapped(preset.Hint, widget.LowImportance)
	f.name = widget.NewEntry()
	f.baseURL = widget.NewEntry()
	f.baseURL.SetPlaceHolder("http://localhost:11434/v1")
	if f.kind == store.KindOpenAI {
		f.baseURL.SetPlaceHolder("https://api.openai.com/v1")
	}
	f.apiVersion = widget.NewEntry()
	f.apiVersion.SetPlaceHolder(engine.DefaultAzureAPIVersion)
	f.key = widget.NewPasswordEntry()
	f.keyEnv = widget.NewEntry()
	f.keyEnv.SetPlaceHolder("OPENAI_API_KEY")
	f.keyCmd = widget.NewEntry()
	f.keyCmd.SetPlaceHolder("pass show openai/api-key")
	f.keyNote = wrapped("", widget.WarningImportance)
	f.keyHint = wrapped("", widget.LowImportance)
	f.keySource = widget.NewSelect(nil, nil)
	f.model = widget.NewSelectEntry(nil)
	f.model.SetPlaceHolder("pick or type a model")
	f.modelsInfo = wrapped("", widget.LowImportance)
	f.rpm, f.tpm, f.concurrent = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	f.rpm.SetPlaceHolder("no limit")
	f.tpm.SetPlaceHolder("no limit")
	f.concurrent.SetPlaceHolder("4")
	var fallbacks []string
	for _, p := range w.providers {
		if p.Name != orig.Name {
			fallbacks = append(fallbacks, p.Name)
		}
	}
	f.fallback = widget.NewSelect(append([]string{noFallback}, fallbacks...), nil)
	f.makeDefault = widget.NewCheck("Use for new chats", nil)
	f.result = wrapped("", widget.MediumImportance)
	f.problem = wrapped("", widget.DangerImportance)

	// Fill in.
	src := srcNone
	if isNew {
		f.name.SetText(w.freeName(preset.Name))
		f.baseURL.SetText(preset.BaseURL)
		f.apiVersion.SetText(preset.APIVersion)
		f.keyEnv.SetText(preset.KeyEnv)
		if preset.NeedsKey {
			src = srcKeychain
		}
		f.models = append([]string(nil), preset.Models...)
		if len(f.models) > 0 {
			f.model.SetText(f.models[0])
		}
		f.fallback.SetSelected(noFallback)
		f.makeDefault.SetChecked(w.defaultProv == "")
	} else {
		f.name.SetText(orig.Name)
		f.baseURL.SetText(orig.BaseURL)
		f.apiVersion.SetText(orig.APIVersion)
		f.keyEnv.SetText(orig.KeyEnv)
		f.keyCmd.SetText(orig.KeyCommand)
		src = sourceLabel(orig)
		if src == srcEnv && orig.KeyEnv == "" {
			f.keyEnv.SetText("OPENAI_API_KEY") // what an OpenAI provider without a source reads
		}
		f.models = append([]string(nil), orig.Models...)
		f.model.SetText(orig.Model)
		f.rpm.SetText(itoaBlank(orig.RequestsPerMinute))
		f.tpm.SetText(itoaBlank(orig.TokensPerMinute))
		f.concurrent.SetText(itoaBlank(orig.MaxConcurrent))
		if orig.Fallback != "" {
			if !contains(f.fallback.Options, orig.Fallback) {
				f.fallback.Options = append(f.fallback.Options, orig.Fallback)
			}
			f.fallback.SetSelected(orig.Fallback)
		} else {
			f.fallback.SetSelected(noFallback)
		}
		f.makeDefault.SetChecked(orig.Name == w.defaultProv)
	}
	if orig.KeySource == store.KeyFromKeychain {
		f.key.SetPlaceHolder(keyPlaceholderStored)
	} else {
		f.key.SetPlaceHolder("paste the API key")
	}
	f.model.SetOptions(f.modelOptions())
	f.keySource.Options = f.sourceOptions(true)
	f.keySource.OnChanged = func(string) { f.showSource() }
	f.keySource.SetSelected(src)

	// Editing a field takes its sentence away.
	clear := func(field string) func(string) { return func(string) { f.edited = true; f.setErr(field, "") } }
	f.name.OnChanged = clear(fieldName)
	f.baseURL.OnChanged = clear(fieldBaseURL)
	f.apiVersion.OnChanged = clear(fieldAPIVersion)
	f.key.OnChanged = clear(fieldKey)
	f.keyCmd.OnChanged = clear(fieldKey)
	f.keyEnv.OnChanged = func(string) { f.edited = true; f.setErr(fieldKey, ""); f.showSource() }
	f.keySource.OnChanged = func(string) { f.edited = true; f.showSource() }
	f.model.OnChanged = clear(fieldModel)
	for _, e := range []*widget.Entry{f.rpm, f.tpm, f.concurrent} {
		e.OnChanged = clear(fieldLimits)
	}
	f.fallback.OnChanged = clear(fieldFallback)

	f.fetch = widget.NewButtonWithIcon("Fetch models", theme.ViewRefreshIcon(), func() { w.testProvider(f, true) })
	f.test = widget.NewButtonWithIcon("Test connection", theme.MediaPlayIcon(), func() { w.testProvider(f, false) })
	f.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { w.saveProvider(f) })
	f.save.Importance = widget.HighImportance
	f.remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() { w.askRemoveProvider(f) })
	f.remove.Importance = widget.DangerImportance
	if isNew {
		f.remove.Hide()
	}

	field := func(o fyne.CanvasObject, key string, extra ...fyne.CanvasObject) fyne.CanvasObject {
		objs := append([]fyne.CanvasObject{o}, extra...)
		return container.NewVBox(append(objs, f.errs[key])...)
	}
	limit := func(label string, e *widget.Entry) fyne.CanvasObject {
		l := widget.NewLabel(label)
		l.Importance, l.SizeName = hintStyle(widget.LowImportance)
		l.Truncation = fyne.TextTruncateEllipsis
		return container.NewVBox(l, e)
	}
	items := []*widget.FormItem{
		widget.NewFormItem("Preset", container.NewVBox(f.presetName, f.hint)),
		widget.NewFormItem("Name", field(f.name, fieldName)),
		widget.NewFormItem("Base URL", field(f.baseURL, fieldBaseURL)),
	}
	if f.kind == store.KindAzure {
		items = append(items, widget.NewFormItem("API version", field(f.apiVersion, fieldAPIVersion)))
	}
	modelLabel := "Model"
	if f.kind == store.KindAzure {
		modelLabel = "Deployment"
	}
	items = append(items,
		widget.NewFormItem("API key", field(container.NewBorder(nil, nil,
			container.NewGridWrap(fyne.NewSize(200, f.keySource.MinSize().Height), f.keySource), nil,
			container.NewStack(f.key, f.keyEnv, f.keyCmd)), fieldKey, f.keyHint, f.keyNote)),
		widget.NewFormItem(modelLabel, field(container.NewBorder(nil, nil, nil, f.fetch, f.model), fieldModel, f.modelsInfo)),
		widget.NewFormItem("Limits", field(container.NewGridWithColumns(3,
			limit("Requests / min", f.rpm), limit("Tokens / min", f.tpm), limit("Streams at once", f.concurrent)), fieldLimits)),
		widget.NewFormItem("Fallback", field(f.fallback, fieldFallback, wrapped("Answers when this provider fails before its first word.", widget.LowImportance))),
		widget.NewFormItem("", f.makeDefault),
	)
	form := widget.NewForm(items...)
	buttons := container.NewHBox(f.test, layout.NewSpacer(), f.remove, f.save)
	f.content = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), f.result, f.problem, buttons), nil, nil,
		container.NewVScroll(container.NewPadded(form)))
	return f
}

func itoaBlank(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// freeName is name, or name followed by the first number that makes it
// unused.
func (w *window) freeName(name string) string {
	taken := func(n string) bool {
		if strings.EqualFold(n, engine.SimulatorName) {
			return true
		}
		for _, p := range w.providers {
			if strings.EqualFold(p.Name, n) {
				return true
			}
		}
		return false
	}
	if !taken(name) {
		return name
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s %d", name, i); !taken(n) {
			return n
		}
	}
}

// sourceLabel is where a stored provider's key comes from, as the form
// names it.
func sourceLabel(p store.Provider) string {
	switch p.KeySource {
	case store.KeyFromKeychain:
		return srcKeychain
	case store.KeyFromEnv:
		return srcEnv
	case store.KeyFromCommand:
		return srcCommand
	}
	if p.KeyEnv != "" || p.Kind == store.KindOpenAI {
		return srcEnv // records from before key sources: KeyEnv, or OPENAI_API_KEY
	}
	return srcNone
}

// sourceOptions are the key sources offered; the keychain only when it
// works, or when this provider's key is already there.
func (f *providerForm) sourceOptions(keychainOK bool) []string {
	if keychainOK || f.orig.KeySource == store.KeyFromKeychain {
		return []string{srcKeychain, srcEnv, srcCommand, srcNone}
	}
	return []string{srcEnv, srcCommand, srcNone}
}

// setKeychain takes secrets.Probe's answer: when the keychain cannot be
// used, it says so and offers the other sources.
func (f *providerForm) setKeychain(perr error) {
	if perr == nil {
		f.keychainMsg = ""
		f.keySource.Options = f.sourceOptions(true)
		f.keySource.Refresh()
		f.showSource()
		return
	}
	f.keychainMsg = settingsSentence(perr)
	f.keySource.Options = f.sourceOptions(false)
	if f.keySource.Selected == srcKeychain && !contains(f.keySource.Options, srcKeychain) {
		if strings.TrimSpace(f.keyEnv.Text) == "" {
			f.keyEnv.SetText(f.preset.KeyEnv)
		}
		f.keySource.SetSelected(srcEnv)
	}
	f.keySource.Refresh()
	f.showSource()
}

// showSource shows the field for the chosen key source and what to know
// about it.
func (f *providerForm) showSource() {
	src := f.keySource.Selected
	f.key.Hidden, f.keyEnv.Hidden, f.keyCmd.Hidden = src != srcKeychain, src != srcEnv, src != srcCommand
	for _, e := range []*widget.Entry{f.key, f.keyEnv, f.keyCmd} {
		e.Refresh()
	}
	// Why the keychain is missing matters to whoever needs a key.
	note := ""
	if src != srcNone || f.preset.NeedsKey {
		note = f.keychainMsg
	}
	setLabel(f.keyNote, note, widget.WarningImportance)
	hint, imp := "", widget.LowImportance
	switch src {
	case srcKeychain:
		hint = "Kept in the system keychain, never in deskchat's files."
	case srcEnv:
		v := strings.TrimSpace(f.keyEnv.Text)
		switch {
		case v == "":
		case !envName.MatchString(v):
		case os.Getenv(v) == "":
			hint, imp = v+" is not set in deskchat's environment: set it before you start deskchat.", widget.WarningImportance
		default:
			hint = v + " is set."
		}
	case srcCommand:
		hint = "deskchat runs this command with sh -c when it first needs the key (for at most 5 s) and keeps what it prints in memory only."
	case srcNone:
		if f.preset.NeedsKey {
			hint, imp = f.preset.Name+" needs an API key: without one, it refuses requests.", widget.WarningImportance
		} else {
			hint = "For servers that need no key, like a local Ollama or LM Studio."
		}
	}
	setLabel(f.keyHint, hint, imp)
}

// modelOptions is what the model picker offers: the known models and the
// one typed.
func (f *providerForm) modelOptions() []string {
	out := append([]string(nil), f.models...)
	if m := strings.TrimSpace(f.model.Text); m != "" && !contains(out, m) {
		out = append([]string{m}, out...)
	}
	return out
}

// offerModels puts a fetched model list in the picker; an empty model
// field gets the first one.
func (f *providerForm) offerModels(models []string) {
	f.models = models
	if strings.TrimSpace(f.model.Text) == "" && len(models) > 0 {
		f.model.SetText(models[0])
	}
	f.model.SetOptions(f.modelOptions())
}

func (f *providerForm) setErr(field, text string) {
	if l := f.errs[field]; l != nil && (l.Text != text || l.Visible() != (text != "")) {
		setLabel(l, text, widget.DangerImportance)
	}
}

func (f *providerForm) showErrs(errs map[string]string) {
	for k := range f.errs {
		f.setErr(k, errs[k])
	}
}

func (f *providerForm) busy(on bool) {
	for _, b := range []*widget.Button{f.test, f.fetch, f.save, f.remove} {
		if on {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

// draft reads the form: the provider it describes, the key typed for the
// keychain, and the sentence for each field to fix. others are the other
// stored providers.
func (f *providerForm) draft(others []store.Provider) (store.Provider, string, map[string]string) {
	errs := map[string]string{}
	p := f.orig
	p.Name = strings.TrimSpace(f.name.Text)
	p.Kind = f.kind
	p.Preset = f.preset.Name
	p.BaseURL = strings.TrimRight(strings.TrimSpace(f.baseURL.Text), "/")
	p.APIVersion = ""
	if p.Kind == store.KindAzure {
		p.APIVersion = strings.TrimSpace(f.apiVersion.Text)
	}
	p.Model = strings.TrimSpace(f.model.Text)
	p.Models = f.modelOptions()
	p.KeySource, p.KeyEnv, p.KeyCommand = "", "", ""
	key := ""

	switch {
	case p.Name == "":
		errs[fieldName] = "Give the provider a name."
	case strings.EqualFold(p.Name, engine.SimulatorName):
		errs[fieldName] = fmt.Sprintf("“%s” is the built-in provider's name: choose another.", p.Name)
	default:
		for _, o := range others {
			if o.Name != f.orig.Name && strings.EqualFold(o.Name, p.Name) {
				errs[fieldName] = fmt.Sprintf("There is already a provider called “%s”: choose another name.", o.Name)
			}
		}
	}

	if p.BaseURL == "" {
		if p.Kind != store.KindOpenAI {
			errs[fieldBaseURL] = "Enter the base URL, for example http://localhost:11434/v1."
		}
	} else if u, err := url.Parse(p.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs[fieldBaseURL] = fmt.Sprintf("“%s” is not a web address: it should start with http:// or https://, for example http://localhost:11434/v1.", p.BaseURL)
	} else if strings.Contains(strings.ToUpper(u.Host), "YOUR-RESOURCE") {
		errs[fieldBaseURL] = "Put your Azure resource's name in place of YOUR-RESOURCE: the endpoint is shown in the Azure portal under Keys and Endpoint."
	}
	if p.Kind == store.KindAzure && p.APIVersion == "" {
		errs[fieldAPIVersion] = "Enter the API version, for example " + engine.DefaultAzureAPIVersion + "."
	}

	switch f.keySource.Selected {
	case srcKeychain:
		p.KeySource = store.KeyFromKeychain
		key = strings.TrimSpace(f.key.Text)
		if key == "" && f.orig.KeySource != store.KeyFromKeychain {
			errs[fieldKey] = "Enter the API key. It is kept in the system keychain, never in deskchat's files."
		}
	case srcEnv:
		p.KeySource = store.KeyFromEnv
		p.KeyEnv = strings.TrimSpace(f.keyEnv.Text)
		switch {
		case p.KeyEnv == "":
			errs[fieldKey] = "Enter the name of the environment variable that holds the key, for example " + firstNonEmpty(f.preset.KeyEnv, "OPENAI_API_KEY") + "."
		case !envName.MatchString(p.KeyEnv):
			errs[fieldKey] = fmt.Sprintf("“%s” is not an environment variable name: use letters, digits and _.", p.KeyEnv)
		}
	case srcCommand:
		p.KeySource = store.KeyFromCommand
		p.KeyCommand = strings.TrimSpace(f.keyCmd.Text)
		if p.KeyCommand == "" {
			errs[fieldKey] = "Enter the command that prints the key, for example: pass show openai/api-key."
		}
	}

	if p.Model == "" {
		errs[fieldModel] = "Pick or type the model new chats use, for example " + firstNonEmpty(firstOf(f.models), "llama3.2") + ". Fetch models lists what the provider offers."
	}

	var bad []string
	for _, l := range []struct {
		what string
		e    *widget.Entry
		to   *int
	}{{"requests per minute", f.rpm, &p.RequestsPerMinute}, {"tokens per minute", f.tpm, &p.TokensPerMinute}, {"streams at once", f.concurrent, &p.MaxConcurrent}} {
		n, err := parseWhole(l.e.Text)
		if err != nil {
			bad = append(bad, l.what)
			continue
		}
		*l.to = n
	}
	if len(bad) > 0 {
		errs[fieldLimits] = fmt.Sprintf("Limits are whole numbers of 0 or more (empty or 0: no limit); check %s.", strings.Join(bad, " and "))
	}

	p.Fallback = f.fallback.Selected
	if p.Fallback == noFallback {
		p.Fallback = ""
	}
	if p.Fallback != "" && (strings.EqualFold(p.Fallback, p.Name) || p.Fallback == f.orig.Name) {
		errs[fieldFallback] = "A provider cannot fall back to itself: choose another provider, or None."
	}
	return p, key, errs
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstOf(list []string) string {
	if len(list) > 0 {
		return list[0]
	}
	return ""
}

// fieldError is an error that belongs next to one of the form's fields.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

// settingsSentence is what the settings show for err.
func settingsSentence(err error) string {
	var pe *engine.ProviderError
	if errors.As(err, &pe) {
		return pe.Sentence
	}
	var se *secrets.Error
	if errors.As(err, &se) {
		return se.Sentence
	}
	return sentence(err)
}

// testTimeout bounds Test connection and Fetch models (the key command
// has its own 5 s bound inside).
const testTimeout = 30 * time.Second

// testProvider asks the provider for its models with the key as the form
// describes it: "OK, 42 models" or the sentence saying what is wrong.
// fetchOnly (Fetch models) reports next to the model picker.
func (w *window) testProvider(f *providerForm, fetchOnly bool) {
	p, key, errs := f.draft(w.providers)
	for k := range errs {
		if k != fieldBaseURL && k != fieldAPIVersion && k != fieldKey {
			delete(errs, k) // not needed to connect
		}
	}
	for _, k := range []string{fieldBaseURL, fieldAPIVersion, fieldKey} {
		f.setErr(k, errs[k])
	}
	out := f.result
	if fetchOnly {
		out = f.modelsInfo
	}
	setLabel(f.problem, "", widget.DangerImportance)
	if len(errs) > 0 {
		setLabel(out, "Fix what is marked in red first.", widget.DangerImportance)
		return
	}
	if p.Name == "" {
		p.Name = f.preset.Name
	}
	// A key already in the keychain is read under the name it is stored by.
	lookup := p
	if f.orig.Name != "" {
		lookup.Name = f.orig.Name
	}
	kr := w.keys()
	setLabel(out, "Connecting…", widget.LowImportance)
	f.busy(true)
	run(w.b, func() ([]string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		k := key
		if k == "" && p.KeySource != "" {
			var err error
			k, err = (&secrets.Resolver{Keyring: kr}).Key(ctx, lookup)
			if err != nil {
				return nil, &fieldError{fieldKey, err}
			}
		}
		return engine.ListModels(ctx, p, k)
	}, func(models []string, err error) {
		f.busy(false)
		var fe *fieldError
		switch {
		case errors.As(err, &fe):
			f.setErr(fe.field, settingsSentence(fe.err))
			setLabel(out, "Could not get the key: see above.", widget.DangerImportance)
		case err != nil:
			setLabel(out, settingsSentence(err), widget.DangerImportance)
		default:
			f.offerModels(models)
			if fetchOnly {
				setLabel(out, fmt.Sprintf("%s offers %s: pick one or type a name.", p.Name, countModels(len(models))), widget.LowImportance)
			} else {
				setLabel(out, "OK, "+countModels(len(models)), widget.SuccessImportance)
			}
		}
	})
}

func countModels(n int) string {
	if n == 1 {
		return "1 model"
	}
	return fmt.Sprintf("%d models", n)
}

// saveProvider checks the form and stores the provider: its key in the
// keychain first, then the record; if the record cannot be stored, the
// keychain is put back as it was.
func (w *window) saveProvider(f *providerForm) {
	p, key, errs := f.draft(w.providers)
	f.showErrs(errs)
	setLabel(f.result, "", widget.MediumImportance)
	if len(errs) > 0 {
		setLabel(f.problem, "Not saved: fix what is marked in red.", widget.DangerImportance)
		return
	}
	setLabel(f.problem, "", widget.DangerImportance)
	orig, isDefault, kr, eng := f.orig, f.makeDefault.Checked, w.keys(), w.eng
	f.busy(true)
	run(w.b, func() (string, error) {
		note, err := commitProvider(w.st, kr, orig, p, key, isDefault)
		if err == nil && eng != nil {
			eng.ForgetKey(orig.Name)
			eng.ForgetKey(p.Name)
		}
		return note, err
	}, func(note string, err error) {
		f.busy(false)
		if err != nil {
			var fe *fieldError
			if errors.As(err, &fe) {
				f.setErr(fe.field, settingsSentence(fe.err))
				setLabel(f.problem, "Not saved: see above.", widget.DangerImportance)
			} else {
				setLabel(f.problem, "Not saved: "+settingsSentence(err), widget.DangerImportance)
			}
			return
		}
		f.key.SetText("")
		if orig.Name != "" && orig.Name != p.Name {
			w.loadConversations("") // the chats that used it follow the new name
		}
		s := w.settingsState()
		w.loadProviders(func() {
			if !s.open {
				return
			}
			if i := s.indexOf(p.Name); i >= 0 {
				s.form = nil
				s.list.Select(i)
				if s.form == nil { // it was selected already
					w.openProviderForm(s.listed[i], presetOf(s.listed[i]))
				}
			}
			if s.form != nil {
				msg := "Saved."
				if note != "" {
					msg += " " + note
				}
				setLabel(s.form.result, msg, widget.SuccessImportance)
			}
		})
	})
}

// commitProvider stores p in place of orig (a new provider when orig has
// no name), key (when set) in the keychain first. Renaming moves the
// keychain key; leaving the keychain deletes it. When the record cannot be
// stored the keychain is put back as it was. note says what could not be
// tidied up after the record was stored.
func commitProvider(st *store.Store, kr secrets.Keyring, orig, p store.Provider, key string, isDefault bool) (note string, err error) {
	renamed := orig.Name != "" && orig.Name != p.Name
	hadKeychain := orig.Name != "" && orig.KeySource == store.KeyFromKeychain
	var undo func()
	if p.KeySource == store.KeyFromKeychain {
		if key == "" && renamed && hadKeychain {
			old, gerr := kr.Get(secrets.Service, orig.Name)
			if gerr != nil {
				return "", &fieldError{fieldKey, &secrets.Error{Sentence: fmt.Sprintf("The key of %s could not be read from the keychain to move it: type it again.", orig.Name), Err: gerr}}
			}
			key = old
		}
		if key != "" {
			prev, perr := kr.Get(secrets.Service, p.Name)
			if err := secrets.Save(kr, p.Name, key); err != nil {
				return "", &fieldError{fieldKey, err}
			}
			undo = func() {
				if perr == nil {
					secrets.Save(kr, p.Name, prev)
				} else {
					secrets.Delete(kr, p.Name)
				}
			}
		}
	}
	old := orig.Name
	if err := st.ReplaceProvider(old, p, isDefault); err != nil {
		if undo != nil {
			undo()
		}
		if errors.Is(err, store.ErrExists) {
			return "", &fieldError{fieldName, err}
		}
		return "", err
	}
	if hadKeychain && (renamed || p.KeySource != store.KeyFromKeychain) {
		if err := secrets.Delete(kr, orig.Name); err != nil {
			return settingsSentence(err), nil
		}
	}
	return "", nil
}

// askRemoveProvider removes the form's provider once the user agrees.
func (w *window) askRemoveProvider(f *providerForm) {
	name := f.orig.Name
	if name == "" {
		return
	}
	msg := fmt.Sprintf("Remove %s? Chats that used it keep their messages.", name)
	if f.orig.KeySource == store.KeyFromKeychain {
		msg = fmt.Sprintf("Remove %s and delete its API key from the keychain? Chats that used it keep their messages.", name)
	}
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Remove provider?", "Yes", "No", text, func(ok bool) {
		if ok {
			w.removeProvider(f)
		}
	}, w.win)
	d.Resize(fyne.NewSize(420, 0))
	d.Show()
}

// removeProvider deletes the record, then its keychain key.
func (w *window) removeProvider(f *providerForm) {
	orig, kr, eng := f.orig, w.keys(), w.eng
	f.busy(true)
	run(w.b, func() (string, error) {
		if _, err := w.st.RemoveProvider(orig.Name); err != nil {
			return "", err
		}
		note := ""
		if orig.KeySource == store.KeyFromKeychain {
			if err := secrets.Delete(kr, orig.Name); err != nil {
				note = settingsSentence(err)
			}
		}
		if eng != nil {
			eng.ForgetKey(orig.Name)
		}
		return note, nil
	}, func(note string, err error) {
		f.busy(false)
		if err != nil {
			setLabel(f.problem, "Not removed: "+settingsSentence(err), widget.DangerImportance)
			return
		}
		s := w.settingsState()
		if s.form == f {
			s.form, s.problem = nil, nil
			s.list.UnselectAll()
		}
		w.loadConversations("") // the chats that used it now use the default provider
		w.loadProviders(func() {
			if note != "" {
				w.showError("The provider was removed, but not its key", errors.New(note))
			}
		})
	})
}

// defaultsForm is the Defaults tab: what new conversations start with, the
// look, and where the data is.
type defaultsForm struct {
	content                fyne.CanvasObject
	provider               *widget.Select
	model                  *widget.SelectEntry
	models                 []string // what model offers
	system                 *widget.Entry
	temperature, maxTokens *widget.Entry
	tempErr, maxErr        *widget.Label
	theme                  *widget.RadioGroup
	backupsKeep            *widget.Entry
	backupsErr, backupsMsg *widget.Label
	dataDir                *widget.Label
	openDir                *widget.Button
	save                   *widget.Button
	result                 *widget.Label
	shown                  prefs // the defaults the form was filled with
}

func (w *window) newDefaultsForm() *defaultsForm {
	d := &defaultsForm{
		provider:    widget.NewSelect(nil, nil),
		model:       widget.NewSelectEntry(nil),
		system:      widget.NewMultiLineEntry(),
		temperature: widget.NewEntry(),
		maxTokens:   widget.NewEntry(),
		tempErr:     wrapped("", widget.DangerImportance),
		maxErr:      wrapped("", widget.DangerImportance),
		dataDir:     widget.NewLabel(w.dataFolder()),
		result:      wrapped("", widget.MediumImportance),
	}
	p := w.prefs
	d.shown = p
	d.provider.PlaceHolder = "Choose a provider"
	d.provider.Options = w.providerNames()
	if p.Provider != "" {
		d.provider.Selected = p.Provider
	}
	d.model.SetPlaceHolder("the provider's default model")
	d.models = w.modelsOf(p.Provider)
	d.model.SetOptions(d.models)
	d.model.SetText(p.Model)
	d.provider.OnChanged = func(name string) {
		d.models = w.modelsOf(name)
		d.model.SetOptions(d.models)
		d.model.SetText(w.defaultModel(name))
	}
	d.system.SetText(p.SystemPrompt)
	d.system.Wrapping = fyne.TextWrapWord
	d.system.SetMinRowsVisible(3)
	d.system.SetPlaceHolder("Sent first in every new chat, for example: Answer briefly, in plain English.")
	if p.Temperature != nil {
		d.temperature.SetText(fmt.Sprint(*p.Temperature))
	}
	d.temperature.SetPlaceHolder("the provider's default")
	d.temperature.OnChanged = func(string) { setLabel(d.tempErr, "", widget.DangerImportance) }
	if p.MaxTokens > 0 {
		d.maxTokens.SetText(fmt.Sprint(p.MaxTokens))
	}
	d.maxTokens.SetPlaceHolder("the model's default")
	d.maxTokens.OnChanged = func(string) { setLabel(d.maxErr, "", widget.DangerImportance) }
	d.theme = widget.NewRadioGroup(themeLabels, nil)
	d.theme.Horizontal = true
	d.theme.Required = true
	d.theme.SetSelected(themeLabel(p.Theme))
	d.theme.OnChanged = func(label string) { w.setTheme(themeChoice(label)) }
	d.dataDir.Wrapping = fyne.TextWrapBreak
	d.dataDir.TextStyle.Monospace = true
	d.openDir = widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), w.openDataDir)
	d.save = widget.NewButtonWithIcon("Save defaults", theme.DocumentSaveIcon(), w.saveDefaults)
	d.save.Importance = widget.HighImportance

	hint := func(text string) *widget.Label { return wrapped(text, widget.LowImportance) }
	form := widget.NewForm(
		widget.NewFormItem("Provider", container.NewVBox(d.provider, hint("New chats use this provider and model; each chat can switch in its header."))),
		widget.NewFormItem("Model", d.model),
		widget.NewFormItem("System prompt", d.system),
		widget.NewFormItem("Temperature", container.NewVBox(d.temperature, d.tempErr)),
		widget.NewFormItem("Max output tokens", container.NewVBox(d.maxTokens, d.maxErr)),
		widget.NewFormItem("Theme", d.theme),
		w.backupsField(d),
		widget.NewFormItem("Data folder", container.NewVBox(d.dataDir, container.NewHBox(d.openDir))),
	)
	d.content = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), d.result, container.NewHBox(layout.NewSpacer(), d.save)), nil, nil,
		container.NewVScroll(container.NewPadded(form)))
	return d
}

// providersChanged offers the providers just loaded. A default provider
// changed elsewhere (Use for new chats, a rename, a removal) is shown
// unless the user has picked another one here.
func (d *defaultsForm) providersChanged(w *window) {
	d.provider.Options = w.providerNames()
	if p := w.prefs; d.provider.Selected == d.shown.Provider && p.Provider != d.shown.Provider {
		d.provider.Selected = p.Provider
		d.models = w.modelsOf(p.Provider)
		d.model.SetOptions(d.models)
		d.model.SetText(p.Model)
	}
	d.shown.Provider, d.shown.Model = w.prefs.Provider, w.prefs.Model
	d.provider.Refresh()
}

// saveDefaults stores the Defaults tab in one transaction and applies it.
func (w *window) saveDefaults() {
	d := w.settingsState().defaults
	t, terr := parseTemperature(d.temperature.Text)
	n, nerr := parseWhole(d.maxTokens.Text)
	keep, kerr := d.backupsToKeep()
	if terr != nil {
		setLabel(d.tempErr, terr.Error(), widget.DangerImportance)
	}
	if nerr != nil {
		setLabel(d.maxErr, "Max output tokens is a whole number of 0 or more (empty or 0: the model's default).", widget.DangerImportance)
	}
	if terr != nil || nerr != nil || kerr != nil {
		setLabel(d.result, "Not saved: fix what is marked in red.", widget.DangerImportance)
		return
	}
	p := prefs{
		Provider:     d.provider.Selected,
		SystemPrompt: strings.TrimSpace(d.system.Text),
		Temperature:  t,
		MaxTokens:    n,
		Theme:        themeChoice(d.theme.Selected),
		BackupsKeep:  keep,
	}
	if p.Provider != "" {
		p.Model = strings.TrimSpace(d.model.Text)
	}
	d.save.Disable()
	run(w.b, func() (struct{}, error) {
		return struct{}{}, w.st.SetSettings(p.settings())
	}, func(_ struct{}, err error) {
		d.save.Enable()
		if err != nil {
			setLabel(d.result, "Not saved: "+settingsSentence(err), widget.DangerImportance)
			return
		}
		w.setPrefs(p)
		setLabel(d.result, "Saved: new chats start with these defaults.", widget.SuccessImportance)
		w.loadProviders(nil) // the default provider is marked in the list and the header
	})
}

// setTheme switches the theme at once and stores the choice.
func (w *window) setTheme(choice string) {
	old := w.prefs
	p := w.prefs
	p.Theme = choice
	w.setPrefs(p)
	run(w.b, func() (struct{}, error) {
		return struct{}{}, w.st.SetSettings(map[string]string{store.SettingTheme: choice})
	}, func(_ struct{}, err error) {
		if err != nil {
			if d := w.settingsState().defaults; d != nil {
				setLabel(d.result, "The theme could not be saved: "+settingsSentence(err), widget.DangerImportance)
			}
			w.prefs.Theme = old.Theme
		}
	})
}

// openDataDir shows the data folder in the file manager.
func (w *window) openDataDir() {
	s := w.settingsState()
	u := &url.URL{Scheme: "file", Path: filepath.ToSlash(w.dataFolder())}
	open := s.openURL
	if open == nil {
		open = w.app.OpenURL
	}
	if err := open(u); err != nil && s.defaults != nil {
		setLabel(s.defaults.result, "The folder could not be opened: "+err.Error(), widget.DangerImportance)
	}
}

// addProvider stores a new provider (the first-run choice), then reloads
// the providers and calls done.
func (w *window) addProvider(p store.Provider, makeDefault bool, done func()) {
	run(w.b, func() (struct{}, error) {
		return struct{}{}, w.st.ReplaceProvider("", p, makeDefault)
	}, func(_ struct{}, err error) {
		if err != nil {
			w.showError("Could not save the provider", err)
			return
		}
		w.loadProviders(done)
	})
}

// firstRunIfNeeded welcomes a user who has no provider yet and offers three
// ways to start.
func (w *window) firstRunIfNeeded() {
	if len(w.providers) > 0 || w.defaultProv != "" {
		return
	}
	var d dialog.Dialog
	text := widget.NewLabel("deskchat talks to OpenAI and any OpenAI-compatible server (Ollama, LM Studio, OpenRouter, Groq, vLLM, …). How do you want to start?")
	text.Wrapping = fyne.TextWrapWord
	add := widget.NewButtonWithIcon("Add a provider…", theme.ContentAddIcon(), func() {
		d.Hide()
		w.showSettings()
		w.askPreset()
	})
	add.Importance = widget.HighImportance
	useEnv := widget.NewButton("Use OpenAI with OPENAI_API_KEY", func() {
		d.Hide()
		w.addProvider(store.Provider{Name: "OpenAI", Kind: store.KindOpenAI, BaseURL: "https://api.openai.com/v1", Model: "gpt-4o-mini",
			Models: []string{"gpt-4o-mini", "gpt-4o", "gpt-4.1"}, KeySource: store.KeyFromEnv, KeyEnv: "OPENAI_API_KEY"}, true, nil)
	})
	if os.Getenv("OPENAI_API_KEY") == "" {
		useEnv.Disable()
		useEnv.SetText("Use OpenAI with OPENAI_API_KEY (not set)")
	}
	sim := widget.NewButton("Try the Simulator (no network)", func() {
		d.Hide()
		w.setDefaultProvider(engine.SimulatorName)
	})
	content := container.NewVBox(text, add, useEnv, sim)
	d = dialog.NewCustomWithoutButtons("Welcome to deskchat", content, w.win)
	d.Resize(fyne.NewSize(480, content.MinSize().Height+80))
	d.Show()
	w.welcome = d
}

func (w *window) setDefaultProvider(name string) {
	run(w.b, func() (struct{}, error) {
		return struct{}{}, w.st.SetSettings(map[string]string{store.SettingDefaultProvider: name, store.SettingDefaultModel: ""})
	}, func(_ struct{}, err error) {
		if err != nil {
			w.showError("Could not save your choice", err)
			return
		}
		w.loadProviders(nil)
	})
}
