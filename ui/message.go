package ui

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

	"deskchat/engine"
	"deskchat/internal/format"
	"deskchat/store"
	"deskchat/ui/internal/bridge"
	"deskchat/ui/internal/look"
	"deskchat/ui/internal/markdown"
)

// messageView shows one message: who wrote it, the reasoning (folded away),
// the text as markdown blocks, and a status line for the answer's state.
type messageView struct {
	obj       fyne.CanvasObject
	role      store.Role
	header    *widget.Label
	md        *markdown.View
	reasoning *markdown.View
	thinking  *widget.Accordion // nil until the message has reasoning
	// thinkingSlot holds thinking above the answer.
	thinkingSlot *fyne.Container
	status       *widget.Label
	badge        *fyne.Container // "cached", shown on an answer from the response cache
	pin          *look.HoverButton
	regen        *look.HoverButton
	cont         *look.HoverButton
	retry        *look.HoverButton
	useBtn       *look.HoverButton // an alternative answer becomes the chat's answer
	copyBtn      *look.HoverButton
	editBtn      *look.HoverButton
	delBtn       *look.HoverButton
	// actions holds the buttons above; it shows while the pointer is on
	// the message, and always on the chat's last message (so that the
	// keyboard reaches them too).
	actions *fyne.Container
	hover   *look.HoverBox
	hovered bool
	group   *hoverGroup // the window's messages; nil: on its own
	body    *fyne.Container
	bg      *canvas.Rectangle // the user's bubble; behind an answer, clear
	bgColor color.Color       // its colour when not highlighted
	lit     bool              // highlighted (a search result)
	natural float32           // the text's unwrapped width; 0: not measured yet

	conv       string
	seq        uint64 // 0 until the message is stored
	pinned     bool
	superseded bool // replaced by a regenerated answer
	last       bool // the chat's last message
	busy       bool // an answer streams in the chat
	// onRegenerate asks for the last question to be answered again.
	onRegenerate func()
	// onContinue asks for this unfinished answer to be continued.
	onContinue func(v *messageView)
	// onPin asks for the message to be pinned or unpinned; set by the chat.
	onPin func(v *messageView, pinned bool)
	// onGrow is called after "Show more" made the message taller
	// (markdown/limits.go), for the chat to lay it out again.
	onGrow func(v *messageView)
	// onCopy, onEdit, onDelete and onUse are the message's actions; nil
	// hides them.
	onCopy, onEdit, onDelete, onUse func(v *messageView)
	// costOf prices an answer (engine.Cost); nil: no cost shown.
	costOf func(model string, u engine.Usage) (float64, bool)
	// now is the clock countdowns are read with.
	now func() time.Time
	// wait is what the answer waits for, with a deadline, while it streams:
	// the status line counts down to it.
	wait *waitState
	// errSentence is a failed answer's sentence.
	errSentence string

	provider, model string // who is answering
	fellBack        *engine.FellBack
	compressed      *engine.Compressed
	cached          bool
	usage           *engine.Usage
	took            time.Duration
	state           store.State
}

func newMessageView(m store.Message) *messageView {
	v := &messageView{role: m.Role, state: m.State, provider: m.Provider, model: m.Model, conv: m.ConversationID, seq: m.Seq, pinned: m.Pinned, superseded: m.Superseded, now: time.Now}
	v.header = widget.NewLabel("")
	v.header.TextStyle = fyne.TextStyle{Bold: true}
	v.header.SizeName = theme.SizeNameCaptionText
	v.md = markdown.NewText(m.Content)
	if m.State == store.StateStreaming {
		v.md = markdown.New()
		v.md.Append(m.Content)
	}
	v.reasoning = markdown.NewText(m.Reasoning)
	v.md.OnGrow, v.reasoning.OnGrow = v.grown, v.grown
	v.thinkingSlot = container.NewStack()
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.status.SizeName = theme.SizeNameCaptionText
	v.status.Hide()
	if m.PromptTokens > 0 || m.OutputTokens > 0 {
		v.usage = &engine.Usage{PromptTokens: m.PromptTokens, CompletionTokens: m.OutputTokens}
	}

	v.pin = v.action("Pin", nil, func() {
		if v.onPin != nil {
			v.onPin(v, !v.pinned)
		}
	})
	v.regen = v.action("Regenerate", theme.ViewRefreshIcon(), func() {
		if v.onRegenerate != nil {
			v.onRegenerate()
		}
	})
	v.cont = v.action("Continue", theme.MediaPlayIcon(), func() {
		if v.onContinue != nil {
			v.onContinue(v)
		}
	})
	v.retry = v.action("Retry", theme.ViewRefreshIcon(), func() {
		if v.onContinue != nil {
			v.onContinue(v)
		}
	})
	v.useBtn = v.action("Use this answer", nil, func() { v.act(v.onUse) })
	v.copyBtn = v.action("Copy", nil, func() { v.act(v.onCopy) })
	v.editBtn = v.action("Edit", nil, func() { v.act(v.onEdit) })
	v.delBtn = v.action("Delete", nil, func() { v.act(v.onDelete) })
	v.badge = newBadge("cached")
	v.badge.Hide()
	v.actions = container.NewHBox(v.cont, v.retry, v.regen, v.useBtn, v.copyBtn, v.editBtn, v.pin, v.delBtn)
	v.updatePin()
	v.build()
	if m.Reasoning != "" {
		v.showThinking()
	}
	v.refreshHeader()
	v.showState(m.Error)
	return v
}

// useImages gives the message's text and reasoning the window's loader.
func (v *messageView) useImages(l *markdown.Loader) {
	v.md.UseLoader(l)
	v.reasoning.UseLoader(l)
}

// showThinking puts the folded reasoning above the answer; a message without
// reasoning never builds it.
func (v *messageView) showThinking() {
	if v.thinking != nil {
		return
	}
	v.thinking = widget.NewAccordion(widget.NewAccordionItem("Reasoning", v.reasoning.Box))
	v.thinkingSlot.Objects = []fyne.CanvasObject{v.thinking}
	v.thinkingSlot.Refresh()
}

// grown tells the chat that the message grew.
func (v *messageView) grown() {
	if v.onGrow != nil {
		v.onGrow(v)
	} else {
		v.obj.Refresh()
	}
}

// reopen makes an unfinished answer stream again (Continue): its text
// stays and what arrives is appended to it.
func (v *messageView) reopen() {
	for _, md := range []**markdown.View{&v.md, &v.reasoning} {
		old := *md
		next := old.Again()
		for i, o := range v.body.Objects {
			if o == old.Box {
				v.body.Objects[i] = next.Box
			}
		}
		if v.thinking != nil && old.Box == v.thinking.Items[0].Detail {
			v.thinking.Items[0].Detail = next.Box
		}
		*md = next
	}
	v.body.Refresh()
	if v.thinking != nil {
		v.thinking.Refresh()
	}
	v.state = store.StateStreaming
	v.setStatus("", false)
	v.updatePin()
}

// setPinned shows the message as pinned or not.
func (v *messageView) setPinned(pinned bool) {
	v.pinned = pinned
	v.refreshHeader()
	v.updatePin()
}

// setLast says whether this is the chat's last message (which offers
// Regenerate when it is an answer).
func (v *messageView) setLast(last bool) {
	v.last = last
	v.updatePin()
	v.updateActions()
}

// setSuperseded shows the answer as replaced by a regenerated one.
func (v *messageView) setSuperseded(superseded bool) {
	v.superseded = superseded
	v.refreshHeader()
	v.updatePin()
}

// updatePin shows the actions that fit the message's state: pinning for
// stored messages that are no longer streaming, Regenerate, Continue or
// Retry on the chat's last answer, copy, edit (questions) and delete.
func (v *messageView) updatePin() {
	streaming := v.state == store.StateStreaming
	lastAnswer := v.last && v.role == store.RoleAssistant && !v.superseded && !streaming
	look.Show(v.regen, lastAnswer && v.state != store.StateFailed && !v.busy)
	continuable := v.last && v.seq != 0 && !v.busy && store.Continuable(store.Message{Role: v.role, State: v.state, Superseded: v.superseded})
	look.Show(v.cont, continuable && v.state != store.StateFailed)
	look.Show(v.retry, continuable && v.state == store.StateFailed)
	look.Show(v.useBtn, v.onUse != nil && v.superseded && v.role == store.RoleAssistant && v.seq != 0 && !streaming && !v.busy)
	look.Show(v.copyBtn, v.onCopy != nil && !streaming && v.md.Text() != "")
	look.Show(v.editBtn, v.onEdit != nil && v.role == store.RoleUser && v.seq != 0 && !v.busy)
	look.Show(v.delBtn, v.onDelete != nil && v.seq != 0 && !streaming && !v.busy)
	if v.seq == 0 || streaming || v.role == store.RoleSystem || v.superseded {
		v.pin.Hide()
		return
	}
	if v.pinned {
		v.pin.SetText("Unpin")
	} else {
		v.pin.SetText("Pin")
	}
	v.pin.Show()
}

// highlight marks the message (one found by search) or takes the mark off.
func (v *messageView) highlight(on bool) {
	v.lit = on
	c := v.bgColor
	if on {
		c = theme.Color(theme.ColorNameSelection)
	}
	if v.bg.FillColor != c {
		v.bg.FillColor = c
		v.bg.Refresh()
	}
}

// setBusy says whether an answer streams in the message's chat: editing,
// deleting and asking again wait until it has ended.
func (v *messageView) setBusy(busy bool) {
	if v.busy != busy {
		v.busy = busy
		v.updatePin()
	}
}

// act runs a message action if one is set.
func (v *messageView) act(f func(*messageView)) {
	if f != nil {
		f(v)
	}
}

// action is one of the message's hover actions.
func (v *messageView) action(text string, icon fyne.Resource, tapped func()) *look.HoverButton {
	return look.NewHoverButton(text, icon, tapped, v.setHovered)
}

// build lays the message out. A question is a tinted bubble on the right,
// as wide as its text up to a cap; an answer takes the chat's whole width
// with no bubble, as in the chat apps people know. The row of the actions
// keeps its height whether they show or not, so that pointing at a message
// does not move the chat.
func (v *messageView) build() {
	reserve := canvas.NewRectangle(color.Transparent)
	reserve.SetMinSize(fyne.NewSize(0, v.copyBtn.MinSize().Height))
	var main fyne.CanvasObject
	if v.role == store.RoleUser {
		footer := container.NewBorder(nil, nil, container.NewCenter(v.badge), nil, v.status)
		v.body = container.NewVBox(v.header, v.thinkingSlot, v.md.Box, footer)
		v.bg = canvas.NewRectangle(look.BubbleColor())
		v.bg.CornerRadius = theme.InputRadiusSize() * 3
		bubble := container.NewStack(v.bg, container.New(layout.NewCustomPaddedLayout(6, 6, 12, 12), v.body))
		// The actions under the bubble, on its side.
		row := container.NewStack(reserve, container.NewHBox(layout.NewSpacer(), v.actions))
		main = container.NewVBox(container.New(&look.BubbleLayout{Natural: v.naturalWidth}, bubble), row)
	} else {
		// The actions where reading ends, beside the status line.
		footer := container.NewStack(reserve, container.NewBorder(nil, nil, container.NewCenter(v.badge), v.actions, v.status))
		v.body = container.NewVBox(v.header, v.thinkingSlot, v.md.Box, footer)
		v.bg = canvas.NewRectangle(color.Transparent)
		v.bg.CornerRadius = theme.InputRadiusSize() * 2
		main = container.NewStack(v.bg, container.New(layout.NewCustomPaddedLayout(4, 4, 8, 8), v.body))
	}
	v.bgColor = v.bg.FillColor
	v.hover = look.NewHoverBox(main, v.setHovered)
	v.hover.OnLeftInside = v.leftInside
	v.hover.OnRefresh = v.recolour
	v.obj = v.hover
	v.updateActions()
}

// naturalWidth is the width the question's bubble would take unwrapped.
func (v *messageView) naturalWidth() float32 {
	if v.natural == 0 {
		pad := float32(24) + 2*theme.InnerPadding() // the bubble's and the text's padding
		v.natural = look.TextWidth(v.md.Text(), look.BubbleMax) + pad
		if v.header.Visible() {
			v.natural = max(v.natural, v.header.MinSize().Width+pad)
		}
	}
	return v.natural
}

// recolour works the bubble's colour out again (the theme may have
// changed).
func (v *messageView) recolour() {
	if v.role != store.RoleUser {
		return
	}
	v.bgColor = look.BubbleColor()
	if !v.lit && v.bg.FillColor != v.bgColor {
		v.bg.FillColor = v.bgColor
		v.bg.Refresh()
	}
}

// setHovered says whether the pointer is on the message (or one of its
// actions).
func (v *messageView) setHovered(in bool) {
	if g := v.group; g != nil && in && g.sticky != v {
		if old := g.sticky; old != nil {
			g.sticky = nil
			old.setHovered(false) // the pointer moved on from an object inside old
		}
	} else if g != nil && g.sticky == v {
		g.sticky = nil
	}
	if v.hovered != in {
		v.hovered = in
		v.updateActions()
	}
}

// leftInside: the pointer went onto a hoverable object inside the message
// (a link, a code block's Copy). The actions stay until another message is
// pointed at; alone, with no group to tell it so, the message lets them go.
func (v *messageView) leftInside() {
	if v.group == nil {
		v.setHovered(false)
		return
	}
	v.group.sticky = v
}

// updateActions shows the action row while the message is pointed at and
// on the chat's last message.
func (v *messageView) updateActions() {
	if v.actions != nil {
		look.Show(v.actions, v.hovered || v.last)
	}
}

// newBadge is a small rounded label, such as "cached".
func newBadge(text string) *fyne.Container {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameSuccess))
	bg.CornerRadius = theme.InputRadiusSize() * 2
	t := canvas.NewText(text, theme.Color(theme.ColorNameForegroundOnSuccess))
	t.TextSize = theme.CaptionTextSize()
	t.TextStyle = fyne.TextStyle{Bold: true}
	return container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(1, 1, 6, 6), t))
}

func (v *messageView) refreshHeader() {
	pinned := ""
	switch {
	case v.superseded:
		pinned = " · replaced by another answer (regenerated or compared), not sent"
	case v.pinned:
		pinned = " · pinned: always sent"
	}
	switch v.role {
	case store.RoleUser:
		// The bubble says who wrote it; the line shows only to say more.
		v.header.SetText("You" + pinned)
		look.Show(v.header, pinned != "")
		v.natural = 0
	case store.RoleSystem:
		v.header.SetText("System")
	default:
		h := "Assistant"
		if v.model != "" {
			h = v.model
			if v.provider != "" && v.provider != v.model {
				h += " · " + v.provider
			}
		}
		v.header.SetText(h + pinned)
	}
}

// showState writes the status line for a message that is no longer
// streaming (or for one just loaded from the store).
func (v *messageView) showState(errSentence string) {
	v.errSentence = errSentence
	var parts []string
	switch v.state {
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
	look.Show(v.badge, v.cached)
	if v.fellBack != nil {
		parts = append(parts, fmt.Sprintf("served by %s (%s failed)", v.fellBack.To, v.fellBack.From))
	}
	if v.compressed != nil {
		parts = append(parts, bridge.CompressedText(*v.compressed))
	}
	if v.role == store.RoleAssistant && v.usage != nil && v.usage.CompletionTokens > 0 {
		parts = append(parts, v.usageText())
	}
	if v.took >= 100*time.Millisecond {
		parts = append(parts, elapsed(v.took))
	}
	v.setStatus(strings.Join(parts, " · "), v.state == store.StateFailed)
}

// usageText is an answer's tokens and, when its price is known, its cost.
func (v *messageView) usageText() string {
	s := format.Tokens(int64(v.usage.CompletionTokens))
	if v.costOf == nil || v.cached {
		return s
	}
	if c, ok := v.costOf(v.model, *v.usage); ok {
		s += " · " + format.Cost(c)
	}
	return s
}

// waitState is a wait with a deadline (a rate limit, a retry's backoff),
// counted down on the status line while the answer streams.
type waitState struct {
	until time.Time
	text  func(left string) string // the line, given "12 s"
}

// waitFor returns the countdown for a RateLimited or Retrying event
// received at now, or nil.
func waitFor(ev engine.Event, now time.Time) *waitState {
	switch ev := ev.(type) {
	case engine.RateLimited:
		return &waitState{until: ev.Until, text: func(left string) string {
			return fmt.Sprintf("Rate limited by %s — resumes in %s", ev.Provider, left)
		}}
	case engine.Retrying:
		return &waitState{until: now.Add(ev.After), text: func(left string) string {
			s := fmt.Sprintf("Retrying in %s (%s)", left, ev.Reason)
			if ev.Attempt > 1 {
				s += fmt.Sprintf(", attempt %d", ev.Attempt)
			}
			return s
		}}
	}
	return nil
}

// countdown writes the wait's line for now; it reports whether the wait
// is still running.
func (v *messageView) countdown() bool {
	if v.wait == nil {
		return false
	}
	left := v.wait.until.Sub(v.now())
	// Whole seconds, rounded up: "resumes in 1 s" until it does.
	secs := int64((left + time.Second - 1) / time.Second)
	text := "a moment"
	if secs > 0 {
		text = fmt.Sprintf("%d s", secs)
	}
	if secs >= 120 {
		text = fmt.Sprintf("%d min", (secs+59)/60)
	}
	v.setStatus(v.wait.text(text), false)
	return left > 0
}

func (v *messageView) setStatus(s string, isError bool) {
	if s == "" {
		v.status.Hide()
		return
	}
	imp := widget.MediumImportance
	if isError {
		imp = widget.DangerImportance
	}
	if s == v.status.Text && imp == v.status.Importance && v.status.Visible() {
		return // a countdown's tick that did not change the text
	}
	v.status.Importance = imp
	v.status.SetText(s)
	v.status.Show()
}

// apply shows what an answer's events brought. It reports whether the
// column's height may have changed.
func (v *messageView) apply(u bridge.Update) {
	if u.Started != nil {
		v.state = store.StateStreaming
		v.provider, v.model = u.Started.Provider, u.Started.Model
		v.conv, v.seq = u.Started.ConversationID, u.Started.AssistantSeq
		v.refreshHeader()
	}
	if u.FellBack != nil {
		v.fellBack = u.FellBack
	}
	if u.Compressed != nil {
		v.compressed = u.Compressed
	}
	if u.Cached {
		v.cached = true
		v.badge.Show()
	}
	if u.Usage != nil {
		v.usage = u.Usage
	}
	if u.Reasoning != "" {
		v.showThinking()
		v.reasoning.Append(u.Reasoning)
	}
	if u.Text != "" {
		v.md.Append(u.Text)
	}
	switch u.Status {
	case "":
	case bridge.StatusClear:
		v.wait = nil
		v.setStatus("", false)
	default:
		v.wait = nil
		v.setStatus(u.Status, false)
	}
	if u.Wait != nil {
		v.wait = waitFor(u.Wait, v.now())
		v.countdown()
	}
	switch ev := u.Final.(type) {
	case engine.Done:
		v.state = store.StateDone
		v.took = ev.Duration
		v.finish("")
		if ev.Finish == "length" {
			v.setStatus(joinStatus(v.status, "cut off: the answer reached its length limit"), false)
		}
	case engine.Stopped:
		v.state = store.StateStopped
		v.finish("")
	case engine.Failed:
		v.state = store.StateFailed
		v.finish(ev.Sentence)
	}
}

func (v *messageView) finish(errSentence string) {
	v.wait = nil
	v.md.Finish()
	v.reasoning.Finish()
	v.showState(errSentence)
	v.updatePin()
}

func joinStatus(l *widget.Label, s string) string {
	if !l.Visible() || l.Text == "" {
		return s
	}
	return l.Text + " · " + s
}

// pending shows a status before the engine has said anything.
func (v *messageView) pending(s string) {
	v.state = store.StateStreaming
	v.setStatus(s, false)
}

// elapsed formats a duration for a status line.
func elapsed(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// hoverGroup is a chat's messages as to the pointer: the one that keeps its
// actions while the pointer is on a hoverable object inside it, until
// another message is pointed at.
type hoverGroup struct {
	sticky *messageView
}
