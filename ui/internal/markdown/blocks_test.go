package markdown

import (
	"reflect"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/engine"
)

func blocksOf(s string, final bool) []string {
	var out []string
	for _, sp := range splitBlocks(s, final) {
		out = append(out, s[sp.start:sp.end])
	}
	return out
}

func TestSplitBlocks(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"only blank lines", "\n\n  \n", nil},
		{"one paragraph", "Hello **world**.", []string{"Hello **world**."}},
		{"paragraphs", "One.\n\nTwo\nstill two.\n\n\nThree.", []string{"One.", "Two\nstill two.", "Three."}},
		{"heading then paragraph", "## Part 1\n\nText.", []string{"## Part 1", "Text."}},
		{
			"code fence with blank lines is one block",
			"Before.\n\n```go\nfunc a() {\n\n\n\treturn\n}\n```\n\nAfter.",
			[]string{"Before.", "```go\nfunc a() {\n\n\n\treturn\n}\n```", "After."},
		},
		{
			"fence without blank lines around it",
			"Look:\n```\nx := 1\n\ny := 2\n```\nDone.",
			[]string{"Look:", "```\nx := 1\n\ny := 2\n```", "Done."},
		},
		{
			"tilde fence and longer closing fence",
			"~~~~\na\n\n~~~\nb\n~~~~~\n\nc",
			[]string{"~~~~\na\n\n~~~\nb\n~~~~~", "c"},
		},
		{"unclosed fence runs to the end", "```\na\n\nb", []string{"```\na\n\nb"}},
		{"inline code at line start is not a fence", "```a``` b\n\nc", []string{"```a``` b", "c"}},
		{
			"tight list is one block",
			"Key points:\n\n- one\n- two\n- three\n\nEnd.",
			[]string{"Key points:", "- one\n- two\n- three", "End."},
		},
		{
			"loose list stays one block",
			"1. one\n\n2. two\n\n   more about two\n\n3. three\n\nAfter the list.",
			[]string{"1. one\n\n2. two\n\n   more about two\n\n3. three", "After the list."},
		},
		{
			"table is one block",
			"| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\nText.",
			[]string{"| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |", "Text."},
		},
		{"blockquote", "> quoted\n> more\n\nplain", []string{"> quoted\n> more", "plain"}},
		{"indented code is not a fence", "    ```\n\nx", []string{"    ```", "x"}},
		{"windows-free trailing newline", "a\n", []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := blocksOf(tt.in, true); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitBlocks(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitBlocksWhileGrowing(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		// After a blank line inside a list, "-" alone cannot tell yet.
		{"undecided list marker stays in the list", "- a\n\n-", []string{"- a\n\n-"}},
		{"decided list item", "- a\n\n- b", []string{"- a\n\n- b"}},
		{"paragraph after a list", "- a\n\nText", []string{"- a", "Text"}},
		{"partial fence opener is not a fence yet", "Intro\n```g", []string{"Intro\n```g"}},
		{"complete fence opener starts a block", "Intro\n```go\nx", []string{"Intro", "```go\nx"}},
		{"open fence keeps blank lines", "```\na\n\n", []string{"```\na\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := blocksOf(tt.in, false); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitBlocks(%q, growing)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// Every block but the last one is final: feeding the text token by token and
// re-splitting only the open tail gives the same blocks as one split of the
// whole text.
func TestSplitBlocksIsPrefixStable(t *testing.T) {
	texts := []string{
		engine.SimulatedMarkdown("prefix stability", 1500),
		"- a\n\n- b\n\n  c\n\nd\n```\nx\n\ny\n```\ne\n\n| h |\n|---|\n| 1 |\n\n1. x\n\n2) y\n\nz",
	}
	for _, text := range texts {
		want := blocksOf(text, true)
		var got []string
		tail := 0
		var toks []string
		for _, r := range text { // rune by rune: harsher than word tokens
			toks = append(toks, string(r))
		}
		buf := ""
		for _, tok := range toks {
			buf += tok
			spans := splitBlocks(buf[tail:], false)
			for _, sp := range spans[:max(len(spans)-1, 0)] {
				got = append(got, buf[tail+sp.start:tail+sp.end])
			}
			if len(spans) > 1 {
				tail += spans[len(spans)-1].start
			}
		}
		for _, sp := range splitBlocks(buf[tail:], true) {
			got = append(got, buf[tail+sp.start:tail+sp.end])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("incremental split differs\n got %q\nwant %q", got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		block string
		final bool
		want  blockKind
	}{
		{"Plain text", true, kindText},
		{"```go\nx", false, kindCode},
		{"~~~\nx\n~~~", true, kindCode},
		{"| a | b |\n|---|---|\n| 1 | 2 |", true, kindTable},
		{"a | b\n--|--", true, kindTable},
		{"| a | b |", false, kindTable},
		{"| a | b |\n|--", false, kindTable},
		{"| a | b |", true, kindText},
		{"| a | b |\nnot a delimiter", true, kindText},
		{"x | y is a pipe in text", true, kindText},
	}
	for _, tt := range tests {
		if got := classify(tt.block, tt.final); got != tt.want {
			t.Errorf("classify(%q, %v) = %v, want %v", tt.block, tt.final, got, tt.want)
		}
	}
}

func TestParseTable(t *testing.T) {
	h, rows := parseTable("| step | what | cost |\n|---|:---:|---|\n| 1 | `a|b` | 3 ms |\n| 2 | x \\| y |")
	if want := []string{"step", "what", "cost"}; !reflect.DeepEqual(h, want) {
		t.Errorf("header %q, want %q", h, want)
	}
	want := [][]string{{"1", "`a|b`", "3 ms"}, {"2", "x | y"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
}

func TestSimulatedAnswerHasManyBlocks(t *testing.T) {
	text := engine.SimulatedMarkdown("hello", 300)
	blocks := blocksOf(text, true)
	if len(blocks) < 5 {
		t.Fatalf("only %d blocks", len(blocks))
	}
	kinds := map[blockKind]int{}
	for _, b := range blocks {
		kinds[classify(b, true)]++
	}
	if kinds[kindCode] == 0 || kinds[kindTable] == 0 {
		t.Errorf("kinds = %v, want code and table blocks", kinds)
	}
	if !strings.HasPrefix(blocks[0], "This is the **Simulator**") {
		t.Errorf("first block %q", blocks[0])
	}
}
