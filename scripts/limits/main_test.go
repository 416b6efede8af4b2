package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goFile writes a Go file of package p under dir: a function name of n
// lines (from func to its closing brace), then pad lines of comment.
func goFile(t *testing.T, dir, rel, head string, n, pad int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("package p\n\n" + head + " {\n")
	for range n - 2 {
		b.WriteString("\t_ = 0\n")
	}
	b.WriteString("}\n")
	for range pad {
		b.WriteString("// pad\n")
	}
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func keys(found []offence) []string {
	var out []string
	for _, o := range found {
		out = append(out, o.key)
	}
	return out
}

// The limits are exact (120 and 900 lines pass, one more does not), methods
// are named by receiver (also generic ones), and test files, testdata and
// hidden folders are not judged.
func TestCheckFindsWhatIsOverTheLimits(t *testing.T) {
	dir := t.TempDir()
	goFile(t, dir, "a/ok.go", "func fits()", 120, 0)
	goFile(t, dir, "a/long.go", "func long()", 121, 0)
	goFile(t, dir, "a/method.go", "func (s *Thing[T]) Run()", 130, 0)
	goFile(t, dir, "b/big.go", "func small()", 3, 900-5)    // 900 lines in all
	goFile(t, dir, "b/bigger.go", "func small()", 3, 901-5) // 901
	goFile(t, dir, "a/long_test.go", "func longTest()", 500, 1000)
	goFile(t, dir, "testdata/x.go", "func x()", 500, 1000)
	goFile(t, dir, ".bin/x.go", "func x()", 500, 1000)

	found, err := check(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(keys(found), " ")
	want := "a/long.go:long a/method.go:Thing.Run b/bigger.go"
	if got != want {
		t.Fatalf("found %q, want %q", got, want)
	}
	if found[0].lines != 121 || found[2].lines != 901 {
		t.Fatalf("counted %d and %d lines, want 121 and 901", found[0].lines, found[2].lines)
	}
}

// A file that does not parse is an error, not a pass.
func TestCheckRefusesBrokenGo(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.go"), []byte("package p\nfunc {"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := check(dir); err == nil {
		t.Fatal("a broken file passed")
	}
}

// The allow-list excuses what it names, nothing else, and an entry that no
// longer offends is a problem of its own.
func TestJudgeUsesTheAllowListAndFlagsStaleEntries(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "allow.txt")
	text := "# comment\n\nx.go:Big # being split\nold.go   # split already\n"
	if err := os.WriteFile(list, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	allow, err := readAllow(list)
	if err != nil {
		t.Fatal(err)
	}
	found := []offence{{key: "x.go:Big", lines: 200, limit: 120}, {key: "y.go", lines: 950, limit: 900}}
	problems := judge(found, allow)
	if len(problems) != 2 ||
		!strings.HasPrefix(problems[0], "y.go is 950 lines (limit 900)") ||
		!strings.HasPrefix(problems[1], "old.go is in the allow-list") {
		t.Fatalf("problems %q", problems)
	}
	if missing, err := readAllow(filepath.Join(dir, "none.txt")); err != nil || len(missing) != 0 {
		t.Fatalf("a missing list: %v, %v", missing, err)
	}
}
