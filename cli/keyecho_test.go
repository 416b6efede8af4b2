package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// The end-to-end proof that keys never leave the keychain: a provider (or
// proxy) echoes the credential it got through every error path, and the key
// appears nowhere the user or a file can see it.

const (
	echoKey      = "sk-" + "test-ECHO-0123456789abcdefABCDEF" // split: a fake key, not one for secret scanners to flag
	echoAzureKey = "a0ECHO0123456789abcdef0123456789"         // no known shape: only the exact key finds it
	envEchoChild = "DESKCHAT_KEYECHO_CHILD"                   // "1" in the child process
	envEchoArgs  = "DESKCHAT_KEYECHO_ARGS"                    // the child's deskchat arguments, as a JSON array
)

// TestKeyEchoChild is the child process: it runs deskchat with the
// arguments in DESKCHAT_KEYECHO_ARGS on the process's real stdout and
// stderr, and exits with its code. It does nothing when
// DESKCHAT_KEYECHO_CHILD is unset.
func TestKeyEchoChild(t *testing.T) {
	if os.Getenv(envEchoChild) != "1" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(envEchoArgs)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "keyecho child:", err)
		os.Exit(3)
	}
	if code := Main(args, Env{Stdin: strings.NewReader(""), Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}); code != 0 {
		os.Exit(code)
	}
}

// runChild runs deskchat args in a child process (this test binary as
// deskchat), with ECHO_KEY set to key, and returns its exit code and
// output.
func runChild(t *testing.T, key string, args ...string) runResult {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeyEchoChild$", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENAI_API_KEY=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, envEchoChild+"=1", envEchoArgs+"="+string(a), "ECHO_KEY="+key)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("child: %v", err)
	}
	// The test binary adds its own verdict on success ("PASS"); the
	// command's output is what precedes it.
	return runResult{code, strings.TrimSuffix(out.String(), "PASS\n"), errb.String()}
}

func credential(r *http.Request) string {
	if v := r.Header.Get("Authorization"); v != "" {
		return v
	}
	return r.Header.Get("api-key")
}

func jsonQ(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }

func errorBody(status int, retryAfter string, body func(cred string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body(credential(r)))
	}
}

func streamBody(body func(cred string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, body(credential(r)))
	}
}

// noKeyIn fails when text holds key, a 12-character piece of it, or its
// URL-encoded form.
func noKeyIn(t *testing.T, what, text, key string) {
	t.Helper()
	for i := 0; i+12 <= len(key); i += 4 {
		if strings.Contains(text, key[i:i+12]) {
			t.Errorf("%s holds the key: %.500q", what, text)
			return
		}
	}
	if strings.Contains(text, url.QueryEscape(key)) {
		t.Errorf("%s holds the URL-encoded key: %.500q", what, text)
	}
}

// TestAnEchoedKeyIsNowhereTheUserOrAFileCanSee: for each way a provider
// echoes the credential, `deskchat ask` (a child process running the real
// command) fails with one sentence, and the key is in neither its stdout
// nor its stderr, nor in `show --json`, nor in any export format, nor in
// the history file's raw bytes once every command has closed it.
func TestAnEchoedKeyIsNowhereTheUserOrAFileCanSee(t *testing.T) {
	cases := []struct {
		name    string
		kind    string
		retries string
		handler http.HandlerFunc
	}{
		{"400 body", store.KindCompatible, "0", errorBody(400, "", func(c string) string {
			return `{"error":{"message":"Invalid Authorization header: ` + jsonQ(c) + `"}}`
		})},
		{"400 body, Azure api-key", store.KindAzure, "0", errorBody(400, "", func(c string) string {
			return `{"error":{"code":"401","message":"Access denied: api-key ` + jsonQ(c) + ` is not valid for ` + strings.Repeat("this resource ", 20) + `"}}`
		})},
		{"429 body with Retry-After", store.KindCompatible, "0", errorBody(429, "1", func(c string) string {
			return `{"error":{"message":"Rate limit reached for ` + jsonQ(c) + `"}}`
		})},
		{"500 body after a retry", store.KindCompatible, "1", errorBody(500, "", func(c string) string {
			return `{"error":{"message":"upstream said: bad key ` + jsonQ(url.QueryEscape(c)) + `"}}`
		})},
		{"error string body", store.KindCompatible, "0", errorBody(400, "", func(c string) string {
			return `{"error":"rejected ` + jsonQ(c) + `"}`
		})},
		{"HTML error page", store.KindCompatible, "0", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, "<html><body>Forbidden for %s</body></html>", credential(r))
		}},
		{"mid-stream error object", store.KindCompatible, "0", streamBody(func(c string) string {
			return "data: {\"choices\":[{\"delta\":{\"content\":\"partial answer\"}}]}\n\n" +
				`data: {"error":{"message":"key ` + jsonQ(c) + ` revoked mid-answer"}}` + "\n\n"
		})},
		{"event: error (Groq), Azure api-key", store.KindAzure, "0", streamBody(func(c string) string {
			return "data: {\"choices\":[{\"delta\":{\"content\":\"partial answer\"}}]}\n\n" +
				"event: error\n" + `data: {"error":{"message":"Invalid API Key: ` + jsonQ(c) + `"}}` + "\n\n"
		})},
		{"error after finish_reason (OpenRouter)", store.KindCompatible, "0", streamBody(func(c string) string {
			return "data: {\"choices\":[{\"delta\":{\"content\":\"partial answer\"},\"finish_reason\":\"stop\"}]}\n\n" +
				`data: {"choices":[],"error":{"message":"Provider returned error","metadata":{"raw":"` + jsonQ(c) + `"}}}` + "\n\n"
		})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := echoKey
			if c.kind == store.KindAzure {
				key = echoAzureKey
			}
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			dir := t.TempDir()
			r := run(t, nil, "", "providers", "add", "echo", "--data-dir", dir, "--kind", c.kind, "--base-url", srv.URL+"/v1",
				"--model", "m", "--key-env", "ECHO_KEY", "--max-retries", c.retries)
			if r.code != 0 {
				t.Fatalf("providers add: %d %q", r.code, r.stderr)
			}

			r = runChild(t, key, "ask", "--data-dir", dir, "--provider", "echo", "hello")
			if r.code != ExitFailure || strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
				t.Errorf("ask: exit %d, stderr %q; want exit %d and a sentence", r.code, r.stderr, ExitFailure)
			}
			noKeyIn(t, "ask's stderr", r.stderr, key)
			noKeyIn(t, "ask's stdout", r.stdout, key)

			assertNoKeyLeftBehind(t, dir, key, true)
		})
	}
}

// assertNoKeyLeftBehind checks show --json, every export format and the
// history file's raw bytes in dir; failed says a failed answer must be
// stored (with its error).
func assertNoKeyLeftBehind(t *testing.T, dir, key string, failed bool) {
	t.Helper()
	r := run(t, nil, "", "list", "--json", "--data-dir", dir)
	var convs []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &convs); err != nil {
		t.Fatalf("list --json: %v %q", err, r.stdout)
	}
	if failed {
		if len(convs) != 1 {
			t.Fatalf("%d conversations, want 1", len(convs))
		}
		r = run(t, nil, "", "show", convs[0].ID, "--json", "--data-dir", dir)
		if r.code != 0 || !strings.Contains(r.stdout, `"failed"`) {
			t.Errorf("show: %d %q; want the failed answer", r.code, r.stdout)
		}
		noKeyIn(t, "show --json", r.stdout+r.stderr, key)
	}
	for _, format := range []string{"json", "md", "html"} {
		r = run(t, nil, "", "export", "--format", format, "--data-dir", dir)
		if r.code != 0 {
			t.Errorf("export --format %s: %d %q", format, r.code, r.stderr)
		}
		noKeyIn(t, "export --format "+format, r.stdout+r.stderr, key)
	}
	raw, err := os.ReadFile(filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	noKeyIn(t, "the history file", string(raw), key)
}

// TestAKeyCommandThatPrintsTheKeyAndFailsShowsNoKey: a key command that
// writes the key to stderr (and stdout) and fails: ask says the command
// failed, in one sentence without the key, and nothing is stored.
func TestAKeyCommandThatPrintsTheKeyAndFailsShowsNoKey(t *testing.T) {
	for _, key := range []string{echoKey, "Vh7Tq2Lm9Xw4Rz8Kp3Nb6Yc1"} { // a known shape, and none
		srv := newChatServer(t, "never asked")
		dir := t.TempDir()
		// The command reads the key from the environment: the command
		// itself is stored with the provider.
		command := `echo "$ECHO_KEY"; echo "helper: token $ECHO_KEY refused" >&2; exit 7`
		r := run(t, nil, "", "providers", "add", "cmd", "--data-dir", dir, "--base-url", srv.URL, "--model", "m", "--key-command", command)
		if r.code != 0 {
			t.Fatalf("providers add: %d %q", r.code, r.stderr)
		}
		r = runChild(t, key, "ask", "--data-dir", dir, "--provider", "cmd", "hello")
		if r.code != ExitFailure || !strings.Contains(r.stderr, "The key command failed (exit status 7): helper: token [redacted] refused.") {
			t.Errorf("ask: exit %d, stderr %q", r.code, r.stderr)
		}
		noKeyIn(t, "ask's stderr", r.stderr, key)
		noKeyIn(t, "ask's stdout", r.stdout, key)
		if got := authsSeen(srv); len(got) != 0 {
			t.Errorf("the provider was asked %d times", len(got))
		}
		assertNoKeyLeftBehind(t, dir, key, false)
	}
}
