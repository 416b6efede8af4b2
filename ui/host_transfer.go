package ui

import (
	"context"
	"net/url"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/transfer"
)

// The window is the host of the transfer screens (ui/transfer): the export
// and import dialogs and the automatic backups.
var (
	_ transfer.Host       = (*window)(nil)
	_ transfer.BackupHost = (*window)(nil)
)

// showExport opens the export dialog: format, which chats, destination.
func (w *window) showExport() { transfer.OpenExport(w) }

// showImport opens the import dialog: a file, its format, then progress and
// a summary.
func (w *window) showImport() { transfer.OpenImport(w) }

// backups are the window's automatic backups, made on first use.
func (w *window) backups() *transfer.Backups {
	if w.life.backup == nil {
		w.life.backup = transfer.NewBackups(w)
	}
	return w.life.backup
}

func (w *window) Window() fyne.Window                 { return w.win }
func (w *window) ShowDialog(d dialog.Dialog)          { w.showDialog(d) }
func (w *window) Bridge() *bridge.Bridge              { return w.b }
func (w *window) Store() *store.Store                 { return w.st }
func (w *window) Now() time.Time                      { return w.now() }
func (w *window) Quit() context.Context               { return w.life.quit }
func (w *window) Jobs() *sync.WaitGroup               { return &w.life.jobs }
func (w *window) Conversations() []store.Conversation { return w.side.convs }
func (w *window) Current() (store.Conversation, bool) { return w.current() }
func (w *window) ConversationsChanged()               { w.loadConversations("") }
func (w *window) OpenURL(u *url.URL) error            { return w.app.OpenURL(u) }
func (w *window) DataFolder() string                  { return w.dataFolder() }

// BackupNoted shows the last backup's outcome in Settings › Defaults, when
// they are open.
func (w *window) BackupNoted() {
	if s := w.overlays.settings; s != nil {
		s.ShowBackupNote(w.backups().Note())
	}
}
