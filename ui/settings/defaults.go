package settings

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// DefaultsForm is the Defaults tab: what new conversations start with, the
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

func (s *Dialog) newDefaultsForm() *DefaultsForm {
	d := &DefaultsForm{
		Provider:    widget.NewSelect(nil, nil),
		Model:       widget.NewSelectEntry(nil),
		System:      widget.NewMultiLineEntry(),
		Temperature: widget.NewEntry(),
		MaxTokens:   widget.NewEntry(),
		TempErr:     look.Wrapped("", widget.DangerImportance),
		MaxErr:      look.Wrapped("", widget.DangerImportance),
		DataDir:     widget.NewLabel(s.host.DataFolder()),
		Result:      look.Wrapped("", widget.MediumImportance),
	}
	p := s.host.Prefs()
	d.shown = p
	d.Provider.PlaceHolder = "Choose a provider"
	d.Provider.Options = ProviderNames(s.host.Providers())
	if p.Provider != "" {
		d.Provider.Selected = p.Provider
	}
	d.Model.SetPlaceHolder("the provider's default model")
	d.Models = ModelsOf(s.host.Providers(), p.Provider)
	d.Model.SetOptions(d.Models)
	d.Model.SetText(p.Model)
	d.Provider.OnChanged = func(name string) {
		d.Models = ModelsOf(s.host.Providers(), name)
		d.Model.SetOptions(d.Models)
		d.Model.SetText(DefaultModel(s.host.Providers(), name))
	}
	d.System.SetText(p.SystemPrompt)
	d.System.Wrapping = fyne.TextWrapWord
	d.System.SetMinRowsVisible(3)
	d.System.SetPlaceHolder("Sent first in every new chat, for example: Answer briefly, in plain English.")
	if p.Temperature != nil {
		d.Temperature.SetText(fmt.Sprint(*p.Temperature))
	}
	d.Temperature.SetPlaceHolder("the provider's default")
	d.Temperature.OnChanged = func(string) { look.SetLabel(d.TempErr, "", widget.DangerImportance) }
	if p.MaxTokens > 0 {
		d.MaxTokens.SetText(fmt.Sprint(p.MaxTokens))
	}
	d.MaxTokens.SetPlaceHolder("the model's default")
	d.MaxTokens.OnChanged = func(string) { look.SetLabel(d.MaxErr, "", widget.DangerImportance) }
	d.Theme = widget.NewRadioGroup(look.ThemeLabels, nil)
	d.Theme.Horizontal = true
	d.Theme.Required = true
	d.Theme.SetSelected(look.ThemeLabel(p.Theme))
	d.Theme.OnChanged = func(label string) { s.setTheme(look.ThemeChoice(label)) }
	d.DataDir.Wrapping = fyne.TextWrapBreak
	d.DataDir.TextStyle.Monospace = true
	d.OpenDir = widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), s.openDataDir)
	d.Save = widget.NewButtonWithIcon("Save defaults", theme.DocumentSaveIcon(), s.saveDefaults)
	d.Save.Importance = widget.HighImportance

	hint := func(text string) *widget.Label { return look.Wrapped(text, widget.LowImportance) }
	form := widget.NewForm(
		widget.NewFormItem("Provider", container.NewVBox(d.Provider, hint("New chats use this provider and model; each chat can switch in its header."))),
		widget.NewFormItem("Model", look.WheelThrough(d.Model, &d.Scroll)),
		widget.NewFormItem("System prompt", d.System),
		widget.NewFormItem("Temperature", container.NewVBox(look.WheelThrough(d.Temperature, &d.Scroll), d.TempErr)),
		widget.NewFormItem("Max output tokens", container.NewVBox(look.WheelThrough(d.MaxTokens, &d.Scroll), d.MaxErr)),
		widget.NewFormItem("Theme", d.Theme),
		s.backupsField(d),
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
func (d *DefaultsForm) providersChanged(s *Dialog) {
	d.Provider.Options = ProviderNames(s.host.Providers())
	if p := s.host.Prefs(); d.Provider.Selected == d.shown.Provider && p.Provider != d.shown.Provider {
		d.Provider.Selected = p.Provider
		d.Models = ModelsOf(s.host.Providers(), p.Provider)
		d.Model.SetOptions(d.Models)
		d.Model.SetText(p.Model)
	}
	d.shown.Provider, d.shown.Model = s.host.Prefs().Provider, s.host.Prefs().Model
	d.Provider.Refresh()
}

// saveDefaults stores the Defaults tab in one transaction and applies it.
func (s *Dialog) saveDefaults() {
	d := s.Defaults
	t, terr := parseTemperature(d.Temperature.Text)
	n, nerr := parseWhole(d.MaxTokens.Text)
	keep, kerr := d.backupsToKeep()
	if terr != nil {
		look.SetLabel(d.TempErr, terr.Error(), widget.DangerImportance)
	}
	if nerr != nil {
		look.SetLabel(d.MaxErr, "Max output tokens is a whole number of 0 or more (empty or 0: the model's default).", widget.DangerImportance)
	}
	if terr != nil || nerr != nil || kerr != nil {
		look.SetLabel(d.Result, "Not saved: fix what is marked in red.", widget.DangerImportance)
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
	bridge.Run(s.host.Bridge(), func() (struct{}, error) {
		return struct{}{}, s.host.Store().SetSettings(p.Settings())
	}, func(_ struct{}, err error) {
		d.Save.Enable()
		if err != nil {
			look.SetLabel(d.Result, "Not saved: "+settingsSentence(err), widget.DangerImportance)
			return
		}
		s.host.SetPrefs(p)
		look.SetLabel(d.Result, "Saved: new chats start with these defaults.", widget.SuccessImportance)
		s.host.ReloadProviders(nil) // the default provider is marked in the list and the header
	})
}

// setTheme switches the theme at once and stores the choice.
func (s *Dialog) setTheme(choice string) {
	old := s.host.Prefs()
	p := s.host.Prefs()
	p.Theme = choice
	s.host.SetPrefs(p)
	bridge.Run(s.host.Bridge(), func() (struct{}, error) {
		return struct{}{}, s.host.Store().SetSettings(map[string]string{store.SettingTheme: choice})
	}, func(_ struct{}, err error) {
		if err != nil {
			if d := s.Defaults; d != nil {
				look.SetLabel(d.Result, "The theme could not be saved: "+settingsSentence(err), widget.DangerImportance)
			}
			// The defaults record the old theme again; the theme shown
			// stays (ApplyTheme finds it applied).
			p := s.host.Prefs()
			p.Theme = old.Theme
			shown, set := s.theme, s.themeSet
			s.theme, s.themeSet = old.Theme, true
			s.host.SetPrefs(p)
			s.theme, s.themeSet = shown, set
		}
	})
}

// openDataDir shows the data folder in the file manager.
func (s *Dialog) openDataDir() {
	u := &url.URL{Scheme: "file", Path: filepath.ToSlash(s.host.DataFolder())}
	open := s.OpenURL
	if open == nil {
		open = s.host.OpenURL
	}
	if err := open(u); err != nil && s.Defaults != nil {
		look.SetLabel(s.Defaults.Result, "The folder could not be opened: "+err.Error(), widget.DangerImportance)
	}
}

// backupsField is the "Backups to keep" item of the Defaults tab: the
// number, its error, and the last backup's outcome.
func (s *Dialog) backupsField(d *DefaultsForm) *widget.FormItem {
	d.BackupsKeep = widget.NewEntry()
	d.BackupsKeep.SetText(fmt.Sprint(s.host.Prefs().BackupsKeep))
	d.BackupsErr = look.Wrapped("", widget.DangerImportance)
	d.BackupsKeep.OnChanged = func(string) { look.SetLabel(d.BackupsErr, "", widget.DangerImportance) }
	d.BackupsMsg = look.Wrapped("", widget.LowImportance)
	note, failed := s.host.BackupNote()
	showBackupNote(d.BackupsMsg, note, failed)
	hint := look.Wrapped("A copy of the history is made once a day in the data folder's backups/; 0 turns them off.", widget.LowImportance)
	return widget.NewFormItem("Backups to keep", container.NewVBox(container.NewGridWrap(fyne.NewSize(120, d.BackupsKeep.MinSize().Height), look.WheelThrough(d.BackupsKeep, &d.Scroll)), d.BackupsErr, hint, d.BackupsMsg))
}

// backupsToKeep reads the "Backups to keep" field; a wrong value is marked.
func (d *DefaultsForm) backupsToKeep() (int, error) {
	n, err := parseWhole(d.BackupsKeep.Text)
	if err != nil || strings.TrimSpace(d.BackupsKeep.Text) == "" {
		err = errors.New("Backups to keep is a whole number of 0 or more (0 turns backups off).")
		look.SetLabel(d.BackupsErr, err.Error(), widget.DangerImportance)
	}
	return n, err
}

// ShowBackupNote shows an automatic backup's outcome under "Backups to
// keep" (failed: it failed), when the Defaults tab was made.
func (s *Dialog) ShowBackupNote(note string, failed bool) {
	if s.Defaults != nil {
		showBackupNote(s.Defaults.BackupsMsg, note, failed)
	}
}

func showBackupNote(l *widget.Label, note string, failed bool) {
	imp := widget.LowImportance
	if failed {
		imp = widget.WarningImportance
	}
	look.SetLabel(l, note, imp)
}
