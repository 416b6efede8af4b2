package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// TestAttachmentsTravelThroughExportAndImport: through the commands, a
// question's files come back byte for byte from a JSON export, and a
// Markdown export puts them beside the file.
func TestAttachmentsTravelThroughExportAndImport(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	photo := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1, 2, 3}, 1000)...)
	notes := []byte("some notes\n")
	st, err := store.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateConversation(store.Conversation{Title: "With files"})
	if err != nil {
		t.Fatal(err)
	}
	files := []store.Attachment{
		{Name: "photo.png", Mime: "image/png", Size: int64(len(photo)), SHA256: store.SHA256(photo), Data: photo},
		{Name: "notes.txt", Mime: "text/plain; charset=utf-8", Size: int64(len(notes)), SHA256: store.SHA256(notes), Data: notes, Text: string(notes)},
	}
	if _, err := st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleUser, Content: "look", Attachments: files}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out := t.TempDir()
	file := filepath.Join(out, "history.json")
	if r := run(t, nil, "", "export", "--data-dir", src, "--out", file); r.code != ExitOK {
		t.Fatalf("export: %d %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "import", file, "--data-dir", dst); r.code != ExitOK || r.stdout != "Imported 1 conversation (1 message).\n" {
		t.Fatalf("import: %d %q %q", r.code, r.stdout, r.stderr)
	}
	st, err = store.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range files {
		got, err := st.Blob(a.SHA256)
		if err != nil || store.SHA256(got) != a.SHA256 {
			t.Errorf("%s after the import: %v", a.Name, err)
		}
	}
	st.Close()

	md := filepath.Join(out, "chat.md")
	if r := run(t, nil, "", "export", "--data-dir", dst, "--format", "md", "--out", md); r.code != ExitOK {
		t.Fatalf("export md: %d %q", r.code, r.stderr)
	}
	for _, a := range files {
		got, err := os.ReadFile(filepath.Join(out, "attachments", a.Name))
		if err != nil || !bytes.Equal(got, a.Data) {
			t.Errorf("attachments/%s: %v", a.Name, err)
		}
	}
}
