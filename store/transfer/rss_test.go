package transfer_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/deskchat/deskchat/cli"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/store/transfer"
)

// Peak memory is measured on the real command: the test binary runs itself
// again as "deskchat import FILE" (cli.Main, as internal/crashtest does), and
// the child reports its peak resident set (VmHWM in /proc/self/status) as it
// exits. (getrusage's ru_maxrss for a child counts the parent's memory too:
// the child shares it until exec.)

const (
	envImportChild = "DESKCHAT_IMPORT_CHILD" // "1" in the child process
	envImportArgs  = "DESKCHAT_IMPORT_ARGS"  // its deskchat arguments, as a JSON array
	envImportPeak  = "DESKCHAT_IMPORT_PEAK"  // the file the child writes its peak resident set to, in kB
)

// TestHelperImportChild is the child process: it runs deskchat with the
// arguments in DESKCHAT_IMPORT_ARGS and exits with its code. It does
// nothing when DESKCHAT_IMPORT_CHILD is unset.
func TestHelperImportChild(t *testing.T) {
	if os.Getenv(envImportChild) != "1" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(envImportArgs)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "import child:", err)
		os.Exit(3)
	}
	code := cli.Main(args, cli.Env{Stdin: strings.NewReader("")})
	if err := os.WriteFile(os.Getenv(envImportPeak), []byte(peakKB()), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "import child:", err)
		os.Exit(3)
	}
	if code != 0 {
		os.Exit(code)
	}
}

// peakKB is this process's peak resident set in kB, as /proc says it.
func peakKB() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
		}
	}
	return ""
}

// childRun is what one deskchat command run in a child process did.
type childRun struct {
	code           int
	stdout, stderr string
	peakMB         float64 // peak resident set of the child
}

// runChild runs deskchat with args in a child process.
func runChild(t testing.TB, args ...string) childRun {
	t.Helper()
	return runChildEnv(t, nil, args...)
}

// runChildEnv runs deskchat with args in a child process, with env added
// to its environment.
func runChildEnv(t testing.TB, env []string, args ...string) childRun {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperImportChild$", "-test.count=1")
	peak := filepath.Join(t.TempDir(), "peak")
	cmd.Env = append(os.Environ(), envImportChild+"=1", envImportArgs+"="+string(a), envImportPeak+"="+peak, "DESKCHAT_DATA_DIR=")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("run the child: %v", err)
	}
	r := childRun{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	if r.code < 0 || r.code > 2 || strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("the child crashed (exit %d):\n%s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(peak)
	kb, err := strconv.ParseFloat(string(b), 64)
	if err != nil || kb <= 0 {
		t.Fatalf("the child's peak memory: %q %v", b, err)
	}
	r.peakMB = kb / 1024
	return r
}

// writeFile writes a file at path from fill, streamed through a buffer.
func writeFile(t testing.TB, path string, fill func(w io.Writer) error) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// whitespace writes "[", n spaces and newlines, "]".
func whitespace(n int64) func(io.Writer) error {
	return func(w io.Writer) error {
		chunk := bytes.Repeat([]byte("       \n"), 8<<10)
		if _, err := io.WriteString(w, "["); err != nil {
			return err
		}
		for left := n; left > 0; {
			k := min(left, int64(len(chunk)))
			if _, err := w.Write(chunk[:k]); err != nil {
				return err
			}
			left -= k
		}
		_, err := io.WriteString(w, "]")
		return err
	}
}

// chatGPTFile is a generated ChatGPT export of about mb megabytes: 40
// messages of 2 KB a conversation (about 90 KB each) on its active path,
// and a short one on another branch.
func chatGPTFile(mb int) (convs int, fill func(io.Writer) error) {
	convs = mb << 20 / (40 * 2200)
	return convs, func(w io.Writer) error { return transfer.WriteChatGPT(w, convs, 40, 2000) }
}

// history is what a history file holds: its size, its last transaction
// and its number of conversations.
type history struct {
	size  int64
	txid  int
	convs int
}

func readHistory(t testing.TB, dir string) history {
	t.Helper()
	path := filepath.Join(dir, store.FileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := history{size: fi.Size()}
	err = db.View(func(tx *bolt.Tx) error {
		h.txid = tx.ID()
		if b := tx.Bucket([]byte("conversations")); b != nil {
			h.convs = b.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// memoryBound is the peak resident set allowed for an import: 150 MB, as
// the README promises.
func memoryBound() float64 { return 150 * memoryScale() }

// memoryScale: the race detector's shadow memory doubles a process's.
func memoryScale() float64 {
	if transfer.RaceEnabled {
		return 2
	}
	return 1
}

// TestImportWhitespaceMemoryDoesNotGrow imports "[", whitespace, "]" of
// 20 MB and then 200 MB (8 and 80 under the race detector) with the real command: the peak memory is the
// same (it once grew three times the run of whitespace: 6 GB for 2 GB).
func TestImportWhitespaceMemoryDoesNotGrow(t *testing.T) {
	dir := t.TempDir()
	var peaks []float64
	sizes := []int64{20, 200}
	if transfer.RaceEnabled { // byte loops run ten times slower
		sizes = []int64{8, 80}
	}
	for _, mb := range sizes {
		file := filepath.Join(dir, fmt.Sprintf("spaces-%d.json", mb))
		writeFile(t, file, whitespace(mb<<20))
		r := runChild(t, "--data-dir", filepath.Join(dir, "data"), "import", file)
		os.Remove(file)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Nothing to import: the file holds no conversations.") {
			t.Fatalf("%d MB: exit %d, %q %q", mb, r.code, r.stdout, r.stderr)
		}
		t.Logf("%d MB of whitespace: peak %.1f MB", mb, r.peakMB)
		peaks = append(peaks, r.peakMB)
	}
	if peaks[1] > peaks[0]+16 || peaks[1] > memoryBound() {
		t.Fatalf("peak %.1f MB for %d MB of whitespace, %.1f MB for %d MB (bound %.0f MB)", peaks[1], sizes[1], peaks[0], sizes[0], memoryBound())
	}
}

// TestImportChatGPTMemoryAndReimport imports a generated ChatGPT export
// with the real command, within the memory bound, then imports it again:
// the second import adds no conversation and the history file does not
// grow (store.TestImportConversationsAlreadyHereWritesNothing shows it
// commits nothing).
func TestImportChatGPTMemoryAndReimport(t *testing.T) {
	mb := 50
	if transfer.RaceEnabled {
		mb = 12
	}
	dir := t.TempDir()
	file, data := filepath.Join(dir, "conversations.json"), filepath.Join(dir, "data")
	convs, fill := chatGPTFile(mb)
	size := writeFile(t, file, fill)
	r := runChild(t, "--data-dir", data, "import", file)
	if want := fmt.Sprintf("Imported %s (%s).", format.Count(convs, "conversation", "conversations"), format.Count(convs*41, "message", "messages")); r.code != 0 || !strings.HasPrefix(r.stdout, want) {
		t.Fatalf("exit %d, %q %q; want %q", r.code, r.stdout, r.stderr, want)
	}
	t.Logf("%d MB export, %d conversations: peak %.1f MB", size>>20, convs, r.peakMB)
	if r.peakMB > memoryBound() {
		t.Fatalf("peak %.1f MB importing a %d MB export (bound %.0f MB)", r.peakMB, size>>20, memoryBound())
	}
	before := readHistory(t, data)
	r = runChild(t, "--data-dir", data, "import", file)
	after := readHistory(t, data)
	if want := fmt.Sprintf("Imported 0 conversations (0 messages); %d already imported.", convs); r.code != 0 || !strings.HasPrefix(r.stdout, want) {
		t.Fatalf("again: exit %d, %q %q; want %q", r.code, r.stdout, r.stderr, want)
	}
	// Opening the history commits a few transactions of its own (and may
	// finish merging the search index): the import adds nothing to them.
	t.Logf("history %+v, then %+v", before, after)
	if after.size > before.size+2*4096 || after.convs != convs {
		t.Fatalf("importing again changed the history: %+v, then %+v", before, after)
	}
}

// BenchmarkImportPeakMemory runs "deskchat import FILE" in a child process
// on a generated 200 MB ChatGPT export and on "[", 2 GB of whitespace, "]",
// and reports each peak resident set (the README's promise: at most 150
// MB). The files are written to a temporary folder and removed after.
func BenchmarkImportPeakMemory(b *testing.B) {
	dir := b.TempDir()
	convs, fill := chatGPTFile(200)
	for _, tc := range []struct {
		name   string
		fill   func(io.Writer) error
		stdout string
	}{
		{"import_peak_rss_mb_200mb", fill, "Imported " + format.Count(convs, "conversation", "conversations")},
		{"import_peak_rss_mb_2gb_whitespace", whitespace(2 << 30), "Nothing to import"},
	} {
		file := filepath.Join(dir, "conversations.json")
		size := writeFile(b, file, tc.fill)
		var peak float64
		for i := 0; i < b.N; i++ {
			r := runChild(b, "--data-dir", filepath.Join(b.TempDir(), "data"), "import", file)
			if r.code != 0 || !strings.HasPrefix(r.stdout, tc.stdout) {
				b.Fatalf("%s: exit %d, %q %q", tc.name, r.code, r.stdout, r.stderr)
			}
			peak = max(peak, r.peakMB)
		}
		os.Remove(file)
		b.Logf("%s: %d MB file, peak %.1f MB", tc.name, size>>20, peak)
		b.ReportMetric(peak, tc.name+"@MB")
	}
}
