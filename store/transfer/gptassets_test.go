package transfer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// gptWithImages is a ChatGPT conversations.json whose first question shows
// two images found in the export, one named by metadata.attachments, and
// one missing from it, and whose second question is the first image alone;
// extra pointers go in a third question.
func gptWithImages(extra ...string) string {
	img := func(ptr string, w, h int) string {
		return `{"content_type":"image_asset_pointer","asset_pointer":"` + ptr + `","size_bytes":1,"width":` + itoa(w) + `,"height":` + itoa(h) + `,"fovea":null,"metadata":{"dalle":null,"sanitized":true}}`
	}
	node := func(id, parent, role string, at int, parts ...string) string {
		return `"` + id + `":{"id":"` + id + `","parent":"` + parent + `","children":[],"message":{"id":"` + id + `","author":{"role":"` + role + `"},"create_time":` + itoa(1700000000+at) +
			`,"content":{"content_type":"multimodal_text","parts":[` + strings.Join(parts, ",") + `]},"status":"finished_successfully","recipient":"all",` +
			`"metadata":{"attachments":[{"id":"file-AbC123","name":"holiday.png","size":1,"mime_type":"image/png"}]}}}`
	}
	var extras []string
	for _, p := range extra {
		extras = append(extras, img(p, 0, 0))
	}
	return `[{"id":"conv-img","conversation_id":"conv-img","title":"Photos","create_time":1700000000,"update_time":1700000100,"current_node":"a3","mapping":{` +
		`"root":{"id":"root","parent":null,"children":["u1"],"message":null},` +
		node("u1", "root", "user", 1, img("file-service://file-AbC123", 40, 30), img("sediment://file_0000def", 0, 0), img("file-service://file-Missing", 10, 10), `"What are these?"`) + "," +
		node("a1", "u1", "assistant", 2, `"Two pictures."`) + "," +
		node("u2", "a1", "user", 3, img("file-service://file-AbC123", 40, 30)) + "," +
		node("a2", "u2", "assistant", 4, `"The first again."`) + "," +
		node("u3", "a2", "user", 5, append(extras, `"And these?"`)...) + "," +
		node("a3", "u3", "assistant", 6, `"Hm."`) + `}}]`
}

func itoa(n int) string { return strconv.Itoa(n) }

func gifBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White})
	img.SetColorIndex(1, 1, 1)
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipEntry is a file of a test archive; raw, when set, is written as the
// entry's compressed bytes as they are, declaring size.
type zipEntry struct {
	name string
	data []byte
	raw  []byte
	size uint64
}

func writeTestZip(t testing.TB, path string, entries []zipEntry) {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		if e.raw != nil {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(e.data),
				CompressedSize64: uint64(len(e.raw)), UncompressedSize64: e.size})
			if err == nil {
				_, err = w.Write(e.raw)
			}
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := zw.Create(e.name)
		if err == nil {
			_, err = w.Write(e.data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func deflate(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	fw.Write(data)
	fw.Close()
	return b.Bytes()
}

// imported returns the messages of the one conversation in st.
func imported(t testing.TB, st *store.Store) []store.Message {
	t.Helper()
	ds := dumps(t, st)
	if len(ds) != 1 {
		t.Fatalf("%d conversations imported, want 1", len(ds))
	}
	for _, d := range ds {
		return d.Messages
	}
	return nil
}

func TestChatGPTZipImagesBecomeAttachments(t *testing.T) {
	photo, pic := pngBytes(t, 40, 30, 5), gifBytes(t, 3000, 2000)
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "export.zip")
	writeTestZip(t, zipPath, []zipEntry{
		{name: "conversations.json", data: []byte(gptWithImages())},
		{name: "file-AbC123-holiday.png", data: photo},
		{name: "dalle-generations/file_0000def-5f2e-uuid.gif", data: pic},
		{name: "file-AbC1234-other.png", data: pngBytes(t, 2, 2, 1)}, // a longer id sharing the prefix
		{name: "chat.html", data: []byte("<html></html>")},
	})
	st := openStore(t)
	rep, err := ImportFile(ctx, st, zipPath, ImportOptions{})
	if err != nil || rep.Conversations != 1 {
		t.Fatalf("import: %v, %+v", err, rep)
	}
	msgs := imported(t, st)
	if len(msgs) != 6 {
		t.Fatalf("%d messages", len(msgs))
	}
	if msgs[0].Content != "[image]\n\nWhat are these?" || msgs[2].Content != "" {
		t.Errorf("contents %q, %q: the found images need no placeholder, the missing one keeps it", msgs[0].Content, msgs[2].Content)
	}
	want := []store.Attachment{
		{Name: "holiday.png", Mime: "image/png", Size: int64(len(photo)), SHA256: store.SHA256(photo), Width: 40, Height: 30, Tokens: 255},
		{Name: "5f2e-uuid.gif", Mime: "image/gif", Size: int64(len(pic)), SHA256: store.SHA256(pic), Width: 3000, Height: 2000, Tokens: 85 + 170*3*2},
	}
	equal(t, "first question's attachments", msgs[0].Attachments, want)
	equal(t, "second question's attachments", msgs[2].Attachments, want[:1])
	for _, a := range want {
		got, err := st.Blob(a.SHA256)
		if err != nil || store.SHA256(got) != a.SHA256 {
			t.Errorf("%s: %v", a.Name, err)
		}
	}
	if n, _, _ := st.BlobStats(); n != 2 {
		t.Errorf("%d blobs, want 2 (the photo once)", n)
	}

	// Exported and imported again: the same bytes.
	st2 := openStore(t)
	mustImport(t, st2, exportString(t, st, ExportOptions{}), Auto)
	equal(t, "re-imported", imported(t, st2), msgs)

	// The same conversations.json alone: placeholders, as before.
	st3 := openStore(t)
	mustImport(t, st3, gptWithImages(), Auto)
	if m := imported(t, st3); m[0].Content != "[image]\n\n[image]\n\n[image]\n\nWhat are these?" || len(m[0].Attachments) != 0 {
		t.Errorf("without the archive: %q, %v", m[0].Content, m[0].Attachments)
	}
}

func TestChatGPTUnpackedExportFindsItsImages(t *testing.T) {
	photo := pngBytes(t, 40, 30, 5)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "user-xyz"), 0o700)
	os.WriteFile(filepath.Join(dir, "conversations.json"), []byte(gptWithImages()), 0o600)
	os.WriteFile(filepath.Join(dir, "user-xyz", "file_0000def-a.png"), photo, 0o600)
	// A link is not followed: an export holds files, not links.
	os.Symlink("/etc/hostname", filepath.Join(dir, "file-AbC123-holiday.png"))
	st := openStore(t)
	if _, err := ImportFile(ctx, st, filepath.Join(dir, "conversations.json"), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	m := imported(t, st)
	if len(m[0].Attachments) != 1 || m[0].Attachments[0].Name != "a.png" || m[0].Attachments[0].SHA256 != store.SHA256(photo) {
		t.Fatalf("attachments %+v", m[0].Attachments)
	}
	if m[0].Content != "[image]\n\n[image]\n\nWhat are these?" {
		t.Errorf("content %q", m[0].Content)
	}
}

// TestChatGPTZipHostileImages: what cannot be read as an image stays a
// placeholder, and the conversation is imported.
func TestChatGPTZipHostileImages(t *testing.T) {
	photo := pngBytes(t, 40, 30, 5)
	bomb := make([]byte, 5<<20) // 5 MB of zeros, about 5 KB packed: over the bound, never unpacked
	lie := bytes.Repeat([]byte("0123456789"), 10<<10)
	extra := []string{"file-service://file-Text", "file-service://file-Bomb", "file-service://file-Lie", "file-service://file-Broken",
		"file-service://../../etc/passwd", "file-service://file-Big"}
	defer func(old int64) { maxAttachmentBytes = old }(maxAttachmentBytes)
	maxAttachmentBytes = 4 << 20
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "export.zip")
	bigPNG := pngBytes(t, 600, 600, 3)
	writeTestZip(t, zipPath, []zipEntry{
		{name: "conversations.json", data: []byte(gptWithImages(extra...))},
		{name: "file-AbC123-holiday.png", data: photo},
		{name: "file-Text-notes.png", data: []byte("plain text, not an image")},
		{name: "file-Bomb.png", raw: deflate(t, bomb), data: bomb, size: uint64(len(bomb))},
		{name: "file-Lie.png", raw: deflate(t, lie), data: lie, size: 1000}, // holds more than it declares
		{name: "file-Broken.png", raw: []byte("\xff\xfe not deflate at all"), data: photo, size: uint64(len(photo))},
		{name: "../file-Big.png", data: bigPNG},
	})
	run := func(t *testing.T) []store.Message {
		st := openStore(t)
		rep, err := ImportFile(ctx, st, zipPath, ImportOptions{})
		if err != nil || rep.Conversations != 1 || rep.SkippedCount != 0 {
			t.Fatalf("import: %v, %+v", err, rep)
		}
		return imported(t, st)
	}
	m := run(t)
	if len(m[0].Attachments) != 1 || m[0].Attachments[0].Name != "holiday.png" {
		t.Errorf("first question: %+v", m[0].Attachments)
	}
	if len(m[4].Attachments) != 1 || m[4].Attachments[0].SHA256 != store.SHA256(bigPNG) {
		t.Errorf("a ../ name in the archive is only a name: %+v", m[4].Attachments)
	}
	if want := strings.Repeat("[image]\n\n", 5) + "And these?"; m[4].Content != want {
		t.Errorf("third question %q, want %q", m[4].Content, want)
	}

	// Below the bound, a large image is refused too.
	maxAttachmentBytes = int64(len(bigPNG)) - 1
	if m := run(t); len(m[4].Attachments) != 0 || !strings.HasPrefix(m[4].Content, strings.Repeat("[image]\n\n", 6)) {
		t.Errorf("an image over the bound: %+v, %q", m[4].Attachments, m[4].Content)
	}
}

func TestImageTokensMatchesTheTileFormula(t *testing.T) {
	for _, c := range []struct{ w, h, want int }{
		{40, 30, 255},           // one tile
		{4000, 3000, 765},       // 2048×1536, then 1024×768: 2×2 tiles
		{3000, 2000, 85 + 1020}, // 1152×768: 3×2 tiles
		{512, 512, 255},
		{513, 512, 425},
		{0, 10, 85},
	} {
		if got := imageTokens(c.w, c.h); got != c.want {
			t.Errorf("imageTokens(%d, %d) = %d, want %d", c.w, c.h, got, c.want)
		}
	}
}
