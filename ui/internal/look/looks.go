package look

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// HoverBox holds a message and tells it when the pointer comes and goes,
// so that its actions show only then (and on the chat's last message).
type HoverBox struct {
	widget.BaseWidget
	Content fyne.CanvasObject
	onHover func(in bool)
	// OnLeftInside, if set, runs instead of onHover(false) when the pointer
	// was last seen well inside the box: it went onto a hoverable object in
	// the message (a link, a code block's Copy), not out of it.
	OnLeftInside func()
	at           fyne.Position // where the pointer was last seen
	// OnRefresh runs when the box is refreshed (a change of theme among
	// others): the message's own colours are worked out again.
	OnRefresh func()
}

var _ desktop.Hoverable = (*HoverBox)(nil)

func NewHoverBox(content fyne.CanvasObject, onHover func(bool)) *HoverBox {
	h := &HoverBox{Content: content, onHover: onHover}
	h.ExtendBaseWidget(h)
	return h
}

func (h *HoverBox) CreateRenderer() fyne.WidgetRenderer {
	return &hoverRenderer{h: h, WidgetRenderer: widget.NewSimpleRenderer(h.Content)}
}

func (h *HoverBox) MouseIn(e *desktop.MouseEvent) {
	h.at = e.Position
	h.onHover(true)
}

func (h *HoverBox) MouseMoved(e *desktop.MouseEvent) { h.at = e.Position }

func (h *HoverBox) MouseOut() {
	if h.OnLeftInside != nil && Inside(h.at, h.Size(), HoverEdge) {
		h.OnLeftInside()
		return
	}
	h.onHover(false)
}

// HoverEdge: a pointer last seen this far inside a message did not leave it
// (Fyne reports moves every few pixels).
const HoverEdge = 6

// Inside says whether p lies in a box of size s, at least edge from its sides.
func Inside(p fyne.Position, s fyne.Size, edge float32) bool {
	return p.X > edge && p.Y > edge && p.X < s.Width-edge && p.Y < s.Height-edge
}

type hoverRenderer struct {
	fyne.WidgetRenderer
	h *HoverBox
}

func (r *hoverRenderer) Refresh() {
	if r.h.OnRefresh != nil {
		r.h.OnRefresh()
	}
	r.WidgetRenderer.Refresh()
}

// HoverButton is a message's action. The pointer on it is still on the
// message: Fyne hovers the innermost hoverable object only, so the button
// passes its hover on, and the message's actions do not vanish under the
// pointer that is about to tap one.
type HoverButton struct {
	widget.Button
	onHover func(in bool)
}

// NewHoverButton is a small text button. Words, not icons, for most: every
// message has these, and an icon is an SVG document that each button
// parses and colours when it is first drawn (a long chat's first screen
// spent 40 % of its time on them).
func NewHoverButton(text string, icon fyne.Resource, tapped func(), onHover func(bool)) *HoverButton {
	b := &HoverButton{onHover: onHover}
	b.Text, b.Icon, b.OnTapped = text, icon, tapped
	b.Importance = widget.LowImportance
	b.ExtendBaseWidget(b)
	return b
}

func (b *HoverButton) MouseIn(e *desktop.MouseEvent) {
	b.Button.MouseIn(e)
	b.onHover(true)
}

func (b *HoverButton) MouseOut() {
	b.Button.MouseOut()
	b.onHover(false)
}

// MutedText is one line of small text in the muted colour (colors.go),
// worked out again at each refresh so that it follows the theme.
type MutedText struct {
	widget.BaseWidget
	Text      string
	Alignment fyne.TextAlign
}

func NewMutedText(s string) *MutedText {
	m := &MutedText{Text: s}
	m.ExtendBaseWidget(m)
	return m
}

func (m *MutedText) SetText(s string) {
	if m.Text != s {
		m.Text = s
		m.Refresh()
	}
}

func (m *MutedText) CreateRenderer() fyne.WidgetRenderer {
	r := &mutedRenderer{m: m, t: canvas.NewText("", nil)}
	r.Refresh()
	return r
}

type mutedRenderer struct {
	m *MutedText
	t *canvas.Text
}

func (r *mutedRenderer) Layout(s fyne.Size) {
	// The text's own height, centred: a row taller than the text keeps it
	// in the middle.
	h := r.t.MinSize().Height
	r.t.Move(fyne.NewPos(theme.InnerPadding()/2, (s.Height-h)/2))
	r.t.Resize(fyne.NewSize(s.Width-theme.InnerPadding(), h))
}

func (r *mutedRenderer) MinSize() fyne.Size {
	return r.t.MinSize().Add(fyne.NewSize(theme.InnerPadding(), theme.InnerPadding()/2))
}

func (r *mutedRenderer) Refresh() {
	r.t.Text, r.t.Alignment = r.m.Text, r.m.Alignment
	r.t.Color, r.t.TextSize = MutedColor(), theme.CaptionTextSize()
	r.t.Refresh()
}

func (r *mutedRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.t} }
func (r *mutedRenderer) Destroy()                     {}

// BubbleLayout puts the user's bubble on the right, as wide as its text
// needs and no wider than bubbleWidth allows.
type BubbleLayout struct {
	Natural func() float32 // the width the text would take on one line per line
}

func (l *BubbleLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return objs[0].MinSize()
}

func (l *BubbleLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := BubbleWidth(size.Width, l.Natural())
	objs[0].Resize(fyne.NewSize(w, size.Height))
	objs[0].Move(fyne.NewPos(size.Width-w, 0))
}

// Caps on the user's bubble: long lines wrap at 75 % of the chat's width,
// and never wider than a comfortable line of text.
const (
	bubbleShare = 0.75
	BubbleMax   = 680
	bubbleMin   = 240 // on a narrow chat the share may go past 75 % to keep this
)

// BubbleWidth is the bubble's width in a chat avail wide, for text that
// would take natural on unwrapped lines.
func BubbleWidth(avail, natural float32) float32 {
	capW := avail * bubbleShare
	if capW > BubbleMax {
		capW = BubbleMax
	}
	if floor := min(avail, bubbleMin); capW < floor {
		capW = floor
	}
	return min(natural, capW)
}

// TextWidth is the width text takes on its longest line at the theme's
// text size; past limit it stops measuring (the bubble is capped anyway).
// Markdown that lays out wider than its source (a table, code, an image)
// counts as limit.
func TextWidth(text string, limit float32) float32 {
	if strings.Contains(text, "```") || strings.Contains(text, "|") || strings.Contains(text, "![") {
		return limit
	}
	size := theme.TextSize()
	var widest float32
	for _, line := range strings.Split(text, "\n") {
		if len(line) > 400 { // far past any cap: no need to measure it
			return limit
		}
		w := fyne.MeasureText(line, size, fyne.TextStyle{}).Width
		if w >= limit {
			return limit
		}
		widest = max(widest, w)
	}
	return widest
}
