package markdown

import (
	"github.com/deskchat/deskchat/ui/internal/look"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Code blocks are highlighted with chroma once they are finished (a block
// still streaming is shown plain: highlighting it again for every token
// would cost a tokenization of the whole block per token), and only what
// the block shows (cutBlock) is tokenized.
//
// A RichText segment has a theme colour name, not a colour: each token's
// segment is named after its chroma token type (look.CodeColorName), and the
// app's theme (appTheme) gives that name the colour of a light or a dark
// chroma style by the variant it draws. Switching between light and dark
// recolours the code without tokenizing it again.

const (
	// highlightBudget bounds the time spent tokenizing one block; the
	// rest of the block is shown plain. chroma's regular expressions time
	// out after 250 ms each, so a hostile block costs at most about this
	// plus 250 ms.
	highlightBudget = 100 * time.Millisecond
)

// codeLexer is chroma's lexer for a fenced block's language, or nil when
// chroma does not know it (the block is then shown plain).
func codeLexer(lang string) chroma.Lexer {
	if lang == "" {
		return nil
	}
	l := lexers.Get(lang)
	if l == nil || l == lexers.Fallback {
		return nil
	}
	return chroma.Coalesce(l)
}

// highlightSegments shows code highlighted for lang: inline segments, a
// token colour each, lines longer than codeWrap runes broken (as
// codeSegments does). An unknown language, or a lexer that fails, gives
// codeSegments' plain code.
func highlightSegments(code, lang string) []widget.RichTextSegment {
	lexer := codeLexer(lang)
	if lexer == nil || !look.DrawsCodeColors() {
		return codeSegments(code)
	}
	it, err := lexer.Tokenise(nil, code)
	if err != nil {
		return codeSegments(code)
	}
	r := codeRows{}
	start, n := time.Now(), 0
	done := 0 // bytes of code laid out
	for tok := it(); tok != chroma.EOF; tok = it() {
		r.add(tok.Value, look.CodeColorName(tok.Type))
		done += len(tok.Value)
		if n++; n%64 == 0 && time.Since(start) > highlightBudget {
			break
		}
	}
	if done < len(code) {
		r.add(code[done:], theme.ColorNameForeground)
	}
	return r.finish()
}

// codeRows lays tokens out as segments: adjacent tokens of one colour
// merged, lines ended by a newline inside the segments. (A segment that is
// not inline would end the row too, but RichText puts a line spacing after
// it: code would be set looser than plain code.) A segment spans at most
// codeGroup lines, for the reason codeSegments gives.
type codeRows struct {
	out   []widget.RichTextSegment
	cur   *widget.TextSegment // the segment tokens are added to
	lines int                 // newlines in cur
	runs  int                 // runes in the row so far
}

func (r *codeRows) add(text string, name fyne.ThemeColorName) {
	for text != "" {
		line, rest, nl := strings.Cut(text, "\n")
		for line != "" {
			k := utf8.RuneCountInString(line)
			if r.runs+k <= CodeWrap {
				r.put(line, name)
				r.runs += k
				break
			}
			// Break the row at codeWrap runes.
			cut, i := len(line), 0
			for p := range line {
				if i == CodeWrap-r.runs {
					cut = p
					break
				}
				i++
			}
			r.put(line[:cut], name)
			r.newline()
			line = line[cut:]
		}
		if !nl {
			return
		}
		r.newline()
		text = rest
	}
}

func (r *codeRows) put(text string, name fyne.ThemeColorName) {
	if text == "" {
		return
	}
	if r.cur != nil && (r.cur.Style.ColorName == name || strings.TrimSpace(text) == "") {
		r.cur.Text += text
		return
	}
	if r.cur != nil && strings.TrimSpace(r.cur.Text) == "" {
		// Only white space so far: it takes this token's colour.
		r.cur.Text += text
		r.cur.Style.ColorName = name
		return
	}
	r.open(text, name)
}

func (r *codeRows) open(text string, name fyne.ThemeColorName) {
	st := widget.RichTextStyleCodeInline
	st.ColorName = name
	r.cur, r.lines = &widget.TextSegment{Text: text, Style: st}, 0
	r.out = append(r.out, r.cur)
}

func (r *codeRows) newline() {
	if r.cur == nil {
		r.open("", theme.ColorNameForeground)
	}
	r.cur.Text += "\n"
	r.runs = 0
	if r.lines++; r.lines >= CodeGroup {
		r.cur = nil
	}
}

func (r *codeRows) finish() []widget.RichTextSegment {
	if n := len(r.out); n > 0 {
		r.out[n-1].(*widget.TextSegment).Style.Inline = false
	}
	return r.out
}
