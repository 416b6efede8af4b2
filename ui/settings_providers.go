package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"deskchat/engine"
	"deskchat/internal/secrets"
	"deskchat/providers"
	"deskchat/store"
	"deskchat/ui/internal/bridge"
)

// testTimeout bounds Test connection and Fetch models (the key command
// has its own 5 s bound inside).
const testTimeout = 30 * time.Second

// testProvider asks the provider for its models with the key as the form
// describes it: "OK, 42 models" or the sentence saying what is wrong.
// fetchOnly (Fetch models) reports next to the model picker.
func (w *window) testProvider(f *ProviderForm, fetchOnly bool) {
	p, key, errs := f.draft(w.providers)
	for k := range errs {
		if k != FieldBaseURL && k != FieldAPIVersion && k != FieldKey {
			delete(errs, k) // not needed to connect
		}
	}
	for _, k := range []string{FieldBaseURL, FieldAPIVersion, FieldKey} {
		f.setErr(k, errs[k])
	}
	out := f.Result
	if fetchOnly {
		out = f.ModelsInfo
	}
	f.notSaved("", false)
	if len(errs) > 0 {
		setLabel(out, "Fix what is marked in red first.", widget.DangerImportance)
		return
	}
	if p.Name == "" {
		p.Name = f.Preset.Name
	}
	// A key already in the keychain is read under the name it is stored by.
	lookup := p
	if f.Orig.Name != "" {
		lookup.Name = f.Orig.Name
	}
	kr := w.keys()
	setLabel(out, "Connecting…", widget.LowImportance)
	f.busy(true)
	bridge.Run(w.b, func() ([]string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		k := key
		if k == "" && p.KeySource != "" {
			var err error
			k, err = (&secrets.Resolver{Keyring: kr}).Key(ctx, lookup)
			if err != nil {
				return nil, &fieldError{FieldKey, err}
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

// saveProvider checks the form and stores the provider through
// providers.Admin.Save: its key in the keychain first, then the record; if
// the record cannot be stored, the keychain is put back as it was.
func (w *window) saveProvider(f *ProviderForm) {
	p, key, errs := f.draft(w.providers)
	f.showErrs(errs)
	setLabel(f.Result, "", widget.MediumImportance)
	if len(errs) > 0 {
		f.notSaved("Not saved: fix what is marked in red.", true)
		return
	}
	f.notSaved("", false)
	orig, adm := f.Orig, w.admin()
	d := providers.Draft{Provider: p, Key: key, Default: providers.DefaultNo}
	if f.MakeDefault.Checked {
		d.Default = providers.DefaultYes
	}
	wasDefault := w.defaultProv
	f.busy(true)
	bridge.Run(w.b, func() (providers.Saved, error) {
		return adm.Save(orig.Name, d)
	}, func(saved providers.Saved, err error) {
		f.busy(false)
		if err != nil {
			var probs providers.Problems
			if errors.As(err, &probs) {
				for field, text := range probs {
					f.setErr(string(field), text)
				}
				f.notSaved("Not saved: see above.", true)
			} else {
				f.notSaved("Not saved: "+settingsSentence(err), false)
			}
			return
		}
		f.Key.SetText("")
		if orig.Name != "" && orig.Name != p.Name {
			w.loadConversations("") // the chats that used it follow the new name
		}
		msg := "Saved."
		if saved.BecameDefault {
			msg += " " + becameDefault(saved.Provider.Name, wasDefault)
		}
		if saved.Note != "" {
			msg += " " + saved.Note
		}
		s := w.settingsState()
		w.loadProviders(func() {
			if !s.Open {
				return
			}
			if i := s.indexOf(p.Name); i >= 0 {
				s.Form = nil
				s.List.Select(i)
				if s.Form == nil { // it was selected already
					w.openProviderForm(s.Listed[i], PresetOf(s.Listed[i]))
				}
			}
			if s.Form != nil {
				setLabel(s.Form.Result, msg, widget.SuccessImportance)
			}
		})
	})
}

// becameDefault is the line saying that name is the default provider now,
// instead of was.
func becameDefault(name, was string) string {
	switch was {
	case "":
		return fmt.Sprintf("New chats use %s now.", name)
	case engine.SimulatorName:
		return fmt.Sprintf("New chats use %s now, no longer the Simulator.", name)
	}
	return fmt.Sprintf("New chats use %s now, no longer %s.", name, was)
}

// admin is the provider administration the settings share with the
// command line, on this window's store, keychain and engine.
func (w *window) admin() *providers.Admin {
	a := providers.New(w.st, w.keys())
	if eng := w.eng; eng != nil {
		a.Forget = eng.ForgetKey
	}
	return a
}

// askRemoveProvider removes the form's provider once the user agrees.
func (w *window) askRemoveProvider(f *ProviderForm) {
	name := f.Orig.Name
	if name == "" {
		return
	}
	msg := fmt.Sprintf("Remove %s? Chats that used it keep their messages.", name)
	if f.Orig.KeySource == store.KeyFromKeychain {
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

// removeProvider removes the provider through providers.Admin.Remove: the
// record, the fallbacks to it and (when it was the default) the default
// handed on, in one transaction, then its keychain key.
func (w *window) removeProvider(f *ProviderForm) {
	orig, adm := f.Orig, w.admin()
	f.busy(true)
	bridge.Run(w.b, func() (providers.Removed, error) {
		return adm.Remove(orig.Name)
	}, func(r providers.Removed, err error) {
		f.busy(false)
		if err != nil {
			f.notSaved("Not removed: "+settingsSentence(err), false)
			return
		}
		s := w.settingsState()
		s.notice = strings.TrimSpace(fmt.Sprintf("Removed %s. %s", orig.Name, r.DefaultSentence()))
		if s.Form == f {
			s.Form, s.Problem = nil, nil
			s.List.UnselectAll()
		}
		w.loadConversations("") // the chats that used it now use the default provider
		w.loadProviders(func() {
			if r.Note != "" {
				w.showError("The provider was removed, but not its key", errors.New(r.Note))
			}
		})
	})
}

// addProvider stores a new provider (the first-run choice), then reloads
// the providers and calls done.
func (w *window) addProvider(p store.Provider, makeDefault bool, done func()) {
	adm, d := w.admin(), providers.Draft{Provider: p, Default: providers.DefaultNo}
	if makeDefault {
		d.Default = providers.DefaultYes
	}
	bridge.Run(w.b, func() (providers.Saved, error) {
		return adm.Save("", d)
	}, func(_ providers.Saved, err error) {
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
	adm := w.admin()
	bridge.Run(w.b, func() (struct{}, error) {
		return struct{}{}, adm.SetDefault(name)
	}, func(_ struct{}, err error) {
		if err != nil {
			w.showError("Could not save your choice", err)
			return
		}
		w.loadProviders(nil)
	})
}
