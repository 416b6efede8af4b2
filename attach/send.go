package attach

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/jpeg"
	"strings"

	"golang.org/x/image/draw"
)

// The sizes OpenAI reads an image at with detail "high": within 2048×2048,
// then the short side at most 768. Larger images cost the same tokens and
// only make the request bigger.
const (
	maxSide      = 2048
	maxShortSide = 768
	tileSide     = 512
)

// Fit returns the size an image of w×h is sent at.
func Fit(w, h int) (int, int) {
	if w <= 0 || h <= 0 {
		return w, h
	}
	scale := 1.0
	if m := max(w, h); m > maxSide {
		scale = float64(maxSide) / float64(m)
	}
	if s := float64(min(w, h)) * scale; s > maxShortSide {
		scale *= maxShortSide / s
	}
	return max(1, int(float64(w)*scale+0.5)), max(1, int(float64(h)*scale+0.5))
}

// ImageTokens is OpenAI's estimate for an image sent at w×h with detail
// "high": 85 plus 170 per 512-pixel tile.
func ImageTokens(w, h int) int {
	tx, ty := (w+tileSide-1)/tileSide, (h+tileSide-1)/tileSide
	return 85 + 170*tx*ty
}

// ImageURL returns what a provider is sent for an image: a data: URL of
// the image oriented, fitted (Fit) and re-encoded.
func ImageURL(data []byte) (string, error) {
	mime, out, err := Encode(data)
	if err != nil {
		return "", err
	}
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(out), nil
}

// Encode decodes an image, fits it and encodes it as JPEG.
func Encode(data []byte) (mime string, out []byte, err error) {
	img, err := Decode(data)
	if err != nil {
		return "", nil, err
	}
	b := img.Bounds()
	w, h := Fit(b.Dx(), b.Dy())
	if w != b.Dx() || h != b.Dy() {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
		img = dst
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return "", nil, err
	}
	return "image/jpeg", buf.Bytes(), nil
}

// Decode decodes an image.
func Decode(data []byte) (image.Image, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	return img, err
}

// Thumbnail returns the image scaled to fit within side×side.
func Thumbnail(data []byte, side int) (image.Image, error) {
	img, err := Decode(data)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	scale := min(1, float64(side)/float64(max(b.Dx(), b.Dy())))
	w, h := max(1, int(float64(b.Dx())*scale)), max(1, int(float64(b.Dy())*scale))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	return dst, nil
}

// Prompt is what a model reads of a text file or a PDF: its text in a
// fenced block headed by its name. The fence is longer than any run of
// backticks in the text, so the text cannot end it.
func Prompt(name, text string) string {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	return name + "\n" + fence + "\n" + strings.TrimRight(text, "\n") + "\n" + fence
}
