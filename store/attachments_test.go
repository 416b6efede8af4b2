package store

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// photo returns n bytes that do not compress, standing in for a photo: the
// store does not look inside blobs.
func photo(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func withFile(name string, data []byte, text string) Attachment {
	return Attachment{Name: name, Mime: "image/jpeg", Size: int64(len(data)), SHA256: SHA256(data), Data: data, Text: text}
}

func ask(t *testing.T, s *Store, convID, text string, as ...Attachment) Message {
	t.Helper()
	m, err := s.AppendMessage(Message{ConversationID: convID, Role: RoleUser, Content: text, Attachments: as})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func blobCount(t *testing.T, s *Store) int {
	t.Helper()
	n, _, err := s.BlobStats()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTheSamePhotoInSixQuestionsIsStoredOnce(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "photos"})
	pic := photo(1<<20, 1)
	var last Message
	for i := range 6 {
		last = ask(t, s, c.ID, "what is this?", withFile("cat.jpg", pic, ""))
		if last.Attachments[0].Data != nil {
			t.Fatalf("question %d: the stored message still holds the photo's bytes", i)
		}
	}
	if n, size, _ := s.BlobStats(); n != 1 || size != int64(len(pic)) {
		t.Fatalf("blobs: %d of %d bytes, want 1 of %d", n, size, len(pic))
	}
	got, err := s.Blob(last.Attachments[0].SHA256)
	if err != nil || !bytes.Equal(got, pic) {
		t.Fatalf("blob read back: %d bytes, err %v", len(got), err)
	}
	// The message record describes the photo and does not carry it.
	err = s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMessages).Bucket([]byte(c.ID)).Get(seqKey(last.Seq))
		if len(v) > 1000 || !strings.Contains(string(v), `"sha256":"`+SHA256(pic)+`"`) {
			t.Errorf("message record is %d bytes: %.300s", len(v), v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestABlobGoesWithTheLastMessageUsingIt(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "a"})
	other, _ := s.CreateConversation(Conversation{Title: "b"})
	shared, own := photo(5000, 2), photo(5000, 3)
	m1 := ask(t, s, c.ID, "one", withFile("shared.jpg", shared, ""), withFile("own.jpg", own, ""))
	m2 := ask(t, s, c.ID, "two", withFile("shared.jpg", shared, ""))
	ask(t, s, other.ID, "three", withFile("shared.jpg", shared, ""))

	if err := s.DeleteMessage(c.ID, m1.Seq); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blob(SHA256(own)); !errors.Is(err, ErrBlobMissing) {
		t.Fatalf("own.jpg after its only message went: %v, want ErrBlobMissing", err)
	}
	if _, err := s.Blob(SHA256(shared)); err != nil {
		t.Fatalf("shared.jpg is still used by two messages: %v", err)
	}
	if err := s.DeleteMessage(c.ID, m2.Seq); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blob(SHA256(shared)); err != nil {
		t.Fatalf("shared.jpg is still used in the other conversation: %v", err)
	}
	if err := s.DeleteConversation(other.ID); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, s); n != 0 {
		t.Fatalf("%d blobs left after every message using them went", n)
	}
	assertNoRefs(t, s)
}

func assertNoRefs(t *testing.T, s *Store) {
	t.Helper()
	err := s.view(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBlobRefs, bucketAttached, bucketBlobText} {
			if k, _ := tx.Bucket(b).Cursor().First(); k != nil {
				t.Errorf("bucket %s still holds %q", b, k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEditingAQuestionKeepsItsAttachmentsUntilItsBranchIsDeleted(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "edit"})
	old, kept := photo(3000, 4), photo(3000, 5)
	q := ask(t, s, c.ID, "compare these", withFile("old.png", old, ""), withFile("kept.png", kept, ""))
	// The edited question keeps one attachment (described only: its bytes
	// are stored) and drops the other.
	edited := Message{ConversationID: c.ID, Role: RoleUser, Content: "just this one", Attachments: []Attachment{q.Attachments[1]}}
	if _, _, err := s.ReplaceFrom(c.ID, q.Seq, edited, Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming}); err != nil {
		t.Fatal(err)
	}
	// The old question stays, off the active path, with its files.
	if got, err := s.Blob(SHA256(old)); err != nil || !bytes.Equal(got, old) {
		t.Fatalf("old.png after the edit: %d bytes, %v", len(got), err)
	}
	if err := s.DeleteBranch(c.ID, q.Seq); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blob(SHA256(old)); !errors.Is(err, ErrBlobMissing) {
		t.Fatalf("old.png after its branch was deleted: %v, want gone", err)
	}
	if got, err := s.Blob(SHA256(kept)); err != nil || !bytes.Equal(got, kept) {
		t.Fatalf("kept.png after the old branch went: %d bytes, %v", len(got), err)
	}
}

func TestOverwritingAMessageKeepsItsAttachments(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "pin"})
	pic := photo(2000, 6)
	q := ask(t, s, c.ID, "look", withFile("a.jpg", pic, ""))
	if _, err := s.SetPinned(c.ID, q.Seq, true); err != nil {
		t.Fatal(err)
	}
	q.Content = "look again"
	if err := s.PutMessage(q); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blob(SHA256(pic)); err != nil {
		t.Fatalf("after pin and overwrite: %v", err)
	}
	q.Attachments = nil
	if err := s.PutMessage(q); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, s); n != 0 {
		t.Fatalf("a message overwritten without its attachment still holds %d blobs", n)
	}
}

func TestAttachmentWhoseBytesDoNotMatchItsHashIsRefused(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "bad"})
	a := withFile("x.jpg", photo(100, 7), "")
	a.SHA256 = SHA256([]byte("something else"))
	if _, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "q", Attachments: []Attachment{a}}); err == nil {
		t.Fatal("a message whose attachment's hash lies was stored")
	}
	if ms, _ := s.Messages(c.ID); len(ms) != 0 {
		t.Fatalf("%d messages stored by a refused write", len(ms))
	}
	if n := blobCount(t, s); n != 0 {
		t.Fatalf("%d blobs stored by a refused write", n)
	}
}

func TestAMissingBlobIsASentenceNotACrash(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "lost"})
	gone := Attachment{Name: "gone.pdf", Mime: "application/pdf", Size: 10, SHA256: SHA256([]byte("never stored"))}
	q := ask(t, s, c.ID, "q", gone)
	if len(q.Attachments) != 1 || q.Attachments[0].Name != "gone.pdf" {
		t.Fatalf("the message no longer says what was attached: %+v", q.Attachments)
	}
	_, err := s.Blob(gone.SHA256)
	if !errors.Is(err, ErrBlobMissing) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("Blob of a missing attachment: %v", err)
	}
}

func TestSearchFindsAttachmentNamesAndText(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "docs"})
	notes := []byte("quarterly figures\n")
	a := withFile("budget-2026.txt", notes, "the zeppelin budget is overspent")
	a.Mime = "text/plain; charset=utf-8"
	q := ask(t, s, c.ID, "summarise", a)
	for _, query := range []string{"budget-2026", "zeppelin"} {
		res, err := s.Search(query, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Seq != q.Seq {
			t.Errorf("search %q: %+v, want the question", query, res)
		}
	}
	if text, _ := s.BlobText(a.SHA256); text != a.Text {
		t.Errorf("BlobText = %q", text)
	}
}

func TestImportAndRecoverKeepAttachments(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	pic := photo(70000, 8) // several pages: overflow pages in bbolt
	res, err := s.ImportConversations([]Import{{Dump: Dump{
		Conversation: Conversation{Title: "imported"},
		Messages:     []Message{{Role: RoleUser, Content: "see", Attachments: []Attachment{withFile("p.jpg", pic, "")}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	orphan := photo(500, 9) // in the blobs bucket but used by no message
	if err := s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketBlobs).Put([]byte(SHA256(orphan)), orphan) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Recover(dir, time.Now()); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	ms, err := s.Messages(res[0].ID)
	if err != nil || len(ms) != 1 || len(ms[0].Attachments) != 1 {
		t.Fatalf("recovered messages: %+v, %v", ms, err)
	}
	if got, err := s.Blob(ms[0].Attachments[0].SHA256); err != nil || !bytes.Equal(got, pic) {
		t.Fatalf("recovered photo: %d bytes, %v", len(got), err)
	}
	if n := blobCount(t, s); n != 1 {
		t.Fatalf("%d blobs after recover, want 1 (the orphan pruned)", n)
	}
}

func TestBackupsHoldTheBlobs(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "b"})
	pic := photo(4000, 10)
	ask(t, s, c.ID, "q", withFile("p.jpg", pic, ""))
	b, err := s.WriteBackup(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(BackupsDir(dir), b.Name), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if got := tx.Bucket(bucketBlobs).Get([]byte(SHA256(pic))); !bytes.Equal(got, pic) {
			t.Errorf("backup holds %d bytes of the photo", len(got))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkAttachDedupGrowth measures what the same 5 MB photo asked about
// in five more questions adds to the history file, beside the same five
// questions without it (the floor: messages, index, commits).
func BenchmarkAttachDedupGrowth(b *testing.B) {
	pic := photo(5_000_000, 11)
	for b.Loop() {
		with := dedupGrowth(b, pic)
		without := dedupGrowth(b, nil)
		b.ReportMetric(float64(with)/1024, "attach_dedup_growth_kb@KB")
		b.ReportMetric(float64(without)/1024, "attach_dedup_growth_floor_kb@KB")
	}
}

func dedupGrowth(b *testing.B, pic []byte) int64 {
	dir := b.TempDir()
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "photos"})
	q := func() {
		m := Message{ConversationID: c.ID, Role: RoleUser, Content: "what is in this photo?"}
		if pic != nil {
			m.Attachments = []Attachment{withFile("photo.jpg", pic, "")}
		}
		if _, err := s.AppendMessage(m); err != nil {
			b.Fatal(err)
		}
	}
	q()
	// The file grows in steps bbolt chooses ahead of need; the pages in
	// use (the transaction's view of the file's size) grow with the data.
	size := func() (n int64) {
		if err := s.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil }); err != nil {
			b.Fatal(err)
		}
		return n
	}
	before := size()
	for range 5 {
		q()
	}
	return size() - before
}
