package damagetest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/deskchat/deskchat/internal/pagedamage"
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

// damageKind overwrites one page of the given kind in the healthy file,
// chosen by the file's structure (so every run damages the same kind of
// page, whatever the layout), and checks that the page walk sees the loss.
func damageKind(t *testing.T, file []byte, kind string) []byte {
	t.Helper()
	var out []byte
	switch kind {
	case kindList:
		out = pagedamage.Overwrite(file, pagedamage.FirstLeaf(t, file, "conversations").ID, 0, pagedamage.PageSize)
	case kindMessages, kindOverflow:
		// A conversation in the middle of the file; its messages bucket
		// spans pages (ten messages of 1,500 characters).
		for i := conversations / 2; i < conversations && out == nil; i++ {
			for _, p := range pagedamage.BucketPages(t, file, "messages", chatID(i)) {
				switch {
				case kind == kindMessages && p.Leaf:
					out = pagedamage.Overwrite(file, p.ID, 0, pagedamage.PageSize)
				case kind == kindOverflow && p.Leaf && p.Overflow > 0:
					// The last continuation page holds only keys'
					// and values' bytes: no header, no element.
					out = pagedamage.Overwrite(file, p.ID+p.Overflow, 64, pagedamage.PageSize-64)
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
	return pagedamage.Overwrite(file, pagedamage.Freelist(file), 0, pagedamage.PageSize)
}
