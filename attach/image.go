package attach

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"runtime"
	"sync"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// MaxImagePixels bounds an image's size in pixels (width × height), checked
// from its header before it is decoded: a small file can claim a huge
// picture, and decoding it would take gigabytes.
const MaxImagePixels = 64_000_000

// jpegQuality of images re-encoded for providers: no visible loss at the
// sizes they are read at, a third of the bytes of quality 95.
const jpegQuality = 85

// damaged is the sentence for an image that cannot be decoded.
func damaged(err error) *Error {
	return &Error{Sentence: "The image could not be read; it may be damaged or of a kind that cannot be attached.", Err: err}
}

// decodeRaw decodes an image as stored (not oriented) and its EXIF
// orientation, after checking its header's size against MaxImagePixels.
func decodeRaw(data []byte) (image.Image, int, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, 0, damaged(err)
	}
	if err := checkPixels("The image", cfg.Width, cfg.Height); err != nil {
		return nil, 0, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, damaged(err)
	}
	if b := img.Bounds(); b.Empty() {
		return nil, 0, damaged(fmt.Errorf("empty image %v", b))
	}
	return img, orientation(data), nil
}

func checkPixels(what string, w, h int) *Error {
	if w <= 0 || h <= 0 {
		return damaged(fmt.Errorf("image size %d×%d", w, h))
	}
	if int64(w)*int64(h) > MaxImagePixels {
		return &Error{Sentence: fmt.Sprintf("%s is %d×%d pixels; images can be at most %d megapixels.",
			what, w, h, MaxImagePixels/1_000_000)}
	}
	return nil
}

// Decode decodes an image (PNG, JPEG, WebP, GIF's first frame) turned as
// its EXIF orientation says it is shown.
func Decode(data []byte) (image.Image, error) {
	img, o, err := decodeRaw(data)
	if err != nil {
		return nil, err
	}
	if o == 1 {
		return img, nil
	}
	return orient(toRGBA(img), o), nil
}

// Encode decodes an image, turns it by its EXIF orientation, fits it (Fit)
// and encodes it: as JPEG, or as PNG when it uses transparency (JPEG has
// none, and a logo on black is not what was attached).
func Encode(data []byte) (mime string, out []byte, err error) {
	img, o, err := decodeRaw(data)
	if err != nil {
		return "", nil, err
	}
	w, h := shownSize(img.Bounds().Dx(), img.Bounds().Dy(), o)
	fw, fh := Fit(w, h)
	small := fitShown(img, fw, fh, o)
	var buf bytes.Buffer
	if opaque(img) {
		err = jpeg.Encode(&buf, small, &jpeg.Options{Quality: jpegQuality})
		mime = "image/jpeg"
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, small)
		mime = "image/png"
	}
	if err != nil {
		return "", nil, fmt.Errorf("attach: encode image: %w", err)
	}
	return mime, buf.Bytes(), nil
}

// Thumbnail returns the image turned by its EXIF orientation and scaled to
// fit within side×side (never enlarged).
func Thumbnail(data []byte, side int) (image.Image, error) {
	img, o, err := decodeRaw(data)
	if err != nil {
		return nil, err
	}
	w, h := shownSize(img.Bounds().Dx(), img.Bounds().Dy(), o)
	s := min(1, float64(max(side, 1))/float64(max(w, h)))
	tw, th := max(1, int(float64(w)*s+0.5)), max(1, int(float64(h)*s+0.5))
	return fitShown(img, tw, th, o), nil
}

// shownSize is the size of a w×h stored image once turned by orientation o.
func shownSize(w, h, o int) (int, int) {
	if o >= 5 {
		return h, w
	}
	return w, h
}

// opaque reports whether no pixel of img is even partly transparent.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// fitShown returns img turned by orientation o and scaled to w×h (its
// size as shown). A reduction by 2 or more first averages blocks of
// pixels, to between 1 and 2 times the size wanted: every pixel counts, so
// fine detail does not alias, and it reads the photo once. x/image/draw's
// ApproxBiLinear then turns and scales it to the exact size in one affine
// transform, which at such a small reduction looks as good as its kernels:
// they took 80 ms (BiLinear) and 330 ms (CatmullRom) for 1333×1000 to
// 1024×768, against about 10, measured on this machine.
func fitShown(img image.Image, w, h, o int) *image.RGBA {
	sw, sh := w, h // the size wanted, as stored (before turning)
	if o >= 5 {
		sw, sh = h, w
	}
	src := img
	if b := img.Bounds(); b.Dx() == sw && b.Dy() == sh {
		if o == 1 {
			return toRGBA(img)
		}
	} else if f := min(b.Dx()/sw, b.Dy()/sh); f >= 2 {
		if y, ok := img.(*image.YCbCr); ok {
			src = shrinkYCbCr(y, f)
		} else {
			src = shrinkRGBA(toRGBA(img), f)
		}
	}
	m := orientMatrix(src.Bounds(), float64(sw), float64(sh), o)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	inStripes(h, func(y0, y1 int) {
		// Transform writes only inside its destination's bounds: each
		// stripe is exactly its part of the whole.
		stripe := dst.SubImage(image.Rect(0, y0, w, y1)).(*image.RGBA)
		xdraw.ApproxBiLinear.Transform(stripe, m, src, src.Bounds(), xdraw.Src, nil)
	})
	return dst
}

// orientMatrix maps the source rectangle r onto a sw×sh picture (its size
// wanted as stored) turned by EXIF orientation o, as the affine matrix
// x/image/draw's Transform takes: X = m[0]x + m[1]y + m[2], Y = m[3]x +
// m[4]y + m[5]. Mirroring uses the far edge (sw - u, not sw-1-u): the
// transform samples at pixel centres.
func orientMatrix(r image.Rectangle, sw, sh float64, o int) f64.Aff3 {
	ax, ay := sw/float64(r.Dx()), sh/float64(r.Dy())
	// u = ax(x - minX) and v = ay(y - minY) are the scaled stored
	// coordinates: u = ax·x + cu, v = ay·y + cv.
	cu, cv := -ax*float64(r.Min.X), -ay*float64(r.Min.Y)
	switch o {
	case 2: // X = sw - u, Y = v
		return f64.Aff3{-ax, 0, sw - cu, 0, ay, cv}
	case 3: // X = sw - u, Y = sh - v
		return f64.Aff3{-ax, 0, sw - cu, 0, -ay, sh - cv}
	case 4: // X = u, Y = sh - v
		return f64.Aff3{ax, 0, cu, 0, -ay, sh - cv}
	case 5: // X = v, Y = u
		return f64.Aff3{0, ay, cv, ax, 0, cu}
	case 6: // X = sh - v, Y = u: a quarter turn clockwise
		return f64.Aff3{0, -ay, sh - cv, ax, 0, cu}
	case 7: // X = sh - v, Y = sw - u
		return f64.Aff3{0, -ay, sh - cv, -ax, 0, sw - cu}
	case 8: // X = v, Y = sw - u: a quarter turn anticlockwise
		return f64.Aff3{0, ay, cv, -ax, 0, sw - cu}
	}
	return f64.Aff3{ax, 0, cu, 0, ay, cv}
}

// toRGBA returns img as an *image.RGBA at the origin, converting when it is
// another kind.
func toRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}

// shrinkRGBA averages f×f blocks of src into one pixel each (a box filter).
func shrinkRGBA(src *image.RGBA, f int) *image.RGBA {
	w, h := src.Rect.Dx()/f, src.Rect.Dy()/f
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	n := uint32(f * f)
	inStripes(h, func(y0, y1 int) {
		shrinkRGBARows(dst, src, f, n, y0, y1)
	})
	return dst
}

func shrinkRGBARows(dst, src *image.RGBA, f int, n uint32, y0, y1 int) {
	w := dst.Rect.Dx()
	sums := make([]uint32, 4*w)
	for y := y0; y < y1; y++ {
		clear(sums)
		for dy := range f {
			row := src.Pix[(y*f+dy)*src.Stride:]
			for x := range w {
				p := row[4*x*f : 4*(x+1)*f]
				s := sums[4*x : 4*x+4]
				for i := 0; i+3 < len(p); i += 4 {
					s[0] += uint32(p[i])
					s[1] += uint32(p[i+1])
					s[2] += uint32(p[i+2])
					s[3] += uint32(p[i+3])
				}
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for i, s := range sums {
			out[i] = uint8((s + n/2) / n)
		}
	}
}

// shrinkYCbCr averages f×f blocks of a decoded JPEG into one RGBA pixel
// each, reading its planes directly: converting the whole photo to RGBA
// first would cost more than the rest of Encode. A block's chroma is the
// average of the chroma samples under its pixels, each weighted by how
// many of them it covers.
func shrinkYCbCr(src *image.YCbCr, f int) *image.RGBA {
	b := src.Rect
	w, h := b.Dx()/f, b.Dy()/f
	cx, cy := chromaScale(src.SubsampleRatio)
	cols := chromaSpans(b.Min.X, b.Min.X, w, f, cx)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	inStripes(h, func(y0, y1 int) {
		shrinkYCbCrRows(dst, src, f, cy, cols, y0, y1)
	})
	return dst
}

func shrinkYCbCrRows(dst *image.RGBA, src *image.YCbCr, f, cy int, cols [][]span, y0, y1 int) {
	b := src.Rect
	w := dst.Rect.Dx()
	ys := make([]uint32, w)
	cbs := make([]uint32, w)
	crs := make([]uint32, w)
	n := uint32(f * f)
	for y := y0; y < y1; y++ {
		clear(ys)
		clear(cbs)
		clear(crs)
		for dy := range f {
			sumBlocks(ys, src.Y[src.YOffset(b.Min.X, b.Min.Y+y*f+dy):], f)
		}
		for _, r := range chromaSpans(b.Min.Y, b.Min.Y+y*f, 1, f, cy)[0] {
			off := r.c * src.CStride
			cb, cr := src.Cb[off:], src.Cr[off:]
			for x, spans := range cols {
				for _, c := range spans {
					k := uint32(r.n * c.n)
					cbs[x] += k * uint32(cb[c.c])
					crs[x] += k * uint32(cr[c.c])
				}
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for x := range w {
			r, g, bl := color.YCbCrToRGB(uint8((ys[x]+n/2)/n), uint8((cbs[x]+n/2)/n), uint8((crs[x]+n/2)/n))
			o := out[4*x : 4*x+4 : 4*x+4]
			o[0], o[1], o[2], o[3] = r, g, bl, 0xFF
		}
	}
}

// inStripes calls fn on stripes of rows [0, h) at once, one per processor
// Go runs on, and returns when all are done: averaging and scaling a
// photo are most of Encode's time after decoding it.
func inStripes(h int, fn func(y0, y1 int)) {
	n := min(runtime.GOMAXPROCS(0), h/64+1)
	if n <= 1 {
		fn(0, h)
		return
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i*h/n, (i+1)*h/n) })
	}
	wg.Wait()
}

// sumBlocks adds to each sums[x] the f bytes of row from x·f: the
// photo's every luma byte goes through here, so the common factors are
// spelled out for the compiler.
func sumBlocks(sums []uint32, row []byte, f int) {
	row = row[:len(sums)*f]
	switch f {
	case 2:
		for x := range sums {
			p := row[2*x : 2*x+2 : 2*x+2]
			sums[x] += uint32(p[0]) + uint32(p[1])
		}
	case 3:
		for x := range sums {
			p := row[3*x : 3*x+3 : 3*x+3]
			sums[x] += uint32(p[0]) + uint32(p[1]) + uint32(p[2])
		}
	case 4:
		for x := range sums {
			p := row[4*x : 4*x+4 : 4*x+4]
			sums[x] += uint32(p[0]) + uint32(p[1]) + uint32(p[2]) + uint32(p[3])
		}
	default:
		for x := range sums {
			var s uint32
			for _, v := range row[x*f : x*f+f] {
				s += uint32(v)
			}
			sums[x] += s
		}
	}
}

// span is a chroma sample (its index in the plane's row or column) and
// how many pixels of a block it is under.
type span struct{ c, n int }

// chromaSpans returns, for each of count blocks of f pixels from pixel
// start, the chroma samples under it when one sample covers s pixels,
// indexed from the plane's first, under pixel base (start and base are
// absolute, as image.YCbCr's Rect).
func chromaSpans(base, start, count, f, s int) [][]span {
	out := make([][]span, count)
	for i := range out {
		for p := start + i*f; p < start+(i+1)*f; p++ {
			c := p/s - base/s
			if k := len(out[i]); k > 0 && out[i][k-1].c == c {
				out[i][k-1].n++
			} else {
				out[i] = append(out[i], span{c, 1})
			}
		}
	}
	return out
}

// chromaScale is how many pixels across and down one chroma sample covers.
func chromaScale(r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// orient turns an image stored with EXIF orientation o as it is shown:
// 2 mirrored, 3 turned half way, 4 flipped, 5 transposed, 6 turned a
// quarter clockwise, 7 transversed, 8 turned a quarter anticlockwise.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	w, h := shownSize(sw, sh, o)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = sw-1-x, y
			case 3:
				sx, sy = sw-1-x, sh-1-y
			case 4:
				sx, sy = x, sh-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, sh-1-x
			case 7:
				sx, sy = sw-1-y, sh-1-x
			case 8:
				sx, sy = sw-1-y, x
			}
			copy(dst.Pix[y*dst.Stride+4*x:y*dst.Stride+4*x+4], src.Pix[sy*src.Stride+4*sx:])
		}
	}
	return dst
}
