package intro

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// Host is what the intro needs of the app.
type Host interface {
	Bridge() *bridge.Bridge
	Store() *store.Store
	// RecentChats are the ids of the n most recent chats, most recent first.
	RecentChats(n int) []string
	// UsePrompt puts prompt in the composer, ready to be finished or sent.
	UsePrompt(prompt string)
	// NewConversation starts a new chat.
	NewConversation()
}

// Examples start a chat for someone who does not know what to ask yet;
// each names the kind of help it is.
var Examples = []string{
	"Explain this code step by step: ",
	"Summarise this text in three bullet points: ",
	"Draft a short, polite reply to this email: ",
	"Give me five ideas for ",
}

// How many recent questions the intro offers, read from how many of the
// most recent chats, and how long each may be shown.
const (
	recentPrompts   = 4
	recentChatsRead = 8
	buttonRunes     = 60
)

// Pane makes what the chat pane shows when no chat is chosen: the intro,
// with a New chat button.
func Pane(h Host) fyne.CanvasObject {
	newBtn := widget.NewButtonWithIcon("New chat", theme.ContentAddIcon(), h.NewConversation)
	return container.NewVScroll(container.NewPadded(New(h, container.NewCenter(newBtn))))
}

// intro is what an empty chat offers: a heading, the user's recent
// questions and a few examples. Tapping one puts it in the composer, to be
// changed or sent.
type intro struct {
	host    Host
	obj     *fyne.Container
	recent  *fyne.Container // the recent questions, once read
	example *fyne.Container
}

// New makes the intro; extra, if set, goes under the heading.
func New(h Host, extra fyne.CanvasObject) *fyne.Container {
	in := newIntro(h, extra)
	in.readRecentPrompts()
	return in.obj
}

func newIntro(h Host, extra fyne.CanvasObject) *intro {
	heading := widget.NewLabelWithStyle("What can I help with?", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	heading.SizeName = theme.SizeNameSubHeadingText
	in := &intro{host: h, recent: container.NewVBox(), example: container.NewVBox()}
	in.recent.Hide()
	in.example.Add(look.NewMutedText("Try"))
	for _, p := range Examples {
		in.example.Add(promptButton(h, p, theme.QuestionIcon()))
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
func (in *intro) readRecentPrompts() {
	ids, st := in.host.RecentChats(recentChatsRead), in.host.Store()
	bridge.Run(in.host.Bridge(), func() ([]string, error) { return readPrompts(st, ids) }, func(prompts []string, err error) {
		if err != nil || len(prompts) == 0 {
			return // the examples are still there; a read error is told where the chat is opened
		}
		in.recent.Objects = []fyne.CanvasObject{look.NewMutedText("Recent")}
		for _, p := range prompts {
			in.recent.Add(promptButton(in.host, p, theme.HistoryIcon()))
		}
		in.recent.Show()
		in.obj.Refresh()
	})
}

// readPrompts reads the last questions of the chats ids (most recent
// first), without repeats, at most recentPrompts of them.
func readPrompts(st *store.Store, ids []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		msgs, _, err := st.MessagesBefore(id, 0, 2)
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
func promptButton(h Host, prompt string, icon fyne.Resource) *widget.Button {
	label := strings.TrimSpace(strings.SplitN(prompt, "\n", 2)[0])
	if r := []rune(label); len(r) > buttonRunes {
		label = string(r[:buttonRunes-1]) + "…"
	}
	b := widget.NewButtonWithIcon(label, icon, func() { h.UsePrompt(prompt) })
	b.Alignment = widget.ButtonAlignLeading
	b.Importance = widget.LowImportance
	return b
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
