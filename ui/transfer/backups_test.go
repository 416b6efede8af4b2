package transfer

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

// With a fake host: a check makes the backup due, once a day; a failure is
// a note and a log line; the host hears of each new note; after quitting no
// check starts.
func TestBackupsWithAFakeHost(t *testing.T) {
	h := newFakeHost(t, seedChats(exchangeChats()))
	s := NewBackups(h)
	var log bytes.Buffer
	s.Log = &log
	check := func() { s.Check(); h.settle() }

	check()
	list, err := store.ListBackups(h.DataFolder())
	if err != nil || len(list) != 1 || list[0].Name != "deskchat-20261206-201500.db" {
		t.Fatalf("first check: %v, %v", list, err)
	}
	note, failed := s.Note()
	if !strings.HasPrefix(note, "Last backup: ") || !strings.Contains(note, store.BackupsDir(h.DataFolder())) || failed || h.noted != 1 {
		t.Errorf("note %q, failed %v, noted %d", note, failed, h.noted)
	}
	h.now = h.now.Add(23 * time.Hour)
	check()
	if list, _ := store.ListBackups(h.DataFolder()); len(list) != 1 || h.noted != 1 {
		t.Errorf("within a day: %d backups, noted %d", len(list), h.noted)
	}

	dir := store.BackupsDir(h.DataFolder())
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(dir, []byte("in the way"), 0o600)
	h.now = h.now.Add(24 * time.Hour)
	check()
	if note, failed := s.Note(); !failed || !strings.Contains(note, "The last backup failed") || !strings.Contains(log.String(), "a file is in the way") || h.noted != 2 {
		t.Errorf("failure: note %q, log %q, noted %d", note, log.String(), h.noted)
	}

	os.Remove(dir)
	h.quitNow()
	check()
	if _, err := os.Stat(filepath.Join(h.DataFolder(), "backups")); err == nil {
		t.Error("a check ran after quitting")
	}
}
