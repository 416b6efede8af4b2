// Package mathtex draws a TeX math expression ("\frac{a}{b}") to an image
// in a given colour, at the pixel scale of the canvas that shows it, for
// the answers' math (ui/internal/markdown).
//
// It parses and lays out the math itself (parse.go, layout.go) and draws
// the glyphs of the Go fonts with golang.org/x/image/font. go-latex's mtex
// (v0.3.0), which the issue suggested, has no sub- or superscripts ("x^2"
// panics with "unknown ast node *ast.Sup"), no accents and no \left…\right,
// so most of what answers write would have shown as source.
//
// What it cannot draw (an unknown macro, a matrix, a glyph the fonts lack,
// bad syntax, a panic) is an error whose text is one sentence, so that the
// caller shows the source instead; input past the limits (MaxBytes,
// MaxDepth, MaxPixels) is refused before parsing. Cache keeps rendered
// images by expression, colour, size and scale, bounded in bytes. Every
// function may be called from any goroutine.
package mathtex
