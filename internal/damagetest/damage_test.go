// Package damagetest attacks the real deskchat binary with damaged history
// files: cut short, emptied, replaced by garbage, one page of each kind
// overwritten (pages_test.go). Each command runs in a child process (this
// test binary re-executed as deskchat, see TestHelperChild), so a panic or
// a fault is a failed test with its exit code, not the end of the test
// process.
package damagetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskchat/deskchat/cli"
	"github.com/deskchat/deskchat/internal/pagedamage"
	"github.com/deskchat/deskchat/store"
)

const (
	envChild     = "DESKCHAT_DAMAGE_CHILD" // "1" in the child process
	envChildArgs = "DESKCHAT_DAMAGE_ARGS"  // the child's arguments, as a JSON array
	watchdog     = 60 * time.Second        // a child taking longer is stuck

	conversations = 300
	perChat       = 10
)

// TestHelperChild is the child process: it runs deskchat with the
// arguments in DESKCHAT_DAMAGE_ARGS and exits with its code. It does
// nothing when DESKCHAT_DAMAGE_CHILD is unset.
func TestHelperChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(envChildArgs)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "damagetest child:", err)
		os.Exit(3)
	}
	code := cli.Main(args, cli.Env{Stdin: strings.NewReader(""), Getenv: func(k string) string {
		if k == "OPENAI_API_KEY" {
			return ""
		}
		return os.Getenv(k)
	}})
	// Exit even with 0: returning would print the testing package's PASS
	// on stdout (a direct run has no -test.paniconexit0).
	os.Exit(code)
}

// result is what one deskchat run did.
type result struct {
	code           int
	stdout, stderr string
}

// deskchat runs the binary with args on the data folder dir.
func deskchat(t *testing.T, dir string, args ...string) result {
	t.Helper()
	all := append([]string{"--data-dir", dir}, args...)
	enc, _ := json.Marshal(all)
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChild+"=1", envChildArgs+"="+string(enc))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("deskchat %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("deskchat %v did not end within %s", args, watchdog)
	}
	return r
}

// sane fails t when r shows a crash: a panic, a fault, a Go stack, an exit
// code other than 0 or 1, or more than the few lines of sentences a
// command says on stderr.
func sane(t *testing.T, what string, r result) {
	t.Helper()
	for _, bad := range []string{"panic", "goroutine ", "fatal error", "SIGSEGV", "SIGBUS", "runtime."} {
		if strings.Contains(r.stderr+r.stdout, bad) {
			t.Fatalf("%s: %q in the output (exit %d):\n%s", what, bad, r.code, firstLines(r.stderr, 12))
		}
	}
	if r.code != 0 && r.code != 1 {
		t.Fatalf("%s: exit %d, want 0 or 1; stderr:\n%s", what, r.code, firstLines(r.stderr, 12))
	}
	if n := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; n > 2 {
		t.Fatalf("%s: %d lines on stderr, want a sentence:\n%s", what, n, firstLines(r.stderr, 12))
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

var (
	healthyOnce sync.Once
	healthyFile []byte
	healthyErr  error
	firstID     string
)

// healthy returns a ~8 MB history of 300 chats, written by the binary's
// import from a generated deskchat export (made once per test run).
func healthy(t *testing.T) []byte {
	t.Helper()
	healthyOnce.Do(func() {
		dir := t.TempDir()
		src := filepath.Join(dir, "export.json")
		if healthyErr = os.WriteFile(src, generatedExport(), 0o600); healthyErr != nil {
			return
		}
		data := filepath.Join(dir, "data")
		if r := deskchat(t, data, "import", src); r.code != 0 {
			healthyErr = fmt.Errorf("import: exit %d: %s", r.code, r.stderr)
			return
		}
		healthyFile, healthyErr = os.ReadFile(filepath.Join(data, store.FileName))
	})
	if healthyErr != nil {
		t.Fatal(healthyErr)
	}
	return healthyFile
}

// generatedExport is a deskchat export of 300 chats of 10 messages, with
// texts of words (so that search finds "harbour").
func generatedExport() []byte {
	rng := rand.New(rand.NewSource(7))
	words := strings.Fields("the harbour light keeps ships away from rocks while storms pass over quiet towns and fields of wheat")
	text := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(words[rng.Intn(len(words))])
			b.WriteByte(' ')
		}
		return b.String()
	}
	type msg struct {
		Seq       int       `json:"seq"`
		Role      string    `json:"role"`
		Content   string    `json:"content"`
		State     string    `json:"state"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	type conv struct {
		ID        string    `json:"id"`
		Title     string    `json:"title"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
		Messages  []msg     `json:"messages"`
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var convs []conv
	for i := range conversations {
		c := conv{ID: chatID(i), Title: fmt.Sprintf("Chat %d about %s", i, text(20)), CreatedAt: base.Add(time.Duration(i) * time.Hour)}
		for j := range perChat {
			role := "user"
			if j%2 == 1 {
				role = "assistant"
			}
			at := c.CreatedAt.Add(time.Duration(j) * time.Minute)
			c.Messages = append(c.Messages, msg{Seq: j + 1, Role: role, Content: text(1500), State: "done", CreatedAt: at, UpdatedAt: at})
		}
		c.UpdatedAt = c.Messages[perChat-1].CreatedAt
		convs = append(convs, c)
	}
	firstID = convs[0].ID
	b, _ := json.Marshal(map[string]any{"format": "deskchat", "version": 1, "exported_at": base, "conversations": convs})
	return b
}

// damage is one way to damage a history file.
type damage struct {
	name string
	make func(t *testing.T, file []byte) []byte
	// readable: the file can still be opened, so list may succeed.
	readable bool
}

var damages = []damage{
	{name: "truncated-32k", make: func(_ *testing.T, f []byte) []byte { return f[:32768] }},
	{name: "empty", make: func(*testing.T, []byte) []byte { return nil }},
	{name: "garbage", make: func(*testing.T, []byte) []byte {
		g := make([]byte, 1<<20)
		rand.New(rand.NewSource(3)).Read(g)
		return g
	}},
	{name: "messages-page-overwritten", make: kindOf(kindMessages), readable: true},
	{name: "long-record-overwritten", make: kindOf(kindOverflow), readable: true},
	{name: "list-page-overwritten", make: kindOf(kindList), readable: true},
	{name: "freelist-overwritten", make: overwriteFreelist, readable: true},
}

func kindOf(kind string) func(*testing.T, []byte) []byte {
	return func(t *testing.T, f []byte) []byte { return damageKind(t, f, kind) }
}

// chatID is the id of the i-th generated conversation.
func chatID(i int) string { return fmt.Sprintf("chat%08d", i) }

// TestDamagedHistoryThroughTheBinary runs every command on every damaged
// file: none panics or faults; each says one sentence naming the file;
// check says damaged (exit 1); recover saves at least what check found
// readable, keeps the damaged file beside the new one, and leaves a
// healthy history that list reads.
func TestDamagedHistoryThroughTheBinary(t *testing.T) {
	file := healthy(t)
	if len(file) < 6<<20 {
		t.Fatalf("the healthy history is %d bytes, want about 8 MB", len(file))
	}
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			damaged := d.make(t, file)
			fresh := func() string {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, store.FileName), damaged, 0o600); err != nil {
					t.Fatal(err)
				}
				return dir
			}
			dir := fresh()
			path := filepath.Join(dir, store.FileName)
			for _, args := range [][]string{{"list"}, {"show", firstID}, {"search", "harbour"}, {"export", "--out", filepath.Join(t.TempDir(), "e.json")}} {
				r := deskchat(t, dir, args...)
				sane(t, args[0], r)
				if !d.readable && (r.code != 1 || !strings.Contains(r.stderr, path)) {
					t.Errorf("%s: exit %d, stderr %q; want exit 1 and a sentence naming %s", args[0], r.code, r.stderr, path)
				}
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, damaged) {
				t.Fatalf("a reading command changed the damaged file (%d bytes, was %d)", len(got), len(damaged))
			}
			ask := deskchat(t, dir, "ask", "--provider", "Simulator", "hello")
			sane(t, "ask", ask)
			if !d.readable {
				if got, _ := os.ReadFile(path); ask.code != 1 || !bytes.Equal(got, damaged) {
					t.Fatalf("ask: exit %d, %q; a file that cannot be opened must be reported, never replaced", ask.code, ask.stderr)
				}
			}
			// A fresh copy for check and recover: ask may have added a
			// chat to a file it could open.
			dir = fresh()
			path = filepath.Join(dir, store.FileName)
			check := deskchat(t, dir, "check")
			sane(t, "check", check)
			if check.code != 1 || !strings.Contains(check.stderr, path) {
				t.Fatalf("check: exit %d, stderr %q; want exit 1 naming the file", check.code, check.stderr)
			}
			rep, err := store.Check(dir)
			if err != nil {
				t.Fatal(err)
			}
			rec := deskchat(t, dir, "recover")
			sane(t, "recover", rec)
			if rec.code != 0 || !strings.Contains(rec.stdout, "Recovered") {
				t.Fatalf("recover: exit %d\nstdout %s\nstderr %s", rec.code, rec.stdout, rec.stderr)
			}
			kept, _ := filepath.Glob(filepath.Join(dir, store.FileName+".damaged-*"))
			if len(kept) != 1 {
				t.Fatalf("recover kept %v beside the history, want one deskchat.db.damaged-TIME", kept)
			}
			if got, _ := os.ReadFile(kept[0]); !bytes.Equal(got, damaged) {
				t.Fatal("the kept damaged file differs from the damaged file")
			}
			list := deskchat(t, dir, "list", "--json")
			var convs []map[string]any
			if list.code != 0 || json.Unmarshal([]byte(list.stdout), &convs) != nil {
				t.Fatalf("list after recover: exit %d, %q", list.code, list.stderr)
			}
			if len(convs) < rep.Conversations {
				t.Fatalf("recover saved %d conversations, check found %d readable", len(convs), rep.Conversations)
			}
			if after := deskchat(t, dir, "check"); after.code != 0 || !strings.Contains(after.stdout, "is healthy") {
				t.Fatalf("check after recover: exit %d, %q %q", after.code, after.stdout, after.stderr)
			}
			if d.readable && len(convs) < conversations-1 {
				t.Fatalf("one overwritten page cost %d of %d conversations", conversations-len(convs), conversations)
			}
		})
	}
}

// TestExportSkipsTheDamagedChat: with one page overwritten, of whichever
// kind, export writes every conversation it can read, names on stderr each
// one it left out and exits 1 (incomplete). The chats whose records went
// with a page of the list are exported from their messages, under a title
// beginning "Recovered:", and named too. Written and left out add up to
// every conversation, so none goes missing in silence.
func TestExportSkipsTheDamagedChat(t *testing.T) {
	file := healthy(t)
	for _, kind := range []string{kindMessages, kindOverflow, kindList} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, store.FileName), damageKind(t, file, kind), 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := store.Check(dir)
			if err != nil {
				t.Fatal(err)
			}
			var damaged []string // the ids check found partly or wholly lost
			for _, s := range append(rep.Partial, rep.Lost...) {
				damaged = append(damaged, strings.Fields(s)[0])
			}
			rescued := kind == kindList // records lost, messages whole
			said := "left out of the export"
			if rescued {
				said = `under a title beginning "Recovered:"`
			}
			out := filepath.Join(t.TempDir(), "all.json")
			r := deskchat(t, dir, "export", "--out", out)
			sane(t, "export", r)
			if r.code != 1 || !strings.Contains(r.stderr, said) {
				t.Fatalf("export: exit %d, stderr %q; want exit 1 and %q", r.code, r.stderr, said)
			}
			for _, id := range damaged[:min(len(damaged), 10)] {
				if !strings.Contains(r.stderr, id) {
					t.Errorf("export's stderr %q does not name the damaged chat %s", r.stderr, id)
				}
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("the export of the healthy chats was not written: %v", err)
			}
			var doc struct {
				Conversations []struct {
					ID, Title string
					Messages  []json.RawMessage
				} `json:"conversations"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			left := len(damaged)
			if rescued {
				left = 0
			}
			if got := len(doc.Conversations) + left; got != conversations {
				t.Fatalf("exported %d and left out %d: %d of %d conversations accounted for", len(doc.Conversations), left, got, conversations)
			}
			for _, c := range doc.Conversations {
				switch {
				case !slices.Contains(damaged, c.ID):
				case !rescued:
					t.Fatalf("the damaged chat %s is in the export", c.ID)
				case !strings.HasPrefix(c.Title, "Recovered: ") || len(c.Messages) != perChat:
					t.Fatalf("the rescued chat %s is exported as %q with %d messages", c.ID, c.Title, len(c.Messages))
				}
			}
			// Stdout too: the rest is written, the sentence is on stderr.
			r = deskchat(t, dir, "export", "--format", "md")
			sane(t, "export md", r)
			if n := strings.Count(r.stdout, "\n# "); r.code != 1 || n+left < conversations-1 {
				t.Fatalf("export to stdout: exit %d, %d chats written, %d left out", r.code, n, left)
			}
		})
	}
}

// TestReadCommandsWorkOnReadOnlyMedia: every reading command works on a
// history on a read-only file system (a tmpfs remounted read-only) and
// leaves the file's bytes and time as they were; where mounting is not
// allowed, the folder is made read-only instead (which root ignores, so
// the unchanged bytes and time are the proof).
func TestReadCommandsWorkOnReadOnlyMedia(t *testing.T) {
	file := healthy(t)
	dir := t.TempDir()
	mounted := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", dir).Run() == nil
	if mounted {
		t.Cleanup(func() { exec.Command("umount", dir).Run() })
	}
	path := filepath.Join(dir, store.FileName)
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	if mounted {
		if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
			t.Fatalf("remount read-only: %v %s", err, out)
		}
		if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o600); err == nil {
			t.Fatal("the read-only mount accepts writes")
		}
	} else {
		t.Log("mount not permitted: the folder is made read-only and the file's bytes and time are compared")
		os.Chmod(path, 0o400)
		os.Chmod(dir, 0o500)
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
	}
	fi, _ := os.Stat(path)
	mtime := fi.ModTime()
	for _, args := range [][]string{{"list"}, {"show", firstID}, {"search", "harbour"}, {"export", "--format", "md"}, {"check"},
		{"usage"}, {"stats"}, {"cache", "stats"}, {"providers", "list"}, {"prices", "list"}} {
		r := deskchat(t, dir, args...)
		sane(t, args[0], r)
		if r.code != 0 {
			t.Errorf("%v on read-only media: exit %d, %q", args, r.code, r.stderr)
		}
	}
	if r := deskchat(t, dir, "list", "--json"); !strings.Contains(r.stdout, firstID) {
		t.Errorf("list --json does not list %s", firstID)
	}
	got, _ := os.ReadFile(path)
	fi, _ = os.Stat(path)
	if !bytes.Equal(got, file) || !fi.ModTime().Equal(mtime) {
		t.Fatal("a reading command changed the history file")
	}
	// A writing command says why it cannot write.
	if r := deskchat(t, dir, "ask", "--provider", "Simulator", "hi"); r.code != 1 || strings.Contains(r.stderr, "panic") {
		t.Errorf("ask on read-only media: exit %d, %q", r.code, r.stderr)
	}
}

// TestDamagedConversationList: with a page of the list of conversations
// overwritten, list shows every conversation it can still read, says on
// stderr how many it cannot and that the file is damaged (exit 1); export
// writes those conversations and, from their messages, the others.
func TestDamagedConversationList(t *testing.T) {
	file := healthy(t)
	file = pagedamage.Overwrite(file, pagedamage.FirstLeaf(t, file, "conversations").ID, 0, pagedamage.PageSize)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.FileName), file, 0o600); err != nil {
		t.Fatal(err)
	}
	r := deskchat(t, dir, "list", "--json")
	sane(t, "list", r)
	var convs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &convs); err != nil {
		t.Fatalf("list --json: %v\n%s", err, firstLines(r.stdout, 5))
	}
	if r.code != 1 || !strings.Contains(r.stderr, "is damaged") || len(convs) == 0 || len(convs) >= conversations {
		t.Fatalf("list: exit %d, %d conversations, stderr %q; want exit 1, the readable ones, and the damage said", r.code, len(convs), r.stderr)
	}
	if want := fmt.Sprintf("%d conversations' records were lost", conversations-len(convs)); !strings.Contains(r.stderr, want) {
		t.Errorf("list's stderr %q does not say %q", r.stderr, want)
	}
	out := filepath.Join(t.TempDir(), "e.json")
	r = deskchat(t, dir, "export", "--out", out)
	sane(t, "export", r)
	b, err := os.ReadFile(out)
	var doc struct {
		Conversations []struct{ ID string } `json:"conversations"`
	}
	if err != nil || json.Unmarshal(b, &doc) != nil || r.code != 1 || len(doc.Conversations) != conversations {
		t.Fatalf("export: exit %d %q; %d conversations exported, want all %d (list showed %d)", r.code, r.stderr, len(doc.Conversations), conversations, len(convs))
	}
}
