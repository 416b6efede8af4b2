package markdown

import (
	"strings"

	"fyne.io/fyne/v2/widget"
)

// dropAddedSpaces removes the spaces Fyne's markdown adds where the source
// has none, in place. Fyne (v2.7.1, widget/markdown.go,
// suffixSpaceIfAppropriate) ends every text followed by an inline element
// (bold, italics, a link, code) with a space when it does not end with one:
// right for a soft line break ("word\n**bold**"), but "通过**杠杆原理**和滑轮组"
// showed as "通过 杠杆原理和滑轮组" — Chinese and Japanese put no spaces
// between words — and "file**s**" as "file s".
//
// Fyne's segments do not say where in src they come from, so each text is
// looked for in src after the previous one's end: a space is dropped only
// when the text was found and what follows it in src is no white space.
func dropAddedSpaces(segs []widget.RichTextSegment, src string) {
	cur := 0
	var walk func(segs []widget.RichTextSegment)
	walk = func(segs []widget.RichTextSegment) {
		for _, s := range segs {
			switch s := s.(type) {
			case *widget.ParagraphSegment:
				walk(s.Texts)
			case *widget.ListSegment:
				walk(s.Items)
			case *widget.TextSegment:
				text := strings.TrimSuffix(s.Text, " ")
				if strings.TrimSpace(text) == "" {
					continue
				}
				i := strings.Index(src[cur:], text)
				if i < 0 {
					continue
				}
				cur += i + len(text)
				if text != s.Text && !strings.HasSuffix(text, " ") && cur < len(src) && !isSpaceByte(src[cur]) {
					s.Text = text
				}
			}
		}
	}
	walk(segs)
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
