package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/chat"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// newView builds a message's view with the window's actions attached.
func (w *window) newView(m store.Message) *chat.Message {
	v := chat.NewMessage(m)
	v.Group = &w.pane.hovers
	v.UseImages(w.images)
	v.OnRegenerate, v.OnContinue = w.regenerate, w.continueAnswer
	v.OnCopy, v.OnEdit, v.OnDelete, v.OnFork = w.copyMessage, w.startEdit, w.askDeleteMessage, w.fork
	v.OnBranch = w.switchBranch
	v.CostOf, v.Now = w.eng.Cost, w.now
	v.OnGrow = func(v *chat.Message) {
		if cv := w.pane.chats[w.pane.selected]; cv != nil {
			w.layoutLive(cv, v) // Show more is tapped in the chat shown
		}
	}
	if v.Usage != nil {
		v.ShowState(m.Error) // the status line with the cost, now that it can be priced
	}
	w.showAttachments(v)
	v.UpdatePin() // the actions, now that they are set
	return v
}

// copyMessage puts a message's text (its markdown source) on the clipboard.
func (w *window) copyMessage(v *chat.Message) {
	w.app.Clipboard().SetContent(v.Md.Text())
}

// askDeleteMessage deletes one message after asking.
func (w *window) askDeleteMessage(v *chat.Message) {
	cv := w.pane.chats[w.pane.selected]
	if cv == nil || cv.live != nil || v.Seq == 0 {
		return
	}
	what := "your message"
	if v.Role == store.RoleAssistant {
		what = "this answer"
	}
	w.showDialog(dialog.NewConfirm("Delete message?", fmt.Sprintf("Delete %s from this computer? The rest of the chat stays. This cannot be undone.", what), func(ok bool) {
		if !ok {
			return
		}
		conv, seq := v.Conv, v.Seq
		bridge.Run(w.b, func() (struct{}, error) {
			return struct{}{}, w.st.DeleteMessage(conv, seq)
		}, func(_ struct{}, err error) {
			if err != nil {
				w.showError("Could not delete the message", err)
				return
			}
			cv.remove(v)
			cv.scroll.Refresh()
		})
	}, w.win))
}

// laterThan counts the messages after v; exact is false when the window
// does not reach the chat's end (there are more than it counts).
func (cv *chatView) laterThan(v *chat.Message) (n int, exact bool) {
	for i, x := range cv.views {
		if x == v {
			return len(cv.views) - i - 1, cv.atEnd
		}
	}
	return 0, cv.atEnd
}

// startEdit puts a stored question in the composer to be changed and sent
// again; the messages after it are replaced (and the bar says so).
func (w *window) startEdit(v *chat.Message) {
	cv := w.pane.chats[w.pane.selected]
	if cv == nil || cv.live != nil || v.Seq == 0 || v.Role != store.RoleUser {
		return
	}
	later, exact := cv.laterThan(v)
	w.compose.Edit(v, later > 0 || !exact)
}

// resend sends an edited question again: the new version and its answer
// take the old one's place on the chat's path; the old one and what
// followed it stay, a branch behind ‹ ›.
func (w *window) resend(v *chat.Message, text string) {
	cv := w.pane.chats[w.pane.selected]
	if strings.TrimSpace(text) == "" || cv == nil || cv.live != nil || cv.loading {
		return
	}
	var old []*chat.Message
	for i, x := range cv.views {
		if x == v {
			old = append(old, cv.views[i:]...)
			break
		}
	}
	if len(old) == 0 {
		w.compose.CancelEdit()
		return
	}
	seq := v.Seq
	wasAtEnd := cv.atEnd
	for _, x := range old {
		cv.remove(x)
	}
	cv.atEnd = true        // the new version is the end of the active path
	w.compose.CancelEdit() // the draft is back in the composer
	opts := w.sendOptions()
	// The edited question keeps its files (the engine keeps them stored).
	user := w.newView(store.Message{Role: store.RoleUser, Content: text, State: store.StateDone, Attachments: v.Attachments})
	cv.add(user, w.pin)
	w.ask(cv, user, "Sending…", opts, func(ctx context.Context) (<-chan engine.Event, error) {
		return w.eng.Resend(ctx, cv.id, seq, text, opts)
	}, func(err error) {
		// Nothing changed in the store: put the old messages back and the
		// edit in the composer.
		cv.remove(user)
		for _, x := range old {
			cv.add(x, w.pin)
		}
		if cv.atEnd = wasAtEnd; !wasAtEnd {
			old[len(old)-1].SetLast(false)
		}
		w.startEdit(v)
		w.compose.Input.SetText(text)
		w.showError("Could not send the edited message", err)
	})
}

// watchCountdowns ticks the live answers' countdowns once a second while
// any runs.
func (w *window) watchCountdowns() {
	if w.pane.countdown != nil {
		return
	}
	w.pane.countdown = w.b.Every(time.Second, func() bool {
		if w.tickCountdowns() {
			return true
		}
		w.pane.countdown = nil
		return false
	})
}

// tickCountdowns redraws every live answer's countdown; it reports whether
// one still runs. Only the status label's text changes.
func (w *window) tickCountdowns() bool {
	running := false
	for _, cv := range w.pane.chats {
		if cv.live != nil && cv.live.view.Countdown() {
			running = true
		}
	}
	return running
}

// suggestTitle has the model name a chat after the answer to its first
// question (also one kept from a comparison), in the background lane; a
// chat the user named keeps its name.
func (w *window) suggestTitle(cv *chatView) {
	questions := 0
	for _, v := range cv.views {
		if v.Role == store.RoleUser {
			questions++
		}
	}
	if questions != 1 || !cv.atStart {
		return // not the chat's first exchange
	}
	w.nameChat(cv.id)
}

// nameChat asks the model for the chat's title, unless the user named it.
func (w *window) nameChat(id string) {
	if i, ok := w.indexOf(id); ok && w.side.convs[i].TitleEdited {
		return
	}
	bridge.Run(w.b, func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		return w.eng.SuggestTitle(ctx, id)
	}, func(title string, err error) {
		if err == nil && title != "" {
			w.loadConversations("")
		}
		// A title that could not be made is no news: the chat keeps the
		// one taken from its first question.
	})
}

// askSystemPrompt edits the shown chat's own system prompt.
func (w *window) askSystemPrompt() {
	c, ok := w.current()
	if !ok {
		return
	}
	entry := newEscEntry(w, true) // Esc closes the dialog
	entry.SetMinRowsVisible(6)
	entry.SetText(c.SystemPrompt)
	entry.SetPlaceHolder("You are a concise assistant…")
	hint := widget.NewLabel("Sent first with every request of this chat. Empty: the default from Settings.")
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance, hint.SizeName = look.HintStyle(widget.LowImportance)
	d := dialog.NewCustomConfirm("System prompt for this chat", "Save", "Cancel", container.NewBorder(nil, hint, nil, nil, entry), func(ok bool) {
		if !ok {
			return
		}
		text := strings.TrimSpace(entry.Text)
		bridge.Run(w.b, func() (store.Conversation, error) {
			return w.st.UpdateConversation(c.ID, func(c *store.Conversation) { c.SystemPrompt = text })
		}, func(updated store.Conversation, err error) {
			if err != nil {
				w.showError("Could not save the system prompt", err)
				return
			}
			if i, ok := w.indexOf(updated.ID); ok {
				w.side.convs[i] = updated
			}
		})
	}, w.win)
	d.Resize(fyne.NewSize(520, 320))
	w.showDialog(d)
	w.win.Canvas().Focus(entry)
}
