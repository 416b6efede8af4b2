// Package toolview shows an answer's calls to MCP tools: each call folded
// under the answer ("Used server/tool · 120 ms", declined, failed),
// expandable to its arguments and result, and the card that asks the user
// whether a call may run.
package toolview

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// MaxShown bounds the arguments and the result a folded call shows, and
// the arguments a card shows: a tool may return 100 KB, and a label that
// long would cost every layout of the chat.
const MaxShown = 4 << 10

// Use is one call as the window shows it.
type Use struct {
	Server, Tool string
	Arguments    string
	Result       string
	IsError      bool
	Declined     bool
	Pending      bool // stored before it ran, never finished (a crash)
	Took         time.Duration
	CallID       string // the model's id of the call ("" for stored calls)
}

// FromStored is a call kept with a stored answer.
func FromStored(u store.ToolUse) Use {
	return Use{Server: u.Server, Tool: u.Tool, Arguments: u.Arguments, Result: u.Result, IsError: u.IsError,
		Declined: u.Declined, Pending: u.Pending, Took: time.Duration(u.TookMs) * time.Millisecond}
}

// FromEngine is a call of an answer being streamed (engine.ToolRan).
func FromEngine(u engine.ToolUse) Use {
	return Use{Server: u.Server, Tool: u.Tool, Arguments: u.Arguments, Result: u.Result, IsError: u.IsError,
		Declined: u.Declined, Took: u.Took, CallID: u.CallID}
}

// Title is the folded call's one line.
func Title(u Use) string {
	name := u.Server + "/" + u.Tool
	took := fmt.Sprintf("%d ms", u.Took.Milliseconds())
	switch {
	case u.Declined:
		return "Declined " + name
	case u.Pending:
		return name + " did not finish"
	case u.IsError:
		return name + " failed · " + took
	}
	return "Used " + name + " · " + took
}

// Detail is what the unfolded call shows: its arguments and its result,
// each bounded.
func Detail(u Use) string {
	var b strings.Builder
	b.WriteString("Arguments\n")
	b.WriteString(Pretty(u.Arguments))
	switch {
	case u.Declined:
		b.WriteString("\n\nNot run: the user declined.")
	case u.Pending:
		b.WriteString("\n\nNo result: the answer was interrupted while it ran.")
	default:
		b.WriteString("\n\nResult\n")
		b.WriteString(bound(u.Result))
	}
	return b.String()
}

// Pretty indents JSON arguments (as they are when they are not JSON),
// bounded by MaxShown.
func Pretty(args string) string {
	var out bytes.Buffer
	if json.Indent(&out, []byte(args), "", "  ") == nil {
		args = out.String()
	}
	if strings.TrimSpace(args) == "" {
		args = "{}"
	}
	return bound(args)
}

// bound cuts s at MaxShown bytes, on a character boundary, saying so.
func bound(s string) string {
	if len(s) <= MaxShown {
		return s
	}
	cut := MaxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("\n… (%d more bytes not shown)", len(s)-cut)
}

// List is an answer's calls, folded, and the cards of the calls waiting
// for the user. Box is what the answer shows; it is hidden while empty.
// Use it on the UI goroutine only.
type List struct {
	Box   *fyne.Container
	acc   *widget.Accordion
	Uses  []Use
	cards []*Card
	// running are the lines of the calls running now, by call id.
	running map[string]*widget.Label
}

// New returns an empty List (Box hidden).
func New() *List {
	l := &List{acc: widget.NewAccordion()}
	l.acc.MultiOpen = true
	l.Box = container.NewVBox(l.acc)
	l.Box.Hide()
	return l
}

// Running shows "Running server/tool…" under the answer until Add brings
// the call with that id (or Stop ends the answer: Clear).
func (l *List) Running(callID, server, tool string) {
	if l.running == nil {
		l.running = map[string]*widget.Label{}
	}
	if _, ok := l.running[callID]; ok {
		return
	}
	line := widget.NewLabel("Running " + server + "/" + tool + "…")
	line.Importance = widget.LowImportance
	line.TextStyle.Italic = true
	l.running[callID] = line
	l.Box.Add(line)
	l.Box.Show()
}

// RunningNow are the lines of the calls running now.
func (l *List) RunningNow() []string {
	var out []string
	for _, o := range l.Box.Objects {
		for _, line := range l.running {
			if o == line {
				out = append(out, line.Text)
			}
		}
	}
	return out
}

// ClearRunning takes away the lines of calls that never ended (the answer
// stopped or failed).
func (l *List) ClearRunning() {
	for id, line := range l.running {
		l.Box.Remove(line)
		delete(l.running, id)
	}
	l.hideWhenEmpty()
}

func (l *List) hideWhenEmpty() {
	if len(l.Uses) == 0 && len(l.cards) == 0 && len(l.running) == 0 {
		l.Box.Hide()
	}
}

// Add folds one more call under the answer.
func (l *List) Add(u Use) {
	if line, ok := l.running[u.CallID]; ok {
		l.Box.Remove(line)
		delete(l.running, u.CallID)
	}
	l.Uses = append(l.Uses, u)
	detail := widget.NewLabel(Detail(u))
	detail.Wrapping = fyne.TextWrapBreak
	detail.TextStyle = fyne.TextStyle{Monospace: true}
	l.acc.Append(widget.NewAccordionItem(Title(u), detail))
	l.Box.Show()
	l.Box.Refresh()
}

// Card asks whether a call may run.
type Card struct {
	Obj                  fyne.CanvasObject
	Text                 *widget.Label
	Args                 *widget.Label
	Once, Always, Denied *widget.Button
	answered             bool
}

// Ask shows a card for req under the answer; answer is called once, with
// the user's choice, and the card goes. Dismiss (the answer ended) takes
// the card away without an answer.
func (l *List) Ask(req engine.ToolRequest, answer func(engine.ToolDecision)) *Card {
	c := &Card{}
	c.Text = widget.NewLabelWithStyle(fmt.Sprintf("%s wants to run %s with", req.Server, req.Tool), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.Text.Wrapping = fyne.TextWrapWord
	c.Args = widget.NewLabel(Pretty(string(req.Arguments)))
	c.Args.Wrapping = fyne.TextWrapBreak
	c.Args.TextStyle = fyne.TextStyle{Monospace: true}
	choose := func(d engine.ToolDecision) func() {
		return func() {
			if c.answered {
				return
			}
			l.Dismiss(c)
			answer(d)
		}
	}
	c.Once = widget.NewButton("Allow once", choose(engine.AllowToolOnce))
	c.Once.Importance = widget.HighImportance
	c.Always = widget.NewButton("Always allow this tool", choose(engine.AllowToolAlways))
	c.Denied = widget.NewButton("Deny", choose(engine.DenyTool))
	c.Obj = widget.NewCard("", "", container.NewVBox(c.Text, c.Args, container.NewHBox(c.Once, c.Always, c.Denied)))
	l.cards = append(l.cards, c)
	l.Box.Add(c.Obj)
	l.Box.Show()
	return c
}

// Cards are the cards waiting for the user, oldest first.
func (l *List) Cards() []*Card { return append([]*Card(nil), l.cards...) }

// Dismiss takes c away; it can no longer be answered.
func (l *List) Dismiss(c *Card) {
	if c.answered {
		return
	}
	c.answered = true
	for i, x := range l.cards {
		if x == c {
			l.cards = append(l.cards[:i], l.cards[i+1:]...)
			break
		}
	}
	l.Box.Remove(c.Obj)
	l.hideWhenEmpty()
}
