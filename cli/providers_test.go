package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/internal/secrets"
)

// TestProvidersGoThroughTheOneAdministration: the command line adds,
// lists and removes providers as the settings window does (package
// providers): a removal clears the fallbacks to it and chooses another
// default in one go; the list shows fallbacks, limits and key sources,
// never a key; bad input is refused with the window's sentences, exit 2.
func TestProvidersGoThroughTheOneAdministration(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	add := func(args ...string) runResult {
		return run(t, nil, "", append([]string{"providers", "add", "--data-dir", dir}, args...)...)
	}
	if r := add("main", "--base-url", "http://localhost:1/v1", "--model", "m", "--key-source", "keychain", "--rpm", "30", "--max-retries", "1"); r.code != ExitOK ||
		!strings.Contains(r.stderr, "Added provider main.\nmain is the default provider for new chats.\n") {
		t.Fatalf("add main: %d %q", r.code, r.stderr)
	}
	const key = "sk-admin-cli-7f3e"
	if r := run(t, nil, key+"\n", "providers", "set-key", "main", "--data-dir", dir); r.code != ExitOK {
		t.Fatalf("set-key: %d %q", r.code, r.stderr)
	}
	if k, err := keyring.Get(secrets.Service, "main"); err != nil || k != key {
		t.Fatalf("the keychain holds %q (%v)", k, err)
	}
	if r := add("backup", "--base-url", "http://localhost:2/v1", "--model", "b", "--key-env", "BACKUP_KEY", "--fallback", "main", "--tpm", "9000"); r.code != ExitOK || strings.Contains(r.stderr, "default") {
		t.Fatalf("add backup: %d %q", r.code, r.stderr)
	}
	// A fallback that does not exist, and a provider falling back to
	// itself: the window's sentences, exit 2, nothing stored.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"third", "--base-url", "http://h", "--model", "m", "--fallback", "nobody"}, "There is no provider called “nobody” to fall back to."},
		{[]string{"third", "--base-url", "http://h", "--model", "m", "--fallback", "third"}, "A provider cannot fall back to itself"},
		{[]string{"Simulator", "--base-url", "http://h", "--model", "m"}, "built-in provider's name"},
		{[]string{"third", "--kind", "compatible", "--model", "m"}, "Enter the base URL"},
		{[]string{"third", "--base-url", "http://h", "--model", "m", "--max-retries", "-1"}, "Limits are whole numbers of 0 or more"},
	} {
		if r := add(c.args...); r.code != ExitUsage || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("add %q: %d %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}

	r := run(t, nil, "", "providers", "list", "--json", "--data-dir", dir)
	if strings.Contains(r.stdout, key) || strings.Contains(r.stdout, "sk-admin") {
		t.Fatalf("providers list --json shows the key: %s", r.stdout)
	}
	var list []struct {
		Name, Fallback, KeySource, KeyFrom string
		Default                            bool
		Limits                             struct {
			RequestsPerMinute int  `json:"requests_per_minute"`
			TokensPerMinute   int  `json:"tokens_per_minute"`
			MaxRetries        *int `json:"max_retries"`
		}
	}
	if err := json.Unmarshal([]byte(strings.NewReplacer(`"key_source"`, `"KeySource"`, `"key_from"`, `"KeyFrom"`).Replace(r.stdout)), &list); err != nil || len(list) != 2 {
		t.Fatalf("providers list --json: %v %s", err, r.stdout)
	}
	b, m := list[0], list[1]
	if b.Name != "backup" || b.Fallback != "main" || b.KeySource != "env" || b.KeyFrom != "$BACKUP_KEY" || b.Limits.TokensPerMinute != 9000 || b.Default || b.Limits.MaxRetries != nil {
		t.Errorf("backup listed as %+v", b)
	}
	if m.Name != "main" || m.KeySource != "keychain" || !m.Default || m.Limits.RequestsPerMinute != 30 || m.Limits.MaxRetries == nil || *m.Limits.MaxRetries != 1 {
		t.Errorf("main listed as %+v", m)
	}
	if r := run(t, nil, "", "providers", "list", "--data-dir", dir); !strings.Contains(r.stdout, "FALLBACK") || !strings.Contains(r.stdout, "main (default)") {
		t.Errorf("providers list: %q", r.stdout)
	}

	// Removing main: backup no longer falls back to it and becomes the
	// default; main's key leaves the keychain.
	r = run(t, nil, "", "providers", "remove", "main", "--data-dir", dir)
	want := "Removed provider main.\nbackup fell back to it and now fall back to none.\nbackup is the default provider for new chats now.\n"
	if r.code != ExitOK || r.stderr != want {
		t.Fatalf("remove: %d %q, want %q", r.code, r.stderr, want)
	}
	ps := providersJSON(t, dir)
	if len(ps) != 1 || ps[0]["fallback"] != nil || ps[0]["default"] != true {
		t.Errorf("after the removal: %v", ps)
	}
	if _, err := keyring.Get(secrets.Service, "main"); err == nil {
		t.Error("main's key is still in the keychain")
	}
	// Adding a provider of the same name replaces it.
	if r := add("backup", "--base-url", "http://localhost:3/v1", "--model", "c"); r.code != ExitOK || !strings.Contains(r.stderr, "Replaced provider backup.") {
		t.Errorf("add again: %d %q", r.code, r.stderr)
	}
	if ps := providersJSON(t, dir); len(ps) != 1 || ps[0]["model"] != "c" || ps[0]["default"] != true {
		t.Errorf("after replacing: %v", ps)
	}
}
