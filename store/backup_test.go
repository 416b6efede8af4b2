package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var backupT0 = time.Date(2026, 12, 6, 20, 15, 0, 0, time.UTC)

// chatStore opens a store in a new data dir holding one conversation per
// title, each with a question.
func chatStore(t *testing.T, titles ...string) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s := open(t, dir)
	t.Cleanup(func() { s.Close() })
	for _, title := range titles {
		c, err := s.CreateConversation(Conversation{Title: title})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "about " + title}); err != nil {
			t.Fatal(err)
		}
	}
	return s, dir
}

// titlesIn opens the history file at path (a copy, so the original is not
// migrated) and returns its conversations' titles, newest first.
func titlesIn(t *testing.T, path string) []string {
	t.Helper()
	if err := CheckBackup(path); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	dir := t.TempDir()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir)
	defer s.Close()
	cs, err := s.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.Title)
	}
	return out
}

func names(bs []Backup) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Name)
	}
	return out
}

func TestBackupIsAPrivateValidHistoryOfWhatWasThere(t *testing.T) {
	s, dir := chatStore(t, "alpha", "beta")
	b, err := s.WriteBackup(backupT0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "deskchat-20261206-201500.db" || !b.CreatedAt.Equal(backupT0) {
		t.Fatalf("backup %+v", b)
	}
	path := filepath.Join(dir, BackupsDirName, b.Name)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 || info.Size() != b.Size || b.Size == 0 {
		t.Errorf("mode %v size %d, backup says %d", info.Mode().Perm(), info.Size(), b.Size)
	}
	// Written after the backup: not in it.
	if _, err := s.CreateConversation(Conversation{Title: "gamma"}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(titlesIn(t, path), ","); got != "beta,alpha" {
		t.Errorf("backup holds %q, want beta,alpha", got)
	}
	// A second backup in the same second gets its own name, listed first.
	b2, err := s.WriteBackup(backupT0)
	if err != nil {
		t.Fatal(err)
	}
	list, err := ListBackups(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(list); len(got) != 2 || got[0] != b2.Name || got[1] != b.Name || b2.Name == b.Name {
		t.Errorf("list %v after %s, %s", got, b.Name, b2.Name)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, BackupsDirName, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestRotationKeepsTheNewestN(t *testing.T) {
	s, dir := chatStore(t, "alpha")
	if err := s.SetSettings(map[string]string{SettingBackupsKeep: "3"}); err != nil {
		t.Fatal(err)
	}
	now := backupT0
	var made []string
	for day := 0; day < 6; day++ {
		b, err := s.BackupIfDue(now)
		if err != nil || b == nil {
			t.Fatalf("day %d: %v %v", day, b, err)
		}
		made = append(made, b.Name)
		// Not due again the same day, also after a restart (the decision
		// comes from the folder, not from memory).
		if again, err := s.BackupIfDue(now.Add(23 * time.Hour)); again != nil || err != nil {
			t.Fatalf("day %d: a second backup %v within a day (%v)", day, again, err)
		}
		now = now.Add(BackupInterval)
	}
	list, err := ListBackups(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{made[5], made[4], made[3]}
	if got := names(list); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("kept %v, want %v", got, want)
	}
	// A file someone put there that is not a backup is left alone.
	other := filepath.Join(dir, BackupsDirName, "notes.txt")
	os.WriteFile(other, []byte("mine"), 0o600)
	if err := RotateBackups(dir, 1, now); err != nil {
		t.Fatal(err)
	}
	if list, _ := ListBackups(dir); len(list) != 1 || list[0].Name != made[5] {
		t.Errorf("keep 1 left %v", names(list))
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("rotation removed a file that is not a backup: %v", err)
	}
}

func TestBackupsOffAtZero(t *testing.T) {
	s, dir := chatStore(t, "alpha")
	if _, err := s.WriteBackup(backupT0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSettings(map[string]string{SettingBackupsKeep: "0"}); err != nil {
		t.Fatal(err)
	}
	b, err := s.BackupIfDue(backupT0.Add(30 * BackupInterval))
	if b != nil || err != nil {
		t.Fatalf("backups off made %v (%v)", b, err)
	}
	if list, _ := ListBackups(dir); len(list) != 1 {
		t.Errorf("with backups off, %d backups (want the earlier one kept)", len(list))
	}
	for in, want := range map[string]int{"": DefaultBackupsKeep, "0": 0, "12": 12, "-1": DefaultBackupsKeep, "x": DefaultBackupsKeep} {
		kv := map[string]string{SettingBackupsKeep: in}
		if in == "" {
			kv = nil
		}
		if got := BackupsKeep(kv); got != want {
			t.Errorf("BackupsKeep(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestBackupDueFromTheNewestBackup(t *testing.T) {
	at := func(d time.Duration) []Backup {
		return []Backup{{CreatedAt: backupT0.Add(d)}, {CreatedAt: backupT0.Add(-100 * time.Hour)}}
	}
	for _, c := range []struct {
		list []Backup
		want bool
	}{
		{nil, true},
		{at(-23 * time.Hour), false},
		{at(-24 * time.Hour), true},
		{at(30 * time.Minute), false},   // a little clock skew
		{at(10 * 24 * time.Hour), true}, // a clock that was far ahead
	} {
		if got := BackupDue(c.list, backupT0); got != c.want {
			t.Errorf("due with newest %v: %v, want %v", c.list, got, c.want)
		}
	}
}

// fullDisk is a temporary file whose writes fail with ENOSPC once limit
// bytes are written, as on a full disk.
type fullDisk struct {
	*os.File
	left int64
}

func (f *fullDisk) Write(p []byte) (int, error) {
	if int64(len(p)) > f.left {
		n, _ := f.File.Write(p[:f.left])
		f.left = 0
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	f.left -= int64(len(p))
	return f.File.Write(p)
}

// ReadFrom hides *os.File's, which would write around Write.
func (f *fullDisk) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{f}, r)
}

func failAfter(limit int64) createTempFunc {
	return func(dir, pattern string) (backupFile, error) {
		f, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return nil, err
		}
		return &fullDisk{File: f, left: limit}, nil
	}
}

func TestFailedBackupKeepsEarlierBackupsAndTheHistory(t *testing.T) {
	s, dir := chatStore(t, "alpha")
	first, err := s.WriteBackup(backupT0)
	if err != nil {
		t.Fatal(err)
	}
	// A write that fails halfway (the disk full).
	_, err = s.writeBackup(backupT0.Add(BackupInterval), failAfter(10000))
	if err == nil {
		t.Fatal("a backup whose writes fail succeeded")
	}
	if msg := UserMessage(err); !strings.Contains(msg, "the disk is full") || !strings.Contains(msg, "untouched") {
		t.Errorf("sentence %q", msg)
	}
	list, _ := ListBackups(dir)
	if got := names(list); len(got) != 1 || got[0] != first.Name {
		t.Errorf("after a failed backup: %v", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, BackupsDirName, ".*")); len(left) != 0 {
		t.Errorf("temporary file left: %v", left)
	}

	// backups/ is a file: no backup can be made there; chats go on.
	dir2 := t.TempDir()
	s2 := open(t, dir2)
	defer s2.Close()
	os.WriteFile(filepath.Join(dir2, BackupsDirName), []byte("in the way"), 0o600)
	if b, err := s2.BackupIfDue(backupT0); err == nil || b != nil {
		t.Fatalf("backup into a file made %v, %v", b, err)
	} else if msg := UserMessage(err); !strings.Contains(msg, "a file is in the way") {
		t.Errorf("sentence %q", msg)
	}
	c, err := s2.CreateConversation(Conversation{Title: "goes on"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "still works"}); err != nil {
		t.Fatalf("a chat after a failed backup: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir2, BackupsDirName)); string(data) != "in the way" {
		t.Errorf("the file in the way was changed: %q", data)
	}
}

// A backup taken while answers are written is a consistent history.
func TestBackupOfAHistoryBeingWritten(t *testing.T) {
	s, dir := chatStore(t, "alpha")
	c, _ := s.CreateConversation(Conversation{Title: "busy"})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, Content: strings.Repeat(fmt.Sprint(i), 500)}); err != nil {
				werr = err
				return
			}
		}
	}()
	for i := 0; i < 5; i++ {
		b, err := s.WriteBackup(backupT0.Add(time.Duration(i) * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckBackup(filepath.Join(dir, BackupsDirName, b.Name)); err != nil {
			t.Errorf("backup %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
}

func TestRestoreKeepsTheCurrentHistoryAside(t *testing.T) {
	s, dir := chatStore(t, "alpha", "beta")
	b, err := s.WriteBackup(backupT0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateConversation(Conversation{Title: "after the backup"}); err != nil {
		t.Fatal(err)
	}
	// The store holds the file: restore refuses and changes nothing.
	before, _ := os.ReadFile(filepath.Join(dir, FileName))
	if _, err := RestoreBackup(dir, b.Name, backupT0); !errors.Is(err, ErrLocked) {
		t.Fatalf("restore under an open store: %v", err)
	} else if msg := UserMessage(err); !strings.Contains(msg, "in use") {
		t.Errorf("sentence %q", msg)
	}
	s.Close()
	after, _ := os.ReadFile(filepath.Join(dir, FileName))
	if string(before) != string(after) {
		t.Error("a refused restore changed the history file")
	}

	aside, err := RestoreBackup(dir, b.Name, backupT0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, FileName+".before-restore-20261206-211500"); aside != want {
		t.Errorf("kept aside as %s, want %s", aside, want)
	}
	if got := strings.Join(titlesIn(t, aside), ","); got != "after the backup,beta,alpha" {
		t.Errorf("kept aside: %q", got)
	}
	if got := strings.Join(titlesIn(t, filepath.Join(dir, FileName)), ","); got != "beta,alpha" {
		t.Errorf("restored: %q", got)
	}
	if info, _ := os.Stat(filepath.Join(dir, FileName)); info.Mode().Perm() != 0o600 {
		t.Errorf("restored mode %v", info.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// No history at all (deleted): the backup becomes it, nothing to keep.
	os.Remove(filepath.Join(dir, FileName))
	if aside, err := RestoreBackup(dir, b.Name, backupT0.Add(2*time.Hour)); err != nil || aside != "" {
		t.Fatalf("restore without a history: %q %v", aside, err)
	}
	if got := strings.Join(titlesIn(t, filepath.Join(dir, FileName)), ","); got != "beta,alpha" {
		t.Errorf("restored into an empty folder: %q", got)
	}
}

func TestRestoreRefusesWhatIsNotABackup(t *testing.T) {
	s, dir := chatStore(t, "alpha")
	s.Close()
	bdir := filepath.Join(dir, BackupsDirName)
	os.MkdirAll(bdir, 0o700)
	os.WriteFile(filepath.Join(bdir, "deskchat-20261206-000000.db"), []byte(strings.Repeat("garbage!", 2048)), 0o600)
	os.WriteFile(filepath.Join(bdir, "empty.db"), nil, 0o600)
	// A bbolt file that is not a deskchat history.
	other := t.TempDir()
	o := open(t, other)
	o.Close()
	before, _ := os.ReadFile(filepath.Join(dir, FileName))
	for _, c := range []struct{ name, want string }{
		{"deskchat-20990101-000000.db", "There is no backup called"},
		{"../" + FileName, "There is no backup called"},
		{"", "There is no backup called"},
		{"deskchat-20261206-000000.db", "is not a valid deskchat history"},
		{"empty.db", "is not a valid deskchat history"},
	} {
		_, err := RestoreBackup(dir, c.name, backupT0)
		if err == nil || !strings.Contains(UserMessage(err), c.want) {
			t.Errorf("restore %q: %v (%q), want %q", c.name, err, UserMessage(err), c.want)
		}
	}
	after, _ := os.ReadFile(filepath.Join(dir, FileName))
	if string(before) != string(after) {
		t.Error("a refused restore changed the history file")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, FileName+".before-restore-*")); len(left) != 0 {
		t.Errorf("a refused restore kept a file aside: %v", left)
	}
}

// A small history stays small on disk; a large one is mapped 1 GB up front
// so that a commit growing it does not wait for a running snapshot.
func TestMapSizeFollowsTheHistory(t *testing.T) {
	s, dir := chatStore(t, "alpha", "beta")
	path := filepath.Join(dir, FileName)
	if info, _ := os.Stat(path); info.Size() >= 1<<20 {
		t.Errorf("a two-chat history is a %d-byte file", info.Size())
	}
	if got := initialMmapSize(path); got != 0 {
		t.Errorf("map of a small history: %d, want bbolt's default", got)
	}
	s.Close()
	if err := os.Truncate(path, 32<<20); err != nil { // as a grown history
		t.Fatal(err)
	}
	if got := initialMmapSize(path); got != 1<<30 {
		t.Errorf("map of a 32 MB history: %d, want 1 GB", got)
	}
	s2 := open(t, dir)
	defer s2.Close()
	if cs, err := s2.Conversations(); err != nil || len(cs) != 2 {
		t.Errorf("reopened with the large map: %v %v", cs, err)
	}
}
