package attach

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzRead: whatever the bytes, Read returns an attachment of a kind that
// works or one sentence, never a panic; an image it accepts can be encoded
// or is refused with a sentence too.
func FuzzRead(f *testing.F) {
	f.Add("p.jpg", withJPEGExif(encodeJPEG(f, quadrants(16, 8)), 6, binary.LittleEndian))
	f.Add("p.png", withPNGExif(encodePNG(f, quadrants(8, 8)), 3))
	f.Add("r.pdf", textPDF([][]string{{"Hello|world", "(x)"}}, false))
	f.Add("z.pdf", textPDF([][]string{{"Hello"}, {"page two"}}, true))
	f.Add("e.pdf", encryptedPDF(3, "", "o", []string{"Hi"}))
	f.Add("s.pdf", imagePDF())
	f.Add("u.txt", utf16Bytes("héllo", binary.LittleEndian, true))
	f.Add("l.txt", []byte("caf\xe9\n"))
	f.Add("m.go", []byte("package m\n"))
	if webp, err := os.ReadFile("testdata/gopher-doc.with-alpha.lossless.webp"); err == nil {
		f.Add("w.webp", webp)
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		a, err := Read(name, data)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae.Sentence == "" || strings.Contains(ae.Sentence, "\n") {
				t.Fatalf("not one sentence: %#v", err)
			}
			return
		}
		if a.Mime == "" || a.Size != int64(len(data)) || a.SHA256 == "" {
			t.Fatalf("attachment %+v", a)
		}
		switch KindOf(a) {
		case KindImage:
			if a.Width <= 0 || a.Height <= 0 || a.Tokens < 85 {
				t.Fatalf("image %d×%d, %d tokens", a.Width, a.Height, a.Tokens)
			}
			if _, err := ImageURL(data); err != nil {
				var ae *Error
				if !errors.As(err, &ae) {
					t.Fatalf("ImageURL: %#v", err)
				}
			}
		case KindPDF:
			if a.Pages <= 0 || !strings.HasPrefix(a.Text, "--- page 1 of ") {
				t.Fatalf("PDF %d pages, text %.40q", a.Pages, a.Text)
			}
		case KindText:
			if strings.ContainsRune(a.Text, 0) {
				t.Fatal("text with NUL")
			}
		}
	})
}
