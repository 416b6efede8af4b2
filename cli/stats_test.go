package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine"
)

// flakyServer answers with the given statuses in turn (200 = a normal
// answer "ok"), then keeps answering the last one; it counts requests.
func flakyServer(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		code := statuses[min(i, len(statuses)-1)]
		if code != 200 {
			w.Header().Set("retry-after-ms", "10")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"error":{"message":"status %d"}}`, code)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestAskReportsStatesOnStderrAndStatsCountThem(t *testing.T) {
	flaky, flakyN := flakyServer(t, 429, 200)
	dead, deadN := flakyServer(t, 500)
	backup, _ := flakyServer(t, 200)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"providers", "add", "flaky", "--base-url", flaky.URL, "--model", "m"},
		{"providers", "add", "backup", "--base-url", backup.URL, "--model", "b"},
		{"providers", "add", "dead", "--base-url", dead.URL, "--model", "m", "--max-retries", "1", "--fallback", "backup"},
	} {
		if r := run(t, nil, "", append(args, "--data-dir", dir)...); r.code != 0 {
			t.Fatalf("%v: %d %s", args, r.code, r.stderr)
		}
	}

	r := run(t, nil, "", "ask", "--data-dir", dir, "--provider", "flaky", "one")
	if r.code != 0 || r.stdout != "ok\n" || !strings.Contains(r.stderr, "retrying in 10 ms (429 rate limited), attempt 1") || flakyN.Load() != 2 {
		t.Errorf("429 then ok: %d %q %q (%d requests)", r.code, r.stdout, r.stderr, flakyN.Load())
	}
	r = run(t, nil, "", "ask", "--data-dir", dir, "--provider", "dead", "two")
	if r.code != 0 || r.stdout != "ok\n" || !strings.Contains(r.stderr, "served by backup (dead failed: ") || deadN.Load() != 2 {
		t.Errorf("fallback: %d %q %q (%d requests to dead)", r.code, r.stdout, r.stderr, deadN.Load())
	}
	if r := run(t, nil, "", "ask", "--quiet", "--data-dir", dir, "--provider", "flaky", "three"); r.stderr != "" {
		t.Errorf("--quiet still printed %q", r.stderr)
	}
	if r := run(t, nil, "", "ask", "--idle-timeout", "0s", "--data-dir", dir, "hi"); r.code != ExitUsage {
		t.Errorf("--idle-timeout 0s: exit %d", r.code)
	}

	r = run(t, nil, "", "stats", "--json", "--data-dir", dir)
	var m []engine.Metrics
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, r.stdout)
	}
	var raw []map[string]any
	json.Unmarshal([]byte(r.stdout), &raw)
	for _, key := range []string{"provider", "in_flight", "queued", "requests", "errors", "retries", "ttft_p50_ms", "ttft_p95_ms", "tokens_per_second", "tokens_in", "tokens_out"} {
		for _, p := range raw {
			if _, ok := p[key]; !ok {
				t.Errorf("stats --json: %q missing in %v", key, p)
			}
		}
	}
	by := map[string]engine.Metrics{}
	for _, p := range m {
		by[p.Provider] = p
	}
	if f := by["flaky"]; f.Requests != 2 || f.Retries != 1 || f.TokensOut != 2 {
		t.Errorf("flaky %+v", f)
	}
	if d := by["dead"]; d.Errors[engine.KindServer] != 1 || d.Retries != 1 {
		t.Errorf("dead %+v", d)
	}
	if b := by["backup"]; b.Requests != 1 {
		t.Errorf("backup %+v", b)
	}
	r = run(t, nil, "", "stats", "--data-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "server 1") || !strings.Contains(r.stdout, "PROVIDER  IN FLIGHT  QUEUED") {
		t.Errorf("stats table:\n%s", r.stdout)
	}
}

func TestAskPrintsTheAnswerOnStdoutAndEngineStatesOnStderr(t *testing.T) {
	until := time.Date(2026, 3, 1, 14, 5, 9, 0, time.Local)
	events := make(chan engine.Event, 16)
	for _, ev := range []engine.Event{
		engine.Queued{Provider: "p", Position: 2},
		engine.Queued{Provider: "p", Position: 1},
		engine.RateLimited{Provider: "p", Until: until},
		engine.Retrying{Attempt: 1, After: 8 * time.Second, Reason: "429 rate limited"},
		engine.FellBack{From: "p", To: "backup", Reason: "p had a server error (HTTP 500). Try again in a moment."},
		engine.Started{Provider: "backup", Model: "b"},
		engine.Delta{Text: "Hello", Reasoning: "thinking, not shown"},
		engine.UsageEvent{Usage: engine.Usage{PromptTokens: 3, CompletionTokens: 2}},
		engine.Delta{Text: ", world"},
		engine.Done{Finish: "stop"},
	} {
		events <- ev
	}
	close(events)
	var stdout, stderr bytes.Buffer
	if err := printAnswer(events, &stdout, &stderr, false, nil); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "Hello, world\n" {
		t.Errorf("stdout %q: only the answer belongs there", stdout.String())
	}
	want := "queued #2 for p\n" +
		"queued #1 for p\n" +
		"rate limited by p until 14:05:09\n" +
		"retrying in 8 s (429 rate limited), attempt 1\n" +
		"served by backup (p failed: p had a server error (HTTP 500). Try again in a moment.)\n"
	if stderr.String() != want {
		t.Errorf("stderr\n got %q\nwant %q", stderr.String(), want)
	}

	// --quiet: the states are not reported; a failure is returned for the
	// one sentence Main prints.
	events = make(chan engine.Event, 4)
	events <- engine.Queued{Provider: "p", Position: 1}
	events <- engine.Delta{Text: "Par"}
	failure := &engine.ProviderError{Kind: engine.KindStalled, Sentence: "p stopped responding."}
	events <- engine.Failed{Sentence: failure.Sentence, Err: failure}
	close(events)
	stdout.Reset()
	stderr.Reset()
	if err := printAnswer(events, &stdout, &stderr, true, nil); err != failure {
		t.Errorf("returned %v", err)
	}
	if stdout.String() != "Par\n" || stderr.String() != "" {
		t.Errorf("quiet: stdout %q stderr %q", stdout.String(), stderr.String())
	}
}
