package cli

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// A history written by an older deskchat (store/testdata's, from commit
// b9556e2, before branches) is upgraded by the first command typed after
// an update, even one that only reads, instead of being refused.
func TestAReadingCommandUpgradesAnOlderHistory(t *testing.T) {
	dir := t.TempDir()
	in, err := os.Open(filepath.Join("..", "store", "testdata", "history-b9556e2.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(filepath.Join(dir, store.FileName), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	out.Close()

	r := run(t, nil, "", "list", "--data-dir", dir)
	if r.code != ExitOK || !strings.Contains(r.stderr, "Upgraded the history file") || strings.TrimSpace(r.stdout) == "" {
		t.Fatalf("list of an older history: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "", "list", "--data-dir", dir)
	if r.code != ExitOK || strings.Contains(r.stderr, "Upgraded") {
		t.Fatalf("the second list: %d %q", r.code, r.stderr)
	}
}
