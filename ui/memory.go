package ui

import (
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"runtime/debug"
	"time"
)

// Memory: a chat client spends most of its life idle, so the memory a burst
// of work used is given back soon after it.

// trimDelay is how long after a burst of work (start-up, opening a chat, an
// answer) the memory it used is given back.
const trimDelay = time.Second

// trimSoon gives the memory the last burst of work used and no longer
// needs back to the system, trimDelay from now (later calls move it on):
// Go keeps up to twice the live heap otherwise, and a chat client spends
// most of its life idle. The collection runs off the UI goroutine.
func (w *window) trimSoon() {
	if w.rest.trimmer != nil {
		w.rest.trimmer.Stop()
	}
	w.rest.trimmer = w.b.After(trimDelay, w.freeMemory)
	if w.rest.sweeper != nil {
		w.rest.sweeper.Stop()
	}
	w.rest.sweeper = w.b.After(sweepDelay, func() {
		w.rest.sweeper = nil
		w.header.title.Refresh() // one frame, so that Fyne sweeps its cache
		w.rest.trimmer = w.b.After(sweepPaint, w.freeMemory)
	})
}

// Fyne keeps a widget's renderer, and through it the widget, for a minute
// after it was last drawn or laid out (its cache's ValidDuration), and
// destroys the expired ones only after a frame was painted, at most every
// 10 s. Messages dropped from a chat (dropOldest, trim) leave the tree, not
// that cache; and a window at rest paints nothing, so they stayed until the
// next frame, whenever that came. sweepDelay after a burst of work, the
// window paints one frame (the title), and sweepPaint later gives back what
// the sweep freed.
const (
	sweepDelay = 75 * time.Second
	sweepPaint = 11 * time.Second
)

// freeMemory returns the free heap, Go's and C's, to the system, off the
// UI goroutine.
func (w *window) freeMemory() {
	w.rest.trimmer = nil
	bridge.Run(w.b, func() (struct{}, error) {
		debug.FreeOSMemory()
		trimCHeap()
		return struct{}{}, nil
	}, func(struct{}, error) {})
}
