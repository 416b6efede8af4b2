package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"deskchat/engine"
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
	if r.code != 0 || r.stdout != "ok\n" || !strings.Contains(r.stderr, "retrying in 10ms (429 rate limited), attempt 1") || flakyN.Load() != 2 {
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
	if r.code != 0 || !strings.Contains(r.stdout, "server 1") || !strings.Contains(r.stdout, "PROVIDER") {
		t.Errorf("stats table:\n%s", r.stdout)
	}
}
