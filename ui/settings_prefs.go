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
type DefaultsForm struct {
	Content                fyne.CanvasObject
	Provider               *widget.Select
	Model                  *widget.SelectEntry
	Models                 []string // what model offers
	System                 *widget.Entry
	Temperature, MaxTokens *widget.Entry
	TempErr, MaxErr        *widget.Label
	Theme                  *widget.RadioGroup
	BackupsKeep            *widget.Entry
	BackupsErr, BackupsMsg *widget.Label
	DataDir                *widget.Label
	OpenDir                *widget.Button
	Save                   *widget.Button
	Result                 *widget.Label
	shown                  Prefs // the defaults the form was filled with
	Scroll                 *container.Scroll
}

func (w *window) newDefaultsForm() *DefaultsForm {
	d := &DefaultsForm{
		Provider:    widget.NewSelect(nil, nil),
		Model:       widget.NewSelectEntry(nil),
		System:      widget.NewMultiLineEntry(),
		Temperature: widget.NewEntry(),
		MaxTokens:   widget.NewEntry(),
		TempErr:     wrapped("", widget.DangerImportance),
		MaxErr:      wrapped("", widget.DangerImportance),
		DataDir:     widget.NewLabel(w.dataFolder()),
		Result:      wrapped("", widget.MediumImportance),
	}
	p := w.prefs
	d.shown = p
	d.Provider.PlaceHolder = "Choose a provider"
	d.Provider.Options = w.providerNames()
	if p.Provider != "" {
		d.Provider.Selected = p.Provider
	}
	d.Model.SetPlaceHolder("the provider's default model")
	d.Models = w.modelsOf(p.Provider)
	d.Model.SetOptions(d.Models)
	d.Model.SetText(p.Model)
	d.Provider.OnChanged = func(name string) {
		d.Models = w.modelsOf(name)
		d.Model.SetOptions(d.Models)
		d.Model.SetText(w.defaultModel(name))
	}
	d.System.SetText(p.SystemPrompt)
	d.System.Wrapping = fyne.TextWrapWord
	d.System.SetMinRowsVisible(3)
	d.System.SetPlaceHolder("Sent first in every new chat, for example: Answer briefly, in plain English.")
	if p.Temperature != nil {
		d.Temperature.SetText(fmt.Sprint(*p.Temperature))
	}
	d.Temperature.SetPlaceHolder("the provider's default")
	d.Temperature.OnChanged = func(string) { setLabel(d.TempErr, "", widget.DangerImportance) }
	if p.MaxTokens > 0 {
		d.MaxTokens.SetText(fmt.Sprint(p.MaxTokens))
	}
	d.MaxTokens.SetPlaceHolder("the model's default")
	d.MaxTokens.OnChanged = func(string) { setLabel(d.MaxErr, "", widget.DangerImportance) }
	d.Theme = widget.NewRadioGroup(look.ThemeLabels, nil)
	d.Theme.Horizontal = true
	d.Theme.Required = true
	d.Theme.SetSelected(look.ThemeLabel(p.Theme))
	d.Theme.OnChanged = func(label string) { w.setTheme(look.ThemeChoice(label)) }
	d.DataDir.Wrapping = fyne.TextWrapBreak
	d.DataDir.TextStyle.Monospace = true
	d.OpenDir = widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), w.openDataDir)
	d.Save = widget.NewButtonWithIcon("Save defaults", theme.DocumentSaveIcon(), w.saveDefaults)
	d.Save.Importance = widget.HighImportance

	hint := func(text string) *widget.Label { return wrapped(text, widget.LowImportance) }
	form := widget.NewForm(
		widget.NewFormItem("Provider", container.NewVBox(d.Provider, hint("New chats use this provider and model; each chat can switch in its header."))),
		widget.NewFormItem("Model", look.WheelThrough(d.Model, &d.Scroll)),
		widget.NewFormItem("System prompt", d.System),
		widget.NewFormItem("Temperature", container.NewVBox(look.WheelThrough(d.Temperature, &d.Scroll), d.TempErr)),
		widget.NewFormItem("Max output tokens", container.NewVBox(look.WheelThrough(d.MaxTokens, &d.Scroll), d.MaxErr)),
		widget.NewFormItem("Theme", d.Theme),
		w.backupsField(d),
		widget.NewFormItem("Data folder", container.NewVBox(d.DataDir, container.NewHBox(d.OpenDir))),
	)
	// The system prompt keeps the wheel: its own text scrolls.
	d.Scroll = container.NewVScroll(container.NewPadded(form))
	d.Content = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), d.Result, container.NewHBox(layout.NewSpacer(), d.Save)), nil, nil, d.Scroll)
	return d
}

// providersChanged offers the providers just loaded. A default provider
// changed elsewhere (Use for new chats, a rename, a removal) is shown
// unless the user has picked another one here.
func (d *DefaultsForm) providersChanged(w *window) {
	d.Provider.Options = w.providerNames()
	if p := w.prefs; d.Provider.Selected == d.shown.Provider && p.Provider != d.shown.Provider {
		d.Provider.Selected = p.Provider
		d.Models = w.modelsOf(p.Provider)
		d.Model.SetOptions(d.Models)
		d.Model.SetText(p.Model)
	}
	d.shown.Provider, d.shown.Model = w.prefs.Provider, w.prefs.Model
	d.Provider.Refresh()
}

// saveDefaults stores the Defaults tab in one transaction and applies it.
func (w *window) saveDefaults() {
	d := w.settingsState().Defaults
	t, terr := parseTemperature(d.Temperature.Text)
	n, nerr := parseWhole(d.MaxTokens.Text)
	keep, kerr := d.backupsToKeep()
	if terr != nil {
		setLabel(d.TempErr, terr.Error(), widget.DangerImportance)
	}
	if nerr != nil {
		setLabel(d.MaxErr, "Max output tokens is a whole number of 0 or more (empty or 0: the model's default).", widget.DangerImportance)
	}
	if terr != nil || nerr != nil || kerr != nil {
		setLabel(d.Result, "Not saved: fix what is marked in red.", widget.DangerImportance)
		return
	}
	p := Prefs{
		Provider:     d.Provider.Selected,
		SystemPrompt: strings.TrimSpace(d.System.Text),
		Temperature:  t,
		MaxTokens:    n,
		Theme:        look.ThemeChoice(d.Theme.Selected),
		BackupsKeep:  keep,
	}
	if p.Provider != "" {
		p.Model = strings.TrimSpace(d.Model.Text)
	}
	d.Save.Disable()
	bridge.Run(w.b, func() (struct{}, error) {
		return struct{}{}, w.st.SetSettings(p.Settings())
	}, func(_ struct{}, err error) {
		d.Save.Enable()
		if err != nil {
			setLabel(d.Result, "Not saved: "+settingsSentence(err), widget.DangerImportance)
			return
		}
		w.setPrefs(p)
		setLabel(d.Result, "Saved: new chats start with these defaults.", widget.SuccessImportance)
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
			if d := w.settingsState().Defaults; d != nil {
				setLabel(d.Result, "The theme could not be saved: "+settingsSentence(err), widget.DangerImportance)
			}
			w.prefs.Theme = old.Theme
		}
	})
}

// openDataDir shows the data folder in the file manager.
func (w *window) openDataDir() {
	s := w.settingsState()
	u := &url.URL{Scheme: "file", Path: filepath.ToSlash(w.dataFolder())}
	open := s.OpenURL
	if open == nil {
		open = w.app.OpenURL
	}
	if err := open(u); err != nil && s.Defaults != nil {
		setLabel(s.Defaults.Result, "The folder could not be opened: "+err.Error(), widget.DangerImportance)
	}
}
