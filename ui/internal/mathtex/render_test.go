package mathtex

import (
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"
)

var red = color.NRGBA{200, 30, 40, 255}

// inked counts the image's visible pixels and reports whether every one
// of them has colour c's hue (antialiased edges only fade).
func inked(t *testing.T, img *image.RGBA, c color.NRGBA) int {
	t.Helper()
	n := 0
	for i := 0; i < len(img.Pix); i += 4 {
		p := img.Pix[i : i+4]
		if p[3] == 0 {
			continue
		}
		n++
		// Premultiplied: each channel is the colour's times alpha.
		for k, want := range []uint8{c.R, c.G, c.B} {
			if d := int(p[k]) - int(want)*int(p[3])/255; d < -2 || d > 2 {
				t.Fatalf("a pixel is %v, not %v at alpha %d", p, c, p[3])
			}
		}
	}
	return n
}

func TestTypicalExpressionsRenderInTheColourGiven(t *testing.T) {
	for _, e := range typical {
		for _, display := range []bool{false, true} {
			m, err := Render(e, Options{Size: 14, Scale: 2, Color: red, Display: display})
			if err != nil {
				t.Fatalf("%q: %v", e, err)
			}
			if n := inked(t, m.Image, red); n < 20 {
				t.Errorf("%q: only %d pixels drawn", e, n)
			}
			if m.Ascent <= 0 || m.Ascent >= m.Height || m.Width <= 0 {
				t.Errorf("%q: size %v×%v, ascent %v", e, m.Width, m.Height, m.Ascent)
			}
			if got := float32(m.Image.Bounds().Dx()) / 2; got != m.Width {
				t.Errorf("%q: %v units wide but %v pixels at scale 2", e, m.Width, m.Image.Bounds().Dx())
			}
		}
	}
}

func TestLayoutIsPlausible(t *testing.T) {
	o := Options{Size: 14, Scale: 1, Color: red}
	x, _ := Render(`x`, o)
	x2, _ := Render(`x^2`, o)
	xi, _ := Render(`x_i`, o)
	frac, _ := Render(`\frac{a}{b}`, o)
	sum, _ := Render(`\sum_{i=1}^{n} i`, Options{Size: 14, Scale: 1, Color: red, Display: true})
	if x2.Ascent <= x.Ascent || x2.Width <= x.Width {
		t.Errorf("x² is not taller and wider than x: %+v vs %+v", x2, x)
	}
	if xi.Height-xi.Ascent <= x.Height-x.Ascent {
		t.Errorf("x_i does not reach below x's baseline")
	}
	if frac.Height < 1.5*x.Height {
		t.Errorf("a fraction is %v tall, x %v", frac.Height, x.Height)
	}
	if sum.Height < 2.5*x.Height {
		t.Errorf("a display sum with limits is %v tall, x %v", sum.Height, x.Height)
	}
	big, _ := Render(`x`, Options{Size: 14, Scale: 1, Color: red, Display: true})
	if big.Height <= x.Height {
		t.Error("display math is not set larger")
	}
}

func TestWhatCannotBeDrawnIsAnErrorSentence(t *testing.T) {
	for _, e := range []string{
		`\begin{pmatrix} a & b \\ c & d \end{pmatrix}`, // no matrices
		`\unknownmacro{x}`,
		`\frac{a}`,    // a missing argument
		`x^`,          // a script on nothing
		`{x`,          // unclosed
		`x}`,          // a stray brace
		`x^2^3`,       // a double superscript
		`\left( x`,    // \left without \right
		`\text{a \b}`, // markup in text
		`好`,           // a glyph the Go fonts lack
		"\xff\xfe",    // not UTF-8
		``, `   `,
	} {
		m, err := Render(e, Options{Size: 14, Scale: 1, Color: red})
		if err == nil {
			t.Errorf("%q rendered (%v×%v)", e, m.Width, m.Height)
			continue
		}
		s := err.Error()
		if !strings.HasSuffix(s, ".") || strings.Contains(s, "\n") || strings.Contains(s, "panic") || strings.Contains(s, "%!") {
			t.Errorf("%q: %q is not one sentence", e, s)
		}
	}
}

func TestHostileInputIsRefusedQuickly(t *testing.T) {
	o := Options{Size: 14, Scale: 2, Color: red}
	cases := map[string]error{
		strings.Repeat("x+", 1<<19):                                        ErrTooLong, // 1 MB
		strings.Repeat("{", 10000) + "x" + strings.Repeat("}", 10000):      ErrTooLong,
		strings.Repeat("{", 500) + "x" + strings.Repeat("}", 500):          ErrTooDeep,
		strings.Repeat(`\left(`, 60) + "x" + strings.Repeat(`\right)`, 60): ErrTooDeep,
		strings.Repeat(`\sqrt{`, 41) + "x" + strings.Repeat(`}`, 41):       ErrTooDeep,
	}
	for e, want := range cases {
		if _, err := Render(e, o); !errors.Is(err, want) {
			t.Errorf("%.20q… (%d bytes): %v, want %v", e, len(e), err, want)
		}
	}
	// Within the limits but wide: an image too large is refused, not made.
	wide := strings.Repeat(`\sum `, 390)
	if _, err := Render(wide, Options{Size: 200, Scale: 8, Color: red, Display: true}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a huge image: %v", err)
	}
	// Deep but allowed nesting renders.
	ok := strings.Repeat(`\frac{1}{`, 12) + "x" + strings.Repeat(`}`, 12)
	if _, err := Render(ok, o); err != nil {
		t.Errorf("nested fractions: %v", err)
	}
}

func TestRenderNeverPanics(t *testing.T) {
	for _, e := range []string{`^`, `_`, `\`, `\frac`, `\sqrt[`, `\sqrt[3`, `\left`, `\left(\right`, `'''`, `\hat`, `{}^{}_{}`, `\text{`, `\operatorname{}`} {
		_, _ = Render(e, Options{Size: 14, Scale: 1, Color: red})
	}
}

func FuzzRender(f *testing.F) {
	for _, e := range typical {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, e string) {
		m, err := Render(e, Options{Size: 14, Scale: 1, Color: red})
		if err == nil && (m.Image == nil || m.Width <= 0) {
			t.Fatalf("%q: no image and no error", e)
		}
	})
}
