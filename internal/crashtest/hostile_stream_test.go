package crashtest

import (
	"bytes"
	"encoding/json"

	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/deskchat/deskchat/cli"
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// Hostile streams (issue 13): one huge SSE line, and chunks that go on past
// the answer cap, answered by the real "deskchat ask" in a child process.
// The stored answer must be exactly the cap's worth of what was sent, cut on
// a character boundary, and the child's peak memory bounded.

const (
	hugeLineBytes = 24 << 20 // the one data line's content
	bigChunkBytes = 64 << 10 // each chunk's content in the chunked stream
	maxPeakRSSMB  = 256      // the promise; the figure is far lower (make bench)
)

// hostileText is n bytes of text with three-byte characters, so that the
// cap (8 MiB, not a multiple of the pattern) falls inside a character.
func hostileText(n int) string {
	const pattern = "日本語 text " // 15 bytes
	s := strings.Repeat(pattern, n/len(pattern)+1)
	return s[:n-n%len(pattern)]
}

// capped is the stored answer promised for text: its longest prefix of at
// most engine.MaxAnswerBytes bytes that ends on a character boundary.
func capped(text string) string {
	n := min(len(text), engine.MaxAnswerBytes)
	for n > 0 && n < len(text) && !utf8.RuneStart(text[n]) {
		n--
	}
	return text[:n]
}

// hostileServer streams each content piece as one chunk line, then the
// finish and [DONE] (unless the client left first).
func hostileServer(t testing.TB, pieces func(yield func(string) bool)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		for p := range pieces {
			if _, err := io.WriteString(w, chunk(p)); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
		io.WriteString(w, finish)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func oneLine(text string) func(func(string) bool) {
	return func(yield func(string) bool) { yield(text) }
}

func inChunks(text string, size int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for len(text) > 0 {
			n := min(size, len(text))
			for n < len(text) && !utf8.RuneStart(text[n]) {
				n-- // a chunk holds whole characters, as JSON strings do
			}
			if !yield(text[:n]) {
				return
			}
			text = text[n:]
		}
	}
}

// askResult is what one "deskchat ask" child left behind.
type askResult struct {
	code      int
	stderr    string
	peakRSSMB float64 // the child's peak resident set (VmHWM)
}

// childBinary is the test binary that askChild runs: this one, unless it
// was built with the race detector (make test), whose children took four
// minutes and over 600 MB for a 24 MB line; the figures under test are the
// product's. The package is then built again without it (the build cache
// makes that a link).
func childBinary(t testing.TB) string {
	t.Helper()
	if !raceBuild {
		return os.Args[0]
	}
	path := filepath.Join(t.TempDir(), "crashtest.test")
	//lint:ignore SA1019 the toolchain that built this test is the one wanted; its go is found also when not on PATH
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		goCmd = "go"
	}
	if out, err := exec.Command(goCmd, "test", "-c", "-race=false", "-o", path, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the test binary without the race detector: %v: %s", err, out)
	}
	return path
}

const (
	envFileLimit = "DESKCHAT_CRASH_FILE_LIMIT" // the measured child's file size limit (bytes), if any
	envPeakFile  = "DESKCHAT_CRASH_PEAK_FILE"  // where the measured child writes its peak RSS
)

// TestHelperMeasuredChild is TestHelperChild that writes its peak resident
// set (VmHWM, kB) to DESKCHAT_CRASH_PEAK_FILE when deskchat returns. The
// parent cannot take it from the child's rusage: Linux counts there the
// parent's own peak too (Go starts a child with vfork, and exec records the
// peak of the memory it leaves), and the test process held the 24 MB line.
// With DESKCHAT_CRASH_FILE_LIMIT it cannot make a file larger than that
// (RLIMIT_FSIZE): writes past it fail (EFBIG; Go ignores SIGXFSZ), as on a
// full disk. It does nothing when DESKCHAT_CRASH_CHILD is unset.
func TestHelperMeasuredChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		return
	}
	if limit, err := strconv.ParseUint(os.Getenv(envFileLimit), 10, 64); err == nil {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			t.Fatal(err)
		}
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(envChildArgs)), &args); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "OPENAI_API_KEY" {
			return "" // never send a real key to the test server
		}
		return os.Getenv(k)
	}
	code := cli.Main(args, cli.Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: os.Stderr, Getenv: getenv})
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			if err := os.WriteFile(os.Getenv(envPeakFile), []byte(f[1]), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if code != 0 {
		os.Exit(code)
	}
}

// askChild runs "deskchat ask" against url in a child process (the test
// binary bin) with dir as its data folder and waits for it. With a file
// size limit (bytes) the child cannot make a file larger (see
// TestHelperMeasuredChild).
func askChild(t testing.TB, bin, dir, url, question string, fileLimit ...int64) askResult {
	t.Helper()
	args := []string{"ask", "--data-dir", dir, "--base-url", url, "--model", "m", "--quiet", question}
	js, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	peakFile := filepath.Join(t.TempDir(), "peak")
	cmd := exec.Command(bin, "-test.run=^TestHelperMeasuredChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChild+"=1", envChildArgs+"="+string(js), envPeakFile+"="+peakFile)
	if len(fileLimit) > 0 {
		cmd.Env = append(cmd.Env, envFileLimit+"="+strconv.FormatInt(fileLimit[0], 10))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	peak, err := os.ReadFile(peakFile)
	if err != nil {
		t.Fatalf("the child (exit %d, %s) wrote no peak RSS: %v", cmd.ProcessState.ExitCode(), stderr.String(), err)
	}
	kb, err := strconv.Atoi(string(peak))
	if err != nil {
		t.Fatal(err)
	}
	return askResult{code: cmd.ProcessState.ExitCode(), stderr: stderr.String(), peakRSSMB: float64(kb) / 1024}
}

// onlyAnswer opens the history in dir and returns its one conversation's
// messages.
func onlyAnswer(t *testing.T, dir string) (store.Message, store.Message) {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	convs, err := st.Conversations()
	if err != nil || len(convs) != 1 {
		t.Fatalf("conversations: %d, %v; want one", len(convs), err)
	}
	msgs, err := st.Messages(convs[0].ID)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("messages: %d, %v; want the question and its answer", len(msgs), err)
	}
	return msgs[0], msgs[1]
}

// TestHostileStreamIsCappedExactly sends one 24 MB data line, and 64 KB
// chunks to past the cap, to the real binary: each stores exactly the first
// 8 MiB of the text (cut on a character boundary), says so, and stays under
// the memory bound.
func TestHostileStreamIsCappedExactly(t *testing.T) {
	text := hostileText(hugeLineBytes)
	want := capped(text)
	if len(want) >= engine.MaxAnswerBytes || len(want) < engine.MaxAnswerBytes-3 {
		t.Fatalf("test text: cap cut at %d", len(want))
	}
	bin := childBinary(t)
	for _, tc := range []struct {
		name   string
		pieces func(func(string) bool)
	}{
		{"one 24 MB line", oneLine(text)},
		{"64 KB chunks", inChunks(text[:12<<20], bigChunkBytes)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			srv := hostileServer(t, tc.pieces)
			res := askChild(t, bin, dir, srv.URL, "hostile")
			t.Logf("peak RSS %.1f MB", res.peakRSSMB)
			sentence := srv.URL + " sent more than 8 MB for one answer; deskchat stopped it at 8 MB and kept the answer up to there."
			if res.code != 1 || strings.TrimSpace(res.stderr) != sentence {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", res.code, res.stderr, sentence)
			}
			q, a := onlyAnswer(t, dir)
			if q.Content != "hostile" {
				t.Errorf("question %q", q.Content)
			}
			if len(a.Content) > engine.MaxAnswerBytes || !utf8.ValidString(a.Content) {
				t.Errorf("stored %d bytes (valid UTF-8: %v); want at most %d", len(a.Content), utf8.ValidString(a.Content), engine.MaxAnswerBytes)
			}
			if a.Content != want {
				t.Errorf("stored %d bytes, not the first %d of what was sent", len(a.Content), len(want))
			}
			if a.State != store.StateFailed || a.Error != sentence {
				t.Errorf("answer %s, %q; want failed with the sentence", a.State, a.Error)
			}
			if res.peakRSSMB > maxPeakRSSMB {
				t.Errorf("peak RSS %.1f MB; want at most %d", res.peakRSSMB, maxPeakRSSMB)
			}
		})
	}
}

// BenchmarkHugeSSELinePeakRSS reports the peak RSS of "deskchat ask"
// answering one 24 MB data line, beside the same child answering a few
// words (the floor: the test binary and a store).
func BenchmarkHugeSSELinePeakRSS(b *testing.B) {
	huge := hostileServer(b, oneLine(hostileText(hugeLineBytes)))
	tiny := hostileServer(b, oneLine("a short answer"))
	bin := childBinary(b)
	var peak, floor float64
	for range b.N {
		peak = max(peak, askChild(b, bin, b.TempDir(), huge.URL, "hostile").peakRSSMB)
		floor = max(floor, askChild(b, bin, b.TempDir(), tiny.URL, "tiny").peakRSSMB)
	}
	b.ReportMetric(peak, "sse_24mb_line_peak_rss_mb@MB")
	b.ReportMetric(floor, "sse_tiny_answer_peak_rss_mb@MB")
	b.ReportMetric(0, "ns/op")
}
