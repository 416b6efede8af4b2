package settings

import (
	"net/url"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/providers"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// Host is what the settings need of the app: the window they open over, the
// bridge their work runs on, the store and the provider administration they
// change, and the providers and defaults as the app loaded them. Calls
// come on the UI goroutine.
type Host interface {
	Window() fyne.Window
	Bridge() *bridge.Bridge
	Store() *store.Store // the defaults are written here
	// Admin is the provider administration the settings share with the
	// command line, on the app's store, keychain and engine.
	Admin() *providers.Admin
	// Keyring is where the providers' keys live (looked up at each use).
	Keyring() secrets.Keyring

	// Providers and DefaultProvider are the providers stored and the
	// default one, as loaded last; Prefs the defaults in use.
	Providers() []store.Provider
	DefaultProvider() string
	Prefs() Prefs
	// SetPrefs makes p the defaults in use (and applies its theme).
	SetPrefs(p Prefs)
	// ReloadProviders reads the providers and the defaults again, then
	// calls Dialog.ProvidersChanged and then (if set).
	ReloadProviders(then func())
	// ReloadConversations reads the conversations again: a rename or a
	// removal changed the provider some of them use.
	ReloadConversations()
	ShowError(title string, err error)

	// DataFolder is the folder the data lives in; OpenURL opens a URL
	// (the folder) with the system.
	DataFolder() string
	OpenURL(u *url.URL) error
	// BackupNote is the last automatic backup's outcome (failed: it
	// failed), shown under "Backups to keep".
	BackupNote() (note string, failed bool)

	// ToolServers is the MCP servers the window runs; nil when it runs
	// none (the Tools page still adds and removes servers).
	ToolServers() ToolServers
	// ToolServersChanged: a server was added or removed (the composer's
	// Tools menu follows).
	ToolServersChanged()
}
