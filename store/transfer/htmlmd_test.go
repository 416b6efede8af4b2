package transfer

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/deskchat/deskchat/store"
)

// tinyPNG is a 1x1 PNG as a data: URL: an image kept inside the file.
const tinyPNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

// richDump is a chat with what the HTML export must render: a table, code
// in Go and in a language chroma does not know, a remote image and an
// inline one, raw HTML meant to run, math-ish text and CJK text.
func richDump(remote string) store.Dump {
	user := "Compare these <b>please</b>:\n\n| Language | Typing | Since |\n|---|:---:|---:|\n| Go | static | 2009 |\n| Python | dynamic | 1991 |\n| `C` \\| C++ | static | 1972 |"
	answer := strings.Join([]string{
		"Here is Go:",
		"",
		"```go",
		"func main() {",
		"\tfmt.Println(\"<b>hi</b>\") // a comment",
		"}",
		"```",
		"",
		"And something chroma has never heard of:",
		"",
		"```frobnicate",
		"frob <x> & y",
		"```",
		"",
		"A chart: ![the chart](" + remote + " \"Chart\") and a dot: ![dot](" + tinyPNG + ")",
		"",
		"<script>alert('script')</script>",
		"",
		"Inline <img src=x onerror=alert('img')> and <iframe src=\"" + remote + "\"></iframe> and [a link](javascript:alert('link')).",
		"",
		"<div onclick=\"alert('div')\">",
		"*still HTML*",
		"</div>",
		"",
		"Math-ish: $E = mc^2$, \\(a_1 + b_2 < c_3\\), 2 * 3 * 4 = 24 and x_1 > x_2.",
		"",
		"日本語の**テキスト**です。中文文本，한국어 텍스트。",
		"Second line kept.",
	}, "\n")
	return store.Dump{
		Conversation: store.Conversation{ID: "rich01", Title: "Rich <Markdown>", Provider: "openai", Model: "gpt-4o", CreatedAt: t0, UpdatedAt: t0},
		Messages: []store.Message{
			{Seq: 1, Role: store.RoleUser, Content: user, State: store.StateDone, CreatedAt: t0},
			{Seq: 2, Role: store.RoleAssistant, Content: answer, Reasoning: "Think about **tables** first.", Model: "gpt-4o", State: store.StateDone, CreatedAt: t0.Add(time.Second)},
		},
	}
}

func renderOne(t *testing.T, d store.Dump) string {
	t.Helper()
	st := openStore(t)
	seed(t, st, []store.Import{{Dump: d}})
	return exportString(t, st, ExportOptions{Format: HTML})
}

func TestExportHTMLRichGolden(t *testing.T) {
	got := renderOne(t, richDump("https://example.com/chart.png"))
	path := filepath.Join("testdata", "golden", "export-rich.html")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("export differs from %s (run with -update if the change is meant):\n%s", path, got)
	}
}

// TestExportHTMLRendersMarkdown checks the parts of the rich page one by
// one, so that a golden file rewritten in haste cannot hide a regression.
func TestExportHTMLRendersMarkdown(t *testing.T) {
	page := renderOne(t, richDump("https://example.com/chart.png"))
	for _, s := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
		"<table>", `<th style="text-align:center">Typing</th>`, "<td>Python</td>", "<code>C</code> | C++",
		`<pre class="chroma"><code>`, `<span class="kd">func</span>`, `<span class="c1">// a comment</span>`,
		`<pre><code class="language-frobnicate">frob &lt;x&gt; &amp; y`,
		`<a class="image" href="https://example.com/chart.png" title="Chart">[image: the chart]</a>`,
		`<img src="` + tinyPNG + `" alt="dot">`,
		`<p class="raw">&lt;script&gt;alert(&#39;script&#39;)&lt;/script&gt;</p>`,
		`Inline &lt;img src=x onerror=alert('img')&gt; and &lt;iframe src=&#34;https://example.com/chart.png&#34;&gt;&lt;/iframe&gt;`,
		`<span class="link">a link</span>`,
		"日本語の<strong>テキスト</strong>です。中文文本，한국어 텍스트。<br>\nSecond line kept.",
		"Compare these &lt;b&gt;please&lt;/b&gt;:",
		"<summary>Reasoning</summary><div class=\"text\">\n<p>Think about <strong>tables</strong> first.</p>",
		".chroma .kd {", "@media (prefers-color-scheme: dark){",
	} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	checkInert(t, page)
}

// allowedElements are the elements an export may hold: deskchat's own, and
// what goldmark and chroma write for Markdown.
var allowedElements = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "header": true, "nav": true,
	"article": true, "section": true, "div": true, "span": true, "time": true, "details": true, "summary": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "p": true, "br": true, "hr": true,
	"ul": true, "ol": true, "li": true, "a": true, "em": true, "strong": true, "del": true, "code": true, "pre": true,
	"blockquote": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "img": true,
	"input": true, // a task list's checkbox, disabled
}

// checkInert fails when page holds an element outside allowedElements, an
// event handler attribute, a link or image address that runs script, an
// image not kept inside the file, a meta other than deskchat's, or a style
// element after the head's.
func checkInert(t testing.TB, page string) {
	t.Helper()
	z := xhtml.NewTokenizer(strings.NewReader(page))
	styles, csp := 0, 0
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("tokenizer: %v", z.Err())
			}
			break
		}
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !allowedElements[tok.Data] {
			t.Fatalf("element <%s> in the page", tok.Data)
		}
		for _, a := range tok.Attr {
			key, val := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(key, "on"):
				t.Fatalf("event handler %s=%q on <%s>", a.Key, a.Val, tok.Data)
			case key == "href" && (strings.HasPrefix(val, "javascript:") || strings.HasPrefix(val, "vbscript:") || strings.HasPrefix(val, "data:")) &&
				!attachmentLink(tok, val):
				t.Fatalf("link to %q", a.Val)
			case key == "src" && (tok.Data != "img" || !strings.HasPrefix(val, "data:image/")):
				t.Fatalf("<%s src=%q>: a fetch", tok.Data, a.Val)
			case key == "style" && tok.Data != "th" && tok.Data != "td":
				t.Fatalf("style attribute on <%s>", tok.Data)
			case key == "http-equiv":
				csp++
			}
		}
		if tok.Data == "style" {
			styles++
		}
		if tok.Data == "input" && !hasAttr(tok, "disabled") {
			t.Fatalf("an input that is not disabled")
		}
	}
	if styles != 1 || csp != 1 {
		t.Fatalf("%d style elements and %d http-equiv metas, want 1 and 1", styles, csp)
	}
}

// attachmentLink reports whether a data: link is an attachment's: saved
// under its name (download), never shown as a page (octet-stream).
func attachmentLink(tok xhtml.Token, val string) bool {
	return tok.Data == "a" && strings.HasPrefix(val, "data:application/octet-stream;base64,") && hasAttr(tok, "download")
}

func hasAttr(tok xhtml.Token, key string) bool {
	for _, a := range tok.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// A code block lexing would take long on is shown plain, and so is one over
// maxHighlightBytes.
func TestExportHTMLLongCodeIsPlain(t *testing.T) {
	big := strings.Repeat("x := 1 // <b>\n", maxHighlightBytes/13+1) // under maxMarkdownBytes
	d := richDump("https://example.com/c.png")
	d.Messages[1].Content = "```go\n" + big + "```"
	page := renderOne(t, d)
	if !strings.Contains(page, `<pre><code class="language-go">x := 1 // &lt;b&gt;`) || strings.Contains(page, `class="chroma"`) {
		t.Errorf("a block of %d bytes was highlighted", len(big))
	}
}

// TestExportHTMLHostileMessages: messages written to get markup, script or
// a fetch into the page come out inert.
func TestExportHTMLHostileMessages(t *testing.T) {
	for _, m := range []string{
		"<script>alert(1)</script>",
		"<SCRIPT SRC=//x.example/a.js></SCRIPT>",
		"<img src=x onerror=alert(1)>",
		"![x](x \"a\\\" onerror=\\\"alert(1)\")",
		"[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](&#106;avascript:alert(1)) [v](vbscript:x) [d](data:text/html,<script>alert(1)</script>)",
		"![svg](data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+)",
		"<iframe src=\"https://x.example\"></iframe>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<javascript:alert(1)> [t](java&#9;script:alert(1)) [c](&#1;javascript:alert(1)) [u](%6Aavascript:alert(1))",
		"<style>body{background:url(https://x.example/t.png)}</style>",
		"<meta http-equiv=\"refresh\" content=\"0;url=https://x.example\">",
		"<svg onload=alert(1)>",
		"<!-- <script>alert(1)</script> -->",
		"<![CDATA[<script>alert(1)</script>]]>",
		"```html\n<script>alert(1)</script>\n```",
		"`<script>`",
		"<https://x.example/a.png> www.x.example/a.png",
		"- [x] done\n- [ ] <b onmouseover=alert(1)>todo</b>",
		"| a |\n|---|\n| <img src=x onerror=alert(1)> |",
		"[ref]\n\n[ref]: javascript:alert(1)",
		"![ref][img]\n\n[img]: https://x.example/a.png",
		"<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
		"\x00<scr\x00ipt>",
	} {
		d := richDump("https://example.com/c.png")
		d.Messages[1].Content = m
		d.Messages[1].Reasoning = m
		page := renderOne(t, d)
		t.Run(m, func(t *testing.T) { checkInert(t, page) })
		if strings.Contains(strings.ToLower(page), "<script") || strings.Contains(page, "x.example/a.js") && strings.Contains(page, "src=\"//x.example") {
			t.Errorf("%q: page holds a script", m)
		}
	}
}

// Text that would take a Markdown parser seconds or hours (see renderable)
// is kept as written, escaped, and what is fit is still rendered.
func TestExportHTMLPathologicalMarkdownIsPlain(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		plain      bool
	}{
		{"nested lists", strings.Repeat("- ", 20_000) + "<x>", true},
		{"nested quotes", strings.Repeat("> ", 17) + "x", true},
		{"ordered lists", strings.Repeat("1. ", 17) + "x", true},
		{"a wide, long table", "|" + strings.Repeat("a|", 2000) + "\n|" + strings.Repeat("-|", 2000) + "\n" + strings.Repeat("|x\n", 2000), true},
		{"over 64 KB", strings.Repeat("*a", maxMarkdownBytes/2+1), true},
		{"8 MB", strings.Repeat("[a](<b>", (8<<20)/7), true},
		{"quotes 16 deep", strings.Repeat("> ", 16) + "x", false},
		{"a table of 300 by 300", "|" + strings.Repeat("a|", 300) + "\n|" + strings.Repeat("-|", 300) + "\n" + strings.Repeat("|x\n", 300), false},
		{"64 KB of prose", strings.Repeat("word ", maxMarkdownBytes/5), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(markdownHTML(tc.text))
			if plain := strings.HasPrefix(got, `<p class="plain">`); plain != tc.plain {
				t.Fatalf("plain %v, want %v: %.200q", plain, tc.plain, got)
			}
			if tc.plain && got != `<p class="plain">`+esc(tc.text)+"</p>\n" {
				t.Errorf("not kept as written: %.200q", got)
			}
		})
	}
	d := richDump("https://example.com/c.png")
	d.Messages[1].Content = strings.Repeat("- ", 20_000) + "<script>alert(1)</script>"
	checkInert(t, renderOne(t, d))
}

func TestRenderWindow(t *testing.T) {
	msgs := func(sizes ...int) []store.Message {
		var out []store.Message
		for _, n := range sizes {
			out = append(out, store.Message{Content: strings.Repeat("x", n)})
		}
		return out
	}
	for _, tc := range []struct {
		msgs []store.Message
		want int
	}{
		{msgs(1, 2, 3), 3},
		{make([]store.Message, 40), 16},
		{msgs(8<<20, 1, 1), 1},            // one huge message alone
		{msgs(600<<10, 600<<10, 1, 1), 2}, // past 1 MB after the second
		{msgs(1, 1, 1<<20, 1), 3},         // the window ends after the message that fills it
	} {
		if got := renderWindow(tc.msgs); got != tc.want {
			t.Errorf("renderWindow of %d messages = %d, want %d", len(tc.msgs), got, tc.want)
		}
	}
}

// The bench's conversation rendered, for a look at the output size.
func TestExportHTMLGeneratedIsInert(t *testing.T) {
	st := openStore(t)
	seed(t, st, generated(2, 4))
	var b bytes.Buffer
	if _, err := Export(ctx, st, &b, ExportOptions{Format: HTML}); err != nil {
		t.Fatal(err)
	}
	checkInert(t, b.String())
}
