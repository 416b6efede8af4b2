package chat

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
	"github.com/deskchat/deskchat/ui/internal/markdown"
	"github.com/deskchat/deskchat/ui/internal/toolview"
)

// Message shows one message: who wrote it, the reasoning (folded away),
// the text as markdown blocks, and a status line for the answer's state.
type Message struct {
	Obj       fyne.CanvasObject
	Role      store.Role
	Header    *widget.Label
	Md        *markdown.View
	Reasoning *markdown.View
	Thinking  *widget.Accordion // nil until the message has reasoning
	// thinkingSlot holds thinking above the answer.
	ThinkingSlot *fyne.Container
	Status       *widget.Label
	Badge        *fyne.Container // "cached", shown on an answer from the response cache
	Pin          *look.HoverButton
	Regen        *look.HoverButton
	Cont         *look.HoverButton
	Retry        *look.HoverButton
	ForkBtn      *look.HoverButton // a new chat holding the path up to this message
	CopyBtn      *look.HoverButton
	EditBtn      *look.HoverButton
	DelBtn       *look.HoverButton
	// actions holds the buttons above; it shows while the pointer is on
	// the message, and always on the chat's last message (so that the
	// keyboard reaches them too).
	Actions *fyne.Container
	Hover   *look.HoverBox
	Hovered bool
	Group   *HoverGroup // the window's messages; nil: on its own
	Body    *fyne.Container
	Bg      *canvas.Rectangle // the user's bubble; behind an answer, clear
	BgColor color.Color       // its colour when not highlighted
	Lit     bool              // highlighted (a search result)
	Natural float32           // the text's unwrapped width; 0: not measured yet

	Conv   string
	Seq    uint64 // 0 until the message is stored
	Pinned bool
	Last   bool // the chat's last message
	Busy   bool // an answer streams in the chat
	// Branch is where the message stands among its siblings (other
	// versions of it: an edited question, a regenerated or compared
	// answer), shown as ‹ 2/3 › when it has any; BranchBox holds the
	// switcher, which shows whenever there are siblings.
	Branch    store.Branch
	BranchBox *fyne.Container
	BranchLbl *widget.Label
	Prev      *look.HoverButton
	Next      *look.HoverButton
	// OnBranch asks for the sibling step places away (-1: the one
	// before) to be shown instead, its branch becoming the chat's.
	OnBranch func(v *Message, step int)
	// onRegenerate asks for the last question to be answered again.
	OnRegenerate func()
	// onContinue asks for this unfinished answer to be continued.
	OnContinue func(v *Message)
	// onPin asks for the message to be pinned or unpinned; set by the chat.
	OnPin func(v *Message, pinned bool)
	// onGrow is called after "Show more" made the message taller
	// (markdown/limits.go), for the chat to lay it out again.
	OnGrow func(v *Message)
	// OnCopy, OnEdit, OnDelete and OnFork are the message's actions; nil
	// hides them.
	OnCopy, OnEdit, OnDelete, OnFork func(v *Message)
	// costOf prices an answer (engine.Cost); nil: no cost shown.
	CostOf func(model string, u engine.Usage) (float64, bool)
	// now is the clock countdowns are read with.
	Now func() time.Time
	// wait is what the answer waits for, with a deadline, while it streams:
	// the status line counts down to it.
	Wait *Wait
	// errSentence is a failed answer's sentence.
	ErrSentence string

	Provider, Model string // who is answering
	FellBack        *engine.FellBack
	Compressed      *engine.Compressed
	Cached          bool
	Usage           *engine.Usage
	Took            time.Duration
	State           store.State

	// AttachSlot holds a question's attachments (ShowAttachments) above
	// its text; Attachments are what it shows.
	AttachSlot  *fyne.Container
	Attachments []store.Attachment
	// Tools are an answer's calls to MCP tools, folded under its text, and
	// the cards asking the user about calls waiting to run.
	Tools      *toolview.List
	stripWidth float32 // the attachments' natural width
}

func NewMessage(m store.Message) *Message {
	v := &Message{Role: m.Role, State: m.State, Provider: m.Provider, Model: m.Model, Conv: m.ConversationID, Seq: m.Seq, Pinned: m.Pinned, Now: time.Now}
	v.Header = widget.NewLabel("")
	v.Header.TextStyle = fyne.TextStyle{Bold: true}
	v.Header.SizeName = theme.SizeNameCaptionText
	v.Md = markdown.NewText(m.Content)
	if m.State == store.StateStreaming {
		v.Md = markdown.New()
		v.Md.Append(m.Content)
	}
	v.Reasoning = markdown.NewText(m.Reasoning)
	v.Md.OnGrow, v.Reasoning.OnGrow = v.Grown, v.Grown
	v.ThinkingSlot = container.NewStack()
	v.AttachSlot = container.NewStack()
	v.AttachSlot.Hide() // no room taken until there are files
	v.Attachments = m.Attachments
	v.Tools = toolview.New()
	for _, u := range m.Tools {
		v.Tools.Add(toolview.FromStored(u))
	}
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord
	v.Status.SizeName = theme.SizeNameCaptionText
	v.Status.Hide()
	if m.PromptTokens > 0 || m.OutputTokens > 0 {
		v.Usage = &engine.Usage{PromptTokens: m.PromptTokens, CompletionTokens: m.OutputTokens}
	}

	v.Pin = v.Action("Pin", nil, func() {
		if v.OnPin != nil {
			v.OnPin(v, !v.Pinned)
		}
	})
	v.Regen = v.Action("Regenerate", theme.ViewRefreshIcon(), func() {
		if v.OnRegenerate != nil {
			v.OnRegenerate()
		}
	})
	v.Cont = v.Action("Continue", theme.MediaPlayIcon(), func() {
		if v.OnContinue != nil {
			v.OnContinue(v)
		}
	})
	v.Retry = v.Action("Retry", theme.ViewRefreshIcon(), func() {
		if v.OnContinue != nil {
			v.OnContinue(v)
		}
	})
	v.ForkBtn = v.Action("Fork", nil, func() { v.Act(v.OnFork) })
	v.CopyBtn = v.Action("Copy", nil, func() { v.Act(v.OnCopy) })
	v.EditBtn = v.Action("Edit", nil, func() { v.Act(v.OnEdit) })
	v.DelBtn = v.Action("Delete", nil, func() { v.Act(v.OnDelete) })
	v.Badge = NewBadge("cached")
	v.Badge.Hide()
	v.Actions = container.NewHBox(v.Cont, v.Retry, v.Regen, v.CopyBtn, v.EditBtn, v.ForkBtn, v.Pin, v.DelBtn)
	v.newBranchBox()
	v.UpdatePin()
	v.Build()
	if m.Reasoning != "" {
		v.ShowThinking()
	}
	v.RefreshHeader()
	v.ShowState(m.Error)
	return v
}

// UseImages gives the message's text and reasoning the window's loader.
func (v *Message) UseImages(l *markdown.Loader) {
	v.Md.UseLoader(l)
	v.Reasoning.UseLoader(l)
}

// ShowAttachments shows a question's files (strip, made by the window)
// above its text; width is the strip's width on one row, for the bubble.
func (v *Message) ShowAttachments(atts []store.Attachment, strip fyne.CanvasObject, width float32) {
	v.Attachments = atts
	v.stripWidth = width
	v.Natural = 0
	v.AttachSlot.Objects = []fyne.CanvasObject{strip}
	look.Show(v.AttachSlot, len(atts) > 0)
	v.AttachSlot.Refresh()
}

// ShowThinking puts the folded reasoning above the answer; a message without
// reasoning never builds it.
func (v *Message) ShowThinking() {
	if v.Thinking != nil {
		return
	}
	v.Thinking = widget.NewAccordion(widget.NewAccordionItem("Reasoning", v.Reasoning.Box))
	v.ThinkingSlot.Objects = []fyne.CanvasObject{v.Thinking}
	v.ThinkingSlot.Refresh()
}

// Grown tells the chat that the message grew.
func (v *Message) Grown() {
	if v.OnGrow != nil {
		v.OnGrow(v)
	} else {
		v.Obj.Refresh()
	}
}

// Reopen makes an unfinished answer stream again (Continue): its text
// stays and what arrives is appended to it.
func (v *Message) Reopen() {
	for _, md := range []**markdown.View{&v.Md, &v.Reasoning} {
		old := *md
		next := old.Again()
		for i, o := range v.Body.Objects {
			if o == old.Box {
				v.Body.Objects[i] = next.Box
			}
		}
		if v.Thinking != nil && old.Box == v.Thinking.Items[0].Detail {
			v.Thinking.Items[0].Detail = next.Box
		}
		*md = next
	}
	v.Body.Refresh()
	if v.Thinking != nil {
		v.Thinking.Refresh()
	}
	v.State = store.StateStreaming
	v.SetStatus("", false)
	v.UpdatePin()
}

// SetPinned shows the message as pinned or not.
func (v *Message) SetPinned(pinned bool) {
	v.Pinned = pinned
	v.RefreshHeader()
	v.UpdatePin()
}

// SetLast says whether this is the chat's last message (which offers
// Regenerate when it is an answer).
func (v *Message) SetLast(last bool) {
	v.Last = last
	v.UpdatePin()
	v.UpdateActions()
}

// newBranchBox makes the ‹ 2/3 › switcher, hidden until SetBranch says
// there are siblings.
func (v *Message) newBranchBox() {
	step := func(n int) func() {
		return func() {
			if v.OnBranch != nil {
				v.OnBranch(v, n)
			}
		}
	}
	v.Prev = v.Action("", theme.NavigateBackIcon(), step(-1))
	v.Next = v.Action("", theme.NavigateNextIcon(), step(1))
	v.BranchLbl = widget.NewLabel("")
	v.BranchLbl.SizeName = theme.SizeNameCaptionText
	v.BranchBox = container.NewHBox(v.Prev, v.BranchLbl, v.Next)
	v.BranchBox.Hide()
}

func enable(b *look.HoverButton, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// SetBranch shows where the message stands among its siblings (Count 0 or
// 1: it has none, and the switcher hides).
func (v *Message) SetBranch(b store.Branch) {
	v.Branch = b
	v.updateBranch()
}

func (v *Message) updateBranch() {
	b := v.Branch
	if b.Count < 2 {
		v.BranchBox.Hide()
		return
	}
	v.BranchLbl.SetText(fmt.Sprintf("%d/%d", b.Index, b.Count))
	enable(v.Prev, b.Index > 1 && !v.Busy)
	enable(v.Next, b.Index < b.Count && !v.Busy)
	v.BranchBox.Show()
}

// UpdatePin shows the actions that fit the message's state: pinning for
// stored messages that are no longer streaming, Regenerate, Continue or
// Retry on the chat's last answer, copy, edit (questions) and delete.
func (v *Message) UpdatePin() {
	streaming := v.State == store.StateStreaming
	lastAnswer := v.Last && v.Role == store.RoleAssistant && !streaming
	look.Show(v.Regen, lastAnswer && v.State != store.StateFailed && !v.Busy)
	continuable := v.Last && v.Seq != 0 && !v.Busy && store.Continuable(store.Message{Role: v.Role, State: v.State})
	look.Show(v.Cont, continuable && v.State != store.StateFailed)
	look.Show(v.Retry, continuable && v.State == store.StateFailed)
	look.Show(v.ForkBtn, v.OnFork != nil && v.Seq != 0 && !streaming && !v.Busy && v.Role != store.RoleSystem)
	look.Show(v.CopyBtn, v.OnCopy != nil && !streaming && v.Md.Text() != "")
	look.Show(v.EditBtn, v.OnEdit != nil && v.Role == store.RoleUser && v.Seq != 0 && !v.Busy)
	look.Show(v.DelBtn, v.OnDelete != nil && v.Seq != 0 && !streaming && !v.Busy)
	v.updateBranch()
	if v.Seq == 0 || streaming || v.Role == store.RoleSystem {
		v.Pin.Hide()
		return
	}
	if v.Pinned {
		v.Pin.SetText("Unpin")
	} else {
		v.Pin.SetText("Pin")
	}
	v.Pin.Show()
}

// Highlight marks the message (one found by search) or takes the mark off.
func (v *Message) Highlight(on bool) {
	v.Lit = on
	c := v.BgColor
	if on {
		c = theme.Color(theme.ColorNameSelection)
	}
	if v.Bg.FillColor != c {
		v.Bg.FillColor = c
		v.Bg.Refresh()
	}
}

// SetBusy says whether an answer streams in the message's chat: editing,
// deleting and asking again wait until it has ended.
func (v *Message) SetBusy(busy bool) {
	if v.Busy != busy {
		v.Busy = busy
		v.UpdatePin()
	}
}

// Act runs a message action if one is set.
func (v *Message) Act(f func(*Message)) {
	if f != nil {
		f(v)
	}
}

// Action is one of the message's hover actions.
func (v *Message) Action(text string, icon fyne.Resource, tapped func()) *look.HoverButton {
	return look.NewHoverButton(text, icon, tapped, v.SetHovered)
}

// Build lays the message out. A question is a tinted bubble on the right,
// as wide as its text up to a cap; an answer takes the chat's whole width
// with no bubble, as in the chat apps people know. The row of the actions
// keeps its height whether they show or not, so that pointing at a message
// does not move the chat.
func (v *Message) Build() {
	reserve := canvas.NewRectangle(color.Transparent)
	reserve.SetMinSize(fyne.NewSize(0, v.CopyBtn.MinSize().Height))
	var main fyne.CanvasObject
	if v.Role == store.RoleUser {
		footer := container.NewBorder(nil, nil, container.NewCenter(v.Badge), nil, v.Status)
		v.Body = container.NewVBox(v.Header, v.ThinkingSlot, v.AttachSlot, v.Md.Box, footer)
		v.Bg = canvas.NewRectangle(look.BubbleColor())
		v.Bg.CornerRadius = theme.InputRadiusSize() * 3
		bubble := container.NewStack(v.Bg, container.New(layout.NewCustomPaddedLayout(6, 6, 12, 12), v.Body))
		// The actions under the bubble, on its side.
		row := container.NewStack(reserve, container.NewHBox(layout.NewSpacer(), v.BranchBox, v.Actions))
		main = container.NewVBox(container.New(&look.BubbleLayout{Natural: v.NaturalWidth}, bubble), row)
	} else {
		// The actions where reading ends, beside the status line.
		footer := container.NewStack(reserve, container.NewBorder(nil, nil, container.NewCenter(v.Badge), container.NewHBox(v.BranchBox, v.Actions), v.Status))
		v.Body = container.NewVBox(v.Header, v.ThinkingSlot, v.Md.Box, v.Tools.Box, footer)
		v.Bg = canvas.NewRectangle(color.Transparent)
		v.Bg.CornerRadius = theme.InputRadiusSize() * 2
		main = container.NewStack(v.Bg, container.New(layout.NewCustomPaddedLayout(4, 4, 8, 8), v.Body))
	}
	v.BgColor = v.Bg.FillColor
	v.Hover = look.NewHoverBox(main, v.SetHovered)
	v.Hover.OnLeftInside = v.LeftInside
	v.Hover.OnRefresh = v.Recolour
	v.Obj = v.Hover
	v.UpdateActions()
}

// NaturalWidth is the width the question's bubble would take unwrapped.
func (v *Message) NaturalWidth() float32 {
	if v.Natural == 0 {
		pad := float32(24) + 2*theme.InnerPadding() // the bubble's and the text's padding
		v.Natural = look.TextWidth(v.Md.Text(), look.BubbleMax) + pad
		if v.Header.Visible() {
			v.Natural = max(v.Natural, v.Header.MinSize().Width+pad)
		}
		if v.stripWidth > 0 {
			v.Natural = max(v.Natural, min(v.stripWidth, look.BubbleMax)+pad)
		}
	}
	return v.Natural
}

// Recolour works the bubble's colour out again (the theme may have
// changed).
func (v *Message) Recolour() {
	if v.Role != store.RoleUser {
		return
	}
	v.BgColor = look.BubbleColor()
	if !v.Lit && v.Bg.FillColor != v.BgColor {
		v.Bg.FillColor = v.BgColor
		v.Bg.Refresh()
	}
}

// SetHovered says whether the pointer is on the message (or one of its
// actions).
func (v *Message) SetHovered(in bool) {
	if g := v.Group; g != nil && in && g.Sticky != v {
		if old := g.Sticky; old != nil {
			g.Sticky = nil
			old.SetHovered(false) // the pointer moved on from an object inside old
		}
	} else if g != nil && g.Sticky == v {
		g.Sticky = nil
	}
	if v.Hovered != in {
		v.Hovered = in
		v.UpdateActions()
	}
}

// LeftInside is called when the pointer went onto a hoverable object inside the message
// (a link, a code block's Copy). The actions stay until another message is
// pointed at; alone, with no group to tell it so, the message lets them go.
func (v *Message) LeftInside() {
	if v.Group == nil {
		v.SetHovered(false)
		return
	}
	v.Group.Sticky = v
}

// UpdateActions shows the action row while the message is pointed at and
// on the chat's last message.
func (v *Message) UpdateActions() {
	if v.Actions != nil {
		look.Show(v.Actions, v.Hovered || v.Last)
	}
}

// NewBadge is a small rounded label, such as "cached".
func NewBadge(text string) *fyne.Container {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameSuccess))
	bg.CornerRadius = theme.InputRadiusSize() * 2
	t := canvas.NewText(text, theme.Color(theme.ColorNameForegroundOnSuccess))
	t.TextSize = theme.CaptionTextSize()
	t.TextStyle = fyne.TextStyle{Bold: true}
	return container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(1, 1, 6, 6), t))
}

func (v *Message) RefreshHeader() {
	pinned := ""
	if v.Pinned {
		pinned = " · pinned: always sent"
	}
	switch v.Role {
	case store.RoleUser:
		// The bubble says who wrote it; the line shows only to say more.
		v.Header.SetText("You" + pinned)
		look.Show(v.Header, pinned != "")
		v.Natural = 0
	case store.RoleSystem:
		v.Header.SetText("System")
	default:
		h := "Assistant"
		if v.Model != "" {
			h = v.Model
			if v.Provider != "" && v.Provider != v.Model {
				h += " · " + v.Provider
			}
		}
		v.Header.SetText(h + pinned)
	}
}

// ShowState writes the status line for a message that is no longer
// streaming (or for one just loaded from the store).
func (v *Message) ShowState(errSentence string) {
	v.ErrSentence = errSentence
	var parts []string
	switch v.State {
	case store.StateStopped:
		parts = append(parts, "Stopped")
	case store.StateFailed:
		if errSentence == "" {
			errSentence = "The answer failed."
		}
		parts = append(parts, errSentence)
	case store.StateInterrupted:
		parts = append(parts, "Interrupted: deskchat closed while this answer was arriving")
	case store.StateStreaming:
		return
	}
	look.Show(v.Badge, v.Cached)
	if v.FellBack != nil {
		parts = append(parts, fmt.Sprintf("served by %s (%s failed)", v.FellBack.To, v.FellBack.From))
	}
	if v.Compressed != nil {
		parts = append(parts, bridge.CompressedText(*v.Compressed))
	}
	if v.Role == store.RoleAssistant && v.Usage != nil && v.Usage.CompletionTokens > 0 {
		parts = append(parts, v.UsageText())
	}
	if v.Took >= 100*time.Millisecond {
		parts = append(parts, format.Duration(v.Took))
	}
	v.SetStatus(strings.Join(parts, " · "), v.State == store.StateFailed)
}

// UsageText is an answer's tokens and, when its price is known, its cost.
func (v *Message) UsageText() string {
	s := format.Tokens(int64(v.Usage.CompletionTokens))
	if v.CostOf == nil || v.Cached {
		return s
	}
	if c, ok := v.CostOf(v.Model, *v.Usage); ok {
		s += " · " + format.Cost(c)
	}
	return s
}

// Wait is a wait with a deadline (a rate limit, a retry's backoff),
// counted down on the status line while the answer streams.
type Wait struct {
	until time.Time
	text  func(left string) string // the line, given "12 s"
}

// WaitFor returns the countdown for a RateLimited or Retrying event
// received at now, or nil.
func WaitFor(ev engine.Event, now time.Time) *Wait {
	switch ev := ev.(type) {
	case engine.RateLimited:
		return &Wait{until: ev.Until, text: func(left string) string {
			return fmt.Sprintf("Rate limited by %s — resumes in %s", ev.Provider, left)
		}}
	case engine.Retrying:
		return &Wait{until: now.Add(ev.After), text: func(left string) string {
			s := fmt.Sprintf("Retrying in %s (%s)", left, ev.Reason)
			if ev.Attempt > 1 {
				s += fmt.Sprintf(", attempt %d", ev.Attempt)
			}
			return s
		}}
	}
	return nil
}

// Countdown writes the wait's line for now; it reports whether the wait
// is still running.
func (v *Message) Countdown() bool {
	if v.Wait == nil {
		return false
	}
	left := v.Wait.until.Sub(v.Now())
	// Whole seconds, rounded up: "resumes in 1 s" until it does.
	secs := int64((left + time.Second - 1) / time.Second)
	text := "a moment"
	if secs > 0 {
		text = fmt.Sprintf("%d s", secs)
	}
	if secs >= 120 {
		text = fmt.Sprintf("%d min", (secs+59)/60)
	}
	v.SetStatus(v.Wait.text(text), false)
	return left > 0
}

func (v *Message) SetStatus(s string, isError bool) {
	if s == "" {
		v.Status.Hide()
		return
	}
	imp := widget.MediumImportance
	if isError {
		imp = widget.DangerImportance
	}
	if s == v.Status.Text && imp == v.Status.Importance && v.Status.Visible() {
		return // a countdown's tick that did not change the text
	}
	v.Status.Importance = imp
	v.Status.SetText(s)
	v.Status.Show()
}

// Apply shows what an answer's events brought. It reports whether the
// column's height may have changed.
func (v *Message) Apply(u bridge.Update) {
	if u.Started != nil {
		v.State = store.StateStreaming
		v.Provider, v.Model = u.Started.Provider, u.Started.Model
		v.Conv, v.Seq = u.Started.ConversationID, u.Started.AssistantSeq
		v.RefreshHeader()
	}
	if u.FellBack != nil {
		v.FellBack = u.FellBack
	}
	if u.Compressed != nil {
		v.Compressed = u.Compressed
	}
	for _, r := range u.Running {
		v.Tools.Running(r.CallID, r.Server, r.Tool)
	}
	for _, t := range u.Tools {
		v.Tools.Add(toolview.FromEngine(t))
	}
	if u.Cached {
		v.Cached = true
		v.Badge.Show()
	}
	if u.Usage != nil {
		v.Usage = u.Usage
	}
	if u.Reasoning != "" {
		v.ShowThinking()
		v.Reasoning.Append(u.Reasoning)
	}
	if u.Text != "" {
		v.Md.Append(u.Text)
	}
	switch u.Status {
	case "":
	case bridge.StatusClear:
		v.Wait = nil
		v.SetStatus("", false)
	default:
		v.Wait = nil
		v.SetStatus(u.Status, false)
	}
	if u.Wait != nil {
		v.Wait = WaitFor(u.Wait, v.Now())
		v.Countdown()
	}
	switch ev := u.Final.(type) {
	case engine.Done:
		v.State = store.StateDone
		v.Took = ev.Duration
		v.Finish("")
		if ev.Finish == "length" {
			v.SetStatus(joinStatus(v.Status, "cut off: the answer reached its length limit"), false)
		}
	case engine.Stopped:
		v.State = store.StateStopped
		v.Finish("")
	case engine.Failed:
		v.State = store.StateFailed
		v.Finish(ev.Sentence)
	}
}

func (v *Message) Finish(errSentence string) {
	v.Wait = nil
	v.Tools.ClearRunning() // a call still running when the answer ended was cancelled
	v.Md.Finish()
	v.Reasoning.Finish()
	v.ShowState(errSentence)
	v.UpdatePin()
}

func joinStatus(l *widget.Label, s string) string {
	if !l.Visible() || l.Text == "" {
		return s
	}
	return l.Text + " · " + s
}

// Pending shows a status before the engine has said anything.
func (v *Message) Pending(s string) {
	v.State = store.StateStreaming
	v.SetStatus(s, false)
}

// HoverGroup is a chat's messages as to the pointer: the one that keeps its
// actions while the pointer is on a hoverable object inside it, until
// another message is pointed at.
type HoverGroup struct {
	Sticky *Message
}
