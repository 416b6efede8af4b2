package composer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes name → content files in a new folder and returns their
// paths, in the order given.
func writeFiles(t testing.TB, files ...[2]string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f[0])
		if err := os.WriteFile(p, []byte(f[1]), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func TestLargeFilesAreReadWithProgress(t *testing.T) {
	text := strings.Repeat("a line of a long log file\n", 60_000) // 1.5 MB
	paths := writeFiles(t, [2]string{"long.log", text})
	var seen []float64
	r, err := readFile(paths[0], func(f float64) { seen = append(seen, f) })
	if err != nil || r.a.Text != text {
		t.Fatalf("read: %v", err)
	}
	if len(seen) < 4 || seen[len(seen)-1] != 1 {
		t.Fatalf("progress %v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Fatalf("progress went back: %v", seen)
		}
	}
	small := writeFiles(t, [2]string{"s.txt", "small"})
	if _, err := readFile(small[0], func(float64) { t.Error("progress for a small file") }); err != nil {
		t.Fatal(err)
	}
}
