package attach

import (
	"encoding/base64"
	"strings"
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
