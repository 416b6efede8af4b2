package markdown

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/deskchat/deskchat/ui/internal/look"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/internal/format"
)

// Display limits. What a provider sends is stored whole (Copy copies it
// all); the window shows a bounded part of it, so that no answer can make a
// frame take long or the window's memory grow without end.
//
// Fyne's RichText (fyne v2.7.1, widget/richtext.go) costs more than linear
// time in two places, which is why a hostile answer froze the window:
//   - word wrapping (lineBounds) measures — shapes — the whole rest of a line
//     for every row it makes, then binary-searches the break with more
//     measures of prefixes up to that length, and fyne.MeasureText caches
//     every measured string (cache.SetFontMetrics): a line of n runes costs
//     about n²·log n / (runes per row) and keeps that much in the cache. A
//     30 KB line without spaces took seconds and gigabytes.
//   - textRenderer.Refresh converts a segment's whole text to runes once for
//     every row of the segment: a 50,000-line code block, one segment, costs
//     lines².
//
// So no segment given to Fyne is long (splitLong cuts long ones into
// pieces, codeSegments sets code in groups of short lines), and every block
// shows at most a page or a few (cutBlock), as does a message (mdView.limit).
const (
	longRunes      = 1024     // a text segment longer than this is given to Fyne in pieces
	pieceRunes     = 64       // of at most this many runes: one row at a usual width, measured once
	CodeWrap       = 160      // a longer code line is broken for display
	CodeGroup      = 10       // code lines per segment: a streaming block is laid out again per token, a segment's runes per row
	linkRunes      = 256      // a link's text is cut here (Fyne draws it as one widget)
	textBytes      = 16 << 10 // a text block's page
	codeLines      = 200      // a code block's page: lines
	codeBytes      = 20 << 10 // and bytes
	TableCols      = 12       // a wider table is shown as text
	TableCellsPage = 600      // a table's page: rows of this many cells in all (a RichText each)
	TableBytes     = 24 << 10 // and bytes
	cellRunes      = 300      // a table with a longer cell is shown as text
	wideRunes      = 120      // a line of a table shown as text is cut here
	textTableRows  = 100      // a table shown as text: rows per page
	textTableBytes = 1 << 20  // and bytes read for them
	MsgBytes       = 64 << 10 // one message's page: blocks beyond it are not built
	msgBlocks      = 150      // nor beyond this many blocks (a widget each)
	maxPages       = 3        // "Show more" adds pages up to this many (a tap re-lays them all); the rest is for Copy
)

// splitLong replaces every text segment longer than longRunes with pieces
// of about pieceRunes, in place, nested paragraphs and lists included. The
// pieces are not inline: Fyne's wrapping puts a row per character in an
// inline segment that starts where less than a character's width is left
// in the row (lineBounds, "even a character won't fit"). So a long
// paragraph's rows end early every piece; the pieces end after a space
// when there is one, so words stay whole.
func splitLong(segs []widget.RichTextSegment) []widget.RichTextSegment {
	out := segs[:0:0]
	changed := false
	for _, s := range segs {
		switch s := s.(type) {
		case *widget.ParagraphSegment:
			s.Texts = splitLong(s.Texts)
		case *widget.ListSegment:
			s.Items = splitLong(s.Items)
		case *widget.HyperlinkSegment:
			s.Text = cutRunes(s.Text, linkRunes)
		case *widget.TextSegment:
			if len(s.Text) > longRunes && utf8.RuneCountInString(s.Text) > longRunes {
				ps := pieces(s.Text, pieceRunes)
				block := s.Style
				block.Inline = false
				for _, p := range ps[:len(ps)-1] {
					out = append(out, &widget.TextSegment{Text: p, Style: block})
				}
				out = append(out, &widget.TextSegment{Text: ps[len(ps)-1], Style: s.Style})
				changed = true
				continue
			}
		}
		out = append(out, s)
	}
	if !changed {
		return segs
	}
	return out
}

// codeSegments shows code as monospace segments of at most codeGroup lines
// (Fyne converts a segment's whole text to runes for each of its rows),
// lines longer than codeWrap runes broken (wrapping measures a line's whole
// rest for each of its rows). It is laid out as highlighted code is
// (codeRows, highlight.go), so a block does not move when it is
// highlighted.
func codeSegments(code string) []widget.RichTextSegment {
	var r codeRows
	r.add(code, theme.ColorNameForeground)
	return r.finish()
}

// pieces cuts s into pieces of at most n runes, each ending after the last
// space or newline past half a piece when there is one.
func pieces(s string, n int) []string {
	var out []string
	start, count, brk := 0, 0, -1
	for i, r := range s {
		if count >= n {
			cut := i
			if brk > start {
				cut = brk
			}
			out = append(out, s[start:cut])
			count = utf8.RuneCountInString(s[cut:i])
			start, brk = cut, -1
		}
		count++
		if (r == ' ' || r == '\n') && count >= n/2 {
			brk = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// cutRunes shortens s to n runes and an ellipsis.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k] + "…"
		}
		i++
	}
	return s
}

// headLines returns s's first n lines, at most max bytes of them (cut at
// a rune boundary), and whether that is less than s. It reads only what it
// returns.
func headLines(s string, n, max int) (string, bool) {
	end := 0
	for i := 0; i < n && end < len(s); i++ {
		nl := strings.IndexByte(s[end:], '\n')
		if nl < 0 {
			end = len(s)
			break
		}
		end += nl + 1
	}
	if end > max {
		end = max
		for end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
	}
	head := strings.TrimSuffix(s[:end], "\n")
	return head, end < len(s) && strings.TrimSpace(s[end:]) != ""
}

// blockCut is what a block shows: its first pages.
type blockCut struct {
	shown string // the block's source as shown
	note  string // "Showing 200 of 50,000 lines", or "" when shown whole
	// asText says why a table is shown as text (too many columns, or
	// cells too long for a grid); "" for a grid.
	asText string
}

// cutBlock returns the part of a block's source shown with pages pages.
func cutBlock(src string, kind blockKind, pages int) blockCut {
	switch kind {
	case kindCode:
		head, cut := headLines(src, codeLines*pages+1, codeBytes*pages)
		if !cut {
			return blockCut{shown: src}
		}
		return blockCut{shown: head, note: cutNote(head, src, "lines", 1)}
	case kindTable:
		first, _ := headLines(src, 1, TableBytes)
		cols := max(1, len(tableCells(first)))
		rows := max(1, TableCellsPage/cols) // a grid's page
		asText := ""
		// A table shown as text shows each row's first wideRunes only: its
		// page may hold more bytes, read but not shown.
		if cols > TableCols {
			asText, rows = fmt.Sprintf("table of %d columns, shown as text", cols), textTableRows
		}
		head, cut := headLines(src, rows*pages+2, TableBytes*pages)
		if asText == "" && longestCell(head) > cellRunes {
			asText, rows = "table with long cells, shown as text", textTableRows
		}
		if asText != "" {
			head, cut = headLines(src, rows*pages+2, textTableBytes*pages)
		}
		c := blockCut{shown: head, asText: asText}
		if cut {
			c.note = cutNote(head, src, "rows", 2)
		}
		return c
	}
	if len(src) <= textBytes*pages {
		return blockCut{shown: src}
	}
	end := textBytes * pages
	if nl := strings.LastIndexByte(src[:end], '\n'); nl > end/2 {
		end = nl
	}
	for end > 0 && !utf8.RuneStart(src[end]) {
		end--
	}
	return blockCut{shown: src[:end], note: "Showing " + format.Size(int64(end)) + " of " + format.Size(int64(len(src)))}
}

// cutNote says how much of src head shows: lines (or rows) when both end
// on a line, else bytes. extra lines (a fence, a table's header and
// delimiter) are not counted.
func cutNote(head, src, unit string, extra int) string {
	shown, total := strings.Count(head, "\n")+1-extra, strings.Count(src, "\n")+1-extra
	if shown < 1 || len(head)+1 < len(src) && src[len(head)] != '\n' {
		return "Showing " + format.Size(int64(len(head))) + " of " + format.Size(int64(len(src)))
	}
	return fmt.Sprintf("Showing %s of %s %s", format.Number(int64(shown)), format.Number(int64(total)), unit)
}

// longestCell is the length in bytes of a table's longest cell.
func longestCell(table string) int {
	n := 0
	for _, l := range strings.Split(table, "\n") {
		for _, c := range tableCells(l) {
			n = max(n, len(c))
		}
	}
	return n
}

// wideTable is a table too wide for a grid as text to show as code, each
// line cut.
func wideTable(head string) string {
	lines := strings.Split(head, "\n")
	for i, l := range lines {
		lines[i] = cutRunes(l, wideRunes)
	}
	return strings.Join(lines, "\n")
}

// moreBar is the line under something shown in part: what is shown and a
// "Show more" button, which is gone once the last page allowed is shown
// (the note then says that Copy has the rest).
type moreBar struct {
	obj   *fyne.Container
	label *widget.Label
	btn   *widget.Button
}

func newMoreBar(tapped func()) *moreBar {
	m := &moreBar{label: widget.NewLabel("")}
	m.label.Importance, m.label.SizeName = look.HintStyle(widget.MediumImportance)
	m.btn = actionButton("Show more", tapped)
	m.obj = container.NewHBox(m.label, m.btn)
	return m
}

// set shows note, with "Show more" while pages < maxPages; "" hides the bar.
func (m *moreBar) set(note string, pages int) {
	if note == "" {
		m.obj.Hide()
		return
	}
	if pages >= maxPages {
		note += " · Copy copies all of it"
	}
	if note != m.label.Text {
		m.label.SetText(note)
	}
	look.Show(m.btn, pages < maxPages)
	m.obj.Show()
}

// actionButton is a small text button under a block ("Show more"). Words,
// not icons, as the message's own actions (look.NewHoverButton).
func actionButton(text string, tapped func()) *widget.Button {
	b := widget.NewButton(text, tapped)
	b.Importance = widget.LowImportance
	return b
}
