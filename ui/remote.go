package ui

import (
	"sync"

	"fyne.io/fyne/v2"
)

// Remote is how the commands the window runs for the command line
// (package remote, wired by main.go) reach the window. Its methods are
// safe from any goroutine; before the window opens and after it closes
// they do nothing. The zero value is ready to use.
type Remote struct {
	mu sync.Mutex
	w  *window
}

func (r *Remote) attach(w *window) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.w = w
	r.mu.Unlock()
}

func (r *Remote) window() *window {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.w
}

// Changed reloads the chat list and the chat shown: a command may have
// changed the history.
func (r *Remote) Changed() {
	if w := r.window(); w != nil {
		fyne.Do(w.reloadFromStore)
	}
}

// Activate brings the window forward (a second "deskchat").
func (r *Remote) Activate() {
	if w := r.window(); w != nil {
		fyne.Do(func() {
			w.win.Show()
			w.win.RequestFocus()
		})
	}
}

// reloadFromStore reads the providers and the chat list again and, unless
// an answer streams into it or a question is being edited, the chat shown.
func (w *window) reloadFromStore() {
	w.loadProviders(nil) // "providers add", "providers default", "prices set"…
	if cv := w.pane.chats[w.pane.selected]; cv != nil && cv.live == nil && !cv.loading && w.compose.Editing() == nil {
		delete(w.pane.chats, w.pane.selected)
	}
	w.loadConversations("")
}
