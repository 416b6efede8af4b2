package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/deskchat/deskchat/internal/pagedamage"
)

// smallHistory writes a small real history into dir: n chats of 4 messages,
// a provider and a setting.
func smallHistory(t testing.TB, dir string, n int) {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range n {
		c, err := s.CreateConversation(Conversation{Title: fmt.Sprintf("chat %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		for j := range 4 {
			role := RoleUser
			if j%2 == 1 {
				role = RoleAssistant
			}
			if _, err := s.AppendMessage(Message{ConversationID: c.ID, Role: role, State: StateDone, Content: strings.Repeat(fmt.Sprintf("word%d ", j), 200)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.PutProvider(Provider{Name: "local", Kind: KindCompatible, BaseURL: "http://localhost:1/v1", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(SettingTheme, "dark"); err != nil {
		t.Fatal(err)
	}
}

type fileStamp struct {
	data  []byte
	mtime time.Time
}

func stamp(t *testing.T, path string) fileStamp {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	return fileStamp{b, fi.ModTime()}
}

// TestOpenReadOnlyWritesNothing: every read works on a read-only store, a
// write fails with ErrReadOnly, and the file's bytes and time are as
// before.
func TestOpenReadOnlyWritesNothing(t *testing.T) {
	dir := t.TempDir()
	smallHistory(t, dir, 3)
	path := filepath.Join(dir, FileName)
	before := stamp(t, path)
	s, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	convs, err := s.Conversations()
	if err != nil || len(convs) != 3 {
		t.Fatalf("conversations: %d, %v", len(convs), err)
	}
	if d, err := s.Dump(convs[0].ID); err != nil || len(d.Messages) != 4 {
		t.Fatalf("dump: %d messages, %v", len(d.Messages), err)
	}
	if res, err := s.Search("word1", SearchOptions{}); err != nil || len(res) == 0 {
		t.Fatalf("search: %d results, %v", len(res), err)
	}
	if _, err := s.Providers(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateConversation(Conversation{}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("a write on a read-only store: %v, want ErrReadOnly", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after := stamp(t, path); !bytes.Equal(after.data, before.data) || !after.mtime.Equal(before.mtime) {
		t.Fatal("a read-only open changed the history file")
	}
}

// TestOpenOfAReadyHistoryWritesNothing: a writing open of a history that
// needs no upgrade and has no answer left streaming commits nothing.
func TestOpenOfAReadyHistoryWritesNothing(t *testing.T) {
	dir := t.TempDir()
	smallHistory(t, dir, 2)
	path := filepath.Join(dir, FileName)
	before := stamp(t, path)
	s := open(t, dir)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after := stamp(t, path); !bytes.Equal(after.data, before.data) {
		t.Fatal("opening a ready history wrote to it")
	}
}

// TestOpenReadOnlyAsksForAnUpgrade: a history missing a migration is not
// upgraded by a read-only open, which says what to do; a writing open
// upgrades it, and then the read-only open reads it.
func TestOpenReadOnlyAsksForAnUpgrade(t *testing.T) {
	dir := t.TempDir()
	smallHistory(t, dir, 1)
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyMigrations, []byte(`["0001_initial"]`))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = OpenReadOnly(dir)
	if !errors.Is(err, ErrNeedsUpgrade) || !strings.Contains(UserMessage(err), "open it once") {
		t.Fatalf("read-only open of an old history: %v (%q)", err, UserMessage(err))
	}
	open(t, dir).Close()
	s, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatalf("after the upgrade: %v", err)
	}
	defer s.Close()
	if convs, err := s.Conversations(); err != nil || len(convs) != 1 {
		t.Fatalf("conversations: %d, %v", len(convs), err)
	}
}

// TestNoHistoryFileIsReplaced: an empty or foreign file is reported by
// every kind of open and left as it was.
func TestNoHistoryFileIsReplaced(t *testing.T) {
	for name, content := range map[string][]byte{"empty": nil, "text": []byte(strings.Repeat("not a database\n", 500))} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			for what, openIt := range map[string]func(string) (*Store, error){"Open": Open, "OpenReadOnly": OpenReadOnly} {
				if s, err := openIt(dir); !errors.Is(err, ErrNotHistory) || !strings.Contains(UserMessage(err), "is not a deskchat history file") {
					if s != nil {
						s.Close()
					}
					t.Fatalf("%s: %v", what, err)
				}
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, content) {
				t.Fatal("the file was changed")
			}
		})
	}
}

// TestDamageMetDuringReadsStopsWrites: a guarded read that meets a damaged
// page returns ErrDamaged (no panic) and the store refuses writes from
// then on, so nothing is built on the broken page.
func TestDamageMetDuringReadsStopsWrites(t *testing.T) {
	dir := t.TempDir()
	smallHistory(t, dir, 40)
	path := filepath.Join(dir, FileName)
	rep, err := Check(dir)
	if err != nil || !rep.Healthy {
		t.Fatalf("fresh history: %+v, %v", rep, err)
	}
	// Overwrite the leaf page holding the first chat's messages.
	s := open(t, dir)
	convs, _ := s.Conversations()
	var leaf uint64
	s.db.View(func(tx *bolt.Tx) error {
		leaf = uint64(tx.Bucket(bucketMessages).Bucket([]byte(convs[0].ID)).RootPage())
		return nil
	})
	s.Close()
	if leaf == 0 {
		t.Fatal("the chat's messages are inline; make them longer")
	}
	b, _ := os.ReadFile(path)
	ps := int(binary.LittleEndian.Uint32(b[pageHeaderSize+8:]))
	for i := int(leaf) * ps; i < int(leaf+1)*ps; i++ {
		b[i] = 0xAB
	}
	os.WriteFile(path, b, 0o600)
	s = open(t, dir)
	defer s.Close()
	if _, err := s.Messages(convs[0].ID); !errors.Is(err, ErrDamaged) || !strings.Contains(UserMessage(err), "deskchat recover") {
		t.Fatalf("reading the damaged chat: %v", err)
	}
	if _, err := s.Messages(convs[1].ID); err != nil {
		t.Fatalf("another chat: %v", err)
	}
	if _, err := s.CreateConversation(Conversation{}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("a write after damage: %v, want ErrDamaged", err)
	}
}

// TestARecordThatDoesNotDecodeIsDamage: a stored record whose bytes were
// overwritten in place (the page's structure intact, as when the
// continuation of a long record is hit) reads as damage, named with
// `deskchat recover`, never as a failed write; the other chats still read.
func TestARecordThatDoesNotDecodeIsDamage(t *testing.T) {
	dir := t.TempDir()
	smallHistory(t, dir, 3)
	s := open(t, dir)
	defer s.Close()
	convs, _ := s.Conversations()
	id := convs[0].ID
	if err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMessages).Bucket([]byte(id))
		k, v := b.Cursor().First()
		return b.Put(k, append(bytes.Clone(v[:len(v)/2]), 0x0c, 0x17))
	}); err != nil {
		t.Fatal(err)
	}
	for what, read := range map[string]func() error{
		"Messages": func() error { _, err := s.Messages(id); return err },
		"Dump":     func() error { _, err := s.Dump(id); return err },
	} {
		if err := read(); !IsDamaged(err) || !strings.Contains(UserMessage(err), "deskchat recover") {
			t.Errorf("%s of the chat with the bad record: %v (%q), want damage", what, err, UserMessage(err))
		}
	}
	if _, err := s.Dump(convs[1].ID); err != nil {
		t.Fatalf("another chat: %v", err)
	}
}

// damageFreelist rewrites the free-page list of the history in dir with
// fill and returns the file's new content.
func damageFreelist(t *testing.T, dir string, fill func(page []byte)) []byte {
	t.Helper()
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, why := readMetas(bytes.NewReader(b), int64(len(b)))
	if why != "" || m.freelist == noFreelist {
		t.Fatalf("no freelist page: %q", why)
	}
	ps := int(m.pageSize)
	fill(b[int(m.freelist)*ps : int(m.freelist+1)*ps])
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

// The two ways a freelist goes wrong: garbage, on which bbolt panics
// half-way through opening; and a well-formed list of pages that are not
// in the file, which bbolt would take as free and write to.
var (
	garbageFreelist = func(p []byte) { rand.New(rand.NewSource(5)).Read(p) }
	farFreelist     = func(p []byte) {
		le.PutUint16(p[8:], flagFreelist)
		le.PutUint16(p[10:], 2)
		le.PutUint64(p[pageHeaderSize:], 1<<30)
		le.PutUint64(p[pageHeaderSize+8:], 1<<30+1)
	}
)

// TestADamagedFreelistIsReportedAndRecoverable: with the free-page list
// overwritten, Open says the file is damaged, reading still works, and
// the same process can recover it: the window that failed to open the
// file offers exactly that.
func TestADamagedFreelistIsReportedAndRecoverable(t *testing.T) {
	for name, fill := range map[string]func([]byte){"garbage": garbageFreelist, "pages outside the file": farFreelist} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			smallHistory(t, dir, 20)
			damageFreelist(t, dir, fill)
			if s, err := Open(dir); !IsDamaged(err) || !strings.Contains(UserMessage(err), "deskchat recover") {
				if s != nil {
					s.Close()
				}
				t.Fatalf("Open of a history with a damaged freelist: %v", err)
			}
			ro, err := OpenReadOnly(dir)
			if err != nil {
				t.Fatalf("reading needs no freelist: %v", err)
			}
			if convs, err := ro.Conversations(); err != nil || len(convs) != 20 {
				t.Fatalf("read %d conversations, %v", len(convs), err)
			}
			ro.Close()
			rep, err := Recover(dir, time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC))
			if err != nil || rep.Saved != 20 {
				t.Fatalf("recover in the process that failed to open: %+v, %v", rep, err)
			}
			s := open(t, dir)
			defer s.Close()
			if convs, err := s.Conversations(); err != nil || len(convs) != 20 {
				t.Fatalf("after recover: %d conversations, %v", len(convs), err)
			}
		})
	}
}

// TestAPanicWhileOpeningReleasesTheLock: when bbolt panics half-way
// through opening a damaged file (here, on its freelist, with the probe
// that catches it first left out), the file's lock goes with the error,
// though bbolt's mapping of the file, which keeps it open, cannot be
// undone.
func TestAPanicWhileOpeningReleasesTheLock(t *testing.T) {
	dir := t.TempDir()
	smallHistory(t, dir, 5)
	damageFreelist(t, dir, garbageFreelist)
	path := filepath.Join(dir, FileName)
	db, err := openBolt(path, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err == nil {
		db.Close()
		t.Fatal("bbolt opened a file whose freelist is garbage")
	}
	if !IsDamaged(err) {
		t.Fatalf("open: %v, want damage", err)
	}
	unlock, err := lockFile(path, 0)
	if err != nil {
		t.Fatalf("the lock outlived the failed open: %v", err)
	}
	unlock()
}

// TestRecoverNeverLeavesTheFolderWithoutAHistory: at the moment a kill
// would hurt most, with the recovered history written and not yet in
// place, the damaged file is still the history file (a folder without one
// would start a new, empty history), and once recover ends it is kept
// beside it, byte for byte.
func TestRecoverNeverLeavesTheFolderWithoutAHistory(t *testing.T) {
	dir := t.TempDir()
	smallHistory(t, dir, 5)
	damaged := damageFreelist(t, dir, garbageFreelist)
	path := filepath.Join(dir, FileName)
	var there []byte
	beforeReplace = func(p string) { there, _ = os.ReadFile(p) }
	t.Cleanup(func() { beforeReplace = func(string) {} })
	rep, err := Recover(dir, time.Date(2026, 12, 7, 13, 30, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(there, damaged) {
		t.Fatalf("just before the recovered file took its place, %s held %d bytes, not the damaged file's %d", path, len(there), len(damaged))
	}
	if kept, _ := os.ReadFile(rep.KeptAs); !bytes.Equal(kept, damaged) {
		t.Fatalf("%s is not the damaged file", rep.KeptAs)
	}
	s := open(t, dir)
	defer s.Close()
	if convs, err := s.Conversations(); err != nil || len(convs) != 5 {
		t.Fatalf("the recovered history holds %d conversations, %v", len(convs), err)
	}
}

// TestRescueReadsTheChatsWhoseRecordsAreLost: with a page of the list of
// chats overwritten, the list read page by page names the chats whose
// records went with it, and Rescue gives their messages, whole, under a
// title made from the first question.
func TestRescueReadsTheChatsWhoseRecordsAreLost(t *testing.T) {
	dir := t.TempDir()
	smallHistory(t, dir, 120)
	path := filepath.Join(dir, FileName)
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	leaf := pagedamage.FirstLeaf(t, file, string(bucketConversations))
	if err := os.WriteFile(path, pagedamage.Overwrite(file, leaf.ID, 0, pagedamage.PageSize), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	readable, lost, err := s.ReadableConversations()
	if err != nil || len(lost) == 0 || len(readable)+len(lost) != 120 {
		t.Fatalf("%d readable, %d lost, %v", len(readable), len(lost), err)
	}
	var got []string
	err = s.Rescue(lost, func(d Dump) error {
		got = append(got, d.Conversation.ID)
		if !strings.HasPrefix(d.Conversation.Title, "Recovered: word0") || len(d.Messages) != 4 || d.Messages[3].Content != strings.Repeat("word3 ", 200) {
			t.Errorf("rescued %s as %q with %d messages", d.Conversation.ID, d.Conversation.Title, len(d.Messages))
		}
		return nil
	})
	if err != nil || !slices.Equal(got, lost) {
		t.Fatalf("rescued %v of %v, %v", got, lost, err)
	}
}

// TestRecoverKeepsEverythingReadable: recover of a healthy history keeps
// every chat, message, provider and setting, and searching works in the
// new file.
func TestRecoverKeepsEverythingReadable(t *testing.T) {
	dir := t.TempDir()
	smallHistory(t, dir, 5)
	rep, err := Recover(dir, time.Date(2026, 12, 6, 20, 15, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Saved != 5 || rep.MessagesSaved != 20 || rep.Lost != 0 || !strings.HasSuffix(rep.KeptAs, "deskchat.db.damaged-20261206-201500") {
		t.Fatalf("report %+v", rep)
	}
	s := open(t, dir)
	defer s.Close()
	if p, err := s.Provider("local"); err != nil || p.Model != "m" {
		t.Fatalf("provider: %+v, %v", p, err)
	}
	if v, _ := s.Setting(SettingTheme); v != "dark" {
		t.Fatalf("setting theme = %q", v)
	}
	if res, err := s.Search("word3", SearchOptions{}); err != nil || len(res) == 0 {
		t.Fatalf("search after recover: %d, %v", len(res), err)
	}
}

var (
	fuzzOnce sync.Once
	fuzzFile []byte
)

// FuzzDamage writes bytes over a real history (at an offset, optionally
// cutting it) and runs check, recover and the guarded reads on it: none may
// panic or hang, and recover must leave a history that opens.
func FuzzDamage(f *testing.F) {
	fuzzOnce.Do(func() {
		dir := f.TempDir()
		smallHistory(f, dir, 30)
		b, err := os.ReadFile(filepath.Join(dir, FileName))
		if err != nil {
			f.Fatal(err)
		}
		fuzzFile = b
	})
	f.Add(uint32(0), uint32(0), []byte{0xff})
	f.Add(uint32(4096), uint32(0), bytes.Repeat([]byte{0}, 64))
	f.Add(uint32(8192+16), uint32(0), []byte{1, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint32(5*4096), uint32(32768), []byte("garbage"))
	f.Add(uint32(len(fuzzFile)/2), uint32(0), bytes.Repeat([]byte{0x5a}, 4096))
	f.Add(uint32(len(fuzzFile)/3+8), uint32(0), []byte{2, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, off, cut uint32, data []byte) {
		b := bytes.Clone(fuzzFile)
		if int(off) < len(b) {
			copy(b[off:], data)
		}
		if cut > 0 && int(cut) < len(b) {
			b = b[:cut]
		}
		dir := fuzzDir(t)
		if err := os.WriteFile(filepath.Join(dir, FileName), b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Check(dir); err != nil && !IsDamaged(err) {
			t.Fatalf("check: %v", err)
		}
		if s, err := OpenReadOnly(dir); err == nil {
			if convs, err := s.Conversations(); err == nil {
				for _, c := range convs {
					s.Dump(c.ID)
				}
			}
			s.Search("word1", SearchOptions{})
			s.Close()
		}
		if _, err := Recover(dir, time.Now()); err != nil {
			t.Fatalf("recover: %v", err)
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("the recovered history does not open: %v", err)
		}
		s.Close()
	})
}

// fuzzDir is a folder in memory when the system has one (/dev/shm):
// recover's fsyncs there cost nothing, and fuzzing runs ten times faster.
func fuzzDir(t *testing.T) string {
	dir, err := os.MkdirTemp("/dev/shm", "deskchat-fuzz-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
