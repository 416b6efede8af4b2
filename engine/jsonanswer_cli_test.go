package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/deskchat/deskchat/cli"
	"github.com/deskchat/deskchat/store"
)

// The real command against a server that ignores "stream": true: the test
// binary runs itself again as "deskchat ask" (cli.Main, as the crash and
// import tests do) and what it prints is checked.

const (
	envAskChild = "DESKCHAT_JSONANSWER_CHILD" // "1" in the child process
	envAskArgs  = "DESKCHAT_JSONANSWER_ARGS"  // its deskchat arguments, as a JSON array
)

// TestHelperAskChild is the child process: it runs deskchat with the
// arguments in DESKCHAT_JSONANSWER_ARGS and exits with its code. It does
// nothing when DESKCHAT_JSONANSWER_CHILD is unset.
func TestHelperAskChild(t *testing.T) {
	if os.Getenv(envAskChild) != "1" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(envAskArgs)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "ask child:", err)
		os.Exit(3)
	}
	getenv := func(k string) string {
		if k == "OPENAI_API_KEY" {
			return "" // never send a real key to the test server
		}
		return os.Getenv(k)
	}
	if code := cli.Main(args, cli.Env{Stdin: strings.NewReader(""), Stdout: os.Stdout, Stderr: os.Stderr, Getenv: getenv}); code != 0 {
		os.Exit(code)
	}
}

type askRun struct {
	code           int
	stdout, stderr string
}

func askChild(t *testing.T, args ...string) askRun {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAskChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envAskChild+"=1", envAskArgs+"="+string(a))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("run the child: %v", err)
	}
	// The test binary adds its verdict ("PASS") after a success.
	return askRun{cmd.ProcessState.ExitCode(), strings.TrimSuffix(stdout.String(), "PASS\n"), stderr.String()}
}

func TestAskPrintsAJSONAnswer(t *testing.T) {
	const answer = "Paris is the capital of France.\n\n| a | b |\n|---|---|\n| 1 | 2 |"
	var streamAsked atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Stream bool `json:"stream"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		if req.Stream {
			streamAsked.Store(true)
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Path, "chat/completions") {
			q, _ := json.Marshal(answer)
			fmt.Fprintf(w, `{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`, q)
			return
		}
		io.WriteString(w, `{"data":[]}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	r := askChild(t, "ask", "--data-dir", dir, "--base-url", srv.URL, "--model", "m", "--quiet", "What is the capital of France?")
	if r.code != 0 || strings.TrimSpace(r.stdout) != answer {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if !streamAsked.Load() {
		t.Error("the request did not ask for a stream: the test proves nothing")
	}
	if strings.Contains(r.stderr, "closed the connection") {
		t.Errorf("stderr %q", r.stderr)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	convs, err := st.Conversations()
	if err != nil || len(convs) != 1 {
		t.Fatalf("%d conversations, %v", len(convs), err)
	}
	msgs, err := st.Messages(convs[0].ID)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	if a := msgs[1]; a.Content != answer || a.State != store.StateDone || a.Finish != "stop" || a.PromptTokens != 11 || a.OutputTokens != 7 {
		t.Errorf("stored %+v", a)
	}
}

func TestAskSaysWhatAJSONErrorSaid(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"error":{"message":"The model m is loading; try again in 20 s","type":"unavailable"}}`)
	}))
	defer srv.Close()
	r := askChild(t, "ask", "--data-dir", t.TempDir(), "--base-url", srv.URL, "--model", "m", "--quiet", "hi")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 1 || len(lines) != 1 || !strings.Contains(lines[0], "reported an error: The model m is loading; try again in 20 s") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
