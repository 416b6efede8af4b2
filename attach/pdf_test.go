package attach

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPDFTextIsReadPageByPage(t *testing.T) {
	pages := [][]string{
		{"Quarterly report", "Revenue grew by 12% (as planned)."},
		{"Second page – café", "Hello|world"},
		{},
	}
	for _, compress := range []bool{false, true} {
		a, err := Read("report.pdf", textPDF(pages, compress))
		if err != nil {
			t.Fatal(err)
		}
		want := "--- page 1 of 3 ---\nQuarterly report\nRevenue grew by 12% (as planned).\n" +
			"--- page 2 of 3 ---\nSecond page – café\nHello world\n" +
			"--- page 3 of 3 ---\n"
		if a.Text != want {
			t.Errorf("compress %v: text\n%q\nwant\n%q", compress, a.Text, want)
		}
		if a.Mime != "application/pdf" || a.Pages != 3 || KindOf(a) != KindPDF || a.Tokens < 20 {
			t.Errorf("Read: %s, %d pages, kind %s, %d tokens", a.Mime, a.Pages, KindOf(a), a.Tokens)
		}
	}
}

func TestPDFWithAnOwnerPasswordOnlyIsRead(t *testing.T) {
	a, err := Read("locked-rights.pdf", encryptedPDF(3, "", "owner", []string{"Secret plans"}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.Text, "Secret plans") {
		t.Errorf("text %q", a.Text)
	}
}

func TestPDFsThatCannotBeReadAreOneSentence(t *testing.T) {
	good := textPDF([][]string{{"Hello"}}, true)
	noEOF := strings.Replace(string(good), "%%EOF", "", 1)
	badXref := strings.Replace(string(good), "startxref\n", "startxref\n9", 1)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"scan.pdf", imagePDF(), "no text layer"},
		{"locked.pdf", encryptedPDF(3, "secret", "owner", []string{"Hello"}), "is encrypted"},
		{"locked40.pdf", encryptedPDF(2, "secret", "owner", []string{"Hello"}), "is encrypted"},
		// ledongthuc/pdf derives 40-bit RC4 keys wrongly (16 bytes, not 10):
		// such a file opens but its text is noise, so it is refused as
		// encrypted rather than as a scan.
		{"rights40.pdf", encryptedPDF(2, "", "owner", []string{"Hello"}), "is encrypted"},
		{"cut.pdf", good[:len(good)/2], "damaged or cut short"},
		{"noeof.pdf", []byte(noEOF), "damaged or cut short"},
		{"xref.pdf", []byte(badXref), "damaged or cut short"},
		{"garbage.pdf", []byte("%PDF-1.4\n" + strings.Repeat("(((<<[[", 1000) + "\nstartxref\n10\n%%EOF\n"), "damaged or cut short"},
		{"header.pdf", []byte("%PDF-"), "damaged or cut short"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(c.name, c.data)
			var ae *Error
			if !errors.As(err, &ae) || ae.Name != c.name || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v; want a sentence saying %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), c.name+" ") || strings.Contains(err.Error(), "pdf:") {
				t.Errorf("%q is not a sentence for a person", err)
			}
		})
	}
}

func TestAPageTreeThatLoopsIsDamaged(t *testing.T) {
	for _, kids := range []string{"[2 0 R]", "[2 0 R 2 0 R]", "[3 0 R]"} {
		p := &testPDF{}
		p.add("<< /Type /Catalog /Pages 2 0 R >>")
		p.add("<< /Type /Pages /Kids " + kids + " /Count 5 >>")
		p.add("<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 5 >>")
		_, err := Read("loop.pdf", p.bytes(""))
		if err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("kids %s: %v", kids, err)
		}
	}
}

func TestAPDFsPagesAreWhatItsTreeHolds(t *testing.T) {
	p := &testPDF{}
	writePages(p, [][]string{{"only one"}})
	p.set(2, strings.Replace(p.objs[1], "/Count 1", "/Count 1000000000", 1))
	a, err := Read("claims.pdf", p.bytes(""))
	if err != nil || a.Pages != 1 || a.Text != "--- page 1 of 1 ---\nonly one\n" {
		t.Errorf("%d pages, %q, %v", a.Pages, a.Text, err)
	}
}

func TestAPDFPastItsTimeIsGivenUp(t *testing.T) {
	var pages [][]string
	for range 100 {
		pages = append(pages, []string{strings.Repeat("words ", 100)})
	}
	if _, _, err := pdfText(textPDF(pages, true), pdfLimits{time: time.Millisecond, text: MaxPDFTextBytes}); !errors.Is(err, errPDFSlow) {
		t.Fatalf("err %v", err)
	}
	if s := pdfSentence("x.pdf", errPDFSlow).Sentence; !strings.Contains(s, "more than 10 seconds") {
		t.Errorf("sentence %q", s)
	}
}

func TestAPDFWithTooMuchTextIsRefused(t *testing.T) {
	line := "All work and no play makes Jack a dull boy."
	// One page over the bound, or many pages that are over it together.
	for _, pages := range [][][]string{
		{slices.Repeat([]string{line}, 30)},
		slices.Repeat([][]string{{line}}, 30),
	} {
		_, _, err := pdfText(textPDF(pages, true), pdfLimits{time: pdfTimeout, text: 1000})
		if !errors.Is(err, errPDFTooBig) {
			t.Errorf("%d pages: %v", len(pages), err)
		}
	}
	if s := pdfSentence("long.pdf", errPDFTooBig).Sentence; s != "long.pdf has more than 4.0 MB of text; attach the pages you need instead." {
		t.Errorf("sentence %q", s)
	}
}

func TestAPageOfNothingButNumbersIsNotInterpreted(t *testing.T) {
	// 20 MB of operands and no operator, deflated to a few kilobytes: the
	// library would keep every one of them on its stack.
	p := &testPDF{compress: true}
	writePages(p, [][]string{{"first page"}})
	bomb := p.stream("", strings.Repeat("0 ", 10_000_000))
	page := p.add(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Resources << >> /Contents %d 0 R >>", bomb))
	p.set(2, fmt.Sprintf("<< /Type /Pages /Kids [5 0 R %d 0 R] /Count 2 >>", page))
	a, err := Read("bomb.pdf", p.bytes(""))
	if err != nil {
		t.Fatal(err)
	}
	want := "--- page 1 of 2 ---\nfirst page\n--- page 2 of 2 ---\n[This page was not read: its content is over 8.0 MB.]\n"
	if a.Text != want {
		t.Errorf("text %q", a.Text)
	}
}

func TestAFontWhoseMapIsABombIsNotInterpreted(t *testing.T) {
	p := &testPDF{compress: true}
	writePages(p, [][]string{{"plain text"}})
	bomb := p.stream("", strings.Repeat("0 ", 10_000_000))
	p.set(3, fmt.Sprintf("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode %d 0 R >>", bomb))
	a, err := Read("font.pdf", p.bytes(""))
	if err != nil || a.Text != "--- page 1 of 1 ---\nplain text\n" {
		t.Errorf("%q, %v", a.Text, err)
	}
}
