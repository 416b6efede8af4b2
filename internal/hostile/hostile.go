// Package hostile makes the answers a hostile or broken provider can send
// that once froze the window (issue 13): a 400-column table, a 2 MB line,
// an unclosed code fence of 50,000 lines and 100 KB of base64 without a
// space. Tests, benchmarks, the screenshot scene and scripts/gen-hostile
// share them. The texts are the same on every call.
package hostile

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Case is one hostile answer.
type Case struct {
	Name string // a short name: "table400", "line2mb", "fence50k", "base64"
	Text string
}

// Cases returns every hostile answer.
func Cases() []Case {
	return []Case{
		{"table400", Table(400, 40)},
		{"line2mb", Line(2 << 20)},
		{"fence50k", Fence(50_000)},
		{"base64", Base64(100 << 10)},
	}
}

// Table is a pipe table of cols columns and rows rows.
func Table(cols, rows int) string {
	var b strings.Builder
	row := func(cell func(c int) string) {
		for c := 0; c < cols; c++ {
			b.WriteString("| " + cell(c) + " ")
		}
		b.WriteString("|\n")
	}
	row(func(c int) string { return fmt.Sprintf("col%d", c+1) })
	row(func(int) string { return "---" })
	for r := 0; r < rows; r++ {
		row(func(c int) string { return fmt.Sprintf("r%dc%d", r+1, c+1) })
	}
	return "Here is the table:\n\n" + b.String()
}

// Line is one line of n bytes of words, without a newline.
func Line(n int) string {
	words := []string{"stream", "window", "token", "answer", "provider", "render", "queue", "budget"}
	var b strings.Builder
	b.Grow(n + 16)
	for i := 0; b.Len() < n; i++ {
		b.WriteString(words[(i*7+i/3)%len(words)])
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

// Fence is a code fence that is never closed, of n numbered lines.
func Fence(n int) string {
	var b strings.Builder
	b.WriteString("Here is the log:\n\n```text\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%06d INFO request served in %d ms from cache shard %d\n", i, i%997, i%16)
	}
	return b.String()
}

// Base64 is n bytes of base64 without a space or a newline.
func Base64(n int) string {
	raw := make([]byte, n*3/4+3)
	x := uint32(2463534242)
	for i := range raw {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		raw[i] = byte(x)
	}
	return "data:" + base64.StdEncoding.EncodeToString(raw)[:n-5]
}
