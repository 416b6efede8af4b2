package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// TestReadingBeforeTheFirstQuestion: reading commands on a folder without
// a history say so and make no file; list --json prints an empty array.
// (A folder that does not exist at all: TestAMistypedDataDirIsSaidAndNotMade.)
func TestReadingBeforeTheFirstQuestion(t *testing.T) {
	dir := t.TempDir()
	r := run(t, nil, "", "--data-dir", dir, "list")
	if r.code != ExitOK || !strings.Contains(r.stderr, "There is no history in") {
		t.Fatalf("list: %d %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "--data-dir", dir, "list", "--json"); r.code != ExitOK || strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("list --json: %d %q", r.code, r.stdout)
	}
	if r := run(t, nil, "", "--data-dir", dir, "check"); r.code != ExitOK || !strings.Contains(r.stderr, "nothing to check") {
		t.Fatalf("check: %d %q", r.code, r.stderr)
	}
	if names, err := os.ReadDir(dir); err != nil || len(names) != 0 {
		t.Fatalf("reading commands wrote in the data folder: %v %v", names, err)
	}
}

// TestCheckAndRecoverOfAHealthyHistory: check says healthy with the counts
// (exit 0); recover keeps everything and the old file beside it.
func TestCheckAndRecoverOfAHealthyHistory(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", "--data-dir", dir, "ask", "--provider", "Simulator", "hello there"); r.code != ExitOK {
		t.Fatalf("ask: %d %q", r.code, r.stderr)
	}
	r := run(t, nil, "", "--data-dir", dir, "check")
	want := "The history file " + filepath.Join(dir, store.FileName) + " is healthy: 1 conversation, 2 messages."
	if r.code != ExitOK || strings.TrimSpace(r.stdout) != want {
		t.Fatalf("check: %d %q, want %q", r.code, r.stdout, want)
	}
	r = run(t, nil, "", "--data-dir", dir, "recover")
	if r.code != ExitOK || !strings.Contains(r.stdout, "saved 1 conversation and 2 messages; nothing was lost") {
		t.Fatalf("recover: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if kept, _ := filepath.Glob(filepath.Join(dir, store.FileName+".damaged-*")); len(kept) != 1 {
		t.Fatalf("kept %v", kept)
	}
	if r := run(t, nil, "", "--data-dir", dir, "list", "--json"); !strings.Contains(r.stdout, "hello there") {
		t.Fatalf("list after recover: %q", r.stdout)
	}
}
