package markdown

import "strings"

// Math in a text block is found before Fyne's markdown parses it (which
// would read `\(` as an escaped parenthesis and `_` inside TeX as
// emphasis). The rules are pandoc's (tex_math_dollars, tex_math_single_
// backslash): $…$ is math when the opening $ is not followed by white
// space and the closing $ is not preceded by white space nor followed by a
// digit, so "$5 and $10" stays text; $$…$$ and \[…\] are display math,
// \(…\) inline; \$ is a dollar; nothing in a code span or a link's
// destination is math. One rule is stricter than pandoc's: inline math
// holds no unescaped $ (the first one after the opening either closes it
// or it is no math), so that "$5 and $10, then $x$" is not one expression
// from 5 to x.

// mathSpan is one expression: src[start:end] is it with its delimiters.
type mathSpan struct {
	start, end int
	expr       string
	display    bool
}

// findMath returns the math in a text block's source, in order. final
// says the block will not grow: while it still streams, a $ at its very end
// might turn out to be followed by a digit, and an unclosed $$ or \[ might
// close, so those stay text until they are decided.
func findMath(src string, final bool) []mathSpan {
	var out []mathSpan
	// dead: no $ before it closes an inline math opened after the last
	// failed search (which closer is valid does not depend on the opener),
	// so that a text of many lone dollars is read once, not once per dollar.
	dead := 0
	for i := 0; i < len(src); {
		switch src[i] {
		case '\\':
			if i+1 < len(src) && (src[i+1] == '(' || src[i+1] == '[') {
				closer, display := `\)`, src[i+1] == '['
				if display {
					closer = `\]`
				}
				if j := strings.Index(src[i+2:], closer); j >= 0 {
					end := i + 2 + j + 2
					out = append(out, mathSpan{i, end, src[i+2 : i+2+j], display})
					i = end
					continue
				}
			}
			i += 2 // an escape (\$ included) is never a delimiter
		case '`':
			i = skipCodeSpan(src, i)
		case ']':
			// A link's destination is a URL, never math: [a](http://x/$y$).
			if i+1 < len(src) && src[i+1] == '(' {
				if j := strings.IndexAny(src[i+2:], ") \n"); j >= 0 && src[i+2+j] == ')' {
					i += 2 + j + 1
					continue
				}
			}
			i++
		case '$':
			if i+1 < len(src) && src[i+1] == '$' {
				j := strings.Index(src[i+2:], "$$")
				if j < 0 {
					i += 2 // unclosed: text
					continue
				}
				end := i + 2 + j + 2
				if strings.TrimSpace(src[i+2:i+2+j]) != "" {
					out = append(out, mathSpan{i, end, src[i+2 : i+2+j], true})
				}
				i = end
				continue
			}
			if i >= dead {
				end, ok := inlineDollar(src, i, final)
				if ok {
					out = append(out, mathSpan{i, end, src[i+1 : end-1], false})
					i = end
					continue
				}
				dead = end
			}
			i++
		default:
			i++
		}
	}
	return out
}

// inlineDollar finds the $ closing the one at src[i], by pandoc's rule; it
// returns the offset just past it, or, when there is none, where the search
// stopped.
func inlineDollar(src string, i int, final bool) (int, bool) {
	if i+1 >= len(src) || isSpaceByte(src[i+1]) {
		return i, false
	}
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '\n':
			if j+1 < len(src) && src[j+1] == '\n' {
				return j, false // a paragraph's end
			}
		case '$':
			// The first dollar closes the math or nothing: "$5 and $10
			// a day, $x$" has no math from $5 to x.
			if j+1 == len(src) && !final && !isSpaceByte(src[j-1]) {
				return j, false // a digit may follow
			}
			if isSpaceByte(src[j-1]) || j+1 < len(src) && (src[j+1] >= '0' && src[j+1] <= '9' || src[j+1] == '$') {
				return j, false
			}
			return j + 1, true
		}
	}
	return len(src), false
}

// skipCodeSpan returns the offset past the code span opening at src[i], or
// past its backticks when they open none.
func skipCodeSpan(src string, i int) int {
	n := 0
	for i+n < len(src) && src[i+n] == '`' {
		n++
	}
	fence := src[i : i+n]
	for j := i + n; j < len(src); {
		k := strings.Index(src[j:], fence)
		if k < 0 {
			break
		}
		k += j
		e := k + n
		if e < len(src) && src[e] == '`' { // a longer run: not the closer
			for e < len(src) && src[e] == '`' {
				e++
			}
			j = e
			continue
		}
		return e
	}
	return i + n
}
