package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/deskchat/deskchat/store"
)

const envCLIChild = "DESKCHAT_CLI_CHILD" // the child's deskchat arguments, as a JSON array

// TestHelperCLIChild is deskchat in a child process with the process's own
// stdin, stdout and stderr: a real pipe, terminal or /dev/null on stdin.
func TestHelperCLIChild(t *testing.T) {
	raw := os.Getenv(envCLIChild)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		os.Exit(3)
	}
	os.Exit(Main(args, Env{}))
}

// childCmd is the command that runs deskchat args in a child process.
func childCmd(ctx context.Context, args ...string) *exec.Cmd {
	js, _ := json.Marshal(args)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperCLIChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCLIChild+"="+string(js))
	return cmd
}

// pipeChild runs deskchat args in a child process with stdin.
func pipeChild(t *testing.T, stdin io.Reader, args ...string) runResult {
	t.Helper()
	// A bound for a child that would wait on stdin for ever; the
	// assertions, not this, are the test.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := childCmd(ctx, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%q did not end: it waited on stdin? stderr %q", args, errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return runResult{code, out.String(), errb.String()}
}

// repeatReader yields n bytes of text.
func repeatReader(n int64) io.Reader {
	line := strings.Repeat("the quick brown fox jumps over the lazy dog ", 23) + "\n"
	return io.LimitReader(&loop{s: line}, n)
}

type loop struct {
	s string
	i int
}

func (l *loop) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.s[l.i:])
		n += c
		l.i = (l.i + c) % len(l.s)
	}
	return n, nil
}

// TestPipedTextFollowsThePrompt: cat notes.txt | deskchat ask "summarise
// this" sends the prompt, a blank line and the notes.
func TestPipedTextFollowsThePrompt(t *testing.T) {
	srv := newChatServer(t, "A summary.")
	dir := t.TempDir()
	ask := []string{"ask", "summarise this", "--base-url", srv.URL, "--model", "m", "--data-dir", dir}

	r := run(t, nil, "line one\nline two\n", ask...)
	if q, _ := lastQuestion(t, srv); r.code != ExitOK || q != "summarise this\n\nline one\nline two\n" {
		t.Fatalf("sent %q (%d %q)", q, r.code, r.stderr)
	}
	// The stored question is what was sent.
	r = run(t, nil, "", "list", "--json", "--data-dir", dir)
	var convs []map[string]any
	json.Unmarshal([]byte(r.stdout), &convs)
	r = run(t, nil, "", "show", "--json", convs[0]["id"].(string), "--data-dir", dir)
	if !strings.Contains(r.stdout, `"content": "summarise this\n\nline one\nline two\n"`) {
		t.Errorf("stored: %s", r.stdout)
	}
	// An empty or blank pipe adds nothing.
	for _, blank := range []string{"", " \n\t\n"} {
		r = run(t, nil, blank, ask...)
		if q, _ := lastQuestion(t, srv); r.code != ExitOK || q != "summarise this" {
			t.Errorf("with %q piped, sent %q", blank, q)
		}
	}
	// The prompt from stdin alone, as before.
	r = run(t, nil, "only the pipe", "ask", "--base-url", srv.URL, "--model", "m", "--data-dir", dir)
	if q, _ := lastQuestion(t, srv); r.code != ExitOK || q != "only the pipe" {
		t.Errorf("stdin prompt: sent %q", q)
	}
}

// TestTooMuchOrBinaryOnStdinSendsAndStoresNothing: 50 MB, or a binary file,
// gets one sentence and exit 2; the server sees nothing and no folder or
// history is made.
func TestTooMuchOrBinaryOnStdinSendsAndStoresNothing(t *testing.T) {
	srv := newChatServer(t, "never")
	for _, c := range []struct {
		name  string
		stdin func() io.Reader
		args  []string
		want  string
	}{
		{"50 MB with a prompt", func() io.Reader { return repeatReader(50 << 20) }, []string{"summarise this"}, "over 8 MB"},
		{"50 MB as the prompt", func() io.Reader { return repeatReader(50 << 20) }, nil, "over 8 MB"},
		{"a PNG", func() io.Reader { return strings.NewReader("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") }, []string{"describe"}, "not UTF-8 text"},
		{"NUL bytes", func() io.Reader { return strings.NewReader("text\x00more") }, []string{"read"}, "not UTF-8 text"},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		var out, errb bytes.Buffer
		code := Main(append([]string{"ask", "--base-url", srv.URL, "--model", "m", "--data-dir", dir}, c.args...), Env{
			Stdin: c.stdin(), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		if code != ExitUsage || strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), c.want) || !strings.Contains(errb.String(), "nothing was sent") {
			t.Errorf("%s: %d %q", c.name, code, errb.String())
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: the data folder was made (%v)", c.name, err)
		}
	}
	if n := srv.requests(); n != 0 {
		t.Errorf("the server saw %d requests", n)
	}
	// Exactly the cap is taken; a byte more is not.
	if s, err := readStdin(repeatReader(maxStdin)); err != nil || len(s) != maxStdin {
		t.Errorf("%d bytes: %d %v", maxStdin, len(s), err)
	}
	if _, err := readStdin(repeatReader(maxStdin + 1)); err == nil {
		t.Errorf("%d bytes were taken", maxStdin+1)
	}
}

// TestARealPipeATerminalAndDevNull: the child deskchat reads a real pipe
// beside the prompt, refuses 50 MB through one, and reads neither a
// terminal nor /dev/null (a terminal would wait for Ctrl-D).
func TestARealPipeATerminalAndDevNull(t *testing.T) {
	srv := newChatServer(t, "ok")
	dir := t.TempDir()
	ask := []string{"ask", "summarise this", "--base-url", srv.URL, "--model", "m", "--data-dir", dir}

	r := pipeChild(t, strings.NewReader("notes from a pipe\n"), ask...)
	if q, _ := lastQuestion(t, srv); r.code != ExitOK || q != "summarise this\n\nnotes from a pipe\n" {
		t.Fatalf("pipe: sent %q (%d %q)", q, r.code, r.stderr)
	}

	big := filepath.Join(t.TempDir(), "big")
	r = pipeChild(t, repeatReader(50<<20), "ask", "summarise this", "--base-url", srv.URL, "--model", "m", "--data-dir", big)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "over 8 MB") || srv.requests() != 1 {
		t.Errorf("50 MB pipe: %d %q, %d requests", r.code, r.stderr, srv.requests())
	}
	if _, err := os.Stat(big); !os.IsNotExist(err) {
		t.Errorf("50 MB pipe made %s", big)
	}

	r = pipeChild(t, nil, ask...) // exec's nil stdin is /dev/null
	if q, _ := lastQuestion(t, srv); r.code != ExitOK || q != "summarise this" {
		t.Errorf("/dev/null: sent %q (%d %q)", q, r.code, r.stderr)
	}

	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	r = pipeChild(t, tty, ask...)
	if q, _ := lastQuestion(t, srv); r.code != ExitOK || q != "summarise this" {
		t.Errorf("terminal: sent %q (%d %q)", q, r.code, r.stderr)
	}
	st, err := store.OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if convs, _ := st.Conversations(); len(convs) != 3 {
		t.Errorf("%d conversations stored, want 3 (the refused ask stores none)", len(convs))
	}
}
