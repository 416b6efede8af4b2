package markdown

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// renderTokens is the answer length of the render benchmark, in tokens.
const renderTokens = 4000

// benchTokens is a 4,000-token Simulator answer whose last 200 tokens repeat
// its first 200 (starting on a block boundary), so that the two windows the
// benchmark compares render the same markdown and differ only in how much
// came before.
func benchTokens() []string {
	head := tokens(engine.SimulatedMarkdown("render benchmark", renderTokens))
	first := head[:200]
	body := strings.Join(head[:renderTokens-200], "")
	spans := splitBlocks(body, true)
	body = body[:spans[len(spans)-1].end] + "\n\n" // whole blocks only
	toks := append(tokens(body), first...)
	return toks[len(toks)-renderTokens:]
}

// BenchmarkRenderTokens streams a 4,000-token markdown answer into the chat
// view on Fyne's test canvas, one token per update (the worst case: the
// bridge coalesces to at most 60 updates a second), and reports the mean cost
// of one update over the first and the last 200 tokens, which carry the same
// text. Flat is the goal: the last 200 cost about what the first 200 do. As the floor to beat it also
// times the naive way, one RichText re-parsing all the text, over the same
// last 200 tokens.
func BenchmarkRenderTokens(b *testing.B) {
	test.NewTempApp(b)
	toks := benchTokens()
	// The answer streams into a chat that already shows an answer of the
	// same size, as it does in the app: the first 200 tokens then pay for
	// the same heap (the garbage collector's work grows with it) as the
	// last 200, and start-up costs (fonts, glyph caches) are paid before.
	earlier := New()
	test.NewTempWindow(b, earlier.Box)
	for _, tok := range toks {
		earlier.Append(tok)
	}
	earlier.Finish()
	defer runtime.KeepAlive(earlier)
	var first, last, naive time.Duration
	for i := 0; i < b.N; i++ {
		v := New()
		w := test.NewTempWindow(b, container.NewVScroll(v.Box))
		w.Resize(fyne.NewSize(800, 600))
		for j, tok := range toks {
			t0 := time.Now()
			v.Append(tok)
			d := time.Since(t0)
			switch {
			case j < 200:
				first += d
			case j >= len(toks)-200:
				last += d
			}
		}
		v.Finish()

		rt := widget.NewRichText()
		rt.Wrapping = fyne.TextWrapWord
		test.NewTempWindow(b, container.NewVScroll(rt)).Resize(fyne.NewSize(800, 600))
		prefix := strings.Join(toks[:len(toks)-200], "")
		for _, tok := range toks[len(toks)-200:] {
			prefix += tok
			t0 := time.Now()
			rt.ParseMarkdown(prefix)
			naive += time.Since(t0)
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(200*b.N) }
	b.ReportMetric(per(first), "render_token_us_first200@us")
	b.ReportMetric(per(last), "render_token_us_last200@us")
	b.ReportMetric(per(naive), "render_token_us_last200_naive@us")
	b.ReportMetric(float64(len(toks)), "render_tokens@tokens")
}

// codeAnswer is a code-heavy answer of about n tokens (of tokens()): short
// paragraphs, each followed by a Go or Python block of 20 to 40 lines.
func codeAnswer(n int) []string {
	var b strings.Builder
	for i := 0; len(b.String())/4 < n; i++ {
		fmt.Fprintf(&b, "Step %d: the function below handles **case %d**.\n\n", i, i)
		if i%2 == 0 {
			b.WriteString("```go\n")
			for l := range 20 + i%21 {
				fmt.Fprintf(&b, "\tif v%d := compute(%d, \"s%d\"); v%d > limit { // check %d\n\t\treturn v%d\n\t}\n", l, l, i, l, l, l)
			}
		} else {
			b.WriteString("```python\n")
			for l := range 20 + i%21 {
				fmt.Fprintf(&b, "def f%d(x):\n    return x * %d  # step %d\n", l, l, i)
			}
		}
		b.WriteString("```\n\n")
	}
	return tokens(b.String())[:n]
}

// BenchmarkRenderCodeTokens streams a 4,000-token code-heavy answer into
// the chat view, one token per update, with the app's theme (code is
// highlighted once a block is finished), and reports the mean cost of one
// update over the first and the last 200 tokens.
func BenchmarkRenderCodeTokens(b *testing.B) {
	test.NewTempApp(b).Settings().SetTheme(look.NewAppTheme(nil, nil))
	toks := codeAnswer(renderTokens)
	warm := New() // lexers compiled, glyph caches filled
	test.NewTempWindow(b, warm.Box)
	for _, tok := range toks {
		warm.Append(tok)
	}
	warm.Finish()
	defer runtime.KeepAlive(warm)
	var first, last time.Duration
	lit := 0
	for i := 0; i < b.N; i++ {
		v := New()
		w := test.NewTempWindow(b, container.NewVScroll(v.Box))
		w.Resize(fyne.NewSize(800, 600))
		for j, tok := range toks {
			t0 := time.Now()
			v.Append(tok)
			d := time.Since(t0)
			switch {
			case j < 200:
				first += d
			case j >= len(toks)-200:
				last += d
			}
		}
		v.Finish()
		for _, bl := range v.blocks {
			if bl.lit {
				lit++
			}
		}
	}
	if lit == 0 {
		b.Fatal("no code block was highlighted")
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(200*b.N) }
	b.ReportMetric(per(first), "render_code_token_us_first200@us")
	b.ReportMetric(per(last), "render_code_token_us_last200@us")
}
