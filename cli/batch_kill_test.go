package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	batchBinOnce sync.Once
	batchBin     string
	batchBinErr  error
)

// TestMain removes the binary deskchatBin built.
func TestMain(m *testing.M) {
	code := m.Run()
	if batchBin != "" {
		os.RemoveAll(filepath.Dir(batchBin))
	}
	os.Exit(code)
}

// deskchatBin builds the real deskchat once per test binary.
func deskchatBin(tb testing.TB) string {
	tb.Helper()
	batchBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "deskchat-batch-kill")
		if err != nil {
			batchBinErr = err
			return
		}
		batchBin = filepath.Join(dir, "deskchat")
		out, err := exec.Command("go", "build", "-o", batchBin, "github.com/deskchat/deskchat").CombinedOutput()
		if err != nil {
			batchBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if batchBinErr != nil {
		tb.Fatal(batchBinErr)
	}
	return batchBin
}

// holdingServer answers the first free requests at once, then holds every
// later one until release is closed (or the client goes away); held
// receives each held request's prompt.
type holdingServer struct {
	*httptest.Server
	mu      sync.Mutex
	asked   map[string]int
	free    int
	held    chan string
	release chan struct{}
}

func newHoldingServer(tb testing.TB, free int) *holdingServer {
	hs := &holdingServer{asked: map[string]int{}, free: free, held: make(chan string, 1024), release: make(chan struct{})}
	hs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		prompt := body.Messages[len(body.Messages)-1].Content
		hs.mu.Lock()
		hs.asked[prompt]++
		hs.free--
		hold := hs.free < 0
		hs.mu.Unlock()
		if hold {
			hs.held <- prompt
			select {
			case <-hs.release:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", promptHash(prompt))
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n")
	}))
	tb.Cleanup(func() {
		select {
		case <-hs.release:
		default:
			close(hs.release)
		}
		hs.Close()
	})
	return hs
}

// killAndResume runs "deskchat batch run" on rows rows with conc workers,
// kills it with SIGKILL while conc requests are in flight (after free rows
// were answered), runs it again to the end and checks the output: every
// row once, in order, answered. It returns how many rows were asked twice.
func killAndResume(tb testing.TB, rows, conc, free int) int {
	bin := deskchatBin(tb)
	srv := newHoldingServer(tb, free)
	dir := tb.TempDir()
	var in strings.Builder
	for i := range rows {
		fmt.Fprintf(&in, "{\"id\":%d,\"text\":\"row %d, \\\"quoted\\\" ü\"}\n", i, i)
	}
	input := filepath.Join(tb.TempDir(), "rows.jsonl")
	os.WriteFile(input, []byte(in.String()), 0o600)
	out := filepath.Join(tb.TempDir(), "out.jsonl")
	args := []string{"batch", "run", input, "--data-dir", dir, "--template", "{{text}}", "--base-url", srv.URL + "/v1",
		"--model", "tiny", "--concurrency", fmt.Sprint(conc), "--out", out}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "OPENAI_API_KEY=k")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	for range conc {
		select {
		case <-srv.held: // every worker is waiting on an answer
		case <-exited:
			tb.Fatalf("the run ended before %d requests were in flight: %s", conc, stderr.String())
		}
	}
	cmd.Process.Kill() // SIGKILL
	<-exited
	close(srv.release)

	again := exec.Command(bin, args...)
	again.Env = cmd.Env
	if b, err := again.CombinedOutput(); err != nil {
		tb.Fatalf("the run after the kill: %v\n%s\n(first run: %s)", err, b, stderr.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != rows {
		tb.Fatalf("%d output rows for %d", len(lines), rows)
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			tb.Fatal(err)
		}
		text := fmt.Sprintf("row %d, \"quoted\" ü", i)
		if m["id"] != fmt.Sprint(i) || m["state"] != "done" || m["answer"] != promptHash(text) {
			tb.Fatalf("row %d: %v", i, m)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	twice := 0
	for p, n := range srv.asked {
		if n > 2 {
			tb.Fatalf("%q asked %d times", p, n)
		}
		if n == 2 {
			twice++
		}
	}
	if len(srv.asked) != rows {
		tb.Fatalf("%d rows asked of %d", len(srv.asked), rows)
	}
	return twice
}

// kill -9 mid-run loses no finished row; the run again asks at most the
// rows that were in flight a second time.
func TestBatchKilledMidRunResumes(t *testing.T) {
	const conc = 4
	if twice := killAndResume(t, 60, conc, 20); twice > conc {
		t.Fatalf("%d rows asked twice, more than the %d in flight", twice, conc)
	}
}

// BenchmarkBatchResumeRepeats: batch_resume_repeats, rows asked twice
// after a kill -9 of the real binary with 8 rows in flight (≤ 8).
func BenchmarkBatchResumeRepeats(b *testing.B) {
	twice := 0
	for range b.N {
		twice = killAndResume(b, 200, 8, 50)
	}
	b.ReportMetric(float64(twice), "batch_resume_repeats@rows")
}
