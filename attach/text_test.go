package attach

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16Bytes(s string, order binary.AppendByteOrder, bom bool) []byte {
	var b []byte
	if bom {
		b = order.AppendUint16(b, 0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return b
}

func TestTextEncodings(t *testing.T) {
	const café = "Le café coûte 3 €, dit François.\nÀ bientôt.\n"
	for _, c := range []struct {
		name, file string
		data       []byte
		text, mime string
	}{
		{"utf-8", "notes.txt", []byte(café), café, "text/plain; charset=utf-8"},
		{"utf-8 with BOM", "notes.md", append([]byte("\xEF\xBB\xBF"), café...), café, "text/markdown; charset=utf-8"},
		{"utf-16le BOM", "notes.txt", utf16Bytes(café, binary.LittleEndian, true), café, "text/plain; charset=utf-16le"},
		{"utf-16be BOM", "notes.txt", utf16Bytes(café, binary.BigEndian, true), café, "text/plain; charset=utf-16be"},
		{"utf-16le no BOM", "notes.txt", utf16Bytes(café, binary.LittleEndian, false), café, "text/plain; charset=utf-16le"},
		{"latin-1", "lettre.txt", []byte("Le caf\xe9 co\xfbte 3 francs, dit Fran\xe7ois.\n"),
			"Le café coûte 3 francs, dit François.\n", "text/plain; charset=windows-1252"},
		{"windows-1252 quotes and euro", "q.txt", []byte("\x93Hello,\x94 she said. It costs \x80 5.\n"), "“Hello,” she said. It costs € 5.\n", "text/plain; charset=windows-1252"},
		{"go source", "main.go", []byte("package main\n\tfunc main() {}\n"), "package main\n\tfunc main() {}\n", "text/x-go; charset=utf-8"},
		{"no extension", "Makefile", []byte("all:\n\tgo build\n"), "all:\n\tgo build\n", "text/plain; charset=utf-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := Read(c.file, c.data)
			if err != nil {
				t.Fatal(err)
			}
			if a.Text != c.text || a.Mime != c.mime || KindOf(a) != KindText {
				t.Errorf("Read: text %q mime %q kind %s; want %q %q", a.Text, a.Mime, KindOf(a), c.text, c.mime)
			}
			if string(a.Data) != string(c.data) || a.Size != int64(len(c.data)) || a.SHA256 == "" {
				t.Error("the blob is not the file as attached")
			}
			if a.Tokens < 10 {
				t.Errorf("Tokens %d", a.Tokens)
			}
		})
	}
}

func TestTextThatCannotBeReadIsRefusedWithASentence(t *testing.T) {
	elf := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00"), make([]byte, 200)...)
	cyrillic := []byte("\xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0! \xca\xe0\xea \xe4\xe5\xeb\xe0?\n") // Windows-1251
	controls := []byte(strings.Repeat("ab\x01\x02\x03", 100))
	lone := utf16Bytes("ab", binary.LittleEndian, true)
	lone = binary.LittleEndian.AppendUint16(lone, 0xD800) // an unpaired surrogate
	const kinds = "cannot be attached; images (PNG, JPEG, WebP, GIF), text and source files, and PDFs can be attached."
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"a.out", elf, kinds},
		{"ctl.txt", controls, kinds},
		{"odd.txt", append([]byte("\xFF\xFE"), 'a', 0, 'b'), kinds},
		{"lone.txt", lone, kinds},
		{"privet.txt", cyrillic, "save it as UTF-8"},
		{"undef.txt", []byte("abc\x81def"), "save it as UTF-8"},
		{"big.txt", []byte(strings.Repeat("x", MaxTextBytes+1)), "at most 2.0 MB"},
		{"empty.txt", nil, "is empty"},
	} {
		_, err := Read(c.name, c.data)
		var ae *Error
		if !errors.As(err, &ae) || ae.Name != c.name || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), c.name) ||
			strings.Count(err.Error(), ". ") > 0 {
			t.Errorf("%s: %v; want a sentence naming it and saying %q", c.name, err, c.want)
		}
	}
}

func TestPromptFencesTheText(t *testing.T) {
	p := Prompt("a.md", "```go\nx\n```\n")
	if !strings.HasPrefix(p, "a.md\n````\n") || !strings.HasSuffix(p, "\n````") {
		t.Errorf("Prompt = %q", p)
	}
}
