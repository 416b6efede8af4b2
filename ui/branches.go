package ui

import (
	"slices"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/chat"
)

// A chat is a tree of messages (store/tree.go): editing a question,
// regenerating or comparing answers add siblings instead of deleting, and
// the window shows the active path. A message with siblings shows ‹ 2/3 ›
// to switch to another of them (the chat then shows that one's branch);
// any stored message can fork a new chat holding the path up to it.

// showBranches asks the store where views stand among their siblings and
// shows it on each (‹ 2/3 ›), off the UI goroutine. The views may have
// gone by the time the answer comes: they are matched by their Seq.
func (w *window) showBranches(cv *chatView, views []*chat.Message) {
	seqs := make([]uint64, 0, len(views))
	for _, v := range views {
		if v.Seq != 0 {
			seqs = append(seqs, v.Seq)
		}
	}
	if len(seqs) == 0 {
		return
	}
	bridge.Run(w.b, func() (map[uint64]store.Branch, error) {
		return w.st.Branches(cv.id, seqs)
	}, func(branches map[uint64]store.Branch, err error) {
		if err != nil {
			return // the switcher is a convenience: a read that fails hides it, as before
		}
		for _, v := range cv.views {
			if slices.Contains(seqs, v.Seq) && v.Branch != branches[v.Seq] {
				v.SetBranch(branches[v.Seq])
			}
		}
	})
}

// switchBranch shows the sibling step places away from v (‹ or ›): its
// branch becomes the chat's active path, which is read again from the
// store and shown around it.
func (w *window) switchBranch(v *chat.Message, step int) {
	cv := w.pane.chats[w.pane.selected]
	if cv == nil || cv.live != nil || cv.loading || cv.paging || v.Seq == 0 {
		return
	}
	conv, seq := v.Conv, v.Seq
	bridge.Run(w.b, func() (uint64, error) {
		sib, err := w.st.Siblings(conv, seq)
		if err != nil {
			return 0, err
		}
		i := slices.Index(sib, seq) + step
		if i < 0 || i >= len(sib) {
			return 0, nil // the end of the row: nothing to switch to
		}
		_, err = w.st.SwitchBranch(conv, sib[i])
		return sib[i], err
	}, func(target uint64, err error) {
		if err != nil {
			w.showError("Could not switch to that version", err)
			return
		}
		if target != 0 {
			w.reshow(conv, target)
		}
	})
}

// reshow reads chat conv again from the store (its active path changed)
// and shows it around message seq.
func (w *window) reshow(conv string, seq uint64) {
	if cv := w.pane.chats[conv]; cv != nil && cv.live != nil {
		return // an answer streams there: its view stays
	}
	delete(w.pane.chats, conv)
	if w.pane.selected != conv {
		return
	}
	w.show(conv)
	if cv := w.pane.chats[conv]; cv != nil {
		cv.onLoad = append(cv.onLoad, func() { w.reveal(cv, seq) })
	}
}

// fork makes a new chat holding the path up to v and shows it.
func (w *window) fork(v *chat.Message) {
	if v.Seq == 0 {
		return
	}
	conv, seq := v.Conv, v.Seq
	bridge.Run(w.b, func() (store.Conversation, error) {
		return w.st.Fork(conv, seq)
	}, func(c store.Conversation, err error) {
		if err != nil {
			w.showError("Could not fork the chat", err)
			return
		}
		w.loadConversations(c.ID)
	})
}

// openOnBranch makes the branch through message seq of chat id the active
// one when it is not (a search result on another branch), then calls then.
func (w *window) openOnBranch(id string, seq uint64, then func()) {
	if cv := w.pane.chats[id]; cv != nil && cv.live != nil {
		then() // an answer streams on the active path: it stays
		return
	}
	bridge.Run(w.b, func() (bool, error) {
		before, err := w.st.Conversation(id)
		if err != nil {
			return false, err
		}
		after, err := w.st.SwitchBranch(id, seq)
		return err == nil && after.Leaf != before.Leaf, err
	}, func(changed bool, err error) {
		if changed {
			if cv := w.pane.chats[id]; cv != nil && cv.live == nil {
				delete(w.pane.chats, id) // shown again from the new path
			}
		}
		then() // a failure leaves the chat as it was, shown at its end
	})
}
