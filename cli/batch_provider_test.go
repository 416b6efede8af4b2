package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/internal/fakebatch"
	"github.com/deskchat/deskchat/store"
)

const provKey = "sk-" + "proj-CLIKEY0123456789abcdefXYZ" // split: a fake key, not one for secret scanners to flag

// providerDataDir is a data dir whose provider OpenAI (kind openai) is
// the fake at srv, its key in BATCH_TEST_KEY, and Local a compatible one
// at local.
func providerDataDir(t *testing.T, srv, local string) string {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.PutProvider(store.Provider{Name: "OpenAI", Kind: store.KindOpenAI, BaseURL: srv + "/v1", Model: "gpt-4o-mini", KeyEnv: "BATCH_TEST_KEY"})
	st.PutProvider(store.Provider{Name: "Local", Kind: store.KindCompatible, BaseURL: local + "/v1", Model: "tiny", KeyEnv: "BATCH_TEST_KEY"})
	st.Close()
	return dir
}

func providerRows(t *testing.T, n int, text map[int]string) string {
	var b strings.Builder
	for i := range n {
		s, ok := text[i]
		if !ok {
			s = fmt.Sprintf("row %d, \"quoted\" ü", i)
		}
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprint(i), "text": s})
		b.Write(line)
		b.WriteByte('\n')
	}
	return writeInput(t, "rows.jsonl", b.String())
}

// checkProviderOutput checks every row is in the output once, in order,
// answered by the fake (but those in failed).
func checkProviderOutput(t *testing.T, out string, n int, failed map[int]bool) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != n {
		t.Fatalf("%d output rows for %d: %q", len(lines), n, out)
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		want := fakebatch.Answer(fmt.Sprintf("Classify: row %d, \"quoted\" ü", i))
		if failed[i] {
			if m["state"] != "failed" || m["error"] == "" {
				t.Fatalf("row %d: %v", i, m)
			}
			continue
		}
		if m["id"] != fmt.Sprint(i) || m["state"] != "done" || m["answer"] != want {
			t.Fatalf("row %d: %v", i, m)
		}
	}
}

var providerEnv = map[string]string{"BATCH_TEST_KEY": provKey}

// --mode provider runs the rows through the Batch API: the estimate at
// half the price, the provider's progress on stderr, the rows in order on
// stdout, no key anywhere; show prints the mode and each part.
func TestBatchProviderModeRunsAndShows(t *testing.T) {
	srv := fakebatch.New(t, provKey)
	srv.Echo = true
	dir := providerDataDir(t, srv.URL, srv.URL)
	in := providerRows(t, 12, map[int]string{4: "fail this one"})
	r := run(t, providerEnv, "", "batch", "run", in, "--mode", "provider", "--provider", "OpenAI", "--template", "Classify: {{text}}", "--data-dir", dir)
	if r.code != 0 {
		t.Fatalf("code %d: %s", r.code, r.stderr)
	}
	checkProviderOutput(t, r.stdout, 12, map[int]bool{4: true})
	for _, want := range []string{"(OpenAI's Batch API: half the price)", "OpenAI: 11 of 12 requests answered, 1 failed (answered)", "11 rows answered, 1 failed"} {
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("stderr lacks %q: %q", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "CLIKEY") {
		t.Fatalf("the key is shown: %q %q", r.stdout, r.stderr)
	}
	r = run(t, nil, "", "batch", "show", "rows", "--data-dir", dir)
	for _, want := range []string{"Mode:     provider (OpenAI's Batch API", "Part 1:   rows 1–12, batch_1: answered, answers stored; 11 of 12 answered, 1 failed", "11 done, 1 failed, 0 left of 12"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("show lacks %q: %q", want, r.stdout)
		}
	}
	r = run(t, nil, "", "batch", "list", "--json", "--data-dir", dir)
	var runs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 1 || runs[0]["mode"] != "provider" {
		t.Fatalf("list --json: %v %q", err, r.stdout)
	}
}

// A provider that does not offer the Batch API gets one sentence before
// anything is sent: the Simulator, a compatible provider, a --base-url.
func TestBatchProviderModeRefused(t *testing.T) {
	local, sent := countingServer(t)
	dir := providerDataDir(t, local.URL, local.URL)
	in := providerRows(t, 3, nil)
	for _, who := range [][]string{{"--provider", "Simulator"}, {"--provider", "Local"}, {"--base-url", local.URL + "/v1", "--model", "m"}} {
		args := append([]string{"batch", "run", in, "--mode", "provider", "--template", "{{text}}", "--data-dir", dir}, who...)
		r := run(t, map[string]string{"BATCH_TEST_KEY": provKey, "OPENAI_API_KEY": provKey}, "", args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "does not offer OpenAI's Batch API; run without --mode provider to ask row by row through the engine.") {
			t.Fatalf("%v: code %d, %q", who, r.code, r.stderr)
		}
	}
	if sent.Load() != 0 {
		t.Fatalf("%d requests sent", sent.Load())
	}
	// A provider of kind openai answering 404 where the API should be.
	srv := fakebatch.New(t, provKey)
	srv.NotFound, srv.Echo = true, true
	dir = providerDataDir(t, srv.URL, srv.URL)
	r := run(t, providerEnv, "", "batch", "run", in, "--mode", "provider", "--provider", "OpenAI", "--template", "{{text}}", "--data-dir", dir)
	if r.code != ExitFailure || strings.TrimSpace(r.stderr) == "" || !strings.Contains(r.stderr, "OpenAI does not offer OpenAI's Batch API") || strings.Contains(r.stderr, "CLIKEY") {
		t.Fatalf("404: code %d, %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "batch", "list", "--json", "--data-dir", dir); strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("stored after a 404: %q", r.stdout)
	}
	if r := run(t, providerEnv, "", "batch", "run", in, "--mode", "sideways", "--template", "{{text}}", "--data-dir", dir); r.code != ExitUsage || !strings.Contains(r.stderr, "--mode is engine") {
		t.Fatalf("bad mode: %d %q", r.code, r.stderr)
	}
}

// Ctrl-C while polling leaves the batch at the provider and says so;
// "batch resume" checks again: one upload, one batch; "batch run" without
// --mode on it goes on in provider mode, --mode engine is refused.
func TestBatchProviderModeStoppedWhilePolling(t *testing.T) {
	srv := fakebatch.New(t, provKey)
	srv.DonePolls = 2
	dir := providerDataDir(t, srv.URL, srv.URL)
	in := providerRows(t, 5, nil)
	ctx, cancel := context.WithCancel(t.Context())
	srv.OnLook = func(int) { cancel() }
	var out, errb bytes.Buffer
	code := Main([]string{"batch", "run", in, "--mode", "provider", "--provider", "OpenAI", "--template", "Classify: {{text}}", "--data-dir", dir},
		Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return providerEnv[k] }, Context: ctx})
	if code != ExitStopped || !strings.Contains(errb.String(), "Stopped waiting: the provider keeps working on it; \"deskchat batch resume rows\" checks again.") {
		t.Fatalf("code %d, %q", code, errb.String())
	}
	srv.Mu.Lock()
	srv.OnLook = nil
	srv.Mu.Unlock()
	// The look that cancelled may still have been answered before the
	// client saw the cancel, so the part is validating or in progress.
	r := run(t, nil, "", "batch", "show", "rows", "--data-dir", dir)
	if !strings.Contains(r.stdout, "State:    waiting") ||
		!strings.Contains(r.stdout, "batch_1: the provider is checking the requests") && !strings.Contains(r.stdout, "batch_1: in progress; 2 of 5 answered") {
		t.Fatalf("show: %q", r.stdout)
	}
	if r := run(t, providerEnv, "", "batch", "run", in, "--mode", "engine", "--provider", "OpenAI", "--template", "Classify: {{text}}", "--data-dir", dir); r.code != ExitUsage || !strings.Contains(r.stderr, "has requests at the provider still") {
		t.Fatalf("engine mode on it: %d %q", r.code, r.stderr)
	}
	r = run(t, providerEnv, "", "batch", "resume", "rows", "--data-dir", dir, "--max-cost", "0")
	if r.code != 0 || !strings.Contains(r.stderr, "5 requests of this run are at OpenAI already; checking on them.") {
		t.Fatalf("resume: %d %q", r.code, r.stderr)
	}
	checkProviderOutput(t, r.stdout, 5, nil)
	if uploads, creates, _ := srv.Counts(); uploads != 1 || creates != 1 {
		t.Fatalf("%d uploads, %d batches; want 1 and 1", uploads, creates)
	}
}

// kill -9 of the real binary while it polls, then the run again: one
// upload, one batch, every row answered in order.
func TestBatchProviderModeKilledWhilePolling(t *testing.T) {
	bin := deskchatBin(t)
	srv := fakebatch.New(t, provKey)
	srv.DonePolls = 2
	looked := make(chan struct{}, 8)
	srv.OnLook = func(int) { looked <- struct{}{} }
	dir := providerDataDir(t, srv.URL, srv.URL)
	in := providerRows(t, 30, nil)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	args := []string{"batch", "run", in, "--mode", "provider", "--provider", "OpenAI", "--template", "Classify: {{text}}", "--data-dir", dir, "--out", out}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "BATCH_TEST_KEY="+provKey)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	select {
	case <-looked: // the batch is made and recorded: it is being polled
	case <-exited:
		t.Fatalf("the run ended before it polled: %s", stderr.String())
	}
	cmd.Process.Kill() // SIGKILL
	<-exited
	again := exec.Command(bin, args...)
	again.Env = cmd.Env
	if b, err := again.CombinedOutput(); err != nil {
		t.Fatalf("the run after the kill: %v\n%s\n(first run: %s)", err, b, stderr.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkProviderOutput(t, string(raw), 30, nil)
	if uploads, creates, _ := srv.Counts(); uploads != 1 || creates != 1 {
		t.Fatalf("%d uploads, %d batches; want 1 and 1", uploads, creates)
	}
}
