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
	"deskchat/store"
)

// messageView shows one message: who wrote it, the reasoning (folded away),
// the text as markdown blocks, and a status line for the answer's state.
type messageView struct {
	obj       fyne.CanvasObject
	role      store.Role
	header    *widget.Label
	md        *mdView
	reasoning *mdView
	thinking  *widget.Accordion
	status    *widget.Label
	pin       *widget.Button
	regen     *widget.Button
	cont      *widget.Button
	body      *fyne.Container

	conv       string
	seq        uint64 // 0 until the message is stored
	pinned     bool
	superseded bool // replaced by a regenerated answer
	last       bool // the chat's last message
	// onRegenerate asks for the last question to be answered again.
	onRegenerate func()
	// onContinue asks for this unfinished answer to be continued.
	onContinue func(v *messageView)
	// onPin asks for the message to be pinned or unpinned; set by the chat.
	onPin func(v *messageView, pinned bool)

	provider, model string // who is answering
	fellBack        *engine.FellBack
	compressed      *engine.Compressed
	cached          bool
	usage           *engine.Usage
	took            time.Duration
	state           store.State
}

func newMessageView(m store.Message) *messageView {
	v := &messageView{role: m.Role, state: m.State, provider: m.Provider, model: m.Model, conv: m.ConversationID, seq: m.Seq, pinned: m.Pinned, superseded: m.Superseded}
	v.header = widget.NewLabel("")
	v.header.TextStyle = fyne.TextStyle{Bold: true}
	v.header.Importance = widget.LowImportance
	v.md = newMDViewText(m.Content)
	if m.State == store.StateStreaming {
		v.md = newMDView()
		v.md.append(m.Content)
	}
	v.reasoning = newMDViewText(m.Reasoning)
	v.thinking = widget.NewAccordion(widget.NewAccordionItem("Reasoning", v.reasoning.box))
	if m.Reasoning == "" {
		v.thinking.Hide()
	}
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.status.Importance = widget.LowImportance
	v.status.Hide()
	if m.PromptTokens > 0 || m.OutputTokens > 0 {
		v.usage = &engine.Usage{PromptTokens: m.PromptTokens, CompletionTokens: m.OutputTokens}
	}

	v.pin = widget.NewButton("Pin", func() {
		if v.onPin != nil {
			v.onPin(v, !v.pinned)
		}
	})
	v.pin.Importance = widget.LowImportance
	v.regen = widget.NewButtonWithIcon("Regenerate", theme.ViewRefreshIcon(), func() {
		if v.onRegenerate != nil {
			v.onRegenerate()
		}
	})
	v.regen.Importance = widget.LowImportance
	v.cont = widget.NewButtonWithIcon("Continue", theme.MediaPlayIcon(), func() {
		if v.onContinue != nil {
			v.onContinue(v)
		}
	})
	v.cont.Importance = widget.LowImportance
	v.updatePin()
	// Pin sits by the header; Continue and Regenerate under the answer,
	// where reading ends.
	body := container.NewVBox(container.NewBorder(nil, nil, nil, v.pin, v.header), v.thinking, v.md.box,
		container.NewBorder(nil, nil, nil, container.NewHBox(v.cont, v.regen), v.status))
	v.body = body
	var bg *canvas.Rectangle
	if m.Role == store.RoleUser {
		bg = canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	} else {
		bg = canvas.NewRectangle(color.Transparent)
	}
	bg.CornerRadius = theme.InputRadiusSize() * 2
	v.obj = container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(4, 4, 8, 8), body))
	v.refreshHeader()
	v.showState(m.Error)
	return v
}

// reopen makes an unfinished answer stream again (Continue): its text
// stays and what arrives is appended to it.
func (v *messageView) reopen() {
	for _, md := range []**mdView{&v.md, &v.reasoning} {
		old := *md
		next := newMDView()
		next.append(old.Text())
		for i, o := range v.body.Objects {
			if o == old.box {
				v.body.Objects[i] = next.box
			}
		}
		if old.box == v.thinking.Items[0].Detail {
			v.thinking.Items[0].Detail = next.box
		}
		*md = next
	}
	v.body.Refresh()
	v.thinking.Refresh()
	v.state = store.StateStreaming
	v.setStatus("", false)
	v.updatePin()
}

// setPinned shows the message as pinned or not.// setPinned shows the message as pinned or not.
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
}

// setSuperseded shows the answer as replaced by a regenerated one.
func (v *messageView) setSuperseded(superseded bool) {
	v.superseded = superseded
	v.refreshHeader()
	v.updatePin()
}

// updatePin offers pinning for stored user and assistant messages that are
// no longer streaming.
func (v *messageView) updatePin() {
	if v.last && v.role == store.RoleAssistant && !v.superseded && v.state != store.StateStreaming {
		v.regen.Show()
	} else {
		v.regen.Hide()
	}
	if v.last && v.seq != 0 && store.Continuable(store.Message{Role: v.role, State: v.state, Superseded: v.superseded}) {
		v.cont.Show()
	} else {
		v.cont.Hide()
	}
	if v.seq == 0 || v.state == store.StateStreaming || v.role == store.RoleSystem || v.superseded {
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

func (v *messageView) refreshHeader() {
	pinned := ""
	switch {
	case v.superseded:
		pinned = " · replaced by a newer answer, no longer sent"
	case v.pinned:
		pinned = " · pinned: always sent"
	}
	switch v.role {
	case store.RoleUser:
		v.header.SetText("You" + pinned)
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
	if v.cached {
		parts = append(parts, "answered from the cache")
	}
	if v.fellBack != nil {
		parts = append(parts, fmt.Sprintf("served by fallback %s (%s failed)", v.fellBack.To, v.fellBack.From))
	}
	if v.compressed != nil {
		parts = append(parts, compressedText(*v.compressed))
	}
	if v.role == store.RoleAssistant && v.usage != nil && v.usage.CompletionTokens > 0 {
		parts = append(parts, fmt.Sprintf("%d tokens", v.usage.CompletionTokens))
	}
	if v.took >= 100*time.Millisecond {
		parts = append(parts, elapsed(v.took))
	}
	v.setStatus(strings.Join(parts, " · "), v.state == store.StateFailed)
}

func (v *messageView) setStatus(s string, isError bool) {
	if s == "" {
		v.status.Hide()
		return
	}
	v.status.Importance = widget.LowImportance
	if isError {
		v.status.Importance = widget.DangerImportance
	}
	v.status.SetText(s)
	v.status.Show()
}

// apply shows what an answer's events brought. It reports whether the
// column's height may have changed.
func (v *messageView) apply(u answerUpdate) {
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
	}
	if u.Usage != nil {
		v.usage = u.Usage
	}
	if u.Reasoning != "" {
		if !v.thinking.Visible() {
			v.thinking.Show()
		}
		v.reasoning.append(u.Reasoning)
	}
	if u.Text != "" {
		v.md.append(u.Text)
	}
	switch u.Status {
	case "":
	case statusClear:
		v.setStatus("", false)
	default:
		v.setStatus(u.Status, false)
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
	v.md.finish()
	v.reasoning.finish()
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
