package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// echoToolbox is a toolbox with one server "srv" and its tool "echo".
type echoToolbox struct {
	mu     sync.Mutex
	calls  []string
	closed bool
}

func (b *echoToolbox) Tools(context.Context, []string) ([]engine.ToolInfo, error) {
	return []engine.ToolInfo{{Server: "srv", Name: "echo", Description: "says it back"}}, nil
}

func (b *echoToolbox) Call(_ context.Context, server, tool string, args json.RawMessage) (engine.ToolResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, server+"/"+tool+" "+string(args))
	return engine.ToolResult{Text: "echo " + string(args)}, nil
}

func (b *echoToolbox) Close() error { b.closed = true; return nil }

func runTools(t *testing.T, tb engine.Toolbox, stdin string, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		EngineOptions: engine.Options{Simulator: engine.Simulator{Tokens: 20}}}
	if tb != nil {
		env.Toolbox = func(*store.Store) engine.Toolbox { return tb }
	}
	code := Main(append([]string{"--data-dir", t.TempDir()}, args...), env)
	return runResult{code, out.String(), errb.String()}
}

// ask --tools --yes runs the tool the model calls, and the answer quotes
// its result; stderr says what was used; show --json lists the call.
func TestAskWithToolsAndYesRunsThem(t *testing.T) {
	tb := &echoToolbox{}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		Toolbox: func(*store.Store) engine.Toolbox { return tb }}
	code := Main([]string{"--data-dir", dir, "ask", "--provider", engine.SimulatorName, "--tools", "srv", "--yes", `use echo {"text":"harbor"}`}, env)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if len(tb.calls) != 1 || tb.calls[0] != `srv/echo {"text":"harbor"}` || !tb.closed {
		t.Errorf("calls %v, closed %v", tb.calls, tb.closed)
	}
	if !strings.Contains(out.String(), `echo {"text":"harbor"}`) {
		t.Errorf("stdout %q", out.String())
	}
	if !strings.Contains(errb.String(), "used srv/echo · ") {
		t.Errorf("stderr %q", errb.String())
	}
	out.Reset()
	if code := Main([]string{"--data-dir", dir, "list", "--json"}, env); code != 0 {
		t.Fatal("list failed")
	}
	var convs []struct{ ID string }
	json.Unmarshal(out.Bytes(), &convs)
	out.Reset()
	if code := Main([]string{"--data-dir", dir, "show", "--json", convs[0].ID}, env); code != 0 {
		t.Fatalf("show failed: %s", errb.String())
	}
	var msgs []struct {
		Role  string          `json:"role"`
		Tools []store.ToolUse `json:"tools"`
	}
	if err := json.Unmarshal(out.Bytes(), &msgs); err != nil {
		t.Fatal(err)
	}
	if u := msgs[1].Tools; len(u) != 1 || u[0].Server != "srv" || u[0].Tool != "echo" || u[0].Result != `echo {"text":"harbor"}` || u[0].CallID == "" {
		t.Errorf("show --json: %#v", msgs[1])
	}
	out.Reset()
	Main([]string{"--data-dir", dir, "show", convs[0].ID}, env)
	if !strings.Contains(out.String(), `[used srv/echo with {"text":"harbor"} · `) {
		t.Errorf("show: %q", out.String())
	}
}

// Without --yes and without a terminal, no tool runs and stderr says why;
// the answer goes on.
func TestAskWithoutATerminalRunsNoTool(t *testing.T) {
	tb := &echoToolbox{}
	r := runTools(t, tb, "", "ask", "--provider", engine.SimulatorName, "--tools", "all", "use echo")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if len(tb.calls) != 0 {
		t.Errorf("ran %v", tb.calls)
	}
	if !strings.Contains(r.stderr, "srv/echo did not run: there is no terminal to ask whether it may, and --yes was not given.") || !strings.Contains(r.stderr, "tool srv/echo declined") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// The flags' mistakes are usage errors; --tools without tool servers is a
// sentence.
func TestAskToolFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		tb   engine.Toolbox
		code int
		says string
	}{
		{[]string{"--yes"}, &echoToolbox{}, ExitUsage, "--yes goes with --tools"},
		{[]string{"--tools", " , "}, &echoToolbox{}, ExitUsage, "--tools needs the names of tool servers"},
		{[]string{"--tools", "all,srv"}, &echoToolbox{}, ExitUsage, "--tools all stands alone"},
		{[]string{"--tools", "srv"}, nil, ExitFailure, "No tool servers are set up"},
	} {
		r := runTools(t, c.tb, "", append([]string{"ask", "--provider", engine.SimulatorName, "hello"}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.says) {
			t.Errorf("%v: exit %d, %q; want %d, %q", c.args, r.code, r.stderr, c.code, c.says)
		}
	}
	if got, _ := toolServers("a, b,,c"); strings.Join(got, "|") != "a|b|c" {
		t.Errorf("parsed %v", got)
	}
}

// The decisions: --yes allows every call; a terminal asks (y, a, anything
// else, end of input); without either nothing runs and stderr says why,
// once per tool.
func TestApprover(t *testing.T) {
	req := engine.ToolRequest{Server: "srv", Tool: "echo", Arguments: json.RawMessage(`{"a": 1}`)}
	ctx := context.Background()
	if d := approver(true, strings.NewReader(""), io.Discard, false)(ctx, req); d != engine.AllowToolOnce {
		t.Errorf("--yes: %v", d)
	}
	var errb bytes.Buffer
	ask := approver(false, strings.NewReader("y\nA\nno\n"), &errb, true)
	want := []engine.ToolDecision{engine.AllowToolOnce, engine.AllowToolAlways, engine.DenyTool, engine.DenyTool}
	for i, w := range want {
		if d := ask(ctx, req); d != w {
			t.Errorf("answer %d: %v, want %v", i, d, w)
		}
	}
	if !strings.Contains(errb.String(), `The assistant wants to run srv/echo with {"a": 1}. Allow? [y/N/a(lways)] `) {
		t.Errorf("asked %q", errb.String())
	}
	// A stop while asking declines and returns.
	pr, pw := io.Pipe()
	defer pw.Close()
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if d := approver(false, pr, io.Discard, true)(stopped, req); d != engine.DenyTool {
		t.Errorf("stopped: %v", d)
	}
	errb.Reset()
	refuse := approver(false, strings.NewReader(""), &errb, false)
	refuse(ctx, req)
	refuse(ctx, req)
	if d := refuse(ctx, req); d != engine.DenyTool || strings.Count(errb.String(), "did not run") != 1 {
		t.Errorf("no terminal: %v, %q", d, errb.String())
	}
}

// The servers "deskchat tools add" stored are the ones "ask --tools" runs:
// the in-repo MCP server over stdio, its echo called through MCP, and the
// answer quoting it; a server not set up is named, and the answer goes on.
func TestAskToolsRunsTheHistorysMCPServer(t *testing.T) {
	bin := mcpServer(t)
	dir := t.TempDir()
	env := map[string]string{"PATH": os.Getenv("PATH")}
	if r := run(t, env, "", "tools", "add", "local", "--data-dir", dir, "--command", bin); r.code != 0 {
		t.Fatalf("tools add: %d %q", r.code, r.stderr)
	}
	r := run(t, env, "", "ask", "--data-dir", dir, "--provider", engine.SimulatorName, "--tools", "local", "--yes", `use echo {"text":"harbor master"}`)
	if r.code != 0 {
		t.Fatalf("ask --tools: %d %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "harbor master") || !strings.Contains(r.stderr, "used local/echo · ") {
		t.Fatalf("stdout %q, stderr %q", r.stdout, r.stderr)
	}
	r = run(t, env, "", "ask", "--data-dir", dir, "--provider", engine.SimulatorName, "--tools", "nosuch", "--yes", "use echo")
	if r.code != 0 || !strings.Contains(r.stderr, `There is no tool server called "nosuch".`) {
		t.Fatalf("an unknown server: %d %q", r.code, r.stderr)
	}
}
