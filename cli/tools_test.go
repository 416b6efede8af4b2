package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/tools"
)

var (
	mcpServerOnce sync.Once
	mcpServerBin  string
	mcpServerErr  error
)

// mcpServer builds the tools package's stdio MCP test server once.
func mcpServer(t *testing.T) string {
	t.Helper()
	mcpServerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "deskchat-cli-mcp-")
		if err != nil {
			mcpServerErr = err
			return
		}
		mcpServerBin = filepath.Join(dir, "testserver")
		if out, err := exec.Command("go", "build", "-o", mcpServerBin, "../tools/internal/testserver").CombinedOutput(); err != nil {
			mcpServerErr = &exec.Error{Name: string(out), Err: err}
		}
	})
	if mcpServerErr != nil {
		t.Fatalf("build the MCP test server: %v", mcpServerErr)
	}
	return mcpServerBin
}

func toolsJSON(t *testing.T, dir string) []map[string]any {
	t.Helper()
	r := run(t, map[string]string{"PATH": os.Getenv("PATH")}, "", "tools", "list", "--json", "--data-dir", dir)
	var out []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 0 {
		t.Fatalf("tools list --json: %d %v %q %q", r.code, err, r.stdout, r.stderr)
	}
	return out
}

func TestToolsAddListRemove(t *testing.T) {
	keyring.MockInit()
	bin := mcpServer(t)
	dir := t.TempDir()
	r := run(t, map[string]string{}, "", "tools", "add", "local", "--data-dir", dir, "--command", bin+" -hidden", "--env", "MCP_TOKEN=s3cret-value", "--env", "PATH")
	if r.code != 0 || !strings.Contains(r.stderr, "Added tool server local") {
		t.Fatalf("tools add: %d %q", r.code, r.stderr)
	}
	if v, err := keyring.Get(secrets.Service, "mcp:local:env:MCP_TOKEN"); err != nil || v != "s3cret-value" {
		t.Fatalf("the keychain holds %q, %v", v, err)
	}
	if historyHolds(t, dir, "s3cret-value") {
		t.Fatal("the secret was written in the history")
	}
	if r := run(t, nil, "", "tools", "add", "gone", "--data-dir", dir, "--command", "/nonexistent/server"); r.code != 0 {
		t.Fatalf("add gone: %q", r.stderr)
	}
	list := toolsJSON(t, dir)
	if len(list) != 2 || list[0]["name"] != "gone" || list[1]["name"] != "local" {
		t.Fatalf("list = %v", list)
	}
	if list[0]["state"] != "failed" || !strings.Contains(list[0]["sentence"].(string), "gone could not be started") {
		t.Fatalf("gone = %v", list[0])
	}
	local := list[1]
	if local["state"] != "connected" || local["command"] != bin || local["args"].([]any)[0] != "-hidden" {
		t.Fatalf("local = %v", local)
	}
	found := false
	for _, tl := range local["tools"].([]any) {
		tool := tl.(map[string]any)
		if tool["name"] == "echo" {
			found = tool["function"] == "local__echo" && tool["description"] == "Returns its text." && tool["enabled"] == true
		}
	}
	if !found {
		t.Fatalf("local's tools: %v", local["tools"])
	}
	r = run(t, map[string]string{"PATH": os.Getenv("PATH")}, "", "tools", "list", "--data-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "local") || !strings.Contains(r.stdout, "connected") || !strings.Contains(r.stdout, "Returns its text.") {
		t.Fatalf("tools list: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "s3cret") {
		t.Fatal("list printed a secret")
	}
	if r := run(t, nil, "", "tools", "remove", "local", "--data-dir", dir); r.code != 0 || !strings.Contains(r.stderr, "Removed tool server local.") {
		t.Fatalf("remove: %d %q", r.code, r.stderr)
	}
	if _, err := keyring.Get(secrets.Service, "mcp:local:env:MCP_TOKEN"); err == nil {
		t.Fatal("remove left the secret in the keychain")
	}
	if r := run(t, nil, "", "tools", "remove", "local", "--data-dir", dir); r.code != 1 || !strings.Contains(r.stderr, `no tool server called "local"`) {
		t.Fatalf("remove again: %d %q", r.code, r.stderr)
	}
}

func TestToolsHTTPServerKeepsItsHeaderInTheKeychain(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	r := run(t, nil, "", "tools", "add", "web", "--data-dir", dir, "--url", "https://mcp.example/mcp", "--header", "Authorization: Bearer tok-123")
	if r.code != 0 {
		t.Fatalf("add --url: %d %q", r.code, r.stderr)
	}
	if v, _ := keyring.Get(secrets.Service, "mcp:web:header:Authorization"); v != "Bearer tok-123" {
		t.Fatalf("keychain = %q", v)
	}
	if historyHolds(t, dir, "tok-123") {
		t.Fatal("the header's value was written in the history")
	}
}

func TestToolsRefusalsSaySo(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	if r := run(t, nil, "", "tools", "add", "dup", "--data-dir", dir, "--command", "x"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tools", "add"}, "tools add needs one NAME"},
		{[]string{"tools", "add", "x"}, "needs a command"},
		{[]string{"tools", "add", "x", "--command", "a", "--url", "http://h/"}, "not both"},
		{[]string{"tools", "add", "x", "--url", "http://h/", "--env", "K=V"}, "environment variables are for servers started with a command"},
		{[]string{"tools", "add", "x", "--command", "a", "--header", "K:V"}, "headers are for servers reached by URL"},
		{[]string{"tools", "add", "x", "--url", "ftp://h/"}, "the URL must be an http:// or https:// address"},
		{[]string{"tools", "add", "x", "--url", "http://h/", "--header", "Bad Name:secretvalue"}, `"Bad Name:…" is not one`},
		{[]string{"tools", "add", "x", "--command", "a", "--env", "1BAD=secretvalue"}, `"1BAD=…" is not one`},
		{[]string{"tools", "add", "x", "--command", `a "b`}, "unclosed quote"},
		{[]string{"tools", "add", "x", "--command", "  "}, "needs a command"},
		{[]string{"tools", "add", "all", "--command", "a"}, `"all" cannot name a tool server`},
		{[]string{"tools", "add", "a,b", "--command", "a"}, "may not hold a comma"},
		{[]string{"tools", "add", "dup", "--command", "a"}, "a tool server called dup already exists"},
		{[]string{"tools"}, "tools needs add, list or remove"},
		{[]string{"tools", "remove"}, "tools remove needs one NAME"},
	} {
		r := run(t, nil, "", append(c.args, "--data-dir", dir)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "secretvalue") {
			t.Errorf("%v: %d %q; want exit 2 saying %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

func TestToolsWithoutAKeychainSuggestEnvFromTheProcess(t *testing.T) {
	keyring.MockInitWithError(errNoService)
	defer keyring.MockInit()
	dir := t.TempDir()
	r := run(t, nil, "", "tools", "add", "local", "--data-dir", dir, "--command", "srv", "--env", "TOKEN=abc123")
	if r.code != 2 || !strings.Contains(r.stderr, "no keychain is available in this session") || !strings.Contains(r.stderr, "leave out the value (K alone)") {
		t.Fatalf("add --env K=V without a keychain: %d %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "tools", "add", "local", "--data-dir", dir, "--command", "srv", "--env", "TOKEN"); r.code != 0 {
		t.Fatalf("add --env K without a keychain: %d %q", r.code, r.stderr)
	}
}

func TestSplitCommand(t *testing.T) {
	got, err := tools.SplitCommand(`npx -y "@scope/server x" 'a b' c\ d ""`)
	want := []string{"npx", "-y", "@scope/server x", "a b", "c d", ""}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("splitCommand = %q, %v; want %q", got, err, want)
	}
}
