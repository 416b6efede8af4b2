package ui

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/batch"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/batchwin"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// batchHost is the main window as the Batch window's host (batchwin.Host):
// the rows are asked through the window's engine. A value: two of them
// for one window are the same host.
type batchHost struct{ w *window }

func (h batchHost) App() fyne.App          { return h.w.app }
func (h batchHost) Bridge() *bridge.Bridge { return h.w.b }
func (h batchHost) Store() *store.Store    { return h.w.st }
func (h batchHost) Asker() batch.Asker     { return h.w.eng }

// showBatch opens the Batch window, or brings it forward when it is open.
func (w *window) showBatch() { batchwin.Show(batchHost{w}) }

// openBatch opens the Batch window with t as its timers (a test's) and
// returns it.
func (w *window) openBatch(t batchwin.Timers) *batchwin.View { return batchwin.Open(batchHost{w}, t) }

// closeBatch closes the Batch window if it is open (for window.shutdown):
// a run going stops, its finished rows kept, within d.
func (w *window) closeBatch(d time.Duration) { batchwin.Close(batchHost{w}, d) }
