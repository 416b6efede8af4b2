package transfer

import (
	"bytes"
	"html"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"

	"github.com/deskchat/deskchat/store"
)

// The HTML export renders each message's Markdown with goldmark: GFM
// (tables, strikethrough, task lists, bare links) and CJK rules, line breaks
// kept as the message has them (hard wraps: chat text is written line by
// line). goldmark runs without html.WithUnsafe, so it never passes raw HTML
// through and empties javascript:, vbscript:, file: and data: (other than
// images) links; safeNodes goes further for what would otherwise be lost or
// fetched:
//   - raw HTML (a block or inline) is shown as text, escaped, rather than
//     dropped as goldmark does ("<!-- raw HTML omitted -->"): a message that
//     talks about <iframe> keeps its words;
//   - an image is an <img> only when it is a data: PNG, GIF, JPEG or WebP
//     (inside the file, allowed by the page's img-src data:); any other is a
//     link to it, so opening an export fetches nothing;
//   - code blocks are highlighted with chroma (CSS classes, one style sheet
//     in the page's <style>); an unknown language, a block over
//     maxHighlightBytes or one whose lexing runs past highlightBudget is
//     plain escaped text.
//
// goldmark-highlighting would do the last, but it has had no release (only
// a 2023 pseudo-version pinned to an old chroma): the hook below is what it
// would do, on the chroma version we choose.

// maxHighlightBytes bounds the code chroma lexes in one block: its lexers
// are regular expressions (each match may take up to 250 ms before chroma
// gives up on it), and a huge block gains little from colour.
const maxHighlightBytes = 32 << 10

// highlightBudget bounds the time spent lexing one block; past it the block
// is shown plain.
const highlightBudget = 500 * time.Millisecond

var messageMarkdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM, extension.CJK),
	goldmark.WithRendererOptions(
		gmhtml.WithHardWraps(),
		renderer.WithNodeRenderers(util.Prioritized(safeNodes{}, 100)), // before goldmark's own (1000)
	),
)

var (
	chromaFormatter = chromahtml.New(chromahtml.WithClasses(true))
	chromaLight     = styles.Get("github")
	chromaDark      = styles.Get("github-dark")
)

// codeStyle is the style sheet of the highlighted code, light and dark
// following the system, built once.
var codeStyle = sync.OnceValue(func() string {
	var b strings.Builder
	b.WriteString("@media not all and (prefers-color-scheme: dark){\n")
	chromaFormatter.WriteCSS(&b, chromaLight) // a strings.Builder cannot fail
	b.WriteString("}\n@media (prefers-color-scheme: dark){\n")
	chromaFormatter.WriteCSS(&b, chromaDark)
	b.WriteString("}\n")
	return b.String()
})

// renderWindow is how many of msgs to render at once (see
// htmlDoc.conversation): up to 16, fewer when they hold over 1 MB of text,
// so that the window's HTML stays small beside the conversation (one
// message however long).
func renderWindow(msgs []store.Message) int {
	size := 0
	for i, m := range msgs {
		if i == 16 || i > 0 && size >= 1<<20 {
			return i
		}
		size += len(m.Content) + len(m.Reasoning)
	}
	return len(msgs)
}

// rendered is one message's Markdown as HTML: nil where it has none.
type rendered struct{ reasoning, content []byte }

// renderMessages renders the reasoning and text of msgs, on as many
// goroutines as there are cores.
func renderMessages(msgs []store.Message) []rendered {
	out := make([]rendered, len(msgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(msgs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(msgs); i = int(next.Add(1) - 1) {
				m := msgs[i]
				if m.Reasoning != "" {
					out[i].reasoning = markdownHTML(newlines.Replace(m.Reasoning))
				}
				if text := newlines.Replace(m.Content); strings.TrimSpace(text) != "" {
					out[i].content = markdownHTML(text)
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// Markdown parsers, goldmark 1.7.8 among them, take time beyond all
// proportion on some text a message can hold: a 200 KB message of nested
// "- - - …" took 90 s, of "*a*a…" 11 s, and a table with 5,000 columns
// and 5,000 rows, 35 KB of text, became 250 MB of cells. Such a message is
// shown as written, as plain text, rather than rendered: one longer than
// maxMarkdownBytes (emphasis and brackets still cost up to about a second
// at that size on a loaded machine), nested deeper than maxMarkdownNesting,
// or with a table that could have more than maxTableCells cells.
const (
	maxMarkdownBytes   = 64 << 10
	maxMarkdownNesting = 16
	maxTableCells      = 100_000
)

// renderable says whether text is fit for the Markdown parser (see above).
func renderable(text string) bool {
	if len(text) > maxMarkdownBytes {
		return false
	}
	lines, columns := 0, 0
	for line := range strings.Lines(text) {
		lines++
		if nesting(line) > maxMarkdownNesting {
			return false
		}
		if t := strings.Trim(line, " \t\r\n"); strings.Contains(t, "-") && strings.Trim(t, "|-: \t") == "" {
			columns = max(columns, strings.Count(t, "|")+1) // a table's delimiter row
		}
	}
	return columns*lines <= maxTableCells
}

// nesting counts the block quote and list markers that open line.
func nesting(line string) int {
	n := 0
	for {
		line = strings.TrimLeft(line, " \t")
		switch {
		case strings.HasPrefix(line, ">"):
			line = line[1:]
		case len(line) >= 2 && strings.IndexByte("-*+", line[0]) >= 0 && (line[1] == ' ' || line[1] == '\t'):
			line = line[2:]
		default:
			i := 0
			for i < len(line) && i < 9 && '0' <= line[i] && line[i] <= '9' {
				i++
			}
			if i == 0 || i+1 >= len(line) || (line[i] != '.' && line[i] != ')') || (line[i+1] != ' ' && line[i+1] != '\t') {
				return n
			}
			line = line[i+2:]
		}
		n++
	}
}

// markdownHTML renders text, a message's Markdown, as HTML; text unfit for
// the parser (see renderable) is escaped and kept as written.
func markdownHTML(text string) []byte {
	if !renderable(text) {
		return []byte(`<p class="plain">` + html.EscapeString(text) + "</p>\n")
	}
	var b bytes.Buffer
	b.Grow(len(text) + len(text)/2)
	messageMarkdown.Convert([]byte(text), &b) // a bytes.Buffer cannot fail
	return b.Bytes()
}

// safeNodes renders the nodes whose goldmark rendering would run raw HTML,
// fetch an image or lose text (see the top of this file).
type safeNodes struct{}

func (safeNodes) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(ast.KindHTMLBlock, renderHTMLBlock)
	r.Register(ast.KindRawHTML, renderRawHTML)
	r.Register(ast.KindImage, renderImage)
	r.Register(ast.KindLink, renderLink)
	r.Register(ast.KindAutoLink, renderAutoLink)
	r.Register(ast.KindFencedCodeBlock, renderCode)
	r.Register(ast.KindCodeBlock, renderCode)
}

func renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.HTMLBlock)
	if !entering {
		return ast.WalkContinue, nil
	}
	w.WriteString(`<p class="raw">`)
	var b bytes.Buffer
	for i := 0; i < n.Lines().Len(); i++ {
		line := n.Lines().At(i)
		b.Write(line.Value(source))
	}
	if n.HasClosure() {
		b.Write(n.ClosureLine.Value(source))
	}
	w.WriteString(html.EscapeString(strings.TrimRight(b.String(), "\n")))
	w.WriteString("</p>\n")
	return ast.WalkSkipChildren, nil
}

func renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.RawHTML)
	for i := 0; i < n.Segments.Len(); i++ {
		seg := n.Segments.At(i)
		w.WriteString(html.EscapeString(string(seg.Value(source))))
	}
	return ast.WalkSkipChildren, nil
}

// inlineImage says whether an image's address is one kept inside the file:
// a data: URL of a raster image (not SVG, which is a document of its own).
func inlineImage(dest []byte) bool {
	d := strings.ToLower(string(dest[:min(len(dest), 16)]))
	for _, t := range []string{"data:image/png;", "data:image/gif;", "data:image/jpeg;", "data:image/webp;"} {
		if strings.HasPrefix(d, t) {
			return true
		}
	}
	return false
}

func renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	alt := html.EscapeString(plainText(n, source))
	href := util.URLEscape(n.Destination, true)
	dest := util.EscapeHTML(href)
	title := ""
	if n.Title != nil {
		title = ` title="` + html.EscapeString(string(n.Title)) + `"`
	}
	switch {
	case inlineImage(href):
		w.WriteString(`<img src="`)
		w.Write(dest)
		w.WriteString(`" alt="` + alt + `"` + title + `>`)
	case !safeLink(href) || len(href) == 0:
		w.WriteString(`<span class="image">` + imageLabel(alt) + `</span>`)
	default:
		// Not fetched: a link the reader may follow.
		w.WriteString(`<a class="image" href="`)
		w.Write(dest)
		w.WriteString(`"` + title + `>` + imageLabel(alt) + `</a>`)
	}
	return ast.WalkSkipChildren, nil
}

// safeLink says whether a link may point at dest (as it is written in the
// page: entities resolved, percent-escaped): an http, https or mailto
// address, or one without a scheme (a fragment, a relative path). goldmark's
// own check (IsDangerousURL) let through a javascript: link spelt with an
// entity (&#106;avascript:) and an autolink <javascript:...>; an allow-list
// of schemes cannot be spelt around. The page's Content-Security-Policy
// would keep such a link from running anyway: this is the second lock.
func safeLink(dest []byte) bool {
	d := strings.ToLower(strings.TrimLeft(string(dest), "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
	scheme, _, found := strings.Cut(d, ":")
	if !found || strings.ContainsAny(scheme, "/?#") {
		return true // no scheme: the colon is in a path, query or fragment
	}
	return scheme == "http" || scheme == "https" || scheme == "mailto"
}

func renderLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	href := util.URLEscape(n.Destination, true)
	safe := safeLink(href)
	switch {
	case !safe && entering:
		w.WriteString(`<span class="link">`)
	case !safe:
		w.WriteString("</span>")
	case entering:
		w.WriteString(`<a href="`)
		w.Write(util.EscapeHTML(href))
		w.WriteString(`"`)
		if n.Title != nil {
			w.WriteString(` title="` + html.EscapeString(string(n.Title)) + `"`)
		}
		w.WriteString(">")
	default:
		w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

func renderAutoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.AutoLink)
	url, label := n.URL(source), html.EscapeString(string(n.Label(source)))
	if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(url), []byte("mailto:")) {
		url = append([]byte("mailto:"), url...)
	}
	href := util.URLEscape(url, false)
	if !safeLink(href) {
		w.WriteString(label)
		return ast.WalkSkipChildren, nil
	}
	w.WriteString(`<a href="`)
	w.Write(util.EscapeHTML(href))
	w.WriteString(`">` + label + "</a>")
	return ast.WalkSkipChildren, nil
}

func imageLabel(alt string) string {
	if alt == "" {
		return "[image]"
	}
	return "[image: " + alt + "]"
}

// plainText is the text of n's inline children (an image's alt text).
func plainText(n ast.Node, source []byte) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(source))
		case *ast.String:
			b.Write(c.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

func renderCode(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	lang := ""
	if fb, ok := node.(*ast.FencedCodeBlock); ok {
		lang = string(fb.Language(source))
	}
	var code bytes.Buffer
	for i := 0; i < node.Lines().Len(); i++ {
		line := node.Lines().At(i)
		code.Write(line.Value(source))
	}
	if highlight(w, lang, code.String()) {
		w.WriteString("\n")
	} else {
		w.WriteString("<pre><code")
		if lang != "" {
			w.WriteString(` class="language-` + html.EscapeString(lang) + `"`)
		}
		w.WriteString(">" + html.EscapeString(code.String()) + "</code></pre>\n")
	}
	return ast.WalkSkipChildren, nil
}

// lexerFor is chroma's lexer for a fence's language, or nil. The answers
// are kept: for a name it does not know, lexers.Get tries every lexer's
// file patterns, and an export asks again for each block.
func lexerFor(lang string) chroma.Lexer {
	lang = strings.ToLower(lang)
	lexerMu.Lock()
	defer lexerMu.Unlock()
	if l, ok := lexerMemo[lang]; ok {
		return l
	}
	var l chroma.Lexer
	if len(lexerMemo) < 256 { // a hostile history's made-up names are not all kept
		l = lexers.Get(lang)
		if l != nil {
			l = chroma.Coalesce(l)
		}
		lexerMemo[lang] = l
	} else if l = lexers.Get(lang); l != nil {
		l = chroma.Coalesce(l)
	}
	return l
}

var (
	lexerMu   sync.Mutex
	lexerMemo = map[string]chroma.Lexer{}
)

// highlight writes code coloured by chroma's lexer for lang, and says
// whether it did: not for an unknown language, a block too long, or one
// whose lexing fails or runs past highlightBudget.
func highlight(w util.BufWriter, lang, code string) bool {
	if lang == "" || len(code) > maxHighlightBytes {
		return false
	}
	lexer := lexerFor(lang)
	if lexer == nil {
		return false
	}
	tokens := tokenise(lexer, code)
	if tokens == nil {
		return false
	}
	return chromaFormatter.Format(w, chromaLight, chroma.Literator(tokens...)) == nil
}

// tokenise lexes code, or returns nil when lexing fails, panics (a lexer's
// bug must not cost the export) or runs past highlightBudget.
func tokenise(lexer chroma.Lexer, code string) (tokens []chroma.Token) {
	defer func() {
		if recover() != nil {
			tokens = nil
		}
	}()
	it, err := lexer.Tokenise(nil, code)
	if err != nil {
		return nil
	}
	start := time.Now()
	for t := it(); t != chroma.EOF; t = it() {
		tokens = append(tokens, t)
		if len(tokens)%256 == 0 && time.Since(start) > highlightBudget {
			return nil
		}
	}
	return tokens
}
