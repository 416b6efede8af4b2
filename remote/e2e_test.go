package remote_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/deskchat/deskchat/cli"
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/remote"
	"github.com/deskchat/deskchat/store"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// deskchatBinary builds the real deskchat once per test binary.
func deskchatBinary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "deskchat-remote-e2e")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "deskchat")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/deskchat/deskchat").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}

// headless is a window without a window: remote.Serve with the real
// command-line handler on a real history and engine.
type headless struct {
	dir       string
	st        *store.Store
	eng       *engine.Engine
	changed   atomic.Int32
	activated atomic.Int32
}

func serveHeadless(tb testing.TB, opts engine.Options) *headless {
	tb.Helper()
	h := &headless{dir: tb.TempDir()}
	st, err := store.Open(h.dir)
	if err != nil {
		tb.Fatal(err)
	}
	shared := &cli.Shared{DataDir: h.dir, Store: st, Changed: func() { h.changed.Add(1) }}
	// As main.go does: keys named by variables come from the window's
	// environment, else the command line's.
	opts.Keys = &secrets.Resolver{Getenv: shared.Getenv}
	h.st, h.eng = st, engine.New(st, opts)
	shared.Engine, shared.Keys = h.eng, opts.Keys
	ln, err := remote.Listen(h.dir)
	if err != nil {
		tb.Fatal(err)
	}
	srv := &remote.Server{Handler: cli.Handler(shared), Activate: func() { h.activated.Add(1) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Serve: %v", err)
		}
		st.Close()
	})
	return h
}

// command is the real binary run on h's history from folder dir, with
// extra environment variables.
func (h *headless) command(tb testing.TB, dir string, extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.Command(deskchatBinary(tb), args...)
	cmd.Dir = dir
	env := []string{"DESKCHAT_DATA_DIR=" + h.dir}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DESKCHAT_") && !strings.HasSuffix(strings.SplitN(kv, "=", 2)[0], "_API_KEY") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, extraEnv...)
	return cmd
}

type result struct {
	code           int
	stdout, stderr string
}

func (h *headless) run(t *testing.T, dir, stdin string, extraEnv []string, args ...string) result {
	t.Helper()
	cmd := h.command(t, dir, extraEnv, args...)
	var out, errw bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errw
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errw.String()}
}

func (h *headless) conversations(t *testing.T) []store.Conversation {
	t.Helper()
	convs, err := h.st.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	return convs
}

// TestTheCommandLineRunsInTheWindow runs the real binary beside a serving
// process that holds the history: every command goes through it.
func TestTheCommandLineRunsInTheWindow(t *testing.T) {
	h := serveHeadless(t, engine.Options{})
	work := t.TempDir()

	// The history is held: a second process opening it would fail.
	if st, err := store.Open(h.dir); err == nil {
		st.Close()
		t.Fatal("the history opened beside the serving process; the test proves nothing")
	}

	r := h.run(t, work, "", nil, "list")
	if r.code != 0 {
		t.Fatalf("list: exit %d, stderr %q", r.code, r.stderr)
	}
	if h.changed.Load() != 0 {
		t.Fatal("list made the window reload")
	}

	r = h.run(t, work, "", nil, "ask", "--provider", engine.SimulatorName, "how do channels work?")
	if r.code != 0 || strings.TrimSpace(r.stdout) == "" {
		t.Fatalf("ask: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	convs := h.conversations(t)
	if len(convs) != 1 {
		t.Fatalf("%d conversations after ask, want 1", len(convs))
	}
	if h.changed.Load() == 0 {
		t.Fatal("ask did not make the window reload")
	}

	// Stdin goes to the window when the command reads it.
	r = h.run(t, work, "a question on stdin\n", nil, "ask", "--provider", engine.SimulatorName, "--conversation", convs[0].ID)
	if r.code != 0 || strings.TrimSpace(r.stdout) == "" {
		t.Fatalf("ask on stdin: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	msgs, err := h.st.Messages(convs[0].ID)
	if err != nil || len(msgs) != 4 || !strings.Contains(msgs[2].Content, "a question on stdin") {
		t.Fatalf("messages %d (%v); want the question from stdin third", len(msgs), err)
	}

	r = h.run(t, work, "", nil, "list", "--json")
	var listed []struct{ ID string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &listed) != nil || len(listed) != 1 || listed[0].ID != convs[0].ID {
		t.Fatalf("list --json: exit %d, stdout %q", r.code, r.stdout)
	}

	// Relative paths are the command line's.
	r = h.run(t, work, "", nil, "export", "--out", "all.json")
	if r.code != 0 {
		t.Fatalf("export: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(work, "all.json")); err != nil {
		t.Fatalf("export --out all.json did not write it in the command line's folder: %v", err)
	}
	fixture, err := os.ReadFile("../store/transfer/testdata/claude-minimal.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "claude.json"), fixture, 0o600); err != nil {
		t.Fatal(err)
	}
	r = h.run(t, work, "", nil, "import", "claude.json")
	if r.code != 0 {
		t.Fatalf("import: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if n := len(h.conversations(t)); n != 2 {
		t.Fatalf("%d conversations after the import, want 2; import said %q", n, r.stdout)
	}

	// A command that needs the file to itself says so.
	r = h.run(t, work, "", nil, "recover")
	if r.code != 1 || !strings.Contains(r.stderr, "close the deskchat window") {
		t.Fatalf("recover: exit %d, stderr %q", r.code, r.stderr)
	}

	// A usage error is the same as without a window.
	r = h.run(t, work, "", nil, "show")
	if r.code != 2 {
		t.Fatalf("show without an id: exit %d, stderr %q", r.code, r.stderr)
	}

	// --version runs here; a second deskchat raises the window.
	if r = h.run(t, work, "", nil, "--version"); r.code != 0 || !strings.HasPrefix(r.stdout, "deskchat") {
		t.Fatalf("--version: exit %d, stdout %q", r.code, r.stdout)
	}
	if r = h.run(t, work, "", nil); r.code != 0 || h.activated.Load() != 1 {
		t.Fatalf("deskchat: exit %d, stderr %q, activated %d", r.code, r.stderr, h.activated.Load())
	}
}

// TestATerminalIsNotReadBesideAPrompt: the window knows the command
// line's stdin is a terminal, so ask with a prompt does not wait for it
// (a read would wait for ever on the terminal nobody types at).
func TestATerminalIsNotReadBesideAPrompt(t *testing.T) {
	h := serveHeadless(t, engine.Options{})
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	cmd := h.command(t, t.TempDir(), nil, "ask", "--provider", engine.SimulatorName, "summarise this")
	var out, errw bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, &out, &errw
	if err := cmd.Run(); err != nil || out.Len() == 0 {
		t.Fatalf("ask on a terminal: %v, stdout %q, stderr %q", err, out.String(), errw.String())
	}
	msgs, err := h.st.Messages(h.conversations(t)[0].ID)
	if err != nil || msgs[0].Content != "summarise this" {
		t.Fatalf("the question is %q (%v)", msgs[0].Content, err)
	}
}

// TestTheKeyComesFromTheCommandLinesEnvironment: a key variable set only
// where the command is typed reaches the provider through the window.
func TestTheKeyComesFromTheCommandLinesEnvironment(t *testing.T) {
	var auth atomic.Value
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, `data: {"id":"1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hello from the provider"},"finish_reason":null}]}`+"\n\n")
		fmt.Fprint(w, `data: {"id":"1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	defer provider.Close()
	h := serveHeadless(t, engine.Options{})
	r := h.run(t, t.TempDir(), "", []string{"REMOTE_TEST_KEY=sk-from-the-shell"},
		"ask", "--base-url", provider.URL+"/v1", "--model", "m", "--api-key-env", "REMOTE_TEST_KEY", "hi")
	if r.code != 0 || !strings.Contains(r.stdout, "hello from the provider") {
		t.Fatalf("ask: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if got, _ := auth.Load().(string); got != "Bearer sk-from-the-shell" {
		t.Fatalf("the provider got Authorization %q", got)
	}
}

// TestCtrlCStopsTheAskInTheWindow interrupts a streaming ask: the window
// stops it, keeps the partial answer, and the command line exits 130.
func TestCtrlCStopsTheAskInTheWindow(t *testing.T) {
	h := serveHeadless(t, engine.Options{Simulator: engine.Simulator{TokensPerSecond: 20}})
	cmd := h.command(t, t.TempDir(), nil, "ask", "--provider", engine.SimulatorName, "tell me a long story")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errw bytes.Buffer
	cmd.Stderr = &errw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(stdout)
	if _, err := br.ReadByte(); err != nil { // the first token has arrived
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGINT)
	rest, _ := io.ReadAll(br)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130; stderr %q", err, errw.String())
	}
	if !strings.Contains(errw.String(), "partial answer is saved") {
		t.Fatalf("stderr %q", errw.String())
	}
	convs := h.conversations(t)
	msgs, err := h.st.Messages(convs[0].ID)
	if err != nil || len(msgs) != 2 || msgs[1].State != store.StateStopped {
		t.Fatalf("messages %+v (%v), want the answer stopped", msgs, err)
	}
	if len(rest) == 0 && msgs[1].Content == "" {
		t.Fatal("no partial answer")
	}
}

func p95(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)*95+99)/100-1]
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkCLIViaWindow times the real binary's "deskchat list" through a
// serving process (p95 of 30 runs), beside its floor, the same binary's
// "deskchat --version" (no history, no window).
func BenchmarkCLIViaWindow(b *testing.B) {
	h := serveHeadless(b, engine.Options{})
	for i := range 20 {
		conv, err := h.st.CreateConversation(store.Conversation{Title: fmt.Sprintf("chat %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		_ = conv
	}
	work := b.TempDir()
	timeRuns := func(args ...string) []time.Duration {
		var ds []time.Duration
		for range 30 {
			cmd := h.command(b, work, nil, args...)
			cmd.Stdout = io.Discard
			start := time.Now()
			if err := cmd.Run(); err != nil {
				b.Fatalf("deskchat %s: %v", strings.Join(args, " "), err)
			}
			ds = append(ds, time.Since(start))
		}
		return ds
	}
	timeRuns("--version") // warm the page cache
	for b.Loop() {
		version := timeRuns("--version")
		list := timeRuns("list")
		b.ReportMetric(ms(p95(list)), "cli_via_window_list_ms_p95@ms")
		b.ReportMetric(ms(p95(version)), "cli_version_ms_p95@ms")
	}
}

// firstWrite records when something was first written.
type firstWrite struct {
	once sync.Once
	at   time.Time
}

func (w *firstWrite) Write(p []byte) (int, error) {
	w.once.Do(func() { w.at = time.Now() })
	return len(p), nil
}

// BenchmarkAskViaWindowAddedLatency is what the socket adds to an ask's
// time to first token: the same ask on the same engine (Simulator), once
// through the socket and once in process, median of 30 each.
func BenchmarkAskViaWindowAddedLatency(b *testing.B) {
	h := serveHeadless(b, engine.Options{})
	args := []string{"ask", "--provider", engine.SimulatorName, "--no-cache", "--quiet", "what is a channel?"}
	shared := &cli.Shared{DataDir: h.dir, Store: h.st, Engine: h.eng}
	inProcess := func() time.Duration {
		var w firstWrite
		start := time.Now()
		if code := cli.Main(args, cli.Env{Shared: shared, Stdin: strings.NewReader(""), Stdout: &w, Stderr: io.Discard}); code != 0 {
			b.Fatalf("in process: exit %d", code)
		}
		return w.at.Sub(start)
	}
	viaSocket := func() time.Duration {
		var w firstWrite
		start := time.Now()
		conn, err := remote.Dial(h.dir)
		if err != nil {
			b.Fatal(err)
		}
		code, err := conn.Run(remote.Request{Args: args, Env: os.Environ()}, remote.IO{Stdin: strings.NewReader(""), Stdout: &w, Stderr: io.Discard})
		if err != nil || code != 0 {
			b.Fatalf("via the socket: exit %d, %v", code, err)
		}
		return w.at.Sub(start)
	}
	inProcess()
	viaSocket()
	for b.Loop() {
		var local, socket []time.Duration
		for range 30 {
			local = append(local, inProcess())
			socket = append(socket, viaSocket())
		}
		b.ReportMetric(ms(median(socket)-median(local)), "cli_via_window_ask_added_ms@ms")
		b.ReportMetric(ms(median(local)), "cli_ask_in_process_ttft_ms@ms")
	}
}
