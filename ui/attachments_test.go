package ui

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/attachview"
	"github.com/deskchat/deskchat/ui/internal/chat"
)

func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), 90, uint8(y), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFiles writes name → content files in a new folder and returns their
// paths, in the order given.
func writeFiles(t testing.TB, files ...[2]string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f[0])
		if err := os.WriteFile(p, []byte(f[1]), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func uris(paths ...string) []fyne.URI {
	var out []fyne.URI
	for _, p := range paths {
		out = append(out, storage.NewFileURI(p))
	}
	return out
}

func (h *harness) trayNames() []string {
	var names []string
	for _, it := range h.w.compose.Tray.Items() {
		names = append(names, it.A.Name)
	}
	return names
}

func (h *harness) lastQuestion() *chat.Message {
	h.t.Helper()
	cv := h.shown()
	for i := len(cv.views) - 1; i >= 0; i-- {
		if cv.views[i].Role == store.RoleUser {
			return cv.views[i]
		}
	}
	h.t.Fatal("no question is shown")
	return nil
}

func TestDroppedFilesBecomeChipsAndGoWithTheQuestion(t *testing.T) {
	h := newHarness(t, useSimulator)
	paths := writeFiles(t, [2]string{"photo.png", string(testPNG(t, 640, 480))}, [2]string{"notes.txt", "meet at nine"})
	h.w.compose.Dropped(fyne.NewPos(10, 10), uris(paths...))
	h.settle()
	tray := h.w.compose.Tray
	if got := strings.Join(h.trayNames(), ","); got != "photo.png,notes.txt" || !tray.Obj.Visible() {
		t.Fatalf("tray holds %q (shown %v)", got, tray.Obj.Visible())
	}
	if atts := tray.Attachments(); atts[0].Width != 640 || atts[0].Tokens == 0 || atts[1].Text != "meet at nine" {
		t.Errorf("read as %+v / %+v", atts[0], atts[1])
	}
	abs := h.w.app.Driver().AbsolutePositionForObject
	if size := tray.Obj.Size(); size.Height < attachview.ChipSize.Height || abs(tray.Obj).Y+size.Height > abs(h.w.compose.Input).Y {
		t.Errorf("the chips were not given room above the composer: %v at %v, composer at %v", size, abs(tray.Obj), abs(h.w.compose.Input))
	}
	if h.w.pane.files.Thumbs.Len() != 1 {
		t.Errorf("the photo's thumbnail was not made while it was read")
	}
	h.ask("What is in these?")
	h.liveAnswer(nil)
	q := h.lastQuestion()
	if len(q.Attachments) != 2 || !q.AttachSlot.Visible() {
		t.Fatalf("the question shows %d files (slot shown %v)", len(q.Attachments), q.AttachSlot.Visible())
	}
	if q.Attachments[0].Data != nil || q.Attachments[1].Text != "" {
		t.Error("the question's view holds its files' bytes")
	}
	if len(tray.Items()) != 0 || tray.Obj.Visible() || h.w.compose.Input.Text != "" {
		t.Errorf("after sending, the tray holds %q and the composer %q", h.trayNames(), h.w.compose.Input.Text)
	}
	h.settle()
}

func TestOnlyFilesGoWithAQuestion(t *testing.T) {
	h := newHarness(t, useSimulator)
	paths := writeFiles(t, [2]string{"photo.png", string(testPNG(t, 32, 32))})
	h.w.compose.Dropped(fyne.Position{}, uris(paths...))
	h.settle()
	h.ask("") // Enter with the composer empty: the photo alone is a question
	h.liveAnswer(nil)
	if q := h.lastQuestion(); len(q.Attachments) != 1 || q.Md.Text() != "" {
		t.Fatalf("a question of a photo alone: %d files, text %q", len(q.Attachments), q.Md.Text())
	}
	h.settle()
}

func TestRemovedChipsDoNotGo(t *testing.T) {
	h := newHarness(t, useSimulator)
	paths := writeFiles(t, [2]string{"a.txt", "first"}, [2]string{"b.txt", "second"})
	h.w.compose.Dropped(fyne.Position{}, uris(paths...))
	h.settle()
	test.Tap(h.w.compose.Tray.Items()[0].Remove)
	h.ask("Which one?")
	h.liveAnswer(nil)
	if q := h.lastQuestion(); len(q.Attachments) != 1 || q.Attachments[0].Name != "b.txt" {
		t.Fatalf("sent %+v", q.Attachments)
	}
	h.settle()
}

func TestRefusedFilesAreOneSentence(t *testing.T) {
	h := newHarness(t, useSimulator)
	paths := writeFiles(t, [2]string{"tool.bin", "MZ\x00\x01\x02binary"})
	h.w.compose.Dropped(fyne.Position{}, uris(paths...))
	h.settle()
	tray := h.w.compose.Tray
	if len(tray.Items()) != 0 || !strings.Contains(tray.Note(), "tool.bin") || !strings.Contains(tray.Note(), "cannot be attached") || !strings.Contains(tray.Note(), "PDFs can be attached") {
		t.Fatalf("a binary file: %q chips, note %q", h.trayNames(), tray.Note())
	}
	h.w.compose.Dropped(fyne.Position{}, uris(filepath.Join(t.TempDir(), "gone.txt")))
	h.settle()
	if !strings.Contains(tray.Note(), "gone.txt could not be read: it does not exist.") {
		t.Errorf("a missing file: note %q", tray.Note())
	}
	huge := writeFiles(t, [2]string{"huge.pdf", ""}, [2]string{"big.txt", ""})
	if err := os.Truncate(huge[0], attach.MaxPDFBytes+1); err != nil { // sparse: nothing is written
		t.Fatal(err)
	}
	if err := os.Truncate(huge[1], 3*attach.MaxTextBytes); err != nil {
		t.Fatal(err)
	}
	h.w.compose.Dropped(fyne.Position{}, uris(huge[0]))
	h.settle()
	if len(tray.Items()) != 0 || !strings.HasPrefix(tray.Note(), "huge.pdf is 50.0 MB; attachments can be at most") {
		t.Errorf("a file over every cap: note %q", tray.Note())
	}
	h.w.compose.Dropped(fyne.Position{}, uris(huge[1]))
	h.settle()
	if len(tray.Items()) != 0 || !strings.Contains(tray.Note(), "big.txt") {
		t.Errorf("6 MB of zeros: note %q", tray.Note())
	}
	remote, _ := storage.ParseURI("https://example.com/x.png")
	h.w.compose.Dropped(fyne.Position{}, []fyne.URI{remote})
	if tray.Note() != "Only files on this computer can be attached." {
		t.Errorf("a web address: note %q", tray.Note())
	}
	if strings.Contains(tray.Note(), "error") || strings.Contains(tray.Note(), "%!") {
		t.Errorf("not a sentence: %q", tray.Note())
	}
}

func TestTooManyFilesAreRefusedBeforeReading(t *testing.T) {
	h := newHarness(t, useSimulator)
	var files [][2]string
	for i := 0; i <= attach.MaxFiles; i++ {
		files = append(files, [2]string{strings.Repeat("n", i+1) + ".txt", "x"})
	}
	h.w.compose.Dropped(fyne.Position{}, uris(writeFiles(t, files...)...))
	h.settle()
	if n := len(h.w.compose.Tray.Items()); n != 0 || !strings.HasPrefix(h.w.compose.Tray.Note(), "At most 20 files") {
		t.Fatalf("%d files dropped: %d chips, note %q", attach.MaxFiles+1, n, h.w.compose.Tray.Note())
	}
}

func TestPastedFileNamesAreAttachedAndTextIsPasted(t *testing.T) {
	h := newHarness(t, useSimulator)
	paths := writeFiles(t, [2]string{"a b.txt", "spaced"}, [2]string{"c.txt", "c"})
	clip := h.w.app.Clipboard()
	paste := func(text string) {
		clip.SetContent(text)
		h.w.compose.Input.TypedShortcut(&fyne.ShortcutPaste{Clipboard: clip})
		h.settle()
	}
	paste("copy\n" + storage.NewFileURI(paths[0]).String() + "\n" + storage.NewFileURI(paths[1]).String())
	if got := strings.Join(h.trayNames(), ","); got != "a b.txt,c.txt" || h.w.compose.Input.Text != "" {
		t.Fatalf("pasted file URIs: tray %q, composer %q", got, h.w.compose.Input.Text)
	}
	paste("just words")
	if h.w.compose.Input.Text != "just words" || len(h.w.compose.Tray.Items()) != 2 {
		t.Errorf("pasted text: composer %q", h.w.compose.Input.Text)
	}
	h.w.compose.Input.SetText("")
	missing := filepath.Join(t.TempDir(), "not-there.txt")
	paste(missing)
	if h.w.compose.Input.Text != missing || len(h.w.compose.Tray.Items()) != 2 {
		t.Errorf("a path to no file is text: composer %q, tray %q", h.w.compose.Input.Text, h.trayNames())
	}
}

func TestAQuestionWaitsForItsFilesToBeRead(t *testing.T) {
	h := newHarness(t, useSimulator)
	it := h.w.compose.Tray.Start("big.pdf")
	h.ask("Summarise it")
	h.settle()
	if cv := h.w.pane.chats[h.w.pane.selected]; cv != nil && len(cv.views) > 0 {
		t.Fatal("a question went while its file was still being read")
	}
	if !strings.Contains(h.w.compose.Tray.Note(), "big.pdf is still being read") || h.w.compose.Input.Text != "Summarise it" {
		t.Errorf("note %q, composer %q", h.w.compose.Tray.Note(), h.w.compose.Input.Text)
	}
	a, _ := attach.Read("big.txt", []byte("done"))
	it.Done(a, nil, nil)
	pressEnter(h.w.compose.Input)
	h.liveAnswer(nil)
	if q := h.lastQuestion(); len(q.Attachments) != 1 {
		t.Errorf("sent with %d files", len(q.Attachments))
	}
	h.settle()
}

// storedWithPhoto stores a chat whose question has a photo and a text file.
func storedWithPhoto(t testing.TB, st *store.Store) (photo store.Attachment) {
	t.Helper()
	useSimulator(st)
	photo, err := attach.Read("photo.png", testPNG(t, 400, 300))
	if err != nil {
		t.Fatal(err)
	}
	notes, _ := attach.Read("notes.txt", []byte("notes"))
	now := time.Now()
	d := store.Dump{Conversation: store.Conversation{Title: "With a photo", Provider: engine.SimulatorName, Model: engine.SimulatorModel, CreatedAt: now, UpdatedAt: now}}
	d.Messages = []store.Message{
		{Role: store.RoleUser, Content: "What is this?", State: store.StateDone, CreatedAt: now, UpdatedAt: now, Attachments: []store.Attachment{photo, notes}},
		{Role: store.RoleAssistant, Content: "A gradient.", State: store.StateDone, CreatedAt: now, UpdatedAt: now},
	}
	if _, err := st.ImportConversations([]store.Import{{Dump: d}}); err != nil {
		t.Fatal(err)
	}
	return photo
}

func imagesIn(o fyne.CanvasObject) []*canvas.Image {
	var out []*canvas.Image
	for _, x := range test.LaidOutObjects(o) {
		if img, ok := x.(*canvas.Image); ok {
			out = append(out, img)
		}
	}
	return out
}

func TestAStoredQuestionShowsItsThumbnailFromTheStore(t *testing.T) {
	var photo store.Attachment
	h := newHarness(t, func(st *store.Store) { photo = storedWithPhoto(t, st) })
	h.settle()
	q := h.lastQuestion()
	if len(q.Attachments) != 2 || !q.AttachSlot.Visible() {
		t.Fatalf("the stored question shows %d files", len(q.Attachments))
	}
	if q.Attachments[0].Data != nil {
		t.Fatal("the test wants a question read back without its bytes")
	}
	if _, ok := h.w.pane.files.Thumbs.Cached(photo.SHA256); !ok {
		t.Fatal("the thumbnail was not loaded from the photo's blob")
	}
	imgs := imagesIn(q.AttachSlot)
	if len(imgs) == 0 || imgs[0].Image == nil {
		t.Fatal("the thumbnail is not drawn")
	}
	// Tapping it opens the photo in its own window.
	before := len(h.w.app.Driver().AllWindows())
	h.w.pane.files.OpenImage(q.Attachments[0])
	h.settle()
	wins := h.w.app.Driver().AllWindows()
	if len(wins) != before+1 || !strings.HasPrefix(wins[len(wins)-1].Title(), "photo.png — 400×300") {
		t.Fatalf("no window for the photo (%d windows)", len(wins))
	}
	wins[len(wins)-1].Close()
}

func TestAnEditedQuestionKeepsItsFiles(t *testing.T) {
	h := newHarness(t, func(st *store.Store) { storedWithPhoto(t, st) })
	h.settle()
	q := h.lastQuestion()
	h.w.startEdit(q)
	h.w.compose.Input.SetText("What colours are in it?")
	pressEnter(h.w.compose.Input)
	h.liveAnswer(nil)
	if n := h.lastQuestion(); n == q || len(n.Attachments) != 2 || !n.AttachSlot.Visible() {
		t.Fatalf("the edited question shows %d files", len(n.Attachments))
	}
	h.settle()
}

func TestAMissingBlobIsABrokenImageAndASentence(t *testing.T) {
	h := newHarness(t, useSimulator)
	gone := store.Attachment{Name: "gone.png", Mime: "image/png", SHA256: strings.Repeat("0", 64), Width: 40, Height: 30}
	v := h.w.newView(store.Message{Role: store.RoleUser, Content: "look", State: store.StateDone, Attachments: []store.Attachment{gone}})
	h.settle()
	w := test.NewWindow(v.Obj)
	defer w.Close()
	imgs := imagesIn(v.AttachSlot)
	if len(imgs) == 0 || imgs[0].Resource != theme.BrokenImageIcon() {
		t.Fatal("a missing blob's thumbnail is not the broken-image icon")
	}
	h.w.pane.files.OpenImage(gone)
	h.settle()
	var said []string
	for _, o := range h.topDialog() {
		if l, ok := o.(*widget.Label); ok {
			said = append(said, l.Text)
		}
	}
	if !strings.Contains(strings.Join(said, " "), "gone.png is no longer in the history") {
		t.Fatalf("the dialog says %q", said)
	}
}

func TestThePaperclipPicksSeveralFilesThroughTheDesktopsChooser(t *testing.T) {
	h := newHarness(t, useSimulator)
	paths := writeFiles(t, [2]string{"a.txt", "first"}, [2]string{"b.go", "package b\n"})
	var asked []string
	h.w.compose.Choose = func(folder string) ([]string, error) {
		asked = append(asked, folder)
		return paths, nil
	}
	test.Tap(h.w.compose.Attach)
	h.settle()
	if got := h.trayNames(); len(got) != 2 || got[0] != "a.txt" || got[1] != "b.go" {
		t.Fatalf("tray after picking two files: %q", got)
	}
	test.Tap(h.w.compose.Attach) // the next pick starts where the last one was
	h.settle()
	if len(asked) != 2 || asked[0] != "" || asked[1] != filepath.Dir(paths[0]) {
		t.Fatalf("the chooser was asked to start in %q", asked)
	}
}

func TestWithoutADesktopChooserThePaperclipOpensFynesDialog(t *testing.T) {
	h := newHarness(t, useSimulator)
	calls := 0
	h.w.compose.Choose = func(string) ([]string, error) {
		calls++
		return nil, errors.New("org.freedesktop.portal.Desktop was not provided by any .service files")
	}
	test.Tap(h.w.compose.Attach)
	h.settle()
	if h.w.win.Canvas().Overlays().Top() == nil {
		t.Fatal("no file dialog after the desktop's chooser failed")
	}
	if h.w.compose.Choose != nil || calls != 1 {
		t.Fatalf("the failed chooser is kept (%d calls)", calls)
	}
	if len(h.trayNames()) != 0 || h.w.compose.Tray.Note() != "" {
		t.Fatalf("a failed chooser attached %q or said %q", h.trayNames(), h.w.compose.Tray.Note())
	}
}

func TestCancellingTheDesktopsChooserAttachesNothing(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.w.compose.Choose = func(string) ([]string, error) { return nil, nil }
	test.Tap(h.w.compose.Attach)
	h.settle()
	if len(h.trayNames()) != 0 || h.w.win.Canvas().Overlays().Top() != nil || h.w.compose.Choose == nil {
		t.Fatalf("cancel: tray %q, overlay %v", h.trayNames(), h.w.win.Canvas().Overlays().Top())
	}
}
