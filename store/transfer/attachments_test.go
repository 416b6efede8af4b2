package transfer

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// pngBytes is a real w×h PNG of noise (it hardly compresses) made from
// seed.
func pngBytes(t testing.TB, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := uint32(seed) + 1
	for y := range h {
		for x := range w {
			r = r*1664525 + 1013904223
			img.SetNRGBA(x, y, color.NRGBA{uint8(r >> 24), uint8(r >> 16), uint8(r >> 8), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func attachment(name, mime string, data []byte, text string) store.Attachment {
	return store.Attachment{Name: name, Mime: mime, Size: int64(len(data)), SHA256: store.SHA256(data), Data: data, Text: text}
}

// withAttachments is a conversation whose questions carry a photo (twice),
// a text file, a PDF (its text with page markers) and an empty file.
func withAttachments(t testing.TB) (store.Import, map[string][]byte) {
	photo := pngBytes(t, 64, 48, 7)
	notes := []byte("line one\nline two — ünïcødé\n")
	pdf := []byte("%PDF-1.4\n% not a real PDF: the bytes only travel\n%%EOF\n")
	pdfText := "--- page 1 of 2 ---\nHello\n--- page 2 of 2 ---\nWorld"
	img := attachment("photo.png", "image/png", photo, "")
	img.Width, img.Height, img.Tokens = 64, 48, 255
	doc := attachment("report.pdf", "application/pdf", pdf, pdfText)
	doc.Pages, doc.Tokens = 2, 12
	im := store.Import{Dump: store.Dump{
		Conversation: store.Conversation{ID: "attach000001", Title: "With files", CreatedAt: t0, UpdatedAt: t0},
		Messages: []store.Message{
			{Seq: 1, Role: store.RoleUser, Content: "What is in these?", State: store.StateDone, CreatedAt: t0, UpdatedAt: t0,
				Attachments: []store.Attachment{img, attachment("notes.txt", "text/plain; charset=utf-8", notes, string(notes)), doc}},
			{Seq: 2, Role: store.RoleAssistant, Content: "A photo, notes and a report.", State: store.StateDone, CreatedAt: t0, UpdatedAt: t0},
			{Seq: 3, Role: store.RoleUser, Content: "The photo again, and an empty file", State: store.StateDone, CreatedAt: t0, UpdatedAt: t0,
				Attachments: []store.Attachment{img, attachment("empty.txt", "text/plain; charset=utf-8", []byte{}, "")}},
		},
	}}
	return im, map[string][]byte{"photo.png": photo, "notes.txt": notes, "report.pdf": pdf, "empty.txt": {}}
}

// blobsOf returns every attachment of st's conversation id, by name: its
// description as stored and its bytes and text read back.
func blobsOf(t testing.TB, st *store.Store, id string) (map[string]store.Attachment, map[string][]byte, map[string]string) {
	t.Helper()
	d, err := st.Dump(id)
	if err != nil {
		t.Fatal(err)
	}
	desc, data, text := map[string]store.Attachment{}, map[string][]byte{}, map[string]string{}
	for _, m := range d.Messages {
		for _, a := range m.Attachments {
			desc[a.Name] = a
			if data[a.Name], err = st.Blob(a.SHA256); err != nil {
				t.Fatalf("%s: %v", a.Name, err)
			}
			if text[a.Name], err = st.BlobText(a.SHA256); err != nil {
				t.Fatal(err)
			}
		}
	}
	return desc, data, text
}

func TestJSONRoundTripRestoresAttachmentsByteForByte(t *testing.T) {
	st := openStore(t)
	im, files := withAttachments(t)
	seed(t, st, []store.Import{im})
	data := exportString(t, st, ExportOptions{})

	// Each file is embedded once, however many messages use it.
	photo := base64.StdEncoding.EncodeToString(files["photo.png"])
	if n := strings.Count(data, photo); n != 1 {
		t.Fatalf("the photo is embedded %d times, want once", n)
	}

	st2 := openStore(t)
	rep := mustImport(t, st2, data, Auto)
	if rep.Conversations != 1 || rep.SkippedCount != 0 {
		t.Fatalf("report %+v", rep)
	}
	wantDesc, _, wantText := blobsOf(t, st, im.Conversation.ID)
	gotDesc, gotData, gotText := blobsOf(t, st2, im.Conversation.ID)
	equal(t, "attachments", gotDesc, wantDesc)
	equal(t, "texts", gotText, wantText)
	for name, want := range files {
		if store.SHA256(gotData[name]) != store.SHA256(want) {
			t.Errorf("%s: sha256 %s, want %s", name, store.SHA256(gotData[name]), store.SHA256(want))
		}
	}
	d1, d2 := dumps(t, st), dumps(t, st2)
	equal(t, "conversations", d2, d1)
	if n, _, _ := st2.BlobStats(); n != len(files) {
		t.Errorf("%d blobs stored, want %d (one per file)", n, len(files))
	}
}

// attachedExport is the JSON export of withAttachments, for tests to spoil.
func attachedExport(t *testing.T) (string, map[string][]byte) {
	st := openStore(t)
	im, files := withAttachments(t)
	seed(t, st, []store.Import{im})
	return exportString(t, st, ExportOptions{}), files
}

func TestImportRefusesDamagedAttachments(t *testing.T) {
	data, files := attachedExport(t)
	photo := base64.StdEncoding.EncodeToString(files["photo.png"])
	notesSHA := store.SHA256(files["notes.txt"])
	flipped := []byte(photo)
	flipped[100] = 'A' // still base64, other bytes
	if photo[100] == 'A' {
		flipped[100] = 'B'
	}
	cases := []struct {
		name, data, reason string
	}{
		{"sha256 mismatch", strings.Replace(data, photo, string(flipped), 1), `"photo.png" of message 1 does not match its sha256 (the file is damaged)`},
		{"base64 garbage", strings.Replace(data, photo, "!!!not base64***", 1), "not valid base64"},
		{"sha256 not hex", strings.Replace(data, notesSHA, strings.Repeat("zz", 32), 1), `"notes.txt" of message 1 has no valid sha256`},
		{"size that lies", strings.Replace(data, fmt.Sprintf(`"size":%d`, len(files["notes.txt"])), `"size":1`, 1), `"notes.txt" of message 1 does not match its sha256`},
		{"data not a string", strings.Replace(data, `"`+photo+`"`, `{"x":1}`, 1), `"messages.attachments.data" is an object`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.data == data {
				t.Fatal("the export was not changed")
			}
			st := openStore(t)
			rep, err := importString(t, st, c.data, Auto)
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if rep.Conversations != 0 || rep.SkippedCount != 1 || !strings.Contains(rep.Skipped[0].Reason, c.reason) {
				t.Fatalf("report %+v, want the conversation skipped because %q", rep, c.reason)
			}
			if !strings.Contains(rep.String(), c.reason) || strings.Contains(rep.String(), "\n") {
				t.Errorf("sentence %q", rep.String())
			}
			if n, _, _ := st.BlobStats(); n != 0 {
				t.Errorf("%d blobs stored from a refused conversation", n)
			}
		})
	}
}

func TestImportBoundsAttachmentSize(t *testing.T) {
	data, _ := attachedExport(t)
	defer func(old int64) { maxAttachmentBytes = old }(maxAttachmentBytes)
	maxAttachmentBytes = 100 // the photo is larger; the notes are not
	st := openStore(t)
	rep, err := importString(t, st, data, Auto)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SkippedCount != 1 || !strings.Contains(rep.Skipped[0].Reason, `"photo.png" of message 1 is larger than deskchat imports`) {
		t.Fatalf("report %+v", rep)
	}
	// A declared size alone, without data, is bounded too.
	big := strings.Replace(`{"format":"deskchat","version":1,"conversations":[{"id":"big1","messages":[{"seq":1,"role":"user","content":"x",`+
		`"attachments":[{"name":"x.bin","mime":"image/png","size":9000000000000,"sha256":"SHA"}]}]}]}`, "SHA", strings.Repeat("ab", 32), 1)
	rep, err = importString(t, st, big, Auto)
	if err != nil || rep.SkippedCount != 1 || !strings.Contains(rep.Skipped[0].Reason, "larger than deskchat imports") {
		t.Fatalf("report %+v, %v", rep, err)
	}
}

// TestAMissingBlobTravelsAsMissing: a message whose attachment's bytes are
// gone from the history exports (JSON, HTML, Markdown) saying so, and
// imports as an attachment whose blob is missing, not as a failure.
func TestAMissingBlobTravelsAsMissing(t *testing.T) {
	st := openStore(t)
	gone := store.Attachment{Name: "lost.png", Mime: "image/png", Size: 1234, SHA256: strings.Repeat("cd", 32)}
	seed(t, st, []store.Import{{Dump: store.Dump{
		Conversation: store.Conversation{ID: "missing00001", Title: "Lost", CreatedAt: t0, UpdatedAt: t0},
		Messages: []store.Message{{Seq: 1, Role: store.RoleUser, Content: "see", State: store.StateDone, CreatedAt: t0, UpdatedAt: t0,
			Attachments: []store.Attachment{gone}}},
	}}})
	js := exportString(t, st, ExportOptions{})
	if !strings.Contains(js, `"missing":true`) {
		t.Fatalf("JSON does not say the file is missing:\n%s", js)
	}
	if h := exportString(t, st, ExportOptions{Format: HTML}); !strings.Contains(h, "lost.png · "+format.Size(1234)+", not in the history") {
		t.Errorf("HTML:\n%s", h[strings.Index(h, "<article"):])
	}
	dir := t.TempDir()
	if _, err := ExportFile(ctx, st, filepath.Join(dir, "lost.md"), ExportOptions{Format: Markdown}); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "lost.md"))
	if !strings.Contains(string(md), "- Attached: lost.png ("+format.Size(1234)+"), not in the history") {
		t.Errorf("Markdown:\n%s", md)
	}
	if _, err := os.Stat(filepath.Join(dir, attachDirName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an attachments folder was made for nothing: %v", err)
	}

	st2 := openStore(t)
	if rep := mustImport(t, st2, js, Auto); rep.Conversations != 1 {
		t.Fatalf("report %+v", rep)
	}
	d, _ := st2.Dump("missing00001")
	equal(t, "attachment", d.Messages[0].Attachments, []store.Attachment{gone})
	if _, err := st2.Blob(gone.SHA256); !errors.Is(err, store.ErrBlobMissing) {
		t.Errorf("Blob: %v, want ErrBlobMissing", err)
	}
}

func TestHTMLExportShowsImagesInlineAndLinksFiles(t *testing.T) {
	st := openStore(t)
	im, files := withAttachments(t)
	// Hostile descriptions: a name that is markup, a mime type that would
	// break out of the attribute.
	evil := attachment(`"><script>alert(1)</script>.png`, `image/png" onerror="alert(2)`, pngBytes(t, 4, 4, 9), "")
	im.Messages[2].Attachments = append(im.Messages[2].Attachments, evil)
	seed(t, st, []store.Import{im})
	page := exportString(t, st, ExportOptions{Format: HTML})

	photo := base64.StdEncoding.EncodeToString(files["photo.png"])
	if n := strings.Count(page, `<img src="data:image/png;base64,`+photo+`" alt="photo.png">`); n != 2 {
		t.Errorf("the photo is inline %d times, want 2 (once per message)", n)
	}
	notes := base64.StdEncoding.EncodeToString(files["notes.txt"])
	if !strings.Contains(page, `<a href="data:application/octet-stream;base64,`+notes+`" download="notes.txt">notes.txt</a> · `+format.Size(int64(len(files["notes.txt"])))) {
		t.Error("the notes are not a download link")
	}
	pdf := base64.StdEncoding.EncodeToString(files["report.pdf"])
	if !strings.Contains(page, `<a href="data:application/octet-stream;base64,`+pdf+`" download="report.pdf">`) {
		t.Error("the PDF is not a download link")
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, `onerror="`) {
		t.Error("a hostile name or mime type reached the page as markup")
	}
	if strings.Contains(page, `<img src="data:image/png;base64,`+base64.StdEncoding.EncodeToString(evil.Data)) {
		t.Error("an image whose mime type is not a plain type/subtype is inline")
	}
	checkInert(t, page)
}

// mdLinks returns the attachments/… link targets of a Markdown export.
func mdLinks(md string) []string {
	var out []string
	for rest := md; ; {
		i := strings.Index(rest, "]("+attachDirName+"/")
		if i < 0 {
			break
		}
		rest = rest[i+2:]
		out = append(out, rest[:strings.IndexByte(rest, ')')])
	}
	return out
}

func TestMarkdownExportWritesAnAttachmentsFolder(t *testing.T) {
	st := openStore(t)
	im, files := withAttachments(t)
	other := pngBytes(t, 8, 8, 3)
	// Names that try to leave the folder, to be hidden, to be a device, or
	// to clash with another file of the same name.
	im.Messages[2].Attachments = append(im.Messages[2].Attachments,
		attachment("../../../evil.png", "image/png", other, ""),
		attachment(`..\..\photo.png`, "image/png", pngBytes(t, 9, 9, 4), ""),
		attachment(".hidden", "text/plain", []byte("hidden"), "hidden"),
		attachment("CON.txt", "text/plain", []byte("con"), "con"),
		attachment("a#b (1).txt", "text/plain", []byte("hash"), "hash"),
		attachment("", "image/png", pngBytes(t, 2, 2, 1), ""),
		attachment(strings.Repeat("long", 100)+".txt", "text/plain", []byte("long"), "long"),
		attachment("ctl\x00\n\x7f.txt", "text/plain", []byte("ctl"), "ctl"),
	)
	seed(t, st, []store.Import{im})
	dir := t.TempDir()
	path := filepath.Join(dir, "chat.md")
	if _, err := ExportFile(ctx, st, path, ExportOptions{Format: Markdown}); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(filepath.Join(dir, attachDirName))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"_CON.txt", "a#b (1).txt", "attachment.png", "ctl___.txt", "empty.txt", "evil.png", "hidden.txt", "notes.txt", "photo (2).png", "photo.png", "report.pdf", strings.Repeat("long", 29) + ".txt"}
	sort.Strings(names)
	sort.Strings(want)
	equal(t, "files", names, want)
	top, _ := os.ReadDir(dir)
	if len(top) != 2 {
		t.Errorf("the export's folder holds %d entries, want chat.md and attachments/", len(top))
	}

	// Every link leads to a file beside the export, with the bytes of the
	// attachment it names.
	links := mdLinks(string(md))
	if len(links) != 13 { // the photo twice
		t.Fatalf("%d links: %v\n%s", len(links), links, md)
	}
	for _, l := range links {
		if strings.ContainsAny(l, " ()<>#") {
			t.Errorf("link %q is not escaped", l)
		}
	}
	if !strings.Contains(string(md), "- ![photo.png](attachments/photo.png)\n") || !strings.Contains(string(md), "- [notes.txt ("+format.Size(int64(len(files["notes.txt"])))+")](attachments/notes.txt)\n") ||
		!strings.Contains(string(md), "](attachments/a%23b%20%281%29.txt)") {
		t.Errorf("links:\n%s", md)
	}
	got, _ := os.ReadFile(filepath.Join(dir, attachDirName, "photo.png"))
	if store.SHA256(got) != store.SHA256(files["photo.png"]) {
		t.Error("photo.png does not hold the photo")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, attachDirName, "evil.png")); !bytes.Equal(got, other) {
		t.Error("evil.png does not hold its bytes")
	}
	if fi, _ := os.Stat(filepath.Join(dir, attachDirName, "photo.png")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}

	// Exporting again beside the first export writes nothing new; a file
	// of the same name with other bytes is never overwritten.
	if err := os.WriteFile(filepath.Join(dir, attachDirName, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ExportFile(ctx, st, path, ExportOptions{Format: Markdown}); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadDir(filepath.Join(dir, attachDirName))
	if len(again) != len(entries)+1 {
		t.Errorf("%d files after the second export, want %d (one new notes)", len(again), len(entries)+1)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, attachDirName, "notes.txt")); string(got) != "mine" {
		t.Error("a file already in the folder was overwritten")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, attachDirName, "notes (2).txt")); !bytes.Equal(got, files["notes.txt"]) {
		t.Error("the notes were not written beside the other file")
	}
}

func TestMarkdownExportFailureRemovesItsAttachments(t *testing.T) {
	st := openStore(t)
	im, _ := withAttachments(t)
	seed(t, st, []store.Import{im})
	seed(t, st, generated(3, 200))
	dir := t.TempDir()
	path := filepath.Join(dir, "chat.md")
	_, err := exportFile(ctx, st, path, ExportOptions{Format: Markdown, Conversations: []string{im.Conversation.ID, "gen000000000", "gen000000001"}},
		func(w io.Writer) io.Writer { return &failingWriter{w: w, limit: 20 << 10} })
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}

	// A folder that cannot be made: one sentence, and nothing left.
	blocked := t.TempDir()
	if err := os.WriteFile(filepath.Join(blocked, attachDirName), []byte("a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = ExportFile(ctx, st, filepath.Join(blocked, "chat.md"), ExportOptions{Format: Markdown})
	msg := store.UserMessage(err)
	if err == nil || !strings.HasPrefix(msg, "Cannot open the folder "+filepath.Join(blocked, attachDirName)+" for the attachments: ") ||
		!strings.HasSuffix(msg, "; nothing was exported.") {
		t.Fatalf("err %v: %q", err, msg)
	}
	if left, _ := os.ReadDir(blocked); len(left) != 1 {
		t.Errorf("left behind: %v", left)
	}
}

func TestMarkdownToAStreamNamesAttachments(t *testing.T) {
	st := openStore(t)
	im, files := withAttachments(t)
	seed(t, st, []store.Import{im})
	md := exportString(t, st, ExportOptions{Format: Markdown})
	for _, want := range []string{"- Attached: photo.png (", "- Attached: notes.txt (" + format.Size(int64(len(files["notes.txt"]))) + ")\n", "- Attached: report.pdf ("} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
	if strings.Contains(md, "](attachments/") {
		t.Error("links to files a stream cannot write")
	}
}

func TestSafeName(t *testing.T) {
	for _, c := range []struct{ name, mime, want string }{
		{"photo.png", "image/png", "photo.png"},
		{"../../etc/passwd", "text/plain", "passwd.txt"},
		{`C:\Users\me\shot.jpg`, "image/jpeg", "shot.jpg"},
		{"..", "image/png", "attachment.png"},
		{"", "application/pdf", "attachment.pdf"},
		{".bashrc", "text/plain", "bashrc.txt"},
		{"nul", "text/plain", "_nul.txt"},
		{"lpt1.tar.gz", "", "_lpt1.tar.gz"},
		{"a<b>c:d|e?f*g\".txt", "", "a_b_c_d_e_f_g_.txt"},
		{"trailing. . ", "text/plain", "trailing.txt"},
		{strings.Repeat("é", 100) + ".md", "", strings.Repeat("é", 58) + ".md"},
	} {
		if got := safeName(c.name, c.mime); got != c.want {
			t.Errorf("safeName(%q, %q) = %q, want %q", c.name, c.mime, got, c.want)
		}
	}
}

// TestConversationLimitsCountTextAndAttachmentsApart: the bound on a
// conversation's size is on its text; its embedded attachments have a
// larger bound of their own.
func TestConversationLimitsCountTextAndAttachmentsApart(t *testing.T) {
	data, files := attachedExport(t)
	defer func(text, all int64) { maxConversationBytes, maxConversationFileBytes = text, all }(maxConversationBytes, maxConversationFileBytes)
	photo := int64(len(files["photo.png"]))
	maxConversationBytes = 4 << 10 // below the photo's base64, above the text
	if photo*4/3 < maxConversationBytes {
		t.Fatalf("the photo (%d bytes) is too small for this test", photo)
	}
	maxConversationFileBytes = 1 << 20
	rep := mustImport(t, openStore(t), data, Auto)
	if rep.Conversations != 1 {
		t.Fatalf("a conversation whose attachments pass the text's bound was not imported: %+v", rep)
	}
	maxConversationFileBytes = photo // its base64 is larger
	rep = mustImport(t, openStore(t), data, Auto)
	if rep.SkippedCount != 1 || !strings.Contains(rep.Skipped[0].Reason, "MB with its attachments)") {
		t.Fatalf("report %+v", rep)
	}
	// A long message is text, whatever else the conversation holds.
	maxConversationFileBytes = 1 << 20
	long := strings.Replace(data, `"content":"What is in these?"`, `"content":"`+strings.Repeat("x", 5<<10)+`"`, 1)
	rep = mustImport(t, openStore(t), long, Auto)
	if rep.SkippedCount != 1 || !strings.Contains(rep.Skipped[0].Reason, "the limit is 0 MB)") {
		t.Fatalf("report %+v", rep)
	}
}
