package attach

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/deskchat/deskchat/internal/format"
)

// pdfTimeout bounds reading one PDF's text. A 100-page report takes a few
// hundred milliseconds; a hostile file (a page tree that loops, a stream
// that inflates without end) is stopped here.
const pdfTimeout = 10 * time.Second

// MaxPDFTextBytes bounds the text taken from one PDF: a model could not
// read more in one question, and a file claiming millions of pages stops
// here rather than filling the memory with page markers.
const MaxPDFTextBytes = 4_000_000

// minPageBytes is less than the smallest page object ("<</Type/Page>>"
// and its cross-reference entry): a file claiming more pages than its size
// allows is damaged, however many it says.
const minPageBytes = 24

// Why a PDF's text could not be read; pdfSentence turns them into what
// the user reads.
var (
	errPDFEncrypted = errors.New("pdf: encrypted")
	errPDFNoText    = errors.New("pdf: no text layer")
	errPDFDamaged   = errors.New("pdf: damaged")
	errPDFSlow      = errors.New("pdf: took too long")
	errPDFTooBig    = errors.New("pdf: too much text")
	errPDFStopped   = errors.New("pdf: stopped")
)

// pdfSentence is the refusal of a PDF whose text could not be read.
func pdfSentence(name string, err error) *Error {
	var s string
	switch {
	case errors.Is(err, errPDFEncrypted):
		s = name + " is encrypted and could not be read; save an unprotected copy (for example by printing it to a PDF) and attach that."
	case errors.Is(err, errPDFNoText):
		s = name + " has no text layer (it looks like scanned pages), and only a PDF's text can be attached; attach its pages as images instead."
	case errors.Is(err, errPDFSlow):
		s = fmt.Sprintf("%s took more than %d seconds to read and was given up; it may be damaged.", name, int(pdfTimeout/time.Second))
	case errors.Is(err, errPDFTooBig):
		s = fmt.Sprintf("%s has more than %s of text; attach the pages you need instead.", name, format.Size(MaxPDFTextBytes))
	default:
		s = name + " could not be read as a PDF; it may be damaged or cut short."
	}
	return &Error{Name: name, Sentence: s, Err: err}
}

// guardedPDF is the PDF's bytes as the reader reads them; once stopped,
// every read fails, so a reader past its time ends at its next read.
type guardedPDF struct {
	data    []byte
	stopped atomic.Bool
}

func (g *guardedPDF) ReadAt(p []byte, off int64) (int, error) {
	if g.stopped.Load() {
		return 0, errPDFStopped
	}
	if off < 0 || off >= int64(len(g.data)) {
		return 0, errors.New("pdf: read past the end")
	}
	n := copy(p, g.data[off:])
	if n < len(p) {
		return n, errors.New("pdf: read past the end")
	}
	return n, nil
}

// pdfLimits bound reading one PDF: Read's are pdfTimeout and
// MaxPDFTextBytes.
type pdfLimits struct {
	time time.Duration
	text int // bytes
}

// pdfText returns the text of a PDF, each page headed by a marker
// ("--- page 3 of 12 ---"), and its number of pages. The library panics on
// some damaged files, so the reading runs in its own goroutine, recovered,
// and is given up after lim.time.
func pdfText(data []byte, lim pdfLimits) (string, int, error) {
	type result struct {
		text  string
		pages int
		err   error
	}
	g := &guardedPDF{data: data}
	done := make(chan result, 1) // buffered: a reader given up still ends
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r = result{err: fmt.Errorf("%w: %v", errPDFDamaged, p)}
				if e, ok := p.(error); ok && errors.Is(e, errPDFTooBig) {
					r.err = errPDFTooBig
				}
			}
			done <- r
		}()
		r.text, r.pages, r.err = readPages(g, lim.text)
	}()
	timer := time.NewTimer(lim.time)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.text, r.pages, r.err
	case <-timer.C:
		g.stopped.Store(true)
		return "", 0, errPDFSlow
	}
}

// readPages reads every page's text; it may panic (the library does on
// damaged files).
func readPages(g *guardedPDF, maxText int) (string, int, error) {
	r, err := pdf.NewReader(g, int64(len(g.data)))
	if err != nil {
		if errors.Is(err, pdf.ErrInvalidPassword) || strings.Contains(err.Error(), "encrypt") {
			return "", 0, fmt.Errorf("%w: %v", errPDFEncrypted, err)
		}
		return "", 0, fmt.Errorf("%w: %v", errPDFDamaged, err)
	}
	pages := pageList(r.Trailer().Key("Root").Key("Pages"), int64(len(g.data))/minPageBytes)
	if pages == nil {
		return "", 0, fmt.Errorf("%w: no pages, or a page tree that loops", errPDFDamaged)
	}
	n := len(pages)
	var b strings.Builder
	hasText := false
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "--- page %d of %d ---\n", i, n)
		start := b.Len()
		pageText(&b, pages[i-1], maxText)
		if strings.TrimSpace(b.String()[start:]) != "" {
			hasText = true
			b.WriteByte('\n')
		}
		if b.Len() > maxText {
			return "", 0, errPDFTooBig
		}
	}
	if !hasText {
		if !r.Trailer().Key("Encrypt").IsNull() {
			// Opened without a password, yet no text: the library read it
			// with a wrong key (it does for 40-bit RC4), not a scan.
			return "", n, errPDFEncrypted
		}
		return "", n, errPDFNoText
	}
	return b.String(), n, nil
}

// maxPageContent bounds a page's content stream, inflated, before it is
// interpreted: the library keeps every operand until the next operator, so
// a stream of nothing but numbers (a few kilobytes deflated) would fill the
// memory. Pages of text are tens of kilobytes; a page over this is a
// drawing, whose text is not worth the risk.
const maxPageContent = 8_000_000

// contentSize returns the inflated size of a page's content (a stream or
// an array of streams), counting no further than limit+1.
func contentSize(content pdf.Value, limit int64) int64 {
	parts := []pdf.Value{content}
	if content.Kind() == pdf.Array {
		parts = parts[:0]
		for i := range content.Len() {
			parts = append(parts, content.Index(i))
		}
	}
	var n int64
	for _, part := range parts {
		rd := part.Reader()
		k, _ := io.Copy(io.Discard, io.LimitReader(rd, limit+1-n))
		rd.Close()
		if n += k; n > limit {
			break
		}
	}
	return n
}

// maxTreeDepth bounds the page tree's depth: real trees are a few levels
// deep, and a tree whose kid is an ancestor would be followed for ever.
const maxTreeDepth = 32

// pageList returns a PDF's pages in order, walking the page tree once
// (the library's Page(i) walks it from the root for every page), or nil
// when there are none, more than most, or the tree loops.
func pageList(root pdf.Value, most int64) []pdf.Page {
	var pages []pdf.Page
	visits := int64(0)
	var walk func(node pdf.Value, depth int) bool
	walk = func(node pdf.Value, depth int) bool {
		visits++
		if depth > maxTreeDepth || visits > 2*most+maxTreeDepth {
			return false
		}
		kids := node.Key("Kids")
		if kids.Kind() != pdf.Array {
			if node.Kind() != pdf.Dict {
				return true // a null kid: skipped, as readers do
			}
			pages = append(pages, pdf.Page{V: node})
			return int64(len(pages)) <= most
		}
		for i := range kids.Len() {
			if !walk(kids.Index(i), depth+1) {
				return false
			}
		}
		return true
	}
	if !walk(root, 0) || len(pages) == 0 {
		return nil
	}
	return pages
}

// pageText writes the text a page shows, in the order its content stream
// shows it: a line break where the text moves to another line, a space
// where it moves along the line or a TJ array leaves a gap of a quarter of
// an em or more (how most writers set the spaces between words).
func pageText(b *strings.Builder, p pdf.Page, maxText int) {
	if p.V.IsNull() || p.V.Key("Contents").IsNull() {
		return
	}
	if n := contentSize(p.V.Key("Contents"), maxPageContent); n > maxPageContent {
		fmt.Fprintf(b, "[This page was not read: its content is over %s.]", format.Size(maxPageContent))
		return
	}
	fonts := map[string]pdf.TextEncoding{}
	w := &textWriter{b: b, start: b.Len()}
	pdf.Interpret(p.V.Key("Contents"), func(stk *pdf.Stack, op string) {
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		w.do(op, args, func(name string) pdf.TextEncoding { return fontEncoding(p, fonts, name) })
		if b.Len() > maxText {
			panic(errPDFTooBig)
		}
	})
}

// fontEncoding returns how a page's font maps its codes to text, read once
// per page (two pages can give one name to different fonts).
func fontEncoding(p pdf.Page, fonts map[string]pdf.TextEncoding, name string) pdf.TextEncoding {
	if enc, ok := fonts[name]; ok {
		return enc
	}
	f := p.Font(name)
	var enc pdf.TextEncoding
	// A ToUnicode map is interpreted like a page: bounded the same way.
	if cmap := f.V.Key("ToUnicode"); cmap.IsNull() || contentSize(cmap, maxPageContent) <= maxPageContent {
		enc = f.Encoder()
	}
	fonts[name] = enc
	return enc
}

// textWriter puts a page's shown strings together, following the text
// operators' moves (in text space; scaling by cm is left out: only where
// lines change matters).
type textWriter struct {
	b       *strings.Builder
	start   int
	enc     pdf.TextEncoding
	x, y    float64 // the start of the current text line
	leading float64
	shown   bool    // a string was shown on the page
	sx, sy  float64 // the line start when it was
	sep     string  // a separator asked for before the next string
}

func (w *textWriter) do(op string, args []pdf.Value, font func(string) pdf.TextEncoding) {
	switch op {
	case "BT":
		w.x, w.y = 0, 0
	case "Tf":
		if len(args) == 2 {
			w.enc = font(args[0].Name())
		}
	case "TL":
		if len(args) == 1 {
			w.leading = args[0].Float64()
		}
	case "Td", "TD":
		if len(args) == 2 {
			w.x += args[0].Float64()
			w.y += args[1].Float64()
			if op == "TD" {
				w.leading = -args[1].Float64()
			}
		}
	case "Tm":
		if len(args) == 6 {
			w.x, w.y = args[4].Float64(), args[5].Float64()
		}
	case "T*":
		w.nextLine()
	case "'", "\"":
		w.nextLine()
		if len(args) > 0 {
			w.show(args[len(args)-1])
		}
	case "Tj":
		if len(args) == 1 {
			w.show(args[0])
		}
	case "TJ":
		if len(args) == 1 {
			w.showArray(args[0])
		}
	}
}

func (w *textWriter) nextLine() {
	w.y -= w.leading
	w.setSep("\n")
}

// setSep keeps the stronger of two separators: a line break over a space.
func (w *textWriter) setSep(s string) {
	if w.sep != "\n" {
		w.sep = s
	}
}

func (w *textWriter) show(v pdf.Value) {
	s := v.RawString()
	if s == "" {
		return
	}
	var text string
	if w.enc != nil {
		text = w.enc.Decode(s)
	} else {
		text = pdfDocText(s)
	}
	if w.shown {
		switch {
		case math.Abs(w.y-w.sy) > 0.5:
			w.setSep("\n")
		case w.x != w.sx:
			w.setSep(" ")
		}
	}
	w.shown, w.sx, w.sy = true, w.x, w.y
	if w.sep != "" && w.b.Len() > w.start {
		last := w.b.String()[w.b.Len()-1]
		switch {
		case w.sep == "\n" && last != '\n':
			w.b.WriteByte('\n')
		case w.sep == " " && last != ' ' && last != '\n' && !strings.HasPrefix(text, " "):
			w.b.WriteByte(' ')
		}
	}
	w.sep = ""
	w.b.WriteString(text)
}

func (w *textWriter) showArray(v pdf.Value) {
	for i := range v.Len() {
		x := v.Index(i)
		if x.Kind() == pdf.String {
			w.show(x)
		} else if x.Float64() <= -250 {
			w.setSep(" ")
		}
	}
}

// pdfDocText reads the bytes of a string shown in a font without an
// encoding the library knows as Latin-1, which the common cases (ASCII
// with the standard fonts) are.
func pdfDocText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}
