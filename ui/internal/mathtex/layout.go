package mathtex

import (
	"fmt"
	"math"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// A box is laid out math: its width, and how far it reaches above and
// below its baseline, in pixels; ops draw it, relative to its origin on
// the baseline (y grows downwards).
type box struct {
	w, asc, desc float64
	ops          []op
}

// op draws one glyph (face set), or a filled polygon (poly set).
type op struct {
	x, y float64
	face font.Face
	r    rune
	poly []point
}

type point struct{ x, y float64 }

// put draws c into b with its origin at (x, y).
func (b *box) put(c box, x, y float64) {
	for _, o := range c.ops {
		o.x += x
		o.y += y
		b.ops = append(b.ops, o)
	}
	b.asc = math.Max(b.asc, c.asc-y)
	b.desc = math.Max(b.desc, c.desc+y)
}

// rule draws a filled rectangle, (x1,y1)-(x2,y2) from b's origin.
func (b *box) rule(x1, y1, x2, y2 float64) {
	b.ops = append(b.ops, op{poly: []point{{x1, y1}, {x2, y1}, {x2, y2}, {x1, y2}}})
}

// stroke draws a line from p to q, t thick.
func (b *box) stroke(p, q point, t float64) {
	dx, dy := q.x-p.x, q.y-p.y
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*t/2, dx/l*t/2
	b.ops = append(b.ops, op{poly: []point{{p.x + nx, p.y + ny}, {q.x + nx, q.y + ny}, {q.x - nx, q.y - ny}, {p.x - nx, p.y - ny}}})
}

// state is how a node is set: its size in pixels, whether in display
// style, and the face letters take.
type state struct {
	size    float64
	display bool
	style   fontStyle
	level   int // 0 in the expression, 1 in scripts, 2 in scripts' scripts
}

func (s state) smaller() state {
	s.level++
	s.display = false
	if s.level <= 2 {
		s.size *= 0.7
	}
	return s
}

// layouter holds the faces of one rendering.
type layouter struct {
	faces map[faceKey]font.Face
	ops   int // glyphs and polygons made so far (bounded)
}

const maxOps = 4000

func (l *layouter) face(f *sfnt.Font, size float64) (font.Face, error) {
	return faceFor(l.faces, f, size, 72)
}

// glyph sets r as one box in f at size.
func (l *layouter) glyph(r rune, f *sfnt.Font, size float64) (box, error) {
	if l.ops++; l.ops > maxOps {
		return box{}, ErrTooLarge
	}
	face, err := l.face(f, size)
	if err != nil {
		return box{}, err
	}
	bounds, adv, ok := face.GlyphBounds(r)
	if !ok {
		return box{}, fmt.Errorf("%w: %q", ErrGlyph, r)
	}
	return box{
		w:    fx(adv),
		asc:  math.Max(0, -fx(bounds.Min.Y)),
		desc: math.Max(0, fx(bounds.Max.Y)),
		ops:  []op{{face: face, r: r}},
	}, nil
}

func fx(v fixed.Int26_6) float64 { return float64(v) / 64 }

// class is the spacing class of an atom, for TeX's spaces between atoms.
func class(n node) symKind {
	switch n := n.(type) {
	case char:
		switch n.r {
		case '+', '-', '*':
			return bin
		case '=', '<', '>', ':':
			return rel
		case ',', ';':
			return punct
		}
	case symbol:
		return n.kind
	case scripts:
		return class(n.base)
	}
	return ord
}

func (l *layouter) layout(n node, st state) (box, error) {
	switch n := n.(type) {
	case row:
		return l.hlist(n, st)
	case char:
		return l.char(n.r, st)
	case symbol:
		return l.symbol(n, st)
	case fn:
		return l.text(n.name, regular, st.size)
	case space:
		return box{w: n.em * st.size}, nil
	case style:
		st.style = n.style
		return l.layout(n.body, st)
	case *scripts:
		return l.scripts(*n, st)
	case scripts:
		return l.scripts(n, st)
	case frac:
		return l.frac(n, st)
	case root:
		return l.root(n, st)
	case accent:
		return l.accent(n, st)
	case fenced:
		return l.fenced(n, st)
	}
	return box{}, fmt.Errorf("%w: %T", errSyntax, n)
}

// hlist sets atoms side by side, with TeX's spaces around binary
// operators and relations (not in scripts).
func (l *layouter) hlist(atoms row, st state) (box, error) {
	var b box
	prev := symKind(-1) // nothing yet
	for i, a := range atoms {
		c := class(a)
		if c == bin && (prev < 0 || prev == bin || prev == rel || prev == punct || prev == large && false) {
			c = ord // a unary minus
		}
		if c == bin && i == len(atoms)-1 {
			c = ord
		}
		if st.level == 0 && prev >= 0 {
			switch {
			case c == rel && prev != rel || prev == rel && c != rel:
				b.w += st.size * 5 / 18
			case c == bin || prev == bin:
				b.w += st.size * 4 / 18
			case prev == punct:
				b.w += st.size * 3 / 18
			}
		}
		if _, ok := a.(fn); ok && prev >= 0 {
			b.w += st.size * 3 / 18
		}
		if _, ok := prevFn(atoms, i); ok && c == ord {
			b.w += st.size * 3 / 18
		}
		k, err := l.layout(a, st)
		if err != nil {
			return box{}, err
		}
		b.put(k, b.w, 0)
		b.w += k.w
		prev = c
	}
	return b, nil
}

// prevFn reports whether the atom before i is a function name (\sin x).
func prevFn(atoms row, i int) (fn, bool) {
	if i == 0 {
		return fn{}, false
	}
	switch p := atoms[i-1].(type) {
	case fn:
		return p, true
	case *scripts:
		f, ok := p.base.(fn)
		return f, ok
	}
	return fn{}, false
}

func (l *layouter) char(r rune, st state) (box, error) {
	switch r {
	case '-':
		r = '−'
	case '*':
		r = '∗'
	}
	f := regular
	switch st.style {
	case styleMath:
		if unicode.IsLetter(r) && r < 0x370 { // Latin letters are italic, Greek upright as in ISO style
			f = italic
		}
	case styleItalic:
		f = italic
	case styleBold:
		f = bold
	}
	return l.glyph(r, f, st.size)
}

// text sets s upright, as one run (function names).
func (l *layouter) text(s string, f *sfnt.Font, size float64) (box, error) {
	var b box
	for _, r := range s {
		g, err := l.glyph(r, f, size)
		if err != nil {
			return box{}, err
		}
		b.put(g, b.w, 0)
		b.w += g.w
	}
	return b, nil
}

// axis is the height of the math axis (where fraction bars and the middle
// of operators sit) above the baseline.
func axis(size float64) float64 { return 0.27 * size }

func (l *layouter) symbol(s symbol, st state) (box, error) {
	if s.r == '′' { // after an italic letter's overhang
		g, err := l.glyph(s.r, regular, st.size)
		var b box
		b.put(g, 0.12*st.size, 0)
		b.w = g.w + 0.12*st.size
		return b, err
	}
	if s.kind != large {
		return l.glyph(s.r, regular, st.size)
	}
	grow := 1.4
	if st.display {
		grow = 2.0
	}
	if s.r == '∫' || s.r == '∬' || s.r == '∮' {
		grow *= 1.3
	}
	g, err := l.glyph(s.r, regular, st.size*grow)
	if err != nil {
		return box{}, err
	}
	// Centre it on the axis.
	var b box
	shift := (g.asc-g.desc)/2 - axis(st.size)
	b.put(g, 0, shift)
	b.w = g.w
	return b, nil
}

func (l *layouter) scripts(n scripts, st state) (box, error) {
	base, err := l.layout(n.base, st)
	if err != nil {
		return box{}, err
	}
	small := st.smaller()
	var sup, sub *box
	if n.sup != nil {
		b, err := l.layout(n.sup, small)
		if err != nil {
			return box{}, err
		}
		sup = &b
	}
	if n.sub != nil {
		b, err := l.layout(n.sub, small)
		if err != nil {
			return box{}, err
		}
		sub = &b
	}
	if st.display && takesLimits(n.base) {
		return limitsBox(base, sup, sub, st.size), nil
	}
	out := box{}
	out.put(base, 0, 0)
	x := base.w
	u := math.Max(base.asc-0.3*st.size, 0.4*st.size)
	v := math.Max(base.desc, 0.2*st.size)
	if sup != nil {
		u = math.Max(u, sup.desc+0.25*st.size)
	}
	if sub != nil {
		v = math.Max(v, sub.asc-0.45*st.size)
	}
	if sup != nil && sub != nil {
		if gap := (u - sup.desc) - (sub.asc - v); gap < 0.1*st.size {
			v += 0.1*st.size - gap
		}
	}
	w := 0.0
	if sup != nil {
		out.put(*sup, x+0.05*st.size, -u)
		w = sup.w + 0.05*st.size
	}
	if sub != nil {
		out.put(*sub, x, v)
		w = math.Max(w, sub.w)
	}
	out.w = x + w + 0.03*st.size
	return out, nil
}

func takesLimits(n node) bool {
	switch n := n.(type) {
	case symbol:
		return n.kind == large && n.r != '∫' && n.r != '∬' && n.r != '∮'
	case fn:
		return limits[n.name]
	}
	return false
}

// limitsBox puts sup over base and sub under it, centred.
func limitsBox(base box, sup, sub *box, size float64) box {
	w := base.w
	if sup != nil {
		w = math.Max(w, sup.w)
	}
	if sub != nil {
		w = math.Max(w, sub.w)
	}
	gap := 0.15 * size
	var out box
	out.put(base, (w-base.w)/2, 0)
	if sup != nil {
		out.put(*sup, (w-sup.w)/2, -(base.asc + gap + sup.desc))
	}
	if sub != nil {
		out.put(*sub, (w-sub.w)/2, base.desc+gap+sub.asc)
	}
	out.w = w
	return out
}

func (l *layouter) frac(n frac, st state) (box, error) {
	inner := st
	if st.display {
		inner.display = false
	} else {
		inner = st.smaller()
	}
	num, err := l.layout(n.num, inner)
	if err != nil {
		return box{}, err
	}
	den, err := l.layout(n.den, inner)
	if err != nil {
		return box{}, err
	}
	t := thickness(st.size)
	gap := math.Max(t, 0.12*st.size)
	a := axis(st.size)
	pad := 0.12 * st.size
	w := math.Max(num.w, den.w) + 2*pad
	var out box
	out.put(num, (w-num.w)/2, -(a + t/2 + gap + num.desc))
	out.put(den, (w-den.w)/2, -a+t/2+gap+den.asc)
	if n.rule {
		out.rule(pad/2, -a-t/2, w-pad/2, -a+t/2)
	}
	out.w = w
	if n.delims {
		return l.fence(out, '(', ')', st)
	}
	return out, nil
}

func thickness(size float64) float64 { return math.Max(1, 0.06*size) }

func (l *layouter) root(n root, st state) (box, error) {
	body, err := l.layout(n.body, st)
	if err != nil {
		return box{}, err
	}
	t := thickness(st.size)
	gap := 0.15 * st.size
	asc := math.Max(body.asc, 0.7*st.size) + gap + t
	desc := math.Max(body.desc, 0.15*st.size)
	h := asc + desc
	sw := 0.45*st.size + 0.05*h // the sign's width
	var out box
	x0 := 0.0
	if n.index != nil {
		idx, err := l.layout(n.index, st.smaller().smaller())
		if err != nil {
			return box{}, err
		}
		x0 = math.Max(0, idx.w-0.25*sw)
		out.put(idx, x0+0.25*sw-idx.w, desc-0.55*h-idx.desc)
	}
	top := -asc + t/2
	a := point{x0, desc - 0.4*h}
	b := point{x0 + 0.18*sw, desc - 0.48*h}
	c := point{x0 + 0.45*sw, desc}
	d := point{x0 + sw, top}
	out.stroke(a, b, t)
	out.stroke(b, c, 1.8*t)
	out.stroke(c, d, t)
	end := x0 + sw + body.w + 0.1*st.size
	out.rule(d.x-t/3, top-t/2, end, top+t/2)
	out.put(body, x0+sw+0.05*st.size, 0)
	out.asc = math.Max(out.asc, asc)
	out.desc = math.Max(out.desc, desc)
	out.w = end + 0.05*st.size
	return out, nil
}

func (l *layouter) accent(n accent, st state) (box, error) {
	body, err := l.layout(n.body, st)
	if err != nil {
		return box{}, err
	}
	t := thickness(st.size) * 0.9
	top := -math.Max(body.asc, 0.5*st.size) - 0.12*st.size
	skew := 0.0
	if _, ok := n.body.(char); ok && st.style == styleMath {
		skew = 0.08 * st.size // italic letters lean right
	}
	out := box{}
	out.put(body, 0, 0)
	cx := body.w/2 + skew
	hw := math.Max(0.22*st.size, body.w*0.4)
	if n.wide {
		hw = body.w / 2
	}
	switch n.mark {
	case '¯':
		out.rule(cx-hw, top-t, cx+hw, top)
	case 'ˆ':
		h := 0.18 * st.size
		out.stroke(point{cx - hw, top}, point{cx, top - h}, t)
		out.stroke(point{cx, top - h}, point{cx + hw, top}, t)
	case '→':
		y := top - 0.08*st.size
		out.stroke(point{cx - hw, y}, point{cx + hw, y}, t)
		out.stroke(point{cx + hw - 0.15*st.size, y - 0.1*st.size}, point{cx + hw, y}, t)
		out.stroke(point{cx + hw - 0.15*st.size, y + 0.1*st.size}, point{cx + hw, y}, t)
	default:
		g, err := l.glyph(n.mark, regular, st.size)
		if err != nil {
			return box{}, err
		}
		out.put(g, cx-g.w/2, top+g.desc+0.05*st.size)
	}
	out.asc = math.Max(out.asc, -top+0.25*st.size)
	out.w = body.w
	return out, nil
}

func (l *layouter) fenced(n fenced, st state) (box, error) {
	body, err := l.layout(n.body, st)
	if err != nil {
		return box{}, err
	}
	return l.fence(body, n.left, n.right, st)
}

// fence puts delimiters as tall as body around it.
func (l *layouter) fence(body box, left, right rune, st state) (box, error) {
	h := math.Max(body.asc+body.desc, 0.8*st.size)
	var out box
	x := 0.0
	put := func(r rune) error {
		if r == 0 {
			x += 0.1 * st.size
			return nil
		}
		size := st.size * math.Max(1, h/(0.9*st.size))
		g, err := l.glyph(r, regular, size)
		if err != nil {
			return err
		}
		mid := (body.asc - body.desc) / 2 // the body's middle above the baseline
		out.put(g, x, (g.asc-g.desc)/2-mid)
		x += g.w
		return nil
	}
	if err := put(left); err != nil {
		return box{}, err
	}
	out.put(body, x, 0)
	x += body.w
	if err := put(right); err != nil {
		return box{}, err
	}
	out.w = x
	return out, nil
}
