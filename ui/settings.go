package ui

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"deskchat/engine"
	"deskchat/store"
)

// providerState is the providers and the default, as read from the store.
type providerState struct {
	providers []store.Provider
	def       string
}

// loadProviders reads the providers off the UI goroutine, then refreshes the
// pickers and calls then (if set).
func (w *window) loadProviders(then func()) {
	run(w.b, func() (providerState, error) {
		ps, err := w.st.Providers()
		if err != nil {
			return providerState{}, err
		}
		def, err := w.st.Setting(store.SettingDefaultProvider)
		return providerState{ps, def}, err
	}, func(s providerState, err error) {
		if err != nil {
			w.showError("Could not read your providers", err)
			return
		}
		w.providers, w.defaultProv = s.providers, s.def
		w.updateHeader()
		if then != nil {
			then()
		}
	})
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

// providerForm is the settings dialog's form for one OpenAI-compatible
// provider.
type providerForm struct {
	name, baseURL, model, keyEnv *widget.Entry
	makeDefault                  *widget.Check
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func newProviderForm() *providerForm {
	f := &providerForm{
		name:        widget.NewEntry(),
		baseURL:     widget.NewEntry(),
		model:       widget.NewEntry(),
		keyEnv:      widget.NewEntry(),
		makeDefault: widget.NewCheck("Use for new chats", nil),
	}
	f.name.SetPlaceHolder("Ollama")
	f.baseURL.SetPlaceHolder("http://localhost:11434/v1")
	f.model.SetPlaceHolder("llama3.2")
	f.keyEnv.SetPlaceHolder("OLLAMA_API_KEY (empty: no key)")
	return f
}

// provider checks the form and returns the provider it describes, or the
// sentence saying what to fix.
func (f *providerForm) provider() (store.Provider, error) {
	p := store.Provider{
		Name:    strings.TrimSpace(f.name.Text),
		Kind:    store.KindCompatible,
		BaseURL: strings.TrimRight(strings.TrimSpace(f.baseURL.Text), "/"),
		Model:   strings.TrimSpace(f.model.Text),
		KeyEnv:  strings.TrimSpace(f.keyEnv.Text),
	}
	switch {
	case p.Name == "":
		return p, errors.New("Give the provider a name.")
	case strings.EqualFold(p.Name, engine.SimulatorName):
		return p, fmt.Errorf("%q is the built-in provider's name; choose another.", p.Name)
	case p.BaseURL == "":
		return p, errors.New("Enter the base URL, for example http://localhost:11434/v1.")
	case p.Model == "":
		return p, errors.New("Enter the model to use, for example llama3.2.")
	case p.KeyEnv != "" && !envName.MatchString(p.KeyEnv):
		return p, fmt.Errorf("%q is not an environment variable name: use letters, digits and _.", p.KeyEnv)
	}
	u, err := url.Parse(p.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return p, fmt.Errorf("%q is not a web address: it should start with http:// or https://.", p.BaseURL)
	}
	p.Models = []string{p.Model}
	return p, nil
}

// showSettings opens the settings dialog: the providers, and a form to add
// an OpenAI-compatible one.
func (w *window) showSettings() {
	f := newProviderForm()
	problem := widget.NewLabel("")
	problem.Importance = widget.DangerImportance
	problem.Wrapping = fyne.TextWrapWord
	problem.Hide()
	keyHint := widget.NewLabel("")
	keyHint.Importance = widget.LowImportance
	keyHint.Wrapping = fyne.TextWrapWord
	f.keyEnv.OnChanged = func(s string) {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			keyHint.SetText("Keys are read from the environment and never saved by deskchat.")
		case os.Getenv(s) == "":
			keyHint.SetText(s + " is not set in deskchat's environment; set it before you send.")
		default:
			keyHint.SetText(s + " is set.")
		}
	}
	f.keyEnv.OnChanged("")

	list := container.NewVBox()
	var d dialog.Dialog
	var fill func()
	fill = func() {
		list.RemoveAll()
		for _, p := range w.providers {
			p := p
			label := p.Name + " — " + p.Model
			if p.BaseURL != "" {
				label += "  (" + p.BaseURL + ")"
			}
			if p.Name == w.defaultProv {
				label += "  · default"
			}
			l := widget.NewLabel(label)
			l.Truncation = fyne.TextTruncateEllipsis
			remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
				dialog.ShowConfirm("Remove provider?", fmt.Sprintf("Remove %s? Chats that use it keep their messages.", p.Name), func(ok bool) {
					if ok {
						w.removeProvider(p.Name, fill)
					}
				}, w.win)
			})
			list.Add(container.NewBorder(nil, nil, nil, remove, l))
		}
		if len(w.providers) == 0 {
			list.Add(widget.NewLabel("No providers yet. The built-in Simulator always works, without a network."))
		}
	}
	fill()

	form := widget.NewForm(
		widget.NewFormItem("Name", f.name),
		widget.NewFormItem("Base URL", f.baseURL),
		widget.NewFormItem("Model", f.model),
		widget.NewFormItem("Key variable", f.keyEnv),
		widget.NewFormItem("", f.makeDefault),
	)
	add := widget.NewButtonWithIcon("Add provider", theme.ContentAddIcon(), func() {
		p, err := f.provider()
		if err != nil {
			problem.SetText(err.Error())
			problem.Show()
			return
		}
		problem.Hide()
		w.addProvider(p, f.makeDefault.Checked, func() {
			f.name.SetText("")
			f.baseURL.SetText("")
			f.model.SetText("")
			f.keyEnv.SetText("")
			f.makeDefault.SetChecked(false)
			fill()
		})
	})
	add.Importance = widget.HighImportance
	content := container.NewVBox(
		widget.NewLabelWithStyle("Providers", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		list,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Add an OpenAI-compatible provider", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		form, keyHint, problem,
		container.NewHBox(layout.NewSpacer(), add),
	)
	d = dialog.NewCustom("Settings", "Close", content, w.win)
	d.Resize(fyne.NewSize(560, content.MinSize().Height+120))
	d.Show()
	w.settings = &settingsDialog{form: f, add: add, problem: problem, list: list, dialog: d}
}

// settingsDialog is the open settings dialog, kept for tests.
type settingsDialog struct {
	form    *providerForm
	add     *widget.Button
	problem *widget.Label
	list    *fyne.Container
	dialog  dialog.Dialog
}

func (w *window) addProvider(p store.Provider, makeDefault bool, done func()) {
	run(w.b, func() (struct{}, error) {
		if err := w.st.PutProvider(p); err != nil {
			return struct{}{}, err
		}
		if makeDefault {
			return struct{}{}, w.st.SetSetting(store.SettingDefaultProvider, p.Name)
		}
		return struct{}{}, nil
	}, func(_ struct{}, err error) {
		if err != nil {
			w.showError("Could not save the provider", err)
			return
		}
		w.loadProviders(done)
	})
}

func (w *window) removeProvider(name string, done func()) {
	run(w.b, func() (struct{}, error) {
		return struct{}{}, w.st.DeleteProvider(name)
	}, func(_ struct{}, err error) {
		if err != nil {
			w.showError("Could not remove the provider", err)
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
	})
	add.Importance = widget.HighImportance
	useEnv := widget.NewButton("Use OpenAI with OPENAI_API_KEY", func() {
		d.Hide()
		w.addProvider(store.Provider{Name: "OpenAI", Kind: store.KindOpenAI, Model: "gpt-4o-mini", Models: []string{"gpt-4o-mini", "gpt-4o", "gpt-4.1"}, KeyEnv: "OPENAI_API_KEY"}, true, nil)
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
		return struct{}{}, w.st.SetSetting(store.SettingDefaultProvider, name)
	}, func(_ struct{}, err error) {
		if err != nil {
			w.showError("Could not save your choice", err)
			return
		}
		w.loadProviders(nil)
	})
}
