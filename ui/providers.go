package ui

import (
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/settings"
)

// The providers and the defaults as loaded, and the header's provider
// picker (the settings change them: ui/settings).

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
		w.conf.providers, w.conf.defaultProv = s.providers, s.settings[store.SettingDefaultProvider]
		w.setPrefs(settings.PrefsFrom(s.settings))
		w.updateHeader()
		if sd := w.overlays.settings; sd != nil && sd.Open {
			sd.ProvidersChanged()
		}
		if then != nil {
			then()
		}
	})
}

// setPrefs makes p the defaults in use; a changed theme is applied at once.
func (w *window) setPrefs(p settings.Prefs) {
	w.conf.prefs = p
	w.settingsState().ApplyTheme(w.app, p.Theme)
}

// providerNames lists what the provider picker offers.
func (w *window) providerNames() []string { return settings.ProviderNames(w.conf.providers) }

func (w *window) defaultModel(provider string) string {
	return settings.DefaultModel(w.conf.providers, provider)
}

func (w *window) modelsOf(provider string) []string {
	return settings.ModelsOf(w.conf.providers, provider)
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
	w.header.modelSel.SetOptions(w.modelsOf(name))
	w.header.modelSel.SetText(model)
	id := c.ID
	bridge.Run(w.b, func() (store.Conversation, error) {
		return w.st.UpdateConversation(id, func(c *store.Conversation) { c.Provider, c.Model = name, model })
	}, func(updated store.Conversation, err error) {
		if err != nil {
			w.showError("Could not change the provider", err)
			return
		}
		if i, ok := w.indexOf(updated.ID); ok {
			w.side.convs[i] = updated
		}
	})
}

// newConversationRecord is a new conversation as the defaults make it
// (settings.Prefs.Conversation).
//
// Hook: window.createConversation stores this instead of store.Conversation{}.
func (w *window) newConversationRecord() store.Conversation {
	c := w.conf.prefs.Conversation()
	c.Tools, w.compose.NewTools = w.compose.NewTools, nil // chosen before the chat began (composer/tools.go)
	return c
}

// withPrefs fills in the default temperature and longest answer where opts
// leaves them unset (settings.Prefs.Apply).
//
// Hook: window.sendOptions returns w.withPrefs(engine.SendOptions{…}).
func (w *window) withPrefs(opts engine.SendOptions) engine.SendOptions {
	return w.conf.prefs.Apply(opts)
}
