package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/internal/secrets"
)

// errNoService is what go-keyring reports on a Linux session without a Secret
// Service.
var errNoService = errors.New("The name org.freedesktop.secrets was not provided by any .service files")

// providersJSON runs providers list --json.
func providersJSON(t *testing.T, dir string) []map[string]any {
	t.Helper()
	r := run(t, nil, "", "providers", "list", "--json", "--data-dir", dir)
	var ps []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &ps); err != nil || r.code != 0 {
		t.Fatalf("providers list --json: %d %v %q", r.code, err, r.stdout)
	}
	return ps
}

// historyHolds reports whether the history file in dir contains s.
func historyHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && strings.Contains(string(b), s) {
			return true
		}
	}
	return false
}

func TestAKeychainProviderFromAddToAnswer(t *testing.T) {
	keyring.MockInit()
	const key = "sk-cli-keychain-91c2"
	srv := newChatServer(t, "from the keychain")
	dir := t.TempDir()

	r := run(t, nil, "", "providers", "add", "vault", "--data-dir", dir, "--base-url", srv.URL, "--model", "m", "--key-source", "keychain")
	if r.code != 0 || !strings.Contains(r.stderr, "providers set-key vault") {
		t.Fatalf("add: %d %q", r.code, r.stderr)
	}
	// Before the key is stored, asking says so.
	r = run(t, nil, "", "ask", "--data-dir", dir, "hi")
	if r.code != 1 || strings.TrimSpace(r.stderr) != "No API key for vault is in the keychain: enter it in Settings → Providers." {
		t.Fatalf("ask without the key: %d %q", r.code, r.stderr)
	}

	r = run(t, nil, key+"\n", "providers", "set-key", "vault", "--data-dir", dir)
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "Stored the key for vault in the keychain.") {
		t.Fatalf("set-key: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, key) {
		t.Errorf("set-key printed the key: %q", r.stderr)
	}
	if v, err := keyring.Get(secrets.Service, "vault"); err != nil || v != key {
		t.Fatalf("keychain holds %q %v", v, err)
	}

	r = run(t, nil, "", "ask", "--data-dir", dir, "hi")
	if r.code != 0 || r.stdout != "from the keychain\n" {
		t.Fatalf("ask: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if got := authsSeen(srv); len(got) != 1 || got[0] != "Bearer "+key {
		t.Errorf("Authorization %q, want one request with the keychain's key", got)
	}

	r = run(t, nil, "", "providers", "list", "--data-dir", dir)
	if !strings.Contains(r.stdout, "keychain") || strings.Contains(r.stdout, key) {
		t.Errorf("providers list: %q", r.stdout)
	}
	ps := providersJSON(t, dir)
	if len(ps) != 1 || ps[0]["key_source"] != "keychain" || ps[0]["key_from"] != "keychain" {
		t.Errorf("providers list --json: %v", ps)
	}
	if b, _ := json.Marshal(ps); strings.Contains(string(b), key) {
		t.Errorf("providers list --json shows the key: %s", b)
	}
	if !historyHolds(t, dir, "vault") {
		t.Fatal("the history file does not hold the provider: the next check would prove nothing")
	}
	if historyHolds(t, dir, key) {
		t.Error("the key was written to the history file")
	}

	// Removing the provider removes its key.
	if r := run(t, nil, "", "providers", "remove", "vault", "--data-dir", dir); r.code != 0 {
		t.Fatalf("remove: %d %q", r.code, r.stderr)
	}
	if _, err := keyring.Get(secrets.Service, "vault"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("the key outlived its provider: %v", err)
	}
}

func TestSetKeyReadsOnlyStdin(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	if r := run(t, nil, "", "providers", "add", "vault", "--data-dir", dir, "--base-url", "http://localhost:1", "--model", "m", "--key-source", "keychain"); r.code != 0 {
		t.Fatalf("add: %q", r.stderr)
	}
	r := run(t, nil, "", "providers", "set-key", "vault", "sk-on-the-command-line", "--data-dir", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "never from the command line") {
		t.Errorf("key as an argument: %d %q", r.code, r.stderr)
	}
	r = run(t, nil, "\n  \n", "providers", "set-key", "vault", "--data-dir", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "no key on stdin") {
		t.Errorf("empty stdin: %d %q", r.code, r.stderr)
	}
	if _, err := keyring.Get(secrets.Service, "vault"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("something was stored: %v", err)
	}
	r = run(t, nil, "sk-x\n", "providers", "set-key", "nobody", "--data-dir", dir)
	if r.code != 1 || !strings.Contains(r.stderr, `no provider called "nobody"`) {
		t.Errorf("unknown provider: %d %q", r.code, r.stderr)
	}
	// The first non-empty line is the key, as from a password manager.
	if r := run(t, nil, "\n sk-first-line \nlogin: me\n", "providers", "set-key", "vault", "--data-dir", dir); r.code != 0 {
		t.Fatalf("set-key: %q", r.stderr)
	}
	if v, _ := keyring.Get(secrets.Service, "vault"); v != "sk-first-line" {
		t.Errorf("stored %q", v)
	}
}

func TestSetKeyMovesAProviderToTheKeychain(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	if r := run(t, nil, "", "providers", "add", "groq", "--data-dir", dir, "--base-url", "http://localhost:1", "--model", "m", "--key-env", "GROQ_API_KEY"); r.code != 0 {
		t.Fatalf("add: %q", r.stderr)
	}
	if ps := providersJSON(t, dir); ps[0]["key_from"] != "$GROQ_API_KEY" || ps[0]["key_source"] != "env" {
		t.Fatalf("before: %v", ps)
	}
	r := run(t, nil, "gsk-moved\n", "providers", "set-key", "groq", "--data-dir", dir)
	if r.code != 0 || !strings.Contains(r.stderr, "groq now reads its key from there") {
		t.Fatalf("set-key: %d %q", r.code, r.stderr)
	}
	if ps := providersJSON(t, dir); ps[0]["key_from"] != "keychain" {
		t.Errorf("after: %v", ps)
	}
}

func TestNoKeychainIsSaidPlainly(t *testing.T) {
	keyring.MockInitWithError(errNoService)
	defer keyring.MockInit()
	dir := t.TempDir()
	want := "No keychain is available in this session (no Secret Service is running), so keys cannot be stored there. Use an environment variable or a key command instead."
	r := run(t, nil, "", "providers", "add", "vault", "--data-dir", dir, "--base-url", "http://localhost:1", "--model", "m", "--key-source", "keychain")
	if r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Fatalf("add --key-source keychain: %d %q", r.code, r.stderr)
	}
	if ps := providersJSON(t, dir); len(ps) != 0 {
		t.Errorf("a keychain provider was added without a keychain: %v", ps)
	}

	if r := run(t, nil, "", "providers", "add", "groq", "--data-dir", dir, "--base-url", "http://localhost:1", "--model", "m", "--key-env", "GROQ_API_KEY"); r.code != 0 {
		t.Fatalf("add --key-env: %q", r.stderr)
	}
	r = run(t, nil, "gsk-nowhere-to-go\n", "providers", "set-key", "groq", "--data-dir", dir)
	if r.code != 1 || strings.TrimSpace(r.stderr) != want {
		t.Errorf("set-key: %d %q", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "gsk-nowhere-to-go") || historyHolds(t, dir, "gsk-nowhere-to-go") {
		t.Error("the key was shown or written somewhere")
	}
	if ps := providersJSON(t, dir); ps[0]["key_source"] != "env" {
		t.Errorf("a failed set-key changed the key source: %v", ps)
	}
}

func TestAKeyCommandProvider(t *testing.T) {
	srv := newChatServer(t, "from the command")
	dir := t.TempDir()
	if r := run(t, nil, "", "providers", "add", "pm", "--data-dir", dir, "--base-url", srv.URL, "--model", "m",
		"--key-command", "printf 'sk-cmd-%s\\nlogin: me\\n' 42"); r.code != 0 {
		t.Fatalf("add: %q", r.stderr)
	}
	r := run(t, nil, "", "ask", "--data-dir", dir, "hi")
	if r.code != 0 || r.stdout != "from the command\n" {
		t.Fatalf("ask: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if got := authsSeen(srv); len(got) != 1 || got[0] != "Bearer sk-cmd-42" {
		t.Errorf("Authorization %q, want the command's first line", got)
	}
	r = run(t, nil, "", "providers", "list", "--data-dir", dir)
	if !strings.Contains(r.stdout, "command") || strings.Contains(r.stdout, "sk-cmd") {
		t.Errorf("providers list: %q", r.stdout)
	}
	if ps := providersJSON(t, dir); ps[0]["key_from"] != "command" || ps[0]["key_source"] != "command" {
		t.Errorf("providers list --json: %v", ps)
	}

	if r := run(t, nil, "", "providers", "add", "broken", "--data-dir", dir, "--base-url", srv.URL, "--model", "m",
		"--key-source", "command", "--key-command", "echo sk-half; echo 'pass: groq is not in the password store' >&2; exit 1"); r.code != 0 {
		t.Fatalf("add: %q", r.stderr)
	}
	r = run(t, nil, "", "ask", "--data-dir", dir, "--provider", "broken", "hi")
	want := "The key command failed (exit status 1): pass: groq is not in the password store."
	if r.code != 1 || strings.TrimSpace(r.stderr) != want {
		t.Errorf("failing key command: %d %q", r.code, r.stderr)
	}
	if n := len(authsSeen(srv)); n != 1 {
		t.Errorf("%d requests: the provider was called without a key", n-1)
	}
}

func TestAnUnsetKeyVariableIsNamed(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", "providers", "add", "groq", "--data-dir", dir, "--base-url", "http://localhost:1", "--model", "m", "--key-source", "env", "--key-env", "GROQ_API_KEY"); r.code != 0 {
		t.Fatalf("add: %q", r.stderr)
	}
	r := run(t, map[string]string{}, "", "ask", "--data-dir", dir, "hi")
	want := "GROQ_API_KEY is not set in deskchat's environment: set it, or keep the key in the keychain (Settings → Providers)."
	if r.code != 1 || strings.TrimSpace(r.stderr) != want {
		t.Errorf("ask: %d %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "providers", "list", "--data-dir", dir); !strings.Contains(r.stdout, "$GROQ_API_KEY") {
		t.Errorf("providers list: %q", r.stdout)
	}
}

func TestKeyFlagUsageErrorsExitTwo(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	base := []string{"providers", "add", "x", "--data-dir", dir, "--base-url", "http://h", "--model", "m"}
	cases := []struct {
		flags []string
		want  string
	}{
		{[]string{"--key-source", "vault"}, `--key-source must be keychain, env or command, not "vault"`},
		{[]string{"--key-source", "env"}, "--key-source env needs --key-env VAR"},
		{[]string{"--key-source", "command"}, "--key-source command needs --key-command CMD"},
		{[]string{"--key-source", "keychain", "--key-env", "K"}, "--key-source keychain takes neither"},
		{[]string{"--key-source", "env", "--key-env", "K", "--key-command", "pass show x"}, "--key-source env takes no --key-command"},
		{[]string{"--key-source", "command", "--key-command", "pass show x", "--key-env", "K"}, "--key-source command takes no --key-env"},
		{[]string{"--key-env", "K", "--key-command", "pass show x"}, "either --key-env or --key-command"},
		{[]string{"--key-command", "sk-live-abc123"}, "not the key itself"},
	}
	for _, c := range cases {
		args := append(append([]string(nil), base...), c.flags...)
		r := run(t, nil, "", args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d stderr %q, want %q", c.flags, r.code, r.stderr, c.want)
		}
	}
	if ps := providersJSON(t, dir); len(ps) != 0 {
		t.Errorf("bad flags added providers: %v", ps)
	}
	if r := run(t, nil, "", "providers", "set-key", "--data-dir", dir); r.code != 2 {
		t.Errorf("set-key without NAME: %d", r.code)
	}
}

// authsSeen returns the Authorization headers srv saw so far.
func authsSeen(srv *chatServer) []string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return append([]string(nil), srv.auths...)
}
