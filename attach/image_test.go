package attach

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"strings"
	"testing"
)

// near reports whether c is within a JPEG's loss of want.
func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(x uint32, y uint8) bool { return max(int(x>>8), int(y))-min(int(x>>8), int(y)) < 60 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

// corners returns the colours at an image's four corners, inset so that a
// scaled edge does not blur them: top left, top right, bottom left, bottom
// right.
func corners(img image.Image) [4]color.Color {
	b := img.Bounds()
	ix, iy := b.Dx()/8, b.Dy()/8
	return [4]color.Color{
		img.At(b.Min.X+ix, b.Min.Y+iy), img.At(b.Max.X-1-ix, b.Min.Y+iy),
		img.At(b.Min.X+ix, b.Max.Y-1-iy), img.At(b.Max.X-1-ix, b.Max.Y-1-iy),
	}
}

// Where EXIF's orientations put the stored picture's top left and top right
// corners when it is shown (EXIF 2.32, tag 0x0112: "the 0th row is the
// visual right-hand side, the 0th column the visual top" for 6, ...), as
// indexes into corners: 0 top left, 1 top right, 2 bottom left, 3 bottom
// right.
var shownCorners = map[int][2]int{
	1: {0, 1}, 2: {1, 0}, 3: {3, 2}, 4: {2, 3},
	5: {0, 2}, 6: {1, 3}, 7: {3, 1}, 8: {2, 0},
}

func checkOriented(t *testing.T, img image.Image, o, storedW, storedH int) {
	t.Helper()
	w, h := storedW, storedH
	if o >= 5 {
		w, h = storedH, storedW
	}
	if b := img.Bounds(); b.Dx()*h != b.Dy()*w {
		t.Fatalf("orientation %d: shown %v, want the shape of %d×%d", o, b, w, h)
	}
	c := corners(img)
	where := shownCorners[o]
	if !near(c[where[0]], red) || !near(c[where[1]], green) {
		t.Errorf("orientation %d: red (stored top left) should be at corner %d and green (top right) at %d; corners are %v", o, where[0], where[1], c)
	}
}

func TestEveryEXIFOrientationIsApplied(t *testing.T) {
	const sw, sh = 120, 80
	stored := quadrants(sw, sh)
	for o := 1; o <= 8; o++ {
		for _, order := range []binary.AppendByteOrder{binary.BigEndian, binary.LittleEndian} {
			t.Run(fmt.Sprintf("jpeg-%d-%v", o, order), func(t *testing.T) {
				data := withJPEGExif(encodeJPEG(t, stored), o, order)
				img, err := Decode(data)
				if err != nil {
					t.Fatal(err)
				}
				checkOriented(t, img, o, sw, sh)
				thumb, err := Thumbnail(data, 48)
				if err != nil {
					t.Fatal(err)
				}
				if b := thumb.Bounds(); max(b.Dx(), b.Dy()) != 48 {
					t.Errorf("thumbnail is %v, want its long side 48", b)
				}
				checkOriented(t, thumb, o, sw, sh)
				a, err := Read("p.jpg", data)
				if err != nil {
					t.Fatal(err)
				}
				if w, h := shownSize(sw, sh, o); a.Width != w || a.Height != h {
					t.Errorf("Read says %d×%d, want %d×%d as shown", a.Width, a.Height, w, h)
				}
				mime, out, err := Encode(data)
				if err != nil || mime != "image/jpeg" {
					t.Fatalf("Encode: %s, %v", mime, err)
				}
				sent, err := Decode(out)
				if err != nil {
					t.Fatal(err)
				}
				checkOriented(t, sent, o, sw, sh)
				if orientation(out) != 1 {
					t.Error("the encoded image still carries an orientation to apply again")
				}
			})
		}
	}
}

func TestPNGAndWebPOrientationIsRead(t *testing.T) {
	data := withPNGExif(encodePNG(t, quadrants(60, 40)), 6)
	img, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	checkOriented(t, img, 6, 60, 40)

	webp := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	tiff := append([]byte(exifHeader), exifTIFF(8, binary.LittleEndian)...)
	webp = append(webp, "EXIF"...)
	webp = binary.LittleEndian.AppendUint32(webp, uint32(len(tiff)))
	webp = append(webp, tiff...)
	if o := orientation(webp); o != 8 {
		t.Errorf("WebP EXIF chunk: orientation %d, want 8", o)
	}
}

func TestAPhotoIsFittedToWhatTheProviderReads(t *testing.T) {
	data := encodeJPEG(t, photo(4000, 3000))
	a, err := Read("photo.jpg", data)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mime != "image/jpeg" || a.Width != 4000 || a.Height != 3000 || a.Tokens != 765 {
		t.Errorf("Read: %s %d×%d %d tokens, want image/jpeg 4000×3000 765 tokens (1024×768: 4 tiles)", a.Mime, a.Width, a.Height, a.Tokens)
	}
	url, err := ImageURL(data)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "data:image/jpeg;base64,"
	if !strings.HasPrefix(url, prefix) {
		t.Fatalf("ImageURL starts %.40q", url)
	}
	out, err := base64.StdEncoding.DecodeString(url[len(prefix):])
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpegConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 1024 || cfg.Height != 768 {
		t.Errorf("sent at %d×%d, want 1024×768", cfg.Width, cfg.Height)
	}
	if len(out) >= len(data)/4 {
		t.Errorf("sent %d bytes of a %d-byte photo", len(out), len(data))
	}
}

func jpegConfig(data []byte) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	return cfg, err
}

func TestFit(t *testing.T) {
	for _, c := range []struct{ w, h, fw, fh int }{
		{4000, 3000, 1024, 768},
		{3000, 4000, 768, 1024},
		{8000, 1000, 2048, 256}, // a panorama: the long side bounds it
		{800, 600, 800, 600},    // the short side within 768: as is
		{2048, 1000, 1573, 768},
		{500, 300, 500, 300}, // small: as is
		{0, 10, 0, 10},
	} {
		if w, h := Fit(c.w, c.h); w != c.fw || h != c.fh {
			t.Errorf("Fit(%d, %d) = %d×%d, want %d×%d", c.w, c.h, w, h, c.fw, c.fh)
		}
	}
	if n := ImageTokens(1024, 768); n != 765 {
		t.Errorf("ImageTokens(1024, 768) = %d, want 85 + 170×4", n)
	}
	if n := ImageTokens(512, 512); n != 255 {
		t.Errorf("ImageTokens(512, 512) = %d, want 85 + 170", n)
	}
}

func TestTransparencyKeepsPNGAndOpaqueGoesJPEG(t *testing.T) {
	seeThrough := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	opaque := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			seeThrough.SetNRGBA(x, y, color.NRGBA{255, 0, 0, uint8(x * 4)})
			opaque.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
		}
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"alpha used", encodePNG(t, seeThrough), "image/png"},
		{"alpha channel all opaque", encodePNG(t, opaque), "image/jpeg"},
	} {
		mime, out, err := Encode(c.data)
		if err != nil || mime != c.want {
			t.Errorf("%s: %s, %v; want %s", c.name, mime, err, c.want)
			continue
		}
		if mime == "image/png" {
			img, err := png.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, _, a := img.At(1, 1).RGBA(); a > 0x1000 {
				t.Errorf("%s: the transparent edge came out with alpha %#x", c.name, a)
			}
		}
	}
}

func TestGIFFirstFrame(t *testing.T) {
	pal := color.Palette{red, blue, color.RGBA{}}
	frame := func(i uint8) *image.Paletted {
		f := image.NewPaletted(image.Rect(0, 0, 32, 32), pal)
		for p := range f.Pix {
			f.Pix[p] = i
		}
		return f
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{frame(0), frame(1)}, Delay: []int{10, 10}}); err != nil {
		t.Fatal(err)
	}
	a, err := Read("anim.gif", buf.Bytes())
	if err != nil || a.Mime != "image/gif" || a.Width != 32 {
		t.Fatalf("Read: %+v, %v", a, err)
	}
	img, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !near(img.At(5, 5), red) {
		t.Errorf("GIF decoded to %v, want its first frame (red)", img.At(5, 5))
	}
	if mime, _, err := Encode(buf.Bytes()); err != nil || mime != "image/jpeg" {
		t.Errorf("an opaque GIF encodes as %s, %v; want image/jpeg", mime, err)
	}
	buf.Reset()
	if err := gif.Encode(&buf, frame(2), nil); err != nil {
		t.Fatal(err)
	}
	if mime, _, err := Encode(buf.Bytes()); err != nil || mime != "image/png" {
		t.Errorf("a transparent GIF encodes as %s, %v; want image/png", mime, err)
	}
}

func TestWebP(t *testing.T) {
	for _, c := range []struct{ file, mime string }{
		{"blue-purple-pink.lossy.webp", "image/jpeg"},
		{"gopher-doc.with-alpha.lossless.webp", "image/png"},
	} {
		data, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Read(c.file, data)
		if err != nil || a.Mime != "image/webp" || a.Width == 0 || KindOf(a) != KindImage {
			t.Fatalf("Read(%s): %+v, %v", c.file, a, err)
		}
		if mime, _, err := Encode(data); err != nil || mime != c.mime {
			t.Errorf("%s encodes as %s, %v; want %s", c.file, mime, err, c.mime)
		}
	}
}

func TestDamagedImagesAreOneSentence(t *testing.T) {
	good := encodeJPEG(t, photo(64, 64))
	pngData := encodePNG(t, quadrants(64, 64))
	huge := encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	// The header says 20000×20000: refused before anything is decoded.
	binary.BigEndian.PutUint32(huge[16:], 20000)
	binary.BigEndian.PutUint32(huge[20:], 20000)
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"cut.jpg", good[:len(good)/2], "damaged"},
		{"cut.png", pngData[:len(pngData)-30], "damaged"},
		{"header.png", pngData[:40], "damaged"},
		{"huge.png", huge, "megapixels"},
		{"gif", []byte("GIF89a\x01\x00"), "damaged"},
	} {
		_, err := Read(c.name, c.data)
		var ae *Error
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), c.want) || strings.Count(err.Error(), ". ") > 0 {
			t.Errorf("%s: %v; want one sentence saying %q", c.name, err, c.want)
		}
		if _, _, err := Encode(c.data); err == nil {
			t.Errorf("%s: Encode made a picture of a damaged file", c.name)
		}
		if _, err := Thumbnail(c.data, 64); err == nil {
			t.Errorf("%s: Thumbnail made a picture of a damaged file", c.name)
		}
	}
}

func TestEXIFParserSurvivesHostileSegments(t *testing.T) {
	jpg := encodeJPEG(t, quadrants(16, 16))
	for _, data := range [][]byte{
		{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF},                                    // length past the end
		{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x00},                                    // length under 2
		append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x0A}, "Exif\x00\x00II"...), // TIFF cut short
		withJPEGExif(jpg, 9, binary.BigEndian),                                  // no such orientation
		append([]byte("\x89PNG\r\n\x1a\n"), 0xFF, 0xFF, 0xFF, 0xFF, 'e', 'X', 'I', 'f'),
		append([]byte("RIFF\x00\x00\x00\x00WEBP"), "EXIF\xFF\xFF\xFF\xFF"...),
	} {
		if o := orientation(data); o != 1 {
			t.Errorf("orientation(% x...) = %d, want 1", data[:min(len(data), 12)], o)
		}
	}
	// An IFD whose entry count runs past the data.
	tiff := exifTIFF(6, binary.BigEndian)
	binary.BigEndian.PutUint16(tiff[8:], 0xFFFF)
	if o := tiffOrientation(tiff[:20]); o != 1 {
		t.Errorf("cut IFD: %d", o)
	}
}

// shrinkYCbCr reads a JPEG's planes directly; it must agree with
// converting to RGBA first and averaging, for every subsampling and for a
// picture that does not start at the origin.
func TestShrinkYCbCrAgreesWithRGBA(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	for _, r := range ratios {
		for _, f := range []int{2, 3, 4, 5} {
			full := image.NewYCbCr(image.Rect(0, 0, 97, 61), r)
			for i := range full.Y {
				// Detail in every pixel, within the range where the
				// conversion to RGB clips nothing (there, averaging before
				// or after it is the same).
				full.Y[i] = uint8(60 + i*7%150)
			}
			for i := range full.Cb {
				// Smooth chroma, as photos have: a block's average then
				// differs from its neighbours' by little.
				full.Cb[i] = uint8(100 + i%13)
				full.Cr[i] = uint8(140 - i%11)
			}
			src := full.SubImage(image.Rect(7, 3, 97, 61)).(*image.YCbCr)
			got := shrinkYCbCr(src, f)
			want := shrinkRGBA(toRGBA(src), f)
			if got.Rect != want.Rect {
				t.Fatalf("%v f=%d: %v, want %v", r, f, got.Rect, want.Rect)
			}
			worst := 0
			for i := range got.Pix {
				worst = max(worst, int(got.Pix[i])-int(want.Pix[i]), int(want.Pix[i])-int(got.Pix[i]))
			}
			if worst > 3 {
				t.Errorf("%v f=%d: a channel differs by %d", r, f, worst)
			}
		}
	}
}
