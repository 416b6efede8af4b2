package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/engine/simulator"
	"github.com/deskchat/deskchat/store"
)

type runResult struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env map[string]string, stdin string, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, Env{
		Stdin:  strings.NewReader(stdin),
		Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] },
	})
	return runResult{code, out.String(), errb.String()}
}

// chatServer answers every chat request with the given text as SSE and
// records the Authorization headers it saw.
type chatServer struct {
	*httptest.Server
	mu     sync.Mutex
	auths  []string
	msgs   [][]any
	models []string
}

func newChatServer(t *testing.T, answer string) *chatServer {
	t.Helper()
	cs := &chatServer{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []any  `json:"messages"`
			Model    string `json:"model"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		cs.mu.Lock()
		cs.auths = append(cs.auths, r.Header.Get("Authorization"))
		cs.msgs = append(cs.msgs, body.Messages)
		cs.models = append(cs.models, body.Model)
		cs.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		for _, tok := range simulator.Tokenize(answer) {
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", tok)
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(cs.Close)
	return cs
}

func TestAskWithBaseURLAndNoStoredProvider(t *testing.T) {
	srv := newChatServer(t, "Four, as always.")
	dir := t.TempDir()
	env := map[string]string{"MY_KEY": "secret-1", "OPENAI_API_KEY": "secret-default"}

	r := run(t, env, "", "ask", "--data-dir", dir, "--base-url", srv.URL+"/v1", "--model", "tiny", "--api-key-env", "MY_KEY", "What is 2+2?")
	if r.code != 0 || r.stdout != "Four, as always.\n" {
		t.Fatalf("ask: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "How about 3+3?", "--data-dir", dir, "ask", "--base-url", srv.URL+"/v1", "--model", "tiny")
	if r.code != 0 {
		t.Fatalf("ask from stdin: %d %q", r.code, r.stderr)
	}
	if srv.auths[0] != "Bearer secret-1" || srv.auths[1] != "Bearer secret-default" {
		t.Errorf("keys sent: %q", srv.auths)
	}

	r = run(t, nil, "", "list", "--json", "--data-dir", dir)
	var convs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &convs); err != nil || r.code != 0 {
		t.Fatalf("list --json: %v %q", err, r.stdout)
	}
	if len(convs) != 2 || convs[0]["title"] != "How about 3+3?" || convs[1]["title"] != "What is 2+2?" {
		t.Fatalf("list: %v", convs)
	}
	for _, c := range convs {
		for _, k := range []string{"id", "title", "created_at"} {
			if _, ok := c[k]; !ok {
				t.Errorf("list --json lacks %q", k)
			}
		}
	}

	id := convs[1]["id"].(string)
	r = run(t, nil, "", "show", id, "--json", "--data-dir", dir)
	var msgs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &msgs); err != nil {
		t.Fatalf("show --json: %v %q", err, r.stdout)
	}
	if len(msgs) != 2 {
		t.Fatalf("show: %v", msgs)
	}
	want := []map[string]any{
		{"role": "user", "content": "What is 2+2?", "state": "done"},
		{"role": "assistant", "content": "Four, as always.", "state": "done", "model": "tiny", "provider": srv.URL + "/v1"},
	}
	for i, w := range want {
		for k, v := range w {
			if msgs[i][k] != v {
				t.Errorf("message %d %s = %v, want %v", i, k, msgs[i][k], v)
			}
		}
		if _, ok := msgs[i]["created_at"]; !ok {
			t.Errorf("message %d lacks created_at", i)
		}
	}

	r = run(t, nil, "", "--data-dir", dir, "show", id)
	if r.code != 0 || !strings.Contains(r.stdout, "# What is 2+2?") || !strings.Contains(r.stdout, "Four, as always.") {
		t.Errorf("show text: %q", r.stdout)
	}

	// Continuing a conversation sends its history.
	r = run(t, env, "", "ask", "--data-dir", dir, "--conversation", id, "--base-url", srv.URL+"/v1", "--model", "tiny", "And 5+5?")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	if n := len(srv.msgs[2]); n != 3 {
		t.Errorf("continued conversation sent %d messages, want 3", n)
	}
}

func TestAskFailuresExitOneWithOneSentence(t *testing.T) {
	unauthorized := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		w.Write([]byte(`{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}`))
	}))
	defer unauthorized.Close()
	dir := t.TempDir()
	r := run(t, nil, "", "ask", "--data-dir", dir, "--base-url", unauthorized.URL, "--model", "m", "hi")
	if r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "was rejected") {
		t.Errorf("stderr %q", r.stderr)
	}
	// The user message is kept and the answer marked failed.
	r = run(t, nil, "", "list", "--json", "--data-dir", dir)
	var convs []map[string]any
	json.Unmarshal([]byte(r.stdout), &convs)
	if len(convs) != 1 {
		t.Fatalf("conversations %v", convs)
	}
	r = run(t, nil, "", "show", "--json", "--data-dir", dir, convs[0]["id"].(string))
	var msgs []map[string]any
	json.Unmarshal([]byte(r.stdout), &msgs)
	if len(msgs) != 2 || msgs[0]["content"] != "hi" || msgs[1]["state"] != "failed" {
		t.Errorf("stored %v", msgs)
	}
}

func TestAskWithStoredProvidersAndSimulator(t *testing.T) {
	srv := newChatServer(t, "stored provider answer")
	dir := t.TempDir()
	env := map[string]string{"LOCAL_KEY": "k"}
	if r := run(t, env, "", "providers", "add", "local", "--data-dir", dir, "--kind", "compatible", "--base-url", srv.URL, "--model", "llama", "--key-env", "LOCAL_KEY"); r.code != 0 {
		t.Fatalf("add: %d %q", r.code, r.stderr)
	}
	r := run(t, env, "", "ask", "--data-dir", dir, "ping")
	if r.code != 0 || r.stdout != "stored provider answer\n" {
		t.Fatalf("ask via default provider: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if srv.auths[0] != "Bearer k" {
		t.Errorf("auth %q", srv.auths[0])
	}
	r = run(t, env, "", "ask", "--data-dir", dir, "--provider", engine.SimulatorName, "hello")
	if r.code != 0 || r.stdout != engine.SimulatedMarkdown("hello", 300)+"\n" {
		t.Fatalf("simulator: %d %q", r.code, r.stderr)
	}

	r = run(t, nil, "", "providers", "list", "--json", "--data-dir", dir)
	var ps []map[string]any
	json.Unmarshal([]byte(r.stdout), &ps)
	if len(ps) != 1 || ps[0]["name"] != "local" || ps[0]["key_env"] != "LOCAL_KEY" || ps[0]["default"] != true {
		t.Fatalf("providers list: %v", ps)
	}
	if r := run(t, nil, "", "providers", "list", "--data-dir", dir); !strings.Contains(r.stdout, simulator.Label) || strings.Contains(r.stdout, "k\n") {
		t.Errorf("providers list text: %q", r.stdout)
	}
	if r := run(t, nil, "", "providers", "remove", "local", "--data-dir", dir); r.code != 0 {
		t.Fatalf("remove: %q", r.stderr)
	}
	if r := run(t, nil, "", "providers", "remove", "local", "--data-dir", dir); r.code != 1 || !strings.Contains(r.stderr, `no provider called "local"`) {
		t.Errorf("remove twice: %d %q", r.code, r.stderr)
	}
	r = run(t, nil, "", "ask", "--data-dir", dir, "ping")
	if r.code != 1 || !strings.Contains(r.stderr, "No provider is set up") {
		t.Errorf("ask without provider: %d %q", r.code, r.stderr)
	}
	// A refused request leaves no empty conversation behind.
	r = run(t, nil, "", "list", "--json", "--data-dir", dir)
	json.Unmarshal([]byte(r.stdout), &ps)
	if len(ps) != 2 {
		t.Errorf("conversations after refused ask: %d, want 2", len(ps))
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	cases := [][]string{
		{"frobnicate"},
		{"ask", "--data-dir", dir},
		{"ask", "--data-dir", dir, "--base-url", "localhost:1234", "--model", "m", "hi"},
		{"ask", "--data-dir", dir, "--base-url", "http://localhost:1", "hi"},
		{"ask", "--data-dir", dir, "--no-such-flag", "hi"},
		{"show", "--data-dir", dir},
		{"providers", "add", "x", "--data-dir", dir, "--kind", "weird", "--base-url", "http://h", "--model", "m"},
		{"providers", "add", "x", "--data-dir", dir, "--base-url", "http://h", "--model", "m", "--key-env", "sk-live-123"},
		{"providers", "explode", "--data-dir", dir},
		{},
	}
	for _, args := range cases {
		r := run(t, nil, "", args...)
		if r.code != 2 || r.stderr == "" {
			t.Errorf("%v: exit %d stderr %q", args, r.code, r.stderr)
		}
	}
}

func TestLockedDatabaseFailsWithinTwoSeconds(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	r := run(t, nil, "", "list", "--data-dir", dir)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if r.code != 1 || !strings.Contains(r.stderr, "in use by another deskchat") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
}

func TestCtrlCStopsAndKeepsThePartialAnswer(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr := &cancelOnWrite{cancel: cancel}
	var errb bytes.Buffer
	code := Main([]string{"ask", "--data-dir", dir, "--provider", engine.SimulatorName, "long answer"}, Env{
		Stdout: pr, Stderr: &errb, Context: ctx,
		Getenv:        func(string) string { return "" },
		EngineOptions: engine.Options{Simulator: engine.Simulator{TokensPerSecond: 500, Tokens: 50000}},
	})
	if code != ExitStopped || !strings.Contains(errb.String(), "partial answer is saved") {
		t.Fatalf("exit %d stderr %q", code, errb.String())
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	convs, _ := st.Conversations()
	msgs, _ := st.Messages(convs[0].ID)
	if len(msgs) != 2 || msgs[1].State != store.StateStopped || msgs[1].Content == "" {
		t.Fatalf("stored %+v", msgs)
	}
}

// cancelOnWrite cancels the command as soon as the first answer text arrives.
type cancelOnWrite struct {
	cancel func()
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.cancel()
	return len(p), nil
}
