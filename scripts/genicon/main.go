// Command genicon renders the deskchat application icon (assets/icon.png).
//
// It uses only the standard library: a rounded square with a deep
// indigo-to-blue diagonal gradient, a white speech bubble with a tail and
// three indigo dots. Edges are anti-aliased by 4x4 supersampling of the
// coverage of each shape.
//
// Usage: go run ./scripts/genicon [-o assets/icon.png] [-size 512]
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
)

func main() {
	out := flag.String("o", "assets/icon.png", "output PNG file")
	size := flag.Int("size", 512, "icon width and height in pixels")
	flag.Parse()

	img := render(*size)
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genicon:", err)
		os.Exit(1)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		fmt.Fprintln(os.Stderr, "genicon:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "genicon:", err)
		os.Exit(1)
	}
}

// shape reports whether the point (x, y), in units where the icon spans
// [0,1]x[0,1], lies inside it.
type shape func(x, y float64) bool

func roundRect(x0, y0, x1, y1, r float64) shape {
	return func(x, y float64) bool {
		if x < x0 || x > x1 || y < y0 || y > y1 {
			return false
		}
		cx := math.Max(x0+r, math.Min(x, x1-r))
		cy := math.Max(y0+r, math.Min(y, y1-r))
		dx, dy := x-cx, y-cy
		return dx*dx+dy*dy <= r*r
	}
}

func circle(cx, cy, r float64) shape {
	return func(x, y float64) bool {
		dx, dy := x-cx, y-cy
		return dx*dx+dy*dy <= r*r
	}
}

// triangle is inside when on the same side of all three edges.
func triangle(ax, ay, bx, by, cx, cy float64) shape {
	side := func(px, py, qx, qy, x, y float64) float64 {
		return (qx-px)*(y-py) - (qy-py)*(x-px)
	}
	return func(x, y float64) bool {
		d1 := side(ax, ay, bx, by, x, y)
		d2 := side(bx, by, cx, cy, x, y)
		d3 := side(cx, cy, ax, ay, x, y)
		neg := d1 < 0 || d2 < 0 || d3 < 0
		pos := d1 > 0 || d2 > 0 || d3 > 0
		return !(neg && pos)
	}
}

func union(shapes ...shape) shape {
	return func(x, y float64) bool {
		for _, s := range shapes {
			if s(x, y) {
				return true
			}
		}
		return false
	}
}

const ss = 4 // supersampling per axis

// coverage returns the fraction (0..1) of pixel (px, py) covered by s.
func coverage(s shape, px, py, size int) float64 {
	n := 0
	for j := 0; j < ss; j++ {
		for i := 0; i < ss; i++ {
			x := (float64(px) + (float64(i)+0.5)/ss) / float64(size)
			y := (float64(py) + (float64(j)+0.5)/ss) / float64(size)
			if s(x, y) {
				n++
			}
		}
	}
	return float64(n) / (ss * ss)
}

func lerp(a, b uint8, t float64) float64 {
	return float64(a) + (float64(b)-float64(a))*t
}

// paint composites colour c at coverage alpha over img using draw.Over.
func paint(img *image.NRGBA, size int, s shape, colorAt func(x, y float64) color.NRGBA) {
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			a := coverage(s, px, py, size)
			if a == 0 {
				continue
			}
			c := colorAt((float64(px)+0.5)/float64(size), (float64(py)+0.5)/float64(size))
			c.A = uint8(math.Round(float64(c.A) * a))
			r := image.Rect(px, py, px+1, py+1)
			draw.Draw(img, r, &image.Uniform{C: c}, image.Point{}, draw.Over)
		}
	}
}

func render(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	draw.Draw(img, img.Bounds(), image.Transparent, image.Point{}, draw.Src)

	// Background: rounded square, gradient from deep indigo (top-left)
	// to a rich blue (bottom-right).
	top := color.NRGBA{R: 0x31, G: 0x1b, B: 0x92, A: 0xff}    // indigo 800
	bottom := color.NRGBA{R: 0x15, G: 0x65, B: 0xc0, A: 0xff} // blue 800
	bg := roundRect(0.04, 0.04, 0.96, 0.96, 0.2)
	paint(img, size, bg, func(x, y float64) color.NRGBA {
		t := math.Max(0, math.Min(1, (x+y)/2))
		return color.NRGBA{
			R: uint8(lerp(top.R, bottom.R, t)),
			G: uint8(lerp(top.G, bottom.G, t)),
			B: uint8(lerp(top.B, bottom.B, t)),
			A: 0xff,
		}
	})

	// Soft shadow under the bubble.
	shadow := union(
		roundRect(0.20, 0.25, 0.82, 0.68, 0.11),
		triangle(0.30, 0.62, 0.46, 0.62, 0.26, 0.82),
	)
	paint(img, size, shadow, func(x, y float64) color.NRGBA {
		return color.NRGBA{R: 0x0a, G: 0x0a, B: 0x30, A: 0x50}
	})

	// White speech bubble with a tail at the lower left.
	bubble := union(
		roundRect(0.18, 0.22, 0.82, 0.66, 0.11),
		triangle(0.28, 0.60, 0.44, 0.60, 0.24, 0.80),
	)
	paint(img, size, bubble, func(x, y float64) color.NRGBA {
		return color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	})

	// Three dots ("typing" indicator).
	dots := union(
		circle(0.36, 0.44, 0.05),
		circle(0.50, 0.44, 0.05),
		circle(0.64, 0.44, 0.05),
	)
	paint(img, size, dots, func(x, y float64) color.NRGBA {
		t := (x - 0.3) / 0.4
		return color.NRGBA{
			R: uint8(lerp(top.R, bottom.R, t)),
			G: uint8(lerp(top.G, bottom.G, t)),
			B: uint8(lerp(top.B, bottom.B, t)),
			A: 0xff,
		}
	})
	return img
}
