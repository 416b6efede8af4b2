package attach

import (
	"bytes"
	"image"
	_ "image/gif" // decoders for image.Decode and image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"strings"

	_ "golang.org/x/image/webp"

	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// tokenModel is the model whose tokenizer estimates an attachment's tokens
// before a model is chosen.
const tokenModel = "gpt-4o"

// Read makes an attachment of a file's name and bytes: its kind from its
// content (not its name), Text for text files and PDFs, Width and Height
// (as shown, EXIF orientation applied) for images, Pages for PDFs, and an
// estimate of the tokens it costs. What cannot be attached is refused with
// an *Error. Read decodes an image whole (a 12-megapixel photo takes about
// 200 ms) and reads a PDF's every page (bounded by pdfTimeout): call it off
// the UI's goroutine. It is safe to call from several at once.
func Read(name string, data []byte) (store.Attachment, error) {
	a := store.Attachment{Name: name, Size: int64(len(data)), SHA256: store.SHA256(data), Data: data}
	if len(data) == 0 {
		return a, refuse(name, "%s is empty.", name)
	}
	sniff := http.DetectContentType(data)
	switch {
	case strings.HasPrefix(sniff, "image/png"), strings.HasPrefix(sniff, "image/jpeg"),
		strings.HasPrefix(sniff, "image/gif"), strings.HasPrefix(sniff, "image/webp"):
		return readImage(a, sniff)
	case strings.HasPrefix(sniff, "application/pdf"):
		return readPDF(a)
	}
	return readText(a)
}

func readImage(a store.Attachment, mime string) (store.Attachment, error) {
	if a.Size > MaxImageBytes {
		return a, refuse(a.Name, "%s is %s; an image can be at most %s.", a.Name, format.Size(a.Size), format.Size(MaxImageBytes))
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(a.Data))
	if err != nil {
		return a, &Error{Name: a.Name, Sentence: a.Name + " looks like an image but could not be read; it may be damaged.", Err: err}
	}
	if err := checkPixels(a.Name, cfg.Width, cfg.Height); err != nil {
		err.Name = a.Name
		return a, err
	}
	// Decoded whole once, so that a file cut short is refused now rather
	// than when the question is sent (its header alone reads fine).
	if _, _, err := image.Decode(bytes.NewReader(a.Data)); err != nil {
		return a, &Error{Name: a.Name, Sentence: a.Name + " looks like an image but could not be read; it may be damaged or cut short.", Err: err}
	}
	a.Mime = mime
	a.Width, a.Height = shownSize(cfg.Width, cfg.Height, orientation(a.Data))
	w, h := Fit(a.Width, a.Height)
	a.Tokens = ImageTokens(w, h)
	return a, nil
}

func readText(a store.Attachment) (store.Attachment, error) {
	if a.Size > MaxTextBytes {
		return a, refuse(a.Name, "%s is %s; a text file can be at most %s.", a.Name, format.Size(a.Size), format.Size(MaxTextBytes))
	}
	text, charset, kind := decodeText(a.Data)
	switch kind {
	case isBinary:
		return a, notAKind(a.Name)
	case isUnknown:
		return a, refuse(a.Name, "%s is text in an encoding that could not be told (not UTF-8, UTF-16 or Windows-1252); save it as UTF-8 and attach it again.", a.Name)
	}
	a.Mime = textMime(a.Name, charset)
	a.Text = text
	a.Tokens = countTokens(a.Name, a.Text)
	return a, nil
}

func readPDF(a store.Attachment) (store.Attachment, error) {
	if a.Size > MaxPDFBytes {
		return a, refuse(a.Name, "%s is %s; a PDF can be at most %s.", a.Name, format.Size(a.Size), format.Size(MaxPDFBytes))
	}
	text, pages, err := pdfText(a.Data, pdfLimits{time: pdfTimeout, text: MaxPDFTextBytes})
	if err != nil {
		return a, pdfSentence(a.Name, err)
	}
	a.Mime = "application/pdf"
	a.Text, a.Pages = text, pages
	a.Tokens = countTokens(a.Name, a.Text)
	return a, nil
}

// notAKind refuses a file of a kind that cannot be attached, in one
// sentence that names the kinds that can.
func notAKind(name string) *Error {
	return refuse(name, "%s cannot be attached; %s", name, strings.ToLower(KindsSentence[:1])+KindsSentence[1:])
}

// countTokens is what a model reads of a text file or a PDF: Prompt's
// block, counted by tokenModel's tokenizer.
func countTokens(name, text string) int {
	n, _ := tokens.Count(tokenModel, Prompt(name, text))
	return n
}
