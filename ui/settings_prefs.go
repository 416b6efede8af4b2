package ui

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"deskchat/store"
	"deskchat/ui/internal/bridge"
	"deskchat/ui/internal/look"
)

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
	scroll                 *container.Scroll
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
	d.theme = widget.NewRadioGroup(look.ThemeLabels, nil)
	d.theme.Horizontal = true
	d.theme.Required = true
	d.theme.SetSelected(look.ThemeLabel(p.Theme))
	d.theme.OnChanged = func(label string) { w.setTheme(look.ThemeChoice(label)) }
	d.dataDir.Wrapping = fyne.TextWrapBreak
	d.dataDir.TextStyle.Monospace = true
	d.openDir = widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), w.openDataDir)
	d.save = widget.NewButtonWithIcon("Save defaults", theme.DocumentSaveIcon(), w.saveDefaults)
	d.save.Importance = widget.HighImportance

	hint := func(text string) *widget.Label { return wrapped(text, widget.LowImportance) }
	form := widget.NewForm(
		widget.NewFormItem("Provider", container.NewVBox(d.provider, hint("New chats use this provider and model; each chat can switch in its header."))),
		widget.NewFormItem("Model", look.WheelThrough(d.model, &d.scroll)),
		widget.NewFormItem("System prompt", d.system),
		widget.NewFormItem("Temperature", container.NewVBox(look.WheelThrough(d.temperature, &d.scroll), d.tempErr)),
		widget.NewFormItem("Max output tokens", container.NewVBox(look.WheelThrough(d.maxTokens, &d.scroll), d.maxErr)),
		widget.NewFormItem("Theme", d.theme),
		w.backupsField(d),
		widget.NewFormItem("Data folder", container.NewVBox(d.dataDir, container.NewHBox(d.openDir))),
	)
	// The system prompt keeps the wheel: its own text scrolls.
	d.scroll = container.NewVScroll(container.NewPadded(form))
	d.content = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), d.result, container.NewHBox(layout.NewSpacer(), d.save)), nil, nil, d.scroll)
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
		Theme:        look.ThemeChoice(d.theme.Selected),
		BackupsKeep:  keep,
	}
	if p.Provider != "" {
		p.Model = strings.TrimSpace(d.model.Text)
	}
	d.save.Disable()
	bridge.Run(w.b, func() (struct{}, error) {
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
	bridge.Run(w.b, func() (struct{}, error) {
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
