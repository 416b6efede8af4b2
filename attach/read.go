package attach

import (
	"bytes"
	"image"
	_ "image/gif" // decoders for image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"strings"
	"unicode/utf8"

	_ "golang.org/x/image/webp"

	"deskchat/engine/tokens"
	"deskchat/internal/format"
	"deskchat/store"
)

// tokenModel is the model whose tokenizer estimates an attachment's tokens
// before a model is chosen.
const tokenModel = "gpt-4o"

// Read makes an attachment of a file's name and bytes: its kind from its
// content (not its name), Text for text files and PDFs, Width and Height for
// images, and an estimate of the tokens it costs.
func Read(name string, data []byte) (store.Attachment, error) {
	a := store.Attachment{Name: name, Size: int64(len(data)), SHA256: store.SHA256(data), Data: data}
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
	a.Mime = mime
	a.Width, a.Height = cfg.Width, cfg.Height
	w, h := Fit(a.Width, a.Height)
	a.Tokens = ImageTokens(w, h)
	return a, nil
}

func readText(a store.Attachment) (store.Attachment, error) {
	if a.Size > MaxTextBytes {
		return a, refuse(a.Name, "%s is %s; a text file can be at most %s.", a.Name, format.Size(a.Size), format.Size(MaxTextBytes))
	}
	if !utf8.Valid(a.Data) || bytes.IndexByte(a.Data, 0) >= 0 {
		return a, refuse(a.Name, "%s is not a kind of file that can be attached. %s", a.Name, KindsSentence)
	}
	a.Mime = "text/plain; charset=utf-8"
	a.Text = string(a.Data)
	a.Tokens, _ = tokens.Count(tokenModel, Prompt(a.Name, a.Text))
	return a, nil
}

func readPDF(a store.Attachment) (store.Attachment, error) {
	if a.Size > MaxPDFBytes {
		return a, refuse(a.Name, "%s is %s; a PDF can be at most %s.", a.Name, format.Size(a.Size), format.Size(MaxPDFBytes))
	}
	return a, refuse(a.Name, "%s: reading PDFs is not built yet.", a.Name)
}
