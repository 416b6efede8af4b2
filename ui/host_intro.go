package ui

import (
	"strings"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/intro"
)

// introHost is the main window as the intro's host (intro.Host): the intro
// in an empty chat and the pane shown when no chat is chosen.
type introHost struct{ w *window }

func (h introHost) Bridge() *bridge.Bridge  { return h.w.b }
func (h introHost) Store() *store.Store     { return h.w.st }
func (h introHost) UsePrompt(prompt string) { h.w.usePrompt(prompt) }
func (h introHost) NewConversation()        { h.w.newConversation() }

func (h introHost) RecentChats(n int) []string {
	convs := h.w.side.convs[:min(n, len(h.w.side.convs))]
	ids := make([]string, len(convs))
	for i, c := range convs {
		ids[i] = c.ID
	}
	return ids
}

// buildEmptyPane makes what the chat pane shows when no chat is chosen.
func (w *window) buildEmptyPane() fyne.CanvasObject { return intro.Pane(introHost{w}) }

// buildIntro makes the intro; extra, if set, goes under the heading.
func (w *window) buildIntro(extra fyne.CanvasObject) *fyne.Container {
	return intro.New(introHost{w}, extra)
}

// usePrompt puts prompt in the composer, the cursor at its end, ready to
// be finished or sent.
func (w *window) usePrompt(prompt string) {
	w.compose.Input.SetText(prompt)
	w.compose.Input.CursorRow = strings.Count(prompt, "\n")
	w.compose.Input.CursorColumn = len([]rune(prompt[strings.LastIndex(prompt, "\n")+1:]))
	w.compose.Input.Refresh()
	w.win.Canvas().Focus(w.compose.Input)
}

// offerIntro shows the intro in a chat with nothing in it yet.
func (w *window) offerIntro(cv *chatView) {
	if cv.intro != nil || cv.loading || cv.live != nil || len(cv.views) > 0 || len(cv.col.Objects) > 0 || !cv.atStart || !cv.atEnd {
		return
	}
	cv.intro = w.buildIntro(nil)
	cv.col.Add(cv.intro)
}

// dropIntro takes the intro away once the chat has something in it.
func (cv *chatView) dropIntro() {
	if cv.intro != nil {
		cv.col.Remove(cv.intro)
		cv.intro = nil
	}
}
