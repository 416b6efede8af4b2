package settings

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

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/providers"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// testTimeout bounds Test connection and Fetch models (the key command
// has its own 5 s bound inside).
const testTimeout = 30 * time.Second

// testProvider asks the provider for its models with the key as the form
// describes it: "OK, 42 models" or the sentence saying what is wrong.
// fetchOnly (Fetch models) reports next to the model picker.
func (s *Dialog) testProvider(f *ProviderForm, fetchOnly bool) {
	p, key, errs := f.draft(s.host.Providers())
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
		look.SetLabel(out, "Fix what is marked in red first.", widget.DangerImportance)
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
	kr := s.host.Keyring()
	look.SetLabel(out, "Connecting…", widget.LowImportance)
	f.busy(true)
	bridge.Run(s.host.Bridge(), func() ([]string, error) {
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
			look.SetLabel(out, "Could not get the key: see above.", widget.DangerImportance)
		case err != nil:
			look.SetLabel(out, settingsSentence(err), widget.DangerImportance)
		default:
			f.offerModels(models)
			if fetchOnly {
				look.SetLabel(out, fmt.Sprintf("%s offers %s: pick one or type a name.", p.Name, format.Count(len(models), "model", "models")), widget.LowImportance)
			} else {
				look.SetLabel(out, "OK, "+format.Count(len(models), "model", "models"), widget.SuccessImportance)
			}
		}
	})
}

// saveProvider checks the form and stores the provider through
// providers.Admin.Save: its key in the keychain first, then the record; if
// the record cannot be stored, the keychain is put back as it was.
func (s *Dialog) saveProvider(f *ProviderForm) {
	p, key, errs := f.draft(s.host.Providers())
	f.showErrs(errs)
	look.SetLabel(f.Result, "", widget.MediumImportance)
	if len(errs) > 0 {
		f.notSaved("Not saved: fix what is marked in red.", true)
		return
	}
	f.notSaved("", false)
	orig, adm := f.Orig, s.host.Admin()
	d := providers.Draft{Provider: p, Key: key, Default: providers.DefaultNo}
	if f.MakeDefault.Checked {
		d.Default = providers.DefaultYes
	}
	wasDefault := s.host.DefaultProvider()
	f.busy(true)
	bridge.Run(s.host.Bridge(), func() (providers.Saved, error) {
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
			s.host.ReloadConversations() // the chats that used it follow the new name
		}
		msg := "Saved."
		if saved.BecameDefault {
			msg += " " + becameDefault(saved.Provider.Name, wasDefault)
		}
		if saved.Note != "" {
			msg += " " + saved.Note
		}
		s.host.ReloadProviders(func() {
			if !s.Open {
				return
			}
			if i := s.indexOf(p.Name); i >= 0 {
				s.Form = nil
				s.List.Select(i)
				if s.Form == nil { // it was selected already
					s.OpenProviderForm(s.Listed[i], PresetOf(s.Listed[i]))
				}
			}
			if s.Form != nil {
				look.SetLabel(s.Form.Result, msg, widget.SuccessImportance)
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

// askRemoveProvider removes the form's provider once the user agrees.
func (s *Dialog) askRemoveProvider(f *ProviderForm) {
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
			s.removeProvider(f)
		}
	}, s.host.Window())
	d.Resize(fyne.NewSize(420, 0))
	d.Show()
}

// removeProvider removes the provider through providers.Admin.Remove: the
// record, the fallbacks to it and (when it was the default) the default
// handed on, in one transaction, then its keychain key.
func (s *Dialog) removeProvider(f *ProviderForm) {
	orig, adm := f.Orig, s.host.Admin()
	f.busy(true)
	bridge.Run(s.host.Bridge(), func() (providers.Removed, error) {
		return adm.Remove(orig.Name)
	}, func(r providers.Removed, err error) {
		f.busy(false)
		if err != nil {
			f.notSaved("Not removed: "+settingsSentence(err), false)
			return
		}
		s.notice = strings.TrimSpace(fmt.Sprintf("Removed %s. %s", orig.Name, r.DefaultSentence()))
		if s.Form == f {
			s.Form, s.Problem = nil, nil
			s.List.UnselectAll()
		}
		s.host.ReloadConversations() // the chats that used it now use the default provider
		s.host.ReloadProviders(func() {
			if r.Note != "" {
				s.host.ShowError("The provider was removed, but not its key", errors.New(r.Note))
			}
		})
	})
}

// addProvider stores a new provider (the first-run choice), then reloads
// the providers and calls done.
func (s *Dialog) addProvider(p store.Provider, makeDefault bool, done func()) {
	adm, d := s.host.Admin(), providers.Draft{Provider: p, Default: providers.DefaultNo}
	if makeDefault {
		d.Default = providers.DefaultYes
	}
	bridge.Run(s.host.Bridge(), func() (providers.Saved, error) {
		return adm.Save("", d)
	}, func(_ providers.Saved, err error) {
		if err != nil {
			s.host.ShowError("Could not save the provider", err)
			return
		}
		s.host.ReloadProviders(done)
	})
}

// FirstRun welcomes a user who has no provider yet and offers three
// ways to start; it returns the dialog shown (nil: none was needed).
func (s *Dialog) FirstRun() dialog.Dialog {
	if len(s.host.Providers()) > 0 || s.host.DefaultProvider() != "" {
		return nil
	}
	var d dialog.Dialog
	text := widget.NewLabel("deskchat talks to OpenAI and any OpenAI-compatible server (Ollama, LM Studio, OpenRouter, Groq, vLLM, …). How do you want to start?")
	text.Wrapping = fyne.TextWrapWord
	add := widget.NewButtonWithIcon("Add a provider…", theme.ContentAddIcon(), func() {
		d.Hide()
		s.Show()
		s.AskPreset()
	})
	add.Importance = widget.HighImportance
	useEnv := widget.NewButton("Use OpenAI with OPENAI_API_KEY", func() {
		d.Hide()
		s.addProvider(store.Provider{Name: "OpenAI", Kind: store.KindOpenAI, BaseURL: "https://api.openai.com/v1", Model: "gpt-4o-mini",
			Models: []string{"gpt-4o-mini", "gpt-4o", "gpt-4.1"}, KeySource: store.KeyFromEnv, KeyEnv: "OPENAI_API_KEY"}, true, nil)
	})
	if os.Getenv("OPENAI_API_KEY") == "" {
		useEnv.Disable()
		useEnv.SetText("Use OpenAI with OPENAI_API_KEY (not set)")
	}
	sim := widget.NewButton("Try the Simulator (no network)", func() {
		d.Hide()
		s.setDefaultProvider(engine.SimulatorName)
	})
	content := container.NewVBox(text, add, useEnv, sim)
	d = dialog.NewCustomWithoutButtons("Welcome to deskchat", content, s.host.Window())
	d.Resize(fyne.NewSize(480, content.MinSize().Height+80))
	d.Show()
	return d
}

func (s *Dialog) setDefaultProvider(name string) {
	adm := s.host.Admin()
	bridge.Run(s.host.Bridge(), func() (struct{}, error) {
		return struct{}{}, adm.SetDefault(name)
	}, func(_ struct{}, err error) {
		if err != nil {
			s.host.ShowError("Could not save your choice", err)
			return
		}
		s.host.ReloadProviders(nil)
	})
}
