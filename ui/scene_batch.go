//go:build screenshots

package ui

import "github.com/deskchat/deskchat/ui/batchwin"

// stageBatch opens the Batch window on a run in progress (batchwin.Stage).
func (w *window) stageBatch() { batchwin.Stage(batchHost{w}) }
