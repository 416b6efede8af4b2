package mathtex

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// node is a parsed expression: a row of atoms, each with optional
// scripts. The grammar is the part of TeX math that answers use; anything
// else is an error (and the caller shows the source).
type node interface{ isNode() }

type (
	row    []node
	char   struct{ r rune } // a letter, digit or symbol
	symbol struct {         // a macro standing for one character (\alpha, \leq)
		r    rune
		kind symKind
	}
	fn      struct{ name string } // \sin, \log: upright, a thin space after
	scripts struct{ base, sup, sub node }
	frac    struct {
		num, den node
		rule     bool // false for \binom
		delims   bool // \binom's parentheses
	}
	root   struct{ body, index node }
	accent struct {
		body node
		mark rune // '^' for \hat, '-' for \bar and \overline, '→' for \vec
		wide bool // \overline: a rule over the whole body
	}
	style struct {
		body  node
		style fontStyle
	}
	space  struct{ em float64 }
	fenced struct { // \left( … \right)
		left, right rune // 0: none (\left.)
		body        node
	}
)

func (row) isNode()     {}
func (char) isNode()    {}
func (symbol) isNode()  {}
func (fn) isNode()      {}
func (scripts) isNode() {}
func (frac) isNode()    {}
func (root) isNode()    {}
func (accent) isNode()  {}
func (style) isNode()   {}
func (space) isNode()   {}
func (fenced) isNode()  {}

var errSyntax = errors.New("syntax")

type parser struct {
	s   string
	pos int
}

// parse reads a whole expression.
func parse(s string) (n node, err error) {
	p := &parser{s: s}
	l, err := p.row(0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.s) {
		return nil, fmt.Errorf("%w: unexpected %q", errSyntax, p.s[p.pos:min(len(p.s), p.pos+8)])
	}
	return l, nil
}

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

// row reads atoms up to a closing brace, \right, an end of text, or
// (stop != 0) the rune stop.
func (p *parser) row(stop byte) (row, error) {
	var out row
	for {
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] == '}' || (stop != 0 && p.s[p.pos] == stop) ||
			strings.HasPrefix(p.s[p.pos:], `\right`) {
			return out, nil
		}
		c := p.s[p.pos]
		if c == '^' || c == '_' {
			if len(out) == 0 {
				out = append(out, row{}) // a script on nothing: {}^2
			}
			p.pos++
			arg, err := p.arg()
			if err != nil {
				return nil, err
			}
			last := out[len(out)-1]
			sc, ok := last.(*scripts)
			if !ok {
				sc = &scripts{base: last}
				out[len(out)-1] = sc
			}
			if c == '^' {
				if sc.sup != nil {
					return nil, fmt.Errorf("%w: double superscript", errSyntax)
				}
				sc.sup = arg
			} else {
				if sc.sub != nil {
					return nil, fmt.Errorf("%w: double subscript", errSyntax)
				}
				sc.sub = arg
			}
			continue
		}
		if c == '\'' { // a prime: the font's ′ sits high already
			p.pos++
			out = append(out, symbol{r: '′'})
			continue
		}
		a, err := p.atom()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
}

// arg reads a macro's argument or a script: a group or one atom.
func (p *parser) arg() (node, error) {
	p.skipSpace()
	if p.pos >= len(p.s) {
		return nil, fmt.Errorf("%w: missing argument", errSyntax)
	}
	if p.s[p.pos] == '}' || p.s[p.pos] == '^' || p.s[p.pos] == '_' {
		return nil, fmt.Errorf("%w: missing argument", errSyntax)
	}
	return p.atom()
}

// group reads {…} after its opening brace.
func (p *parser) group() (node, error) {
	l, err := p.row(0)
	if err != nil {
		return nil, err
	}
	if p.pos >= len(p.s) || p.s[p.pos] != '}' {
		return nil, fmt.Errorf("%w: unclosed brace", errSyntax)
	}
	p.pos++
	return l, nil
}

func (p *parser) atom() (node, error) {
	c := p.s[p.pos]
	switch c {
	case '{':
		p.pos++
		return p.group()
	case '\\':
		return p.macro()
	case '&', '#', '%', '~':
		return nil, fmt.Errorf("%w: %q", errSyntax, c)
	}
	r, n := utf8.DecodeRuneInString(p.s[p.pos:])
	if r == utf8.RuneError {
		return nil, fmt.Errorf("%w: not UTF-8", errSyntax)
	}
	p.pos += n
	return char{r}, nil
}

// macroName reads the name after a backslash: letters, or one other
// character.
func (p *parser) macroName() string {
	start := p.pos
	p.pos++ // the backslash
	for p.pos < len(p.s) && (p.s[p.pos] >= 'a' && p.s[p.pos] <= 'z' || p.s[p.pos] >= 'A' && p.s[p.pos] <= 'Z') {
		p.pos++
	}
	if p.pos == start+1 && p.pos < len(p.s) {
		_, n := utf8.DecodeRuneInString(p.s[p.pos:])
		p.pos += n
	}
	return p.s[start:p.pos]
}

func (p *parser) macro() (node, error) {
	name := p.macroName()
	if s, ok := symbols[name]; ok {
		return s, nil
	}
	if em, ok := spaces[name]; ok {
		return space{em}, nil
	}
	if functions[name] {
		return fn{name[1:]}, nil
	}
	if st, ok := styles[name]; ok {
		body, err := p.arg()
		return style{body, st}, err
	}
	if a, ok := accents[name]; ok {
		body, err := p.arg()
		return accent{body: body, mark: a, wide: name == `\overline`}, err
	}
	switch name {
	case `\frac`, `\dfrac`, `\tfrac`, `\binom`:
		num, err := p.arg()
		if err != nil {
			return nil, err
		}
		den, err := p.arg()
		return frac{num: num, den: den, rule: name != `\binom`, delims: name == `\binom`}, err
	case `\sqrt`:
		var index node
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == '[' {
			p.pos++
			l, err := p.row(']')
			if err != nil {
				return nil, err
			}
			if p.pos >= len(p.s) {
				return nil, fmt.Errorf("%w: unclosed [", errSyntax)
			}
			p.pos++
			index = l
		}
		body, err := p.arg()
		return root{body: body, index: index}, err
	case `\left`:
		return p.fenced()
	case `\operatorname`, `\text`, `\textrm`, `\mbox`, `\textit`, `\textbf`:
		return p.textArg(name)
	}
	return nil, fmt.Errorf("%w: unknown macro %s", errSyntax, name)
}

// delim reads the delimiter after \left or \right.
func (p *parser) delim() (rune, error) {
	p.skipSpace()
	if p.pos >= len(p.s) {
		return 0, fmt.Errorf("%w: missing delimiter", errSyntax)
	}
	if p.s[p.pos] == '\\' {
		name := p.macroName()
		if r, ok := delims[name]; ok {
			return r, nil
		}
		return 0, fmt.Errorf("%w: unknown delimiter %s", errSyntax, name)
	}
	r, n := utf8.DecodeRuneInString(p.s[p.pos:])
	p.pos += n
	switch r {
	case '.':
		return 0, nil
	case '(', ')', '[', ']', '|', '/':
		return r, nil
	}
	return 0, fmt.Errorf("%w: unknown delimiter %q", errSyntax, r)
}

func (p *parser) fenced() (node, error) {
	l, err := p.delim()
	if err != nil {
		return nil, err
	}
	body, err := p.row(0)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(p.s[p.pos:], `\right`) {
		return nil, fmt.Errorf("%w: \\left without \\right", errSyntax)
	}
	p.pos += len(`\right`)
	r, err := p.delim()
	return fenced{left: l, right: r, body: body}, err
}

// textArg reads {text} as it is written, spaces kept.
func (p *parser) textArg(name string) (node, error) {
	p.skipSpace()
	if p.pos >= len(p.s) || p.s[p.pos] != '{' {
		return nil, fmt.Errorf("%w: %s needs {text}", errSyntax, name)
	}
	end := strings.IndexByte(p.s[p.pos:], '}')
	if end < 0 {
		return nil, fmt.Errorf("%w: unclosed brace", errSyntax)
	}
	text := p.s[p.pos+1 : p.pos+end]
	p.pos += end + 1
	if strings.ContainsAny(text, `{\`) {
		return nil, fmt.Errorf("%w: markup in %s", errSyntax, name)
	}
	st := styleText
	switch name {
	case `\operatorname`:
		return fn{text}, nil
	case `\textit`:
		st = styleItalic
	case `\textbf`:
		st = styleBold
	}
	var l row
	for _, r := range text {
		if unicode.IsSpace(r) {
			l = append(l, space{0.3})
			continue
		}
		l = append(l, char{r})
	}
	return style{l, st}, nil
}
