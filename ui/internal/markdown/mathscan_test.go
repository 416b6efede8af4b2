package markdown

import (
	"strings"
	"testing"
)

func exprs(spans []mathSpan) []string {
	var out []string
	for _, s := range spans {
		e := s.expr
		if s.display {
			e = "D:" + e
		}
		out = append(out, e)
	}
	return out
}

func TestFindMath(t *testing.T) {
	cases := []struct {
		src  string
		want []string
	}{
		{`The area is $\pi r^2$.`, []string{`\pi r^2`}},
		{`Inline \(a+b\) and display \[x^2\] too`, []string{`a+b`, `D:x^2`}},
		{"$$\n\\int_0^1 x\\,dx\n$$", []string{"D:\n\\int_0^1 x\\,dx\n"}},
		{`$a$ and $b$`, []string{`a`, `b`}},
		// Currency is not math (pandoc's rule).
		{`It costs $5 and $10.`, nil},
		{`Between $5 and $10 a day`, nil},
		{`$ 5 and 6 $`, nil},
		{`from $20,000 to $30,000`, nil},
		// Stricter than pandoc: inline math holds no $.
		{`Pay $5, get $x$ back`, []string{`x`}},
		{`Prices like $5 and $10 stay text, as does $\alpha$.`, []string{`\alpha`}},
		// Escaped dollars are text.
		{`\$5 and \$10`, nil},
		{`\$x$ y$`, nil},
		// Nothing in a code span is math.
		{"Run `echo $HOME $PATH` then $y$", []string{`y`}},
		{"``a ` $b$ ``", nil},
		{"`$x$`", nil},
		{"an unclosed ` then $x$", []string{`x`}},
		// Escapes inside math do not close it.
		{`$a \$ b$`, []string{`a \$ b`}},
		// Not across a paragraph break; $$ empty is text.
		{"$a\n\nb$", nil},
		{"$$ $$", nil},
		{`\(unclosed`, nil},
	}
	for _, c := range cases {
		got := exprs(findMath(c.src, true))
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: found %q, want %q", c.src, got, c.want)
		}
	}
}

func TestStreamingMathWaitsUntilItIsDecided(t *testing.T) {
	// A closing $ at the very end of a growing text may yet be followed by
	// a digit ("$5 and $" + "10"): it is text until more arrives.
	if got := findMath(`costs $5 and $`, false); len(got) != 0 {
		t.Errorf("a $ at the end of a stream closed math: %q", exprs(got))
	}
	if got := findMath(`costs $5 and $10`, false); len(got) != 0 {
		t.Errorf("currency while streaming: %q", exprs(got))
	}
	if got := exprs(findMath(`is $x$`, true)); len(got) != 1 {
		t.Errorf("the finished text's math: %q", got)
	}
	if got := exprs(findMath(`is $x$ `, false)); len(got) != 1 {
		t.Errorf("math closed before more text: %q", got)
	}
	// An unclosed $$ stays source until it closes.
	if got := findMath("$$\n\\sum_i x_i", false); len(got) != 0 {
		t.Errorf("an unclosed $$ was math: %q", exprs(got))
	}
	if got := exprs(findMath("$$\n\\sum_i x_i\n$$", false)); len(got) != 1 || !strings.HasPrefix(got[0], "D:") {
		t.Errorf("a closed $$: %q", got)
	}
}

func TestFindMathHostile(t *testing.T) {
	// 10,000 dollar signs: no math (each is followed by another), and quick.
	if got := findMath(strings.Repeat("$", 10000), true); len(got) != 0 {
		t.Errorf("%d expressions in a run of dollars", len(got))
	}
	// Alternating "$ " is linear too: each opener is followed by a space.
	if got := findMath(strings.Repeat("$ ", 50000), true); len(got) != 0 {
		t.Errorf("%d expressions in dollars and spaces", len(got))
	}
	// Many small expressions are all found.
	if got := findMath(strings.Repeat("$x$ ", 5000), true); len(got) != 5000 {
		t.Errorf("%d of 5,000 expressions found", len(got))
	}
	// Lone dollars with text between: each opener has no closer; read once.
	lone := strings.Repeat("$a ", 200000)
	if got := findMath(lone, true); len(got) != 0 {
		t.Errorf("%d expressions in lone dollars", len(got))
	}
	// Backticks without closers.
	if got := findMath(strings.Repeat("` ", 10000)+"$x$", true); len(got) != 1 {
		t.Errorf("math after unclosed backticks: %d", len(got))
	}
}

func FuzzFindMath(f *testing.F) {
	for _, s := range []string{`$x$`, `$5 and $10`, "`$x$` $y$", `\(a\) \[b\]`, "$$\nx\n$$", `[a](b$c$)`, `\$x$`} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, src string, final bool) {
		last := 0
		for _, sp := range findMath(src, final) {
			if sp.start < last || sp.end <= sp.start || sp.end > len(src) {
				t.Fatalf("%q: span %d-%d after %d", src, sp.start, sp.end, last)
			}
			if !strings.Contains(src[sp.start:sp.end], sp.expr) {
				t.Fatalf("%q: %q is not in its span", src, sp.expr)
			}
			last = sp.end
		}
	})
}
