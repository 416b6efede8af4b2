package composer

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/attachview"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/chat"
)

// Host is what the bar needs of the app: the main window implements it.
type Host interface {
	// Window is the parent of the file dialog and where the text box takes
	// the focus; Clipboard is where pasted file names come from.
	Window() fyne.Window
	Clipboard() fyne.Clipboard
	Bridge() *bridge.Bridge
	// Store keeps the chat's choice of tool servers.
	Store() *store.Store
	// ShowDialog and ShowMenu show them so that Esc closes them.
	ShowDialog(d dialog.Dialog)
	ShowMenu(m *fyne.Menu, under fyne.CanvasObject)
	ShowError(what string, err error)
	// Current is the chat shown, if any.
	Current() (store.Conversation, bool)
	// ToolServers are the tool servers set up; ToolsChanged tells that
	// chat id's choice of them was stored.
	ToolServers() []string
	ToolsChanged(id string, servers []string)
	// Streaming reports whether the chat shown streams an answer; Stop
	// stops it.
	Streaming() bool
	Stop()
	// Send sends a new question; Resend sends an edited one again.
	Send(text string)
	Resend(edited *chat.Message, text string)
}

// Bar is the composer's bar.
type Bar struct {
	Input   *chat.Composer // the text box: Enter sends
	Send    *widget.Button // Send, or Stop while the shown answer streams
	EditBar *EditBar       // shown while a question is edited (edit.go)
	// Tray holds the files that go with the next question (files.go);
	// Attach is the paperclip; Choose is the desktop's file chooser (nil:
	// Fyne's dialog).
	Tray   *attachview.Tray
	Attach *widget.Button
	Choose Chooser
	Tools  *widget.Button // the chat's tool servers (tools.go)
	// NewTools are the servers chosen while no chat is shown, for the one
	// the next question starts.
	NewTools []string
	// Obj is the bar, to be put under the chat; Outer are the containers
	// around it, outermost first, laid out again when chips come and go.
	Obj   *fyne.Container
	Outer []*fyne.Container

	host    Host
	above   *fyne.Container // the edit bar and the tray
	editing *chat.Message   // the question being edited
	draft   string          // the text box's text before editing began
	lastDir fyne.ListableURI
}

// New builds the bar; thumbs caches the thumbnails of the tray's images.
func New(h Host, thumbs *attachview.Thumbs) *Bar {
	b := &Bar{host: h}
	b.Input = chat.NewComposer(b.submit)
	b.EditBar = newEditBar(b.CancelEdit)
	b.Send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), b.sendOrStop)
	b.Send.Importance = widget.HighImportance
	b.Tray = attachview.NewTray(thumbs)
	b.Choose = desktopChooser()
	b.Attach = widget.NewButtonWithIcon("", theme.MailAttachmentIcon(), b.pickFile)
	b.Tools = b.newToolsButton()
	b.above = container.NewVBox(widget.NewSeparator(), b.EditBar.Obj, b.Tray.Obj)
	b.Obj = container.NewBorder(b.above, nil,
		container.NewVBox(layout.NewSpacer(), container.NewHBox(b.Attach, b.Tools)), container.NewVBox(layout.NewSpacer(), b.Send), b.Input)
	// The chips come and go: the composer's area is laid out again, not
	// refreshed (that would refresh every message of the chat).
	b.Tray.Changed = func() {
		relayout(b.Outer...)
		relayout(b.Obj, b.above)
	}
	return b
}

// relayout lays containers out again at their size, outermost first.
func relayout(cs ...*fyne.Container) {
	for _, c := range cs {
		if c.Layout != nil {
			c.Layout.Layout(c.Objects, c.Size())
		}
	}
}

// Focus gives the text box the keyboard.
func (b *Bar) Focus() { b.host.Window().Canvas().Focus(b.Input) }

// Update turns Send into Stop while the shown answer streams, and shows
// how many of the shown chat's tool servers are on.
func (b *Bar) Update() {
	b.UpdateTools()
	if b.host.Streaming() {
		b.Send.SetText("Stop")
		b.Send.SetIcon(theme.MediaStopIcon())
		b.Send.Importance = widget.DangerImportance
	} else {
		b.Send.SetText("Send")
		b.Send.SetIcon(theme.MailSendIcon())
		b.Send.Importance = widget.HighImportance
	}
	b.Send.Refresh()
}

func (b *Bar) sendOrStop() {
	if b.host.Streaming() {
		b.host.Stop()
		return
	}
	b.submit(b.Input.Text)
}

// submit is the text box's Enter: a new question, or the edited one.
func (b *Bar) submit(text string) {
	if b.editing != nil {
		b.host.Resend(b.editing, text)
		return
	}
	b.host.Send(text)
}
