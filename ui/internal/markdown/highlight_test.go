package markdown

import (
	"fmt"
	"github.com/deskchat/deskchat/ui/internal/look"
	"image/color"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// colored returns the texts of segs that have a code colour.
func colored(segs []widget.RichTextSegment) map[string]fyne.ThemeColorName {
	out := map[string]fyne.ThemeColorName{}
	for _, s := range segs {
		if ts, ok := s.(*widget.TextSegment); ok && strings.HasPrefix(string(ts.Style.ColorName), look.CodeColorPrefix) {
			out[strings.TrimSpace(ts.Text)] = ts.Style.ColorName
		}
	}
	return out
}

func tokenOf(n fyne.ThemeColorName) chroma.TokenType {
	k, _ := strconv.Atoi(strings.TrimPrefix(string(n), look.CodeColorPrefix))
	return chroma.TokenType(k)
}

// rowsOf splits segments back into the rows they show.
func rowsOf(segs []widget.RichTextSegment) []string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.(*widget.TextSegment).Text)
	}
	return strings.Split(b.String(), "\n")
}

// codeApp is a test app drawing with the app's theme.
func codeApp(t *testing.T) {
	test.NewTempApp(t).Settings().SetTheme(look.NewAppTheme(nil, nil))
}

func codeBlock(t *testing.T, v *View) *mdBlock {
	t.Helper()
	for _, b := range v.blocks {
		if b.shape == kindCode {
			return b
		}
	}
	t.Fatal("no code block")
	return nil
}

func TestACodeBlockIsHighlightedOnceFinished(t *testing.T) {
	codeApp(t)
	v := New()
	test.NewTempWindow(t, v.Box)
	for _, tok := range tokens("Look:\n\n```go\nfunc main() {\n\tfmt.Println(\"hi\") // say it\n}\n") {
		v.Append(tok)
	}
	b := codeBlock(t, v)
	if len(colored(b.rt.Segments)) != 0 {
		t.Fatal("the code block is highlighted while it streams")
	}
	v.Append("```\n\nAnd after.")
	c := colored(b.rt.Segments)
	for text, cat := range map[string]chroma.TokenType{"func": chroma.Keyword, `"hi"`: chroma.LiteralString, "// say it": chroma.Comment} {
		if !tokenOf(c[text]).InCategory(cat) && !tokenOf(c[text]).InSubCategory(cat) {
			t.Errorf("%s coloured as %v, want %v", text, tokenOf(c[text]), cat)
		}
	}
	if got := strings.Join(rowsOf(b.rt.Segments), "\n"); got != "func main() {\n\tfmt.Println(\"hi\") // say it\n}" {
		t.Errorf("the highlighted block shows %q", got)
	}

	// An answer ending in a code block: highlighted when it finishes.
	v = New()
	v.Append("```python\ndef f():\n    return 1\n")
	if len(colored(codeBlock(t, v).rt.Segments)) != 0 {
		t.Fatal("highlighted while streaming")
	}
	v.Finish()
	if c := colored(codeBlock(t, v).rt.Segments); c["def"] == "" {
		t.Errorf("python after finish: %v", c)
	}
}

func TestUnknownLanguagesAndTablesAsTextStayPlain(t *testing.T) {
	codeApp(t)
	for _, src := range []string{
		"```nosuchlanguage\nfunc main() {}\n```",
		"```\nfunc main() {}\n```",
	} {
		v := NewText(src)
		if c := colored(codeBlock(t, v).rt.Segments); len(c) != 0 {
			t.Errorf("%q: coloured %v", src, c)
		}
		if got := codeBlock(t, v).rt.String(); !strings.Contains(got, "func main() {}") {
			t.Errorf("%q shows %q", src, got)
		}
	}
}

func TestCodeColoursFollowTheThemeVariant(t *testing.T) {
	th := look.NewAppTheme(theme.DefaultTheme(), nil)
	kw := look.CodeColorName(chroma.Keyword)
	light, dark := th.Color(kw, theme.VariantLight), th.Color(kw, theme.VariantDark)
	if light == dark {
		t.Errorf("keywords are %v in both variants", light)
	}
	for _, c := range []color.Color{light, dark} {
		if c == th.Color(theme.ColorNameForeground, theme.VariantLight) || c == th.Color(theme.ColorNameForeground, theme.VariantDark) {
			t.Errorf("keywords drawn as plain text: %v", c)
		}
	}
	// A token the style does not colour is drawn as text is.
	if th.Color(look.CodeColorPrefix+"x", theme.VariantDark) != th.Color(theme.ColorNameForeground, theme.VariantDark) {
		t.Error("a colour name of no token is not the foreground colour")
	}
	// The forced variants (Light, Dark in the settings) give their colours.
	forced := look.Forced(th, theme.VariantDark)
	if forced.Color(kw, theme.VariantLight) != dark {
		t.Error("the Dark setting does not give dark code colours")
	}
}

func TestHighlightedRowsKeepTheCodeAndBreakLongLines(t *testing.T) {
	long := "x := \"" + strings.Repeat("ab", 400) + "\""
	code := "package main\n\n" + long + "\n// 中文注释 ok\n"
	codeApp(t)
	segs := highlightSegments(code, "go")
	rows := rowsOf(segs)
	if strings.Join(rows, "") != strings.ReplaceAll(code, "\n", "") {
		t.Error("the rows do not hold the code")
	}
	if len(rows) < 8 {
		t.Errorf("%d rows for %d lines, one of %d runes", len(rows), 4, len(long))
	}
	for _, r := range rows {
		if n := utf8.RuneCountInString(r); n > CodeWrap {
			t.Errorf("a row of %d runes (max %d)", n, CodeWrap)
		}
	}
	if rows[1] != "" {
		t.Errorf("an empty line shows as %q", rows[1])
	}
	for _, s := range segs {
		if n := strings.Count(s.(*widget.TextSegment).Text, "\n"); n > CodeGroup {
			t.Errorf("a segment of %d lines", n)
		}
	}

	// Set as tightly as plain code (which adds a line spacing after each
	// group of codeGroup lines): no taller, and not by a row shorter.
	var many strings.Builder
	for i := range 120 {
		fmt.Fprintf(&many, "x%d := f(%d) // %d\n\n", i, i, i)
	}
	plain, lit := newRichText(), newRichText()
	plain.Segments, lit.Segments = codeSegments(many.String()), highlightSegments(many.String(), "go")
	test.NewTempWindow(t, container.NewVBox(plain, lit)).Resize(fyne.NewSize(700, 4000))
	if len(colored(lit.Segments)) == 0 {
		t.Fatal("not highlighted")
	}
	if p, l := plain.MinSize().Height, lit.MinSize().Height; l > p || p-l > 5*theme.LineSpacing() {
		t.Errorf("highlighted code is %.0f high, plain %.0f", l, p)
	}
}

// TestHighlightingHostileCodeIsBounded: a 50,000-line block and a 2 MB
// line are tokenized only as far as they are shown.
func TestHighlightingHostileCodeIsBounded(t *testing.T) {
	codeApp(t)
	var lines strings.Builder
	for i := range 50000 {
		lines.WriteString("func f")
		lines.WriteString(strings.Repeat("x", i%40))
		lines.WriteString("() { return \"s\" } // c\n")
	}
	for name, src := range map[string]string{
		"50,000 lines": "```go\n" + lines.String() + "```",
		"a 2 MB line":  "```go\nvar s = \"" + strings.Repeat("a\\\"b ", 2<<20/5) + "\"\n```",
	} {
		t0 := time.Now()
		v := NewText(src)
		d := time.Since(t0)
		b := codeBlock(t, v)
		if len(colored(b.rt.Segments)) == 0 {
			t.Errorf("%s: not highlighted", name)
		}
		shown := len(b.shown)
		if shown > codeBytes {
			t.Errorf("%s: %d bytes shown", name, shown)
		}
		n := 0
		for _, r := range rowsOf(b.rt.Segments) {
			n += len(r)
		}
		if n > shown {
			t.Errorf("%s: %d bytes laid out, more than the %d shown", name, n, shown)
		}
		if b.more == nil || !b.more.obj.Visible() {
			t.Errorf("%s: no note says the block is shown in part", name)
		}
		// Generous: tokenizing all of it takes far longer (about a
		// minute under -race).
		if d > 10*time.Second {
			t.Errorf("%s: %v to show", name, d)
		}
		t.Logf("%s: shown in %v", name, d)
	}
}
