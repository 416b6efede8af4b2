package cli

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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
	r = run(t, nil, "", "batch", "export", "tickets", "--data-dir", dir)
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"id":"a"`) {
		t.Fatalf("export jsonl: %q", r.stdout)
	}
}
