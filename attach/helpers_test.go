package attach

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

var (
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
	white = color.RGBA{255, 255, 255, 255}
)

// quadrants is a w×h picture whose quarters are red (top left), green
// (top right), blue (bottom left) and white (bottom right).
func quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := [2][2]color.RGBA{{red, green}, {blue, white}}[btoi(y >= h/2)][btoi(x >= w/2)]
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// photo is a w×h picture like a photo to a JPEG encoder: gradients with
// noise, so that every block has detail to code.
func photo(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for y := range h {
		row := img.Pix[y*img.Stride:]
		for x := range w {
			seed = seed*1664525 + 1013904223
			n := uint8(seed >> 28)
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = uint8(x*255/w)+n, uint8(y*255/h)+n, uint8((x+y)/16)+n, 255
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// exifTIFF is EXIF's TIFF data with one tag: orientation o.
func exifTIFF(o int, order binary.AppendByteOrder) []byte {
	b := []byte("MM\x00\x2a")
	if order == binary.AppendByteOrder(binary.LittleEndian) {
		b = []byte("II\x2a\x00")
	}
	b = order.AppendUint32(b, 8)
	b = order.AppendUint16(b, 2) // two entries: one before orientation
	b = order.AppendUint16(b, 0x010F)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint32(b, 4)
	b = append(b, "Cam\x00"...)
	b = order.AppendUint16(b, 0x0112)
	b = order.AppendUint16(b, 3)
	b = order.AppendUint32(b, 1)
	b = order.AppendUint16(b, uint16(o))
	b = append(b, 0, 0)
	return order.AppendUint32(b, 0)
}

// withJPEGExif inserts an APP1 EXIF segment saying orientation o after a
// JPEG's start marker.
func withJPEGExif(jpg []byte, o int, order binary.AppendByteOrder) []byte {
	payload := append([]byte(exifHeader), exifTIFF(o, order)...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

// withPNGExif inserts an eXIf chunk after a PNG's header chunk, its CRC
// right (Go's decoder checks every chunk's).
func withPNGExif(p []byte, o int) []byte {
	data := exifTIFF(o, binary.BigEndian)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, "eXIf"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	ihdrEnd := 8 + 8 + 13 + 4
	return append(append(append([]byte{}, p[:ihdrEnd]...), chunk...), p[ihdrEnd:]...)
}

// testPDF writes small PDFs by hand: the objects, a cross-reference table
// with their offsets, and a trailer.
type testPDF struct {
	objs     []string
	compress bool
	key      []byte // RC4 file key: streams are encrypted with it (revision 2)
}

func (p *testPDF) add(body string) int {
	p.objs = append(p.objs, body)
	return len(p.objs)
}

func (p *testPDF) set(n int, body string) { p.objs[n-1] = body }

// stream adds a stream object, deflated when p.compress, encrypted when
// p.key is set.
func (p *testPDF) stream(dict, data string) int {
	n := len(p.objs) + 1
	raw := []byte(data)
	if p.compress {
		var buf bytes.Buffer
		zw := zlib.NewWriter(&buf)
		zw.Write(raw)
		zw.Close()
		raw = buf.Bytes()
		dict += " /Filter /FlateDecode"
	}
	if p.key != nil {
		raw = rc4Bytes(objectKey(p.key, n), raw)
	}
	return p.add(fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(raw), raw))
}

func (p *testPDF) bytes(trailer string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n")
	offsets := make([]int, len(p.objs))
	for i, o := range p.objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(p.objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", len(p.objs)+1, trailer, xref)
	return b.Bytes()
}

// pdfString escapes s as a PDF literal string in WinAnsiEncoding (the
// test fonts' encoding).
func pdfString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	ansi, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		panic(err)
	}
	return "(" + r.Replace(ansi) + ")"
}

// textPDF is a PDF whose pages show the given lines in Helvetica, one text
// object per page with Td and T* between the lines; a line with a "|" in it
// is shown as a TJ array whose gap stands for the space, as many writers
// set words apart.
func textPDF(pages [][]string, compress bool) []byte {
	p := &testPDF{compress: compress}
	writePages(p, pages)
	return p.bytes("")
}

func writePages(p *testPDF, pages [][]string) {
	p.add("<< /Type /Catalog /Pages 2 0 R >>")
	p.add("") // the page tree, once its kids are known
	font := p.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	var kids []string
	for _, lines := range pages {
		var c strings.Builder
		c.WriteString("BT /F1 11 Tf 14 TL 72 720 Td\n")
		for i, l := range lines {
			if i > 0 {
				c.WriteString("T*\n")
			}
			if a, b, ok := strings.Cut(l, "|"); ok {
				fmt.Fprintf(&c, "[%s -300 %s] TJ\n", pdfString(a), pdfString(b))
			} else {
				fmt.Fprintf(&c, "%s Tj\n", pdfString(l))
			}
		}
		c.WriteString("ET\n")
		content := p.stream("", c.String())
		page := p.add(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>", font, content))
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
	}
	p.set(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids)))
}

// imagePDF is a scanned page: an image drawn, no text.
func imagePDF() []byte {
	p := &testPDF{}
	p.add("<< /Type /Catalog /Pages 2 0 R >>")
	p.add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	p.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>")
	p.stream("", "q 468 0 0 648 72 72 cm /Im1 Do Q\n")
	p.stream("/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8", "\x00\xff\xff\x00")
	return p.bytes("")
}

// passwordPad is the padding of PDF's standard security handler.
var passwordPad = []byte("\x28\xBF\x4E\x5E\x4E\x75\x8A\x41\x64\x00\x4E\x56\xFF\xFA\x01\x08\x2E\x2E\x00\xB6\xD0\x68\x3E\x80\x2F\x0C\xA9\xFE\x64\x53\x69\x7A")

func padded(pw string) []byte { return append([]byte(pw), passwordPad...)[:32] }

func rc4Bytes(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		panic(err)
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

func objectKey(key []byte, n int) []byte {
	h := md5.New()
	h.Write(key)
	h.Write([]byte{byte(n), byte(n >> 8), byte(n >> 16), 0, 0})
	return h.Sum(nil)[:min(len(key)+5, 16)]
}

// encryptedPDF is a text PDF encrypted with PDF's standard security
// handler as the PDF reference's algorithms 3.2 to 3.5 make it: revision 2
// (40-bit RC4) or 3 (128-bit). With user password "" it opens for anyone
// (only the owner's rights are protected); with another, it needs that
// password.
func encryptedPDF(revision int, user, owner string, lines []string) []byte {
	var perms int32 = -4
	id := []byte("0123456789abcdef")
	n := 5
	if revision == 3 {
		n = 16
	}
	rc4Rounds := func(key, data []byte) []byte {
		data = rc4Bytes(key, data)
		for i := 1; revision == 3 && i <= 19; i++ {
			k := bytes.Clone(key)
			for j := range k {
				k[j] ^= byte(i)
			}
			data = rc4Bytes(k, data)
		}
		return data
	}
	md5Rounds := func(h []byte) []byte {
		for i := 0; revision == 3 && i < 50; i++ {
			s := md5.Sum(h[:n])
			h = s[:]
		}
		return h[:n]
	}
	ok := md5.Sum(padded(owner))
	o := rc4Rounds(md5Rounds(ok[:]), padded(user))
	h := md5.New()
	h.Write(padded(user))
	h.Write(o)
	h.Write(binary.LittleEndian.AppendUint32(nil, uint32(perms)))
	h.Write(id)
	key := md5Rounds(h.Sum(nil))
	u := rc4Rounds(key, passwordPad)
	if revision == 3 {
		x := md5.Sum(append(bytes.Clone(passwordPad), id...))
		u = append(rc4Rounds(key, x[:]), make([]byte, 16)...)
	}
	p := &testPDF{key: key}
	writePages(p, [][]string{lines})
	enc := p.add(fmt.Sprintf("<< /Filter /Standard /V %d /R %d /Length %d /O <%s> /U <%s> /P %d >>",
		revision-1, revision, 8*n, hex.EncodeToString(o), hex.EncodeToString(u), perms))
	return p.bytes(fmt.Sprintf("/Encrypt %d 0 R /ID [<%s> <%s>]", enc, hex.EncodeToString(id), hex.EncodeToString(id)))
}
