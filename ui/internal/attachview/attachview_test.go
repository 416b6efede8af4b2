package attachview

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/attach"
	_ "github.com/deskchat/deskchat/internal/localefix" // quiet Fyne under LANG=C.UTF-8
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge/bridgetest"
)

func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func imageAttachment(t testing.TB, name string, w, h int) store.Attachment {
	t.Helper()
	a, err := attach.Read(name, pngOf(t, w, h))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestPathsReadsFileListsOnly(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"file:///home/ana/a%20b.png", []string{"/home/ana/a b.png"}},
		{"copy\nfile:///tmp/x.txt\nfile:///tmp/y.pdf\n", []string{"/tmp/x.txt", "/tmp/y.pdf"}},
		{"# a comment\r\nfile:///tmp/x.txt\r\n", []string{"/tmp/x.txt"}},
		{"file://localhost/tmp/x.txt", []string{"/tmp/x.txt"}},
		{"/tmp/notes.md", []string{"/tmp/notes.md"}},
		{"/tmp/a\n/tmp/../tmp/b", []string{"/tmp/a", "/tmp/b"}},
		{"hello world", nil},
		{"relative/path.txt", nil},
		{"/tmp/a\nand some text", nil},
		{"file://example.com/etc/passwd", nil}, // another machine's file
		{"https://example.com/x.png", nil},
		{"", nil},
		{"   \n  ", nil},
		{strings.Repeat("/tmp/a\n", maxPastedPaths+5), nil}, // a long text, not a list
	} {
		got := Paths(c.text)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("Paths(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestThumbsKeepAtMostTheirBoundAndShareWork(t *testing.T) {
	test.NewTempApp(t)
	q := bridgetest.New(64)
	var reads atomic.Int32
	blobs := map[string][]byte{}
	th := NewThumbs(q.B, 2, func(sha string) ([]byte, error) {
		reads.Add(1)
		if b, ok := blobs[sha]; ok {
			return b, nil
		}
		return nil, store.ErrBlobMissing
	})
	a := imageAttachment(t, "a.png", 800, 600)
	blobs[a.SHA256], a.Data = a.Data, nil // read back from the store: no bytes with it
	var got []image.Image
	for i := 0; i < 3; i++ {
		th.Get(a, func(img image.Image, err error) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, img)
		})
	}
	q.Settle(t)
	if len(got) != 3 || reads.Load() != 1 {
		t.Fatalf("3 asks for one image: %d answers, %d reads of its blob; want 3 and 1", len(got), reads.Load())
	}
	if b := got[0].Bounds(); max(b.Dx(), b.Dy()) > ThumbSide || b.Dx() < b.Dy() {
		t.Errorf("thumbnail of an 800×600 image is %v", b)
	}
	th.Get(a, func(image.Image, error) {}) // cached now: no read
	if reads.Load() != 1 {
		t.Errorf("a cached thumbnail was read again")
	}
	th.Put("b", got[0])
	th.Put("c", got[0])
	if th.Len() != 2 {
		t.Errorf("a cache of 2 holds %d", th.Len())
	}
	if _, ok := th.Cached(a.SHA256); ok {
		t.Errorf("the least recently used thumbnail is still kept")
	}
}

func TestThumbsOfHostileImagesFailWithoutPanic(t *testing.T) {
	test.NewTempApp(t)
	q := bridgetest.New(64)
	good := pngOf(t, 64, 64)
	th := NewThumbs(q.B, 0, func(string) ([]byte, error) { return nil, store.ErrBlobMissing })
	cases := []store.Attachment{
		{Name: "missing.png", Mime: "image/png", SHA256: "gone"},
		{Name: "truncated.png", Mime: "image/png", SHA256: "t", Data: good[:len(good)/3]},
		{Name: "garbage.jpg", Mime: "image/jpeg", SHA256: "g", Data: bytes.Repeat([]byte{0xff, 0xd8, 0x00}, 1000)},
		{Name: "empty.png", Mime: "image/png", SHA256: "e", Data: []byte{}},
	}
	errs := 0
	for _, a := range cases {
		th.Get(a, func(img image.Image, err error) {
			if err == nil || img != nil {
				t.Errorf("%s: a thumbnail from a broken image", a.Name)
			}
			errs++
		})
	}
	q.Settle(t)
	if errs != len(cases) {
		t.Fatalf("%d of %d answered", errs, len(cases))
	}
	if th.Len() != 0 {
		t.Errorf("failures were cached")
	}
}

func newTestTray(t *testing.T) (*Tray, *bridgetest.Queue) {
	test.NewTempApp(t)
	q := bridgetest.New(64)
	return NewTray(NewThumbs(q.B, 0, nil)), q
}

func TestTrayChipsComeAndGo(t *testing.T) {
	tray, q := newTestTray(t)
	changed := 0
	tray.Changed = func() { changed++ }
	if tray.Obj.Visible() {
		t.Fatal("an empty tray shows")
	}
	img := imageAttachment(t, "photo.png", 300, 200)
	text, _ := attach.Read("notes.txt", []byte("hello"))
	it := tray.Start("photo.png")
	if !tray.Obj.Visible() || tray.Reading() != "photo.png" || len(tray.Attachments()) != 0 {
		t.Fatal("a file being read: its chip shows, and it is not ready to go")
	}
	it.Progress(0.5)
	if it.chip.bar.Value != 0.5 || !it.chip.bar.Visible() {
		t.Error("the chip does not show how much is read")
	}
	it.Done(img, nil, nil)
	q.Settle(t) // the thumbnail, made from the image's bytes
	tray.Add(text, nil)
	if got := tray.Attachments(); len(got) != 2 || got[0].Name != "photo.png" || got[1].Name != "notes.txt" {
		t.Fatalf("attachments %v", got)
	}
	if it.chip.pic.Image == nil {
		t.Error("the image's chip has no thumbnail")
	}
	if d := tray.Items()[1].chip.detail.Text; d != "5 B · "+tokensOf(text) {
		t.Errorf("the text's chip says %q", d)
	}
	test.Tap(tray.Items()[0].Remove) // ×
	if got := tray.Attachments(); len(got) != 1 || got[0].Name != "notes.txt" {
		t.Fatalf("after removing the photo: %v", got)
	}
	if changed == 0 {
		t.Error("the composer was not told the tray's height changed")
	}
	tray.Clear()
	if tray.Obj.Visible() || len(tray.Items()) != 0 {
		t.Error("a cleared tray still shows")
	}
}

func tokensOf(a store.Attachment) string {
	return strings.TrimPrefix(Detail(a), "5 B · ")
}

func TestTrayRefusesWithOneSentence(t *testing.T) {
	tray, _ := newTestTray(t)
	it := tray.Start("tool.exe")
	it.Done(store.Attachment{}, nil, &attach.Error{Name: "tool.exe", Sentence: "tool.exe is not a kind of file that can be attached."})
	if len(tray.Items()) != 0 || tray.Note() != "tool.exe is not a kind of file that can be attached." || !tray.Obj.Visible() {
		t.Fatalf("refused: %d chips, note %q", len(tray.Items()), tray.Note())
	}
	a, _ := attach.Read("a.txt", []byte("a"))
	tray.Add(a, nil)
	if tray.Note() != "" {
		t.Error("the refusal stays after another file was added")
	}
	again := tray.Start("copy of a.txt")
	again.Done(a, nil, nil)
	if len(tray.Items()) != 1 || !strings.Contains(tray.Note(), "attached already") {
		t.Errorf("the same file twice: %d chips, note %q", len(tray.Items()), tray.Note())
	}
	if !tray.Room(attach.MaxFiles-1) || tray.Room(attach.MaxFiles) {
		t.Error("Room does not count to MaxFiles")
	}
	if !strings.Contains(tray.Note(), "At most") {
		t.Errorf("too many files: note %q", tray.Note())
	}
}

func TestTrayDropsAFileRemovedWhileRead(t *testing.T) {
	tray, _ := newTestTray(t)
	it := tray.Start("big.pdf")
	test.Tap(it.Remove)
	a, _ := attach.Read("big.txt", []byte("late"))
	it.Progress(0.9)
	it.Done(a, nil, nil)
	if len(tray.Items()) != 0 || len(tray.Attachments()) != 0 {
		t.Fatal("a file removed while it was read came back")
	}
}

func stripObjects(o fyne.CanvasObject) []fyne.CanvasObject {
	w := test.NewWindow(o)
	w.Resize(fyne.NewSize(800, 400))
	return test.LaidOutObjects(o)
}

func TestStripShowsThumbnailsAndFileChips(t *testing.T) {
	test.NewTempApp(t)
	q := bridgetest.New(64)
	img := imageAttachment(t, "photo.png", 400, 300)
	blobs := map[string][]byte{img.SHA256: img.Data}
	img.Data = nil
	blob := func(sha string) ([]byte, error) {
		if b, ok := blobs[sha]; ok {
			return b, nil
		}
		return nil, store.ErrBlobMissing
	}
	f := &Files{App: fyne.CurrentApp(), B: q.B, Thumbs: NewThumbs(q.B, 0, blob), Blob: blob}
	pdf := store.Attachment{Name: "guide.pdf", Mime: "application/pdf", Size: 2_000_000, Pages: 12, SHA256: "p"}
	gone := store.Attachment{Name: "gone.png", Mime: "image/png", SHA256: "missing", Width: 10, Height: 10}
	strip := f.Strip([]store.Attachment{img, pdf, gone})
	q.Settle(t)
	var pics []*canvas.Image
	var labels []string
	for _, o := range stripObjects(strip) {
		switch o := o.(type) {
		case *canvas.Image:
			pics = append(pics, o)
		case *widget.Label:
			labels = append(labels, o.Text)
		}
	}
	if len(pics) != 4 { // two thumbnails, the PDF's icon, its Save button's
		t.Fatalf("%d pictures in the strip", len(pics))
	}
	if pics[0].Image == nil {
		t.Error("the photo's thumbnail did not load from its blob")
	}
	if pics[1].Resource != theme.BrokenImageIcon() {
		t.Error("a missing blob's thumbnail is not the broken-image icon")
	}
	if !strings.Contains(strings.Join(labels, "|"), "guide.pdf|2.0 MB · 12 pages") {
		t.Errorf("the PDF's chip says %q", labels)
	}
	if w := StripWidth([]store.Attachment{img, pdf}); w < thumbCell.Width || w < ChipSize.Width {
		t.Errorf("StripWidth %v", w)
	}
}

func TestOpeningAMissingFileSaysSo(t *testing.T) {
	test.NewTempApp(t)
	q := bridgetest.New(64)
	var said []string
	f := &Files{App: fyne.CurrentApp(), B: q.B, Blob: func(string) ([]byte, error) { return nil, store.ErrBlobMissing },
		Failed: func(what, s string) { said = append(said, what+": "+s) }, Dir: t.TempDir()}
	gone := store.Attachment{Name: "gone.png", Mime: "image/png", SHA256: "missing"}
	f.OpenImage(gone)
	f.OpenFile(store.Attachment{Name: "notes.txt", Mime: "text/plain", SHA256: "missing"})
	f.OpenImage(store.Attachment{Name: "bad.png", Mime: "image/png", SHA256: "x", Data: []byte("\x89PNG\r\n\x1a\nno")})
	q.Settle(t)
	sort.Strings(said) // the three ran side by side
	if len(said) != 3 || !strings.HasPrefix(said[0], "Could not open the file: notes.txt is no longer in the history") ||
		!strings.HasPrefix(said[1], "Could not open the image: bad.png could not be read") || !strings.HasPrefix(said[2], "Could not open the image: gone.png is no longer in the history") {
		t.Fatalf("said %q", said)
	}
}

func TestCopyOutStaysInItsFolder(t *testing.T) {
	dir := t.TempDir()
	f := &Files{Dir: dir}
	for _, name := range []string{"../../etc/passwd", "..", "", "a/b\\c:d.txt", "notes.txt"} {
		p, err := f.copyOut(store.Attachment{Name: name, SHA256: "0123456789abcdef0123"}, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if rel, err := filepath.Rel(dir, p); err != nil || strings.HasPrefix(rel, "..") || filepath.Dir(rel) != "0123456789abcdef" {
			t.Errorf("%q was written to %s", name, p)
		}
		if b, _ := os.ReadFile(p); string(b) != "x" {
			t.Errorf("%q: not written", name)
		}
	}
	if got := Sentence(store.Attachment{Name: "a"}, errors.New("boom")); got != "a could not be read: boom." {
		t.Errorf("Sentence = %q", got)
	}
}
