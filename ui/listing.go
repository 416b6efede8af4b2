package ui

import (
	"fmt"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// listConversations reads the sidebar's list. When the history file is
// damaged where the list is kept, it returns the chats a page-by-page
// read can still find, with an error wrapping the damage whose sentence
// says how many could not be read and what to do: the window shows what
// it has rather than an empty list (as `deskchat list` does).
func listConversations(st *store.Store) ([]store.Conversation, error) {
	convs, err := st.Conversations()
	if !store.IsDamaged(err) {
		return convs, err
	}
	readable, lost, rerr := st.ReadableConversations()
	if rerr != nil {
		return nil, err
	}
	msg := fmt.Sprintf("The history file %s is damaged where the list of chats is kept.", st.FilePath())
	if len(lost) > 0 {
		msg += fmt.Sprintf(" %s could not be read and %s not listed.", format.Count(len(lost), "chat", "chats"), map[bool]string{true: "is", false: "are"}[len(lost) == 1])
	}
	msg += " Quit deskchat, then run `deskchat recover` to save what can be read into a new history file; until then, nothing new can be saved."
	return readable, &store.Error{Op: "list conversations", Msg: msg, Err: err}
}
