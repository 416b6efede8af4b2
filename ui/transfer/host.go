package transfer

import (
	"context"
	"net/url"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// Host is what the export and import dialogs need of the app.
type Host interface {
	// Window is the window the dialogs show over.
	Window() fyne.Window
	// ShowDialog shows d so that Esc closes it.
	ShowDialog(d dialog.Dialog)
	Bridge() *bridge.Bridge
	Store() *store.Store
	Now() time.Time
	// Quit ends when the window closes: a running export or import stops.
	Quit() context.Context
	// Jobs are waited for when the app quits: an export takes its
	// unfinished file back before the store closes.
	Jobs() *sync.WaitGroup
	// Conversations are the conversations the sidebar lists, newest first.
	Conversations() []store.Conversation
	// Current is the conversation shown, if any.
	Current() (store.Conversation, bool)
	// ConversationsChanged tells the app that an import stored
	// conversations (the sidebar lists them again).
	ConversationsChanged()
	// OpenURL opens u in the system's handler (a folder in the file manager).
	OpenURL(u *url.URL) error
}

// sentence is what a user reads for err: never a Go error dump.
func sentence(err error) string { return engine.UserMessage(err) }
