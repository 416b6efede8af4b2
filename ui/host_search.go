package ui

import (
	"github.com/deskchat/deskchat/ui/search"
)

// The window is the search dialog's host (ui/search).
var _ search.Host = (*window)(nil)

// showSearch opens the search over every conversation (Ctrl+F); the dialog
// is kept for tests.
func (w *window) showSearch() { w.overlays.search = search.Open(w) }

// Escape is the window's Esc (escape), for a dialog's field.
func (w *window) Escape() { w.escape() }

// OpenAt shows conversation id scrolled to message seq (0: its end); a
// message on another branch than the active one makes its branch active.
func (w *window) OpenAt(id string, seq uint64) {
	if seq != 0 {
		w.openOnBranch(id, seq, func() { w.openAt(id, seq) })
		return
	}
	w.openAt(id, seq)
}

func (w *window) openAt(id string, seq uint64) {
	if _, ok := w.indexOf(id); !ok {
		w.loadConversations(id)
		return
	}
	w.show(id)
	if seq == 0 {
		return
	}
	cv := w.pane.chats[id]
	if cv == nil {
		return
	}
	if cv.loading {
		cv.onLoad = append(cv.onLoad, func() { w.reveal(cv, seq) })
		return
	}
	w.reveal(cv, seq)
}
