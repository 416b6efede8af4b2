package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// countingServer counts requests and refuses them all: the commands
// below must send none.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func writeInput(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Before anything is sent: a bad row, a missing field or a cost above
// --max-cost with no terminal to ask on and no --yes is a sentence and
// exit 2.
func TestBatchRunRefusesBeforeSending(t *testing.T) {
	srv, sent := countingServer(t)
	dir := t.TempDir()
	rows := strings.Repeat("{\"text\":\"classify this support ticket, please\"}\n", 300)
	cases := []struct {
		name, file, content string
		args                []string
		want                string
	}{
		{"cost", "big.jsonl", rows, []string{"--model", "gpt-4o", "--max-tokens", "4000"},
			"may cost up to $12.01, more than --max-cost $1.00"},
		{"missing field", "in.jsonl", "{\"text\":\"a\"}\n{\"body\":\"b\"}\n", []string{"--model", "tiny"},
			`row 2 has no field "text" (the template uses it)`},
		{"unclosed quote", "in.csv", "id,text\n1,\"open\n2,x\n", []string{"--model", "tiny"},
			"row 1 (from line 2) has a quote that is never closed"},
		{"no template", "in.jsonl", rows, []string{"--model", "tiny", "--template", " "}, "the template is empty"},
		{"both providers", "in.jsonl", rows, []string{"--model", "tiny", "--provider", "x"}, "not both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := writeInput(t, c.file, c.content)
			args := append([]string{"batch", "run", in, "--data-dir", dir, "--template", "Classify: {{text}}", "--base-url", srv.URL + "/v1"}, c.args...)
			r := run(t, map[string]string{"OPENAI_API_KEY": "k"}, "", args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("code %d, stderr %q; want 2 and %q", r.code, r.stderr, c.want)
			}
			if sent.Load() != 0 {
				t.Fatalf("%d requests sent", sent.Load())
			}
		})
	}
}

func TestBatchListShowExportReadTheStore(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.PutBatch(store.BatchRun{Name: "tickets", Input: "/data/tickets.csv", Template: "Classify: {{text}}", State: store.BatchCancelled,
		Rows: 3, Concurrency: 4, Model: "gpt-4o-mini", Provider: "OpenAI"})
	st.PutBatchRows("tickets", []store.BatchRow{
		{Index: 2, Names: []string{"id", "text"}, Values: []string{"c", "three,\n\"3\""}, Answer: "C", State: store.BatchRowDone, Cost: 0.5, TokensIn: 9},
		{Index: 0, Names: []string{"id", "text"}, Values: []string{"a", "one"}, State: store.BatchRowFailed, Error: "The provider refused."},
	})
	st.Close()

	r := run(t, nil, "", "batch", "list", "--json", "--data-dir", dir)
	var runs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || r.code != 0 {
		t.Fatalf("list --json: %d %v %q", r.code, err, r.stdout)
	}
	if len(runs) != 1 || runs[0]["name"] != "tickets" || runs[0]["done"] != 1.0 || runs[0]["failed"] != 1.0 || runs[0]["cost"] != 0.5 {
		t.Fatalf("list: %v", runs)
	}
	r = run(t, nil, "", "batch", "list", "--data-dir", dir)
	if !strings.Contains(r.stdout, "tickets") || !strings.Contains(r.stdout, "cancelled") {
		t.Fatalf("list: %q", r.stdout)
	}
	r = run(t, nil, "", "batch", "show", "tickets", "--data-dir", dir)
	for _, want := range []string{"State:    cancelled", "1 done, 1 failed, 1 left of 3", "/data/tickets.csv", "Classify: {{text}}"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("show lacks %q: %q", want, r.stdout)
		}
	}
	if r := run(t, nil, "", "batch", "show", "nope", "--data-dir", dir); r.code != ExitFailure || !strings.Contains(r.stderr, `no batch run called "nope"`) {
		t.Fatalf("show nope: %d %q", r.code, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "out.csv")
	if r := run(t, nil, "", "batch", "export", "tickets", "--out", out, "--data-dir", dir); r.code != 0 {
		t.Fatalf("export: %d %q", r.code, r.stderr)
	}
	f, _ := os.Open(out)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("export csv: %v %q", err, recs)
	}
	if recs[1][0] != "a" || recs[1][3] != "failed" || recs[2][1] != "three,\n\"3\"" || recs[2][2] != "C" {
		t.Fatalf("export rows (input order): %q", recs)
	}
	// Another file or template under a stored run's name is refused, not
	// mixed in.
	other := writeInput(t, "tickets.csv", "id,text\n1,x\n")
	r = run(t, nil, "", "batch", "run", other, "--template", "{{text}}", "--provider", "Simulator", "--data-dir", dir)
	if r.code != ExitUsage || !strings.Contains(r.stderr, `a batch run called "tickets" exists with another input or template`) {
		t.Fatalf("same name, other run: %d %q", r.code, r.stderr)
	}
	r = run(t, nil, "", "batch", "export", "tickets", "--data-dir", dir)
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"id":"a"`) {
		t.Fatalf("export jsonl: %q", r.stdout)
	}
}

// hashServer answers each chat request with a hash of its last message, so
// every output row can be checked; it counts the requests per prompt.
// Prompts holding "flaky" get a 429 the first time, those holding
// "broken" a 500 while broken is set.
type hashServer struct {
	*httptest.Server
	mu     sync.Mutex
	asked  map[string]int
	total  atomic.Int64
	broken atomic.Bool
}

func promptHash(p string) string {
	h := sha256.Sum256([]byte(p))
	return hex.EncodeToString(h[:6])
}

func newHashServer(t *testing.T) *hashServer {
	hs := &hashServer{asked: map[string]int{}}
	hs.broken.Store(true)
	hs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		prompt := body.Messages[len(body.Messages)-1].Content
		hs.total.Add(1)
		hs.mu.Lock()
		hs.asked[prompt]++
		n := hs.asked[prompt]
		hs.mu.Unlock()
		switch {
		case strings.Contains(prompt, "flaky") && n == 1:
			w.Header().Set("retry-after-ms", "10")
			http.Error(w, `{"error":{"message":"slow down","type":"rate_limit"}}`, http.StatusTooManyRequests)
			return
		case strings.Contains(prompt, "broken") && hs.broken.Load():
			http.Error(w, `{"error":{"message":"upstream broke"}}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", promptHash(prompt))
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(hs.Close)
	return hs
}

func readJSONL(t *testing.T, path string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		rows = append(rows, m)
	}
	return rows
}

// Through the real engine: every row answered in input order, a 429
// retried, a row failing with 500 recorded and not fatal, identical rows
// asked once (the cache), and a resume asking only the failed row again.
func TestBatchRunThroughTheEngineAndResume(t *testing.T) {
	srv := newHashServer(t)
	dir := t.TempDir()
	texts := []string{"printer \"PC LOAD LETTER\", again", "two\nlines, one field", "flaky one", "broken one", "same", "same", "Grüße 日本"}
	for i := range 14 {
		texts = append(texts, fmt.Sprintf("ticket %d", i))
	}
	var in strings.Builder
	in.WriteString("id,text\n")
	for i, tx := range texts {
		fmt.Fprintf(&in, "%d,\"%s\"\n", i, strings.ReplaceAll(tx, `"`, `""`))
	}
	input := writeInput(t, "tickets.csv", in.String())
	out := filepath.Join(t.TempDir(), "out.jsonl")
	env := map[string]string{"OPENAI_API_KEY": "k"}
	r := run(t, env, "", "batch", "run", input, "--data-dir", dir, "--template", "Q: {{ text }}", "--base-url", srv.URL+"/v1",
		"--model", "tiny", "--concurrency", "4", "--out", out)
	if r.code != 0 {
		t.Fatalf("batch run: %d %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "21/21 rows") || !strings.Contains(r.stderr, "1 errors") {
		t.Fatalf("progress: %q", r.stderr)
	}
	rows := readJSONL(t, out)
	if len(rows) != len(texts) {
		t.Fatalf("%d rows for %d", len(rows), len(texts))
	}
	cached := 0
	for i, row := range rows {
		if row["id"] != fmt.Sprint(i) || row["text"] != texts[i] {
			t.Fatalf("row %d: %v (input order, input fields)", i, row)
		}
		if texts[i] == "broken one" {
			if row["state"] != "failed" || row["error"] == "" {
				t.Fatalf("broken row: %v", row)
			}
			continue
		}
		if row["state"] != "done" || row["answer"] != promptHash("Q: "+texts[i]) || row["model"] != "tiny" {
			t.Fatalf("row %d: %v", i, row)
		}
		if row["cached"] == true {
			cached++
		}
	}
	if cached != 1 {
		t.Fatalf("%d rows cached, want the second \"same\"", cached)
	}
	srv.mu.Lock()
	if n := srv.asked["Q: same"]; n != 1 {
		t.Errorf("identical rows sent %d times", n)
	}
	if n := srv.asked["Q: flaky one"]; n != 2 {
		t.Errorf("the 429 row sent %d times, want 2 (a retry)", n)
	}
	srv.mu.Unlock()

	// Resume: only the failed row is asked again.
	srv.broken.Store(false)
	before := srv.total.Load()
	r = run(t, env, "", "batch", "resume", "tickets", "--data-dir", dir, "--out", out)
	if r.code != 0 {
		t.Fatalf("resume: %d %q", r.code, r.stderr)
	}
	if sent := srv.total.Load() - before; sent != 1 {
		t.Fatalf("resume sent %d requests, want 1 (the failed row)", sent)
	}
	rows = readJSONL(t, out)
	if len(rows) != len(texts) || rows[3]["state"] != "done" || rows[3]["answer"] != promptHash("Q: broken one") {
		t.Fatalf("resumed output: %v", rows[3])
	}
	r = run(t, nil, "", "batch", "show", "tickets", "--json", "--data-dir", dir)
	var show map[string]any
	json.Unmarshal([]byte(r.stdout), &show)
	if show["state"] != "done" || show["done"] != float64(len(texts)) || show["failed"] != 0.0 {
		t.Fatalf("show: %v", show)
	}
	// The ledger has one line per row asked: 21, then the resumed one.
	r = run(t, nil, "", "usage", "--json", "--data-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, `"requests": 22,`) {
		t.Fatalf("usage: %d %q", r.code, r.stdout)
	}
}

// Ctrl-C stops the run: exit 130, a sentence saying how to go on, the
// finished rows kept; resume asks only the others.
func TestBatchCtrlCStopsAndKeepsFinishedRows(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var asked atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if asked.Add(1) == 10 {
			cancel() // Ctrl-C while the tenth row is asked
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\ndata: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()
	dir := t.TempDir()
	var in strings.Builder
	for i := range 50 {
		fmt.Fprintf(&in, "{\"text\":\"row %d\"}\n", i)
	}
	input := writeInput(t, "stop.jsonl", in.String())
	var out, errb bytes.Buffer
	code := Main([]string{"batch", "run", input, "--data-dir", dir, "--template", "{{text}}", "--base-url", srv.URL + "/v1",
		"--model", "tiny", "--concurrency", "2", "--no-cache"},
		Env{Context: ctx, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "k" }})
	if code != ExitStopped || !strings.Contains(errb.String(), `"deskchat batch resume stop" goes on`) {
		t.Fatalf("code %d, stderr %q", code, errb.String())
	}
	r := run(t, nil, "", "batch", "show", "stop", "--json", "--data-dir", dir)
	var show map[string]any
	json.Unmarshal([]byte(r.stdout), &show)
	done := int64(show["done"].(float64))
	if show["state"] != "cancelled" || done < 8 || done > 10 {
		t.Fatalf("after Ctrl-C: %v", show)
	}
	before := asked.Load()
	r = run(t, map[string]string{"OPENAI_API_KEY": "k"}, "", "batch", "resume", "stop", "--data-dir", dir, "--no-cache")
	if r.code != 0 || asked.Load()-before != 50-done {
		t.Fatalf("resume: %d %q, asked %d for %d left", r.code, r.stderr, asked.Load()-before, 50-done)
	}
}
