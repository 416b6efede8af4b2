package markdown

import "strings"

// Markdown is rendered one widget per block (see mdview.go). This file only
// decides where blocks begin and end; it knows nothing of Fyne.
//
// A block ends at a blank line, except that
//   - a fenced code block (``` or ~~~) is one block, blank lines included;
//   - a list stays one block across blank lines while the next line is
//     another item or an indented continuation;
//   - a fence opening line starts a new block and a closing fence ends one,
//     even without a blank line around them.
//
// splitBlocks is prefix-stable: for text that is still growing, every span but
// the last one is final and will be reported identically once more text has
// arrived. That lets a stream re-split only the text after the last final
// block.

type blockKind int

const (
	kindText  blockKind = iota // paragraphs, headings, lists, quotes: RichText markdown
	kindCode                   // a fenced code block
	kindTable                  // a pipe table (Fyne's markdown has no tables)
)

func (k blockKind) String() string {
	switch k {
	case kindCode:
		return "code"
	case kindTable:
		return "table"
	}
	return "text"
}

// span is one block of text, as byte offsets [start, end) into the text
// given to splitBlocks. Blank lines between blocks belong to no span; end
// excludes the block's final newline.
type span struct{ start, end int }

// splitBlocks splits markdown text into blocks. When final is false the text
// is still growing: an unterminated last line may not be complete, so
// decisions that depend on it are postponed and it stays in the last span.
func splitBlocks(s string, final bool) []span {
	var out []span
	cur := -1      // start of the open block, -1 when none
	lastEnd := 0   // end of the open block's last non-blank line
	blank := false // blank lines seen since the open block's last line
	list := false  // the open block is a list
	var fch byte   // fence character while inside a fenced block, else 0
	flen := 0

	closeBlock := func() {
		out = append(out, span{cur, lastEnd})
		cur, blank, list = -1, false, false
	}
	for pos := 0; pos < len(s); {
		nl := strings.IndexByte(s[pos:], '\n')
		line, next := s[pos:], len(s)
		if nl >= 0 {
			line, next = s[pos:pos+nl], pos+nl+1
		}
		complete := nl >= 0 || final

		if fch != 0 { // inside a fence: everything belongs to the block
			lastEnd = pos + len(line)
			if complete && isFenceClose(line, fch, flen) {
				fch = 0
				closeBlock()
			}
			pos = next
			continue
		}
		if isBlank(line) {
			if complete && cur >= 0 {
				blank = true
			}
			pos = next
			continue
		}
		_, _, opens := fenceOpen(line)
		opens = opens && complete
		if cur >= 0 {
			split := opens
			if blank && !split {
				if list {
					decided, cont := listContinues(line, complete)
					split = decided && !cont
				} else {
					split = true
				}
			}
			if split {
				closeBlock()
			}
		}
		if cur < 0 {
			cur = pos
			list = isListItem(line)
		}
		blank = false
		if opens {
			fch, flen, _ = fenceOpen(line)
		}
		lastEnd = pos + len(line)
		pos = next
	}
	if cur >= 0 {
		out = append(out, span{cur, lastEnd})
	}
	return out
}

// classify tells which widget a block needs. final says the block will not
// grow any more.
func classify(block string, final bool) blockKind {
	first, rest, hasRest := strings.Cut(block, "\n")
	if _, _, ok := fenceOpen(first); ok {
		return kindCode
	}
	if !strings.Contains(first, "|") {
		return kindText
	}
	if !hasRest {
		// A lone row that starts with a pipe is a table header still arriving.
		if !final && strings.HasPrefix(strings.TrimSpace(first), "|") {
			return kindTable
		}
		return kindText
	}
	second, _, more := strings.Cut(rest, "\n")
	if isDelimiterRow(second, more || final) {
		return kindTable
	}
	return kindText
}

func isBlank(line string) bool { return strings.TrimSpace(line) == "" }

// trimIndent removes up to three leading spaces; it reports false when the
// line is indented further (indented code, or a nested continuation).
func trimIndent(line string) (string, bool) {
	i := 0
	for i < len(line) && i < 4 && line[i] == ' ' {
		i++
	}
	if i == 4 || (i < len(line) && line[i] == '\t') {
		return line, false
	}
	return line[i:], true
}

// fenceOpen reports whether line opens a fenced code block, and with which
// character and length.
func fenceOpen(line string) (byte, int, bool) {
	t, ok := trimIndent(line)
	if !ok || len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return 0, 0, false
	}
	ch := t[0]
	n := 0
	for n < len(t) && t[n] == ch {
		n++
	}
	if n < 3 || (ch == '`' && strings.IndexByte(t[n:], '`') >= 0) {
		return 0, 0, false
	}
	return ch, n, true
}

// isFenceClose reports whether line closes a fence opened with n ch's.
func isFenceClose(line string, ch byte, n int) bool {
	t, ok := trimIndent(line)
	if !ok {
		return false
	}
	k := 0
	for k < len(t) && t[k] == ch {
		k++
	}
	return k >= n && isBlank(t[k:])
}

// isListItem reports whether line starts a list item: "- ", "* ", "+ ",
// "1. " or "1) ".
func isListItem(line string) bool {
	t, ok := trimIndent(line)
	if !ok {
		return false
	}
	i := strings.IndexAny(t, " \t")
	return i > 0 && isListMarker(t[:i])
}

func isListMarker(w string) bool {
	switch w {
	case "-", "*", "+":
		return true
	}
	if len(w) < 2 || len(w) > 10 {
		return false
	}
	if c := w[len(w)-1]; c != '.' && c != ')' {
		return false
	}
	for i := 0; i < len(w)-1; i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// listContinues decides whether line, after blank lines inside a list, still
// belongs to the list. decided is false while a growing line is too short to
// tell.
func listContinues(line string, complete bool) (decided, cont bool) {
	if line[0] == ' ' || line[0] == '\t' {
		return true, true // indented: a continuation paragraph or nested item
	}
	i := strings.IndexAny(line, " \t")
	switch {
	case i >= 0:
		return true, isListMarker(line[:i])
	case complete:
		return true, isListMarker(line)
	default:
		return !mayBecomeListMarker(line), false
	}
}

// mayBecomeListMarker reports whether w, a word still arriving, can turn into
// a list marker: "-", "*", "+", or digits with at most a final '.' or ')'.
func mayBecomeListMarker(w string) bool {
	switch w {
	case "-", "*", "+":
		return true
	}
	if w == "" || len(w) > 10 {
		return false
	}
	if c := w[len(w)-1]; c == '.' || c == ')' {
		w = w[:len(w)-1]
	}
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}

// isDelimiterRow reports whether line is a table's |---|:---:| row; a line
// still arriving only needs to look like the start of one.
func isDelimiterRow(line string, complete bool) bool {
	t := strings.TrimSpace(line)
	if t == "" {
		return !complete
	}
	for _, r := range t {
		if !strings.ContainsRune("|-: \t", r) {
			return false
		}
	}
	return !complete || strings.Contains(t, "-")
}

// tableCells splits one table row into trimmed cells.
func tableCells(line string) []string {
	t := strings.TrimSpace(line)
	t = strings.TrimPrefix(t, "|")
	if strings.HasSuffix(t, "|") && !strings.HasSuffix(t, `\|`) {
		t = t[:len(t)-1]
	}
	var cells []string
	start, code := 0, false
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '`':
			code = !code
		case '\\':
			i++
		case '|':
			if !code {
				cells = append(cells, strings.TrimSpace(t[start:i]))
				start = i + 1
			}
		}
	}
	cells = append(cells, strings.TrimSpace(t[start:]))
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, `\|`, "|")
	}
	return cells
}

// parseTable returns a table block's header and body rows.
func parseTable(block string) (header []string, rows [][]string) {
	lines := strings.Split(block, "\n")
	header = tableCells(lines[0])
	for i, l := range lines[1:] {
		if i == 0 && isDelimiterRow(l, i+2 < len(lines)) {
			continue
		}
		if isBlank(l) {
			continue
		}
		rows = append(rows, tableCells(l))
	}
	return header, rows
}
