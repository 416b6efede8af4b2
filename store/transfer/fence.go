package transfer

import "strings"

// Fenced code blocks, as CommonMark reads them at the top level of a
// document: a line of at most three spaces' indent and three or more ` or ~
// opens a block, which ends at a line of the same character, at least as
// many, and nothing else but spaces. The Markdown export needs this to
// close a block a stopped answer left open (or it would swallow the rest of
// the file).

type fence struct {
	ch byte // '`' or '~'
	n  int
}

func (f fence) String() string { return strings.Repeat(string(f.ch), f.n) }

// fenceIndent strips up to three leading spaces; ok is false when the line
// is indented further (an indented code line, not a fence).
func fenceIndent(line string) (string, bool) {
	for i := 0; i < 4; i++ {
		if i == len(line) || line[i] != ' ' {
			return line[i:], true
		}
	}
	return "", false
}

func fenceRun(s string) (fence, string) {
	if s == "" || (s[0] != '`' && s[0] != '~') {
		return fence{}, s
	}
	n := 1
	for n < len(s) && s[n] == s[0] {
		n++
	}
	return fence{ch: s[0], n: n}, s[n:]
}

// openingFence reports whether line opens a fenced block, with its info
// string (the language, usually).
func openingFence(line string) (fence, string, bool) {
	s, ok := fenceIndent(strings.TrimSuffix(line, "\r"))
	if !ok {
		return fence{}, "", false
	}
	f, rest := fenceRun(s)
	if f.n < 3 || (f.ch == '`' && strings.IndexByte(rest, '`') >= 0) {
		return fence{}, "", false
	}
	return f, strings.TrimSpace(rest), true
}

// closes reports whether line ends the block f opened.
func (f fence) closes(line string) bool {
	s, ok := fenceIndent(line)
	if !ok {
		return false
	}
	g, rest := fenceRun(s)
	return g.ch == f.ch && g.n >= f.n && strings.Trim(rest, " \t\r") == ""
}

// blockCloser returns the line that ends a block still open at the end of
// s and that would swallow whatever follows: a fenced code block, or an
// HTML block of CommonMark's kinds 1 to 5 (<pre>, <script>, <style>,
// <textarea>; <!-- comments -->; <?…?>; <!DECLARATIONS>; <![CDATA[…]]>),
// which end at a line holding their terminator, not at a blank line. ""
// when nothing is open.
func blockCloser(s string) string {
	var (
		open    fence
		inFence bool
		htmlEnd string
	)
	for len(s) > 0 {
		var line string
		line, s, _ = strings.Cut(s, "\n")
		switch {
		case inFence:
			inFence = !open.closes(line)
		case htmlEnd != "":
			if htmlEnds(line, htmlEnd) {
				htmlEnd = ""
			}
		default:
			if open, _, inFence = openingFence(line); inFence {
				continue
			}
			if end := htmlStart(line); end != "" && !htmlEnds(line, end) {
				htmlEnd = end
			}
		}
	}
	switch {
	case inFence:
		return open.String()
	case htmlEnd == htmlRaw:
		return "</pre>"
	}
	return htmlEnd
}

// htmlRaw stands for the end of an HTML block of kind 1: any of </pre>,
// </script>, </style>, </textarea>.
const htmlRaw = "</raw>"

// htmlStart returns the terminator of the HTML block line starts, or "".
func htmlStart(line string) string {
	s, ok := fenceIndent(line)
	if !ok || !strings.HasPrefix(s, "<") {
		return ""
	}
	lower := strings.ToLower(s[:min(len(s), 12)])
	for _, tag := range []string{"<script", "<pre", "<style", "<textarea"} {
		if rest, ok := strings.CutPrefix(lower, tag); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '>' || rest[0] == '\r') {
			return htmlRaw
		}
	}
	switch {
	case strings.HasPrefix(s, "<!--"):
		return "-->"
	case strings.HasPrefix(s, "<?"):
		return "?>"
	case strings.HasPrefix(s, "<![CDATA["):
		return "]]>"
	case len(s) > 2 && s[1] == '!' && (s[2] >= 'a' && s[2] <= 'z' || s[2] >= 'A' && s[2] <= 'Z'):
		return ">"
	}
	return ""
}

func htmlEnds(line, end string) bool {
	if end != htmlRaw {
		return strings.Contains(line, end)
	}
	lower := strings.ToLower(line)
	for _, tag := range []string{"</script>", "</pre>", "</style>", "</textarea>"} {
		if strings.Contains(lower, tag) {
			return true
		}
	}
	return false
}

// newlines turns \r\n and a lone \r (both line endings to CommonMark)
// into \n, so that every line is seen as the reader will see it.
var newlines = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// literalFence returns a backtick fence that no line of s can close: longer
// than any run of backticks in it.
func literalFence(s string) string {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
