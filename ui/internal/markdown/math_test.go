package markdown

import (
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/ui/internal/look"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// segsOf is every segment of v's blocks, nested ones included.
func segsOf(v *View) []widget.RichTextSegment {
	var out []widget.RichTextSegment
	var walk func([]widget.RichTextSegment)
	walk = func(ss []widget.RichTextSegment) {
		for _, s := range ss {
			out = append(out, s)
			switch s := s.(type) {
			case *widget.ParagraphSegment:
				walk(s.Texts)
			case *widget.ListSegment:
				walk(s.Items)
			}
		}
	}
	for _, b := range v.blocks {
		if b.rt != nil {
			walk(b.rt.Segments)
		}
	}
	return out
}

func mathOf(v *View) []*mathSegment {
	var out []*mathSegment
	for _, s := range segsOf(v) {
		if m, ok := s.(*mathSegment); ok {
			out = append(out, m)
		}
	}
	return out
}

// codeTexts is the text of v's monospace segments.
func codeTexts(v *View) []string {
	var out []string
	for _, s := range segsOf(v) {
		if t, ok := s.(*widget.TextSegment); ok && t.Style.TextStyle.Monospace {
			out = append(out, t.Text)
		}
	}
	return out
}

// plainText is the text of v's segments, math as its source.
func plainText(v *View) string {
	var b strings.Builder
	for _, s := range segsOf(v) {
		switch s.(type) {
		case *widget.TextSegment, *mathSegment:
			b.WriteString(s.Textual())
		}
	}
	return b.String()
}

// sameHue reports whether every drawn pixel of m's image is c.
func sameHue(t *testing.T, s *mathSegment, c color.Color) {
	t.Helper()
	r0, g0, b0, _ := c.RGBA()
	img, n := s.math.Image, 0
	for i := 0; i < len(img.Pix); i += 4 {
		a := int(img.Pix[i+3])
		if a < 255 {
			continue
		}
		n++
		if int(img.Pix[i]) != int(r0>>8) || int(img.Pix[i+1]) != int(g0>>8) || int(img.Pix[i+2]) != int(b0>>8) {
			t.Fatalf("%q: an opaque pixel is %v, want %v", s.expr, img.Pix[i:i+4], c)
		}
	}
	if n == 0 {
		t.Fatalf("%q: nothing drawn", s.expr)
	}
}

func TestAnswerMathIsDrawnInlineAndAsABlock(t *testing.T) {
	test.NewTempApp(t).Settings().SetTheme(look.NewAppTheme(nil, nil))
	src := "The area is $\\pi r^2$, and \\(a+b\\) too.\n\nIts integral:\n$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$\nas \\[e^{i\\pi}+1=0\\] shows."
	v := NewText(src)
	w := test.NewTempWindow(t, v.Box)
	w.Resize(fyne.NewSize(600, 500))
	ms := mathOf(v)
	if len(ms) != 4 {
		t.Fatalf("%d math segments, want 4", len(ms))
	}
	for i, want := range []bool{true, true, false, false} {
		if ms[i].Inline() != want {
			t.Errorf("%q: inline %v, want %v", ms[i].expr, ms[i].Inline(), want)
		}
		sameHue(t, ms[i], theme.Color(theme.ColorNameForeground))
	}
	if got := plainText(v); !strings.Contains(got, `$\pi r^2$`) || strings.ContainsFunc(got, isPlaceholder) {
		t.Errorf("the segments' text is %q", got)
	}
	if v.Text() != src {
		t.Error("the text changed")
	}
	// Drawn in the window: inline math is a row of text tall, display math
	// as tall as its image.
	row, _ := fyne.CurrentApp().Driver().RenderedTextSize("M", theme.TextSize(), fyne.TextStyle{}, nil)
	for _, o := range test.LaidOutObjects(v.Box) {
		mv, ok := o.(*mathView)
		if !ok {
			continue
		}
		if mv.seg.display {
			if mv.MinSize().Height < mv.seg.math.Height {
				t.Errorf("%q: display math %v tall, its image %v", mv.seg.expr, mv.MinSize().Height, mv.seg.math.Height)
			}
			continue
		}
		// Inline: just taller than a row, so that RichText moves it to the
		// baseline (mathView), and drawn from there.
		if h := mv.MinSize().Height; h <= row.Height || h > 2*row.Height {
			t.Errorf("%q: inline math %v tall, a row %v", mv.seg.expr, h, row.Height)
		}
		if mv.img.Position().Y != -mv.seg.math.Ascent {
			t.Errorf("%q: the image is at %v, want its baseline at the view's top", mv.seg.expr, mv.img.Position())
		}
	}
}

func TestMathThatCannotBeDrawnShowsItsSource(t *testing.T) {
	test.NewTempApp(t)
	v := NewText("See $\\begin{matrix} a \\end{matrix}$ and $\\nosuchmacro{x}$ and $x^$.\n\n$$\\frac{a}$$")
	if n := len(mathOf(v)); n != 0 {
		t.Errorf("%d drawn", n)
	}
	got := strings.Join(codeTexts(v), "|")
	for _, want := range []string{`$\nosuchmacro{x}$`, `$x^$`, `$$\frac{a}$$`} {
		if !strings.Contains(got, want) {
			t.Errorf("%q is not shown as code: %q", want, got)
		}
	}
}

func TestCurrencyEscapesAndCodeAreNotMath(t *testing.T) {
	test.NewTempApp(t)
	v := NewText("It costs $5 and $10, or \\$20.\n\nRun `echo $HOME$` first.\n\n```sh\necho $x$\n```")
	if n := len(mathOf(v)); n != 0 {
		t.Errorf("%d math segments in currency and code", n)
	}
	if got := plainText(v); !strings.Contains(got, "$5 and $10") || !strings.Contains(got, "$20") {
		t.Errorf("the text shows %q", got)
	}
}

func TestMathFollowsTheTheme(t *testing.T) {
	a := test.NewTempApp(t)
	base := look.NewAppTheme(nil, nil)
	a.Settings().SetTheme(look.Forced(base, theme.VariantLight))
	v := NewText("Light: $x^2 + y^2$\n\n$$\\sum_{i=1}^n i$$")
	w := test.NewTempWindow(t, v.Box)
	w.Resize(fyne.NewSize(500, 300))
	light := base.Color(theme.ColorNameForeground, theme.VariantLight)
	dark := base.Color(theme.ColorNameForeground, theme.VariantDark)
	if light == dark {
		t.Fatal("the theme's foregrounds are the same")
	}
	for _, m := range mathOf(v) {
		sameHue(t, m, light)
	}
	a.Settings().SetTheme(look.Forced(base, theme.VariantDark))
	for _, b := range v.blocks {
		b.rt.Refresh() // what Fyne does for every widget on a theme change
	}
	for _, m := range mathOf(v) {
		sameHue(t, m, dark)
	}
	for _, o := range test.LaidOutObjects(v.Box) {
		if mv, ok := o.(*mathView); ok && mv.img.Image != mv.seg.math.Image {
			t.Errorf("%q: the view shows the old image", mv.seg.expr)
		}
	}
}

func TestStreamingMath(t *testing.T) {
	test.NewTempApp(t)
	v := New()
	v.Append("It costs $5 and $")
	if n := len(mathOf(v)); n != 0 {
		t.Fatalf("a $ at the end of the stream closed math (%d)", n)
	}
	v.Append("10 a day.\n\n$$\n\\sum_{i=1}^n")
	if n := len(mathOf(v)); n != 0 {
		t.Fatalf("currency or an unclosed $$ drawn (%d)", n)
	}
	if got := plainText(v); !strings.Contains(got, `\sum_{i=1}^n`) {
		t.Errorf("the unclosed display math is not shown as source: %q", got)
	}
	v.Append(" i\n$$\n\nSo $x$")
	if ms := mathOf(v); len(ms) != 1 || !ms[0].display {
		t.Fatalf("after $$ closed: %d math segments", len(ms))
	}
	v.Finish()
	if ms := mathOf(v); len(ms) != 2 || ms[1].expr != "x" {
		t.Fatalf("after the stream ended: %d math segments", len(ms))
	}
}

func TestManyExpressionsAreBoundedPerAnswer(t *testing.T) {
	test.NewTempApp(t)
	var b strings.Builder
	for i := 0; i < mathPerView+50; i++ {
		b.WriteString("$x_{" + strings.Repeat("1", i%40+1) + "}^{" + string(rune('a'+i/40)) + "}$ ")
	}
	v := NewText(b.String())
	if n := len(mathOf(v)); n != mathPerView {
		t.Errorf("%d expressions drawn, want the budget of %d", n, mathPerView)
	}
	if n := len(codeTexts(v)); n != 50 {
		t.Errorf("%d shown as source, want 50", n)
	}
}

func TestHostileMath(t *testing.T) {
	test.NewTempApp(t)
	cases := map[string]string{
		"10,000 dollars":     strings.Repeat("$", 10000),
		"1 MB expression":    "$$" + strings.Repeat("x+", 1<<19) + "$$",
		"1 MB inline":        "$" + strings.Repeat("x+", 1<<19) + "y$",
		"braces 10,000 deep": "$" + strings.Repeat("{", 10000) + "x" + strings.Repeat("}", 10000) + "$",
		"dollars and text":   strings.Repeat("$a $", 20000),
		"5,000 expressions":  strings.Repeat("$x$ ", 5000),
	}
	for name, src := range cases {
		t0 := time.Now()
		v := NewText(src)
		if d := time.Since(t0); d > 3*time.Second {
			t.Errorf("%s: %v to build", name, d)
		}
		if len(mathOf(v)) > mathPerBlock {
			t.Errorf("%s: %d drawn", name, len(mathOf(v)))
		}
		if v.Text() != src {
			t.Errorf("%s: the text changed", name)
		}
	}
}

func TestDisplayMathAddsNoEmptyRow(t *testing.T) {
	test.NewTempApp(t)
	v := NewText("$$x^2$$")
	segs := v.blocks[0].rt.Segments
	if len(segs) != 1 {
		t.Errorf("%d segments for a display formula alone, want 1 (no empty row after it)", len(segs))
	}
}

func TestMathInLinksTablesAndHeadings(t *testing.T) {
	test.NewTempApp(t)
	if got := findMath("[see $x$](https://example.com/$y$) and $z$", true); len(got) != 2 || got[0].expr != "x" || got[1].expr != "z" {
		t.Errorf("math around a link: %q", exprs(got))
	}
	v := NewText("# Heading $x^2$\n\nText $x^2$\n\n| a | b |\n|---|---|\n| $\\alpha$ | 2 |")
	ms := mathOf(v)
	if len(ms) != 2 {
		t.Fatalf("%d math segments outside the table, want 2", len(ms))
	}
	if ms[0].math.Height <= ms[1].math.Height {
		t.Errorf("math in a heading is %v tall, in text %v", ms[0].math.Height, ms[1].math.Height)
	}
	table := v.blocks[2].table
	if table == nil {
		t.Fatal("no table")
	}
	found := false
	for _, s := range table.cells[1][0].Segments {
		if m, ok := s.(*mathSegment); ok && m.expr == `\alpha` {
			found = true
		}
	}
	if !found {
		t.Error("the table cell's math is not drawn")
	}
}

// A paragraph of inline math alone ends with a text that has a baseline
// (Fyne ends a paragraph with an empty text, whose baseline is 0).
func TestInlineMathAloneInItsRowSitsOnTheBaseline(t *testing.T) {
	test.NewTempApp(t)
	v := NewText("$x^2$")
	w := test.NewTempWindow(t, v.Box)
	w.Resize(fyne.NewSize(400, 200))
	_, base := fyne.CurrentApp().Driver().RenderedTextSize("M", theme.TextSize(), fyne.TextStyle{}, nil)
	var textY float32 = -1
	for _, o := range test.LaidOutObjects(v.Box) {
		if txt, ok := o.(*canvas.Text); ok && txt.Text == " " {
			textY = txt.Position().Y
		}
	}
	if textY < 0 {
		t.Fatal("the paragraph does not end with a space")
	}
	n := 0
	for _, o := range test.LaidOutObjects(v.Box) {
		if mv, ok := o.(*mathView); ok {
			n++
			if p := mv.Position().Y + mv.img.Position().Y + mv.seg.math.Ascent; p < textY+base-0.5 || p > textY+base+0.5 {
				t.Errorf("alone in its row the math's baseline is at %v, want the text's %v", p, textY+base)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d math views", n)
	}
}
