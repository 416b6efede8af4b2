package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// serverBin is the in-repo MCP server (internal/testserver), built once.
var serverBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deskchat-tools-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBin = filepath.Join(dir, "testserver")
	if out, err := exec.Command("go", "build", "-o", serverBin, "./internal/testserver").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build testserver: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// secretsMap is a keychain in memory.
func secretsMap(kv map[string]string) func(context.Context, string) (string, error) {
	return func(_ context.Context, key string) (string, error) {
		if v, ok := kv[key]; ok {
			return v, nil
		}
		return "", errors.New("not found")
	}
}

func manager(t *testing.T, opts Options, servers ...store.ToolServer) *Manager {
	t.Helper()
	if opts.Secret == nil {
		opts.Secret = secretsMap(nil)
	}
	m := New(servers, opts)
	t.Cleanup(func() { m.Close() })
	return m
}

func stdio(name string, args ...string) store.ToolServer {
	return store.ToolServer{Name: name, Command: serverBin, Args: args}
}

func call(t *testing.T, m *Manager, server, tool, args string) engine.ToolResult {
	t.Helper()
	res, err := m.Call(context.Background(), server, tool, json.RawMessage(args))
	if err != nil {
		t.Fatalf("Call(%s, %s): %v", server, tool, err)
	}
	return res
}

func TestToolsListsEnabledToolsAndLeavesDisabledOut(t *testing.T) {
	ts := stdio("local", "-hidden")
	ts.Disabled = []string{"hidden_tool"}
	m := manager(t, Options{}, ts)
	if st := m.State("local"); st.Status != Idle {
		t.Fatalf("before use: %+v; want not started", st)
	}
	infos, err := m.Tools(context.Background(), []string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]engine.ToolInfo{}
	for _, ti := range infos {
		byName[ti.Name] = ti
	}
	echo, ok := byName["echo"]
	if !ok || echo.Server != "local" || echo.Description != "Returns its text." || !strings.Contains(string(echo.Schema), `"text"`) {
		t.Fatalf("echo = %+v (ok %v)", echo, ok)
	}
	if _, ok := byName["hidden_tool"]; ok {
		t.Fatal("a disabled tool was offered")
	}
	st := m.State("local")
	if st.Status != Connected || len(st.Tools) != len(infos)+1 {
		t.Fatalf("state = %s with %d tools; want connected with %d (disabled included)", st.Status, len(st.Tools), len(infos)+1)
	}
	if res := call(t, m, "local", "hidden_tool", `{}`); !res.IsError || !strings.Contains(res.Text, "turned off") {
		t.Fatalf("disabled tool call = %+v", res)
	}
	if !m.SetDisabled("local", []string{"echo"}) || m.SetDisabled("nowhere", nil) {
		t.Fatal("SetDisabled found the wrong servers")
	}
	infos, _ = m.Tools(context.Background(), []string{"local"})
	for _, ti := range infos {
		if ti.Name == "echo" {
			t.Fatal("echo was offered after SetDisabled")
		}
	}
	if res := call(t, m, "local", "hidden_tool", `{}`); res.IsError || res.Text != "should not run" {
		t.Fatalf("hidden_tool enabled again = %+v", res)
	}
	if n := children(t); n != 1 {
		t.Fatalf("%d servers; SetDisabled must not restart", n)
	}
}

func TestCallEchoAndRefusals(t *testing.T) {
	m := manager(t, Options{}, stdio("local"))
	if res := call(t, m, "local", "echo", `{"text":"harbor"}`); res.IsError || res.Text != "harbor" {
		t.Fatalf("echo = %+v", res)
	}
	if res := call(t, m, "local", "echo", ``); res.IsError || res.Text != "" {
		t.Fatalf("echo without arguments = %+v", res)
	}
	for _, c := range []struct{ server, tool, args, want string }{
		{"nowhere", "echo", `{}`, `no tool server called "nowhere"`},
		{"local", "echo", `{"text":`, "not a JSON object"},
		{"local", "echo", `[1]`, "not a JSON object"},
		{"local", "no_such_tool", `{}`, "no_such_tool"},
	} {
		res := call(t, m, c.server, c.tool, c.args)
		if !res.IsError || !strings.Contains(res.Text, c.want) {
			t.Errorf("Call(%s, %s, %s) = %+v; want an error saying %q", c.server, c.tool, c.args, res, c.want)
		}
	}
	if _, err := m.Tools(context.Background(), []string{"nowhere"}); err == nil || !strings.Contains(err.Error(), `no tool server called "nowhere"`) {
		t.Fatalf("Tools(nowhere) error = %v", err)
	}
}

func TestBigResultIsCutWithANote(t *testing.T) {
	m := manager(t, Options{}, stdio("local"))
	res := call(t, m, "local", "big", `{"bytes":400000}`)
	if res.IsError || len(res.Text) > DefaultMaxResultBytes+200 || !strings.Contains(res.Text, "The result was cut here") {
		t.Fatalf("big result: %d bytes, error %v, ends %q", len(res.Text), res.IsError, res.Text[max(0, len(res.Text)-80):])
	}
	if !strings.HasPrefix(res.Text, "é") || strings.ContainsRune(res.Text, '\uFFFD') {
		t.Fatal("the cut split a character")
	}
}

func TestSlowCallTimesOutAndIsCancelled(t *testing.T) {
	m := manager(t, Options{CallTimeout: 300 * time.Millisecond}, stdio("local"))
	res := call(t, m, "local", "slow", `{}`)
	if !res.IsError || !strings.Contains(res.Text, "did not answer slow within") {
		t.Fatalf("slow = %+v", res)
	}
	waitFor(t, "the server to see the cancellation", func() bool { return strings.Contains(m.State("local").Stderr, "slow was cancelled") })
	if res := call(t, m, "local", "echo", `{"text":"still here"}`); res.Text != "still here" {
		t.Fatalf("after a timeout: %+v", res)
	}
}

func TestCancelEndsTheCallWithMCPCancellation(t *testing.T) {
	m := manager(t, Options{}, stdio("local"))
	call(t, m, "local", "echo", `{}`) // started
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := m.Call(ctx, "local", "slow", json.RawMessage(`{}`))
		done <- err
	}()
	waitFor(t, "the call to be running", func() bool { return strings.Contains(m.State("local").Stderr, "slow started") })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v; want context.Canceled", err)
	}
	waitFor(t, "the server to see the cancellation", func() bool { return strings.Contains(m.State("local").Stderr, "slow was cancelled") })
}

func TestCrashIsRestartedOnceWithASentence(t *testing.T) {
	m := manager(t, Options{}, stdio("local"))
	res := call(t, m, "local", "crash", `{}`)
	if !res.IsError || !strings.Contains(res.Text, "stopped during the call to crash (exit status 3)") || !strings.Contains(res.Text, "crashing as asked") {
		t.Fatalf("crash = %+v", res)
	}
	if st := m.State("local"); st.Status != Idle || !strings.Contains(st.Sentence, "restarted on its next use") {
		t.Fatalf("after a crash: %+v", st)
	}
	if res := call(t, m, "local", "echo", `{"text":"back"}`); res.Text != "back" {
		t.Fatalf("after the restart: %+v", res)
	}
	if st := m.State("local"); st.Status != Connected || !strings.Contains(st.Sentence, "was restarted") {
		t.Fatalf("restarted: %+v", st)
	}
	call(t, m, "local", "crash", `{}`)
	st := m.State("local")
	if st.Status != Failed || !strings.Contains(st.Sentence, "stopped again (exit status 3) and was not restarted") || !strings.Contains(st.Stderr, "crashing as asked") {
		t.Fatalf("after a second crash: %+v", st)
	}
	if res := call(t, m, "local", "echo", `{}`); !res.IsError || !strings.Contains(res.Text, "not restarted") {
		t.Fatalf("a failed server's call = %+v", res)
	}
}

func TestGarbageIsReportedNotHung(t *testing.T) {
	m := manager(t, Options{}, stdio("local"))
	res := call(t, m, "local", "garbage", `{}`)
	if !res.IsError || !strings.Contains(res.Text, "local") {
		t.Fatalf("garbage = %+v", res)
	}
	if res := call(t, m, "local", "echo", `{"text":"ok"}`); res.Text != "ok" {
		t.Fatalf("after garbage, restarted: %+v", res)
	}
}

func TestServersThatCannotStartSaySo(t *testing.T) {
	m := manager(t, Options{StartTimeout: 10 * time.Second},
		stdio("exits", "-exit"), stdio("garbage", "-garbage"),
		store.ToolServer{Name: "missing", Command: "/nonexistent/mcp-server"},
		store.ToolServer{Name: "secret", Command: serverBin, Env: []string{"TOKEN"}},
		store.ToolServer{Name: "fromenv", Command: serverBin, EnvFromProcess: []string{"DESKCHAT_TEST_UNSET_VAR"}},
		stdio("good"))
	infos, err := m.Tools(context.Background(), []string{"all"})
	if len(infos) == 0 || infos[0].Server != "good" {
		t.Fatalf("the good server's tools were not returned: %+v", infos)
	}
	for _, want := range []string{
		"exits stopped while starting (exit status 2). It said: testserver: told to exit",
		"garbage does not speak MCP on its output",
		"missing could not be started",
		"The value of TOKEN for secret cannot be read from the keychain",
		"DESKCHAT_TEST_UNSET_VAR is not set in deskchat's environment, and fromenv needs it",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Tools error = %v; want it to say %q", err, want)
		}
	}
	if st := m.State("exits"); st.Status != Failed || !strings.Contains(st.Stderr, "told to exit") {
		t.Fatalf("exits state = %+v", st)
	}
}

func TestAServerThatHangsAtStartIsGivenUpOn(t *testing.T) {
	m := manager(t, Options{StartTimeout: 200 * time.Millisecond}, stdio("hangs", "-hang"))
	res := call(t, m, "hangs", "echo", `{}`)
	if !res.IsError || !strings.Contains(res.Text, "hangs did not finish MCP's handshake within") {
		t.Fatalf("call to a hung server = %+v", res)
	}
	if st := m.State("hangs"); st.Status != Failed {
		t.Fatalf("state = %+v", st)
	}
}

func TestEnvComesFromTheKeychainAndTheProcess(t *testing.T) {
	ts := store.ToolServer{Name: "local", Command: serverBin, Env: []string{"MCP_TOKEN"}, EnvFromProcess: []string{"MCP_REGION"}}
	m := manager(t, Options{
		Secret: secretsMap(map[string]string{"mcp:local:env:MCP_TOKEN": "s3cret"}),
		Getenv: func(k string) string { return map[string]string{"MCP_REGION": "eu"}[k] },
	}, ts)
	if res := call(t, m, "local", "env", `{"text":"MCP_TOKEN"}`); res.Text != "s3cret" {
		t.Fatalf("MCP_TOKEN = %+v", res)
	}
	if res := call(t, m, "local", "env", `{"text":"MCP_REGION"}`); res.Text != "eu" {
		t.Fatalf("MCP_REGION = %+v", res)
	}
}

// alive lists the processes of group pgid that are not zombies.
func alive(t *testing.T, pgid int) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			out = append(out, e.Name())
		}
	}
	return out
}

// children counts this process's live children running the test server.
func children(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if exe, _ := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); len(f) > 1 && f[0] != "Z" && f[1] == strconv.Itoa(os.Getpid()) && exe == serverBin {
			n++
		}
	}
	return n
}

func pgidOf(t *testing.T, m *Manager, name string) int {
	t.Helper()
	s := m.server(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil || s.conn.proc == nil {
		t.Fatalf("%s is not running", name)
	}
	return s.conn.proc.cmd.Process.Pid
}

func TestCloseAndRemoveLeaveNoProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Fatalf("this test reads /proc: run it on Linux")
	}
	m := New([]store.ToolServer{stdio("a"), stdio("b")}, Options{Secret: secretsMap(nil)})
	for _, name := range []string{"a", "b"} {
		if res := call(t, m, name, "spawn", `{}`); res.IsError {
			t.Fatalf("spawn on %s: %+v", name, res)
		}
	}
	pa, pb := pgidOf(t, m, "a"), pgidOf(t, m, "b")
	if n := len(alive(t, pa)); n != 2 {
		t.Fatalf("group a has %d live processes; want the server and its child", n)
	}
	m.Remove("a")
	waitFor(t, "group a to be gone", func() bool { return len(alive(t, pa)) == 0 })
	if st := m.State("a"); !strings.Contains(st.Sentence, "no tool server") {
		t.Fatalf("a removed: %+v", st)
	}
	if len(alive(t, pb)) != 2 {
		t.Fatal("removing a touched b")
	}
	m.Close()
	waitFor(t, "group b to be gone", func() bool { return len(alive(t, pb)) == 0 })
	if res := call(t, m, "b", "echo", `{}`); !res.IsError {
		t.Fatalf("a call after Close ran: %+v", res)
	}
}

// waitFor waits up to 10 s for cond, checking it whenever a short ticker
// fires (what it waits for happens in another process).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestParallelCallsShareOneStart(t *testing.T) {
	m := manager(t, Options{}, stdio("local"))
	const n = 20
	type got struct {
		res engine.ToolResult
		err error
	}
	results := make(chan got, n)
	for i := range n {
		go func() {
			res, err := m.Call(context.Background(), "local", "echo", json.RawMessage(fmt.Sprintf(`{"text":"call %d"}`, i)))
			results <- got{res, err}
		}()
	}
	seen := map[string]bool{}
	for range n {
		g := <-results
		if g.err != nil || g.res.IsError {
			t.Fatalf("parallel call: %+v, %v", g.res, g.err)
		}
		seen[g.res.Text] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct answers; want %d", len(seen), n)
	}
	if n := children(t); n != 1 {
		t.Fatalf("%d server processes; want one started for all the calls", n)
	}
}
