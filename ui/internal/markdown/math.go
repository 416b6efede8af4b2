package markdown

import (
	"image/color"
	"math"
	"strings"
	"sync/atomic"

	"github.com/deskchat/deskchat/ui/internal/mathtex"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Math in answers (mathscan.go finds it) is set by mathtex as an image in
// the theme's foreground colour: inline math as an inline segment sitting
// on the text's baseline, display math as a centred block of its own. What
// mathtex cannot draw, and math past a view's budget, shows as its source
// in code style. Fyne's markdown never sees the TeX: each expression is
// replaced by one private-use rune before parsing and the rune by the
// math's segment after.
const (
	mathPerView    = 100     // distinct expressions drawn in one message; the rest show as source
	mathPerBlock   = 100     // expressions drawn in one block (a widget each); the rest show as source
	placeholder    = 0xF0000 // the first rune standing for an expression (plane 15, private use)
	maxPlaceholder = 0xFFFFD - placeholder
)

// mathBudget counts the distinct expressions a view has drawn, and the
// expressions of the block being parsed.
type mathBudget struct {
	seen  map[string]bool
	block int
}

// allow reports whether expr may be drawn: the block has drawn fewer than
// mathPerBlock, and expr was drawn before or the view has drawn fewer than
// mathPerView.
func (b *mathBudget) allow(expr string) bool {
	if b.block >= mathPerBlock {
		return false
	}
	b.block++
	if b.seen[expr] {
		return true
	}
	if len(b.seen) >= mathPerView {
		return false
	}
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	b.seen[expr] = true
	return true
}

// scale is the pixel scale math is drawn at before its view knows its
// canvas: the last one a view saw.
var scale atomic.Uint32 // math.Float32bits; 0: 1

func currentScale() float32 {
	if s := scale.Load(); s != 0 {
		return float32frombits(s)
	}
	return 1
}

// withMath replaces src's math with placeholders; spans are the math
// found, in order (at most maxPlaceholder).
func withMath(src string, final bool) (string, []mathSpan) {
	spans := findMath(src, final)
	if len(spans) == 0 {
		return src, nil
	}
	if len(spans) > maxPlaceholder {
		spans = spans[:maxPlaceholder]
	}
	var b strings.Builder
	b.Grow(len(src))
	last := 0
	for k, sp := range spans {
		b.WriteString(src[last:sp.start])
		b.WriteRune(rune(placeholder + k))
		last = sp.end
	}
	b.WriteString(src[last:])
	return b.String(), spans
}

// placeMath swaps the placeholders in segs for the math's segments.
func placeMath(segs []widget.RichTextSegment, src string, spans []mathSpan, budget *mathBudget) []widget.RichTextSegment {
	out := segs[:0:0]
	for _, s := range segs {
		switch s := s.(type) {
		case *widget.ParagraphSegment:
			s.Texts = placeMath(s.Texts, src, spans, budget)
		case *widget.ListSegment:
			s.Items = placeMath(s.Items, src, spans, budget)
		case *widget.HyperlinkSegment:
			s.Text = restoreMath(s.Text, src, spans)
		case *widget.TextSegment:
			if strings.IndexFunc(s.Text, isPlaceholder) >= 0 {
				out = splitMath(out, s, src, spans, budget)
				continue
			}
			if s.Text == "" && afterDisplay(out) {
				continue // the paragraph's end: display math ended the row
			}
			if s.Text == "" && afterInline(out) {
				s.Text = " " // a baseline for the math to sit on (mathView)
			}
		}
		out = append(out, s)
	}
	return out
}

func isPlaceholder(r rune) bool { return r >= placeholder && r < placeholder+maxPlaceholder }

// restoreMath puts the math's source back for its placeholders.
func restoreMath(s, src string, spans []mathSpan) string {
	var b strings.Builder
	for _, r := range s {
		if k := int(r - placeholder); isPlaceholder(r) && k < len(spans) {
			b.WriteString(src[spans[k].start:spans[k].end])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// splitMath appends t to out, cut at its placeholders, each placeholder
// its math's segment.
func splitMath(out []widget.RichTextSegment, t *widget.TextSegment, src string, spans []mathSpan, budget *mathBudget) []widget.RichTextSegment {
	inline := t.Style
	inline.Inline = true
	text := t.Text
	for {
		i := strings.IndexFunc(text, isPlaceholder)
		if i < 0 {
			break
		}
		r := []rune(text[i:])[0]
		n := len(string(r))
		k := int(r - placeholder)
		before, after := text[:i], text[i+n:]
		if k >= len(spans) || t.Style.TextStyle.Monospace {
			// Not ours, or in code (indented code in a text block): source.
			text = before + restoreMath(string(r), src, spans) + after
			continue
		}
		sp := spans[k]
		seg := mathSegmentFor(sp, src[sp.start:sp.end], t.Style.SizeName, budget)
		if sp.display {
			before = strings.TrimRight(before, " ")
			after = strings.TrimLeft(after, " ")
			if before != "" {
				block := t.Style
				block.Inline = false
				out = append(out, &widget.TextSegment{Text: before, Style: block})
			} else {
				out = endRow(out)
			}
		} else if before != "" {
			out = append(out, &widget.TextSegment{Text: before, Style: inline})
		}
		out = append(out, seg)
		text = after
	}
	if text == "" && afterDisplay(out) {
		return out // display math ended the row already
	}
	if text == "" && !t.Style.Inline && afterInline(out) {
		text = " " // a baseline for the math to sit on (mathView)
	}
	if text != "" || !t.Style.Inline {
		out = append(out, &widget.TextSegment{Text: text, Style: t.Style})
	}
	return out
}

// afterDisplay reports whether the last of out is display math.
func afterDisplay(out []widget.RichTextSegment) bool {
	if n := len(out); n > 0 {
		m, ok := out[n-1].(*mathSegment)
		return ok && m.display
	}
	return false
}

// afterInline reports whether the last of out is inline math: a row's end
// after it must be text that has a baseline (an empty text has none).
func afterInline(out []widget.RichTextSegment) bool {
	if n := len(out); n > 0 {
		m, ok := out[n-1].(*mathSegment)
		return ok && !m.display
	}
	return false
}

// endRow ends the row the last segment of out is on, if it is inline:
// RichText places a block after inline text on the text's row.
func endRow(out []widget.RichTextSegment) []widget.RichTextSegment {
	n := len(out)
	if n == 0 || !out[n-1].Inline() {
		return out
	}
	if t, ok := out[n-1].(*widget.TextSegment); ok {
		t.Style.Inline = false
		return out
	}
	return append(out, &widget.TextSegment{Style: widget.RichTextStyleParagraph})
}

// mathSegmentFor is the math's segment, or its source in code style when
// it cannot be drawn or the view's budget is spent.
func mathSegmentFor(sp mathSpan, source string, size fyne.ThemeSizeName, budget *mathBudget) widget.RichTextSegment {
	s := &mathSegment{source: source, expr: sp.expr, display: sp.display, size: size}
	if budget.allow(sp.expr) && s.render() == nil {
		return s
	}
	style := widget.RichTextStyleCodeInline
	if sp.display {
		style = widget.RichTextStyleCodeBlock
	}
	return &widget.TextSegment{Text: source, Style: style}
}

// mathSegment is drawn math in a RichText.
type mathSegment struct {
	source  string // with its delimiters: what Copy and selection see
	expr    string
	display bool
	size    fyne.ThemeSizeName // the surrounding text's
	math    *mathtex.Math
}

var _ widget.RichTextSegment = (*mathSegment)(nil)

// render draws the math in the theme's foreground colour at the current
// scale, unless it is drawn so already.
func (s *mathSegment) render() error {
	o := mathtex.Options{
		Size:    theme.Size(textSizeName(s.size)),
		Scale:   currentScale(),
		Color:   theme.Color(theme.ColorNameForeground),
		Display: s.display,
	}
	if s.math != nil && s.math.Size == o.Size && s.math.Scale == o.Scale && sameColor(s.math.Color, o.Color) {
		return nil
	}
	m, err := mathtex.Shared.Render(s.expr, o)
	if err != nil {
		return err
	}
	s.math = m
	return nil
}

func textSizeName(n fyne.ThemeSizeName) fyne.ThemeSizeName {
	if n == "" {
		return theme.SizeNameText
	}
	return n
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

func (s *mathSegment) Inline() bool    { return !s.display }
func (s *mathSegment) Textual() string { return s.source }

func (s *mathSegment) Visual() fyne.CanvasObject { return newMathView(s) }

// Update draws the math again when the theme's colour or the scale
// changed since (a theme change refreshes every RichText).
func (s *mathSegment) Update(o fyne.CanvasObject) {
	if v, ok := o.(*mathView); ok {
		v.seg = s
		v.Refresh()
	}
}

func (s *mathSegment) Select(_, _ fyne.Position) {}
func (s *mathSegment) SelectedText() string      { return "" }
func (s *mathSegment) Unselect()                 {}

// mathView shows a mathSegment's image; display math is centred in the
// width it is given. Inline math sits on the text's baseline, which takes
// knowing how RichText lays a row out (fyne v2.7.1, widget/richtext.go,
// layoutRow): an object alone in its row is given the row's whole width
// at the row's top; among others, each gets its MinSize at the row's top
// and, when their heights differ, every object that is not text is moved
// down to the texts' baseline (it has none of its own) while the texts
// stay. The view is made a little taller than a row of text so that the
// second case always holds, and draws its image from its top when alone,
// else from the baseline (above its own top). The math may reach below
// the row (the row grows) but not above the text's ascent (the row above
// is there): taller math is scaled down.
type mathView struct {
	widget.BaseWidget
	seg *mathSegment
	img *canvas.Image
}

func newMathView(s *mathSegment) *mathView {
	v := &mathView{seg: s, img: canvas.NewImageFromImage(s.math.Image)}
	v.img.ScaleMode = canvas.ImageScaleSmooth
	v.img.FillMode = canvas.ImageFillStretch
	v.ExtendBaseWidget(v)
	return v
}

func (v *mathView) CreateRenderer() fyne.WidgetRenderer { return &mathRenderer{v: v} }

// row is the height of a row of the surrounding text and its baseline.
func (v *mathView) row() (height, baseline float32) {
	size := theme.Size(textSizeName(v.seg.size))
	s, base := fyne.CurrentApp().Driver().RenderedTextSize("M", size, fyne.TextStyle{}, nil)
	return s.Height, base
}

// fit is the image's size and place in a view of size w×h.
func (v *mathView) fit(w, h float32) (fyne.Size, fyne.Position) {
	m := v.seg.math
	size := fyne.NewSize(m.Width, m.Height)
	if v.seg.display {
		if size.Width > w && w > 0 {
			size = fyne.NewSize(w, m.Height*w/m.Width)
		}
		return size, fyne.NewPos((w-size.Width)/2, mathPad)
	}
	k := v.shrink()
	size = fyne.NewSize(m.Width*k, m.Height*k)
	if min := v.minSize(); w > min.Width+0.5 { // alone in its row: at its top
		_, base := v.row()
		return size, fyne.NewPos(0, base-m.Ascent*k)
	}
	return size, fyne.NewPos(0, -m.Ascent*k) // moved to the baseline
}

// shrink is the scale inline math is shown at: 1 unless it reaches higher
// above the baseline than the text does.
func (v *mathView) shrink() float32 {
	_, base := v.row()
	if a := v.seg.math.Ascent; a > base {
		return base / a
	}
	return 1
}

// rowTaller is how much taller than a row of text inline math is at least.
const rowTaller = 0.01

func (v *mathView) minSize() fyne.Size {
	m := v.seg.math
	if v.seg.display {
		return fyne.NewSize(m.Width, m.Height+2*mathPad)
	}
	k := v.shrink()
	h, base := v.row()
	return fyne.NewSize(m.Width*k, max(h+rowTaller, base+(m.Height-m.Ascent)*k))
}

// mathPad is the room above and below display math.
const mathPad = 4

type mathRenderer struct{ v *mathView }

func (r *mathRenderer) Layout(size fyne.Size) {
	if c := fyne.CurrentApp().Driver().CanvasForObject(r.v); c != nil && c.Scale() > 0 {
		if s := c.Scale(); s != currentScale() {
			scale.Store(float32bits(s))
			r.Refresh()
		}
	}
	s, p := r.v.fit(size.Width, size.Height)
	r.v.img.Resize(s)
	r.v.img.Move(p)
}

func (r *mathRenderer) MinSize() fyne.Size { return r.v.minSize() }

func (r *mathRenderer) Refresh() {
	old := r.v.seg.math
	if r.v.seg.render() == nil && r.v.seg.math != old {
		r.v.img.Image = r.v.seg.math.Image
		r.Layout(r.v.Size())
	}
	r.v.img.Refresh()
}

func (r *mathRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.v.img} }
func (r *mathRenderer) Destroy()                     {}

func float32bits(f float32) uint32     { return math.Float32bits(f) }
func float32frombits(u uint32) float32 { return math.Float32frombits(u) }
