package ui

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/usage"
)

// usageHost is the main window as the Usage window's host (usage.Host).
// A value: two of them for one window are the same host.
type usageHost struct{ w *window }

func (h usageHost) App() fyne.App          { return h.w.app }
func (h usageHost) Bridge() *bridge.Bridge { return h.w.b }
func (h usageHost) Engine() *engine.Engine { return h.w.eng }
func (h usageHost) Store() *store.Store    { return h.w.st }

func (h usageHost) ShowConversation(id string) {
	if _, ok := h.w.indexOf(id); ok {
		h.w.show(id)
		h.w.win.RequestFocus()
	}
}

// showUsage opens the Usage window, or brings it forward when it is open.
func (w *window) showUsage() { usage.Show(usageHost{w}) }

// openUsage opens the Usage window with every as its ticker (a test's)
// and returns it.
func (w *window) openUsage(every func(time.Duration, func() bool) func()) *usage.View {
	return usage.Open(usageHost{w}, every)
}

// closeUsage closes the Usage window if it is open (for window.shutdown:
// its ticker stops).
func (w *window) closeUsage() { usage.Close(usageHost{w}) }
