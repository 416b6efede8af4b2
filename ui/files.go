package ui

import (
	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/attachview"
	"github.com/deskchat/deskchat/ui/internal/chat"
)

// newFiles is what shows and opens the files of the chats' questions.
func (w *window) newFiles() *attachview.Files {
	return &attachview.Files{
		App: w.app, Win: w.win, B: w.b,
		Thumbs: attachview.NewThumbs(w.b, attachview.DefaultThumbs, w.st.Blob),
		Blob:   w.st.Blob,
		Failed: func(what, sentence string) { w.showError(what, &attach.Error{Sentence: sentence}) },
	}
}

// showAttachments puts a question's files above its text. The view keeps
// only what describes them: a question just sent would otherwise hold its
// files' bytes (up to 20 of 50 MB) for as long as it is shown; they are
// read back from the store when opened, and the thumbnails made while they
// were read are in the cache.
func (w *window) showAttachments(v *chat.Message) {
	if len(v.Attachments) == 0 || v.Role != store.RoleUser {
		return
	}
	atts := make([]store.Attachment, len(v.Attachments))
	for i, a := range v.Attachments {
		a.Data, a.Text = nil, ""
		atts[i] = a
	}
	v.ShowAttachments(atts, w.pane.files.Strip(atts), attachview.StripWidth(atts))
}
