//go:build screenshots

package ui

import "github.com/deskchat/deskchat/ui/usage"

// stageUsage opens the Usage window on a made-up month (usage.Stage).
func (w *window) stageUsage() { usage.Stage(usageHost{w}, w.now()) }
