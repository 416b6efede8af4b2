package compare

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/chat"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// Host is what a comparison uses of the window.
type Host interface {
	Window() fyne.Window
	ShowDialog(d dialog.Dialog)
	ShowError(what string, err error)
	Bridge() *bridge.Bridge
	Engine() *engine.Engine
	Now() time.Time
	// ComposerText and SetComposerText read and set the message box.
	ComposerText() string
	SetComposerText(text string)
	SendOptions() engine.SendOptions
	ProviderNames() []string
	ModelsOf(provider string) []string
	DefaultModel(provider string) string
	// NewEntry is a text field that hands Esc to the window.
	NewEntry(multiLine bool) *look.EscEntry
	// NewMessage is a message's view with the window's actions attached.
	NewMessage(m store.Message) *chat.Message
	// Pin pins or unpins a message (a Message's OnPin).
	Pin(v *chat.Message, pinned bool)
	// Shown is the chat shown, or nil; Selected reports whether a stored
	// chat is selected.
	Shown() Chat
	Selected() bool
	// ChatsChanged reloads the list of chats (titles, order, models).
	ChatsChanged()
	// NameChat names a chat after its first exchange.
	NameChat(id string)
}

// Chat is the chat a comparison runs in.
type Chat interface {
	ID() string
	// Live reports whether an answer streams in the chat; Busy also
	// whether a page of it loads.
	Live() bool
	Busy() bool
	// AtEnd reports whether the chat's end is read; ToEnd reads it, then
	// calls then.
	AtEnd() bool
	ToEnd(then func())
	Scroll() *container.Scroll
	AtBottom() bool
	AddRow(o fyne.CanvasObject)
	RemoveRow(o fyne.CanvasObject)
	// StartLive marks the chat as answering (cancel stops it; first stands
	// for the answers), EndLive as no longer.
	StartLive(cancel context.CancelFunc, first *chat.Message)
	EndLive()
	// Fit sizes the chat's content after a layout.
	Fit()
	// Fresh reports whether the chat shows no message and its start.
	Fresh() bool
	// Forget drops the chat's view if it is still the window's and not
	// live, for it to be rebuilt from the store when shown.
	Forget()
}

// The choice offered beside the Keep buttons.
const (
	KeepOthers    = "Keep the others as alternatives"
	DiscardOthers = "Discard the others"
)

// Ask opens the dialog that picks the providers or models to compare and
// the prompt, in the shown chat.
func Ask(h Host) {
	if d := NewDialog(h); d != nil {
		d.Show()
	}
}

// Dialog picks 2–4 provider and model pairs and the prompt.
type Dialog struct {
	h       Host
	d       *dialog.CustomDialog
	Rows    []*Row
	List    *fyne.Container // the rows
	AddBtn  *widget.Button
	Prompt  *look.EscEntry
	Problem *widget.Label // why Compare cannot go yet
	GoBtn   *widget.Button
	// started is the comparison the dialog started, once it has.
	Started *View
}

// Row is one provider and model to ask.
type Row struct {
	Obj      fyne.CanvasObject
	Provider *widget.Select
	Model    *widget.SelectEntry
	Remove   *widget.Button
}

// NewDialog builds the dialog for the shown chat, or returns nil when there
// is none or an answer streams in it.
func NewDialog(h Host) *Dialog {
	cv := h.Shown()
	if !h.Selected() || cv == nil || cv.Live() {
		return nil
	}
	cd := &Dialog{h: h, List: container.NewVBox()}
	opts := h.SendOptions()
	first := engine.Target{Provider: opts.Provider, Model: opts.Model}
	if first.Provider == "" {
		first = NextTarget(h, nil)
	}
	cd.AddRow(first)
	cd.AddRow(NextTarget(h, []engine.Target{first}))
	cd.AddBtn = widget.NewButtonWithIcon("Add a model", theme.ContentAddIcon(), func() {
		cd.AddRow(NextTarget(h, cd.Targets()))
		cd.Resize()
	})
	cd.AddBtn.Importance = widget.LowImportance
	cd.Prompt = h.NewEntry(true) // Esc closes the dialog
	cd.Prompt.SetMinRowsVisible(4)
	cd.Prompt.SetPlaceHolder("The question every model answers")
	cd.Prompt.SetText(h.ComposerText())
	cd.Problem = widget.NewLabel("")
	cd.Problem.Wrapping = fyne.TextWrapWord
	cd.Problem.Importance = widget.DangerImportance
	cd.Problem.Hide()
	intro := widget.NewLabel(fmt.Sprintf("Ask %d to %d providers or models at once. The answers stream side by side; then you keep one in the chat.", engine.MinCompare, engine.MaxCompare))
	intro.Wrapping = fyne.TextWrapWord
	cancel := widget.NewButton("Cancel", func() { cd.d.Hide() })
	cd.GoBtn = widget.NewButtonWithIcon("Compare", theme.MailSendIcon(), cd.Submit)
	cd.GoBtn.Importance = widget.HighImportance
	content := container.NewVBox(intro, cd.List, container.NewHBox(cd.AddBtn),
		widget.NewLabelWithStyle("Prompt", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), cd.Prompt, cd.Problem,
		container.NewHBox(layout.NewSpacer(), cancel, cd.GoBtn))
	cd.d = dialog.NewCustomWithoutButtons("Compare answers", content, h.Window())
	cd.Update()
	return cd
}

// Show shows the dialog, sized, with the prompt focused.
func (cd *Dialog) Show() {
	cd.h.ShowDialog(cd.d)
	cd.Resize()
	cd.h.Window().Canvas().Focus(cd.Prompt)
}

// Resize fits the dialog to its rows.
func (cd *Dialog) Resize() {
	cd.d.Resize(fyne.NewSize(640, cd.d.MinSize().Height))
}

// AddRow adds a row asking t.
func (cd *Dialog) AddRow(t engine.Target) {
	h := cd.h
	r := &Row{Model: widget.NewSelectEntry(h.ModelsOf(t.Provider))}
	r.Model.PlaceHolder = "Model"
	r.Model.SetText(t.Model)
	r.Provider = widget.NewSelect(h.ProviderNames(), func(name string) {
		r.Model.SetOptions(h.ModelsOf(name))
		r.Model.SetText(h.DefaultModel(name))
	})
	r.Provider.PlaceHolder = "Provider"
	r.Provider.Selected = t.Provider // without OnChanged: the model stays
	r.Remove = widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() {
		if i := slices.Index(cd.Rows, r); i >= 0 && len(cd.Rows) > engine.MinCompare {
			cd.Rows = slices.Delete(cd.Rows, i, i+1)
			cd.List.Remove(r.Obj)
			cd.Update()
			cd.Resize()
		}
	})
	r.Remove.Importance = widget.LowImportance
	r.Obj = container.NewBorder(nil, nil, nil, r.Remove, container.NewGridWithColumns(2, r.Provider, r.Model))
	cd.Rows = append(cd.Rows, r)
	cd.List.Add(r.Obj)
	cd.Update()
}

// Update enables Add and Remove as the number of rows allows.
func (cd *Dialog) Update() {
	for _, r := range cd.Rows {
		enable(r.Remove, len(cd.Rows) > engine.MinCompare)
	}
	if cd.AddBtn != nil {
		enable(cd.AddBtn, len(cd.Rows) < engine.MaxCompare)
	}
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// Targets are the rows' choices.
func (cd *Dialog) Targets() []engine.Target {
	out := make([]engine.Target, len(cd.Rows))
	for i, r := range cd.Rows {
		out[i] = engine.Target{Provider: r.Provider.Selected, Model: strings.TrimSpace(r.Model.Text)}
	}
	return out
}

// Submit starts the comparison, or says what is missing.
func (cd *Dialog) Submit() {
	text := cd.Prompt.Text
	targets := cd.Targets()
	problem := ""
	switch {
	case strings.TrimSpace(text) == "":
		problem = "Write the prompt first."
	case slices.ContainsFunc(targets, func(t engine.Target) bool { return t.Provider == "" }):
		problem = "Choose a provider in every row."
	}
	if problem != "" {
		cd.Problem.SetText(problem)
		cd.Problem.Show()
		cd.Resize()
		return
	}
	cd.d.Hide()
	cd.Started = Start(cd.h, text, targets)
}

// NextTarget suggests a pair not in used: another model of the first
// row's provider, else another provider's model; else the first pair again.
func NextTarget(h Host, used []engine.Target) engine.Target {
	names := h.ProviderNames()
	if len(used) > 0 {
		if i := slices.Index(names, used[0].Provider); i > 0 {
			names = append(append([]string{names[i]}, names[:i]...), names[i+1:]...)
		}
	}
	for _, p := range names {
		models := h.ModelsOf(p)
		if d := h.DefaultModel(p); d != "" {
			models = append([]string{d}, models...)
		}
		for _, m := range models {
			if t := (engine.Target{Provider: p, Model: m}); !slices.Contains(used, t) {
				return t
			}
		}
	}
	if len(used) > 0 {
		return used[0]
	}
	return engine.Target{}
}

// View shows a comparison's answers side by side in the chat.
type View struct {
	Obj      *fyne.Container
	Question *chat.Message
	Cols     []*Column
	Choice   *widget.RadioGroup // keepOthers or discardOthers
	Hint     *widget.Label
	Keeping  bool   // a Keep is being stored
	Kept     bool   // an answer was kept: the choice is made
	StopTick func() // stops the countdown ticker; nil when none runs
	// layoutDue: a layout of the chat is posted to the UI goroutine.
	LayoutDue bool
	// selfLaid are the columns' markdown views, which lay their blocks out
	// themselves as text arrives (mdView.update), and the columns that did
	// not change since the last layout.
	SelfLaid map[fyne.CanvasObject]bool
}

// Column is one target's answer.
type Column struct {
	Obj   fyne.CanvasObject
	Title *widget.Label // provider · model
	TTFT  *widget.Label // "first token 420 ms"
	View  *chat.Message
	Keep  *widget.Button
	Sent  time.Time // when the prompt was sent
	First bool      // the first text has arrived
	Ended bool
	Dirty bool // changed since the comparison was last laid out
}

func NewView(question *chat.Message, targets []engine.Target, sent time.Time, views []*chat.Message) *View {
	cmp := &View{Question: question, SelfLaid: map[fyne.CanvasObject]bool{}}
	cols := make([]fyne.CanvasObject, len(targets))
	for i, t := range targets {
		col := &Column{View: views[i], Sent: sent}
		col.Title = widget.NewLabelWithStyle(targetText(t.Provider, t.Model), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		col.Title.Truncation = fyne.TextTruncateEllipsis
		col.TTFT = widget.NewLabel("waiting for the first token…")
		col.TTFT.SizeName = theme.SizeNameCaptionText
		col.TTFT.Importance = widget.LowImportance
		col.View.Header.Hide() // the column's title says who answers
		cmp.SelfLaid[col.View.Md.Box], cmp.SelfLaid[col.View.Reasoning.Box] = true, true
		col.Keep = widget.NewButtonWithIcon("Keep this", theme.ConfirmIcon(), nil)
		col.Keep.Disable()
		cmp.Cols = append(cmp.Cols, col)
		col.Obj = container.NewBorder(container.NewVBox(col.Title, col.TTFT), container.NewHBox(col.Keep), nil, nil, col.View.Obj)
		cols[i] = col.Obj
	}
	cmp.Choice = widget.NewRadioGroup([]string{KeepOthers, DiscardOthers}, nil)
	cmp.Choice.Horizontal, cmp.Choice.Required = true, true
	cmp.Choice.SetSelected(KeepOthers)
	cmp.Hint = widget.NewLabel("Keep one answer once all have arrived, or press Stop.")
	cmp.Hint.SizeName = theme.SizeNameCaptionText
	cmp.Hint.Wrapping = fyne.TextWrapWord
	cmp.Obj = container.NewVBox(question.Obj,
		container.NewGridWithColumns(len(cols), cols...),
		container.NewBorder(nil, nil, nil, cmp.Choice, cmp.Hint),
		widget.NewSeparator())
	return cmp
}

func targetText(provider, model string) string {
	switch {
	case provider == "":
		return model
	case model == "":
		return provider
	}
	return provider + " · " + model
}

// Apply shows an update of column i; now is when it is shown.
func (cmp *View) Apply(i int, u bridge.Update, now time.Time) {
	col := cmp.Cols[i]
	col.Dirty = true
	if !col.First && (u.Text != "" || u.Reasoning != "") {
		col.First = true
		col.TTFT.SetText("first token " + format.Duration(now.Sub(col.Sent)))
	}
	if u.Started != nil {
		col.Title.SetText(targetText(u.Started.Provider, u.Started.Model))
	}
	col.View.Apply(u)
	if u.Final != nil {
		col.Ended = true
		if !col.First {
			col.TTFT.SetText("no tokens")
		}
		cmp.Update()
	}
}

// AllEnded reports whether every answer has ended.
func (cmp *View) AllEnded() bool {
	return !slices.ContainsFunc(cmp.Cols, func(c *Column) bool { return !c.Ended })
}

// Update enables Keep on the answers that ended with something to keep,
// once all have ended (the store refuses while one streams).
func (cmp *View) Update() {
	all := cmp.AllEnded()
	for _, col := range cmp.Cols {
		enable(col.Keep, all && !cmp.Keeping && !cmp.Kept && col.Ended && col.View.Seq != 0 && col.View.Md.Text() != "")
	}
	if all && !cmp.Kept {
		cmp.Hint.SetText("Keep one answer in the chat: it is sent with your next questions.")
	}
}

// Countdowns redraws the columns' countdowns; it reports whether one runs.
func (cmp *View) Countdowns() bool {
	running := false
	for _, col := range cmp.Cols {
		if !col.Ended && col.View.Countdown() {
			running = true
		}
	}
	return running
}

// Start asks text of every target in the shown chat and shows the answers
// side by side. It returns the comparison's view, or nil when it was not
// started now (no chat shown, an answer streams, a page loads; or the
// chat's end is read first, and the comparison starts then).
func Start(h Host, text string, targets []engine.Target) *View {
	cv := h.Shown()
	if strings.TrimSpace(text) == "" || cv == nil || cv.Busy() {
		return nil
	}
	if !cv.AtEnd() {
		// The comparison goes where new messages go: the chat's end.
		cv.ToEnd(func() { Start(h, text, targets) })
		return nil
	}
	opts := h.SendOptions()
	sent := h.Now()
	question := h.NewMessage(store.Message{Role: store.RoleUser, Content: text, State: store.StateDone})
	question.OnEdit, question.OnDelete, question.OnPin = nil, nil, h.Pin
	views := make([]*chat.Message, len(targets))
	for i, t := range targets {
		v := h.NewMessage(store.Message{Role: store.RoleAssistant, State: store.StateStreaming, Provider: t.Provider, Model: t.Model})
		// A column's answer is not the chat's last message: it is kept,
		// copied or pinned here, not continued, edited or deleted.
		v.OnRegenerate, v.OnContinue, v.OnEdit, v.OnDelete, v.OnPin = nil, nil, nil, nil, h.Pin
		v.Pending("Sending…")
		views[i] = v
	}
	cmp := NewView(question, targets, sent, views)
	for i, col := range cmp.Cols {
		col.Keep.OnTapped = func() { keep(h, cv, cmp, i) }
	}
	cv.AddRow(cmp.Obj)
	if h.ComposerText() == text {
		h.SetComposerText("")
	}
	ctx, cancel := context.WithCancel(context.Background())
	// One Stop stops every column; the first stands for them where the
	// window looks at one live answer.
	cv.StartLive(cancel, views[0])
	layoutChat(cv, true)
	b := h.Bridge()
	bridge.Run(b, func() (*engine.Comparison, error) {
		return h.Engine().Compare(ctx, cv.ID(), text, targets, opts)
	}, func(c *engine.Comparison, err error) {
		if err != nil {
			// Nothing was stored: take the comparison back, give the text back.
			cancel()
			cv.RemoveRow(cmp.Obj)
			layoutChat(cv, false)
			cv.EndLive()
			if h.ComposerText() == "" {
				h.SetComposerText(text)
			}
			h.ShowError("Could not compare", err)
			return
		}
		question.Conv, question.Seq = c.Question.ConversationID, c.Question.Seq
		question.UpdatePin()
		for i, a := range c.Answers {
			views[i].Conv, views[i].Seq = a.ConversationID, a.Seq
			cmp.Cols[i].Title.SetText(targetText(a.Provider, a.Model))
		}
		h.ChatsChanged() // the title and order may have changed
		for i, events := range c.Events {
			b.Follow(events, func(u bridge.Update) {
				change(b, cv, cmp, func() { cmp.Apply(i, u, h.Now()) })
				if cmp.Cols[i].View.Wait != nil && cmp.StopTick == nil {
					cmp.StopTick = b.Every(time.Second, func() bool {
						if cmp.Countdowns() {
							return true
						}
						cmp.StopTick = nil
						return false
					})
				}
				if u.Final != nil && cmp.AllEnded() {
					if cmp.StopTick != nil {
						cmp.StopTick()
						cmp.StopTick = nil
					}
					cancel()
					cv.EndLive()
					h.ChatsChanged()
				}
			})
		}
	})
	return cmp
}

// keep keeps column i's answer as the chat's and the others as
// alternatives or not at all, then shows the chat as stored.
func keep(h Host, cv Chat, cmp *View, i int) {
	kept := cmp.Cols[i].View.Seq
	if cv.Live() || cmp.Keeping || kept == 0 {
		return
	}
	var others []uint64
	for j, col := range cmp.Cols {
		if j != i && col.View.Seq != 0 {
			others = append(others, col.View.Seq)
		}
	}
	discard := cmp.Choice.Selected == DiscardOthers
	cmp.Keeping = true
	cmp.Update()
	bridge.Run(h.Bridge(), func() (struct{}, error) {
		return struct{}{}, h.Engine().KeepAnswer(cv.ID(), kept, others, discard)
	}, func(_ struct{}, err error) {
		cmp.Keeping = false
		if err != nil {
			cmp.Update()
			h.ShowError("Could not keep the answer", err)
			return
		}
		cmp.Kept = true
		cmp.Update()
		cmp.Hint.SetText("Kept the answer of " + cmp.Cols[i].Title.Text + ".")
		if cv.Fresh() {
			h.NameChat(cv.ID()) // the chat's first exchange (the question is in the comparison's row)
		}
		// The chat as stored: the kept answer in place, the others as
		// replaced answers or gone. A view not shown is rebuilt anyway
		// when it is shown again.
		cv.Forget()
		h.ChatsChanged() // the chat's provider and model changed
	})
}

// change makes a change to what cmp shows, then, once the changes already
// waiting for the UI goroutine (the other columns' updates of the same
// frame) are made too, lays the chat out for its new height, keeping to
// its end if the user was there.
func change(b *bridge.Bridge, cv Chat, cmp *View, f func()) {
	if !cmp.LayoutDue {
		cmp.LayoutDue = true
		follow := cv.AtBottom() // before the change: it grows the content
		b.Post(func() {
			cmp.LayoutDue = false
			layoutCompare(cv, cmp, follow)
		})
	}
	f()
}

// layoutCompare lays the chat and the comparison out again after columns
// changed. Layout only: the widgets that changed refreshed themselves, and
// refreshing the scroll container (Fyne 2.7's Scroll.Refresh refreshes its
// content, i.e. every widget of the chat, each RichText measuring all its
// text again) cost most of a frame with four answers streaming.
func layoutCompare(cv Chat, cmp *View, follow bool) {
	// The scroll's renderer resizes its content when the content's minimum
	// size changed (the chat grew), which lays out what changed size; the
	// containers of the comparison whose size did not change are laid out
	// after it.
	scroll := cv.Scroll()
	scroll.Base.Refresh()
	defer cv.Fit()
	skip := cmp.SelfLaid
	for _, col := range cmp.Cols {
		skip[col.Obj] = !col.Dirty // unchanged: laid out when its size changes
		col.Dirty = false
	}
	if !chat.LayoutPath(scroll.Content, cmp.Obj, skip) {
		scroll.Refresh() // not in a container of the chat: lay out everything
	}
	if follow {
		scroll.ScrollToBottom()
	}
}

// layoutChat lays cv out again, refreshing it, and shows its end when
// follow is set.
func layoutChat(cv Chat, follow bool) {
	cv.Scroll().Refresh()
	if follow {
		cv.Scroll().ScrollToBottom()
	}
}
