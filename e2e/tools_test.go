package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deskchat/store"
	"deskchat/tools"
)

// everythingCLI is the reference MCP server, @modelcontextprotocol/server-everything
// (version pinned in e2e/package-lock.json), installed with aimock.
const everythingCLI = "node_modules/@modelcontextprotocol/server-everything/dist/index.js"

// TestToolsAgainstTheReferenceServer adds the reference server with
// deskchat tools add, lists it with tools list --json (which starts it over
// stdio and asks for its tools), calls its echo through package tools, and
// removes it.
func TestToolsAgainstTheReferenceServer(t *testing.T) {
	script, err := filepath.Abs(everythingCLI)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("@modelcontextprotocol/server-everything is not installed; run 'make test' (or 'npm ci --prefix e2e'): %v", err)
	}
	dir := t.TempDir()
	if r := deskchat(t, "tools", "add", "everything", "--data-dir", dir, "--command", "node "+script+" stdio"); r.code != 0 {
		t.Fatalf("tools add: %d %q", r.code, r.stderr)
	}
	r := deskchat(t, "tools", "list", "--json", "--data-dir", dir)
	var list []struct {
		Name, State, Sentence string
		Tools                 []struct{ Name, Function, Description string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != 0 {
		t.Fatalf("tools list --json: %d %v %q %q", r.code, err, r.stdout, r.stderr)
	}
	if len(list) != 1 || list[0].State != "connected" {
		t.Fatalf("list = %+v", list)
	}
	found := map[string]string{}
	for _, tl := range list[0].Tools {
		found[tl.Function] = tl.Description
	}
	if found["everything__echo"] != "Echoes back the input string" || found["everything__get-sum"] == "" {
		t.Fatalf("the reference server's tools: %v", found)
	}

	st, err := store.OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	servers, err := st.ToolServers()
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := tools.New(servers, tools.Options{})
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := m.Call(ctx, "everything", "echo", json.RawMessage(`{"message":"pier 7"}`))
	if err != nil || res.IsError || res.Text != "Echo: pier 7" {
		t.Fatalf("echo = %+v, %v", res, err)
	}
	res, err = m.Call(ctx, "everything", "get-sum", json.RawMessage(`{"a":"x"}`))
	if err != nil || !res.IsError {
		t.Fatalf("get-sum with bad arguments = %+v, %v; want an error result", res, err)
	}
	if r := deskchat(t, "tools", "remove", "everything", "--data-dir", dir); r.code != 0 || !strings.Contains(r.stderr, "Removed tool server everything.") {
		t.Fatalf("tools remove: %d %q", r.code, r.stderr)
	}
}
