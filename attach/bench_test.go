package attach

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"image/jpeg"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// benchReps: each figure is the median of this many runs, so that one run
// slowed by another process on the machine does not make the figure.
const benchReps = 5

// medianMS runs figure and its floor benchReps times each, taking turns so
// that both meet the same load from the rest of the machine, and returns
// their medians in milliseconds.
func medianMS(figure, floor func()) (float64, float64) {
	var took [2][]float64
	for range benchReps {
		for i, f := range []func(){figure, floor} {
			start := time.Now()
			f()
			took[i] = append(took[i], float64(time.Since(start).Microseconds())/1000)
		}
	}
	for _, t := range took {
		slices.Sort(t)
	}
	return took[0][benchReps/2], took[1][benchReps/2]
}

// BenchmarkAttachPhoto: a 12-megapixel JPEG from a phone held upright
// (EXIF orientation 6) as a provider is sent it: decoded, turned, fitted
// to 768×1024 and encoded. The floor beside it is decoding alone, which
// the figure cannot go under.
func BenchmarkAttachPhoto(b *testing.B) {
	data := withJPEGExif(encodeJPEG(b, photo(4000, 3000)), 6, binary.BigEndian)
	b.ResetTimer()
	for b.Loop() {
		var mime string
		var out []byte
		photoMS, decodeMS := medianMS(func() {
			var err error
			if mime, out, err = Encode(data); err != nil {
				b.Fatal(err)
			}
		}, func() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		})
		if cfg, err := jpegConfig(out); err != nil || mime != "image/jpeg" || cfg.Width != 768 || cfg.Height != 1024 {
			b.Fatalf("sent %s %d×%d, %v", mime, cfg.Width, cfg.Height, err)
		}
		b.ReportMetric(photoMS, "attach_photo_ms@ms")
		b.ReportMetric(decodeMS, "attach_photo_decode_ms@ms")
	}
}

// BenchmarkPDFText: the text of a 100-page report (45 lines of about 90
// characters a page, deflated as writers do), read as Read reads it: pages
// marked and tokens counted. The floor is inflating its content streams
// alone.
func BenchmarkPDFText(b *testing.B) {
	var pages [][]string
	var streams [][]byte
	for p := range 100 {
		lines := make([]string, 45)
		for i := range lines {
			lines[i] = fmt.Sprintf("Line %d of page %d: the quarterly figures rose|by %d%% against the plan, as the board expected.", i+1, p+1, (p*i)%37)
		}
		pages = append(pages, lines)
		var buf bytes.Buffer
		zw := zlib.NewWriter(&buf)
		zw.Write([]byte(strings.Join(lines, "\n")))
		zw.Close()
		streams = append(streams, buf.Bytes())
	}
	data := textPDF(pages, true)
	b.ResetTimer()
	for b.Loop() {
		var pagesRead int
		textMS, inflateMS := medianMS(func() {
			a, err := Read("report.pdf", data)
			if err != nil {
				b.Fatal(err)
			}
			pagesRead = a.Pages
		}, func() {
			for _, s := range streams {
				zr, err := zlib.NewReader(bytes.NewReader(s))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, zr)
			}
		})
		if pagesRead != 100 {
			b.Fatalf("%d pages", pagesRead)
		}
		b.ReportMetric(textMS, "pdf_text_100_pages_ms@ms")
		b.ReportMetric(inflateMS, "pdf_inflate_100_pages_ms@ms")
	}
}
