package attach

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Charsets a text file can be in; anything else is refused.
const (
	charsetUTF8    = "utf-8"
	charsetUTF16LE = "utf-16le"
	charsetUTF16BE = "utf-16be"
	charset1252    = "windows-1252" // and ISO-8859-1, its printable subset
)

// maxHighShare is the largest share of bytes at or above 0x80 that a file
// not in UTF-8 can have and still be read as Windows-1252: accented letters
// are a few percent of French or German text, while a file in a Cyrillic,
// Greek or East Asian 8-bit encoding is mostly such bytes, and read as
// Windows-1252 it would be gibberish.
const maxHighShare = 0.2

// maxControlShare is the largest share of control bytes (other than tab,
// line and page breaks and escape) that text can have: more, and it is
// binary.
const maxControlShare = 0.01

// textKind is what decodeText makes of a file.
type textKind int

const (
	isText    textKind = iota
	isBinary           // NUL bytes, control bytes, or broken UTF-16
	isUnknown          // 8-bit text in an encoding that cannot be told
)

// decodeText returns a file's text as UTF-8 (a byte order mark removed)
// and the charset it was in: UTF-8, UTF-16 with a byte order mark (or
// without one, told by its zero bytes), or else Windows-1252.
func decodeText(data []byte) (text, charset string, kind textKind) {
	switch {
	case bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")):
		data = data[3:]
		if !utf8.Valid(data) {
			return "", "", isBinary
		}
		return checkControls(string(data), charsetUTF8)
	case bytes.HasPrefix(data, []byte("\xFF\xFE")):
		return decodeUTF16(data[2:], binary.LittleEndian, charsetUTF16LE)
	case bytes.HasPrefix(data, []byte("\xFE\xFF")):
		return decodeUTF16(data[2:], binary.BigEndian, charsetUTF16BE)
	}
	if bytes.IndexByte(data, 0) >= 0 {
		switch utf16Guess(data) {
		case charsetUTF16LE:
			return decodeUTF16(data, binary.LittleEndian, charsetUTF16LE)
		case charsetUTF16BE:
			return decodeUTF16(data, binary.BigEndian, charsetUTF16BE)
		}
		return "", "", isBinary
	}
	if utf8.Valid(data) {
		return checkControls(string(data), charsetUTF8)
	}
	return decode1252(data)
}

// utf16Guess tells UTF-16 without a byte order mark by where its zero
// bytes are: text that is mostly Latin has a zero in every other byte, on
// the same side. Binary files have zeros everywhere.
func utf16Guess(data []byte) string {
	n := min(len(data), 4096) &^ 1
	if n < 4 || len(data)%2 != 0 {
		return ""
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			even++
		}
		if data[i+1] == 0 {
			odd++
		}
	}
	half := n / 2
	switch {
	case odd*10 >= half*9 && even*20 <= half:
		return charsetUTF16LE
	case even*10 >= half*9 && odd*20 <= half:
		return charsetUTF16BE
	}
	return ""
}

func decodeUTF16(data []byte, order binary.ByteOrder, charset string) (string, string, textKind) {
	if len(data)%2 != 0 {
		return "", "", isBinary
	}
	u := make([]uint16, len(data)/2)
	for i := range u {
		u[i] = order.Uint16(data[2*i:])
		if u[i] == 0 {
			return "", "", isBinary
		}
	}
	text := string(utf16.Decode(u))
	if strings.ContainsRune(text, utf8.RuneError) {
		return "", "", isBinary // unpaired surrogates: not UTF-16 after all
	}
	return checkControls(text, charset)
}

// decode1252 reads 8-bit text as Windows-1252, unless it uses the five
// bytes Windows-1252 leaves undefined or too many bytes above ASCII to be
// Western European text.
func decode1252(data []byte) (string, string, textKind) {
	high := 0
	for _, c := range data {
		switch {
		case c == 0x81 || c == 0x8D || c == 0x8F || c == 0x90 || c == 0x9D:
			return "", "", isUnknown
		case c >= 0x80:
			high++
		}
	}
	if float64(high) > maxHighShare*float64(len(data)) {
		return "", "", isUnknown
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		return "", "", isUnknown
	}
	return checkControls(string(out), charset1252)
}

// checkControls refuses as binary text with more than a few control bytes.
func checkControls(text, charset string) (string, string, textKind) {
	controls := 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == 0x1B:
		case c < 0x20 || c == 0x7F:
			controls++
		}
	}
	if float64(controls) > maxControlShare*float64(len(text)) {
		return "", "", isBinary
	}
	return text, charset, isText
}

// textTypes are the mime types of text and source files by extension, so
// that an export or the system app opening the file knows what it holds.
// Others are text/plain.
var textTypes = map[string]string{
	".md": "text/markdown", ".markdown": "text/markdown",
	".go": "text/x-go", ".py": "text/x-python", ".rs": "text/x-rust",
	".js": "text/javascript", ".mjs": "text/javascript", ".jsx": "text/javascript",
	".ts": "text/x-typescript", ".tsx": "text/x-typescript",
	".java": "text/x-java", ".kt": "text/x-kotlin", ".swift": "text/x-swift",
	".c": "text/x-c", ".h": "text/x-c", ".cc": "text/x-c++", ".cpp": "text/x-c++",
	".cxx": "text/x-c++", ".hpp": "text/x-c++", ".cs": "text/x-csharp",
	".rb": "text/x-ruby", ".php": "text/x-php", ".lua": "text/x-lua", ".r": "text/x-r",
	".sh": "text/x-shellscript", ".bash": "text/x-shellscript", ".zsh": "text/x-shellscript",
	".sql": "text/x-sql", ".tex": "text/x-tex", ".diff": "text/x-diff", ".patch": "text/x-diff",
	".html": "text/html", ".htm": "text/html", ".css": "text/css",
	".csv": "text/csv", ".tsv": "text/tab-separated-values",
	".xml": "text/xml", ".svg": "text/xml", // an SVG is read as its source: providers take no SVG images
	".json": "application/json", ".yaml": "application/yaml", ".yml": "application/yaml",
	".toml": "application/toml",
}

// textMime is the mime type of a text file: its kind by extension, and the
// charset its bytes (the blob) are in.
func textMime(name, charset string) string {
	t, ok := textTypes[strings.ToLower(filepath.Ext(name))]
	if !ok {
		t = "text/plain"
	}
	return t + "; charset=" + charset
}
