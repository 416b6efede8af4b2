package crashtest

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/deskchat/deskchat/store"
)

// A full disk tells the truth (issue 13): "deskchat ask" on a small tmpfs
// either changes nothing and says so, or says exactly what it kept.

// smallDisk mounts a tmpfs of size bytes on a new folder. It fails the test
// when it cannot (the test runs as root here and in CI): a skipped test
// would prove nothing.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a %d-byte tmpfs (this test needs root): %v: %s", size, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file into dir until the disk is full but for free
// bytes, and returns a function that removes it.
func fillDisk(t *testing.T, dir string, free int64) func() {
	t.Helper()
	path := filepath.Join(dir, "filler")
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	avail := int64(st.Bavail) * st.Bsize
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := avail - free; n > 0 {
		if _, err := f.Write(make([]byte, n)); err != nil && !errors.Is(err, syscall.ENOSPC) {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
}

// seedHistory creates a history in dir with one chat, and returns it.
func seedHistory(t *testing.T, dir string) history {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateConversation(store.Conversation{Title: "before"})
	if err == nil {
		_, _, err = st.AppendExchange(store.Message{ConversationID: c.ID, Role: store.RoleUser, Content: "old question"},
			store.Message{ConversationID: c.ID, Role: store.RoleAssistant, Content: "old answer", State: store.StateDone})
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return readHistory(t, dir)
}

// readHistory opens the history in dir (which must work) and reads every
// message; "deskchat list" must work too.
func readHistory(t *testing.T, dir string) history {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatalf("the history does not open after the failed write: %v", err)
	}
	defer st.Close()
	h := history{}
	convs, err := st.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range convs {
		msgs, err := st.Messages(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		h[c.ID] = msgs
	}
	return h
}

// listChild runs "deskchat list" on dir in a child process; it must succeed.
func listChild(t *testing.T, dir string) {
	t.Helper()
	c := runChild(t, []string{"list", "--data-dir", dir})
	<-c.exited
	if !c.state.Success() {
		t.Fatalf("deskchat list after the full disk: %v: %s", c.state, c.stderr.String())
	}
}

// pacedServer sends first, waits pause (so that the answer's first flush,
// 150 ms after text arrives, finds room), then rest, in 64 KB chunks.
func pacedServer(t *testing.T, first string, pause time.Duration, rest string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		if first != "" {
			io.WriteString(w, chunk(first))
			rc.Flush()
			select {
			case <-time.After(pause):
			case <-r.Context().Done():
				return
			}
		}
		for p := range inChunks(rest, bigChunkBytes) {
			if _, err := io.WriteString(w, chunk(p)); err != nil {
				return
			}
		}
		io.WriteString(w, finish)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The disk is full before the question can be stored: nothing is stored,
// and the sentence says so.
func TestFullDiskBeforeTheQuestion(t *testing.T) {
	dir := smallDisk(t, 4<<20)
	before := seedHistory(t, dir)
	free := fillDisk(t, dir, 0)
	srv := pacedServer(t, "", 0, "an answer")
	// bbolt reuses the file's free pages, so a short question may still
	// fit on a full disk; this one needs new pages.
	res := askChild(t, childBinary(t), dir, srv.URL, strings.Repeat("a long question ", 6<<10))
	free()
	if res.code != 1 || !strings.HasPrefix(res.stderr, "The disk holding the history file is full") || !strings.Contains(res.stderr, "nothing was changed") {
		t.Fatalf("exit %d, stderr %q; want 1 and that the disk is full and nothing was changed", res.code, res.stderr)
	}
	if after := readHistory(t, dir); !sameHistory(before, after) {
		t.Fatalf("the history changed although nothing was to change: %d chats before, %d after", len(before), len(after))
	}
	listChild(t, dir)
}

// The disk fills while the answer streams: the sentence says exactly what
// was kept (the question, and the answer up to its last successful write),
// and the history opens and lists afterwards.
func TestFullDiskMidAnswer(t *testing.T) {
	bin := childBinary(t)
	for _, tc := range []struct {
		name  string
		first string
		room  int64 // free bytes on the disk
	}{
		{"after a flush", keptFirst, 256 << 10},
		// The question still fits in the file's free pages; no flush does.
		{"before any flush", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := smallDisk(t, 4<<20)
			before := seedHistory(t, dir)
			free := fillDisk(t, dir, tc.room)
			res := askChild(t, bin, dir, pacedServer(t, tc.first, time.Second, keptRest).URL, "new question")
			free()
			checkKept(t, dir, before, res, tc.first, "The disk holding the history file is full")
		})
	}
}

// The same without a mount: the history file cannot grow past a limit, so
// its writes fail mid-answer as on a full disk, and the sentence still says
// exactly what was kept.
func TestFailingWritesMidAnswer(t *testing.T) {
	bin := childBinary(t)
	for _, tc := range []struct {
		name  string
		first string
		room  int64 // bytes the history file may grow
	}{
		{"after a flush", keptFirst, 256 << 10},
		{"before any flush", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			before := seedHistory(t, dir)
			fi, err := os.Stat(filepath.Join(dir, store.FileName))
			if err != nil {
				t.Fatal(err)
			}
			res := askChild(t, bin, dir, pacedServer(t, tc.first, time.Second, keptRest).URL, "new question", fi.Size()+tc.room)
			checkKept(t, dir, before, res, tc.first, "The history file could not be written")
		})
	}
}

var (
	keptFirst = strings.Repeat("saved ", 2<<10) // 12 KB: written by the first flush
	keptRest  = hostileText(1 << 20)            // more than the disk takes
	keptRE    = regexp.MustCompile(`^(.*): the question and the first (\d+) characters of its answer are saved; the rest of the answer is not\.\n$`)
)

// checkKept checks what an ask that could not write its whole answer said
// and left: the history opens and lists, it holds the new question and the
// answer as far as the sentence (naming problem) says, a prefix of what was
// sent (first, then keptRest), and when first was sent, at least first.
func checkKept(t *testing.T, dir string, before history, res askResult, first, problem string) {
	t.Helper()
	after := readHistory(t, dir)
	listChild(t, dir)
	if res.code != 1 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	var added []store.Message
	for id, msgs := range after {
		if _, ok := before[id]; !ok {
			added = msgs
		}
	}
	if len(after) != len(before)+1 || len(added) != 2 || added[0].Content != "new question" {
		t.Fatalf("%d chats before, %d after; new chat %+v; stderr %q", len(before), len(after), added, res.stderr)
	}
	ans := added[1]
	if !strings.HasPrefix(first+keptRest, ans.Content) {
		t.Fatalf("the stored answer (%d bytes) is not what was sent", len(ans.Content))
	}
	if first == "" {
		want := problem + ": the question is saved, its answer is not.\n"
		if res.stderr != want || ans.Content != "" {
			t.Fatalf("stderr %q with %d bytes stored; want %q and none", res.stderr, len(ans.Content), want)
		}
		return
	}
	m := keptRE.FindStringSubmatch(res.stderr)
	if m == nil || m[1] != problem {
		t.Fatalf("stderr %q; want %q and what was kept", res.stderr, problem)
	}
	if n, _ := strconv.Atoi(m[2]); n != utf8.RuneCountInString(ans.Content) || n < len(first) {
		t.Fatalf("the sentence says %s characters were kept; %d are stored (the first flush wrote %d)", m[2], utf8.RuneCountInString(ans.Content), len(first))
	}
}

func sameHistory(a, b history) bool {
	if len(a) != len(b) {
		return false
	}
	for id, ma := range a {
		mb, ok := b[id]
		if !ok || len(ma) != len(mb) {
			return false
		}
		for i := range ma {
			if ma[i].Content != mb[i].Content || ma[i].State != mb[i].State || !ma[i].UpdatedAt.Equal(mb[i].UpdatedAt) {
				return false
			}
		}
	}
	return true
}
