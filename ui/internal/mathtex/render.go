package mathtex

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Limits on what is given to mtex. Its parser and layout recurse once per
// group, and its cost grows with the expression: an answer quoting a
// megabyte of TeX, or braces nested thousands deep, is shown as source.
const (
	MaxBytes  = 2000 // longer expressions are not rendered
	MaxDepth  = 40   // nor ones with groups ({, \left) nested deeper
	MaxPixels = 4 << 20
)

// Options say how an expression is drawn.
type Options struct {
	Size    float32     // the text size, in Fyne units (points at scale 1)
	Scale   float32     // pixels per Fyne unit on the canvas that shows it
	Color   color.Color // the glyphs' colour (the theme's foreground)
	Display bool        // display math ($$…$$): set a little larger
}

// displayGrow is how much larger display math is set than the text.
const displayGrow = 1.15

// Math is a rendered expression.
type Math struct {
	Image *image.RGBA // transparent but for the glyphs, Scale pixels per unit
	// Width and Height are the image's size in Fyne units; Ascent is how
	// far its baseline is below its top.
	Width, Height, Ascent float32
	Options
}

// Bytes is the memory the image holds.
func (m *Math) Bytes() int { return len(m.Image.Pix) }

// Errors say in one sentence why an expression is shown as its source.
var (
	ErrEmpty    = errors.New("The math is empty.")
	ErrTooLong  = fmt.Errorf("The math is longer than %d bytes, so it is shown as its source.", MaxBytes)
	ErrTooDeep  = fmt.Errorf("The math nests groups deeper than %d, so it is shown as its source.", MaxDepth)
	ErrTooLarge = errors.New("The math would make too large an image, so it is shown as its source.")
	ErrGlyph    = errors.New("The math uses a symbol the font does not have, so it is shown as its source.")
)

// unsupported wraps what mtex reported (or panicked with) in a sentence.
type unsupported struct{ err error }

func (e *unsupported) Error() string {
	return "This math uses TeX that deskchat cannot draw, so it is shown as its source."
}
func (e *unsupported) Unwrap() error { return e.err }

// Check reports whether expr is within the limits, before any parsing.
func Check(expr string) error {
	if strings.TrimSpace(expr) == "" {
		return ErrEmpty
	}
	if len(expr) > MaxBytes {
		return ErrTooLong
	}
	depth := 0
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '\\':
			if strings.HasPrefix(expr[i:], `\left`) {
				depth++
			} else if strings.HasPrefix(expr[i:], `\right`) {
				depth--
			}
			i++ // \{ and \} are not groups
		case '{':
			depth++
		case '}':
			depth--
		}
		if depth > MaxDepth {
			return ErrTooDeep
		}
	}
	return nil
}

// Render draws expr. It never panics: what it cannot draw is an error.
func Render(expr string, o Options) (m *Math, err error) {
	if err := Check(expr); err != nil {
		return nil, err
	}
	if o.Scale <= 0 || o.Scale > 8 {
		o.Scale = 1
	}
	if o.Size <= 0 || o.Size > 200 {
		o.Size = 14
	}
	if o.Color == nil {
		o.Color = color.Black
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, &unsupported{fmt.Errorf("panic: %v", r)}
		}
	}()
	n, err := parse(expr)
	if err != nil {
		return nil, &unsupported{err}
	}
	size := float64(o.Size * o.Scale)
	if o.Display {
		size *= displayGrow
	}
	l := &layouter{faces: map[faceKey]font.Face{}}
	defer l.close()
	b, err := l.layout(n, state{size: size, display: o.Display})
	if errors.Is(err, ErrGlyph) {
		return nil, ErrGlyph
	}
	if errors.Is(err, ErrTooLarge) {
		return nil, ErrTooLarge
	}
	if err != nil {
		return nil, &unsupported{err}
	}
	return paint(b, o)
}

func (l *layouter) close() {
	for _, f := range l.faces {
		f.Close()
	}
}

// paint draws b into an image with a pixel of room around it.
func paint(b box, o Options) (*Math, error) {
	const pad = 2
	if b.w <= 0 || b.asc+b.desc <= 0 {
		return nil, ErrEmpty
	}
	pw, ph := int(math.Ceil(b.w))+2*pad, int(math.Ceil(b.asc+b.desc))+2*pad
	if pw*ph > MaxPixels || pw > 1<<14 || ph > 1<<14 {
		return nil, ErrTooLarge
	}
	ox, oy := float64(pad), float64(pad)+b.asc // the origin in the image
	mask := image.NewAlpha(image.Rect(0, 0, pw, ph))
	var z vector.Rasterizer
	for _, op := range b.ops {
		if op.face != nil {
			d := font.Drawer{Dst: mask, Src: image.Opaque, Face: op.face,
				Dot: fixed.Point26_6{X: fix(op.x + ox), Y: fix(op.y + oy)}}
			d.DrawString(string(op.r))
			continue
		}
		polygon(&z, mask, op.poly, op.x+ox, op.y+oy)
	}
	img := image.NewRGBA(mask.Rect)
	draw.DrawMask(img, img.Rect, image.NewUniform(o.Color), image.Point{}, mask, image.Point{}, draw.Over)
	s := o.Scale
	return &Math{
		Image:   img,
		Width:   float32(pw) / s,
		Height:  float32(ph) / s,
		Ascent:  float32(oy) / s,
		Options: o,
	}, nil
}

// polygon fills poly, offset by (ox, oy), into mask.
func polygon(z *vector.Rasterizer, mask *image.Alpha, poly []point, ox, oy float64) {
	if len(poly) < 3 {
		return
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range poly {
		minX, minY = math.Min(minX, p.x+ox), math.Min(minY, p.y+oy)
		maxX, maxY = math.Max(maxX, p.x+ox), math.Max(maxY, p.y+oy)
	}
	r := image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY))).Intersect(mask.Rect)
	if r.Empty() {
		return
	}
	z.Reset(r.Dx(), r.Dy())
	at := func(p point) (float32, float32) {
		return float32(p.x + ox - float64(r.Min.X)), float32(p.y + oy - float64(r.Min.Y))
	}
	z.MoveTo(at(poly[0]))
	for _, p := range poly[1:] {
		z.LineTo(at(p))
	}
	z.ClosePath()
	z.Draw(mask, r, image.Opaque, image.Point{})
}

type faceKey struct {
	f    *sfnt.Font
	size float64
}

func faceFor(faces map[faceKey]font.Face, f *sfnt.Font, size, dpi float64) (font.Face, error) {
	k := faceKey{f, size}
	if face, ok := faces[k]; ok {
		return face, nil
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: dpi, Hinting: font.HintingNone})
	if err != nil {
		return nil, err
	}
	faces[k] = face
	return face, nil
}

func fix(v float64) fixed.Int26_6 { return fixed.Int26_6(math.Round(v * 64)) }

// The Go fonts: upright, italic for letters, bold for \mathbf.
var regular, italic, bold = mustFont(goregular.TTF), mustFont(goitalic.TTF), mustFont(gobold.TTF)

func mustFont(ttf []byte) *sfnt.Font {
	f, err := opentype.Parse(ttf)
	if err != nil {
		panic(err) // the fonts are compiled in
	}
	return f
}
