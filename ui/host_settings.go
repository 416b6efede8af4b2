package ui

import (
	"net/url"
	"path/filepath"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/providers"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/settings"
)

// settingsHost is the window as the settings see it (settings.Host). It is
// a type of its own so that its method names (Window, Store, …) stay apart
// from the window's and from the other screens' hosts.
type settingsHost struct{ w *window }

var _ settings.Host = settingsHost{}

func (h settingsHost) Window() fyne.Window               { return h.w.win }
func (h settingsHost) Bridge() *bridge.Bridge            { return h.w.b }
func (h settingsHost) Store() *store.Store               { return h.w.st }
func (h settingsHost) Admin() *providers.Admin           { return h.w.admin() }
func (h settingsHost) Keyring() secrets.Keyring          { return h.w.keys() }
func (h settingsHost) Providers() []store.Provider       { return h.w.conf.providers }
func (h settingsHost) DefaultProvider() string           { return h.w.conf.defaultProv }
func (h settingsHost) Prefs() settings.Prefs             { return h.w.conf.prefs }
func (h settingsHost) SetPrefs(p settings.Prefs)         { h.w.setPrefs(p) }
func (h settingsHost) ReloadProviders(then func())       { h.w.loadProviders(then) }
func (h settingsHost) ReloadConversations()              { h.w.loadConversations("") }
func (h settingsHost) ShowError(title string, err error) { h.w.showError(title, err) }
func (h settingsHost) DataFolder() string                { return h.w.dataFolder() }
func (h settingsHost) OpenURL(u *url.URL) error          { return h.w.app.OpenURL(u) }
func (h settingsHost) BackupNote() (string, bool)        { return h.w.backups().Note() }
func (h settingsHost) ToolServersChanged()               { h.w.compose.UpdateTools() }

// ToolServers is the window's tool manager when it is one the page can
// drive (main.go's *tools.Manager); nil otherwise.
func (h settingsHost) ToolServers() settings.ToolServers {
	ts, _ := h.w.conf.tools.(settings.ToolServers)
	return ts
}

// settingsState is the window's settings (made at first use).
func (w *window) settingsState() *settings.Dialog {
	if w.overlays.settings == nil {
		w.overlays.settings = settings.New(settingsHost{w})
	}
	return w.overlays.settings
}

// showSettings opens the settings dialog: the providers, and the defaults
// for new conversations.
func (w *window) showSettings() { w.settingsState().Show() }

// firstRunIfNeeded welcomes a user who has no provider yet (settings.FirstRun).
func (w *window) firstRunIfNeeded() {
	if d := w.settingsState().FirstRun(); d != nil {
		w.overlays.welcome = d
	}
}

// keys is where the providers' keys live (Deps.Keyring). It is looked up at
// each use: keyring.MockInit switches secrets.System() in tests.
func (w *window) keys() secrets.Keyring {
	if w.conf.keyring != nil {
		return w.conf.keyring
	}
	return secrets.System()
}

// dataFolder is the folder the data lives in (Deps.DataDir, else the
// store's folder).
func (w *window) dataFolder() string {
	if w.conf.dataDir != "" {
		return w.conf.dataDir
	}
	return filepath.Dir(w.st.FilePath())
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
