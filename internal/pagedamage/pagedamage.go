// Package pagedamage finds the pages of a bbolt file's buckets and
// overwrites them, for the tests that damage a history file on purpose:
// choosing a page by what it holds, not at random, damages the same kind
// of page in every run, whatever the file's layout.
package pagedamage

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// PageSize is the page size of the files deskchat writes (bbolt's default
// on the platforms it ships for).
const PageSize = 4096

// Page is one page of a bucket's tree.
type Page struct {
	ID, Overflow int // its id, and how many pages follow it as its continuation
	Leaf         bool
}

// BucketPages walks the tree of the bucket at path (a top-level name, then
// nested names) in file and returns its pages, branches before their
// children. An inline bucket has none.
func BucketPages(t testing.TB, file []byte, path ...string) []Page {
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
	var out []Page
	var walk func(id int)
	walk = func(id int) {
		h := file[id*PageSize:]
		flags, count := binary.LittleEndian.Uint16(h[8:]), int(binary.LittleEndian.Uint16(h[10:]))
		out = append(out, Page{ID: id, Overflow: int(binary.LittleEndian.Uint32(h[12:])), Leaf: flags&0x02 != 0})
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

// FirstLeaf returns the first leaf page of the bucket at path, failing t
// when the bucket has none (it is inline: make it bigger).
func FirstLeaf(t testing.TB, file []byte, path ...string) Page {
	t.Helper()
	for _, p := range BucketPages(t, file, path...) {
		if p.Leaf {
			return p
		}
	}
	t.Fatalf("bucket %v has no page of its own", path)
	return Page{}
}

// Overwrite returns a copy of file with the bytes [from, to) of page id
// replaced by random bytes seeded by id.
func Overwrite(file []byte, id, from, to int) []byte {
	out := bytes.Clone(file)
	rand.New(rand.NewSource(int64(id))).Read(out[id*PageSize+from : id*PageSize+to])
	return out
}

// Freelist returns the id of the page listing file's free pages, as the
// meta in use (the one with the higher transaction id) names it.
func Freelist(file []byte) int {
	// A meta follows the page header: magic, version, page size, flags
	// (4 bytes each), the root bucket (16), then the freelist's page id,
	// the high-water mark and the transaction id (8 each).
	m := file[16:]
	if second := file[PageSize+16:]; binary.LittleEndian.Uint64(second[48:]) > binary.LittleEndian.Uint64(m[48:]) {
		m = second
	}
	return int(binary.LittleEndian.Uint64(m[32:]))
}
