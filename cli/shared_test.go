package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/remote"
	"github.com/deskchat/deskchat/store"
)

// fakeTools records what the window's tool manager is told.
type fakeTools struct {
	engine.Toolbox
	mu      sync.Mutex
	servers map[string]bool
}

func (f *fakeTools) Set(ts store.ToolServer) { f.mu.Lock(); f.servers[ts.Name] = true; f.mu.Unlock() }
func (f *fakeTools) Remove(name string)      { f.mu.Lock(); delete(f.servers, name); f.mu.Unlock() }
func (f *fakeTools) Servers() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.servers {
		out = append(out, n)
	}
	return out
}

// window is an open window without a window: a served history.
type window struct {
	shared    *Shared
	changed   int
	activated int
	mu        sync.Mutex
}

func (w *window) counts() (changed, activated int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed, w.activated
}

func serveWindow(t *testing.T) *window {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := &window{}
	w.shared = &Shared{DataDir: dir, Store: st, Tools: &fakeTools{servers: map[string]bool{}},
		Changed: func() { w.mu.Lock(); w.changed++; w.mu.Unlock() }}
	w.shared.Keys = &secrets.Resolver{Getenv: w.shared.Getenv}
	w.shared.Engine = engine.New(st, engine.Options{Keys: w.shared.Keys})
	ln, err := remote.Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := &remote.Server{Handler: Handler(w.shared), Activate: func() { w.mu.Lock(); w.activated++; w.mu.Unlock() }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	return w
}

// forward runs Main as the command line does (Forward) on w's history.
func (w *window) forward(t *testing.T, dir, stdin string, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"--data-dir", w.shared.DataDir}, args...), Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Forward: true, Dir: dir,
		GUI: func(string) int { t.Error("a second window opened"); return 1 },
	})
	return runResult{code, out.String(), errb.String()}
}

func TestCommandsRunInTheWindowOnItsHistory(t *testing.T) {
	w := serveWindow(t)
	r := w.forward(t, "", "", "ask", "--provider", engine.SimulatorName, "--quiet", "hello window")
	if r.code != ExitOK || r.stdout == "" {
		t.Fatalf("ask: %d %q %q", r.code, r.stdout, r.stderr)
	}
	convs, err := w.shared.Store.Conversations()
	if err != nil || len(convs) != 1 {
		t.Fatalf("the window's history has %d conversations (%v), want 1", len(convs), err)
	}
	// Once when the question was stored (the chat shows at once), once
	// when the answer ended.
	if changed, _ := w.counts(); changed != 2 {
		t.Fatalf("the window reloaded %d times after ask, want 2", changed)
	}
	if r := w.forward(t, "", "", "list"); r.code != ExitOK || !strings.Contains(r.stdout, "hello window") {
		t.Fatalf("list: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if changed, _ := w.counts(); changed != 2 {
		t.Fatal("list, which only reads, made the window reload")
	}
	// Completion of conversation ids reads the history: the window's.
	if r := w.forward(t, "", "", "__complete", "show", ""); r.code != ExitOK || !strings.Contains(r.stdout, convs[0].ID) {
		t.Fatalf("__complete show: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestRelativePathsAreTheCommandLines(t *testing.T) {
	w := serveWindow(t)
	work := t.TempDir()
	if r := w.forward(t, work, "", "export", "--out", "all.json"); r.code != ExitOK {
		t.Fatalf("export: %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(work, "all.json")); err != nil {
		t.Fatal(err)
	}
	if r := w.forward(t, work, "", "ask", "--provider", engine.SimulatorName, "--attach", "missing.png", "look"); r.code != ExitUsage || !strings.Contains(r.stderr, "missing.png") {
		t.Fatalf("ask --attach missing.png: %d %q", r.code, r.stderr)
	}
	if err := os.WriteFile(filepath.Join(work, "notes.md"), []byte("# notes\nthe pier is 7"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := w.forward(t, work, "", "ask", "--provider", engine.SimulatorName, "--attach", "notes.md", "summarise"); r.code != ExitOK {
		t.Fatalf("ask --attach notes.md: %d %q", r.code, r.stderr)
	}
}

func TestCommandsThatNeedTheFileAloneAreRefusedBesideTheWindow(t *testing.T) {
	w := serveWindow(t)
	for _, args := range [][]string{{"recover"}, {"backups", "restore", "x"}, {"check"}} {
		r := w.forward(t, "", "", args...)
		if r.code != ExitFailure || !strings.Contains(r.stderr, "close the deskchat window") {
			t.Errorf("%v: %d %q", args, r.code, r.stderr)
		}
	}
	// The window refuses them too, whoever asks.
	var errb bytes.Buffer
	code := Handler(w.shared)(context.Background(), remote.Request{Args: []string{"recover"}}, remote.Streams{Stdout: io.Discard, Stderr: &errb})
	if code != ExitFailure || !strings.Contains(errb.String(), "close the deskchat window") {
		t.Fatalf("recover in the window: %d %q", code, errb.String())
	}
}

func TestASecondDeskchatRaisesTheWindow(t *testing.T) {
	w := serveWindow(t)
	if r := w.forward(t, "", ""); r.code != ExitOK {
		t.Fatalf("deskchat: %d %q", r.code, r.stderr)
	}
	if _, activated := w.counts(); activated != 1 {
		t.Fatalf("activated %d times, want 1", activated)
	}
}

func TestHelpVersionAndCompletionRunHere(t *testing.T) {
	w := serveWindow(t)
	for _, args := range [][]string{{"--version"}, {"ask", "--help"}, {"completion", "bash"}, {"help"}} {
		if r := w.forward(t, "", "", args...); r.code != ExitOK || r.stdout == "" {
			t.Errorf("%v: %d %q", args, r.code, r.stderr)
		}
	}
	if changed, activated := w.counts(); changed+activated != 0 {
		t.Fatal("a local command reached the window")
	}
}

func TestWithoutAWindowTheCommandRunsHere(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := Main([]string{"--data-dir", dir, "ask", "--provider", engine.SimulatorName, "hi"},
		Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Forward: true})
	if code != ExitOK || out.Len() == 0 {
		t.Fatalf("ask: %d %q", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "deskchat.db")); err != nil {
		t.Fatalf("the command line did not open the history itself: %v", err)
	}
}

func TestToolsAddAndRemoveReachTheWindowsManager(t *testing.T) {
	w := serveWindow(t)
	if r := w.forward(t, "", "", "tools", "add", "files", "--command", "mcp-files --root ."); r.code != ExitOK {
		t.Fatalf("tools add: %d %q", r.code, r.stderr)
	}
	ft := w.shared.Tools.(*fakeTools)
	if got := ft.Servers(); len(got) != 1 || got[0] != "files" {
		t.Fatalf("the window's manager knows %v, want [files]", got)
	}
	if r := w.forward(t, "", "", "tools", "remove", "files"); r.code != ExitOK {
		t.Fatalf("tools remove: %d %q", r.code, r.stderr)
	}
	if got := ft.Servers(); len(got) != 0 {
		t.Fatalf("the window's manager still knows %v", got)
	}
}

func TestSharedGetenvPrefersTheWindowsThenTheNewestCommand(t *testing.T) {
	sh := &Shared{}
	t.Setenv("DESKCHAT_SHARED_TEST_WINDOW", "window")
	end1 := sh.lend(lookupIn([]string{"DESKCHAT_SHARED_TEST_WINDOW=cli", "K=first"}))
	end2 := sh.lend(lookupIn([]string{"K=second"}))
	if got := sh.Getenv("DESKCHAT_SHARED_TEST_WINDOW"); got != "window" {
		t.Fatalf("got %q, want the window's own", got)
	}
	if got := sh.Getenv("K"); got != "second" {
		t.Fatalf("got %q, want the newest command's", got)
	}
	end2()
	if got := sh.Getenv("K"); got != "first" {
		t.Fatalf("got %q after the newest ended", got)
	}
	end1()
	if got := sh.Getenv("K"); got != "" {
		t.Fatalf("got %q with no command running", got)
	}
}

// TestCommandsRunSideBySideInTheWindow: asks and lists from several
// command lines at once share the window's engine and history (-race).
func TestCommandsRunSideBySideInTheWindow(t *testing.T) {
	w := serveWindow(t)
	var wg sync.WaitGroup
	results := make([]runResult, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				results[i] = w.forward(t, "", "", "ask", "--provider", engine.SimulatorName, "--quiet", "question", strings.Repeat("x", i))
			} else {
				results[i] = w.forward(t, "", "", "list", "--json")
			}
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != ExitOK {
			t.Errorf("command %d: %d %q", i, r.code, r.stderr)
		}
	}
	if convs, _ := w.shared.Store.Conversations(); len(convs) != 4 {
		t.Fatalf("%d conversations, want 4", len(convs))
	}
}

// TestAStaleSocketIsNoWindow: the socket of a killed window is left; the
// command line opens the history itself.
func TestAStaleSocketIsNoWindow(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, remote.SocketName), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false) // as a killed window leaves it
	ln.Close()
	var out, errb bytes.Buffer
	code := Main([]string{"--data-dir", dir, "ask", "--provider", engine.SimulatorName, "hi"},
		Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Forward: true})
	if code != ExitOK || out.Len() == 0 {
		t.Fatalf("ask beside a stale socket: %d %q", code, errb.String())
	}
}

// TestANewKeyReachesTheWindowsEngine: the window's engine remembers
// keychain keys; "providers set-key" run through it makes it read the new
// one.
func TestANewKeyReachesTheWindowsEngine(t *testing.T) {
	keyring.MockInit()
	srv := newChatServer(t, "answered")
	w := serveWindow(t)
	if r := w.forward(t, "", "", "providers", "add", "vault", "--base-url", srv.URL, "--model", "m", "--key-source", "keychain"); r.code != ExitOK {
		t.Fatalf("add: %d %q", r.code, r.stderr)
	}
	for _, key := range []string{"sk-first", "sk-second"} {
		if r := w.forward(t, "", key+"\n", "providers", "set-key", "vault"); r.code != ExitOK {
			t.Fatalf("set-key: %d %q", r.code, r.stderr)
		}
		if r := w.forward(t, "", "", "ask", "--provider", "vault", "--no-cache", "hi"); r.code != ExitOK {
			t.Fatalf("ask: %d %q", r.code, r.stderr)
		}
	}
	if got := authsSeen(srv); len(got) != 2 || got[1] != "Bearer sk-second" {
		t.Fatalf("Authorization %q, want the second key last", got)
	}
}
