package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/cli"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/tools"
)

// everythingCLI is the reference MCP server, @modelcontextprotocol/server-everything
// (version pinned in e2e/package-lock.json), installed with aimock.
const everythingCLI = "node_modules/@modelcontextprotocol/server-everything/dist/index.js"

// envToolsChild makes the test binary run deskchat's command line with the
// JSON arguments it holds, as the deskchat binary would (main calls
// cli.Main), and exit with its code.
const envToolsChild = "DESKCHAT_E2E_TOOLS_CHILD"

// TestToolsHelperChild is the deskchat process of the tools tests; it
// does nothing in a normal run.
func TestToolsHelperChild(t *testing.T) {
	enc := os.Getenv(envToolsChild)
	if enc == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(enc), &args); err != nil {
		os.Exit(3)
	}
	os.Exit(cli.Main(args, cli.Env{}))
}

// deskchatProcess runs deskchat's command line in its own process, a
// minute at most.
func deskchatProcess(t *testing.T, args ...string) result {
	t.Helper()
	enc, _ := json.Marshal(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestToolsHelperChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envToolsChild+"="+string(enc))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("deskchat %v: %v", args, err)
	}
	return r
}

// running lists the live processes whose command line holds s.
func running(t *testing.T, s string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) && !bytes.Contains(stat, []byte(") Z ")) {
			out = append(out, e.Name()+": "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return out
}

// TestToolsAgainstTheReferenceServer adds the reference server with
// deskchat tools add, lists it with tools list --json (which starts it over
// stdio and asks for its tools), each in a deskchat process of its own,
// checks that no server process outlived deskchat, calls its echo through
// package tools, and removes it.
func TestToolsAgainstTheReferenceServer(t *testing.T) {
	script, err := filepath.Abs(everythingCLI)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("@modelcontextprotocol/server-everything is not installed; run 'make test' (or 'npm ci --prefix e2e'): %v", err)
	}
	dir := t.TempDir()
	if r := deskchatProcess(t, "tools", "add", "everything", "--data-dir", dir, "--command", "node "+script+" stdio"); r.code != 0 {
		t.Fatalf("tools add: %d %q", r.code, r.stderr)
	}
	r := deskchatProcess(t, "tools", "list", "--json", "--data-dir", dir)
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
	if left := running(t, script); len(left) > 0 {
		t.Fatalf("the server outlived deskchat tools list: %q", left)
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
	if len(running(t, script)) == 0 {
		t.Fatal("the server is not seen running: the check of what outlived deskchat would prove nothing")
	}
	res, err = m.Call(ctx, "everything", "get-sum", json.RawMessage(`{"a":"x"}`))
	if err != nil || !res.IsError {
		t.Fatalf("get-sum with bad arguments = %+v, %v; want an error result", res, err)
	}
	if r := deskchatProcess(t, "tools", "remove", "everything", "--data-dir", dir); r.code != 0 || !strings.Contains(r.stderr, "Removed tool server everything.") {
		t.Fatalf("tools remove: %d %q", r.code, r.stderr)
	}
	m.Close()
	if left := running(t, script); len(left) > 0 {
		t.Fatalf("the server outlived Close: %q", left)
	}
}

// TestAskRunsAReferenceServerToolThroughAimock is the whole loop between
// independent parts: aimock (an OpenAI-compatible server from npm) asks for
// the reference MCP server's get-sum, deskchat ask --tools --yes runs it
// over stdio in a deskchat process of its own, sends the result back, and
// aimock answers from it. Without --yes and with no terminal to ask on, the
// tool does not run and stderr says why.
func TestAskRunsAReferenceServerToolThroughAimock(t *testing.T) {
	script, err := filepath.Abs(everythingCLI)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("@modelcontextprotocol/server-everything is not installed; run 'make test' (or 'npm ci --prefix e2e'): %v", err)
	}
	base := aimock(t, "tools.json")
	dir := t.TempDir()
	if r := deskchatProcess(t, "tools", "add", "everything", "--data-dir", dir, "--command", "node "+script+" stdio"); r.code != 0 {
		t.Fatalf("tools add: %d %q", r.code, r.stderr)
	}
	r := deskchatProcess(t, "ask", "--data-dir", dir, "--base-url", base+"/v1", "--model", "m", "--tools", "everything", "--yes", "add two and three")
	if r.code != 0 || r.stdout != "The tool says the sum is 5.\n" || !strings.Contains(r.stderr, "everything/get-sum") {
		t.Fatalf("ask --tools --yes: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if left := running(t, script); len(left) > 0 {
		t.Fatalf("the server outlived deskchat ask: %q", left)
	}
	a := lastAnswer(t, dir)
	if len(a.Tools) != 1 || a.Tools[0].Server != "everything" || a.Tools[0].Tool != "get-sum" || !strings.Contains(a.Tools[0].Result, "5") || a.Tools[0].IsError {
		t.Fatalf("stored tool uses: %+v", a.Tools)
	}

	dir2 := t.TempDir()
	if r := deskchatProcess(t, "tools", "add", "everything", "--data-dir", dir2, "--command", "node "+script+" stdio"); r.code != 0 {
		t.Fatalf("tools add: %d %q", r.code, r.stderr)
	}
	r = deskchatProcess(t, "ask", "--data-dir", dir2, "--base-url", base+"/v1", "--model", "m", "--tools", "everything", "add two and three")
	if r.stdout != "The tool did not run.\n" || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("ask --tools without --yes nor a terminal: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if a := lastAnswer(t, dir2); len(a.Tools) != 1 || !a.Tools[0].Declined || a.Tools[0].TookMs != 0 {
		t.Fatalf("stored tool uses without --yes: %+v", a.Tools)
	}
}
