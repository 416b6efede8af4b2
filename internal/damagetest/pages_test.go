package damagetest

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/deskchat/deskchat/store"
)

// The page kinds an overwrite can hit, each of which the store meets by a
// different path: a bbolt page whose header is garbage (the walk and bbolt
// both notice), the continuation of a long record (only the record's JSON
// shows it), and the list of conversations itself (every record on it is
// lost while the messages live on).
const (
	kindMessages = "a page of one conversation's messages"
	kindOverflow = "the continuation of a long page of messages"
	kindList     = "a page of the list of conversations"
)

const pageSize = 4096

// page is one bbolt page of a healthy file, found by walking a bucket's
// tree from its root.
type page struct {
	id, overflow int
	leaf         bool
}

// bucketPages walks the tree of the bucket at path (top-level name, then
// nested names) in file and returns its pages, branches before their
// children. An inline bucket has none.
func bucketPages(t *testing.T, file []byte, path ...string) []page {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "walk.db")
	if err := os.WriteFile(tmp, file, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var root int
	db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(path[0]))
		for _, name := range path[1:] {
			b = b.Bucket([]byte(name))
		}
		root = int(b.Root())
		return nil
	})
	var out []page
	var walk func(id int)
	walk = func(id int) {
		h := file[id*pageSize:]
		flags, count := binary.LittleEndian.Uint16(h[8:]), int(binary.LittleEndian.Uint16(h[10:]))
		out = append(out, page{id: id, overflow: int(binary.LittleEndian.Uint32(h[12:])), leaf: flags&0x02 != 0})
		if flags&0x01 == 0 { // not a branch
			return
		}
		for i := range count {
			walk(int(binary.LittleEndian.Uint64(h[16+i*16+8:])))
		}
	}
	if root != 0 {
		walk(root)
	}
	return out
}

// overwrite returns a copy of file with the bytes [from, to) of page id
// replaced by seeded random bytes.
func overwrite(file []byte, id, from, to int) []byte {
	out := bytes.Clone(file)
	rand.New(rand.NewSource(int64(id))).Read(out[id*pageSize+from : id*pageSize+to])
	return out
}

// damageKind overwrites one page of the given kind in the healthy file,
// chosen by the file's structure (so every run damages the same kind of
// page, whatever the layout), and checks that the page walk sees the loss.
func damageKind(t *testing.T, file []byte, kind string) []byte {
	t.Helper()
	var out []byte
	switch kind {
	case kindList:
		for _, p := range bucketPages(t, file, "conversations") {
			if p.leaf {
				out = overwrite(file, p.id, 0, pageSize)
				break
			}
		}
	case kindMessages, kindOverflow:
		// A conversation in the middle of the file; its messages bucket
		// spans pages (ten messages of 1,500 characters).
		for i := conversations / 2; i < conversations && out == nil; i++ {
			for _, p := range bucketPages(t, file, "messages", chatID(i)) {
				switch {
				case kind == kindMessages && p.leaf:
					out = overwrite(file, p.id, 0, pageSize)
				case kind == kindOverflow && p.leaf && p.overflow > 0:
					// The last continuation page holds only keys'
					// and values' bytes: no header, no element.
					out = overwrite(file, p.id+p.overflow, 64, pageSize-64)
				}
				if out != nil {
					break
				}
			}
		}
	}
	if out == nil {
		t.Fatalf("the healthy file has no page that is %s", kind)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.FileName), out, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := store.Check(dir)
	if err != nil || len(rep.Partial)+len(rep.Lost) == 0 {
		t.Fatalf("overwriting %s: check found nothing lost (%+v, %v)", kind, rep, err)
	}
	return out
}

// overwriteFreelist overwrites the page listing the file's free pages: no
// conversation is lost, but bbolt cannot open the file for writing.
func overwriteFreelist(t *testing.T, file []byte) []byte {
	t.Helper()
	// The meta with the higher transaction id is the one in use; its
	// freelist page id follows the root bucket's 16 bytes.
	m := file[16:]
	if second := file[pageSize+16:]; binary.LittleEndian.Uint64(second[48:]) > binary.LittleEndian.Uint64(m[48:]) {
		m = second
	}
	return overwrite(file, int(binary.LittleEndian.Uint64(m[32:])), 0, pageSize)
}
