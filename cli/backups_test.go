package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

const envBackupsChild = "DESKCHAT_BACKUPS_CHILD" // the child's deskchat arguments, as a JSON array

// TestHelperBackupsChild is the real deskchat in a child process: it runs
// cli.Main with the arguments in DESKCHAT_BACKUPS_CHILD and exits with its
// code, so that exit codes, stderr and file locks are a real process's.
func TestHelperBackupsChild(t *testing.T) {
	raw := os.Getenv(envBackupsChild)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		os.Exit(3)
	}
	if code := Main(args, Env{Stdin: strings.NewReader("")}); code != 0 {
		os.Exit(code)
	}
}

// deskchat runs the real deskchat in a child process.
func deskchat(t *testing.T, args ...string) runResult {
	t.Helper()
	js, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBackupsChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envBackupsChild+"="+string(js))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	stdout := strings.TrimSuffix(out.String(), "PASS\n") // the test binary's own last line
	return runResult{code, stdout, errb.String()}
}

func addChats(t *testing.T, dir string, titles ...string) {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, title := range titles {
		if _, err := st.CreateConversation(store.Conversation{Title: title}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBackupsListAndRestoreThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	addChats(t, dir, "alpha", "beta")
	r := deskchat(t, "backups", "now", "--data-dir", dir)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Backed up to "+filepath.Join(dir, "backups", "deskchat-")) {
		t.Fatalf("backups now: %d %q %q", r.code, r.stdout, r.stderr)
	}
	addChats(t, dir, "gamma") // after the backup

	// list reads the folder only: it works while another deskchat holds
	// the history, and leaves the file as it was.
	holder, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, store.FileName))
	r = deskchat(t, "--data-dir", dir, "backups", "list", "--json")
	if r.code != 0 {
		t.Fatalf("backups list --json: %d %q", r.code, r.stderr)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 {
		t.Fatalf("list --json %q: %v", r.stdout, err)
	}
	name, _ := list[0]["name"].(string)
	created, _ := time.Parse(time.RFC3339, list[0]["created_at"].(string))
	if size, _ := list[0]["size"].(float64); !strings.HasPrefix(name, "deskchat-") || size < 4096 || time.Since(created) > time.Hour {
		t.Errorf("list entry %v", list[0])
	}
	if r = deskchat(t, "backups", "list", "--data-dir", dir); r.code != 0 || !strings.HasPrefix(r.stdout, name+"  ") {
		t.Errorf("backups list: %d %q %q", r.code, r.stdout, r.stderr)
	}

	// The window (here: a store) holds the file: restore refuses.
	r = deskchat(t, "backups", "restore", name, "--data-dir", dir)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "in use by another deskchat") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("restore while held: %d %q", r.code, r.stderr)
	}
	holder.Close()
	if after, _ := os.ReadFile(filepath.Join(dir, store.FileName)); !bytes.Equal(before, after) {
		t.Error("list or a refused restore changed the history file")
	}

	r = deskchat(t, "backups", "restore", name, "--data-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Restored "+name) || !strings.Contains(r.stdout, "kept as "+filepath.Join(dir, store.FileName+".before-restore-")) {
		t.Fatalf("restore: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = deskchat(t, "list", "--json", "--data-dir", dir)
	var convs []struct{ Title string }
	if err := json.Unmarshal([]byte(r.stdout), &convs); err != nil || len(convs) != 2 || convs[0].Title != "beta" || convs[1].Title != "alpha" {
		t.Errorf("restored history lists %q (%v)", r.stdout, err)
	}
	aside, _ := filepath.Glob(filepath.Join(dir, store.FileName+".before-restore-*"))
	if len(aside) != 1 {
		t.Fatalf("kept aside: %v", aside)
	}
	if !bytes.Equal(mustRead(t, aside[0]), before) {
		t.Error("the file kept aside is not the history that was replaced")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBackupsRestoreRefusesWithASentence(t *testing.T) {
	dir := t.TempDir()
	addChats(t, dir, "alpha")
	os.MkdirAll(filepath.Join(dir, "backups"), 0o700)
	os.WriteFile(filepath.Join(dir, "backups", "deskchat-20261206-000000.db"), bytes.Repeat([]byte("not bbolt"), 1000), 0o600)
	before := mustRead(t, filepath.Join(dir, store.FileName))
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"restore", "deskchat-20990101-000000.db"}, ExitFailure, "There is no backup called \"deskchat-20990101-000000.db\""},
		{[]string{"restore", "deskchat-20261206-000000.db"}, ExitFailure, "is not a valid deskchat history"},
		{[]string{"restore"}, ExitUsage, "name one backup"},
		{[]string{"rewind"}, ExitUsage, "unknown backups command"},
	} {
		r := deskchat(t, append(append([]string{"backups"}, c.args...), "--data-dir", dir)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "panic") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("backups %v: %d %q, want %d %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
	if !bytes.Equal(before, mustRead(t, filepath.Join(dir, store.FileName))) {
		t.Error("a refused restore changed the history file")
	}
	r := deskchat(t, "backups", "list", "--json", "--data-dir", t.TempDir())
	if r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("list with no backups: %d %q", r.code, r.stdout)
	}
}
