package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"deskchat/store"
	"deskchat/ui/internal/bridge"
	"deskchat/ui/internal/look"
)

// examplePrompts start a chat for someone who does not know what to ask
// yet; each names the kind of help it is.
var examplePrompts = []string{
	"Explain this code step by step: ",
	"Summarise this text in three bullet points: ",
	"Draft a short, polite reply to this email: ",
	"Give me five ideas for ",
}

// How many recent questions the empty pane offers, read from how many of
// the most recent chats, and how long each may be shown.
const (
	recentPrompts     = 4
	recentChatsRead   = 8
	promptButtonRunes = 60
)

// buildEmptyPane makes what the chat pane shows when no chat is chosen:
// the intro, with a New chat button.
func (w *window) buildEmptyPane() fyne.CanvasObject {
	newBtn := widget.NewButtonWithIcon("New chat", theme.ContentAddIcon(), w.newConversation)
	return container.NewVScroll(container.NewPadded(w.buildIntro(container.NewCenter(newBtn))))
}

// intro is what an empty chat offers: a heading, the user's recent
// questions and a few examples. Tapping one puts it in the composer, to be
// changed or sent.
type intro struct {
	obj     *fyne.Container
	recent  *fyne.Container // the recent questions, once read
	example *fyne.Container
}

// buildIntro makes the intro; extra, if set, goes under the heading.
func (w *window) buildIntro(extra fyne.CanvasObject) *fyne.Container {
	in := w.newIntro(extra)
	w.readRecentPrompts(in)
	return in.obj
}

func (w *window) newIntro(extra fyne.CanvasObject) *intro {
	heading := widget.NewLabelWithStyle("What can I help with?", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	heading.SizeName = theme.SizeNameSubHeadingText
	in := &intro{recent: container.NewVBox(), example: container.NewVBox()}
	in.recent.Hide()
	in.example.Add(look.NewMutedText("Try"))
	for _, p := range examplePrompts {
		in.example.Add(w.promptButton(p, theme.QuestionIcon()))
	}
	top := container.NewVBox(heading)
	if extra != nil {
		top.Add(extra)
	}
	spacer := canvas.NewRectangle(nil)
	spacer.SetMinSize(fyne.NewSize(0, 4*theme.Padding()))
	col := container.NewVBox(spacer, top, in.recent, in.example)
	// At most a comfortable reading width, centred.
	in.obj = container.New(&capWidth{max: 560}, col)
	return in
}

// readRecentPrompts fills the intro's recent questions from the store.
func (w *window) readRecentPrompts(in *intro) {
	convs := w.convs
	if len(convs) > recentChatsRead {
		convs = convs[:recentChatsRead]
	}
	ids := make([]string, len(convs))
	for i, c := range convs {
		ids[i] = c.ID
	}
	bridge.Run(w.b, func() ([]string, error) { return w.recentPrompts(ids) }, func(prompts []string, err error) {
		if err != nil || len(prompts) == 0 {
			return // the examples are still there; a read error is told where the chat is opened
		}
		in.recent.Objects = []fyne.CanvasObject{look.NewMutedText("Recent")}
		for _, p := range prompts {
			in.recent.Add(w.promptButton(p, theme.HistoryIcon()))
		}
		in.recent.Show()
		in.obj.Refresh()
	})
}

// recentPrompts are the last questions of the chats ids (most recent
// first), without repeats, at most recentPrompts of them.
func (w *window) recentPrompts(ids []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		msgs, _, err := w.st.MessagesBefore(id, 0, 2)
		if err != nil {
			return out, err
		}
		for i := len(msgs) - 1; i >= 0; i-- {
			m := msgs[i]
			if m.Role != store.RoleUser {
				continue
			}
			p := strings.TrimSpace(m.Content)
			if key := strings.ToLower(p); p != "" && !seen[key] {
				seen[key] = true
				out = append(out, p)
			}
			break
		}
		if len(out) == recentPrompts {
			break
		}
	}
	return out, nil
}

// promptButton puts prompt in the composer when tapped; it shows the
// prompt's first line, shortened.
func (w *window) promptButton(prompt string, icon fyne.Resource) *widget.Button {
	label := strings.TrimSpace(strings.SplitN(prompt, "\n", 2)[0])
	if r := []rune(label); len(r) > promptButtonRunes {
		label = string(r[:promptButtonRunes-1]) + "…"
	}
	b := widget.NewButtonWithIcon(label, icon, func() { w.usePrompt(prompt) })
	b.Alignment = widget.ButtonAlignLeading
	b.Importance = widget.LowImportance
	return b
}

// usePrompt puts prompt in the composer, the cursor at its end, ready to
// be finished or sent.
func (w *window) usePrompt(prompt string) {
	w.composer.SetText(prompt)
	w.composer.CursorRow = strings.Count(prompt, "\n")
	w.composer.CursorColumn = len([]rune(prompt[strings.LastIndex(prompt, "\n")+1:]))
	w.composer.Refresh()
	w.win.Canvas().Focus(w.composer)
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

// capWidth lays its one object out no wider than max.
type capWidth struct{ max float32 }

func (c *capWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return objs[0].MinSize()
}

func (c *capWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, max(c.max, objs[0].MinSize().Width))
	objs[0].Resize(fyne.NewSize(w, size.Height))
	objs[0].Move(fyne.NewPos((size.Width-w)/2, 0))
}
